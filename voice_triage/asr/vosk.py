"""Vosk backend (preferred when a model is installed): per-question grammar with "[unk]".

Vosk 0.3.45 compiles a grammar into a bigram model, not a strict grammar: words of different
phrases can be joined and noise is forced onto the nearest words, and words missing from the
model's vocabulary are silently dropped. So:

- every grammar word is checked against the model's vocabulary before a recognizer is opened for
  it (``ModelError`` names the missing words: a grammar that silently lost "not" from "not sure"
  would be dangerous);
- ``"[unk]"`` is always in the grammar, and a result holding it is no-match;
- the final text must be one of the phrases, and every word's confidence at least
  ``MIN_WORD_CONF``, else no-match;
- the voice-activity gate (``vad.py``) runs first: no speech → no-input.

A model with a fixed decoding graph (``graph/HCLG.fst``, the large models) cannot take a grammar:
Vosk would ignore it with a warning on every answer. Such a model is decoded without one, and the
same phrase-list, ``[unk]`` and confidence rules decide what counts.

Models are loaded by path only: ``Model(lang=...)`` would download from the network. Kaldi writes
its load errors straight to file descriptor 2; they are caught there and put into the one-line
``ModelError`` instead.

The result JSON read here is Vosk 0.3.45's ``FinalResult()`` with ``SetWords(True)`` and no
alternatives: ``{"result": [{"conf", "end", "start", "word"}, ...], "text": "..."}`` (``result``
absent when nothing was heard; ``{"text": ""}`` when no audio was decoded).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import tempfile
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ..audio import vad
from ..errors import ModelError, RecognizerError
from .base import Status, Stopwatch, Transcript, constraint, phrase_set

NAME: Final = "vosk"
UNK: Final = "[unk]"
#: Lowest per-word confidence accepted (Vosk's MBR word confidence, 0 to 1), for phrase answers and
#: free dictation alike. UNMEASURED: no Vosk model can be downloaded on the machine this was built
#: on, so 0.80 is a guess (a clear in-grammar word is expected near 1.0, noise forced onto a word
#: lower). Higher rejects more real answers from quiet or accented speakers (asked again); lower lets
#: more noise and other words through as answers. To measure it, with a model installed
#: (`voice-triage models download`) and the shared speech-commands clips in ../shared:
#:     VOICE_TRIAGE_MOONSHINE=off make bench-voice
#: and read the "[human] vosk" rows: choose on the tuning half the lowest value at which "other→yes/no"
#: stays ≤ 5% and "noise→yes/no" ≤ 1% with 0 swaps, then confirm yes/no on the held-out half (target
#: ≥ 97%). Change this constant, re-run, and record the numbers in models/README.md.
MIN_WORD_CONF: Final = 0.80
#: Phrase lists whose vocabulary check and grammar JSON are kept (a recognizer is opened per answer).
CACHE_SIZE: Final = 16
#: Kaldi's messages read back from a failed model load, from the end (its last error goes into the ModelError).
MAX_LOAD_LOG: Final = 64 * 1024


def pcm(samples: npt.NDArray[np.int16]) -> bytes:
    """The bytes ``AcceptWaveform`` reads: 16-bit little-endian mono."""
    return np.ascontiguousarray(samples, dtype="<i2").tobytes()


def read_result(raw: str) -> tuple[str, list[tuple[str, float]]]:
    """The text and (word, confidence) pairs of a ``FinalResult()``. The n-best shape
    (``{"alternatives": [...]}``, when ``SetMaxAlternatives`` > 0) carries no word confidence: its
    words read as confidence 0, so they can never pass the threshold."""
    try:
        final = json.loads(raw)
    except ValueError as exc:
        raise RecognizerError(f"Vosk returned a result that is not JSON: {raw[:80]!r}") from exc
    if not isinstance(final, dict):
        raise RecognizerError(f"Vosk returned an unexpected result: {raw[:80]!r}")
    if isinstance(final.get("alternatives"), list):
        best = final["alternatives"][0] if final["alternatives"] else {}
        final = best if isinstance(best, dict) else {}
    words = [(str(w.get("word", "")), float(w.get("conf", 0.0)))
             for w in final.get("result") or [] if isinstance(w, dict)]
    text = " ".join(str(final.get("text", "")).split()) or " ".join(w for w, _ in words)
    return text, words


_KALDI_ERROR: Final = re.compile(r"^(?:ERROR|ASSERTION_FAILED) \(\S*\)\s*(?:\[[^]]*\]\s*)?(.*)$")


def kaldi_reason(log: str) -> str:
    """The last Kaldi error in ``log``: its first sentence, without the ``ERROR (VoskAPI:...)`` prefix."""
    found = [m.group(1) for line in log.splitlines() if (m := _KALDI_ERROR.match(line.strip()))]
    if not found:
        return ""
    printable = "".join(c if c.isprintable() else "?" for c in found[-1])
    first = " ".join(printable.split()).split(". ", 1)[0].rstrip(".")
    return first if len(first) <= 300 else first[:297] + "..."


def _capture_file() -> Any:
    """A file for Kaldi's messages: in memory where Linux allows it, else an unnamed temporary file."""
    if hasattr(os, "memfd_create"):
        return os.fdopen(os.memfd_create("voice-triage-vosk-log"), "w+b")
    return tempfile.TemporaryFile()


def load_model(vosk: Any, path: Path) -> Any:
    """``vosk.Model`` for ``path``, with Kaldi's messages kept off the terminal: a failure is one
    ``ModelError`` line that names the folder and gives Kaldi's reason."""
    try:
        sys.stderr.flush()
        log = _capture_file()
    except (OSError, ValueError):  # stderr closed, no memory or temporary folder: load uncaptured
        log = None
    saved = -1
    failure: Exception | None = None
    said = ""
    try:
        if log is not None:
            try:
                saved = os.dup(2)
                os.dup2(log.fileno(), 2)
            except OSError:  # no file descriptor 2 to redirect (stderr closed)
                saved = -1
        try:
            model = vosk.Model(model_path=str(path))
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
            failure = exc
        finally:
            if saved >= 0:
                os.dup2(saved, 2)
                os.close(saved)
        if log is not None:
            size = log.seek(0, os.SEEK_END)
            log.seek(max(0, size - MAX_LOAD_LOG))
            said = log.read().decode("utf-8", "replace")
    finally:
        if log is not None:
            log.close()
    if failure is not None:
        reason = kaldi_reason(said) or " ".join(str(failure).split()) or type(failure).__name__
        raise ModelError(f"the Vosk model in {path} could not be loaded ({reason}); "
                         "reinstall it with 'voice-triage models download'") from failure
    return model


def takes_grammar(path: Path) -> bool:
    """Whether Vosk compiles a grammar for this model: a runtime graph (``graph/HCLr.fst``) and no
    fixed one (``graph/HCLG.fst``, which Vosk prefers and then ignores the grammar)."""
    return (path / "graph" / "HCLr.fst").is_file() and not (path / "graph" / "HCLG.fst").exists()


class VoskRecognizer:
    """Vosk with a per-call grammar, vocabulary check, [unk] and confidence rejection."""

    name = NAME

    def __init__(self, model_path: Path, min_conf: float = MIN_WORD_CONF) -> None:
        try:
            import vosk
        except ImportError as exc:  # pragma: no cover - a broken install
            raise RecognizerError(f"vosk is not installed: {exc}") from exc
        vosk.SetLogLevel(-1)
        path = Path(model_path)
        if not (path / "am" / "final.mdl").is_file():
            raise ModelError(
                f"{path} is not a Vosk model (no am/final.mdl); get one with 'voice-triage models download'"
            )
        self._model: Any = load_model(vosk, path)
        self._vosk = vosk
        self.path = path
        self.min_conf = min_conf
        self.grammars = takes_grammar(path)
        if not self.grammars:
            logging.getLogger(__name__).warning(
                "the Vosk model %s has no runtime graph (graph/HCLr.fst): answers are decoded without a "
                "grammar and kept only when exactly one of the question's phrases", path.name)
        self._checked: OrderedDict[tuple[str, ...], str] = OrderedDict()

    def missing_words(self, phrases: Sequence[str]) -> list[str]:
        """Grammar words the model does not know (Vosk would drop them without a word)."""
        words = sorted({w for p in phrase_set(phrases) for w in p.split()})
        return [w for w in words if self._model.vosk_model_find_word(w) < 0]

    def grammar_json(self, phrases: tuple[str, ...]) -> str:
        """The grammar for ``KaldiRecognizer``, after the vocabulary check (cached per phrase list)."""
        cached = self._checked.get(phrases)
        if cached is not None:
            self._checked.move_to_end(phrases)
            return cached
        missing = self.missing_words(phrases)
        if missing:
            raise ModelError(
                f"the Vosk model {self.path.name} lacks grammar words {', '.join(missing)}: "
                "change the phrases in grammars/ or use a model that knows them"
            )
        grammar = json.dumps([*phrases, UNK])
        self._checked[phrases] = grammar
        if len(self._checked) > CACHE_SIZE:
            self._checked.popitem(last=False)
        return grammar

    def _decode(self, samples: npt.NDArray[np.int16], grammar: str | None) -> str:
        """One ``KaldiRecognizer`` for one answer, at the audio's sample rate; its final result."""
        rate = float(vad.RATE)  # the samples' rate: every answer reaches the recognizers at 16 kHz
        try:
            rec = (self._vosk.KaldiRecognizer(self._model, rate, grammar) if grammar is not None and self.grammars
                   else self._vosk.KaldiRecognizer(self._model, rate))
            rec.SetWords(True)
            rec.AcceptWaveform(pcm(samples))  # True at an endpoint; the final result covers all of it
            return str(rec.FinalResult())
        except Exception as exc:  # vosk raises bare Exceptions ("Failed to process waveform")
            raise RecognizerError(f"Vosk could not decode this answer: {exc}") from exc

    def transcribe(self, samples: npt.NDArray[np.int16], phrases: Sequence[str] | None) -> Transcript:
        result = Stopwatch(NAME, len(samples) / vad.RATE)
        allowed = constraint(phrases)
        grammar = self.grammar_json(allowed) if allowed is not None else None
        if not vad.detect(samples).speech:
            return result(Status.NO_INPUT)
        text, words = read_result(self._decode(samples, grammar))
        if not text:
            return result(Status.NO_INPUT)
        confidence = min((c for _, c in words), default=0.0)
        if UNK in text.split() or (allowed is not None and text not in allowed) or confidence < self.min_conf:
            return result(Status.NO_MATCH, text, confidence)
        return result(Status.OK, text, confidence)
