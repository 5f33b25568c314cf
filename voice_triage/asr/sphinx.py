"""pocketsphinx backend: the fallback that needs no download (its wheel ships a US English model).

A grammar decoder always answers with one of its phrases, whatever it heard. So three checks stand
between audio and an answer:

1. the voice-activity gate (``vad.py``): no voiced speech → ``no_input``;
2. the grammar decoding (the question's phrases as a minimal word automaton) must end in a whole
   phrase (``complete_phrase``) → else ``no_match``;
3. verification by an independent, unconstrained decoding of the same audio with the model's
   general English language model: the phrase is accepted only when that decoding heard at least
   half of the phrase's words (``MIN_CONFIRMED``) → else ``no_match``.

Why 3 and not the alternatives (measured on half the speech-commands clips, the other half held
out; numbers in the README and from ``make bench-voice``): a phone-loop comparison of acoustic
scores overlapped too much between right answers and other words (rejecting 2/3 of other words
also rejected 1/4 of real yes/no); a phone loop inside the grammar decoded 25x slower than real
time; filler alternatives had no effect. The free decoding rejected every other word and every
noise clip that passed the gate, at the cost of reprompting more real answers.
"""

from __future__ import annotations

import functools
import math
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ..audio import vad
from ..content import check_keys, get_str, load_data_file, where
from ..errors import ContentError, RecognizerError
from .base import Status, Stopwatch, Transcript, constraint

NAME: Final = "pocketsphinx"
#: Share of a phrase's words (rounded up) the free decoding must also have heard. 0.5: one word of
#: a one- or two-word answer, two of "i'm not sure". Higher reprompts more real multi-word answers;
#: lower lets a shared small word ("i", "it") confirm a wrong phrase.
MIN_CONFIRMED: Final = 0.5
#: Verify every grammar result by free decoding (step 3 above). On, it rejected almost every other
#: word (3.6%) but also half the real answers (human yes 57%, no 53%; espeak 30%), so a person would
#: be asked again and again. Off by default: out-of-grammar words are rejected instead by garbage
#: competitors in the grammar (grammars/rejection.yaml), measured yes 86% / no 82%, other words 3.6%,
#: zero yes/no swaps.
VERIFY: Final = False
#: Add the common-word competitors of grammars/rejection.yaml to every constrained grammar.
GARBAGE: Final = True
#: Trailing words of an unfinished phrase that may be dropped to reach a complete one.
MAX_DROPPED: Final = 1
#: Quiet padding either side of the audio (see ``pad``); 0 measured best on cut-off clips.
PAD_S: Final = 0.0
#: Grammar searches kept compiled (one per distinct phrase list; questions reuse a few lists).
CACHE_SIZE: Final = 16
#: Filler (noise) insertion probability in grammar searches: lets the [NOISE] filler absorb clatter
#: between words instead of a short word. pocketsphinx's default is 1e-8.
FILLER_PROB: Final = 1e-2
#: Free-decoding search: no second passes (fwdflat, bestpath) and few word exits per frame. Measured
#: on the tuning clips: 0.58 → 0.42 x real time, with the same answers on all but 2 of 166 clips.
FREE_SEARCH: Final = {"fwdflat": False, "bestpath": False, "maxwpf": 10}

#: Every pocketsphinx recognizer of this process, weakly held, so that ``reset_adaptation`` can reach
#: the one inside whatever wrappers (spotter, second opinion) a caller was handed.
_OPEN: Final[weakref.WeakSet[SphinxRecognizer]] = weakref.WeakSet()


def reset_adaptation() -> None:
    """Forget what every pocketsphinx decoder of this process adapted to: call it when a session starts.

    The front end keeps state from one utterance to the next (measured: 8 of 129 test clips decoded
    differently in reverse order, 27 of 129 in free dictation; 0 after a reset), so without this a
    replayed session's transcripts depend on what the process decoded before it and on which worker
    ran it. Within a session the state still carries, as it would live: resetting before every
    utterance instead cost 9 of 460 right answers on the tests/wav clips (188 against 197).
    """
    for recognizer in list(_OPEN):
        recognizer.reset()


@dataclass(frozen=True)
class Segment:
    """One word (or phone) of a decoding, its frames [start, end) and acoustic log-likelihood."""

    word: str
    start: int
    end: int
    ascore: float
    filler: bool


@dataclass(frozen=True)
class Decoding:
    """One decoding of an utterance: its words (fillers removed) and all segments."""

    words: tuple[str, ...]
    segments: tuple[Segment, ...]


@functools.cache
def load_garbage_words(file: str = "rejection.yaml") -> tuple[str, ...]:
    """The out-of-grammar competitor words (grammars/rejection.yaml), loaded strictly."""
    doc = load_data_file(file)
    check_keys(doc, file, "", ["garbage_words"])
    words = tuple(dict.fromkeys(get_str(doc, "garbage_words", file, "").split()))
    for word in words:
        if not word.isascii() or not word.replace("'", "").isalpha() or word != word.lower():
            raise ContentError(file, where(doc, "garbage_words"), f"{word!r} is not a lower-case word")
    return words


def _model_dir() -> Path:
    from pocketsphinx import get_model_path

    return Path(get_model_path())


Transition = tuple[int, int, float, str]


def phrase_automaton(phrases: Sequence[str]) -> tuple[int, int, list[Transition]]:
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
        prob = 1.0 / max(len(targets), 1)
        transitions.extend((src, dst, prob, word) for word, dst in targets)
    return start, final, transitions


def pad(samples: npt.NDArray[np.int16], seconds: float) -> npt.NDArray[np.int16]:
    """Quiet padding either side: clips cut off mid-word (recorders, endpointers) leave the grammar
    no silence to end a phrase in, so the decoder returns a half-phrase ("yes it") instead."""
    if seconds <= 0:
        return samples
    n = int(seconds * vad.RATE)
    # Low-level deterministic dither, not zeros: log energy of digital silence upsets the features.
    quiet = (np.random.default_rng(0).integers(-2, 3, n)).astype(np.int16)
    return np.concatenate([quiet, samples, quiet])


def complete_phrase(words: Sequence[Segment], phrases: Sequence[str]) -> list[Segment]:
    """The words if they form a phrase, else their longest prefix that does (dropping at most
    ``MAX_DROPPED`` trailing words), else nothing.

    The grammar search returns its best path even when that path has not reached the end of a
    phrase: on clips cut short or with a noisy tail it appends a short word ("yes it", "stop the")
    that opens a longer phrase. The complete phrase before it is what was said; the acoustic check
    that follows still has to accept it.
    """
    allowed = set(phrases)
    for cut in range(len(words), max(len(words) - MAX_DROPPED, 1) - 1, -1):
        if " ".join(w.word for w in words[:cut]) in allowed:
            return list(words[:cut])
    return []


class SphinxRecognizer:
    """Grammar-constrained pocketsphinx with a voice gate and verification by free decoding."""

    name = NAME

    def __init__(self, min_confirmed: float = MIN_CONFIRMED, pad_s: float = PAD_S, verify: bool = VERIFY,
                 garbage: bool = GARBAGE, **config: Any) -> None:
        try:
            from pocketsphinx import Decoder
        except ImportError as exc:  # pragma: no cover - a broken install
            raise RecognizerError(f"pocketsphinx is not installed: {exc}") from exc
        model = _model_dir() / "en-us"
        self.min_confirmed = min_confirmed
        self.pad_s = pad_s
        self.verify = verify
        self.garbage = garbage
        settings: dict[str, Any] = {"fillprob": FILLER_PROB, **FREE_SEARCH, **config}
        try:
            self._decoder: Any = Decoder(
                hmm=str(model / "en-us"), dict=str(model / "cmudict-en-us.dict"), lm=None,
                loglevel="FATAL", samprate=vad.RATE, **settings,
            )
        except (RuntimeError, ValueError) as exc:
            raise RecognizerError(f"pocketsphinx could not load its model from {model}: {exc}") from exc
        self._searches: OrderedDict[tuple[str, ...], tuple[str, tuple[str, ...]]] = OrderedDict()
        self._serial = 0
        self._lm_loaded = False
        _OPEN.add(self)

    def reset(self) -> None:
        """Back to the state of a new decoder for what comes next (the compiled searches are kept)."""
        try:
            self._decoder.reinit_feat()
        except (RuntimeError, ValueError) as exc:  # pragma: no cover - the config that loaded is reread
            raise RecognizerError(f"pocketsphinx could not reset its front end: {exc}") from exc

    # --- grammar ----------------------------------------------------------------------------------

    def known(self, word: str) -> bool:
        return self._decoder.lookup_word(word) is not None

    def search_for(self, phrases: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
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
        start, final, transitions = phrase_automaton(usable)
        self._decoder.add_fsg(name, self._decoder.create_fsg(name, start, final, transitions))
        self._searches[phrases] = (name, usable)
        if len(self._searches) > CACHE_SIZE:
            old, _ = self._searches.popitem(last=False)[1]
            self._decoder.remove_search(old)
        return name, usable

    def garbage_for(self, allowed: Sequence[str]) -> tuple[str, ...]:
        """Competitor words for a phrase list: the rejection list minus any word of an answer."""
        answer_words = {w for phrase in allowed for w in phrase.split()}
        return tuple(w for w in load_garbage_words() if w not in answer_words and self.known(w))

    def free_search(self) -> str:
        """The unconstrained search (general English language model), loaded on first use."""
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
        if d.hyp() is None:
            return Decoding((), ())
        segments = []
        for seg in d.seg():
            # Scores come back as probabilities (logmath.exp); per segment they stay far above the
            # double underflow limit, so their logs are the segment's acoustic log-likelihood.
            ascore = math.log(seg.ascore) if seg.ascore > 0 else -1e9
            word = str(seg.word).split("(")[0]  # "word(2)" is an alternative pronunciation
            filler = word.startswith(("<", "[", "+")) or word == "SIL"
            segments.append(Segment(word, int(seg.start_frame), int(seg.end_frame) + 1, ascore, filler))
        return Decoding(tuple(s.word for s in segments if not s.filler), tuple(segments))

    def confirmed(self, phrase: Sequence[str], free: Sequence[str]) -> float:
        """Share of the phrase's words that the free decoding heard too."""
        heard = set(free)
        return sum(w in heard for w in phrase) / max(len(phrase), 1)

    def transcribe(self, samples: npt.NDArray[np.int16], phrases: Sequence[str] | None) -> Transcript:
        result = Stopwatch(NAME, len(samples) / vad.RATE)
        allowed = constraint(phrases)
        if not vad.detect(samples).speech:
            return result(Status.NO_INPUT)
        if allowed is None:
            free = self.decode(self.free_search(), samples)
            return result(Status.OK, " ".join(free.words), 1.0) if free.words else result(Status.NO_INPUT)
        competitors = self.garbage_for(allowed) if self.garbage else ()
        search, usable = self.search_for(tuple(allowed) + competitors)
        grammar = self.decode(search, samples)
        if not grammar.words:
            return result(Status.NO_INPUT)
        kept = [seg.word for seg in complete_phrase([s for s in grammar.segments if not s.filler], usable)]
        if not kept:
            return result(Status.NO_MATCH)
        if " ".join(kept) in competitors:
            return result(Status.NO_MATCH, " ".join(kept))  # what it sounded like, for reports
        if not self.verify:
            return result(Status.OK, " ".join(kept), 1.0)
        share = self.confirmed(kept, self.decode(self.free_search(), samples).words)
        if share < self.min_confirmed:
            return result(Status.NO_MATCH, confidence=share)
        return result(Status.OK, " ".join(kept), share)
