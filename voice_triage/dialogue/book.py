"""The question book's records: questions, probes and every sentence the conversation says.

``questions.py`` loads and validates ``grammars/questions.yaml`` into these; the conversation
(``dialogue.py``) and the front ends read them. Kept apart from the loader so that the records and
the question ids a front end may meet (``probe_id``, ``confirm_id``) can be read on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final

from ..clinical.catalogue import Locale, Rulebook, Tier

# Defined with the other shared records (nlu/base.py: the grammar needs it too); re-exported here.
from ..nlu.base import QuestionKind as QuestionKind


class Section(str, Enum):
    """The order of the yes/no questions (the issue's flow): a file must keep it."""

    OPEN = "open"
    EMERGENCY = "emergency"
    LEGS = "legs"
    INJURY = "injury"
    PAIN = "pain"
    HEALTH = "health"
    HISTORY = "history"
    DURATION = "duration"


@dataclass(frozen=True)
class Wording:
    """One sentence in UK and US wording (often the same)."""

    uk: str
    us: str

    def get(self, locale: Locale) -> str:
        return self.uk if locale is Locale.UK else self.us


@dataclass(frozen=True)
class Question:
    id: str
    kind: QuestionKind
    section: Section
    asks_about: tuple[str, ...]
    text: Wording
    help: Wording
    retry: Wording | None
    example: Wording | None


@dataclass(frozen=True)
class Probe:
    """The direct question about one finding: a follow-up, a re-check, a confirmation."""

    finding: str
    ask: Wording
    retry: Wording
    confirm: Wording | None


#: The keys of ``phrases`` in questions.yaml that are single sentences (the rest are pairs/tables).
PHRASE_KEYS: Final = ("intro", "retry", "regroup", "unanswered", "slower", "faster", "louder", "quieter", "loudest",
                      "stopped", "offer_repeat", "goodbye", "readback", "check", "go_back", "incomplete",
                      "acknowledge")


@dataclass(frozen=True)
class Phrases:
    texts: dict[str, Wording]  # the keys of PHRASE_KEYS
    no_input: tuple[Wording, Wording]
    no_match: tuple[Wording, Wording]
    how_to_answer: dict[QuestionKind, Wording]
    example: dict[QuestionKind, Wording]

    def say(self, key: str, locale: Locale) -> str:
        return self.texts[key].get(locale)


@dataclass(frozen=True)
class QuestionBook:
    questions: tuple[Question, ...]
    probes: dict[str, Probe]
    phrases: Phrases

    @property
    def open(self) -> Question:
        return self.questions[0]

    @property
    def yes_no(self) -> tuple[Question, ...]:
        return self.questions[1:]

    def question_ids(self) -> tuple[str, ...]:
        """Every id an ``Ask`` can carry: the questions, then each finding's follow-up and confirmation."""
        ids = [question.id for question in self.questions]
        for probe in self.probes.values():
            ids.append(probe_id(probe.finding))
            if probe.confirm is not None:
                ids.append(confirm_id(probe.finding))
        return tuple(ids)


def probe_kind(book: Rulebook, finding_id: str) -> QuestionKind:
    """A direct question about an emergency finding confirms it; any other is a plain yes/no."""
    return QuestionKind.CONFIRM if book.findings[finding_id].tier is Tier.EMERGENCY else QuestionKind.YES_NO


def probe_id(finding_id: str) -> str:
    """The question id of the direct question about one finding (a follow-up or a re-check)."""
    return f"ask_{finding_id}"


def confirm_id(finding_id: str) -> str:
    """The question id of the read-back confirmation of an emergency finding."""
    return f"confirm_{finding_id}"
