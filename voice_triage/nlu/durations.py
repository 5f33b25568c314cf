"""How long the pain has lasted, read from a number and a unit anywhere in an utterance.

"About six weeks", "a couple of days", "3 months", "for years": the amount is the number word
before the unit (digits are words by then, grammars/negation.yaml `numbers`), up to two small
words back ("a good few weeks"). Any duration at or over the threshold makes the finding present;
durations that are all shorter make it absent ("it's been about a week"), but only in a short
reply (the answer to "has it lasted more than 4 weeks?"), never in a description, where a short
duration may be about anything. A point in time is not a duration ("two years ago", "last year"),
and a duration in a clause about another finding ("on steroids for years") is that finding's. A
longer history with a short new bout ("on and off for years, this time since last week") reads
present: the longer reading is the safer one. No number ("a long time", "ages") is no duration. In a
short reply only, when it started is how long it has lasted: "since Saturday", "yesterday", "it
started last week" (``since``; "last month" reads about four weeks, so at the threshold: present).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ..content import LineDict
from ..errors import ContentError
from .base import FindingMatch
from .lexicon import Token

#: Small words allowed between the amount and the unit ("a couple of weeks", "a good few months").
GAP_WORDS: Final = frozenset(("of", "good", "or", "so", "more", "than", "over", "about", "the", "nearly", "almost"))
#: A unit with no amount word: a plural counts as two ("for months", "for years").
PLURAL_ALONE: Final = 2
#: Words after a unit that make it a point in time, and words before it that do.
AFTER_POINT: Final = frozenset(("ago", "back"))
BEFORE_POINT: Final = frozenset(("last", "this", "next", "every", "per", "a", "each"))
#: Words that make a point in time the start of the pain ("since Saturday", "it started last week").
BEGAN: Final = frozenset(("since", "started", "start", "starts", "began", "begun", "from", "came", "come"))
#: A reply this short that names a day is saying when it began ("only Tuesday").
POINT_ALONE_WORDS: Final = 3
#: Longest reply (in words) whose short duration rules the finding out: a reply, not a description.
REPLY_MAX_WORDS: Final = 8


@dataclass(frozen=True)
class DurationReader:
    finding: str
    threshold_weeks: float
    amounts: Mapping[str, float]
    units: Mapping[str, float]
    #: Days a short reply may say the pain started on ("since Saturday", "yesterday"), with how
    #: many weeks ago that is at most.
    since: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_doc(cls, doc: Any, file: str) -> DurationReader | None:
        if doc is None:
            return None
        required = {"finding", "weeks", "amounts", "units"}
        if not isinstance(doc, LineDict) or not required <= set(doc) <= required | {"since"}:
            raise ContentError(file, "durations", "expected finding, weeks, amounts and units (and since)")
        try:
            amounts = {str(k): float(v) for k, v in doc["amounts"].items()}
            units = {str(k): float(v) for k, v in doc["units"].items()}
            since = {str(k): float(v) for k, v in (doc.get("since") or {}).items()}
            return cls(str(doc["finding"]), float(doc["weeks"]), amounts, units, since)
        except (TypeError, ValueError, AttributeError) as exc:
            raise ContentError(file, "durations", f"expected numbers: {exc}") from None

    @staticmethod
    def _began(words: list[str], i: int) -> bool:
        """The point in time at ``i`` is when the pain began: said with "since" or "started", or
        alone ("yesterday"); "I went to A&E last year" says when something else happened."""
        if i and words[i - 1] == "good":
            return False  # "good morning" is a greeting
        return len(words) <= POINT_ALONE_WORDS or not BEGAN.isdisjoint(words[max(0, i - 3) : i])

    def read(self, tokens: list[Token], elsewhere: frozenset[int] = frozenset()) -> FindingMatch | None:
        """The finding, present or absent, when a duration is said; None when none is.
        ``elsewhere``: token positions of clauses about other findings (their durations are theirs)."""
        words = [t.word for t in tokens]
        spans: list[tuple[float, int, int]] = []
        points: list[tuple[float, int, int]] = []
        if len(words) <= REPLY_MAX_WORDS:
            points.extend((self.since[w], i, i) for i, w in enumerate(words)
                          if w in self.since and i not in elsewhere and self._began(words, i))
        for i, word in enumerate(words):
            if word not in self.units or i in elsewhere:
                continue
            if i + 1 < len(words) and words[i + 1] in AFTER_POINT:
                continue  # "two years ago": when, not how long
            amount, start = None, i
            for j in range(i - 1, max(-1, i - 4), -1):
                if words[j] in self.amounts and not (j > 0 and words[j - 1] in BEFORE_POINT and words[j] == "one"):
                    amount, start = self.amounts[words[j]], j
                    break
                if words[j] not in GAP_WORDS:
                    break
            if amount is None:
                if (i > 0 and words[i - 1] in ("last", "this") and len(words) <= REPLY_MAX_WORDS
                        and self._began(words, i - 1)):
                    # "it started last week", "since last month": when it began, in a short
                    # reply, is how long it has lasted (about one of the unit).
                    points.append((self.units[word], i - 1, i))
                if not word.endswith("s") or (i > 0 and words[i - 1] in BEFORE_POINT):
                    continue  # "this week", "last year": a point in time
                amount = PLURAL_ALONE
            elif start > 0 and words[start - 1] in ("last", "this", "next") and amount == 1:
                continue  # "last week" is when it started, not how long (its "a" never counted)
            spans.append((amount * self.units[word], start, i))
        spans = spans or points
        if not spans:
            return None
        longest, start, end = max(spans)
        present = longest >= self.threshold_weeks
        if not present and len(words) > REPLY_MAX_WORDS:
            return None
        shown = " ".join(t.shown for t in tokens[start : end + 1] if t.shown)
        return FindingMatch(self.finding, present, 1.0, shown, shown, (tokens[start].at, tokens[end].at),
                            own_question_only=not present)
