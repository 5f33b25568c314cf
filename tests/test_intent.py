"""The matcher: answers, hedges, negation scope, body sites, bad input, corpus accuracy, and the CLI."""

from __future__ import annotations

import json

import pytest

from tests.bench.bench_nlu import evaluate, load_corpus
from tests.conftest import run_cli
from voice_triage.clinical.catalogue import Tier, load_rulebook
from voice_triage.nlu.matcher import Answer, RateChange, Understanding, load_matcher


def understand(text: str) -> Understanding:
    return load_matcher().understand(text)


def findings(text: str) -> dict[str, bool]:
    return {f.id: f.present for f in understand(text).findings}


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("yes", Answer.YES), ("Yeah, I do.", Answer.YES), ("yet", Answer.YES), ("yep", Answer.YES),
        ("i think so", Answer.YES), ("no", Answer.NO), ("nope not at all", Answer.NO),
        ("i don't", Answer.NO), ("know", Answer.NO), ("not sure", Answer.UNSURE),
        ("I don't know", Answer.UNSURE), ("not really", Answer.NO),
        ("no i'm not sure", Answer.UNSURE), ("i don't think so", Answer.NO),
        ("say that again", Answer.REPEAT), ("what do you mean", Answer.HELP), ("stop", Answer.STOP),
        ("um yes please", Answer.YES), ("yes i can't pee", Answer.YES), ("no i can't pee", Answer.NO),
    ],
)
def test_answers(text: str, answer: Answer) -> None:
    assert understand(text).answer is answer


@pytest.mark.parametrize("text", ["i do not", "i haven't", "no i have not", "it doesn't"])
def test_negated_short_answers_are_never_yes(text: str) -> None:
    assert understand(text).answer is Answer.NO


@pytest.mark.parametrize("text", ["i can", "i have", "i do", "it does"])
def test_plain_short_answers_are_never_no(text: str) -> None:
    assert understand(text).answer is Answer.YES


def test_rate_changes() -> None:
    assert understand("slow down please").rate is RateChange.SLOWER
    assert understand("yes but slower").rate is RateChange.SLOWER
    assert understand("you're talking too slow").rate is RateChange.FASTER
    assert understand("yes").rate is None


def test_negation_has_clause_scope() -> None:
    assert findings("no numbness but I can't pee properly") == {
        "saddle_numbness": False, "urinary_retention": True,
    }
    assert findings("i don't have a fever and my bum is numb") == {"fever": False, "saddle_numbness": True}
    assert findings("no fever or night sweats") == {"fever": False, "night_sweats": False}


def test_polarity_comes_from_words_not_scores() -> None:
    assert findings("I have numbness down below") == {"saddle_numbness": True}
    assert findings("I haven't got numbness down below") == {"saddle_numbness": False}
    assert findings("i can't pee") == {"urinary_retention": True}
    assert findings("i can pee fine") == {"urinary_retention": False}


@pytest.mark.parametrize("text", ["numb fingers", "my bike saddle hurts", "numb", "pins and needles in my hands"])
def test_saddle_findings_need_a_body_site(text: str) -> None:
    assert "saddle_numbness" not in findings(text)


def test_several_findings_and_typos() -> None:
    assert findings("i can't control my bladder or my bowels") == {
        "urinary_incontinence": True, "bowel_incontinence": True,
    }
    assert findings("numbnes in my groin") == {"saddle_numbness": True}


def test_doubt_never_becomes_absent() -> None:
    u = understand("i'm not sure if my bum is numb")
    assert u.answer is Answer.UNSURE
    assert {f.id: f.present for f in u.findings} == {"saddle_numbness": True}


def test_span_and_score() -> None:
    (match,) = understand("my back passage has gone numb").findings
    assert match.id == "saddle_numbness" and "back passage" in match.span and 0.88 <= match.score <= 1.0


@pytest.mark.parametrize(
    "text", ["", "   ", "a" * 10_000, "yes " * 3000, "😀😀😀", "\x00\x01\x02", "nein danke", "是的", "\u202e\u200b"]
)
def test_bad_input_is_not_understood(text: str) -> None:
    u = understand(text)
    assert u.answer is None and u.findings == () and u.rate is None


def test_corpus_accuracy() -> None:
    book = load_rulebook()
    emergency = {f.id for f in book.findings.values() if f.tier is Tier.EMERGENCY}
    rows = load_corpus()
    assert len(rows) >= 300
    report = evaluate(load_matcher(), rows, emergency)
    assert report.swaps == 0
    assert report.negation_errors == []
    assert report.accuracy(("yes", "no", "unsure")) >= 0.97
    assert report.f1[2] >= 0.95
    held = evaluate(load_matcher(), [r for r in rows if r.split == "H"], emergency)
    assert held.swaps == 0 and held.negation_errors == [] and held.f1[2] >= 0.9


def test_cli_understand_json() -> None:
    result = run_cli("understand", "--json", "no numbness but I can't pee properly")
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    assert {"text", "answer", "findings", "rate"} <= set(obj) and obj["hedged"] is False  # keys only added
    assert obj["answer"] == "no"
    assert [(f["id"], f["present"]) for f in obj["findings"]] == [
        ("saddle_numbness", False), ("urinary_retention", True),
    ]
    assert {"id", "present", "score", "span"} <= set(obj["findings"][0])
    assert obj["findings"][1]["clause"] == "i can't pee properly"  # the clause it was read in


def test_cli_understand_text_and_errors() -> None:
    result = run_cli("understand", "yeah")
    assert result.returncode == 0 and "answer: yes" in result.stdout
    missing = run_cli("understand")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "TEXT" in missing.stderr


@pytest.mark.parametrize("text", ["", "x" * 10_000, "🙂🙃", "\x07\x1b[31m", "¿Dónde está el baño?"])
def test_cli_bad_input(text: str) -> None:
    result = run_cli("understand", "--json", text)
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    assert obj["answer"] is None and obj["findings"] == [] and obj["text"] == text


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("no no no", "no"),
        ("not at all no", "no"),
        ("I haven't, no", "no"),
        ("yes yes", "yes"),
        ("err, I think so, yeah", "yes"),
        ("yes no", None),  # both: ask again rather than guess
    ],
)
def test_stacked_answer_phrases_are_one_answer(text: str, answer: str | None) -> None:
    from voice_triage.nlu.matcher import load_matcher

    heard = load_matcher().understand(text).answer
    assert (heard.value if heard else None) == answer


# --- "feels normal", corrections, hedged no ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["wiping feels normal", "down there feels normal", "it feels completely normal down there",
     "my bum is fine", "toilet paper feels normal when I wipe", "I have normal feeling in my groin"],
)
def test_a_normal_body_part_rules_saddle_numbness_out(text: str) -> None:
    assert findings(text).get("saddle_numbness") is False


def test_wiping_feels_normal_rules_out_both_saddle_findings() -> None:
    assert findings("wiping feels normal") == {"saddle_numbness": False, "wiping_numbness": False}


@pytest.mark.parametrize(
    "text",
    ["it doesn't feel normal down there", "down there isn't normal", "I'm not sure it feels normal down there",
     "maybe it feels normal down there"],
)
def test_a_negated_or_doubted_normal_is_never_absent(text: str) -> None:
    assert findings(text).get("saddle_numbness") is not False


def test_normal_does_not_undo_a_present_finding_or_a_denial() -> None:
    assert findings("fine tingling in my groin") == {"saddle_numbness": True}
    assert findings("my groin is numb but my bottom feels normal") == {"saddle_numbness": True}
    # The denial keeps its cue: "feels normal" is not read as "doesn't feel normal".
    assert findings("I don't have any numbness down there, it feels normal") == {"saddle_numbness": False}
    assert findings("I can't pee, down there feels normal") == {
        "urinary_retention": True, "saddle_numbness": False,
    }
    assert "saddle_numbness" not in findings("my right buttock hurts")  # "right" is a side, not "normal"


@pytest.mark.parametrize(
    "text",
    ["not both legs, just my left leg is numb", "not both legs just my left leg is numb",
     "no not both legs, only my right leg is tingly"],
)
def test_a_correction_starts_a_new_negation_scope(text: str) -> None:
    got = findings(text)
    assert got.get("one_leg_numbness") is True
    assert got.get("both_legs_neuro") is not True


def test_a_correction_does_not_lift_a_plain_negation() -> None:
    assert findings("no numbness in my left leg") == {"one_leg_numbness": False}
    assert findings("not just my left leg, both legs are numb").get("both_legs_neuro") is True


@pytest.mark.parametrize(
    "text", ["I guess not", "i guess not", "I suppose not", "guess not", "no, I guess not", "I'd say not",
             "I reckon not"],
)
def test_a_hedged_no_is_a_hedged_no(text: str) -> None:
    heard = understand(text)
    assert heard.answer is Answer.NO and heard.hedged  # clinical-spec.md, Questions


def test_a_hedged_yes_stays_yes() -> None:
    assert understand("I guess so").answer is Answer.YES


@pytest.mark.parametrize(
    ("text", "present"),
    [("about two months now", True), ("for the last six weeks", True), ("it's been about a week", False),
     ("3 days", False), ("on and off for years", True)],
)
def test_a_duration_said_answers_how_long(text: str, present: bool) -> None:
    assert findings(text).get("persistent_pain") is present


@pytest.mark.parametrize("text", ["I had cancer two years ago", "on steroids for years and my back is sore",
                                  "a long time", "I went to A&E last year", "my back has hurt since last week"])
def test_a_point_in_time_or_another_finding_is_no_duration_of_the_pain(text: str) -> None:
    assert findings(text).get("persistent_pain") is not True
