"""The phrase grammars: ``grammars/{answers,symptoms,negation}.yaml`` → phrase lists and a lexicon.

One template source serves two consumers: recognizers get the expanded phrases they are constrained
to (``Grammar.phrases_for``), and the matcher (intent.py) gets the same phrases with the finding or
answer each one stands for. Loading is strict: an unknown finding id, a malformed template, or one
phrase claimed by two findings is a ``ContentError`` naming the file and line.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NamedTuple

from .content import LineDict, LineList, check_keys, load_data_file, load_yaml
from .errors import ContentError
from .templates import Expander, TemplateError

ANSWERS_FILE: Final = "answers.yaml"
SYMPTOMS_FILE: Final = "symptoms.yaml"
NEGATION_FILE: Final = "negation.yaml"
ANSWER_KINDS: Final = ("yes", "no", "unsure", "repeat", "help", "stop")
RATE_KINDS: Final = ("slower", "faster")
QUESTION_KINDS: Final = ("open", "yes_no", "confirm")

_TOKEN_RE: Final = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class Phrase:
    """One expanded phrase: what a person says (``text``) and what it stands for (``target``)."""

    text: str
    target: str
    file: str
    line: int


class Token(NamedTuple):
    """A normalised word, with the words of the input it came from (for spans).

    A NamedTuple rather than a frozen dataclass: thousands are made per grammar load.
    """

    word: str
    shown: str


class Lexicon:
    """Normalisation and the closed word classes (negation cues, hedges, breakers, resets)."""

    def __init__(self, doc: LineDict, expander: Expander) -> None:
        self.contractions: dict[str, tuple[str, ...]] = {
            str(k): tuple(str(v).split()) for k, v in doc["contractions"].items()
        }
        self.numbers: dict[str, str] = {str(k): str(v) for k, v in doc["numbers"].items()}
        self.lemmas: dict[str, str] = {str(k): str(v) for k, v in doc["lemmas"].items()}
        self._cache: dict[str, tuple[str, ...]] = {}
        self.cues: frozenset[str] = frozenset(doc["cues"])
        self.ignore: frozenset[str] = frozenset(doc["ignore"]) - self.cues
        self.hesitations: frozenset[str] = frozenset(doc["hesitations"])
        self.fillers: tuple[tuple[str, ...], ...] = tuple(tuple(str(f).split()) for f in doc["fillers"])
        # Rewrites and the phrase classes are matched on normalised words, so expand then normalise.
        self.rewrites: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        for entry in doc["rewrites"]:
            target = tuple(str(entry["to"]).split())
            for phrase in expander.expand(str(entry["from"])):
                self.rewrites.append((tuple(self._basic(phrase)), target))
        self.rewrites.sort(key=lambda pair: -len(pair[0]))
        self.rewrite_first: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        for src, target in self.rewrites:
            self.rewrite_first.setdefault(src[0], []).append((src, target))
        self.hedges = self._word_set(doc["hedges"], expander)
        self.breakers = self._word_set(doc["breakers"], expander)
        self.resets = self._word_set(doc["resets"], expander)

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
            word = word.replace("'", "") if word.endswith("'s") else word
            result = (self.lemmas.get(word, word),)
        if len(self._cache) < 50_000:
            self._cache[raw] = result
        return result

    def words(self, text: str) -> list[str]:
        """Normalised words of clean lower-case text such as an expanded phrase (fast path)."""
        out = [w for raw in _TOKEN_RE.findall(text) if raw not in self.hesitations for w in self._word(raw)]
        if not any(w in self.rewrite_first for w in out):
            return out
        return [tok.word for tok in self.tokens(text)]

    def tokens(self, text: str) -> list[Token]:
        """Lower-case words of ``text`` with contractions, digits and rewrites normalised."""
        text = text.lower()
        if not (text.isascii() and text.isprintable()):
            text = unicodedata.normalize("NFKD", text).replace("\u2019", "'")
            text = "".join(ch if ch.isascii() and ch.isprintable() else " " for ch in text)
        out: list[Token] = []
        for raw in _TOKEN_RE.findall(text):
            if raw in self.hesitations:
                continue
            words = self._word(raw)
            out.append(Token(words[0], raw))
            out.extend(Token(word, "") for word in words[1:])
        if not any(tok.word in self.rewrite_first for tok in out):
            return out
        result: list[Token] = []
        i = 0
        while i < len(out):
            for src, target in self.rewrite_first.get(out[i].word, ()):
                n = len(src)
                if tuple(t.word for t in out[i : i + n]) == src:
                    shown = " ".join(t.shown for t in out[i : i + n] if t.shown)
                    result.extend(Token(w, shown if j == 0 else "") for j, w in enumerate(target))
                    i += n
                    break
            else:
                result.append(out[i])
                i += 1
        return result


class Grammar:
    """Expanded phrases per answer, rate change and finding, plus the lexicon."""

    def __init__(
        self,
        answers: dict[str, tuple[Phrase, ...]],
        misheard: dict[str, tuple[str, ...]],
        rates: dict[str, tuple[Phrase, ...]],
        findings: dict[str, tuple[Phrase, ...]],
        absent_only: dict[str, tuple[Phrase, ...]],
        unsure_anywhere: tuple[str, ...],
        lexicon: Lexicon,
        spoken: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.spoken = spoken or {}
        self.unsure_anywhere = unsure_anywhere
        self.answers = answers
        self.misheard = misheard
        self.rates = rates
        self.findings = findings
        self.absent_only = absent_only
        self.lexicon = lexicon

    def constraint_for(self, kind: str, asks_about: Sequence[str] = ()) -> tuple[str, ...] | None:
        """What a recognizer is given for a question: the short phrase list for yes/no and confirm
        questions, None (free dictation) for the open question. Thousands of symptom phrases make a
        constrained decoder slow and force free speech onto the nearest phrase; the general model's
        words, matched by intent.py, keep what the person actually said."""
        return None if kind == "open" else self.phrases_for(kind, asks_about)

    def phrases_for(self, kind: str, asks_about: Sequence[str] = ()) -> tuple[str, ...]:
        """The phrase list a recognizer is constrained to for a question of ``kind``.

        yes_no / confirm: answers, commands and rate changes (small, so recognition stays sharp).
        open: the phrases of the findings asked about (all findings when none) plus the above.
        """
        if kind not in QUESTION_KINDS:
            raise ValueError(f"unknown question kind {kind!r} (use {', '.join(QUESTION_KINDS)})")
        # The short spoken forms (answers.yaml `spoken`), not every phrase the matcher knows: a
        # constrained recognizer forces any sound onto its list, so a short list rejects better.
        texts = [text for group in self.spoken.values() for text in group]
        if not texts:
            texts = [p.text for group in [*self.answers.values(), *self.rates.values()] for p in group]
        if kind == "open":
            ids = list(asks_about) or list(self.findings)
            texts = [p.text for i in ids if i in self.findings for p in self.findings[i]] + texts
        return tuple(dict.fromkeys(texts))


# --- loading -------------------------------------------------------------------------------------


def _expander(doc: LineDict, file: str) -> Expander:
    rules = doc.get("rules") or LineDict()
    if not isinstance(rules, LineDict):
        raise ContentError(file, "rules", "expected a mapping of rule names to templates")
    for name, value in rules.items():
        if not isinstance(value, str) or not value.strip():
            raise ContentError(file, f"rules.{name} (line {rules.lines[name]})", "expected a template")
    expander = Expander({str(k): str(v) for k, v in rules.items()})
    for name in rules:  # every rule must expand, even if unused
        try:
            expander.expand(f"<{name}>")
        except TemplateError as exc:
            raise ContentError(file, f"rules.{name} (line {rules.lines[name]})", str(exc)) from None
    return expander


def _expand_list(
    expander: Expander, items: Any, file: str, where: str, target: str, line: int
) -> tuple[Phrase, ...]:
    if not isinstance(items, list) or not items:
        raise ContentError(file, f"{where} (line {line})", "expected a non-empty list of templates")
    phrases: list[Phrase] = []
    for index, template in enumerate(items):
        at = items.lines[index] if hasattr(items, "lines") else line
        if not isinstance(template, str) or not template.strip():
            raise ContentError(file, f"{where}[{index}] (line {at})", "expected a non-empty template")
        try:
            texts = expander.expand(template)
        except TemplateError as exc:
            raise ContentError(file, f"{where}[{index}] (line {at})", f"{template!r}: {exc}") from None
        phrases.extend(Phrase(text, target, file, at) for text in texts)
    return tuple(phrases)


def _no_clashes(groups: Iterable[tuple[Phrase, ...]], what: str) -> None:
    """One phrase must stand for one thing: a phrase claimed twice is an authoring error."""
    owner: dict[str, Phrase] = {}
    for group in groups:
        for phrase in group:
            seen = owner.setdefault(phrase.text, phrase)
            if seen.target != phrase.target:
                raise ContentError(
                    phrase.file,
                    f"line {phrase.line}",
                    f"phrase {phrase.text!r} is mapped to two {what}: {seen.target!r} "
                    f"(line {seen.line}) and {phrase.target!r}",
                )


def _section(doc: LineDict, key: str, file: str, allowed: Sequence[str], required: bool) -> LineDict:
    table = doc[key]
    check_keys(table, file, key, allowed if required else (), () if required else allowed)
    result: LineDict = table
    return result


def _load(name: str, path: Path | None) -> tuple[LineDict, str]:
    """A shipped file by name (cached), or any file by path (tests, authoring); errors name it."""
    if path is None:
        return load_data_file(name), name
    return load_yaml(path, str(path)), str(path)


def load_answers(path: Path | None = None) -> tuple[dict[str, tuple[Phrase, ...]], ...]:
    doc, file = _load(ANSWERS_FILE, path)
    check_keys(doc, file, "", ["answers", "rates", "unsure_anywhere"], ["rules", "misheard", "spoken"])
    expander = _expander(doc, file)
    groups: list[dict[str, tuple[Phrase, ...]]] = []
    for key, kinds in (("answers", ANSWER_KINDS), ("rates", RATE_KINDS)):
        table = _section(doc, key, file, kinds, required=True)
        groups.append(
            {k: _expand_list(expander, table[k], file, f"{key}.{k}", k, table.lines[k]) for k in kinds}
        )
    _no_clashes([*groups[0].values(), *groups[1].values()], "answers")
    misheard: dict[str, tuple[Phrase, ...]] = {}
    if "misheard" in doc:
        table = _section(doc, "misheard", file, ANSWER_KINDS, required=False)
        misheard = {
            k: _expand_list(expander, table[k], file, f"misheard.{k}", k, table.lines[k]) for k in table
        }
        _no_clashes([*groups[0].values(), *misheard.values()], "answers")
    anywhere = _expand_list(expander, doc["unsure_anywhere"], file, "unsure_anywhere", "unsure", doc.line)
    spoken: dict[str, tuple[Phrase, ...]] = {}
    spoken_doc: dict[str, Any] = (
        _section(doc, "spoken", file, (*ANSWER_KINDS, *RATE_KINDS), required=True) if "spoken" in doc else {}
    )
    for kind in spoken_doc:
        known = {p.text for p in {**groups[0], **groups[1]}[kind]}
        spoken[kind] = _expand_list(expander, spoken_doc[kind], file, f"spoken.{kind}", kind, doc["spoken"].lines[kind])
        for phrase in spoken[kind]:
            if phrase.text not in known:
                raise ContentError(file, f"line {phrase.line}",
                                   f"spoken phrase {phrase.text!r} is not one of the {kind!r} answer phrases")
    return groups[0], groups[1], misheard, {"unsure": anywhere}, spoken


def load_symptoms(
    finding_ids: Iterable[str], path: Path | None = None
) -> tuple[dict[str, tuple[Phrase, ...]], dict[str, tuple[Phrase, ...]]]:
    doc, file = _load(SYMPTOMS_FILE, path)
    check_keys(doc, file, "", ["findings"], ["rules"])
    expander = _expander(doc, file)
    table = doc["findings"]
    if not isinstance(table, LineDict):
        raise ContentError(file, "findings", "expected a mapping of finding ids")
    known = set(finding_ids)
    findings: dict[str, tuple[Phrase, ...]] = {}
    absent_only: dict[str, tuple[Phrase, ...]] = {}
    for fid, entry in table.items():
        prefix = f"findings.{fid}"
        if fid not in known:
            raise ContentError(file, f"{prefix} (line {table.lines[fid]})", f"unknown finding id {fid!r}")
        check_keys(entry, file, prefix, ["templates"], ["absent_only"])
        findings[fid] = _expand_list(expander, entry["templates"], file, f"{prefix}.templates", fid, entry.line)
        if "absent_only" in entry:
            absent_only[fid] = _expand_list(
                expander, entry["absent_only"], file, f"{prefix}.absent_only", fid, entry.line
            )
    missing = sorted(known - set(findings))
    if missing:
        raise ContentError(file, "findings", f"no templates for finding ids: {', '.join(missing)}")
    _no_clashes([*findings.values(), *absent_only.values()], "findings")
    return findings, absent_only


def load_lexicon(path: Path | None = None) -> Lexicon:
    doc, file = _load(NEGATION_FILE, path)
    keys = ["contractions", "numbers", "lemmas", "rewrites", "cues", "hedges", "breakers", "resets", "ignore"]
    check_keys(doc, file, "", [*keys, "fillers", "hesitations"], ["rules"])
    for key in ("contractions", "numbers", "lemmas"):
        if not isinstance(doc[key], dict):
            raise ContentError(file, f"{key} (line {doc.lines[key]})", "expected a mapping")
    for key in ("rewrites", "cues", "hedges", "breakers", "resets", "ignore", "fillers", "hesitations"):
        items = doc[key]
        if not isinstance(items, LineList) or not items:
            raise ContentError(file, f"{key} (line {doc.lines[key]})", "expected a non-empty list")
        for index, item in enumerate(items):
            if key == "rewrites":
                check_keys(item, file, f"rewrites[{index}]", ["from", "to"])
            elif not isinstance(item, str) or not item.strip():
                raise ContentError(file, f"{key}[{index}] (line {items.lines[index]})", "expected a word")
    expander = _expander(doc, file)
    try:
        return Lexicon(doc, expander)
    except TemplateError as exc:
        raise ContentError(file, "templates", str(exc)) from None


@functools.cache
def load_grammar() -> Grammar:
    """Load, expand and validate every grammar file (once per process)."""
    from .clinical import load_rulebook

    answers, rates, misheard, anywhere, spoken = load_answers()
    findings, absent_only = load_symptoms(load_rulebook().findings)
    return Grammar(
        answers=answers,
        misheard={k: tuple(p.text for p in v) for k, v in misheard.items()},
        rates=rates,
        findings=findings,
        absent_only=absent_only,
        unsure_anywhere=tuple(p.text for p in anywhere["unsure"]),
        lexicon=load_lexicon(),
        spoken={k: tuple(p.text for p in v) for k, v in spoken.items()},
    )
