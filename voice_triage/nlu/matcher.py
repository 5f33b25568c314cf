"""Understanding an utterance: a yes/no answer or command, a rate change, and findings with polarity.

The input is either a recognizer transcript (lower-case words, no punctuation, sometimes wrong
words) or typed text. Three decisions keep it safe:

* Doubt is its own answer and is checked first: "not sure", "I don't know", "not really" and "I
  don't think so" are ``unsure``, never ``no`` (a hedged no on a red-flag question could hide an
  emergency). A hedged yes ("I think so", "a bit") is ``yes``: that errs towards more care.
* Polarity comes from words, never from fuzzy scores: "I have X" and "I haven't X" score alike.
  Negation cues negate what follows them up to a clause breaker ("but") or a new subject ("and my
  ..."); cues inside a finding's own phrase ("can't pee") belong to that phrase.
* A finding is reported only when every content word of one of its phrases is in the clause (typos
  are corrected word by word with rapidfuzz against the grammar's vocabulary). Saddle findings need a
  body-site word by construction of their phrases. Anything weaker is "not understood", not a guess.

The findings half (candidates, negation scope, placement) is ``intent_findings.FindingReader``;
this module reads answers, commands and rate changes and is the import point for both.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from rapidfuzz import fuzz, process

from ..settings import MAX_TEXT_CHARS
from .findings import INTERJECTIONS, FindingMatch, FindingReader, find_seqs
from .grammar import Grammar, Lexicon, Token, load_grammar

__all__ = ["Answer", "FindingMatch", "Matcher", "RateChange", "Understanding", "load_matcher"]

#: Text longer than this is not an utterance (a paste or an attack): answer null, no findings.
MAX_INPUT_CHARS: Final = MAX_TEXT_CHARS
#: At most this many words are examined, which caps the work per utterance.
MAX_WORDS: Final = 120
#: Whole-utterance fuzzy answer match (rapidfuzz ratio). High on purpose: a wrong answer is worse than
#: asking again, and short words ("yes"/"yet"/"no") are handled by exact lists, not by fuzz.
ANSWER_MIN_SCORE: Final = 88
#: Longest utterance tried as a run of whole answer phrases ("no no no", "i haven't no"). Longer
#: utterances are descriptions, where a stray "no" or "i have" must not become the answer.
COVER_MAX_WORDS: Final = 8
ANSWER_FUZZY_MIN_CHARS: Final = 6

_SENTENCE_RE: Final = re.compile(r"[.;!?\n]+")


class Answer(str, Enum):
    YES = "yes"
    NO = "no"
    UNSURE = "unsure"
    REPEAT = "repeat"
    HELP = "help"
    STOP = "stop"


class RateChange(str, Enum):
    SLOWER = "slower"
    FASTER = "faster"


@dataclass(frozen=True)
class Understanding:
    text: str
    answer: Answer | None
    findings: tuple[FindingMatch, ...]
    rate: RateChange | None

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "answer": self.answer.value if self.answer else None,
            "findings": [
                {"id": f.id, "present": f.present, "score": round(f.score, 3), "span": f.span}
                for f in self.findings
            ],
            "rate": self.rate.value if self.rate else None,
        }


class Matcher:
    """Maps an utterance to an answer, a rate change and findings (see the module docstring)."""

    def __init__(self, grammar: Grammar) -> None:
        self.lex: Lexicon = grammar.lexicon
        self._answers: dict[str, Answer] = {}
        for kind, phrases in grammar.answers.items():
            for phrase in phrases:
                self._answers.setdefault(self._key(phrase.text), Answer(kind))
        self._misheard = {self._key(t): Answer(k) for k, texts in grammar.misheard.items() for t in texts}
        self._rates = {self._key(p.text): RateChange(k) for k, ps in grammar.rates.items() for p in ps}
        self._unsure_seqs = {tuple(self._key(t).split()) for t in grammar.unsure_anywhere}
        self._choices = list(self._answers)
        self._choice_neg = [any(w in self.lex.cues for w in c.split()) for c in self._choices]
        self._prefix_max = max(len(k.split()) for k in self._answers)
        self._reader = FindingReader(grammar)

    def _key(self, text: str) -> str:
        return " ".join(self.lex.words(text))

    # --- entry point ------------------------------------------------------------------------------

    def understand(self, text: str) -> Understanding:
        if not text or len(text) > MAX_INPUT_CHARS:
            return Understanding(text, None, (), None)
        clauses: list[list[Token]] = []
        words: list[str] = []
        budget = MAX_WORDS
        for sentence in _SENTENCE_RE.split(text):
            parts = sentence.split(",")
            for index, part in enumerate(parts):
                tokens = self.lex.tokens(part)[:budget]
                budget -= len(tokens)
                if not tokens:
                    continue
                words.extend(t.word for t in tokens)
                lone = all(t.word in INTERJECTIONS for t in tokens)
                if clauses and index > 0 and not (lone or self._lone(clauses[-1])):
                    clauses[-1].extend(tokens)  # a comma inside a list keeps negation scope
                else:
                    clauses.append(tokens)
        answer = self._answer(words)
        rate = self._rate(words)
        findings = self._reader.findings(clauses)
        return Understanding(text, answer, findings, rate)

    @staticmethod
    def _lone(tokens: list[Token]) -> bool:
        return all(t.word in INTERJECTIONS for t in tokens)

    # --- answers ----------------------------------------------------------------------------------

    def _strip_fillers(self, words: list[str]) -> list[str]:
        changed = True
        while changed and words:
            changed = False
            for filler in self.lex.fillers:
                n = len(filler)
                if len(words) > n and tuple(words[:n]) == filler:
                    words, changed = words[n:], True
                if len(words) > n and tuple(words[-n:]) == filler:
                    words, changed = words[:-n], True
        return words

    def _answer(self, all_words: list[str]) -> Answer | None:
        words = self._strip_fillers(list(all_words))
        if not words:
            return None
        whole = " ".join(words)
        found = self._answers.get(whole) or self._misheard.get(whole)
        if found is not None:
            return found
        if find_seqs(words, self._unsure_seqs):
            return Answer.UNSURE
        # A leading interjection answers the question; the rest may describe ("yes I can't pee").
        if words[0] in INTERJECTIONS or words[0] == "never":
            for n in range(min(self._prefix_max, len(words) - 1), 0, -1):
                found = self._answers.get(" ".join(words[:n]))
                if found in (Answer.YES, Answer.NO) and words[n] not in self.lex.cues:
                    return found
        covered = self._cover(words)
        if covered is not None:
            return covered
        if len(whole) < ANSWER_FUZZY_MIN_CHARS or len(words) > self._prefix_max:
            return None
        best = process.extractOne(whole, self._choices, scorer=fuzz.ratio, score_cutoff=ANSWER_MIN_SCORE)
        if best is None:
            return None
        negated = any(w in self.lex.cues for w in words)
        if negated != self._choice_neg[best[2]]:
            return None  # "i do" vs "i do not": polarity from words, never from the score
        return self._answers[best[0]]

    def _cover(self, words: list[str]) -> Answer | None:
        """Yes or no when the words are nothing but that answer's phrases, repeated or stacked:
        "no no no", "i haven't no", "i think so yeah". Phrases of both yes and no → None (ask again)."""
        if len(words) > COVER_MAX_WORDS:
            return None
        covering = []
        for answer in (Answer.YES, Answer.NO):
            reach = [True] + [False] * len(words)
            for i in range(len(words)):
                if not reach[i]:
                    continue
                for j in range(i + 1, min(len(words), i + self._prefix_max) + 1):
                    if self._answers.get(" ".join(words[i:j])) is answer:
                        reach[j] = True
            if reach[-1]:
                covering.append(answer)
        return covering[0] if len(covering) == 1 else None

    def _rate(self, words: list[str]) -> RateChange | None:
        words = self._strip_fillers(list(words))
        whole = " ".join(words)
        if whole in self._rates:
            return self._rates[whole]
        for key, change in self._rates.items():
            # Multi-word requests anywhere ("yes but slow down please"); single words only alone,
            # except the unambiguous comparatives.
            if (" " in key or key in ("slower", "faster")) and f" {key} " in f" {whole} ":
                return change
        return None


@functools.cache
def load_matcher() -> Matcher:
    """The matcher over the shipped grammars (built once per process)."""
    return Matcher(load_grammar())
