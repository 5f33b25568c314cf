"""The records understanding produces, shared by every nlu module and the dialogue.

``Understanding`` is what one utterance meant: an answer (or command), whether that answer was
hedged, a rate change, and the findings it stated, each with its polarity and the clause it came
from. Each record serialises itself (``as_json``); the keys are the ``understand --json`` contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final


class Answer(str, Enum):
    """What a reply does for the question: answers it, or steers the conversation."""

    YES = "yes"
    NO = "no"
    UNSURE = "unsure"
    REPEAT = "repeat"
    HELP = "help"
    STOP = "stop"
    EMERGENCY = "emergency"  # an explicit request for emergency help (spec rule 8)
    CORRECT = "correct"  # takes back the previous answer: ask that question again


class RateChange(str, Enum):
    """How the person asks the voice to change: its speed or its loudness."""

    SLOWER = "slower"
    FASTER = "faster"
    LOUDER = "louder"
    QUIETER = "quieter"


class QuestionKind(str, Enum):
    """How a question is answered (and which phrases a recognizer listens for)."""

    OPEN = "open"
    YES_NO = "yes_no"
    CONFIRM = "confirm"

    def __str__(self) -> str:  # front ends print and compare the bare value ("yes_no")
        return self.value


#: Allowed values, derived from the enums (the grammar's required sections).
ANSWER_KINDS: tuple[str, ...] = tuple(a.value for a in Answer)
RATE_KINDS: tuple[str, ...] = tuple(r.value for r in RateChange)


@dataclass(frozen=True)
class FindingMatch:
    """A finding mentioned in the utterance. ``score`` is 0-1; ``span`` is the words that said it;
    ``clause`` the clause it was read in; ``at`` its first and last token positions (internal)."""

    id: str
    present: bool
    score: float
    span: str
    clause: str = ""
    at: tuple[int, int] = field(default=(-1, -1), compare=False)
    #: Said with doubt ("I might have a fever"): reported present, recorded as unsure. On an absent
    #: finding: denied with doubt ("I don't think I've lost weight"), a hedged no.
    hedged: bool = False
    #: Absent only because a negation is missing ("I can pee" for the phrase "can't pee"): one
    #: "n't" a speech recognizer may have dropped, so a spoken reply does not rule it out.
    fragile: bool = False
    #: An absent reading that answers only its own question: "a few days" answers "has the pain
    #: lasted more than 4 weeks?", but said of a fever it rules nothing out.
    own_question_only: bool = False
    #: One of its words came from the question asked, not from the reply ("I can't hold it" on
    #: the bladder question): never a denial, and dropped when the reply is doubt or a command.
    supplied: bool = False
    #: Absent only through a contracted "n't" ("I haven't had a fever"): in a transcript that may
    #: be a misheard "have", so a spoken denial resting on it is checked before it is trusted.
    contracted: bool = False
    #: Said of a time that is over ("I had a bladder problem years ago but not now"): absent for
    #: its own question only (nlu/tense.py).
    past: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "present": self.present, "score": round(self.score, 3), "span": self.span,
                "clause": self.clause, "hedged": self.hedged, "past": self.past}


@dataclass(frozen=True)
class Understanding:
    text: str
    answer: Answer | None
    findings: tuple[FindingMatch, ...]
    rate: RateChange | None
    #: A conventional negative ("not really", "I don't think so"): a no, checked once on an
    #: emergency question (clinical-spec.md, Questions).
    hedged: bool = False
    #: The answer came from the findings alone (no answer word): "I've been leaking" is a yes.
    derived: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "answer": self.answer.value if self.answer else None,
            "findings": [f.as_json() for f in self.findings],
            "rate": self.rate.value if self.rate else None,
            "hedged": self.hedged,
        }


#: Words of ability and awareness: the plain form of a "can't" or "don't know" phrase said with
#: one is a denial ("I can pee", "I know when I need to go"), where a plain form without one says
#: nothing either way ("it just comes out" is no "nothing comes out").
#: Not "feel": "it does feel a bit odd" is no plain "I can feel it".
#: Third persons too: a carer says "he knows when he needs to go".
ABILITY: Final = frozenset(("can", "could", "able", "know", "knows", "knew", "tell", "tells"))
#: Words that make it a limit, not a denial: "I only know when I'm bursting".
LIMITS: Final = frozenset(("only", "just", "barely", "hardly", "scarcely", "sometimes", "not", "odd", "different"))


def able(words: list[str], finding: FindingMatch) -> bool:
    """``finding``'s words (of the utterance's normalised ``words``) say what the person can do or
    is aware of, without a limit on it."""
    said = words[max(0, finding.at[0] - 2) : finding.at[1] + 1]
    return not ABILITY.isdisjoint(said) and LIMITS.isdisjoint(said)
