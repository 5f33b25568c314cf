"""Vosk backend (preferred when a model is installed): per-question grammar with "[unk]".

Vosk 0.3.45 compiles a grammar into a bigram model, not a strict grammar: words of different
phrases can be joined and noise is forced onto the nearest words, and words missing from the
model's vocabulary are silently dropped. So:

- every grammar word is checked against the model's vocabulary before use (``ModelError`` names
  the missing words: a grammar that silently lost "not" from "not sure" would be dangerous);
- ``"[unk]"`` is always in the grammar, and a result holding it is no-match;
- the final text must be one of the phrases, and every word's confidence at least
  ``MIN_WORD_CONF``, else no-match;
- the voice-activity gate (``vad.py``) runs first: no speech → no-input.

Models are loaded by path only: ``Model(lang=...)`` would download from the network.
"""

from __future__ import annotations

import json
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
#: Lowest per-word confidence accepted. Vosk's grammar confidences for a clear in-grammar word are
#: near 1.0; noise forced onto a word typically scores 0.3–0.7. Higher rejects more real answers
#: from quiet or accented speakers; lower lets more noise through. Not yet tuned on a real model
#: here (none can be downloaded on this machine); re-measure with `make bench-voice` once present.
MIN_WORD_CONF: Final = 0.80
#: Grammars kept built (one recognizer per distinct phrase list).
CACHE_SIZE: Final = 16


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
        try:
            self._model: Any = vosk.Model(model_path=str(path))
        except Exception as exc:  # vosk raises a bare Exception when loading fails
            raise ModelError(f"the Vosk model in {path} could not be loaded: {exc}") from exc
        self._vosk = vosk
        self.path = path
        self.min_conf = min_conf
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

    def transcribe(self, samples: npt.NDArray[np.int16], phrases: Sequence[str] | None) -> Transcript:
        result = Stopwatch(NAME, len(samples) / vad.RATE)
        allowed = constraint(phrases)
        grammar = self.grammar_json(allowed) if allowed is not None else None
        if not vad.detect(samples).speech:
            return result(Status.NO_INPUT)
        rec = (self._vosk.KaldiRecognizer(self._model, float(vad.RATE), grammar) if grammar is not None
               else self._vosk.KaldiRecognizer(self._model, float(vad.RATE)))
        rec.SetWords(True)
        rec.AcceptWaveform(samples.tobytes())
        final = json.loads(rec.FinalResult())
        words = [(str(w.get("word", "")), float(w.get("conf", 0.0))) for w in final.get("result", [])]
        text = " ".join(w for w, _ in words) or str(final.get("text", "")).strip()
        if not text:
            return result(Status.NO_INPUT)
        confidence = min((c for _, c in words), default=0.0)
        if UNK in text.split() or (allowed is not None and text not in allowed) or confidence < self.min_conf:
            return result(Status.NO_MATCH, confidence=confidence)
        return result(Status.OK, text, confidence)
