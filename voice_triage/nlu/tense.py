"""When a finding was true: a past episode, one the person says is over, and pain that is improving.

The findings are about now ("new difficulty passing urine", "recent back operation", "pain not
improving"), but people answer with their history: "I had a bladder problem years ago but not now",
"I used to get sciatica", "it was awful at first but it's easing off now". Read as phrases, each of
those says the finding. This reader gives each present finding a time from the structure around it:

* A **past** marker ("years ago", "used to", "as a child", "in 2009") in the finding's clause, with
  no word of the present ("now", "still", "again") or a new clause between them, puts the finding
  in the past. So does an **over** marker ("not now", "it's cleared up", "nothing new") that is not
  itself negated ("it hasn't cleared up"), after the finding in its clause with no other body part or
  finding named between, or in a later clause about nothing else ("..., but that's settled now"): a
  clause naming a body part or a finding of its own is about that ("but my leg is fine now" says
  nothing of the bladder). Emergency findings the spec does not define as new (``guarded``) are put
  in the past only by an over marker.
* A finding put in the past answers its own question "no" (``own_question_only``): in a description
  it rules nothing out, so the question is still asked. Findings that stay true once true (a cancer,
  tuberculosis, injecting drugs; symptoms.yaml ``structure.lasting``) are never put in the past.
* An **improving** marker ("getting better", "easing off") not itself negated ("never gets better")
  rules out the findings about the pain's course (``structure.course``: not improving, getting worse),
  and nothing else: "it's in both legs but it's getting better" is still both legs.
* A **chronic** marker ("I've always had", "same as always") makes a finding on either side of it
  in its clause not new: in the past as above.
* A reply whose only words about the question say it is over ("not now", "nothing new") is a no;
  so is improving pain, to a question about the pain's course.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from .base import FindingMatch
from .findings import find_seqs
from .lexicon import Lexicon, Token

#: A year said as digits ("in 2009", "back in 1998") is a point in the past.
_YEAR: Final = re.compile(r"^(19|20)\d\d$")
_YEAR_BEFORE: Final = frozenset(("in", "since"))
#: Words before an over or improving marker that negate it ("it hasn't cleared up", "not really
#: any better"): how far back a negation reaches. Further reaches a cue about something else.
NEGATION_REACH: Final = 3
#: How far before a past marker an onset word ("started", "since") makes it a beginning.
ONSET_REACH: Final = 4
#: Words after a chronic marker that can say the past was well ("always been totally fine with
#: that"): a symptom said beside it is new, not chronic. Longer reaches a "fine" about something else.
CHRONIC_WELL_REACH: Final = 3


class TenseReader:
    """The lexicon's time markers and the structure's lasting, course and organ words."""

    def __init__(self, lex: Lexicon, lasting: frozenset[str], course: frozenset[str],
                 organ_words: dict[str, frozenset[str]], organ_of: dict[str, str],
                 other_parts: frozenset[str] = frozenset(), guarded: frozenset[str] = frozenset(),
                 fine: frozenset[str] = frozenset()) -> None:
        self.lex = lex
        self.fine = fine  # "she's always been fine": the past was well, so what is said now is new
        self.lasting = lasting
        self.course = course
        self.organ_words = organ_words
        self.organ_of = organ_of
        self.other_parts = other_parts  # "my back": a body part that is no organ of a finding
        # Emergency findings the spec does not define as new: only "it's gone now" puts them in the
        # past; "I've had numbness down there for years, always been like that" stays numbness.
        self.guarded = guarded
        # The first words of every marker: most replies have none, and skip the rest (hot path).
        self._starts = frozenset(seq[0] for seqs in (lex.past, lex.over, lex.chronic, lex.better)
                                 for seq in seqs if seq)

    def _negated(self, words: Sequence[str], start: int) -> bool:
        if words[start] in self.lex.cues:
            return False  # "not now", "nothing new": the marker is a negation itself
        return any(w in self.lex.cues for w in words[max(0, start - NEGATION_REACH) : start])

    def said_of(self, piece: list[Token], findings: list[FindingMatch]) -> tuple[set[str], set[str]]:
        """The organs a clause names and the findings read in it."""
        at = {t.at for t in piece}
        organs = {organ for t in piece for organ, words in self.organ_words.items() if t.word in words}
        return organs, {f.id for f in findings if f.at[0] in at and f.present and f.id not in self.course}

    def marks(self, tokens: list[Token], pieces: list[list[Token]], topic: frozenset[str] = frozenset()) -> Marks:
        """The time markers of one utterance (``pieces``: its clauses, as the finding reader splits them)."""
        words = [t.word for t in tokens]
        if self._starts.isdisjoint(words) and not any(_YEAR.match(w) for w in words):
            return Marks(self, pieces, topic, [], [], [], False, set(), set())
        past = find_seqs(words, self.lex.past)
        past += [(i, i + 1) for i, w in enumerate(words) if _YEAR.match(w) and i and words[i - 1] in _YEAR_BEFORE]
        # "it started a year ago", "ever since my fall years ago": when something current began.
        # "it never used to happen" says it is new: a negated past marker is none.
        past = [(s, e) for s, e in past if not self.lex.onset.intersection(words[max(0, s - ONSET_REACH) : s])
                and not self._negated(words, s)]
        overs = find_seqs(words, self.lex.over)
        over = [(s, e) for s, e in overs if not self._negated(words, s)]
        chronic = [(s, e) for s, e in find_seqs(words, self.lex.chronic) if not self._negated(words, s)
                   and self.fine.isdisjoint(words[e : e + CHRONIC_WELL_REACH])]
        better = [(s, e) for s, e in find_seqs(words, self.lex.better) if not self._negated(words, s)]
        inside_markers = {i for s, e in past + over + chronic for i in range(s, e)}
        current = {s for s, _ in find_seqs(words, self.lex.current) if s not in inside_markers}
        current |= {s for s, e in overs if (s, e) not in over}  # "it never went away": still now
        resets = {s for s, _ in find_seqs(words, self.lex.resets)}
        return Marks(self, pieces, topic, past, over, chronic, bool(better), current, resets)


class Marks:
    """One utterance's time markers, applied to its findings (see the module docstring)."""

    def __init__(self, reader: TenseReader, pieces: list[list[Token]], topic: frozenset[str],
                 past: list[tuple[int, int]], over: list[tuple[int, int]], chronic: list[tuple[int, int]],
                 better: bool, current: set[int], resets: set[int]) -> None:
        self.reader = reader
        self.pieces = pieces
        self.topic = topic
        self.past, self.over, self.chronic, self.better = past, over, chronic, better
        self.current, self.resets = current, resets
        self.piece_of = {t.at: n for n, piece in enumerate(pieces) for t in piece}
        self.topic_organs = {reader.organ_of[f] for f in topic if f in reader.organ_of}
        self._said: list[tuple[set[str], set[str]]] = []
        self._put_past: set[str] = set()
        self._mentions: list[FindingMatch] = []

    @staticmethod
    def _between(lo: int, hi: int, marks: set[int]) -> bool:
        return any(lo < m <= hi for m in marks)

    def _about_other(self, n: int, f: FindingMatch | None) -> bool:
        """Clause ``n`` names a finding or an organ of its own, not ``f``'s (or the question's)."""
        if not 0 <= n < len(self._said):
            return True
        organs, ids = self._said[n]
        of = self.reader.organ_of
        mine = {of[f.id]} if f is not None and f.id in of else set()
        return bool(ids - ({f.id} if f is not None else set()) or organs - mine - self.topic_organs)

    def _others_at(self, f: FindingMatch) -> set[int]:
        """Where another body part or another finding is named (what an over marker after them is about)."""
        of = self.reader.organ_of
        mine = self.reader.organ_words.get(of[f.id], frozenset()) if f.id in of else frozenset()
        parts = {t.at for piece in self.pieces for t in piece
                 if (t.word in self.reader.other_parts or any(t.word in ws for ws in self.reader.organ_words.values()))
                 and t.word not in mine}
        course = self.reader.course
        return parts | {g.at[0] for g in self._mentions if g.present and g.id != f.id and g.id not in course}

    def _in_past(self, f: FindingMatch) -> bool:
        here = self.piece_of.get(f.at[0], -1)
        stops = self.current | self.resets
        for s, e in [] if f.id in self.reader.guarded else self.past + self.chronic:
            there = self.piece_of.get(s, -2)
            if there > here and not any(self._about_other(n, f) for n in range(here + 1, there + 1)):
                return True  # "I was in a car accident, but that was ten years ago"
            if there != here:
                continue
            blocked = self._between(f.at[1], s, stops) if s > f.at[1] else self._between(e - 1, f.at[0], stops)
            if not blocked:
                return True
        for s, _e in self.over:
            there = self.piece_of.get(s, -2)
            # In its own clause, only when nothing new begins between ("I leak when I cough, and my
            # legs are fine now" says nothing of the leaking).
            if there == here and s > f.at[1] and not self._between(f.at[1], s, self.current | self._others_at(f)):
                return True
            if there > here and not any(self._about_other(n, f) for n in range(here + 1, there + 1)):
                return True  # "..., but that's been going on for years, nothing new"
        return False

    def apply(self, mentions: list[FindingMatch]) -> list[FindingMatch]:
        """Each mention with its time: one said of the past answers its own question no."""
        if not (self.past or self.over or self.chronic):
            return mentions
        self._said = [self.reader.said_of(piece, mentions) for piece in self.pieces]
        self._mentions = mentions
        out: list[FindingMatch] = []
        for f in mentions:
            # How long and how bad are the pain's course, which only improving rules out ("bad
            # for years, always been like that" is still persistent).
            if f.present and f.id not in self.reader.course and f.id not in self.reader.lasting and self._in_past(f):
                f = replace(f, present=False, hedged=False, own_question_only=True, past=True)
                self._put_past.add(f.id)
            out.append(f)
        return out

    def improving(self, findings: tuple[FindingMatch, ...]) -> tuple[FindingMatch, ...]:
        """Improving pain rules out the findings about the pain's course, and nothing else."""
        if not self.better:
            return findings
        return tuple(replace(f, present=False, hedged=False, own_question_only=True)
                     if f.present and f.id in self.reader.course else f for f in findings)

    def over_now(self, findings: tuple[FindingMatch, ...]) -> bool:
        """The reply says what was asked about is over: an over marker in a clause of its own (or
        one that put a finding in the past), or improving pain to a question about its course; and
        nothing present about the question is left."""
        said = bool(self._put_past & self.topic if self.topic else self._put_past)
        said = said or any(not self._about_other(self.piece_of.get(s, -2), None) for s, _ in self.over + self.chronic)
        said = said or bool(self.better and self.topic & self.reader.course)
        if not said:
            return False
        return not any(f.present and (f.id in self.topic if self.topic else True) for f in findings)
