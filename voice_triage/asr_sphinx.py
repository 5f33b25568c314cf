"""pocketsphinx backend: the fallback that needs no download (its wheel ships a US English model).

Per call, the decoder is constrained to the question's phrases with a JSGF grammar. A grammar
decoder always answers with one of its phrases, so three checks stand between audio and an answer:

1. the voice-activity gate (``vad.py``): no voiced speech → ``no_input``;
2. the grammar decoding must contain a word at all (noise absorbed by silence and filler models
   gives an empty hypothesis) → else ``no_input``;
3. out-of-grammar rejection by comparison with an unconstrained phone-loop decoding of the same
   audio: when the phrase fits, the grammar path scores almost as well as the best free phone
   sequence; when the person said something else, the grammar path scores much worse. The
   per-frame score gap over the speech frames is thresholded → ``no_match``.

The thresholds were tuned on held-out human clips and espeak-ng speech; see tests/bench/bench_voice.py.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from . import vad
from .errors import RecognizerError
from .recognizer import Status, Transcript, phrase_set

NAME: Final = "pocketsphinx"
#: Log base pocketsphinx reports scores in (its default ``-logbase``).
LOGBASE: Final = 1.0001
#: Largest per-frame score gap (phone loop minus grammar, in pocketsphinx's scaled log units per
#: speech frame) accepted as an in-grammar answer. Lower rejects more out-of-grammar words but also
#: more real answers from unusual voices. Measured trade-off: see bench_voice.py and the README.
MAX_GAP_PER_FRAME: Final = 40.0
#: Gap at which confidence reaches 0 (linear from 1 at a gap of 0); for reporting only.
GAP_SCALE: Final = 80.0
#: Garbage loop: total probability of entering it (against 1.0 shared by the phrases' first words)
#: and of each further phone. Higher entry rejects more out-of-grammar speech and more real answers.
GARBAGE_ENTER: Final = 0.0
GARBAGE_LOOP: Final = 0.9
#: Quiet padding added before and after the audio (see ``pad``).
PAD_S: Final = 0.3
#: Grammar searches kept compiled (one per distinct phrase list; questions reuse a few lists).
CACHE_SIZE: Final = 16
#: Filler (noise) insertion probability in grammar searches. pocketsphinx's default (1e-8) makes
#: noise land on words; a higher value lets the [NOISE] filler absorb it.
FILLER_PROB: Final = 1e-2


@dataclass(frozen=True)
class Decoding:
    """One decoding of an utterance: words (fillers removed), raw score, frames of speech."""

    words: tuple[str, ...]
    score: float
    speech_frames: int
    frames: int


def _model_dir() -> Path:
    from pocketsphinx import get_model_path

    return Path(get_model_path())


Transition = tuple[int, int, float, str]

#: The model's context-independent speech phones (CMUdict set; SIL and fillers excluded).
PHONES: Final = (
    "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH"
).split()
#: Dictionary words added for the garbage loop: one per phone, a prefix no real word has.
GARBAGE_PREFIX: Final = "++gb_"


def phrase_automaton(phrases: Sequence[str], word_prob: float | None = None) -> tuple[int, int, list[Transition]]:
    """The phrases as a minimal word automaton: (start, final, transitions) for ``create_fsg``.

    A flat alternation makes pocketsphinx start one word model per phrase: the 1,300-phrase answer
    list then decoded 20x slower than real time. Sharing prefixes (a trie) and suffixes (merging
    states with the same future) keeps the active models to the distinct words at each point.
    """
    trie: dict[str, Any] = {}
    for phrase in phrases:
        node = trie
        for word in phrase.split():
            node = node.setdefault(word, {})
        node[""] = {}  # a phrase may end here
    ids: dict[tuple[Any, ...], int] = {}
    arcs: dict[int, list[tuple[str, int]]] = {}
    ends: set[int] = set()

    def state(node: dict[str, Any]) -> int:
        out = tuple(sorted((word, state(child)) for word, child in node.items() if word))
        key = ("" in node, out)
        if key not in ids:
            ids[key] = len(ids)
            arcs[ids[key]] = list(out)
            if "" in node:
                ends.add(ids[key])
        return ids[key]

    start = state(trie)
    final = ids[(True, ())] if (True, ()) in ids else len(ids)
    # No null transitions (create_fsg does not close over them, so a phrase that is the prefix of
    # another could never end): a word that may end a phrase also gets an arc straight to final.
    transitions: list[Transition] = []
    for src, out in arcs.items():
        targets = [(word, dst) for word, dst in out]
        targets += [(word, final) for word, dst in out if dst in ends and dst != final]
        prob = word_prob if word_prob is not None else 1.0 / max(len(targets), 1)
        transitions.extend((src, dst, prob, word) for word, dst in targets)
    return start, final, transitions


def add_garbage(start: int, final: int, transitions: list[Transition], enter: float, loop: float) -> None:
    """Add a phone loop from start to final that competes with the phrases (out-of-grammar path).

    Speech that fits a phrase scores better through the phrase's words; other speech scores better
    through the loop and decodes as garbage phones, which ``transcribe`` reports as no-match.
    ``enter`` is the total probability of taking the loop, ``loop`` of each further phone.
    """
    loop_state = 1 + max(max(t[0], t[1]) for t in transitions)
    for phone in PHONES:
        word = GARBAGE_PREFIX + phone.lower()
        transitions.append((start, loop_state, enter / len(PHONES), word))
        transitions.append((start, final, enter / len(PHONES), word))
        transitions.append((loop_state, loop_state, loop / len(PHONES), word))
        transitions.append((loop_state, final, (1.0 - loop) / len(PHONES), word))


def pad(samples: npt.NDArray[np.int16], seconds: float) -> npt.NDArray[np.int16]:
    """Quiet padding either side: clips cut off mid-word (recorders, endpointers) leave the grammar
    no silence to end a phrase in, so the decoder returns a half-phrase ("yes it") instead."""
    if seconds <= 0:
        return samples
    n = int(seconds * vad.RATE)
    # Low-level deterministic dither, not zeros: log energy of digital silence upsets the features.
    quiet = (np.random.default_rng(0).integers(-2, 3, n)).astype(np.int16)
    return np.concatenate([quiet, samples, quiet])


class SphinxRecognizer:
    """Grammar-constrained pocketsphinx with voice-activity and out-of-grammar rejection."""

    name = NAME

    def __init__(self, max_gap: float = MAX_GAP_PER_FRAME, garbage: float = GARBAGE_ENTER,
                 garbage_loop: float = GARBAGE_LOOP, word_prob: float | None = None, pad_s: float = PAD_S,
                 **config: Any) -> None:
        try:
            from pocketsphinx import Decoder
        except ImportError as exc:  # pragma: no cover - a broken install
            raise RecognizerError(f"pocketsphinx is not installed: {exc}") from exc
        model = _model_dir() / "en-us"
        self.max_gap = max_gap
        self.garbage = garbage
        self.garbage_loop = garbage_loop
        self.word_prob = word_prob
        self.pad_s = pad_s
        try:
            self._decoder: Any = Decoder(
                hmm=str(model / "en-us"), dict=str(model / "cmudict-en-us.dict"), lm=None,
                loglevel="FATAL", samprate=vad.RATE, fillprob=FILLER_PROB, **config,
            )
            for phone in PHONES:
                self._decoder.add_word(GARBAGE_PREFIX + phone.lower(), phone, False)
            self._decoder.add_allphone_file("phones", str(model / "en-us-phone.lm.bin"))
        except (RuntimeError, ValueError) as exc:
            raise RecognizerError(f"pocketsphinx could not load its model from {model}: {exc}") from exc
        self._searches: OrderedDict[tuple[str, ...], tuple[str, tuple[str, ...]]] = OrderedDict()
        self._serial = 0
        self._lm_loaded = False

    # --- grammar ----------------------------------------------------------------------------------

    def known(self, word: str) -> bool:
        return self._decoder.lookup_word(word) is not None

    def _search_for(self, phrases: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
        """The compiled search for a phrase list, and the phrases it accepts (those in the dictionary)."""
        cached = self._searches.get(phrases)
        if cached is not None:
            self._searches.move_to_end(phrases)
            return cached
        usable = tuple(p for p in phrases if all(self.known(w) for w in p.split()))
        if not usable:
            raise RecognizerError(
                f"pocketsphinx knows none of the phrases {list(phrases)[:5]}: no word of them is in its dictionary"
            )
        self._serial += 1
        name = f"grammar{self._serial}"
        start, final, transitions = phrase_automaton(usable, self.word_prob)
        if self.garbage > 0:
            add_garbage(start, final, transitions, self.garbage, self.garbage_loop)
        fsg = self._decoder.create_fsg(name, start, final, transitions)
        self._decoder.add_fsg(name, fsg)
        self._searches[phrases] = (name, usable)
        if len(self._searches) > CACHE_SIZE:
            old, _ = self._searches.popitem(last=False)[1]
            self._decoder.remove_search(old)
        return name, usable

    def _free_search(self) -> str:
        if not self._lm_loaded:
            self._decoder.add_lm_file("free", str(_model_dir() / "en-us" / "en-us.lm.bin"))
            self._lm_loaded = True
        return "free"

    # --- decoding ---------------------------------------------------------------------------------

    def decode(self, search: str, samples: npt.NDArray[np.int16]) -> Decoding:
        d = self._decoder
        d.activate_search(search)
        d.start_utt()
        d.process_raw(pad(samples, self.pad_s).tobytes(), no_search=False, full_utt=True)
        d.end_utt()
        hyp = d.hyp()
        frames = int(d.n_frames())
        if hyp is None:
            return Decoding((), -math.inf, 0, frames)
        words: list[str] = []
        speech = 0
        for seg in d.seg():
            word = str(seg.word)
            if word.startswith(("<", "[")) or word in ("SIL", "+NSN+", "+SPN+"):
                continue
            words.append(word.split("(")[0])  # "word(2)" is an alternative pronunciation
            speech += int(seg.end_frame) - int(seg.start_frame) + 1
        score = math.log(hyp.score) / math.log(LOGBASE) if hyp.score > 0 else -math.inf
        return Decoding(tuple(words), score, speech, frames)

    def gap(self, grammar: Decoding, samples: npt.NDArray[np.int16]) -> float:
        """Per-speech-frame score the grammar path loses against the free phone loop (>= 0 usually)."""
        phones = self.decode("phones", samples)
        return (phones.score - grammar.score) / max(grammar.speech_frames, 1)

    def transcribe(self, samples: npt.NDArray[np.int16], phrases: Sequence[str] | None) -> Transcript:
        start = time.perf_counter()
        audio_s = len(samples) / vad.RATE

        def result(status: Status, text: str = "", confidence: float = 0.0) -> Transcript:
            return Transcript(text, status, confidence, NAME, audio_s, time.perf_counter() - start)

        if not vad.detect(samples).speech:
            return result(Status.NO_INPUT)
        if phrases is None:
            free = self.decode(self._free_search(), samples)
            return result(Status.OK, " ".join(free.words), 1.0) if free.words else result(Status.NO_INPUT)
        allowed = phrase_set(phrases)
        if not allowed:
            raise RecognizerError("the phrase list for this question is empty")
        search, usable = self._search_for(allowed)
        grammar = self.decode(search, samples)
        if not grammar.words:
            return result(Status.NO_INPUT)
        if any(w.startswith(GARBAGE_PREFIX) for w in grammar.words):
            return result(Status.NO_MATCH)
        text = " ".join(grammar.words)
        if text not in usable:  # cannot happen with a strict grammar; never trust it blindly
            return result(Status.NO_MATCH)
        gap = self.gap(grammar, samples)
        if gap > self.max_gap:
            return result(Status.NO_MATCH, confidence=max(0.0, 1.0 - gap / GAP_SCALE))
        return result(Status.OK, text, max(0.0, min(1.0, 1.0 - gap / GAP_SCALE)))
