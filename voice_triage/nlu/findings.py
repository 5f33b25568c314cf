"""Findings in an utterance, with polarity from negation scope (the matcher's second half).

A finding is reported only when every content word of one of its phrases is in one clause, close
together (typos are corrected word by word with rapidfuzz against the grammar's vocabulary).
Polarity comes from words, never from fuzzy scores: a negation cue negates what follows it up to a
clause breaker ("but") or a scope reset ("and my ..."); cues inside a finding's own phrase ("can't
pee") belong to that phrase; doubt (a hedge) is never read as "absent". A "normal" phrase ("down
there feels normal") reports its findings absent as said, and nothing at all when negated or hedged:
"doesn't feel normal" is asked again rather than guessed either way. ``intent.Matcher`` calls
``FindingReader.findings`` with the clauses it has split the utterance into.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Final

from rapidfuzz import fuzz, process

from ..errors import ContentError
from .base import ABILITY, FindingMatch
from .grammar import Grammar, Lexicon, Token

#: Word-level typo correction (rapidfuzz ratio, 0-100). Lower catches more recognizer slips
#: ("numbnes", "bladdr") but starts merging different words; 85 keeps one-letter slips in long words.
WORD_MIN_SCORE: Final = 85
#: Words shorter than this are never corrected: "pee"/"poo", "leg"/"legs" are one letter apart.
WORD_MIN_LENGTH: Final = 5
#: A phrase's words may be spread over at most this many extra content words ("numb round my left
#: bum cheek"). Larger finds more paraphrases but joins words from unrelated parts of a sentence:
#: 3 read "my back hurts and the pain goes down my leg" as "leg hurts".
MAX_GAP: Final = 2
#: Endings of an inflected word, longest first: a form the templates do not list is read as its
#: base when the base is a grammar word (never fuzzily: "needed" is not "needing" by spelling).
INFLECTIONS: Final = ("ing", "ed", "es", "s")
#: Corrections considered per misspelt word (best first): more finds one with the right first
#: letter behind a closer wrong one, at a little more time per new word (cached after).
FUZZY_CANDIDATES: Final = 5
#: Findings whose mean word score (0-1) is below this are dropped rather than guessed.
FINDING_MIN_SCORE: Final = 0.88

#: Words that answer a yes/no question on their own ("no, my bum is numb").
INTERJECTIONS: Final = frozenset(
    ("yes", "yeah", "yep", "yup", "yea", "aye", "no", "nope", "nah", "naw", "sure", "definitely",
     "absolutely", "correct", "right")
)
_SUBJECTS: Final = frozenset(("i", "it", "my", "the", "there", "that", "she", "he", "we", "they", "its", "this",
                              "everything", "things", "all", "both"))
_NO_CORRECTION: Final = frozenset({"can", "not", "will", "do", "does", "did"})


#: Verbs of feeling: "I don't really feel it" negates the feeling; "I don't really know" is doubt.
_FEELING: Final = frozenset(("feel", "felt", "feeling", "notice", "noticed", "sense"))
#: People a clause is about, and what may stand between one and its auxiliary ("I just can't").
_PERSONS: Final = frozenset(("i", "he", "she", "we", "they"))
_ADVERBS: Final = frozenset(("just", "really", "still", "also", "even", "only", "never", "always", "actually"))
#: Words after which a person starts a clause inside the same statement ("when I need to go").
_LEADS_IN: Final = frozenset(("when", "if", "that", "because", "cause", "cos", "so", "and", "but", "till", "until",
                              "before", "after", "where", "as", "like", "since", "while", "whether", "or", "what",
                              "how", "then", "think", "know", "says", "said", "feel", "mean", "reckon", "guess"))
#: Words that open a clause the next one completes ("when I wipe, I can't feel the paper").
_SUBORDINATORS: Final = frozenset(("when", "if", "because", "cause", "cos", "after", "before", "while", "since",
                                   "until", "till", "whenever", "once"))
#: Words that open the object of a doubt ("I can't tell | if I've been"), and how far its event may be.
_DOUBT_OBJECT: Final = frozenset(("if", "whether", "when"))
_EVENT_REACH: Final = 4
#: Going to the toilet: on the bladder or bowel question, "can't go" is the organ's.
_GOING: Final = frozenset(("go", "going", "gone", "went"))
#: Words that place a time, beside the durations' units and days (negation.yaml `durations`).
_TIME_MARKERS: Final = frozenset(("last", "since", "ago", "night", "nights", "hours", "hour", "morning"))
#: "not that ...", "not like ...": the clause after it is what is denied.
_DENIED_CLAUSE: Final = frozenset(("that", "like", "as"))
#: Answer words that deny what was said just before them ("tingling no").
_TRAILING_NO: Final = frozenset(("no", "nope", "nah", "naw"))
#: Negation cues that only ever answer, never belong to a phrase's own negation.
_ANSWER_ONLY: Final = frozenset(("nope", "nah", "naw"))
#: Words that join a new clause on ("..., and I had a bad chest infection").
_JOINERS: Final = frozenset(("and", "also", "plus", "then", "so"))
#: A reported answer ("she says no", "he said yes") ends its clause when a new subject follows.
_REPORTED_ANSWERS: Final = frozenset(("yes", "yeah", "no", "nope", "nah"))
_SAYS: Final = frozenset(("says", "said", "say", "saying", "tells", "told"))
#: Pronouns that point back at a body part named earlier in the reply.
_PRONOUNS_OF_SITES: Final = frozenset(("it", "they", "them", "its", "one", "both"))  # "the left one", "both are"
#: Words that only point at a body part ("they're both fine"), never say what it does.
_POINTING: Final = _PRONOUNS_OF_SITES | frozenset(("left", "right", "legs", "leg", "them", "each", "either"))
#: A reset that starts with one of these right after a cue is the cue's object ("nothing I do").
_PRONOUNS: Final = frozenset(("i", "you", "we", "they", "he", "she"))


#: Prefixes that make a word its opposite: "bearable" is never a misspelt "unbearable".
_NEGATING_PREFIXES: Final = ("un", "in", "im", "dis", "non")


def _antonym(word: str, other: str) -> bool:
    return any(a == p + b for p in _NEGATING_PREFIXES for a, b in ((word, other), (other, word)))


def _stem(word: str) -> str:
    """A verb's base form, good enough for the inverting verbs (eases, helped, settling)."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            return base + "e" if suffix in ("ing", "ed", "es") and base.endswith(("s", "v", "c")) else base
    return word


@dataclass(frozen=True)
class _Candidate:
    finding: str
    words: frozenset[str]
    negated: bool  # the phrase itself carries a negation ("can't pee")
    absent_only: bool
    normal: bool = False  # "down there feels normal": absent as said, nothing when negated


@dataclass
class _Hit:
    cand: _Candidate
    positions: frozenset[int]
    start: int
    end: int
    score: float
    supplied: bool = False  # one word came from the question's topic, not from the reply


@functools.lru_cache(maxsize=64)
def _by_first(seqs: frozenset[tuple[str, ...]]) -> dict[str, tuple[tuple[int, frozenset[tuple[str, ...]]], ...]]:
    """Sequences by first word, then by length (the lexicon's classes are few and fixed; one
    first word may start a thousand sequences, so each length is one set lookup)."""
    index: dict[str, dict[int, set[tuple[str, ...]]]] = defaultdict(lambda: defaultdict(set))
    for seq in seqs:
        if seq:
            index[seq[0]][len(seq)].add(seq)
    return {first: tuple(sorted((n, frozenset(group)) for n, group in by_len.items()))
            for first, by_len in index.items()}


def find_seqs(words: list[str], seqs: frozenset[tuple[str, ...]], lo: int = 0,
              hi: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of any word sequence within words[lo:hi] (end exclusive),
    earliest first (shorter first at one start)."""
    hi = len(words) if hi is None else hi
    index = _by_first(seqs)
    found = []
    for i in range(lo, hi):
        for n, group in index.get(words[i], ()):
            if i + n <= hi and tuple(words[i : i + n]) in group:
                found.append((i, i + n))
    return found


class FindingReader:
    """The finding phrases of a grammar, indexed by content word (see the module docstring)."""

    def __init__(self, grammar: Grammar, history_ids: frozenset[str] = frozenset()) -> None:
        self.lex: Lexicon = grammar.lexicon
        # "my mum had cancer" is not the person's history; but a carer's "his privates feel numb"
        # is the patient's symptom, so other people are set aside only for history findings.
        self._history = history_ids
        self._auxiliaries = grammar.auxiliaries  # "can", "do": never the only word said
        st = grammar.structure
        self._organ_of = st.organ_of
        self._heads = frozenset(w for head in (st.heads or {}).values() for w in self.lex.words(head))
        self._exclusive = st.exclusive
        self._organ_words = {organ: frozenset(w for text in words for w in self.lex.words(text))
                             for organ, words in st.organs.items()}
        self._any_organ_word = frozenset(w for words in self._organ_words.values() for w in words)
        # The bladder's and the bowel's words that no other organ has ("backpassage" is also the
        # saddle's): what a description's focus on one of them is known by.
        shared = {w for organ, ws in self._organ_words.items() for w in ws
                  if any(w in other for name, other in self._organ_words.items() if name != organ)}
        self._exclusive_words = {organ: self._organ_words.get(organ, frozenset()) - shared for organ in self._exclusive}
        self._unaware = frozenset(tuple(self.lex.words(text)) for text in st.unaware)
        self._involuntary = frozenset(tuple(self.lex.words(text)) for text in st.involuntary)
        self._implies = st.implies or {}
        self._happened = frozenset(w for text in st.happened for w in self.lex.words(text))
        self._accidents = st.accidents
        self._unperceived, self._losses = st.unperceived, st.losses
        self._bilateral = st.bilateral_finding
        self._bilateral_from = st.bilateral_from
        self._bilateral_also = st.bilateral_also
        self._plural = frozenset(w for text in st.plural for w in self.lex.words(text))
        self._sides = frozenset(w for text in st.sides for w in self.lex.words(text))
        self._singular = frozenset(w for text in st.singular for w in self.lex.words(text))
        self._fine = frozenset(w for text in st.fine for w in self.lex.words(text))
        # When something happened ("last night", "since Tuesday") says nothing of what: never the
        # word that lets the question's organ fill in a phrase ("[pee] since last night").
        durations = self.lex.durations_doc if isinstance(self.lex.durations_doc, dict) else {}
        self._time_words = frozenset(str(w) for key in ("units", "since") for w in (durations.get(key) or {})) \
            | _TIME_MARKERS
        self._presumed = st.presumed_finding
        self._presumed_words = frozenset(w for text in st.presumed_words for w in self.lex.words(text))
        self._elsewhere = frozenset(w for organ in st.presumed_elsewhere for w in self._organ_words.get(organ, ())) \
            | self.lex.other_sites
        self._possessed = st.possessed_finding
        self._possessed_words = st.possessed_words
        self._owners = st.owners
        self._not_before = frozenset(w for text in st.not_before for w in self.lex.words(text))
        self._candidates: list[_Candidate] = []
        self._index: dict[str, list[int]] = defaultdict(list)
        owner: dict[tuple[frozenset[str], bool], str] = {}
        skip = self.lex.ignore | self.lex.cues
        for absent_only, table in ((False, grammar.findings), (True, grammar.absent_only)):
            for fid, phrases in table.items():
                for phrase in phrases:
                    words = self.lex.words(phrase.text)
                    content = frozenset(words) - skip
                    negated = not self.lex.cues.isdisjoint(words)
                    if not content:
                        raise ContentError(phrase.file, f"line {phrase.line}", f"{phrase.text!r} has no content words")
                    if len(content) == 1 and content <= self.lex.not_alone:
                        raise ContentError(phrase.file, f"line {phrase.line}",
                                           f"{phrase.text!r} comes down to the everyday word {min(content)!r}")
                    seen = owner.setdefault((content, negated), fid)
                    if seen != fid:
                        raise ContentError(
                            phrase.file,
                            f"line {phrase.line}",
                            f"{phrase.text!r} reads the same as a phrase of {seen!r} (words: {sorted(content)})",
                        )
                    self._candidates.append(_Candidate(fid, content, negated, absent_only))
        for fid, phrases in grammar.normal.items():
            for phrase in phrases:
                words = self.lex.words(phrase.text)
                content = frozenset(w for w in words if w not in self.lex.ignore and w not in self.lex.cues)
                if not content or any(w in self.lex.cues for w in words) or (content, False) in owner or (
                        len(content) == 1 and content <= self.lex.not_alone):  # "my bits are fine" is "a bit fine"
                    # Shared by several findings on purpose, but never negated and never the words
                    # of a phrase that reports a finding present.
                    raise ContentError(phrase.file, f"line {phrase.line}",
                                       f"normal phrase {phrase.text!r} needs content words, no negation, "
                                       "and words no finding template has")
                self._candidates.append(_Candidate(fid, content, negated=False, absent_only=False, normal=True))
        unique = list(dict.fromkeys(self._candidates))
        self._candidates = unique
        # The words each organ's phrases use: a phrase of one organ made only of words the other's
        # phrases use too ("nothing comes out") is the other's when the reply is about the other.
        self._phrase_words: dict[str, frozenset[str]] = {}
        for cand in unique:
            organ = self._organ_of.get(cand.finding)
            if organ is not None:
                self._phrase_words[organ] = self._phrase_words.get(organ, frozenset()) | cand.words
        self._also = {f: frozenset(w for text in words for w in self.lex.words(text))
                      for f, words in self._bilateral_also.items()}
        for i, cand in enumerate(unique):
            for word in cand.words:
                self._index[word].append(i)
        self._rare: dict[str, list[int]] = defaultdict(list)
        for i, cand in enumerate(unique):
            self._rare[min(cand.words, key=lambda w: (len(self._index[w]), w))].append(i)
        self._vocab = sorted(set(self._index) | self.lex.ignore | self.lex.cues | set(self.lex.lemmas)
                             | self.lex.rewrite_words)
        self._vocab_set = frozenset(self._vocab)

    @functools.lru_cache(maxsize=8192)  # noqa: B019 - one Matcher per process (load_matcher)
    def _correct(self, word: str) -> tuple[str, float]:
        """The grammar word a (mis)spelt word stands for, with its similarity 0-1."""
        if word in self._vocab_set or len(word) < WORD_MIN_LENGTH:
            return word, 1.0
        base = self._inflected(word)
        if base is not None:  # "needed pads", "she's wetted herself": a form no template has
            return self.lex.lemmas.get(base, base), 1.0
        # A slip keeps the first letter (typists and recognizers alike): "training" is no
        # misspelt "straining", "rain" no "train".
        best = next((c for c in process.extract(word, self._vocab, scorer=fuzz.ratio, score_cutoff=WORD_MIN_SCORE,
                                                limit=FUZZY_CANDIDATES) if c[0][:1] == word[:1]), None)
        if best is None or best[0] in _NO_CORRECTION or best[0] in self.lex.cues or _antonym(word, best[0]):
            return word, 1.0
        return self.lex.lemmas.get(best[0], best[0]), best[1] / 100.0

    def fix(self, word: str) -> str | None:
        """The correction of a misspelt word, or None when it is spelt as the grammar spells it."""
        fixed, score = self._correct(word)
        return fixed if score < 1.0 else None

    def _inflected(self, word: str) -> str | None:
        """The grammar word ``word`` is an inflection of (needed → need, wetting → wet, tingled →
        tingle), or None: an -ed, -ing or -s form the templates do not list is still their verb."""
        for suffix in INFLECTIONS:
            if not word.endswith(suffix) or len(word) - len(suffix) < 3:
                continue
            base = word[: -len(suffix)]
            doubled = base[:-1] if len(base) > 3 and base[-1] == base[-2] else base
            for candidate in (base, base + "e", doubled):
                if candidate in self._vocab_set and candidate not in self.lex.cues:
                    return candidate
        return None

    # --- findings ---------------------------------------------------------------------------------

    def split(self, clause: list[Token]) -> list[list[Token]]:
        """Split at clause breakers ("but") and after a leading "no" before a new subject."""
        words = [t.word for t in clause]
        cuts = {s for s, e in find_seqs(words, self.lex.breakers)} | {
            e for s, e in find_seqs(words, self.lex.breakers)
        }
        run = 0
        while run < len(words) and words[run] in INTERJECTIONS:
            run += 1
        if 0 < run < len(words) and words[run] in _SUBJECTS:
            cuts.add(run)
        # "I know when I need to go alright I just can't get it out": a person's subject and its
        # auxiliary after a word that does not lead into a clause ("when I", "and I") start a new one.
        last = 0
        for i in range(2, len(words) - 1):
            if words[i] not in _PERSONS or words[i - 1] in _LEADS_IN or words[i - 1] in _PERSONS:
                continue
            if any(words[k] in _SUBORDINATORS and (k == last or k in cuts or words[k - 1] in _JOINERS)
                   for k in range(last, i)):
                continue  # "(and|but) when I went to wipe I couldn't feel the paper": one statement
            j = i + 1
            while j < len(words) - 1 and words[j] in _ADVERBS:
                j += 1
            if words[j] in self._auxiliaries and words[i - 1] not in self.lex.cues:
                cuts.add(i)
                last = i
        # "she says no, she can feel everything": an answer word reported, then a new subject.
        cuts.update(i + 1 for i in range(run, len(words) - 1)
                    if words[i] in _REPORTED_ANSWERS and words[i + 1] in _SUBJECTS and i and words[i - 1] in _SAYS)
        breaker_spans = find_seqs(words, self.lex.breakers)
        drop = {i for s, e in breaker_spans for i in range(s, e)}
        pieces: list[list[Token]] = [[]]
        for i, tok in enumerate(clause):
            if i in cuts and pieces[-1]:
                pieces.append([])
            if i not in drop:
                pieces[-1].append(tok)
        return [p for p in pieces if p]

    @property
    def organ_words(self) -> dict[str, frozenset[str]]:
        """Each organ's words, normalised (``structure.organs``)."""
        return self._organ_words

    def topic_words(self, topic: Sequence[str]) -> frozenset[str]:
        """The organ a question is about, as words a reply may leave out: on the bladder question
        "I can't hold it" is about pee, "I've had an accident" on the bowel question about poo."""
        organs = {self._organ_of[f] for f in topic if f in self._organ_of}
        return self._organ_words.get(organs.pop(), frozenset()) if len(organs) == 1 else frozenset()

    def findings(self, clauses: list[list[Token]], implied: frozenset[str] = frozenset(),
                 topic: frozenset[str] = frozenset(),
                 when: Callable[[list[FindingMatch]], list[FindingMatch]] | None = None) -> tuple[FindingMatch, ...]:
        """Findings of every clause. ``implied``: organ words the question supplies (topic_words).
        ``when``: gives every mention its time (nlu/tense.py) before mentions of one finding are
        merged: "his left leg has always been weak, but now his right leg is giving way" is weak now."""
        best: dict[str, FindingMatch] = {}
        mentions: list[FindingMatch] = []
        words = [t.word for clause in clauses for t in clause]
        proxy = bool(self.lex.proxy) and bool(find_seqs(words, self.lex.proxy))
        last_site: frozenset[str] = frozenset()  # the body-part word last named, for "it" / "they"
        # In a description (no question to supply an organ), the bladder or bowel named last: "when
        # I go for a number two I don't feel it, and I had a little accident" is about the bowel.
        focus: frozenset[str] = frozenset()
        exclusive_words = self._exclusive_words
        for clause in clauses:
            for piece in self.split(clause):
                after = words[piece[-1].at + 1 :] if piece[-1].at >= 0 else []
                said = [t.word for t in piece]
                here = implied
                pointed = bool(last_site) and any(w in _PRONOUNS_OF_SITES for w in said)
                if pointed:
                    # "my inner thighs, they feel numb"; "just the one leg, it's numb": the part
                    # named earlier in the reply, before the question's own organ; the bladder or
                    # bowel by any of its words ("a number two ... I don't feel it come out").
                    here = next((ws for ws in exclusive_words.values() if last_site <= ws), last_site)
                elif focus and not any(w in self._any_organ_word for w in said) and focus.isdisjoint(implied):
                    # ... and on a question about another organ, the one the reply turned to: "my
                    # waterworks are fine, it's my bowels, I've had an accident" is the bowel's.
                    here = focus
                own = False
                if not implied and here is implied:
                    named = [ws for ws in exclusive_words.values() if set(said) & ws]
                    if len(named) == 1:  # the piece names the bladder or the bowel, and no other
                        here, own = named[0], True
                for w in said:  # the word itself: "they" are the inner thighs, not any saddle word
                    if w in self._any_organ_word:
                        last_site = frozenset((w,))
                    focus = next((ws for ws in exclusive_words.values() if w in ws), focus)
                mentions.extend(self._match_piece(piece, here, proxy, after, topic, own,
                                                  pointed and here is not implied))
        mentions = when(mentions) if when is not None else mentions
        for match in list(mentions):
            if match.id == self._bilateral and match.present:
                # "both legs feel weak" is weakness in a leg too: a both-legs phrase that says
                # one of a one-leg finding's words (structure.bilateral.also) is that finding too.
                spoken = set(words[match.at[0] : match.at[1] + 1])
                mentions.extend(replace(match, id=f) for f, signature in self._also.items() if spoken & signature)
        for match in mentions:
            old = best.get(match.id)
            # Safety: if one part says present and another absent, present wins.
            # What was said outranks what the question supplied, at equal polarity.
            if old is None or (match.present, not match.hedged, match.score, not match.supplied) > (
                    old.present, not old.hedged, old.score, not old.supplied):
                best[match.id] = match
        for derived in self._derived(clauses, words, best, topic):
            # What was said about a finding outranks what structure implies ("not both legs,
            # just my left leg is numb").
            old = best.get(derived.id)
            if old is None or (old.supplied and not old.present):
                best[derived.id] = derived
        return tuple(best.values())

    def _derived(self, clauses: list[list[Token]], words: list[str],
                 best: dict[str, FindingMatch], topic: frozenset[str] = frozenset()) -> list[FindingMatch]:
        """Findings implied by structure rather than said in a phrase: the sensation loss of an
        accident "without realising" (and, on the bladder or bowel question, the accident itself:
        "he didn't even know he'd done it"); both legs when a leg finding is said of both; the back
        pain of "my back ..." whatever is said of it."""
        out: list[FindingMatch] = []
        unaware_at = find_seqs(words, self._unaware) if self._unaware else []
        organs = {self._organ_of[f] for f in topic if f in self._organ_of}
        # "I honestly don't know, I haven't been since Tuesday": a "don't know" that is doubt
        # says nothing of an accident.
        # "I don't really feel it happen" is no doubt: a contracted "not" before a verb of feeling.
        tokens = [t for clause in clauses for t in clause]
        doubt = {i for s, e in self._hedges(words, tokens, _FEELING) for i in range(s, e)}
        unaware_at = [(s, e) for s, e in unaware_at if not doubt.intersection(range(s, e))]
        if unaware_at and len(organs) == 1 and organs <= self._accidents.keys():
            accident = self._accidents[next(iter(organs))]
            cue = {i for s, e in unaware_at for i in range(s, e)}
            organ = next(iter(organs))
            # What happened, or the organ itself ("she doesn't notice she's peeing").
            said = [i for i, w in enumerate(words)
                    if (w in self._happened or w in self._organ_words.get(organ, ())) and i not in cue]
            old = best.get(accident)
            if said and (old is None or old.supplied or old.fragile):
                tokens = [t for clause in clauses for t in clause]
                lo, hi = min(said[0], unaware_at[0][0]), max(said[-1], unaware_at[-1][1] - 1)
                shown = " ".join(t.shown for t in tokens[lo : hi + 1] if t.shown)
                best[accident] = FindingMatch(accident, True, 1.0, shown, shown, (tokens[lo].at, tokens[hi].at))
        if self._possessed is not None and self._possessed not in best:
            tokens = [t for clause in clauses for t in clause]
            for i in range(1, len(words)):
                if (words[i] in self._possessed_words and words[i - 1] in self._owners
                        and (i + 1 == len(words) or words[i + 1] not in self._not_before)):
                    shown = " ".join(t.shown for t in tokens[i - 1 : i + 1] if t.shown)
                    # "my back is fine really, it's my neck": the back said to be well, no pain word.
                    # The well word follows the back closely ("is fine", "'s ok"), not "worse than
                    # normal", not "my back, and my legs are fine".
                    clause = next((c for c in clauses if c and c[0].at <= tokens[i].at <= c[-1].at), [])
                    in_clause = {t.word for t in clause}
                    near = words[i + 1 : i + 4]
                    well = (not self._fine.isdisjoint(near) and "than" not in near and "and" not in near
                            and self._presumed_words.isdisjoint(in_clause) and self.lex.cues.isdisjoint(in_clause))
                    out.append(FindingMatch(self._possessed, not well, 1.0, shown, shown,
                                            (tokens[i - 1].at, tokens[i].at)))
                    break
        out.extend(self._involuntary_accidents(clauses, words, best, organs))
        out.extend(self._unperceived_events(words, tokens, topic, organs))
        out.extend(self._fine_organs(clauses, best, topic))
        if not topic and self._presumed is not None and self._presumed not in best and not any(
                m.id == self._presumed for m in out):
            out.extend(self._presumed_pain(clauses))
        unaware = bool(unaware_at)
        for match in list(best.values()):
            if not match.present:
                continue
            implied = self._implies.get(match.id)
            if unaware and implied is not None:
                out.append(FindingMatch(implied, True, match.score, match.span, match.clause, match.at,
                                        match.hedged))
            if self._bilateral is not None and match.id in self._bilateral_from:
                lo, hi = match.at
                near = words[max(lo - 2, 0) : hi + 1]  # "both leg weak": the word just before counts
                negated = any(words[c] in self.lex.cues and not self._inability_of_other_verb(words, c, lo)
                              for c in range(max(lo - 4, 0), lo))
                sides_named = {w for w in words if w in self._sides}
                if not negated and (set(near) & self._plural
                                    or (set(near) & self._sides and len(sides_named) > 1)):
                    out.append(FindingMatch(self._bilateral, True, match.score, match.span, match.clause,
                                            match.at, match.hedged))
        return out

    def _unperceived_events(self, words: list[str], tokens: list[Token], topic: frozenset[str],
                            organs: set[str]) -> list[FindingMatch]:
        """On the question about an organ's feeling, doubt whose object is that organ's event ("I
        can't tell if I've been", "I don't know when it's empty") is the feeling lost
        (structure.unperceived). Its span covers the doubt, so the doubt is not the answer."""
        loss = self._losses.get(next(iter(organs))) if len(organs) == 1 else None
        if loss is None or loss not in topic:
            return []
        out: list[FindingMatch] = []
        for i, word in enumerate(words[:-1]):
            cue = next((j for j in range(max(0, i - 3), i) if words[j] in self.lex.cues), None)
            if word not in self.lex.perception or cue is None or words[i + 1] not in _DOUBT_OBJECT:
                continue  # "can't tell | if", "don't know | when": a negated perception, then its object
            event = next((k for k in range(i + 2, min(len(words), i + 2 + _EVENT_REACH))
                          if words[k] in self._unperceived), None)
            if event is not None:
                shown = " ".join(t.shown for t in tokens[cue : event + 1] if t.shown)
                out.append(FindingMatch(loss, True, 1.0, shown, shown, (tokens[cue].at, tokens[event].at)))
        return out

    def _involuntary_accidents(self, clauses: list[list[Token]], words: list[str], best: dict[str, FindingMatch],
                               asked: set[str]) -> list[FindingMatch]:
        """ "I peed a little without meaning to": a cue of not meaning it, in a clause naming what
        happened and one organ (the bladder or bowel, or the question's), is that organ's accident."""
        out: list[FindingMatch] = []
        for s, e in find_seqs(words, self._involuntary) if self._involuntary else []:
            clause = next((c for c in clauses if c and c[0].at <= s <= c[-1].at), [])
            said = [t.word for t in clause if not s <= t.at < e]
            named = [o for o in self._accidents if not self._organ_words.get(o, frozenset()).isdisjoint(said)]
            if not named and len(asked) == 1 and asked <= self._accidents.keys():
                named = list(asked)
            if len(named) != 1 or (self._happened.isdisjoint(said) and self._organ_words[named[0]].isdisjoint(said)):
                continue
            accident = self._accidents[named[0]]
            old = best.get(accident)
            if old is None or old.supplied or old.fragile or not old.present:
                shown = " ".join(t.shown for t in clause if t.shown)
                out.append(FindingMatch(accident, True, 1.0, shown, shown, (clause[0].at, clause[-1].at)))
        return out

    def _presumed_pain(self, clauses: list[list[Token]]) -> list[FindingMatch]:
        """Asked about back pain, "I think I pulled something, it hurts to bend" is back pain: the
        first pain word, not negated, in a clause that names no other body part."""
        assert self._presumed is not None
        for clause in clauses:
            words = [t.word for t in clause]
            if not self._elsewhere.isdisjoint(words):
                continue  # "my neck aches", "both legs are sore": the pain has its own site
            for i, word in enumerate(words):
                if word in self._presumed_words and self.lex.cues.isdisjoint(words[max(0, i - 3) : i]):
                    shown = " ".join(t.shown for t in clause if t.shown)
                    return [FindingMatch(self._presumed, True, 1.0, clause[i].shown or word, shown,
                                         (clause[i].at, clause[i].at))]
        return []

    def _fine_organs(self, clauses: list[list[Token]], best: dict[str, FindingMatch],
                     topic: frozenset[str]) -> list[FindingMatch]:
        """On a question about an organ, a piece that names it and says it is well ("my waterworks
        are fine", "peeing is ok, it's my legs") rules out the question's findings of that organ;
        nothing when the piece negates or doubts it ("not fine", "fine I think")."""
        asked = {self._organ_of[f] for f in topic if f in self._organ_of}
        if not asked or not self._fine:
            return []
        out: list[FindingMatch] = []
        for clause in clauses:
            for piece in self.split(clause):
                words = [t.word for t in piece]
                if (self._fine.isdisjoint(words) or not self.lex.cues.isdisjoint(words) or "than" in words
                        or self._hedges(words, piece) or not ABILITY.isdisjoint(words)):
                    # "I can feel it fine" is a plain form, read (and doubted) as one; "slower than
                    # normal" is no "normal".
                    continue
                named = {o for o in asked if not self._organ_words.get(o, frozenset()).isdisjoint(words)}
                if not named and len(asked) == 1 and not _PRONOUNS_OF_SITES.isdisjoint(words) \
                        and self._any_organ_word.isdisjoint(words):
                    named = set(asked)  # "they're both fine" on the legs question
                shown = " ".join(t.shown for t in piece if t.shown)
                out.extend(FindingMatch(f, False, 1.0, shown, shown, (piece[0].at, piece[-1].at))
                           for f in sorted(topic) if self._organ_of.get(f) in named and f not in best)
        return out

    def _match_piece(self, piece: list[Token], implied: frozenset[str] = frozenset(),
                     proxy: bool = False, after: list[str] | None = None,
                     topic: frozenset[str] = frozenset(), own_organ: bool = False,
                     pointed: bool = False) -> list[FindingMatch]:
        """The findings of one piece. ``implied``: organ words it may leave out; ``own_organ``: they
        are the organ the piece itself names (a description), and may be said far from the rest;
        ``pointed``: they are the part a pronoun of the piece points back at ("no numbness in it")."""
        words = [t.word for t in piece]
        # The bladder or bowel this piece is about, when the question or the reply says so.
        focus_organ = next((o for o in self._exclusive if implied and implied <= self._organ_words.get(o, frozenset())),
                           None)
        # Another organ named here takes the topic's place ("no, but my bladder is fine" on the
        # bowel question); the topic's own organ named ("erections, I mean") does not.
        named_organ = any(w in organ for organ in self._organ_words.values()
                          if not (implied and implied <= organ) for w in words) \
            or any(w in self.lex.other_sites for w in words)  # "my hands tingle": not [legs]
        hedge_spans = self._hedges(words, piece)
        positions: dict[str, list[int]] = defaultdict(list)
        scores: dict[int, float] = {}
        content_at: list[int] = []
        for i, word in enumerate(words):
            if word in self.lex.ignore or word in self.lex.cues:
                continue
            fixed, score = self._correct(word)
            positions[fixed].append(i)
            scores[i] = score
            content_at.append(i)
        said_words = positions.keys()
        # Each candidate is indexed by its rarest word: look it up there, then check the rest.
        ready = [c for word in said_words for c in self._rare.get(word, ())
                 if self._candidates[c].words <= said_words]
        # The question's organ stands in for one word a reply leaves out, when the piece names no
        # organ itself and says at least one other word of the phrase that is not an everyday word.
        gaps: dict[int, str] = {}
        if implied and not named_organ:
            for word in implied if own_organ else implied - said_words:
                for c in self._index.get(word, ()):
                    rest = self._candidates[c].words - {word}
                    # The question supplies for its own findings ("it's numb" on the one-leg
                    # question is one leg, not both), and for any bladder or bowel finding ("she's
                    # been having accidents" on the question about the feeling of peeing).
                    fid = self._candidates[c].finding
                    if fid == self._bilateral and len(self._singular & said_words) == 1:
                        continue  # "the pain goes down one leg": not [legs]
                    if rest and rest <= said_words and (
                            not topic or fid in topic or self._organ_of.get(fid) in self._exclusive):
                        gaps[c] = "" if c in gaps else word  # two supplied words: not used
        hits: list[_Hit] = []
        for c in sorted({*ready, *gaps}):
            cand = self._candidates[c]
            need = cand.words
            # The organ word may be said but far from the rest ("when I go for a poo I kind of
            # don't feel it happening, and I had a little accident"): then it is supplied too.
            if c in gaps and (not cand.words <= said_words
                              or self._place(cand, positions, scores, content_at) is None):
                gap = gaps[c]
                said = cand.words - {gap}
                strong = said - self.lex.not_alone - self._auxiliaries
                if self.lex.cues.isdisjoint(words):
                    # "haven't been since last night" says it; "he wet the bed last night" has no
                    # "[pee] since last night" in it: a time alone never fills in a plain form.
                    strong -= self._time_words
                if cand.negated:
                    strong |= said & self.lex.perception  # "I can't feel it" [pee]
                    if not self.lex.cues.isdisjoint(words):
                        strong |= said & _GOING  # "I can't go at all" [pee], said with its "not"
                if not gap or not strong:
                    continue
                need = said
            hit = self._place(cand, positions, scores, content_at, need)
            if hit is not None:
                hits.append(replace(hit, supplied=need is not cand.words))
        # Two supplied readings of the same words: the organ's first word wins ("yes, it's numb"
        # on the saddle question is numbness down below, not also when wiping).
        by_place: dict[frozenset[int], list[_Hit]] = defaultdict(list)
        for h in hits:
            if h.supplied:
                by_place[h.positions].append(h)
        for group in by_place.values():
            heads = [h for h in group if (h.cand.words - set(positions)) & self._heads]
            if heads and len(heads) < len(group):
                hits = [h for h in hits if h not in group or h in heads]
        # A phrase's words never span a new clause with its own subject and verb ("my back is sore
        # and I had a bad chest infection" says no sore chest).
        # Only a clause joined on by "and": "when I wipe, I can't feel the paper" is one statement.
        resets = [s for s, _ in find_seqs(words, self.lex.resets)]
        clause_starts = [r for r in resets if words[r] in _PRONOUNS and r and words[r - 1] in _JOINERS]
        hits = [h for h in hits if not any(h.start < r < h.end for r in clause_starts)]
        # A phrase inside a longer one is the longer one's; a supplied hit is not inside it (its
        # missing word is elsewhere: "my inner thighs, they feel numb on both sides").
        # The back pain the person is describing stays whatever phrase it is part of ("back pain
        # shooting down both legs").
        # Not when the longer one joins two statements with "and" and this is another finding on one
        # side of it: "I pooed myself and couldn't feel it" is the accident and the lost feeling.
        hits = [h for h in hits if h.supplied or h.cand.finding == self._presumed
                or not any(h.positions < o.positions and not (
                    o.cand.finding != h.cand.finding and any(
                        words[k] in _JOINERS and (max(h.positions) < k or min(h.positions) > k)
                        for k in range(o.start, o.end) if k not in o.positions))
                    for o in hits)]
        if not topic:
            # In a description the organ supplied is only the reply's last one: a word another
            # phrase says in full is that phrase's ("my bladder is fine, I had a car accident").
            hits = [h for h in hits if not h.supplied or not any(
                not o.supplied and h.positions < o.positions for o in hits)]
        if not hits:
            return []
        if not self._fine.isdisjoint(words) and self.lex.cues.isdisjoint(words) and ABILITY.isdisjoint(words):
            # "they're both fine": said to be well, the question fills in no finding from a word
            # that only points at the part ("the left one drags" still says what it does).
            hits = [h for h in hits if not h.supplied or not (h.cand.words & set(words)) <= _POINTING]
            if not hits:
                return []
        # A hedge whose words are a finding's own ("I can't tell if my bladder is full") states the
        # symptom; any other hedge is doubt, and its words are no finding's.
        # Only words the person said can claim a hedge: "I can't tell" on the bladder question is
        # doubt, not "I can't tell [when I pee]".
        covered = {p for h in hits if not h.supplied for p in h.positions}
        hedge_spans = [(s, e) for s, e in hedge_spans if not covered & set(range(s, e))]
        hedged_at = {i for s, e in hedge_spans for i in range(s, e)}
        doubtful_spans = {(s, e) for s, e in find_seqs(words, self.lex.doubtful_no)} & set(hedge_spans)
        hits = [h for h in hits if not h.positions & hedged_at]
        if not hits:
            return []
        cues = [i for i, w in enumerate(words) if w in self.lex.cues and i not in hedged_at]
        # "can't stop it leaking", "won't go away": the cue negates the verb, not the symptom.
        # Each cue's inverting verb, where it has one (the cue then negates that verb).
        inverted = {i: at for i in cues if (at := self._inverter_at(words, i)) >= 0}
        sites = {w for w in words if w in self.lex.other_sites}

        def in_scope(cue: int, hit: _Hit) -> bool:
            # A reset right after the cue is the cue's own object ("nothing I do eases it").
            # A supplied organ word would have followed the verb ("I can't [pee]"), so the "not"
            # just after the last word said is still inside the phrase.
            end = hit.end + 1 if hit.supplied and hit.cand.negated else hit.end
            # An answer word is never followed by its object: "I am not, no, I know when I need to go".
            own = {r for r in resets if r == cue + 1 and words[r] in _PRONOUNS and words[cue] not in INTERJECTIONS}
            return cue <= end and not any(cue < r <= hit.start for r in resets if r not in own)

        # "nope", "nah": answer words only, never the negation a phrase carries ("nope, feel it fine").
        phrase_cues = [c for c in cues if words[c] not in _ANSWER_ONLY]
        claimed: set[int] = set()
        for hit in hits:
            if hit.cand.negated:
                # The word after a supplied phrase may be its own cue ("it's not [coming]"), never
                # an answer word ending the reply ("I haven't lost any feeling, no").
                inside = [c for c in phrase_cues if hit.start <= c <= hit.end or (
                    hit.supplied and c == hit.end + 1 and words[c] not in INTERJECTIONS)]
                before = [c for c in phrase_cues if c < hit.start and in_scope(c, hit)]
                if hit.supplied:  # only a cue next to the words said is a supplied phrase's own (below)
                    before = [c for c in before if c >= self._next_to(words, hit.start)]
                # A cue with another phrase between it and this one is that phrase's: "no weight
                # loss, eating fine" is no "not eating".
                others = {p for o in hits if o is not hit for p in o.positions}
                before = [c for c in before if not any(c < p < hit.start for p in others)]
                claimed.update(inside or before[-1:])
        out: list[FindingMatch] = []
        for hit in hits:
            if (self._about_someone_else(words, hit) and (
                    (hit.cand.finding in self._history and not proxy) or self._self_contrast(words, hit, after or [])
            )) or (self._others_after(words, hit) and self._self_contrast(words, hit, after or [])):
                # "my mum had cancer": not the person's own history. A symptom said of someone
                # else is the patient's (a carer: "his privates feel numb") unless the speaker sets
                # themself against it ("my wife had numbness down there, but I haven't").
                continue
            if self._other_organ(words, hit):
                continue  # "I didn't feel the poo come out" is not a bladder finding
            if hit.cand.negated and any(
                    c in inverted and in_scope(c, hit) and inverted[c] not in hit.positions
                    and words[inverted[c]] not in _GOING for c in phrase_cues):
                # "I can't stop going to the loo": the "not" is the inverting verb's, so this phrase
                # ("can't [go to the] loo") is said neither negated nor plain: not read at all.
                # A going verb is the phrase's own motion ("I can't go to the loo on my own").
                continue
            organ = self._organ_of.get(hit.cand.finding)
            if (organ in self._exclusive and focus_organ not in (None, organ)
                    and not set(words) & self._organ_words.get(organ, frozenset())
                    and hit.cand.words <= self._phrase_words.get(focus_organ, frozenset())):
                continue  # "a number two ... I don't feel it come out": about the bowel, not the bladder
            scoped = [c for c in (phrase_cues if hit.cand.negated else cues)
                      if in_scope(c, hit) and (hit.cand.negated or c not in inverted
                                               # "it doesn't go down my leg": the verb is the phrase's own
                                               or inverted[c] in hit.positions)]
            if hit.cand.negated:  # its own cue is not one with another phrase before it
                between = {p for o in hits if o is not hit for p in o.positions}
                scoped = [c for c in scoped if c >= hit.start or not any(c < p < hit.start for p in between)]
            if not hit.cand.negated:
                # "pain past the knee, no numbness": a cue inside the phrase whose next word is
                # another finding's is that finding's denial, not this one's.
                scoped = [c for c in scoped if not (hit.start < c < hit.end and (
                    self._owned_by_other(words, c, hit, hits)
                    # "a lump on my back that wasn't there before, and it aches": a new clause
                    # between the cue and the phrase's last word ends the cue's reach
                    or any(c < r <= hit.end for r in resets)))]
                # "she can't stand on that leg, it folds under her": an inability is said of its own
                # verb; a plain phrase after that verb is not denied by it.
                scoped = [c for c in scoped if not self._inability_of_other_verb(words, c, hit.start, hit.positions)]
            if hit.supplied and hit.cand.negated:
                # With a word supplied, only a cue next to the words said can be the phrase's own:
                # "it won't start" is "pee won't start", "it's not hard to start" is not.
                scoped = [c for c in scoped if self._next_to(words, hit.start) <= c <= hit.end or (
                    c == hit.end + 1 and words[c] not in INTERJECTIONS)]
            # A hedged denial's object is the clause right after it ("I don't think | I've lost").
            doubting = [(s, e) for s, e in hedge_spans if s <= hit.end and not any(
                s < r <= hit.start for r in resets if not ((s, e) in doubtful_spans and r == e))]
            hedged = bool(doubting)
            # "I don't think I've lost any weight": only a hedged denial in scope, of a plain phrase.
            doubtful_no = hedged and not hit.cand.negated and not hit.cand.normal and all(
                (s, e) in doubtful_spans for s, e in doubting)
            # A phrase that carries its own negation ("can't pee") is present when negated and
            # absent in its plain form ("I can pee"); any other phrase is absent when negated.
            free = [c for c in scoped if c not in claimed]
            if not hit.cand.negated and not scoped and self._trailing_no(words, hit.end):
                free = [len(words) - 1]  # "tingling no, numbness no": the answer word after it
            present = bool(scoped) if hit.cand.negated else not free
            if present and hit.cand.negated and self._double_negative(words, scoped, claimed):
                present = False  # "it's not that I can't feel it": the plain form, said twice over
            present = False if doubtful_no else present or hedged  # doubt never becomes "absent"
            if (hit.cand.negated and not present and not hit.supplied and not implied
                    and hit.cand.finding in self._organ_of and self._any_organ_word.isdisjoint(words)):
                # "it came on out of nowhere": the plain form of "nothing comes out" with no organ
                # named or asked about denies nothing (it had ruled out urinary retention).
                continue
            if hit.cand.normal:
                if free or hedged:
                    continue  # "it doesn't feel normal down there": not read either way, asked again
                present = False
            elif hit.cand.absent_only and (present or (topic and hit.cand.finding not in topic) or (
                    pointed and not implied <= self._organ_words.get(self._organ_of.get(hit.cand.finding, ""),
                                                                     frozenset()))):
                # "no numbness" denies saddle numbness in a description (clinical-spec.md's own
                # example) or as the answer to the saddle question, never as the answer to
                # another question ("not numb exactly, more tingly, in my left foot"), nor when the
                # piece points at another part ("pain down my leg, no numbness in it though").
                continue
            # The topic fills in statements, never denials ("can we stop" is no "can't stop
            # peeing"): a supplied denial is reported (supplied, absent) only so the matcher can
            # see that "I can feel it" contradicts a "yes" read from its auxiliary.
            if not present and sites - hit.cand.words:
                continue  # "no tingling in my hands" rules nothing out about the saddle or the legs
            first = min(hit.start, *scoped) if scoped else hit.start
            while first > 0 and not piece[first].shown:  # "haven't" → have + not: start at "haven't"
                first -= 1
            span = " ".join(t.shown for t in piece[first : hit.end + 1] if t.shown)
            clause = " ".join(t.shown for t in piece if t.shown)
            out.append(FindingMatch(hit.cand.finding, present, round(hit.score, 3), span, clause,
                                    (piece[first].at, piece[hit.end].at), (hedged and present) or doubtful_no,
                                    fragile=hit.cand.negated and not present, supplied=hit.supplied,
                                    own_question_only=doubtful_no and not present,
                                    contracted=not present and bool(free) and all(
                                        words[c] == "not" and not piece[c].shown for c in free)))
        return out

    def _hedges(self, words: list[str], tokens: list[Token],
                verbs: frozenset[str] | None = None) -> list[tuple[int, int]]:
        """Where doubt is said. "I can't really feel it": a "not" that came from a contraction
        negates its verb (with ``verbs``, only one of those verbs); only a free-standing one
        starts a hedge ("not really", "not sure")."""
        return [(s, e) for s, e in find_seqs(words, self.lex.hedges)
                if not (words[s] == "not" and not tokens[s].shown and s > 0
                        and (verbs is None or (e < len(words) and words[e] in verbs)))]

    @staticmethod
    def _double_negative(words: list[str], scoped: list[int], claimed: set[int]) -> bool:
        """A phrase's own cue inside a clause that "not that" denies: "it's not that I can't feel
        it", "it isn't like he can't pee" (the plain form, said twice over)."""
        own = [c for c in scoped if c in claimed]
        return bool(own) and any(
            words[c] == "not" and words[c + 1] in _DENIED_CLAUSE and words[c + 2] in _PRONOUNS
            for c in range(own[0] - 2) if c not in claimed)

    def _trailing_no(self, words: list[str], end: int) -> bool:
        """The piece ends in a no right after the phrase ("numbness no"; "wiping, nope"): the
        denial a person puts after what they deny, with only small words between."""
        rest = [w for w in words[end + 1 :] if w not in self.lex.ignore or w in INTERJECTIONS]
        return len(rest) == 1 and rest[0] in _TRAILING_NO

    def _next_to(self, words: list[str], start: int) -> int:
        """The first place a cue counts as next to the word at ``start``: just before it, past any
        adverbs between ("I don't really feel it coming": the "not" is still the phrase's own)."""
        at = start - 1
        while at > 0 and words[at] in self.lex.ignore and words[at] not in _SUBJECTS and words[at] not in self.lex.cues:
            at -= 1
        return at

    def _owned_by_other(self, words: list[str], cue: int, hit: _Hit, hits: list[_Hit]) -> bool:
        """The first content word after ``cue`` belongs to another hit, not to ``hit``."""
        for i in range(cue + 1, len(words)):
            if words[i] in self.lex.ignore or words[i] in self.lex.cues:
                continue
            return i not in hit.positions and any(i in other.positions for other in hits if other is not hit)
        return False

    def _inability_of_other_verb(self, words: list[str], cue: int, start: int,
                                 positions: frozenset[int] = frozenset()) -> bool:
        """The cue is the "not" of a "can't" / "couldn't" whose verb, the next content word, comes
        before the phrase at ``start`` (words at ``positions``) and is none of its words nor a
        perception verb ("I can't feel any numbness" still denies it)."""
        if cue == 0 or words[cue - 1] not in ABILITY or cue >= start:
            return False
        verb = next((i for i in range(cue + 1, start) if words[i] not in self.lex.ignore), None)
        return verb is not None and words[verb] not in self.lex.perception and verb not in positions

    def _inverter_at(self, words: list[str], cue: int) -> int:
        """Where an inverting verb is among the first two content words after a cue, in any
        inflection ("nothing I do eases it", "it won't go away", "can't stop it leaking"), or -1."""
        seen = 0
        for i in range(cue + 1, min(len(words), cue + 6)):
            if words[i] in self.lex.inverters or _stem(words[i]) in self.lex.inverters:
                return i
            if words[i] not in self.lex.ignore:
                seen += 1
                if seen == 2:
                    return -1
        return -1

    def _other_organ(self, words: list[str], hit: _Hit) -> bool:
        """The finding's phrase names no organ, and its clause names another organ, not its own."""
        organ = self._organ_of.get(hit.cand.finding)
        if organ is None:
            return False
        own = self._organ_words.get(organ, frozenset())
        if hit.cand.words & own:
            return False
        # Only words in or next to the phrase: "both my legs feel weak and I keep wetting myself"
        # names legs elsewhere, "I didn't feel the poo come out" names the bowel inside the phrase.
        near = set(words[max(hit.start - 2, 0) : hit.end + 3])
        if near & own:
            return False
        # Only organs a phrase could be mistaken between (bladder and bowel): "I wet myself, my
        # bum is numb" names the bottom, which takes nothing from the bladder. Between those two,
        # the whole clause counts: "when I go for a number two I do not feel it come out".
        exclusive = self._exclusive
        if organ in exclusive and not set(words) & own:
            near = set(words)
        return organ in exclusive and any(
            near & other for name, other in self._organ_words.items() if name != organ and name in exclusive)

    def _self_contrast(self, words: list[str], hit: _Hit, after: list[str]) -> bool:
        """After the finding (in this clause or a later one), the speaker denies it of themself
        ("..., but I haven't", "not me")."""
        words = words[hit.end + 1 :] + after
        for i in range(len(words)):
            if words[i] in self.lex.self_words and words[i] != "my":
                near = words[max(i - 2, 0) : i + 4]
                if any(w in self.lex.cues for w in near):
                    return True
        return False

    def _others_after(self, words: list[str], hit: _Hit) -> bool:
        """Another person is named just after the finding ("brittle bones run in my family")."""
        return any(w in self.lex.others for w in words[hit.end + 1 : hit.end + 6])

    def _about_someone_else(self, words: list[str], hit: _Hit) -> bool:
        """Another person is named before the finding and the person never comes back into it."""
        others = [i for i in range(hit.start) if words[i] in self.lex.others]
        if not others:
            return False
        return not any(w in self.lex.self_words for w in words[others[-1] + 1 : hit.end + 1])

    @staticmethod
    def _place(
        cand: _Candidate, positions: dict[str, list[int]], scores: dict[int, float], content_at: list[int],
        need: frozenset[str] | None = None,
    ) -> _Hit | None:
        """The tightest placement of a candidate's words (``need``: those said, when the question
        supplies one); None if spread too widely or scored low."""
        chosen: list[int] = []
        words = cand.words if need is None else need
        # Ties broken by the word itself: the same words always give the same placement.
        anchor_word = min(sorted(words), key=lambda w: len(positions[w]))
        best: tuple[int, list[int]] | None = None
        for anchor in positions[anchor_word]:
            picks = [min(positions[w], key=lambda p, a=anchor: abs(p - a)) for w in sorted(words)]  # type: ignore[misc]
            width = max(picks) - min(picks)
            if best is None or width < best[0]:
                best = (width, picks)
        if best is None:
            return None
        chosen = best[1]
        start, end = min(chosen), max(chosen)
        spread = sum(1 for i in content_at if start <= i <= end)
        if spread - len(words) > MAX_GAP:
            return None
        score = sum(scores[i] for i in chosen) / len(chosen)
        if score < FINDING_MIN_SCORE:
            return None
        return _Hit(cand, frozenset(chosen), start, end, score)
