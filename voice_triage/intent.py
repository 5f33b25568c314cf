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
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from rapidfuzz import fuzz, process

from .errors import ContentError
from .grammar import Grammar, Lexicon, Token, load_grammar

#: Text longer than this is not an utterance (a paste or an attack): answer null, no findings.
#: A spoken turn rarely exceeds 300 characters; 2000 leaves room for a typed description.
MAX_INPUT_CHARS: Final = 2000
#: At most this many words are examined, which caps the work per utterance.
MAX_WORDS: Final = 120
#: Word-level typo correction (rapidfuzz ratio, 0-100). Lower catches more recognizer slips
#: ("numbnes", "bladdr") but starts merging different words; 85 keeps one-letter slips in long words.
WORD_MIN_SCORE: Final = 85
#: Words shorter than this are never corrected: "pee"/"poo", "leg"/"legs" are one letter apart.
WORD_MIN_LENGTH: Final = 5
#: Whole-utterance fuzzy answer match (rapidfuzz ratio). High on purpose: a wrong answer is worse than
#: asking again, and short words ("yes"/"yet"/"no") are handled by exact lists, not by fuzz.
ANSWER_MIN_SCORE: Final = 88
#: Longest utterance tried as a run of whole answer phrases ("no no no", "i haven't no"). Longer
#: utterances are descriptions, where a stray "no" or "i have" must not become the answer.
COVER_MAX_WORDS: Final = 8
ANSWER_FUZZY_MIN_CHARS: Final = 6
#: A phrase's words may be spread over at most this many extra content words ("numb round my left
#: bum cheek"). Larger finds more paraphrases but joins words from unrelated parts of a sentence:
#: 3 read "my back hurts and the pain goes down my leg" as "leg hurts".
MAX_GAP: Final = 2
#: Findings whose mean word score (0-1) is below this are dropped rather than guessed.
FINDING_MIN_SCORE: Final = 0.88

_SENTENCE_RE: Final = re.compile(r"[.;!?\n]+")
_INTERJECTIONS: Final = frozenset(
    ("yes", "yeah", "yep", "yup", "yea", "aye", "no", "nope", "nah", "naw", "sure", "definitely",
     "absolutely", "correct", "right")
)
_SUBJECTS: Final = frozenset(("i", "it", "my", "the", "there", "that", "she", "he", "we", "they", "its", "this"))
_NO_CORRECTION: Final = frozenset({"can", "not", "will", "do", "does", "did"})


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
class FindingMatch:
    """A finding mentioned in the utterance. ``score`` is 0-1; ``span`` is the words that said it."""

    id: str
    present: bool
    score: float
    span: str


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


@dataclass(frozen=True)
class _Candidate:
    finding: str
    words: frozenset[str]
    negated: bool  # the phrase itself carries a negation ("can't pee")
    absent_only: bool


@dataclass
class _Hit:
    cand: _Candidate
    positions: frozenset[int]
    start: int
    end: int
    score: float


def _find_seqs(words: list[str], seqs: Iterable[tuple[str, ...]]) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of any word sequence (end exclusive)."""
    found = []
    for seq in seqs:
        n = len(seq)
        for i in range(len(words) - n + 1):
            if words[i] == seq[0] and tuple(words[i : i + n]) == seq:
                found.append((i, i + n))
    return found


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
        self._candidates: list[_Candidate] = []
        self._index: dict[str, list[int]] = defaultdict(list)
        owner: dict[tuple[frozenset[str], bool], str] = {}
        for absent_only, table in ((False, grammar.findings), (True, grammar.absent_only)):
            for fid, phrases in table.items():
                for phrase in phrases:
                    words = self.lex.words(phrase.text)
                    content = frozenset(w for w in words if w not in self.lex.ignore and w not in self.lex.cues)
                    negated = any(w in self.lex.cues for w in words)
                    if not content:
                        raise ContentError(phrase.file, f"line {phrase.line}", f"{phrase.text!r} has no content words")
                    seen = owner.setdefault((content, negated), fid)
                    if seen != fid:
                        raise ContentError(
                            phrase.file,
                            f"line {phrase.line}",
                            f"{phrase.text!r} reads the same as a phrase of {seen!r} (words: {sorted(content)})",
                        )
                    self._candidates.append(_Candidate(fid, content, negated, absent_only))
        unique = list(dict.fromkeys(self._candidates))
        self._candidates = unique
        for i, cand in enumerate(unique):
            for word in cand.words:
                self._index[word].append(i)
        self._vocab = sorted(set(self._index) | self.lex.ignore | self.lex.cues | set(self.lex.lemmas))
        self._vocab_set = frozenset(self._vocab)

    def _key(self, text: str) -> str:
        return " ".join(self.lex.words(text))

    @functools.lru_cache(maxsize=8192)  # noqa: B019 - one Matcher per process (load_matcher)
    def _correct(self, word: str) -> tuple[str, float]:
        """The grammar word a (mis)spelt word stands for, with its similarity 0-1."""
        if word in self._vocab_set or len(word) < WORD_MIN_LENGTH:
            return word, 1.0
        best = process.extractOne(word, self._vocab, scorer=fuzz.ratio, score_cutoff=WORD_MIN_SCORE)
        if best is None or best[0] in _NO_CORRECTION or best[0] in self.lex.cues:
            return word, 1.0
        return self.lex.lemmas.get(best[0], best[0]), best[1] / 100.0

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
                lone = all(t.word in _INTERJECTIONS for t in tokens)
                if clauses and index > 0 and not (lone or self._lone(clauses[-1])):
                    clauses[-1].extend(tokens)  # a comma inside a list keeps negation scope
                else:
                    clauses.append(tokens)
        answer = self._answer(words)
        rate = self._rate(words)
        findings = self._findings(clauses)
        return Understanding(text, answer, findings, rate)

    @staticmethod
    def _lone(tokens: list[Token]) -> bool:
        return all(t.word in _INTERJECTIONS for t in tokens)

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
        if _find_seqs(words, self._unsure_seqs):
            return Answer.UNSURE
        # A leading interjection answers the question; the rest may describe ("yes I can't pee").
        if words[0] in _INTERJECTIONS or words[0] == "never":
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

    # --- findings ---------------------------------------------------------------------------------

    def _split(self, clause: list[Token]) -> list[list[Token]]:
        """Split at clause breakers ("but") and after a leading "no" before a new subject."""
        words = [t.word for t in clause]
        cuts = {s for s, e in _find_seqs(words, self.lex.breakers)} | {
            e for s, e in _find_seqs(words, self.lex.breakers)
        }
        run = 0
        while run < len(words) and words[run] in _INTERJECTIONS:
            run += 1
        if 0 < run < len(words) and words[run] in _SUBJECTS:
            cuts.add(run)
        breaker_spans = _find_seqs(words, self.lex.breakers)
        drop = {i for s, e in breaker_spans for i in range(s, e)}
        pieces: list[list[Token]] = [[]]
        for i, tok in enumerate(clause):
            if i in cuts and pieces[-1]:
                pieces.append([])
            if i not in drop:
                pieces[-1].append(tok)
        return [p for p in pieces if p]

    def _findings(self, clauses: list[list[Token]]) -> tuple[FindingMatch, ...]:
        best: dict[str, FindingMatch] = {}
        for clause in clauses:
            for piece in self._split(clause):
                for match in self._match_piece(piece):
                    old = best.get(match.id)
                    # Safety: if one part says present and another absent, present wins.
                    if old is None or (match.present, match.score) > (old.present, old.score):
                        best[match.id] = match
        return tuple(best.values())

    def _match_piece(self, piece: list[Token]) -> list[FindingMatch]:
        words = [t.word for t in piece]
        hedge_spans = _find_seqs(words, self.lex.hedges)
        hedged_at = {i for s, e in hedge_spans for i in range(s, e)}
        positions: dict[str, list[int]] = defaultdict(list)
        scores: dict[int, float] = {}
        content_at: list[int] = []
        for i, word in enumerate(words):
            if word in self.lex.ignore or word in self.lex.cues or i in hedged_at:
                continue
            fixed, score = self._correct(word)
            positions[fixed].append(i)
            scores[i] = score
            content_at.append(i)
        counts: dict[int, int] = defaultdict(int)
        for word in positions:
            for c in self._index.get(word, ()):
                counts[c] += 1
        hits: list[_Hit] = []
        for c, n in counts.items():
            cand = self._candidates[c]
            if n == len(cand.words):
                hit = self._place(cand, positions, scores, content_at)
                if hit is not None:
                    hits.append(hit)
        hits = [h for h in hits if not any(h.positions < o.positions for o in hits)]
        if not hits:
            return []
        cues = [i for i, w in enumerate(words) if w in self.lex.cues and i not in hedged_at]
        resets = [s for s, _ in _find_seqs(words, self.lex.resets)]

        def in_scope(cue: int, hit: _Hit) -> bool:
            return cue <= hit.end and not any(cue < r <= hit.start for r in resets)

        claimed: set[int] = set()
        for hit in hits:
            if hit.cand.negated:
                inside = [c for c in cues if hit.start <= c <= hit.end]
                before = [c for c in cues if c < hit.start and in_scope(c, hit)]
                claimed.update(inside or before[-1:])
        out: list[FindingMatch] = []
        for hit in hits:
            scoped = [c for c in cues if in_scope(c, hit)]
            hedged = any(s <= hit.end and not any(s < r <= hit.start for r in resets) for s, _ in hedge_spans)
            # A phrase that carries its own negation ("can't pee") is present when negated and
            # absent in its plain form ("I can pee"); any other phrase is absent when negated.
            present = bool(scoped) if hit.cand.negated else not [c for c in scoped if c not in claimed]
            present = present or hedged  # doubt never becomes "absent"
            if hit.cand.absent_only and present:
                continue
            first = min(hit.start, *scoped) if scoped else hit.start
            while first > 0 and not piece[first].shown:  # "haven't" → have + not: start at "haven't"
                first -= 1
            span = " ".join(t.shown for t in piece[first : hit.end + 1] if t.shown)
            out.append(FindingMatch(hit.cand.finding, present, round(hit.score, 3), span))
        return out

    @staticmethod
    def _place(
        cand: _Candidate, positions: dict[str, list[int]], scores: dict[int, float], content_at: list[int]
    ) -> _Hit | None:
        """The tightest placement of a candidate's words; None if spread too widely or scored low."""
        chosen: list[int] = []
        anchor_word = min(cand.words, key=lambda w: len(positions[w]))
        best: tuple[int, list[int]] | None = None
        for anchor in positions[anchor_word]:
            picks = [min(positions[w], key=lambda p, a=anchor: abs(p - a)) for w in cand.words]  # type: ignore[misc]
            width = max(picks) - min(picks)
            if best is None or width < best[0]:
                best = (width, picks)
        if best is None:
            return None
        chosen = best[1]
        start, end = min(chosen), max(chosen)
        spread = sum(1 for i in content_at if start <= i <= end)
        if spread - len(cand.words) > MAX_GAP:
            return None
        score = sum(scores[i] for i in chosen) / len(chosen)
        if score < FINDING_MIN_SCORE:
            return None
        return _Hit(cand, frozenset(chosen), start, end, score)


@functools.cache
def load_matcher() -> Matcher:
    """The matcher over the shipped grammars (built once per process)."""
    return Matcher(load_grammar())
