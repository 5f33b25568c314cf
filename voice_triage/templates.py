"""hassil-style phrase templates: ``(a|b)`` alternatives, ``[optional]`` words, ``<rule>`` references.

One template such as ``(can't|cannot) [properly] (pee|wee|pass water)`` stands for every phrase it
can produce. The grammar expands templates once (cached) into plain phrases: the lists recognizers
are constrained to, and the candidates the matcher compares against.

Syntax errors are reported with the column so the grammar loader can name file, line and column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

#: Upper bound on the phrases one template (or rule) may expand to. Templates are cartesian products,
#: so a few nested alternatives explode quickly; a cap keeps load time bounded (< 200 ms for all
#: grammars) and recognizer phrase lists small. Raising it costs load time and memory, lowering it
#: forces authors to split templates.
MAX_EXPANSIONS: Final = 4000

#: Characters allowed inside words: letters, digits, apostrophes (can't) and hyphens (x-ray).
_WORD_RE: Final = re.compile(r"[a-z0-9'&-]+")
_SPECIAL: Final = frozenset("()[]|<>")


class TemplateError(ValueError):
    """A template is malformed; ``column`` is 1-based within the template text."""

    def __init__(self, message: str, column: int = 0) -> None:
        self.column = column
        super().__init__(f"{message} (column {column})" if column else message)


# Nodes: a Seq is a list of items; an Alt is a list of Seqs (optional = Alt with an empty Seq allowed).
@dataclass(frozen=True)
class _Word:
    text: str


@dataclass(frozen=True)
class _Rule:
    name: str
    column: int


@dataclass(frozen=True)
class _Alt:
    options: tuple[tuple[_Node, ...], ...]
    optional: bool


_Node = _Word | _Rule | _Alt


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, message: str, pos: int | None = None) -> TemplateError:
        return TemplateError(message, (self.pos if pos is None else pos) + 1)

    def parse(self) -> tuple[_Node, ...]:
        seq = self.sequence(closer=None)
        if self.pos < len(self.text):
            raise self.fail(f"unexpected {self.text[self.pos]!r}")
        if not seq:
            raise self.fail("empty template", 0)
        return seq

    def sequence(self, closer: str | None) -> tuple[_Node, ...]:
        items: list[_Node] = []
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char.isspace():
                self.pos += 1
            elif char in "([":
                items.append(self.group(char))
            elif char == "<":
                items.append(self.rule())
            elif char in ")]|":
                if closer is None:
                    raise self.fail(f"unbalanced {char!r}" if char != "|" else "'|' outside brackets")
                return tuple(items)
            elif char == ">":
                raise self.fail("unbalanced '>'")
            else:
                match = _WORD_RE.match(text, self.pos)
                if match is None:
                    raise self.fail(f"unexpected character {char!r}")
                items.append(_Word(match.group()))
                self.pos = match.end()
        return tuple(items)

    def group(self, opener: str) -> _Alt:
        start = self.pos
        closer = ")" if opener == "(" else "]"
        self.pos += 1
        options: list[tuple[_Node, ...]] = []
        while True:
            seq = self.sequence(closer)
            if self.pos >= len(self.text):
                raise self.fail(f"unbalanced {opener!r}: no closing {closer!r}", start)
            char = self.text[self.pos]
            if not seq:
                raise self.fail("empty alternative", self.pos)
            options.append(seq)
            self.pos += 1
            if char == "|":
                continue
            if char != closer:
                raise self.fail(f"{opener!r} closed by {char!r}", self.pos - 1)
            return _Alt(tuple(options), optional=opener == "[")

    def rule(self) -> _Rule:
        start = self.pos
        end = self.text.find(">", start)
        if end < 0:
            raise self.fail("unbalanced '<': no closing '>'", start)
        name = self.text[start + 1 : end].strip()
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise self.fail(f"bad rule name {name!r}", start)
        self.pos = end + 1
        return _Rule(name, start + 1)


def parse(text: str) -> tuple[_Node, ...]:
    """Parse one template (lower-case); raises ``TemplateError`` with a column."""
    return _Parser(text.lower()).parse()


class Expander:
    """Expands templates, resolving ``<rule>`` references from named rule templates (cached)."""

    def __init__(self, rules: Mapping[str, str]) -> None:
        self._rules = dict(rules)
        self._cache: dict[str, tuple[tuple[str, ...], ...]] = {}
        self._active: set[str] = set()

    def rule_names(self) -> frozenset[str]:
        return frozenset(self._rules)

    def expand(self, template: str) -> tuple[str, ...]:
        """Every phrase the template produces, words joined by single spaces, duplicates removed."""
        seqs = self._seq(parse(template))
        return tuple(dict.fromkeys(" ".join(words) for words in seqs if words))

    def expand_rule(self, name: str, column: int = 0) -> tuple[tuple[str, ...], ...]:
        if name in self._cache:
            return self._cache[name]
        if name not in self._rules:
            raise TemplateError(f"unknown rule <{name}>", column)
        if name in self._active:
            raise TemplateError(f"rule <{name}> refers to itself", column)
        self._active.add(name)
        try:
            result = self._seq(parse(self._rules[name]))
        except TemplateError as exc:
            raise TemplateError(f"in rule <{name}>: {exc}", column) from None
        finally:
            self._active.discard(name)
        self._cache[name] = result
        return result

    def _seq(self, nodes: tuple[_Node, ...]) -> tuple[tuple[str, ...], ...]:
        results: list[tuple[str, ...]] = [()]
        for node in nodes:
            if isinstance(node, _Word):
                results = [(*prefix, node.text) for prefix in results]
                continue
            if isinstance(node, _Rule):
                options = self.expand_rule(node.name, node.column)
            else:
                gathered: list[tuple[str, ...]] = [()] if node.optional else []
                for option in node.options:
                    gathered.extend(self._seq(option))
                options = tuple(gathered)
            if len(results) * len(options) > MAX_EXPANSIONS:
                raise TemplateError(f"expands to more than {MAX_EXPANSIONS} phrases: split it")
            results = [prefix + option for prefix in results for option in options]
        return tuple(results)
