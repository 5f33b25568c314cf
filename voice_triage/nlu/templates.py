"""Phrase templates in Home Assistant's hassil syntax: ``(a|b)`` alternatives, ``[optional]``
words, ``<rule>`` references. hassil parses and expands them; this wrapper keeps the project's
strictness around it, because a template error must name its file, line and column and hassil
accepts more than the grammar allows (lists, permutations, a top-level ``|``, empty options).

One template such as ``(can't|cannot) [properly] (pee|wee|pass water)`` stands for every phrase it
can produce. The grammar expands templates once (cached) into plain phrases: the lists recognizers
are constrained to, and the candidates the matcher compares against.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Final

from hassil.errors import HassilError
from hassil.expression import Sentence
from hassil.parse_expression import parse_sentence
from hassil.sample import sample_sentence

#: Upper bound on the phrases one template (or rule) may expand to. Templates are cartesian products,
#: so a few nested alternatives explode quickly; a cap keeps load time bounded and recognizer phrase
#: lists small. Raising it costs load time and memory, lowering it forces authors to split templates.
MAX_EXPANSIONS: Final = 4000

#: What a template may contain: words (letters, digits, apostrophes, '&', hyphens), spaces and the
#: brackets. hassil's {lists}, (a;b) permutations and escapes are not part of the grammar.
_WORD_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789'&-")
_SYNTAX: Final = frozenset("()[]|<> ")
_SYNTAX_ONLY: Final = _SYNTAX - {" "}
#: What an expanded phrase must look like: words separated by single spaces.
_PHRASE_RE: Final = re.compile(r"[a-z0-9'&-]+(?: [a-z0-9'&-]+)*")
_RULE_RE: Final = re.compile(r"<([^<>]*)>")
_CLOSER: Final = {"(": ")", "[": "]"}


class TemplateError(ValueError):
    """A template is malformed; ``column`` is 1-based within the template text."""

    def __init__(self, message: str, column: int = 0) -> None:
        self.column = column
        super().__init__(f"{message} (column {column})" if column else message)


def check(text: str) -> None:
    """Reject what hassil would accept but the grammar does not, with the column of the fault."""
    if not text.strip():
        raise TemplateError("empty template", 1)
    stack: list[tuple[str, int]] = []
    last = ""  # the previous non-space character
    # Rule names are checked below; blank them (same length, so columns stay right).
    bare = _RULE_RE.sub(lambda m: "<" + "x" * (len(m.group()) - 2) + ">", text)
    for pos, char in enumerate(bare):
        column = pos + 1
        if char in _WORD_CHARS or char == " ":
            pass
        elif char not in _SYNTAX:
            raise TemplateError(f"unexpected character {char!r}", column)
        elif char in "([":
            stack.append((char, column))
        elif char in ")]":
            if not stack:
                raise TemplateError(f"unbalanced {char!r}", column)
            opener, _ = stack.pop()
            if _CLOSER[opener] != char:
                raise TemplateError(f"{opener!r} closed by {char!r}", column)
            if last in ("(", "[", "|"):
                raise TemplateError("empty alternative", column)
        elif char == "|":
            if not stack:
                raise TemplateError("'|' outside brackets", column)
            if last in ("(", "[", "|"):
                raise TemplateError("empty alternative", column)
        if char != " ":
            last = char
    if stack:
        opener, column = stack[-1]
        raise TemplateError(f"unbalanced {opener!r}: no closing {_CLOSER[opener]!r}", column)
    for match in _RULE_RE.finditer(text):
        if not re.fullmatch(r"[a-z][a-z0-9_]*", match.group(1).strip()):
            raise TemplateError(f"bad rule name {match.group(1)!r}", match.start() + 1)
    leftover = _RULE_RE.sub(" ", text)
    for char in "<>":
        if char in leftover:
            raise TemplateError(f"unbalanced {char!r}", text.index(char) + 1)


class Expander:
    """Expands templates, resolving ``<rule>`` references from named rule templates."""

    def __init__(self, rules: Mapping[str, str]) -> None:
        self._texts = {name: text.lower() for name, text in rules.items()}
        self._parsed: dict[str, Sentence] = {}

    def expand(self, template: str) -> tuple[str, ...]:
        """Every phrase the template produces, words joined by single spaces, duplicates removed."""
        text = template.lower()
        check(text)
        if not _SYNTAX_ONLY.intersection(text):  # plain words: nothing for hassil to do
            return (" ".join(text.split()),)
        for match in _RULE_RE.finditer(text):
            self._rule(match.group(1).strip(), match.start() + 1, ())
        try:
            sampled = sample_sentence(parse_sentence(text), expansion_rules=self._parsed)
            phrases = list(itertools.islice(sampled, MAX_EXPANSIONS + 1))
        except (HassilError, ValueError) as exc:  # hassil's ParseError is a ValueError
            raise TemplateError(str(exc)) from None
        if len(phrases) > MAX_EXPANSIONS:
            raise TemplateError(f"expands to more than {MAX_EXPANSIONS} phrases: split it")
        result = tuple(dict.fromkeys(" ".join(p.split()) for p in phrases if p.strip()))
        for phrase in result:
            if not _PHRASE_RE.fullmatch(phrase):
                raise TemplateError(f"expands to {phrase!r}, which is not plain words")
        return result

    def _rule(self, name: str, column: int, active: tuple[str, ...]) -> None:
        """Check and parse rule ``name`` and the rules it uses (once), refusing unknown or circular rules."""
        if name in self._parsed:
            return
        if name not in self._texts:
            raise TemplateError(f"unknown rule <{name}>", column)
        if name in active:
            raise TemplateError(f"rule <{name}> refers to itself", column)
        text = self._texts[name]
        try:
            check(text)
            for match in _RULE_RE.finditer(text):
                self._rule(match.group(1).strip(), match.start() + 1, (*active, name))
        except TemplateError as exc:
            if active:
                raise
            raise TemplateError(f"in rule <{name}>: {exc}", column) from None
        self._parsed[name] = parse_sentence(text)
