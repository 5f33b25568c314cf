"""Normalising words: the lexicon from ``grammars/negation.yaml``.

Contractions, typed digits, word forms and multi-word rewrites are folded so that the grammar's
phrases and what a person said are compared as the same normalised words; the closed word classes
(negation cues, hedges, clause breakers, scope resets) are kept as word sequences for intent.py.
Loaded by ``grammar_phrases.load_lexicon``.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Final, NamedTuple

from ..content import LineDict
from .templates import Expander

_TOKEN_RE: Final = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_NUMBER_SIGN_RE: Final = re.compile(r"#\s*(\d)")
#: Bound on each word cache: the grammar's vocabulary is a few thousand words, and what people say
#: adds to it; past the bound words are normalised each time (slower) rather than memory growing.
_CACHE_WORDS: Final = 50_000


class Token(NamedTuple):
    """A normalised word, with the words of the input it came from (for spans).

    A NamedTuple rather than a frozen dataclass: thousands are made per grammar load.
    """

    word: str
    shown: str
    at: int = -1  # position in the utterance's token list (set by the matcher)


class Lexicon:
    """Normalisation and the closed word classes (negation cues, hedges, breakers, resets)."""

    def __init__(self, doc: LineDict, expander: Expander) -> None:
        self.contractions: dict[str, tuple[str, ...]] = {
            str(k): tuple(str(v).split()) for k, v in doc["contractions"].items()
        }
        self.numbers: dict[str, str] = {str(k): str(v) for k, v in doc["numbers"].items()}
        self.lemmas: dict[str, str] = {str(k): str(v) for k, v in doc["lemmas"].items()}
        self._cache: dict[str, tuple[str, ...]] = {}
        self._chunks: dict[str, tuple[str, ...]] = {}
        self.cues: frozenset[str] = frozenset(doc["cues"])
        self.ignore: frozenset[str] = frozenset(doc["ignore"]) - self.cues
        self.hesitations: frozenset[str] = frozenset(doc["hesitations"])
        # Two words whose second would be dropped as a hesitation ("uh huh" is yes, "the er" the
        # emergency room): replaced before hesitations go.
        self.joined: dict[tuple[str, str], tuple[str, ...]] = {}
        for key, value in (doc.get("joined") or {}).items():
            first, second = str(key).split()  # two words: checked by phrases.load_lexicon
            self.joined[(first, second)] = tuple(str(value).split())
        self._joined_first = frozenset(first for first, _ in self.joined)
        self.inverters: frozenset[str] = frozenset(doc.get("inverters") or ())
        self.others: frozenset[str] = frozenset(doc.get("others") or ())
        self.self_words: frozenset[str] = frozenset(doc.get("self_words") or ())
        self.other_sites: frozenset[str] = frozenset(doc.get("other_sites") or ())
        self.not_alone: frozenset[str] = frozenset(doc.get("not_alone") or ())
        self.perception: frozenset[str] = frozenset(doc.get("perception") or ())
        self.durations_doc: object = doc.get("durations")  # read by nlu/durations.py
        self.fillers: tuple[tuple[str, ...], ...] = tuple(tuple(str(f).split()) for f in doc["fillers"])
        # Rewrites and the phrase classes are matched on normalised words, so expand then normalise.
        self.rewrites: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        for entry in doc["rewrites"]:
            target = tuple(str(entry["to"]).split())
            for phrase in expander.expand(str(entry["from"])):
                self.rewrites.append((tuple(self._basic(phrase)), target))
        self.rewrites.sort(key=lambda pair: -len(pair[0]))
        # By first word, then by length, longest first: one dict lookup per length tried.
        by_first: dict[str, dict[int, dict[tuple[str, ...], tuple[str, ...]]]] = {}
        for src, target in self.rewrites:
            by_first.setdefault(src[0], {}).setdefault(len(src), {}).setdefault(src, target)
        self.rewrite_first: dict[str, list[tuple[int, dict[tuple[str, ...], tuple[str, ...]]]]] = {
            first: sorted(by_len.items(), key=lambda item: -item[0]) for first, by_len in by_first.items()
        }
        # A quick "nothing to rewrite": most phrases hold a rewrite's first word ("my", "the") but
        # not its first two words, so the run scan below is skipped for them.
        self.rewrite_words = frozenset(w for src, _ in self.rewrites for w in src)
        self._rewrite_single = frozenset(src[0] for src, _ in self.rewrites if len(src) == 1)
        self._rewrite_pairs = frozenset((src[0], src[1]) for src, _ in self.rewrites if len(src) > 1)
        self.hedges = self._word_set(doc["hedges"], expander)
        self.breakers = self._word_set(doc["breakers"], expander)
        self.resets = self._word_set(doc["resets"], expander)
        self.proxy = self._word_set(doc.get("proxy") or (), expander)  # a carer speaking for the patient
        # Time (nlu/tense.py): a past episode, one said to be over, improving pain, and the present.
        self.past = self._word_set(doc.get("past") or (), expander)
        self.over = self._word_set(doc.get("over") or (), expander)
        self.chronic = self._word_set(doc.get("chronic") or (), expander)
        self.better = self._word_set(doc.get("better") or (), expander)
        self.current = self._word_set(doc.get("current") or (), expander)
        self.onset: frozenset[str] = frozenset(doc.get("onset") or ())
        self.doubtful_no = self._word_set(doc.get("doubtful_no") or (), expander)

    def _word_set(self, templates: Iterable[str], expander: Expander) -> frozenset[tuple[str, ...]]:
        return frozenset(
            tuple(tok.word for tok in self.tokens(phrase)) for t in templates for phrase in expander.expand(t)
        )

    def _basic(self, text: str) -> list[str]:
        words: list[str] = []
        for raw in _TOKEN_RE.findall(text):
            words.extend(self._word(raw))
        return words

    def _word(self, raw: str) -> tuple[str, ...]:
        """One input word → its normalised words (cached: the vocabulary is small)."""
        cached = self._cache.get(raw)
        if cached is not None:
            return cached
        word = self.numbers.get(raw, raw)
        if word in self.contractions:
            result = self.contractions[word]
        elif word.endswith("n't") and len(word) > 3:
            result = (word[:-3], "not")
        else:
            # "back's", "bladder's": a possessive or "is", so the stem ("it's" is a contraction above).
            word = word[:-2] if word.endswith("'s") and len(word) > 2 else word
            result = (self.lemmas.get(word, word),)
        if len(self._cache) < _CACHE_WORDS:
            self._cache[raw] = result
        return result

    def words(self, text: str) -> list[str]:
        """Normalised words of clean lower-case text such as an expanded phrase (fast path).

        Tens of thousands of expanded phrases are read at load, made of a few hundred distinct
        words: each space-separated chunk is normalised once (a token never spans a space).
        """
        out: list[str] = []
        split = text.split()
        for chunk in self._join(split) if not self._joined_first.isdisjoint(split) else split:
            got = self._chunks.get(chunk)
            out.extend(self._chunk(chunk) if got is None else got)
        if self.rewrite_first.keys().isdisjoint(out):
            return out
        result: list[str] = []
        for start, n, target in self._rewrites(out):
            result.extend(out[start : start + n] if target is None else target)
        return result

    def _join(self, raws: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(raws):
            joined = self.joined.get((raws[i], raws[i + 1])) if i + 1 < len(raws) else None
            if joined:
                out.extend(joined)
                i += 2
            else:
                out.append(raws[i])
                i += 1
        return out

    def _chunk(self, chunk: str) -> tuple[str, ...]:
        got = self._chunks.get(chunk)
        if got is None:
            got = tuple(w for raw in _TOKEN_RE.findall(chunk) if raw not in self.hesitations for w in self._word(raw))
            if len(self._chunks) < _CACHE_WORDS:
                self._chunks[chunk] = got
        return got

    def _rewrites(self, words: list[str]) -> list[tuple[int, int, tuple[str, ...] | None]]:
        """The words in runs: (start, length, replacement or None to keep them), longest rewrite first."""
        if self.rewrite_first.keys().isdisjoint(words) or (
            self._rewrite_single.isdisjoint(words) and self._rewrite_pairs.isdisjoint(itertools.pairwise(words))
        ):
            return [(0, len(words), None)]
        runs: list[tuple[int, int, tuple[str, ...] | None]] = []
        i = kept = 0
        while i < len(words):
            for n, table in self.rewrite_first.get(words[i], ()):
                target = table.get(tuple(words[i : i + n]))
                if target is not None:
                    if kept < i:
                        runs.append((kept, i - kept, None))
                    runs.append((i, n, target))
                    i += n
                    kept = i
                    break
            else:
                i += 1
        if kept < len(words):
            runs.append((kept, len(words) - kept, None))
        return runs

    def tokens(self, text: str, fix: Callable[[str], str | None] | None = None) -> list[Token]:
        """Lower-case words of ``text`` with contractions, digits and rewrites normalised.

        ``fix``: a typo's correction, when it is a word of a rewrite ("pins and neeldes" is read as
        "pins and needles" before rewrites, so it can still become the one word they stand for)."""
        text = text.lower()
        if not (text.isascii() and text.isprintable()):
            text = unicodedata.normalize("NFKD", text).replace("\u2019", "'")
            # Accents go ("dónde" is "donde", "naïve" is "naive"); other characters part words.
            text = "".join(ch if ch.isascii() and ch.isprintable() else "" if unicodedata.combining(ch) else " "
                           for ch in text)
        if "#" in text:  # typed "#2" is said "number two"
            text = _NUMBER_SIGN_RE.sub(r"number \1", text)
        out: list[Token] = []
        raws = _TOKEN_RE.findall(text)
        if self.joined:
            raws = self._join(raws)
        for raw in raws:
            if raw in self.hesitations:
                continue
            words = self._word(raw)
            out.append(Token(words[0], raw))
            out.extend(Token(word, "") for word in words[1:])
        if fix is not None:
            for i, tok in enumerate(out):
                if tok.word not in self.rewrite_words:
                    fixed = fix(tok.word)
                    if fixed is not None and fixed in self.rewrite_words:
                        out[i] = tok._replace(word=fixed)
        runs = self._rewrites([tok.word for tok in out])
        if len(runs) == 1 and runs[0][2] is None:
            return out
        result: list[Token] = []
        for start, n, target in runs:
            if target is None:
                result.extend(out[start : start + n])
                continue
            shown = " ".join(t.shown for t in out[start : start + n] if t.shown)
            result.extend(Token(w, shown if j == 0 else "") for j, w in enumerate(target))
        return result
