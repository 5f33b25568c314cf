"""Structure added with blind sets 13 and 15 (tests/nlu_sets/README.md): each mechanism tried with
wording of its own, never the set's sentence."""

from __future__ import annotations

import pytest

from voice_triage.dialogue import load_questions
from voice_triage.nlu import Answer, load_matcher

ASKS = {q.id: q.asks_about for q in load_questions().questions}


def read(text: str, question: str = "") -> tuple[Answer | None, dict[str, bool]]:
    u = load_matcher().understand(text, ASKS.get(question, ()))
    return u.answer, {f.id: f.present for f in u.findings}


def test_an_adverb_between_a_cue_and_its_verb_keeps_the_cue_the_phrases_own() -> None:
    answer, present = read("honestly i cant really feel it coming", "bladder_feeling")
    assert answer is Answer.YES and present.get("bladder_sensation_loss") is True


def test_the_question_never_supplies_both_legs_to_a_reply_about_one() -> None:
    _, present = read("its only the one leg that aches", "legs")
    assert "both_legs_neuro" not in present
    _, present = read("yes they both go numb", "legs")
    assert present.get("both_legs_neuro") is True


def test_a_typo_inside_a_rewritten_phrase_is_corrected_before_the_rewrite() -> None:
    assert read("pins and needels all round my backside", "saddle")[1].get("saddle_numbness") is True


@pytest.mark.parametrize(("text", "answer"), [("huh?", Answer.REPEAT), ("uh huh", Answer.YES),
                                              ("uh-uh", Answer.NO), ("mm hmm", Answer.YES)])
def test_two_sounds_that_are_one_word_are_joined_before_hesitations_go(text: str, answer: Answer) -> None:
    assert read(text, "injury")[0] is answer


def test_a_number_sign_is_said_number() -> None:
    assert read("it comes out with no warning when i need a #2", "bowel_sex")[1].get("bowel_incontinence") is True


def test_or_not_is_the_other_half_of_a_choice_not_a_denial() -> None:
    answer, present = read("i never know whether i need the loo or not", "bladder_feeling")
    assert present.get("bladder_sensation_loss") is not False and answer is not Answer.NO


def test_an_answer_word_after_a_symptom_denies_it() -> None:
    answer, present = read("numbness nope, tingling nope", "saddle")
    assert answer is Answer.NO and present.get("saddle_numbness") is False


def test_a_comma_part_that_starts_with_just_is_a_new_statement() -> None:
    answer, present = read("no pins and needles, only an ache down the back of my leg", "one_leg")
    assert present.get("sciatica") is True and answer is Answer.YES


def test_not_that_denies_the_clause_after_it() -> None:
    answer, present = read("it isnt like she cant feel it", "bladder_feeling")
    assert answer is not Answer.YES and present.get("bladder_sensation_loss") is not True
    # ... but a plain denial before a stated symptom is still the symptom.
    assert read("nope i cant feel it at all", "bladder_feeling")[1].get("bladder_sensation_loss") is True


def test_the_plain_form_of_what_was_asked_beside_another_finding_is_a_checked_no() -> None:
    u = load_matcher().understand("i feel it alright, but it wont come out", ASKS["bladder_feeling"])
    assert u.answer is Answer.NO and u.hedged
    assert {f.id: f.present for f in u.findings}.get("urinary_retention") is True


def test_an_organ_said_to_be_well_answers_its_own_question_no() -> None:
    answer, present = read("honestly my bladder is ok, it's my back that's the worry", "bladder")
    assert answer is Answer.NO and present.get("urinary_retention") is False
    assert read("my bladder isnt fine at all", "bladder")[0] is not Answer.NO  # negated: not well
    # In a description nothing is ruled out: the bladder questions are still asked.
    assert "urinary_retention" not in read("my waterworks are ok but my back is agony")[1]


def test_the_back_pain_itself_answers_nothing() -> None:
    assert read("its just my back that hurts", "saddle")[0] is None


def test_when_it_began_in_a_short_reply_is_how_long_it_has_lasted() -> None:
    assert read("only since friday", "duration")[0] is Answer.NO
    assert read("it began last week", "duration")[0] is Answer.NO
    assert read("since last year", "duration")[0] is Answer.YES
    assert read("i saw the nurse on friday", "duration")[0] is None  # when something else happened
    assert read("roughly a week", "injury")[0] is None  # how long answers nothing about an injury


def test_it_after_a_verb_is_its_object_not_a_new_clause() -> None:
    assert read("shes had it about five days", "duration")[0] is Answer.NO


def test_asked_about_back_pain_a_pain_with_no_other_site_is_the_backs() -> None:
    assert read("twisted awkwardly getting out of the car and its been aching since")[1].get("back_pain") is True
    assert "back_pain" not in read("my knees ache")[1]  # another part's pain
    assert "back_pain" not in read("no pain at all really")[1]  # denied
    assert read("my back's ok, it's my shoulder")[1].get("back_pain") is False


def test_a_comma_then_and_with_a_subject_starts_a_new_clause() -> None:
    present = read("it wasnt a bad fall, i just sat down on my bum, and then my lower back started to hurt")[1]
    assert "major_trauma" not in present or present["major_trauma"] is False


def test_an_accident_not_meant_is_the_organs_accident() -> None:
    assert read("sometimes a bit of wee comes out by itself")[1].get("urinary_incontinence") is True
    assert read("i had a poo accidentally in bed")[1].get("bowel_incontinence") is True
    assert "urinary_incontinence" not in read("i phoned my gp without meaning to")[1]


def test_a_correction_keeps_the_first_letter() -> None:
    # "training" is a word of its own, not a misspelt "straining".
    assert "urinary_retention" not in read("i hurt it at rugby training on sunday")[1]
    assert read("i keep strainning to pee")[1].get("urinary_retention") is True


def test_the_back_pain_described_stays_when_a_longer_phrase_holds_it() -> None:
    present = read("back pain going down into both legs")[1]
    assert present.get("back_pain") is True and present.get("both_legs_neuro") is True


@pytest.mark.parametrize("text", ["hard to say really", "i sat down hard on the step", "i have trouble getting up"])
def test_an_everyday_word_is_no_sexual_problem(text: str) -> None:
    assert "sexual_dysfunction" not in read(text, "sex")[1]


def test_a_time_alone_never_fills_in_a_finding_with_the_questions_organ() -> None:
    answer, present = read("he has yeah, he wet the bed last night", "bladder")
    assert answer is Answer.YES and present.get("urinary_incontinence") is True


def test_scots_words_are_read() -> None:
    assert read("nae bother there at all", "bladder")[0] is Answer.NO
    assert read("i dinnae ken", "general_health")[0] is Answer.UNSURE
    assert read("i cannae go at all", "bladder")[1].get("urinary_retention") is True


def test_a_transcripts_leading_know_is_no() -> None:
    assert read("know theyre both fine", "legs")[0] is Answer.NO
    assert read("know what i mean", "legs")[0] is not Answer.NO


def test_a_person_and_an_auxiliary_mid_sentence_start_a_new_clause() -> None:
    u = load_matcher().understand("nope i know fine when i need to go i just cant get it started",
                                  ASKS["bladder_feeling"])
    found = {f.id: f.present for f in u.findings}
    assert u.answer is Answer.NO and found.get("urinary_retention") is True
    assert found.get("bladder_sensation_loss") is not True
    # ... but not inside one statement that "when" opens.
    assert read("when i went to wipe i couldnt feel a thing")[1].get("wiping_numbness") is True


def test_a_reply_that_turns_to_another_organ_takes_it_for_what_follows() -> None:
    present = read("the bladder's fine, it's my bowels, i've had an accident", "bladder")[1]
    assert present.get("bowel_incontinence") is True and present.get("urinary_incontinence") is not True


def test_a_limit_on_knowing_is_no_denial() -> None:
    assert read("i only know i need to go when im bursting", "bladder_feeling")[0] is not Answer.NO
    assert read("i know when i need to go", "bladder_feeling")[0] is Answer.NO


def test_always_been_fine_makes_what_follows_new() -> None:
    answer, present = read("hes had a couple of accidents this week and hes always been fine before", "bowel_sex")
    assert answer is Answer.YES and present.get("bowel_incontinence") is True
    assert read("ive always had a slow stream, nothing new", "bladder")[0] is Answer.NO


def test_taking_a_temperature_denies_no_fever() -> None:
    assert read("we didnt check his temperature but he was shivery", "general_health")[1].get("fever") is True
    assert read("i didnt take my temperature", "general_health")[0] is not Answer.NO


def test_a_greeting_is_no_point_in_time() -> None:
    assert read("good morning", "duration")[0] is None
