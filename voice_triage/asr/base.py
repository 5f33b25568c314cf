"""What every recognizer shares: the ``Recognizer`` protocol, the ``Transcript`` it returns, its
statuses, and the one normal form phrases are compared in.

Backends (``sphinx``, ``vosk``, ``spotter``, ``moonshine``) import this module, never the factory
that picks them, so the factory can import them without a cycle.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Final, Protocol

from ..errors import RecognizerError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


#: A yes or no the constrained backend heard with less confidence than this is heard again by the
#: open-vocabulary one. On the held-out spoken answers, pocketsphinx's wrong yes/no (a "yes, that's
#: right" heard as "no", "can you say that again?" as "yes") scored 0.48-0.65 and most right ones
#: 0.7-1.0; on the real people's clips 8 of 130 yes/no scored below it, so the slower path runs on
#: about one turn in 16. Higher: more turns pay Moonshine's 0.1-0.3 s; lower: more wrong ones pass.
#: Set on pocketsphinx's scale (Vosk's word confidences run higher, so it would check fewer).
#: The turn driver trusts a phrase heard at or above it against an open reply that answers nothing
#: (``session.turn.accounts_for``).
CROSS_CHECK_BELOW: Final = 0.8


class Status(str, Enum):
    """What a recognizer made of one utterance."""

    OK = "ok"
    NO_INPUT = "no_input"  # no speech in the audio
    NO_MATCH = "no_match"  # speech that does not fit the question's phrases


class Kind(str, Enum):
    AUTO = "auto"
    VOSK = "vosk"
    POCKETSPHINX = "pocketsphinx"


@dataclass(frozen=True)
class Transcript:
    """One recognition result. ``text`` is what was heard: the phrase when ``status`` is ``ok``, the
    backend's best guess (possibly empty) when it is ``no_match``, empty for ``no_input``.

    ``open_text`` is what an open-vocabulary recognizer wrote for the same audio when it listened
    again (``factory.SecondOpinion``: after a no-match or a steering phrase), in any words and
    normalised; empty when none listened. It is not an answer: the turn driver
    (``session/turn.py``) decides whether the NLU's reading of it may stand for one.

    ``from_open`` says that ``text`` is that open reply, taken as the answer by the turn driver (not
    a phrase of the list): what it says is checked before it is trusted (``Conversation.hear``'s
    ``doubted``)."""

    text: str
    status: Status
    confidence: float
    recognizer: str
    audio_s: float
    decode_s: float
    open_text: str = ""
    from_open: bool = False

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "text": self.text,
            "status": self.status.value,
            "confidence": round(self.confidence, 3),
            "recognizer": self.recognizer,
            "audio_s": round(self.audio_s, 3),
            "decode_s": round(self.decode_s, 4),
        }
        if self.open_text:
            out["open_text"] = self.open_text
        if self.from_open:
            out["from_open"] = True
        return out


class Stopwatch:
    """Makes the Transcripts of one utterance, its decode time counted from this object's creation."""

    def __init__(self, recognizer: str, audio_s: float) -> None:
        self.recognizer = recognizer
        self.audio_s = audio_s
        self.start = time.perf_counter()

    def __call__(self, status: Status, text: str = "", confidence: float = 0.0) -> Transcript:
        return Transcript(text, status, confidence, self.recognizer, self.audio_s, time.perf_counter() - self.start)


class Recognizer(Protocol):
    """A speech recognizer constrained per call to a phrase list (``None``: free dictation)."""

    name: str

    def transcribe(self, samples: npt.NDArray[np.int16], phrases: Sequence[str] | None) -> Transcript: ...


_SPACE = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^a-z' ]+")


def normalise(text: str) -> str:
    """Lower case, letters and apostrophes only, single spaces: the form phrases are compared in."""
    return _SPACE.sub(" ", _NOT_WORD.sub(" ", text.lower().replace("’", "'"))).strip()


def collapse(words: str) -> str:
    """``"stop stop"`` → ``"stop"``: a word said again straight after itself counts once."""
    out: list[str] = []
    for word in words.split():
        if not out or out[-1] != word:
            out.append(word)
    return " ".join(out)


def phrase_set(phrases: Sequence[str]) -> tuple[str, ...]:
    """Normalised, de-duplicated phrases in their first-seen order, empties dropped."""
    seen: dict[str, None] = {}
    for phrase in phrases:
        norm = normalise(phrase)
        if norm:
            seen.setdefault(norm, None)
    return tuple(seen)


def constraint(phrases: Sequence[str] | None) -> tuple[str, ...] | None:
    """A question's phrase list ready for a backend: normalised, or None for free dictation.
    An empty list is a programming error, never silently "anything goes"."""
    if phrases is None:
        return None
    allowed = phrase_set(phrases)
    if not allowed:
        raise RecognizerError("the phrase list for this question is empty")
    return allowed
