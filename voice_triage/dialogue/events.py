"""The conversation's records: the events a front end renders and the steps the plan is made of.

``dialogue.Conversation`` returns lists of ``Event``: ``Say`` (words to speak or print), ``Ask``
(a question waiting for an answer), ``RateChanged``, ``Decided`` and ``End``. ``Step`` is one
question as the conversation puts it (a question from the file, a follow-up, a read-back); ``Role``,
``Reply`` and ``Status`` are the closed sets the plan (dialogue_plan.py) reasons with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Final, Protocol

from ..clinical.rules import Decision, Findings
from ..nlu.matcher import Understanding
from .questions import QuestionKind


class Matcher(Protocol):
    """The seam to ``intent.Matcher``: words in, an ``Understanding`` out."""

    def understand(self, text: str, topic: Sequence[str] = ...) -> Understanding: ...


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Ask:
    question: str
    kind: QuestionKind
    asks_about: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class RateChanged:
    """The voice changes: ``rate`` a factor of the starting speed, ``volume`` a fraction (0-1] of
    the starting loudness (the start is the loudest: a louder voice than that can only come from
    the device)."""

    rate: float
    volume: float = 1.0


class EndReason(str, Enum):
    """Why a conversation ended (the ``end`` event; ``complete`` is true only for COMPLETED)."""

    COMPLETED = "completed"  # every question worth asking was answered
    STOPPED = "stopped"  # the person said stop
    END_OF_INPUT = "end_of_input"  # hung up, closed the stream, stayed silent for good
    INTERRUPTED = "interrupted"  # Ctrl-C or a signal
    EMERGENCY = "emergency"  # a threat to life or a request for help: the emergency advice at once


@dataclass(frozen=True)
class Decided:
    """The decision; its words come just before as ``Say`` events (advice, why, safety net).

    ``spoken`` is the advice actually said: after an early end it is never the self-care advice
    (rule 9), and ``complete`` is false.
    """

    decision: Decision
    findings: Findings
    complete: bool = True
    spoken: str = ""
    reason: EndReason = EndReason.COMPLETED


    @property
    def present(self) -> tuple[str, ...]:
        return self.findings.present

    @property
    def absent(self) -> tuple[str, ...]:
        return self.findings.absent

    @property
    def unsure(self) -> tuple[str, ...]:
        return self.findings.unsure


@dataclass(frozen=True)
class End:
    reason: EndReason = EndReason.COMPLETED


Event = Say | Ask | RateChanged | Decided | End


class Role(str, Enum):
    OPEN = "open"
    MAIN = "main"  # a yes/no question from the file, often about several findings
    FOLLOW = "follow"  # which finding a "yes" to a group was about
    CONFIRM = "confirm"  # read-back of an emergency finding before acting on it
    RECHECK = "recheck"  # the direct question again, after a "no" to a read-back
    REGROUP = "regroup"  # the group again, after a "yes" then "no" to every part
    READBACK = "readback"  # non-emergency findings from the description, confirmed before they count
    CHECK = "check"  # a hedged "no" to an emergency question, asked once more


class Reply(str, Enum):
    """What an answer comes to for the question it answers (commands are handled before this)."""

    YES = "yes"
    NO = "no"
    UNSURE = "unsure"
    UNANSWERED = "unanswered"


class Status(str, Enum):
    """Where a finding stands after the answers so far (unknown findings have no status)."""

    ABSENT = "absent"
    UNSURE = "unsure"
    PRESENT = "present"


#: A finding's status only ever moves up this order: doubt never lowers what was affirmed.
WEIGHT: Final = {Status.ABSENT: 0, Status.UNSURE: 1, Status.PRESENT: 2}


@dataclass(frozen=True)
class Step:
    """One question as the conversation puts it, with its rephrasing and help (locale applied)."""

    role: Role
    id: str
    kind: QuestionKind
    asks_about: tuple[str, ...]
    text: str
    retry: str
    help: str
    example: str | None = None
