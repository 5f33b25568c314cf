"""The questions the conversation asks, loaded strictly from ``grammars/questions.yaml``.

The flow is data: which findings each question asks about, in what order, and every sentence the
conversation says (opening, reprompts, help, confirmations, closing) in UK or US wording. Loading
checks the file against the rulebook so that a typo cannot silently drop a red-flag question: an
unknown key or finding id, a finding asked twice or never, or an emergency finding without a
confirmation is a ``ContentError`` naming the file and key. The records live in
``question_book.py`` and are re-exported here, the import point for the rest of the package.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from ..clinical.catalogue import Locale, Rulebook, Tier, load_rulebook
from ..content import LineDict, check_keys, get_str, load_data_file, load_yaml, where
from ..errors import ContentError
from .book import (
    PHRASE_KEYS,
    Phrases,
    Probe,
    Question,
    QuestionBook,
    QuestionKind,
    Section,
    Wording,
    confirm_id,
    probe_id,
    probe_kind,
)

__all__ = [
    "FILE", "Phrases", "Probe", "Question", "QuestionBook", "QuestionKind", "Section", "Wording",
    "confirm_id", "load_question_file", "load_questions", "probe_id", "probe_kind", "question_list",
]

FILE: Final = "questions.yaml"
_ID: Final = re.compile(r"^[a-z][a-z0-9_]*$")


def _wording(mapping: Mapping[str, Any], key: str, prefix: str) -> Wording:
    value = mapping[key]
    if isinstance(value, Mapping):
        at = f"{prefix}.{key}" if prefix else key
        check_keys(value, FILE, at, [loc.value for loc in Locale])
        return Wording(uk=get_str(value, "uk", FILE, at), us=get_str(value, "us", FILE, at))
    text = get_str(mapping, key, FILE, prefix)
    return Wording(uk=text, us=text)


def _optional(mapping: Mapping[str, Any], key: str, prefix: str) -> Wording | None:
    return _wording(mapping, key, prefix) if key in mapping else None


def _kind_table(mapping: Any, prefix: str) -> dict[QuestionKind, Wording]:
    check_keys(mapping, FILE, prefix, [kind.value for kind in QuestionKind])
    return {kind: _wording(mapping, kind.value, prefix) for kind in QuestionKind}


def _pair(mapping: Any, prefix: str) -> tuple[Wording, Wording]:
    check_keys(mapping, FILE, prefix, ["first", "second"])
    return _wording(mapping, "first", prefix), _wording(mapping, "second", prefix)


def _phrases(doc: LineDict) -> Phrases:
    table = doc["phrases"]
    check_keys(table, FILE, "phrases", [*PHRASE_KEYS, "no_input", "no_match", "how_to_answer", "example"])
    return Phrases(
        texts={key: _wording(table, key, "phrases") for key in PHRASE_KEYS},
        no_input=_pair(table["no_input"], "phrases.no_input"),
        no_match=_pair(table["no_match"], "phrases.no_match"),
        how_to_answer=_kind_table(table["how_to_answer"], "phrases.how_to_answer"),
        example=_kind_table(table["example"], "phrases.example"),
    )


def _enum(cls: type[Any], mapping: Mapping[str, Any], key: str, prefix: str) -> Any:
    try:
        return cls(mapping[key])
    except ValueError:
        allowed = ", ".join(member.value for member in cls)
        raise ContentError(FILE, where(mapping, key, prefix), f"{mapping[key]!r} is not one of: {allowed}") from None


def _asks_about(entry: LineDict, prefix: str, kind: QuestionKind, book: Rulebook) -> tuple[str, ...]:
    value = entry["asks_about"]
    if kind is QuestionKind.OPEN:
        if value != "all":
            raise ContentError(FILE, where(entry, "asks_about", prefix), "the open question asks about 'all'")
        return tuple(book.findings)
    if not isinstance(value, list) or not value:
        raise ContentError(FILE, where(entry, "asks_about", prefix), "expected a non-empty list of finding ids")
    for index, finding_id in enumerate(value):
        if finding_id not in book.findings:
            raise ContentError(FILE, f"{where(entry, 'asks_about', prefix)}[{index}]",
                               f"unknown finding id {finding_id!r}")
        if book.findings[finding_id].tier in UNASKED:
            raise ContentError(FILE, f"{where(entry, 'asks_about', prefix)}[{index}]",
                               f"{finding_id!r} is {book.findings[finding_id].tier.value}, not something to ask about")
    if len(set(value)) != len(value):
        raise ContentError(FILE, where(entry, "asks_about", prefix), "a finding is listed twice")
    return tuple(value)


def _question(entry: Any, index: int, book: Rulebook) -> Question:
    prefix = f"questions[{index}]"
    check_keys(entry, FILE, prefix, ["id", "kind", "section", "asks_about", "text", "help"], ["retry", "example"])
    question_id = get_str(entry, "id", FILE, prefix)
    if not _ID.match(question_id):
        raise ContentError(FILE, where(entry, "id", prefix), f"{question_id!r} is not a lower_case id")
    kind: QuestionKind = _enum(QuestionKind, entry, "kind", prefix)
    if kind is QuestionKind.CONFIRM:
        raise ContentError(FILE, where(entry, "kind", prefix), "confirmations come from probes, not questions")
    if kind is QuestionKind.YES_NO and "retry" not in entry:
        raise ContentError(FILE, f"{prefix} (line {entry.line})", "a yes/no question needs 'retry' (its rephrasing)")
    return Question(
        id=question_id,
        kind=kind,
        section=_enum(Section, entry, "section", prefix),
        asks_about=_asks_about(entry, prefix, kind, book),
        text=_wording(entry, "text", prefix),
        help=_wording(entry, "help", prefix),
        retry=_optional(entry, "retry", prefix),
        example=_optional(entry, "example", prefix),
    )


def _check_flow(questions: list[Question], doc: LineDict, book: Rulebook) -> None:
    items = doc["questions"]
    if not questions or questions[0].kind is not QuestionKind.OPEN:
        raise ContentError(FILE, "questions[0]", "the first question must be the open question")
    order = list(Section)
    asked: dict[str, str] = {}
    for index, question in enumerate(questions):
        prefix = f"questions[{index}]"
        if index and question.kind is QuestionKind.OPEN:
            raise ContentError(FILE, where(items[index], "kind", prefix), "only the first question is open")
        if index and order.index(question.section) < order.index(questions[index - 1].section):
            raise ContentError(FILE, where(items[index], "section", prefix),
                               f"section {question.section.value!r} is out of order (expected: "
                               f"{', '.join(s.value for s in order)})")
        if question.id.startswith(("ask_", "confirm_")):
            raise ContentError(FILE, where(items[index], "id", prefix),
                               "ids starting 'ask_' or 'confirm_' are kept for follow-up questions")
        if question.id in {q.id for q in questions[:index]}:
            raise ContentError(FILE, where(items[index], "id", prefix), f"duplicate question id {question.id!r}")
        if question.section is Section.EMERGENCY and any(
            book.findings[f].tier is not Tier.EMERGENCY for f in question.asks_about
        ):
            raise ContentError(FILE, where(items[index], "asks_about", prefix),
                               "the emergency section asks only about emergency findings")
        if question.kind is QuestionKind.YES_NO:
            for finding_id in question.asks_about:
                if finding_id in asked:
                    raise ContentError(FILE, where(items[index], "asks_about", prefix),
                                       f"{finding_id!r} is already asked by {asked[finding_id]!r}")
                asked[finding_id] = question.id
    if questions[1:] and questions[1].section is not Section.EMERGENCY:
        raise ContentError(FILE, "questions[1]", "the emergency questions come first")
    for finding in book.findings.values():
        if finding.tier not in UNASKED and finding.id not in asked:
            raise ContentError(FILE, "questions", f"finding {finding.id!r} is never asked")


#: Findings never asked about: context, and life threats (heard when said, acted on at once).
UNASKED: Final = frozenset((Tier.CONTEXT, Tier.LIFE_THREAT))


def _probes(doc: LineDict, book: Rulebook) -> dict[str, Probe]:
    table = doc["probes"]
    if not isinstance(table, LineDict):
        raise ContentError(FILE, where(doc, "probes"), "expected a mapping of finding ids")
    probes: dict[str, Probe] = {}
    for finding_id, entry in table.items():
        prefix = f"probes.{finding_id}"
        if finding_id not in book.findings:
            raise ContentError(FILE, where(table, finding_id, "probes"), f"unknown finding id {finding_id!r}")
        emergency = book.findings[finding_id].tier is Tier.EMERGENCY
        check_keys(entry, FILE, prefix, ["ask", "retry", *(["confirm"] if emergency else [])])
        probes[finding_id] = Probe(
            finding=finding_id,
            ask=_wording(entry, "ask", prefix),
            retry=_wording(entry, "retry", prefix),
            confirm=_optional(entry, "confirm", prefix),
        )
    for finding in book.findings.values():
        if finding.tier not in UNASKED and finding.id not in probes:
            raise ContentError(FILE, "probes", f"missing probe for finding {finding.id!r}")
    return probes


def load_question_file(path: Path | None = None, book: Rulebook | None = None) -> QuestionBook:
    """Load and validate a questions file (the shipped one unless ``path`` is given)."""
    book = book or load_rulebook()
    doc = load_yaml(path, FILE) if path is not None else load_data_file(FILE)
    check_keys(doc, FILE, "", ["phrases", "questions", "probes"])
    items = doc["questions"]
    if not isinstance(items, list) or not items:
        raise ContentError(FILE, where(doc, "questions"), "expected a non-empty list")
    questions = [_question(entry, index, book) for index, entry in enumerate(items)]
    _check_flow(questions, doc, book)
    return QuestionBook(questions=tuple(questions), probes=_probes(doc, book), phrases=_phrases(doc))


@functools.cache
def load_questions() -> QuestionBook:
    """The shipped questions, validated against the shipped rulebook (cached)."""
    return load_question_file()


def question_list(questions: QuestionBook, book: Rulebook, locale: Locale) -> list[dict[str, Any]]:
    """Every question the conversation can ask (``voice-triage questions``): id, kind, asks_about, text."""
    rows = [
        {"id": q.id, "kind": q.kind.value, "asks_about": list(q.asks_about), "text": q.text.get(locale)}
        for q in questions.questions
    ]
    for probe in questions.probes.values():
        rows.append({"id": probe_id(probe.finding), "kind": probe_kind(book, probe.finding).value,
                     "asks_about": [probe.finding], "text": probe.ask.get(locale)})
        if probe.confirm is not None:
            rows.append({"id": confirm_id(probe.finding), "kind": QuestionKind.CONFIRM.value,
                         "asks_about": [probe.finding], "text": probe.confirm.get(locale)})
    return rows
