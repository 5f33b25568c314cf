"""The answer in an utterance, read from cues and their scope rather than matched as a whole.

People do not answer in template shapes: "well, yes actually", "no, not for ages", "thankfully
no", "it did", "no, sorry, yes", "get me an ambulance". So an utterance is read in steps, each a
cue from ``grammars/answers.yaml`` with the scope it governs:

1. the whole utterance, after fillers, against the answer phrases (fast and exact);
2. commands anywhere: an emergency request, a correction of the previous answer, a request for
   help or a repeat, a request to stop ("that's enough questions");
3. a revision inside the utterance ("no, sorry, yes", "wait, I meant yes"): only what follows the
   last revision cue is read for the answer;
4. doubt anywhere ("I can't tell", "maybe") is ``unsure``; a conventional negative ("not really")
   is ``no``, hedged;
5. an answer word leading or trailing a clause ("thankfully no"), or a subject with an auxiliary
   that ends its clause ("it does", "we haven't had any of that");
6. what the findings said: a symptom stated present answers yes, only denials answer no.

Cue words inside a finding's own words are the finding's: "I don't know if my bladder is full"
is a symptom, not doubt; "no numbness" is a denial (its leading "no" still answers). A negative
verb with more words after it ("I can't hold it in") is a statement, never a bare "no".
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import Final

from rapidfuzz import fuzz, process

from .base import Answer, FindingMatch, able
from .findings import find_seqs
from .grammar import Grammar, Lexicon, Token

#: Whole-utterance fuzzy answer match (rapidfuzz ratio). High on purpose: a wrong answer is worse
#: than asking again; short words ("yes"/"yet"/"no") are handled by exact lists and the typo rules.
ANSWER_MIN_SCORE: Final = 88
ANSWER_FUZZY_MIN_CHARS: Final = 6
#: A repeat request is a short utterance: "sorry, say that again"; longer ones describe something.
REPEAT_MAX_WORDS: Final = 12
#: A stop cue in an utterance that also describes a finding counts when at most this many content
#: words follow it ("no numbness, I have to go now"); more, and it is part of a description.
STOP_TAIL_WORDS: Final = 1

Seqs = frozenset[tuple[str, ...]]
#: Pronouns that are also objects: after a verb, "it" is what was had, not a new clause's subject.
_OBJECTS: Final = frozenset(("it", "them", "that", "this"))
_REPEATS: Final = re.compile(r"(.)\1+")
#: A stop cue after one of these is part of a description ("I can't hold it in when I need to go").
_SUBORDINATE: Final = frozenset(("when", "whenever", "if", "before", "until", "till", "because", "cause", "cos"))
#: A stop cue right after one of these is said of someone else ("she needs to go").
#: People who start a clause of their own after a stop ("..., I feel too ill").
_PERSONS: Final = frozenset(("i", "we", "he", "she", "they"))
_THIRD_PERSON: Final = frozenset(("he", "she", "they", "it", "mum", "dad", "husband", "wife"))


def spans_of(words: list[str], seqs: Seqs, lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of any sequence within words[lo:hi], earliest first."""
    return find_seqs(words, seqs, lo, hi)


class AnswerReader:
    """Reads the answer of an utterance (see the module docstring)."""

    def __init__(self, grammar: Grammar, context_ids: Collection[str] = ()) -> None:
        self.lex: Lexicon = grammar.lexicon
        self.whole: dict[tuple[str, ...], Answer] = {}
        for kind, phrases in grammar.answers.items():
            for phrase in phrases:
                self.whole.setdefault(self._key(phrase.text), Answer(kind))
        self.misheard = {self._key(t): Answer(k) for k, texts in grammar.misheard.items() for t in texts}
        self.hedged = self._seqs(grammar.hedged_no)
        self.cues: dict[str, Seqs] = {k: self._seqs(v) for k, v in grammar.cues.items()}
        self.generic = self._seqs(grammar.generic)
        self.subjects = grammar.subjects
        self.auxiliaries = grammar.auxiliaries
        # Words that say nothing on their own: small words, cues, hesitations and filler words.
        self._small = (self.lex.ignore | self.lex.cues | self.lex.hesitations
                       | {w for filler in self.lex.fillers for w in filler})
        self.context = frozenset(context_ids)  # back_pain, leg_pain: no answer by themselves
        self._choices = [" ".join(k) for k in self.whole]
        self._choice_neg = [any(w in self.lex.cues for w in c) for c in self.whole]
        self._single = {k[0]: a for k, a in self.whole.items() if len(k) == 1 and a in (Answer.YES, Answer.NO)}

    def _key(self, text: str) -> tuple[str, ...]:
        return tuple(self.lex.words(text))

    def _seqs(self, texts: Iterable[str]) -> Seqs:
        """Normalised word sequences; a cue made only of hesitation sounds ("mm hmm") drops out."""
        return frozenset(key for key in map(self._key, texts) if key)

    # --- entry point ------------------------------------------------------------------------------

    def read(self, tokens: list[Token], clauses: list[list[Token]],
             findings: Iterable[FindingMatch]) -> tuple[Answer | None, bool, bool]:
        """The answer, whether it was hedged, and whether it came from the findings alone."""
        words = [t.word for t in tokens]
        if not words:
            return None, False, False
        found = list(findings)
        # Cue words inside a finding's words belong to it (the first word may still answer).
        # A stated finding's leading cue is its own ("nothing eases it"); a denial's first word
        # still answers ("no numbness").
        claimed = {i for f in found for i in range(f.at[0] if f.present else max(f.at[0], 1), f.at[1] + 1)}
        lo, hi = self._core(words)
        key = tuple(words[lo:hi])
        whole = self.whole.get(key) or self.misheard.get(key) or self._typo(key)
        if whole is not None:
            return whole, False, False
        if key in self.hedged:
            return Answer.NO, True, False

        def has(kind: str, start: int = 0, claims: set[int] = claimed) -> bool:
            return any(not claims.intersection(range(s, e)) for s, e in spans_of(words, self.cues[kind], start))

        present = [f for f in found if f.present and f.id not in self.context]
        # A request for an ambulance counts wherever it is, inside a finding's words or not.
        if has(Answer.EMERGENCY.value, claims=set()):
            return Answer.EMERGENCY, False, False
        if has(Answer.CORRECT.value):
            return Answer.CORRECT, False, False
        # A short request to hear it again outranks help ("what's the question again?").
        if has("repeat") and not present and len(words) <= REPEAT_MAX_WORDS:
            return Answer.REPEAT, False, False
        if has(Answer.HELP.value):
            return Answer.HELP, False, False
        # Said with a finding, only a stop that cannot be about the toilet ends the talk ("I have
        # to go and go but only a dribble comes out" describes; "I need to stop, I feel too ill").
        if self.ends_with_stop(words, claimed, clauses, strict=bool(present)) and not has("yes"):
            # "I need to go all the time and I can't get it started" describes; a stop counts when
            # it ends its clause ("no numbness, stop now", "I have to go, my daughter is here").
            return Answer.STOP, False, False
        for piece in clauses:  # "stop, I don't want to do this": a clause that is a command alone
            lo_, hi_ = self._core([t.word for t in piece])
            alone = self.whole.get(tuple(t.word for t in piece[lo_:hi_]))
            # A yes in another clause wins ("yes. stop."): a yes to a warning sign is never lost
            # to the stop that follows it; the stop can be said again.
            if alone in (Answer.STOP, Answer.REPEAT, Answer.HELP) and not present and not has("yes"):
                return alone, False, False
        if self._corrects_earlier(words, claimed):
            return Answer.CORRECT, False, False
        start = self._revised(words, claimed)
        if has("unsure", start):
            return Answer.UNSURE, False, False
        if any(not claimed.intersection(range(s, e)) for s, e in spans_of(words, self.hedged, start)):
            return Answer.NO, True, False
        said = self._said(words, clauses, claimed, start)
        if said is not None:
            return said, False, False
        later = [f for f in found if f.at[0] >= start] if start else found
        if any(f.present and f.id not in self.context for f in later):
            return Answer.YES, False, True
        # Only a real denial answers no: "it just comes out" reads a "nothing comes out" phrase in its
        # plain form, which says nothing either way.
        # "I can pee", "I can hold it" deny their "can't" phrase: a no. (In a transcript the
        # conversation asks again: the "can" may be a misheard "can't".)
        # The back pain the person is here for ("legs are fine, it's only my back") answers nothing.
        own = [f for f in later if f.id not in self.context]
        if own and not any(f.present for f in own) and not all(f.fragile and not able(words, f) for f in own):
            return Answer.NO, False, True
        return self._fuzzy(key), False, False

    # --- steps ------------------------------------------------------------------------------------

    def ends_with_stop(self, words: list[str], claimed: set[int], clauses: list[list[Token]] | None = None,
                       strict: bool = False) -> bool:
        """A stop cue with at most STOP_TAIL_WORDS content words after it in its clause ("I have
        to go, my daughter is here" stops; "I need to go all the time and can't get it out" does not)."""
        ends = sorted(c[-1].at + 1 for c in clauses or [] if c and c[-1].at >= 0) or [len(words)]
        small = self._small
        for s, e in spans_of(words, self.cues["stop"]):
            if claimed.intersection(range(s, e)) or (s > 0 and words[s - 1] in _THIRD_PERSON):
                continue  # "she needs to go": about someone, not a request to stop
            if strict and "go" in words[s:e]:
                continue
            if any(w in self.lex.cues or w in _SUBORDINATE for w in words[max(s - 3, 0) : s]):
                continue  # "I can't stop it", "when I need to go": a symptom, not a request
            clause_end = next((x for x in ends if x >= e), len(words))
            # A new subject and verb after the stop starts its own clause ("stop now please, I
            # will phone the surgery"); then nothing but small words may come between.
            end = min([clause_end, *(r for r, _ in spans_of(words, self.lex.resets, e) if r < clause_end)])
            # ("sorry, I need to stop, I feel too ill": any person's clause after it).
            new = [i for i in range(e, end) if words[i] in _PERSONS and i + 1 < end]
            end = min([end, *new])
            tail = [w for w in words[e:end] if w not in small]
            if len(tail) <= (STOP_TAIL_WORDS if end == clause_end and not strict else 0):
                return True
        return False

    def _core(self, words: list[str]) -> tuple[int, int]:
        """The utterance without leading and trailing fillers ("well no", "yes thanks")."""
        lo, hi = 0, len(words)
        changed = True
        while changed and hi - lo > 1:
            changed = False
            for filler in self.lex.fillers:
                n = len(filler)
                if hi - lo > n and tuple(words[lo : lo + n]) == filler:
                    lo, changed = lo + n, True
                if hi - lo > n and tuple(words[hi - n : hi]) == filler:
                    hi, changed = hi - n, True
        return lo, hi

    def _typo(self, key: tuple[str, ...]) -> Answer | None:
        """One typed word: "noo", "yesss", "yse", "y", "n"."""
        if len(key) != 1:
            return None
        word = key[0]
        if word in ("y", "n"):
            return Answer.YES if word == "y" else Answer.NO
        collapsed = _REPEATS.sub(r"\1", word)
        if collapsed in self._single:
            return self._single[collapsed]
        if len(word) == 3 and sorted(word) == sorted("yes"):
            return Answer.YES
        return None

    def _corrects_earlier(self, words: list[str], claimed: set[int]) -> bool:
        """"sorry, I meant no": a past "meant" with an answer after it and none before revises an
        answer given earlier, not one in this reply ("no, wait, I meant yes" revises its own)."""
        answer_cues = self.cues["yes"] | self.cues["no"] | self.cues["unsure"]
        for s, e in spans_of(words, self.cues["revise"]):
            if "meant" not in words[s:e] or claimed.intersection(range(s, e)):
                continue
            before = [span for span in spans_of(words, answer_cues) if span[1] <= s]
            return not before and bool(spans_of(words, answer_cues, e))
        return False

    def _revised(self, words: list[str], claimed: set[int]) -> int:
        """Where the answer starts: after the last revision cue that an answer follows."""
        start = 0
        answer_cues = self.cues["yes"] | self.cues["no"] | self.cues["unsure"]
        for _s, e in spans_of(words, self.cues["revise"]):
            if spans_of(words, answer_cues, e) and not claimed.intersection(range(_s, e)):
                start = e
        return start

    def _said(self, words: list[str], clauses: list[list[Token]], claimed: set[int], start: int) -> Answer | None:
        """A yes or no word leading or trailing a clause, or a subject + auxiliary ending one."""
        for clause in clauses:
            at = [t.at for t in clause if t.at >= start]
            if not at:
                continue
            lo, hi = at[0], at[-1] + 1
            free = [i for i in range(lo, hi) if i not in claimed]
            if not free:
                continue
            yes = [s for s, e in spans_of(words, self.cues["yes"], lo, hi) if s not in claimed]
            yes += [s for s, e in spans_of(words, self.cues["degree"], lo, hi)
                    if s not in claimed and not self._content(words, lo, hi, s, e)]
            # An answer word counts at the edges of its clause, or anywhere in a short clause
            # ("i have actually yeah lost weight"); "no" before a symptom word is that symptom's.
            edge = {free[0], free[-1]}
            short = hi - lo <= 4
            yes = [s for s in yes if s in edge or short or words[s] in ("yes", "yeah", "yep")]
            # "it is", "I do" answer only when nothing follows ("it's my back that hurts" states):
            # a subject's yes with words after it is left to the auxiliary reading below.
            yes = [s for s in yes if not (words[s] in self.subjects and self._said_after(words, s, hi))]
            # A trailing answer counts by where it ends ("my dad had cancer, not me").
            no = [s for s, e in spans_of(words, self.cues["no"], lo, hi)
                  if s not in claimed and (s in edge or short or e - 1 == free[-1])
                  and not (words[s] in self.subjects and self._said_after(words, s, hi, "no"))]
            if yes and no:
                return None  # "yes no": both, with no correction between them: ask again
            if yes or no:
                return Answer.YES if yes else Answer.NO
            aux = self._auxiliary(words, lo, hi)
            if aux is not None:
                return aux
        return None

    def _said_after(self, words: list[str], s: int, hi: int, kind: str = "yes") -> bool:
        """A subject + auxiliary cue at ``s`` ("it is", "I do", "I didn't") with words that say
        something after it, up to ``hi``: a statement, not an answer ("I didn't take her
        temperature"; "thats right, sadly" still answers)."""
        if s + 1 >= hi or words[s + 1] not in self.auxiliaries:
            return False
        ends = [e for start, e in spans_of(words, self.cues[kind], s, hi) if start == s]
        if not ends:
            return False
        end = max(ends)
        return end - s <= 3 and words[end - 1] in (*self.auxiliaries, "not") and any(
            w not in self._small for w in words[end:hi])

    def _content(self, words: list[str], lo: int, hi: int, s: int, e: int) -> bool:
        """Words of the clause outside [s, e) that say something (not small words, cues or fillers)."""
        return any(w not in self._small for w in words[lo:s] + words[e:hi])

    def _auxiliary(self, words: list[str], lo: int, hi: int) -> Answer | None:
        """ "it does", "they are", "we haven't had any of that": the clause ends after the auxiliary
        (and words standing for what was asked). A main verb after it makes it a statement."""
        for i in range(lo, hi - 1):
            if words[i] not in self.subjects or words[i + 1] not in self.auxiliaries:
                continue
            j = i + 2
            negated = False
            while j < hi and words[j] in ("not", "never"):
                negated, j = True, j + 1
            rest = words[j:hi]
            if negated and len(rest) >= 2 and rest[0] in ("had", "got", "have", "seen", "noticed") \
                    and rest[1] in ("any", "anything", "no"):
                return Answer.NO  # "we haven't had any operations": a denial of whatever it names
            # "it does, it shoots down my leg": a new subject starts the next clause.
            # ... but "it" straight after a verb is its object ("he's had it about ten days").
            # So is a word straight after the auxiliary: "it's my back", "they're both fine" say
            # what it is.
            cut = next((k for k, w in enumerate(rest) if k and (w in self.subjects or w == "my")
                        and w not in _OBJECTS), len(rest))
            if cut and not self._generic(rest[:cut]):
                continue
            if self._generic(rest[:cut]):
                return Answer.NO if negated else Answer.YES
        return None

    def _generic(self, rest: list[str]) -> bool:
        """Nothing but words standing for what was asked ("any of that", "it", "so") and small words."""
        i = 0
        while i < len(rest):
            if rest[i] in self.lex.ignore or rest[i] in self.lex.cues:
                i += 1
                continue
            for n in (4, 3, 2, 1):
                if tuple(rest[i : i + n]) in self.generic:
                    i += n
                    break
            else:
                return False
        return True

    def _fuzzy(self, key: tuple[str, ...]) -> Answer | None:
        whole = " ".join(key)
        if len(whole) < ANSWER_FUZZY_MIN_CHARS or len(key) > 8:
            return None
        best = process.extractOne(whole, self._choices, scorer=fuzz.ratio, score_cutoff=ANSWER_MIN_SCORE)
        if best is None:
            return None
        negated = any(w in self.lex.cues for w in key)
        if negated != self._choice_neg[best[2]]:
            return None  # "i do" vs "i do not": polarity from words, never from the score
        return self.whole[tuple(best[0].split())]
