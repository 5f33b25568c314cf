"""grammars/questions.yaml: the shipped flow is complete and safe, and loading is strict."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import run_cli
from voice_triage import content
from voice_triage.clinical.catalogue import Locale, Tier, load_rulebook
from voice_triage.dialogue.questions import (
    QuestionKind,
    Section,
    load_question_file,
    load_questions,
    question_list,
)
from voice_triage.errors import ContentError

SHIPPED = content.data_dir() / "questions.yaml"
CAUDA_EQUINA = {
    "saddle_numbness", "wiping_numbness", "urinary_retention", "urinary_incontinence",
    "bladder_sensation_loss", "bowel_incontinence", "bowel_sensation_loss", "sexual_dysfunction",
}
#: A listener must follow each sentence when heard once.
MAX_WORDS_PER_SENTENCE = 20


def test_shipped_flow_covers_every_finding_once_emergency_first() -> None:
    book = load_rulebook()
    questions = load_questions()
    first, *rest = questions.questions
    assert first.kind is QuestionKind.OPEN and first.asks_about == tuple(book.findings)
    assert rest and all(q.kind is QuestionKind.YES_NO for q in rest)
    # The cauda equina group is asked explicitly, before anything else.
    leading = [q for q in rest if q.section is Section.EMERGENCY]
    assert rest[: len(leading)] == leading
    assert {f for q in leading for f in q.asks_about} == CAUDA_EQUINA
    asked = [f for q in rest for f in q.asks_about]
    assert len(asked) == len(set(asked))
    # Every finding is asked about but context and the life threats (heard when said, acted on at once).
    assert set(asked) == {f.id for f in book.findings.values() if f.tier not in (Tier.CONTEXT, Tier.LIFE_THREAT)}
    # With no red flags at all the conversation needs at most 16 questions (the open one included):
    # an emergency question asks about at most two closely related findings (clinical-spec.md).
    assert len(questions.questions) <= 16
    for question in leading:
        assert len(question.asks_about) <= 2, question.id
    sections = [q.section for q in questions.questions]
    assert sections == sorted(sections, key=list(Section).index)


def test_every_emergency_finding_has_a_confirmation_and_every_finding_a_probe() -> None:
    book = load_rulebook()
    probes = load_questions().probes
    for finding in book.findings.values():
        if finding.tier in (Tier.CONTEXT, Tier.LIFE_THREAT):
            continue
        probe = probes[finding.id]
        assert probe.ask.uk.endswith("?") and probe.retry.uk.endswith("?")
        assert probe.ask.uk != probe.retry.uk, f"{finding.id}: the retry must say it another way"
        if finding.tier is Tier.EMERGENCY:
            assert probe.confirm is not None and probe.confirm.uk.endswith("Is that right?")
        else:
            assert probe.confirm is None


def test_wording_is_short_and_local() -> None:
    book = load_rulebook()
    questions = load_questions()
    for locale in Locale:
        rows = question_list(questions, book, locale)
        texts = [row["text"] for row in rows]
        texts += [q.help.get(locale) for q in questions.questions]
        texts += [w.get(locale) for w in questions.phrases.texts.values()]
        for text in texts:
            for sentence in re.split(r"[.?!:]\s+", text):
                assert len(sentence.split()) <= MAX_WORDS_PER_SENTENCE, sentence
        joined = " ".join(texts).lower()
        if locale is Locale.UK:
            assert "poop" not in joined and "stomach pain" not in joined
        else:
            assert not re.search(r"\bpoo\b", joined) and "tummy" not in joined
    intro = questions.phrases.texts["intro"]
    assert "999" in intro.uk and "911" not in intro.uk
    assert "911" in intro.us and "999" not in intro.us
    # Under 8 seconds at 150 words a minute, the emergency number first, "not sure" offered at once.
    for text in (intro.uk, intro.us):
        assert len(text.split()) <= 20 and text.startswith("In an emergency") and "not sure" in text
    assert "not a diagnosis" in questions.phrases.texts["goodbye"].uk


def test_question_ids_are_unique_across_questions_and_probes() -> None:
    ids = load_questions().question_ids()
    assert len(ids) == len(set(ids))
    assert "confirm_saddle_numbness" in ids and "ask_urinary_retention" in ids


# --- strict loading -------------------------------------------------------------------------------


def _load_variant(tmp_path: Path, old: str, new: str, count: int = 1) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "questions.yaml"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    load_question_file(path)


@pytest.mark.parametrize(
    ("old", "new", "where", "problem"),
    [
        ("asks_about: [saddle_numbness, wiping_numbness]", "asks_about: [saddle_numbness, wiping_numbnes]",
         "questions[1].asks_about", "unknown finding id 'wiping_numbnes'"),
        ("    section: emergency\n    asks_about: [urinary_retention",
         "    section: emergency\n    colour: red\n    asks_about: [urinary_retention",
         "questions[2].colour", "unknown key 'colour'"),
        ("phrases:\n", "phrase:\n", "phrase", "unknown key 'phrase'"),
        ("  goodbye: This is not a diagnosis. Take care.\n",
         "  goodbye: This is not a diagnosis. Take care.\n  farewell: Bye.\n", "phrases.farewell",
         "unknown key 'farewell'"),
        ("  wiping_numbness:\n    ask:", "  wiping_numbnes:\n    ask:", "probes.wiping_numbnes",
         "unknown finding id"),
        ("    retry: Does one of your legs have pins and needles, or feel numb?\n",
         "    retry: Does one of your legs have pins and needles, or feel numb?\n    confirm: Is that right?\n",
         "probes.one_leg_numbness.confirm", "unknown key 'confirm'"),
        ("    confirm: You said you have new weakness in a leg. Is that right?\n", "",
         "probes.leg_weakness", "missing key 'confirm'"),
        ("asks_about: [persistent_pain]", "asks_about: [nausea]", "questions[15].asks_about",
         "'nausea' is already asked"),
        ("    section: duration\n", "    section: emergency\n", "questions[15].section", "out of order"),
        ("  - id: bladder\n", "  - id: saddle\n", "questions[2].id", "duplicate question id"),
        ("  - id: bladder\n", "  - id: ask_bladder\n", "questions[2].id", "kept for follow-up"),
        ("    kind: yes_no\n    section: duration\n", "    kind: maybe\n    section: duration\n",
         "questions[15].kind", "'maybe' is not one of"),
        ("    us: In an emergency", "    usa: In an emergency", "phrases.intro.usa", "unknown key"),
        ("Has the pain lasted more than 4 weeks, without getting better?\n    retry:",
         "''\n    retry:", "questions[15].text", "non-empty string"),
    ],
)
def test_malformed_questions_name_file_and_key(tmp_path: Path, old: str, new: str, where: str,
                                               problem: str) -> None:
    with pytest.raises(ContentError) as info:
        _load_variant(tmp_path, old, new)
    message = str(info.value)
    assert message.startswith("questions.yaml: "), message
    assert where in message and problem in message, message


def test_errors_carry_the_line_number(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as info:
        _load_variant(tmp_path, "asks_about: [persistent_pain]", "asks_about: [persistant_pain]")
    text = SHIPPED.read_text(encoding="utf-8").splitlines()
    line = next(i for i, row in enumerate(text, 1) if "asks_about: [persistent_pain]" in row)
    assert f"(line {line})" in str(info.value)


def test_a_finding_never_asked_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="'osteoporosis' is never asked"):
        _load_variant(tmp_path, "asks_about: [osteoporosis, inflammatory_arthritis,",
                      "asks_about: [inflammatory_arthritis,")


def test_a_yes_no_question_needs_a_rephrasing(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match=r"questions\[15\].*needs 'retry'"):
        _load_variant(tmp_path, "    retry: Have you had this pain for a month or more, and it is not improving?\n"
                                "    help: I am asking how long", "    help: I am asking how long")


def test_the_emergency_section_asks_only_emergency_findings(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="emergency section asks only"):
        _load_variant(tmp_path, "asks_about: [saddle_numbness, wiping_numbness]",
                      "asks_about: [saddle_numbness, wiping_numbness, nausea]")


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match=r"questions.yaml: line \d+: invalid YAML"):
        _load_variant(tmp_path, "  - id: bladder\n", "  - id: [bladder\n")


# --- voice-triage questions -----------------------------------------------------------------------


def test_questions_cli_lists_every_question_with_the_contract_keys() -> None:
    result = run_cli("questions", "--json", "--locale", "us")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    book = load_rulebook()
    assert [row["id"] for row in rows] == list(load_questions().question_ids())
    for row in rows:
        assert set(row) == {"id", "kind", "asks_about", "text"}
        assert row["kind"] in {"open", "yes_no", "confirm"}
        assert row["asks_about"] and set(row["asks_about"]) <= set(book.findings)
    assert rows[0]["id"] == "open" and rows[0]["kind"] == "open"
    by_id = {row["id"]: row for row in rows}
    assert by_id["confirm_saddle_numbness"]["kind"] == "confirm"
    assert "poop" in by_id["ask_bowel_incontinence"]["text"]

    plain = run_cli("questions")
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.splitlines()
    assert len(lines) == len(rows)
    assert lines[1].startswith("saddle (yes_no; saddle_numbness, wiping_numbness): Is there")
