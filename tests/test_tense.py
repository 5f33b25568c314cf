"""When a finding was true (nlu/tense.py): past episodes, ones said to be over, improving pain."""

from __future__ import annotations

import pytest

from voice_triage.dialogue import load_questions
from voice_triage.nlu import Answer, load_matcher

ASKS = {q.id: q.asks_about for q in load_questions().questions}


def read(text: str, question: str = "") -> tuple[Answer | None, dict[str, bool], dict[str, bool]]:
    """The answer, each finding's polarity, and which findings were put in the past."""
    u = load_matcher().understand(text, ASKS.get(question, ()))
    return u.answer, {f.id: f.present for f in u.findings}, {f.id: f.past for f in u.findings}


@pytest.mark.parametrize(("question", "text"), [
    ("bladder", "years ago i had trouble starting to pee but it's fine now"),
    ("bladder", "i used to leak a bit after my second child, nothing like that these days"),
    ("saddle", "my bottom went numb once when i was pregnant, not now though"),
    ("legs", "my left leg gave way a few years back, it's been fine since"),
    ("bowel_sex", "no i had accidents as a child but none now"),
])
def test_a_past_episode_said_to_be_over_is_a_no(question: str, text: str) -> None:
    answer, present, _ = read(text, question)
    assert answer is Answer.NO, (text, answer)
    assert not any(present.get(f) for f in ASKS[question])


@pytest.mark.parametrize(("question", "text", "finding"), [
    # A word of the present between the past and the finding brings it back to now.
    ("bladder", "i had a fall years ago and now i can't hold my wee", "urinary_incontinence"),
    # A past marker that says when something current began.
    ("saddle", "the numbness round my bottom started years ago and it's worse", "saddle_numbness"),
    # Negated, a past marker says the finding is new.
    ("bladder", "i keep wetting myself and i never used to", "urinary_incontinence"),
    # Negated, an over marker says it goes on.
    ("bladder", "i've been leaking since my op years ago and it hasn't cleared up", "urinary_incontinence"),
    # A later clause about now is its own clause.
    ("legs", "i used to have sciatica but now both my legs are numb", "both_legs_neuro"),
])
def test_a_finding_of_now_is_never_put_in_the_past(question: str, text: str, finding: str) -> None:
    answer, present, past = read(text, question)
    assert present.get(finding) is True and not past.get(finding), (text, present)
    assert answer is Answer.YES


def test_one_mention_of_the_past_does_not_take_another_of_now() -> None:
    # Each mention gets its time before mentions of one finding are merged.
    _, present, _ = read("his right leg has always been weak, but now the left one keeps giving way too")
    assert present.get("leg_weakness") is True


def test_a_clause_about_something_else_says_nothing_of_the_one_before() -> None:
    # "but my legs are fine now" is about the legs, not about the bladder said before it.
    answer, present, _ = read("i can't feel when i pee, but my legs are fine now", "bladder_feeling")
    assert present.get("bladder_sensation_loss") is True and answer is Answer.YES


def test_lasting_findings_count_whenever_they_were() -> None:
    _, present, _ = read("i was treated for bowel cancer years ago", "history_serious")
    assert present.get("cancer_history") is True
    _, present, _ = read("i used to inject heroin but i've been clean a long time", "history_other")
    assert present.get("iv_drug_use") is True


def test_a_past_mention_in_a_description_rules_nothing_out() -> None:
    u = load_matcher().understand("i used to have trouble peeing, now it's just my back")
    retention = next(f for f in u.findings if f.id == "urinary_retention")
    assert not retention.present and retention.past and retention.own_question_only  # still asked
    assert u.as_json()["findings"][0]["past"] in (True, False)  # the new key is in the JSON contract


@pytest.mark.parametrize(("question", "text", "answer"), [
    ("duration", "about two months but it's slowly getting better", Answer.NO),
    ("duration", "six weeks now and it never gets any better", Answer.YES),
    ("pain_severe", "it was terrible on monday but it's easing off", Answer.NO),
])
def test_improving_pain_rules_out_only_the_pains_course(question: str, text: str, answer: Answer) -> None:
    assert read(text, question)[0] is answer


def test_improving_pain_keeps_every_symptom() -> None:
    _, present, _ = read("both my legs are numb but it's getting better", "legs")
    assert present.get("both_legs_neuro") is True


@pytest.mark.parametrize("text", ["i leak when i cough, and my legs are fine now",
                                  "i keep leaking and my back is fine now",
                                  "i leak when i cough but my legs have been fine since"])
def test_an_over_marker_about_another_part_says_nothing_of_the_finding(text: str) -> None:
    answer, present, _ = read(text, "bladder")
    assert present.get("urinary_incontinence") is True and answer is Answer.YES, (text, present)


def test_numbness_down_below_is_past_only_when_said_to_be_over() -> None:
    # The spec does not define saddle numbness as new: long-standing or long-ago is still numbness
    # (read back), and only "it's gone now" puts it in the past.
    assert read("i've had numbness round my bottom for years, always been like that", "saddle")[1].get(
        "saddle_numbness") is True
    assert read("i had numbness round my bottom years ago", "saddle")[1].get("saddle_numbness") is True
    assert read("i had numbness round my bottom years ago but it's gone now", "saddle")[0] is Answer.NO
