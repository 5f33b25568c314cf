"""Structure added with blind set 19 (tests/nlu_sets/README.md): each mechanism tried with wording
of its own, never the set's sentence."""

from __future__ import annotations

from voice_triage.dialogue import load_questions
from voice_triage.nlu import Answer, load_matcher

ASKS = {q.id: q.asks_about for q in load_questions().questions}


def read(text: str, question: str = "") -> tuple[Answer | None, dict[str, bool]]:
    u = load_matcher().understand(text, ASKS.get(question, ()))
    return u.answer, {f.id: f.present for f in u.findings}


def test_a_denial_pointing_back_at_a_leg_rules_nothing_out_about_the_saddle() -> None:
    _, found = read("the ache runs down my left calf, there's no tingling in it")
    assert "saddle_numbness" not in found
    _, found = read("my back is stiff, no tingling at all")  # no part named: the spec's own reading
    assert found.get("saddle_numbness") is False


def test_a_plain_come_out_with_no_organ_named_denies_nothing() -> None:
    _, found = read("the pain in my back came on out of the blue last night")
    assert "urinary_retention" not in found
    _, found = read("my wee comes out fine")
    assert found.get("urinary_retention") is False


def test_a_not_that_belongs_to_an_inverting_verb_negates_no_other_phrase() -> None:
    _, found = read("my back is agony and i can't stop running to the loo")
    assert "daily_activity_limited" not in found
    _, found = read("i can't get to the loo by myself")  # its own "not": still read
    assert found.get("daily_activity_limited") is True
    _, found = read("he can't go to the toilet on his own any more")  # a going verb is the phrase's
    assert found.get("daily_activity_limited") is True


def test_an_inability_is_said_of_its_own_verb_not_of_the_phrase_after_it() -> None:
    answer, found = read("he can't put weight on his right leg it keeps giving way", "legs")
    assert answer is Answer.YES and found.get("leg_weakness") is True
    _, found = read("i can't get up, both my legs keep giving way")
    assert found.get("both_legs_neuro") is True
    _, found = read("i can't feel any numbness")  # a perception verb: still the phrase's denial
    assert found.get("saddle_numbness") is False


def test_a_question_about_what_a_word_means_is_help_and_the_word_is_no_statement() -> None:
    u = load_matcher().understand("what does osteoporosis mean", ASKS["history_other"])
    assert u.answer is Answer.HELP
    assert all(f.hedged for f in u.findings if f.present)  # named, so kept, but only as doubt


def test_i_meant_with_no_answer_before_it_corrects_the_previous_answer() -> None:
    assert read("oh sorry i meant yes", "legs")[0] is Answer.CORRECT
    assert read("no hang on i meant yes", "legs")[0] is Answer.YES  # revises its own answer


def test_doubt_whose_object_is_the_organs_own_event_is_the_feeling_lost() -> None:
    answer, found = read("honestly i can't tell when i've gone", "bowel_sex")
    assert answer is Answer.YES and found.get("bowel_sensation_loss") is True
    answer, found = read("i don't know whether it's emptied", "bladder_feeling")
    assert answer is Answer.YES and found.get("bladder_sensation_loss") is True
    assert read("i can't tell", "bladder_feeling")[0] is Answer.UNSURE  # no event: doubt
    assert read("i don't know if that's what you mean", "bladder_feeling")[0] is Answer.UNSURE
    assert "bladder_sensation_loss" not in read("i can't tell if i've been", "legs")[1]  # not its question


def test_a_but_before_when_keeps_the_when_clause_with_its_statement() -> None:
    _, found = read("it's odd but when i wipe i can't feel the paper properly")
    assert found.get("wiping_numbness") is True


def test_a_longer_phrase_joining_two_statements_keeps_the_other_finding_on_one_side() -> None:
    _, found = read("she pooed herself and couldn't feel it happen")
    assert found.get("bowel_incontinence") is True and found.get("bowel_sensation_loss") is True


def test_well_in_oneself_is_not_unwell_and_knows_is_an_ability() -> None:
    assert read("she's alright in herself, it's only her back", "general_health") == (Answer.NO, {
        "unwell": False, "back_pain": True})
    assert read("he knows when he has to go", "bladder_feeling")[0] is Answer.NO


def test_it_goes_down_my_leg_is_sciatica_and_its_denial_is_not_inverted() -> None:
    assert read("yeah it runs down into my calf", "one_leg") == (Answer.YES, {"sciatica": True})
    assert read("it does not go down my leg", "one_leg") == (Answer.NO, {"sciatica": False})
    assert read("nowt like that goes down my leg", "one_leg")[0] is Answer.NO  # "nowt": nothing


def test_a_comparison_with_the_past_is_now_and_nobody_saying_is_doubt() -> None:
    assert read("he can't hold his water the way he used to", "bladder") == (
        Answer.YES, {"urinary_incontinence": True})
    answer, found = read("the doctors never told me whether it was cancer", "history_serious")
    assert answer is Answer.UNSURE and found.get("cancer_history") is True  # kept, as doubt
    assert read("i havent slept much at all", "pain_pattern") == (Answer.YES, {"night_pain": True})
    assert "night_pain" not in read("i think i slept funny")[1]


def test_i_inject_is_drug_use_and_an_injected_medicine_is_not() -> None:
    assert read("he injects, and he's been shivery all night")[1].get("iv_drug_use") is True
    assert "iv_drug_use" not in read("she injects her insulin")[1]
