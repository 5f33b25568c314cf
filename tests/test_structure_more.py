"""Structure added with blind sets 8-10 (tests/nlu_sets/README.md): each mechanism with wording of its own."""

from __future__ import annotations

import pytest

from voice_triage.dialogue import load_questions
from voice_triage.nlu import Answer, load_matcher

ASKS = {q.id: q.asks_about for q in load_questions().questions}


def read(text: str, question: str = "") -> tuple[Answer | None, dict[str, bool]]:
    u = load_matcher().understand(text, ASKS.get(question, ()))
    return u.answer, {f.id: f.present for f in u.findings}


def test_a_reason_given_explains_weight_loss_and_a_denied_reason_does_not() -> None:
    assert read("yes ive dropped a stone but im dieting", "weight_tummy")[1].get("weight_loss") is False
    assert read("lost a stone and im not dieting or anything", "weight_tummy")[1].get("weight_loss") is True


@pytest.mark.parametrize("text", ["please take me to the er", "can you get someone here quick",
                                  "call somebody, he has collapsed"])
def test_asking_for_emergency_care_is_an_emergency(text: str) -> None:
    assert read(text, "saddle")[0] is Answer.EMERGENCY


def test_a_finding_of_another_body_part_is_recorded_but_asked_again() -> None:
    answer, present = read("the tingling is just in my feet", "saddle")
    assert answer is None and not present.get("saddle_numbness")


def test_a_reported_no_ends_its_clause() -> None:
    answer, present = read("he says no, he can feel it fine down there", "saddle")
    assert answer is Answer.NO and not present.get("saddle_numbness")


def test_a_comma_part_with_its_own_negation_starts_its_own_scope() -> None:
    _, present = read("my back is stiff and achy, no pain in my legs at all")
    assert not present.get("leg_pain")


def test_an_answer_word_after_a_denial_does_not_negate_it() -> None:
    assert read("i havent lost the feeling no", "bladder_feeling")[0] is Answer.NO


def test_an_unaware_accident_on_the_bowel_question_is_both_findings() -> None:
    answer, present = read("she didnt even notice shed done it", "bowel_sex")
    assert answer is Answer.YES and present.get("bowel_incontinence") and present.get("bowel_sensation_loss")


def test_the_bowel_named_earlier_in_a_description_supplies_a_later_phrase() -> None:
    _, present = read("when i go for a number two i dont feel it come out")
    assert present.get("bowel_sensation_loss") and not present.get("urinary_retention")


def test_both_legs_said_weak_is_leg_weakness_too() -> None:
    _, present = read("both legs have gone really weak")
    assert present.get("both_legs_neuro") and present.get("leg_weakness")
    assert not read("both my feet are numb")[1].get("leg_weakness")


def test_a_cue_belongs_to_the_nearest_phrase_after_it() -> None:
    # "no weight loss, eating fine": the "no" is the weight loss's, not a "not eating".
    _, present = read("no weight loss, eating fine, no night sweats")
    assert present.get("weight_loss") is False and not present.get("unwell")


def test_nothing_like_the_usual_is_a_difference_not_a_denial() -> None:
    _, present = read("its getting worse, nothing like my usual back pain")
    assert present.get("back_pain") is True and present.get("severe_worsening_pain") is True


def test_a_hedged_denial_is_a_checked_no_never_doubt() -> None:
    # "I don't think ..." is the spec's hedged no: checked once on an emergency question, and in a
    # description it rules nothing out (the question is still asked).
    u = load_matcher().understand("i dont think its numb round my bottom", ASKS["saddle"])
    assert u.answer is Answer.NO and u.hedged
    described = load_matcher().understand("sore back, i dont think ive lost any weight")
    weight = next(f for f in described.findings if f.id == "weight_loss")
    assert not weight.present and weight.own_question_only
    assert load_matcher().understand("i dont think so, but my bum is numb", ASKS["saddle"]).answer is Answer.YES
