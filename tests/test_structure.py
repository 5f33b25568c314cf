"""The structure the matcher reads beyond phrases (symptoms.yaml `structure`, negation.yaml scope).

Each case is a mechanism, worded here for the test: organs, the question's topic, awareness,
both legs, other people and carers, hedges that are a finding's own words, inverting verbs in
any form, scope resets, stops inside descriptions, degree words.
"""

from __future__ import annotations

import pytest

from voice_triage.dialogue import load_questions
from voice_triage.nlu.matcher import Answer, Understanding, load_matcher

ASKS = {q.id: q.asks_about for q in load_questions().questions}


def understand(text: str, topic: str | None = None) -> Understanding:
    return load_matcher().understand(text, ASKS[topic] if topic else ())


def findings(text: str, topic: str | None = None) -> dict[str, bool]:
    return {f.id: f.present for f in understand(text, topic).findings}


def test_a_bowel_word_inside_the_phrase_is_never_a_bladder_finding() -> None:
    got = findings("last night i didnt feel the poo come out at all")
    assert got.get("bowel_sensation_loss") is True
    assert "urinary_retention" not in got


def test_a_leg_named_elsewhere_does_not_take_a_bladder_finding_away() -> None:
    assert findings("my legs are weak and i keep wetting myself").get("urinary_incontinence") is True


@pytest.mark.parametrize(
    ("text", "topic", "finding"),
    [
        ("i can never hold it", "bladder", "urinary_incontinence"),
        ("it just won't start when i try", "bladder", "urinary_retention"),
        ("i had an accident on the way to the loo", "bowel_sex", "bowel_incontinence"),
        ("they both go numb when i walk", "legs", "both_legs_neuro"),
    ],
)
def test_the_question_supplies_the_organ_a_reply_leaves_out(text: str, topic: str, finding: str) -> None:
    assert findings(text, topic).get(finding) is True
    assert findings(text).get(finding) is not True  # without the question: not guessed


@pytest.mark.parametrize(
    ("text", "topic"),
    [("can we stop now", "bladder"), ("it is not hard to get going", "bladder"), ("i can go fine", "bladder")],
)
def test_the_topic_never_supplies_a_denial_or_a_command(text: str, topic: str) -> None:
    got = findings(text, topic)
    assert not any(present is False for fid, present in got.items() if fid.startswith("urinary"))
    assert got.get("urinary_retention") is not True


@pytest.mark.parametrize(
    ("text", "implied"),
    [
        ("i wet the bed last night without even noticing", "bladder_sensation_loss"),
        ("he soiled himself and did not even know", "bowel_sensation_loss"),
    ],
)
def test_an_accident_without_noticing_is_also_a_loss_of_feeling(text: str, implied: str) -> None:
    assert findings(text).get(implied) is True


def test_an_accident_alone_implies_no_loss_of_feeling() -> None:
    assert "bladder_sensation_loss" not in findings("i wet myself when i coughed")


@pytest.mark.parametrize(
    "text",
    ["both my legs keep giving way", "my left leg is numb and the right one is going that way too",
     "both leg weak"],
)
def test_a_leg_finding_said_of_both_legs_is_the_both_legs_finding(text: str) -> None:
    assert findings(text).get("both_legs_neuro") is True


def test_a_denied_both_legs_is_not_brought_back_by_structure() -> None:
    assert findings("not both legs, only my left leg is weak").get("both_legs_neuro") is not True


def test_a_carer_speaking_of_the_patient_is_heard() -> None:
    assert findings("i'm here for my dad, he says his bottom has gone numb").get("saddle_numbness") is True
    assert findings("my husband had chemo last year and now his back is bad").get("immunosuppression") is True


def test_another_persons_history_or_a_symptom_denied_of_oneself_is_not_the_persons() -> None:
    assert "cancer_history" not in findings("my sister had breast cancer")
    got = findings("my brother had numbness down below after his fall, but i have not")
    assert got.get("saddle_numbness") is not True


def test_a_hedge_made_of_the_findings_own_words_states_the_symptom() -> None:
    u = understand("honestly i cannot tell when my bladder is full any more")
    assert {f.id: f.present for f in u.findings}.get("bladder_sensation_loss") is True


@pytest.mark.parametrize("text", ["nothing i try eases it", "it still won't settle whatever i do"])
def test_an_inverting_verb_in_any_form_states_the_symptom(text: str) -> None:
    assert understand(text).answer is not Answer.NO


def test_negation_ends_at_a_new_body_part_with_its_own_verb() -> None:
    got = findings("no numbness, no trouble peeing, my back is just sore after gardening")
    assert got.get("back_pain") is True


def test_negation_ends_at_a_reason() -> None:
    assert findings("i can't sleep on my side since my back went").get("back_pain") is True


def test_a_self_correction_ends_the_denial_before_it() -> None:
    assert findings("no hang on, there is some numbness round my bottom").get("saddle_numbness") is True


def test_a_stop_inside_a_description_is_not_a_stop() -> None:
    assert understand("no leaking, but i have to go constantly and i can't get it started").answer is not Answer.STOP
    assert understand("no numbness down there, i have to go now").answer is Answer.STOP


def test_degree_words_answer_only_on_their_own() -> None:
    assert understand("sometimes").answer is Answer.YES
    assert understand("my fingers go numb sometimes but not down there, no").answer is Answer.NO


def test_no_but_an_asked_finding_is_a_yes_to_that_question() -> None:
    u = understand("no, but i do have to push to get my wee going", "bladder")
    assert u.answer is Answer.YES
    assert {f.id: f.present for f in u.findings}.get("urinary_retention") is True
    assert understand("no, but i do have to push to get my wee going").answer is Answer.NO


def test_my_back_is_back_pain_whatever_is_said_of_it() -> None:
    assert findings("my back is in pieces today").get("back_pain") is True
    assert "back_pain" not in findings("i was out in my back garden")


def test_the_same_words_give_the_same_findings_whatever_the_hash_seed() -> None:
    import os
    import subprocess
    import sys

    text = "well its me back and a pain right down the back of me left leg to me foot no pins and needles"
    code = ("from voice_triage.nlu.matcher import load_matcher;"
            f"print(sorted((f.id, f.present) for f in load_matcher().understand({text!r}).findings))")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(outs) == 1


@pytest.mark.parametrize("text", ["stop, i've had enough of this", "I have to go, the nurse is here",
                                  "ok we need to finish now"])
def test_a_stop_that_ends_its_clause_stops(text: str) -> None:
    assert understand(text).answer is Answer.STOP


def test_a_yes_is_never_lost_to_a_stop_after_it() -> None:
    assert understand("yes. stop now.", "saddle").answer is Answer.YES


def test_a_conventional_negative_needs_no_subject() -> None:
    u = understand("dont reckon so")
    assert u.answer is Answer.NO and u.hedged


def test_louder_and_quieter_change_the_voice_and_the_question_is_asked_again() -> None:
    from voice_triage.clinical import load_rulebook
    from voice_triage.dialogue import Ask, Conversation, RateChanged, Say

    talk = Conversation(load_rulebook(), load_matcher(), load_questions(), "uk")
    talk.start()
    talk.hear("my back hurts after lifting a box")
    quieter = talk.hear("a bit quieter please")
    changed = [e for e in quieter if isinstance(e, RateChanged)]
    assert changed and changed[0].volume < 1.0 and changed[0].rate == 1.0
    assert any(isinstance(e, Ask) for e in quieter)  # the same question again
    louder = talk.hear("can you speak up")
    assert [e.volume for e in louder if isinstance(e, RateChanged)] == [1.0]
    again = talk.hear("louder")  # already at the start's loudness: the device must do it
    assert any(isinstance(e, Say) and "device" in e.text for e in again)
    assert talk.volume == 1.0


def test_the_speaker_takes_a_fraction_of_its_starting_volume() -> None:
    from voice_triage.audio.speaker import Speaker

    speaker = Speaker(volume=0.8)
    speaker.set_volume_factor(0.5)
    assert speaker.volume == pytest.approx(0.4)
    speaker.set_volume_factor(1.0)
    assert speaker.volume == pytest.approx(0.8)


def test_a_typed_question_back_is_help_and_what_it_names_is_doubt() -> None:
    u = understand("does tripping on a kerb count?", "injury")
    assert u.answer is Answer.HELP
    assert all(f.hedged for f in u.findings if f.present)
    assert understand("is it numb down there? yes, it is").answer is Answer.YES


def test_texting_fillers_and_accents_do_not_hide_the_answer() -> None:
    assert understand("lol no, all good down there tbh").answer is Answer.NO
    assert understand("Sí, naïve question but yes").answer is Answer.YES
    assert understand("¿Dónde está el baño?").answer is None


def test_a_voice_command_is_never_read_as_a_symptom_the_question_supplies() -> None:
    u = understand("a bit slower please", "bladder")
    assert u.rate is not None and not u.findings


def test_a_stop_phrase_said_of_someone_else_is_no_stop() -> None:
    u = understand("he can't tell when he needs to go any more", "bladder_feeling")
    assert u.answer is not Answer.STOP
    assert {f.id: f.present for f in u.findings}.get("bladder_sensation_loss") is True


def test_asking_to_hear_it_again_outranks_help() -> None:
    assert understand("sorry, what was the last bit?").answer is Answer.REPEAT
    assert understand("it is hard to explain really").answer is not Answer.HELP


def test_weak_words_alone_make_no_finding() -> None:
    assert "bladder_sensation_loss" not in findings("i can't feel it going")
    assert "night_pain" not in findings("i get up in the night to go to the loo")
    assert "daily_activity_limited" not in findings("nah if anything i'm backed up")
    assert "severe_worsening_pain" not in findings("about a six out of ten")


def test_a_denial_names_a_site_only_for_its_own_question() -> None:
    got = findings("not numb exactly, more tingly, in my left foot", "one_leg")
    assert got.get("one_leg_numbness") is True and "saddle_numbness" not in got
    assert findings("no numbness but I can't pee properly").get("saddle_numbness") is False


def test_another_body_site_takes_the_topics_place() -> None:
    # The hands' tingling is no both-legs finding; the legs said to be ok rule it out (structure.fine).
    assert findings("my hands tingle but my legs are ok", "legs").get("both_legs_neuro") is False
    assert "both_legs_neuro" not in findings("my hands tingle", "legs")


def test_a_question_answered_in_the_same_reply_is_an_answer() -> None:
    assert understand("how long? about nine weeks now", "duration").answer is Answer.YES
    assert understand("does slipping on ice count? i landed on my bum", "injury").answer is Answer.HELP


@pytest.mark.parametrize(("text", "answer"), [("my uncle had bowel cancer, not me", Answer.NO),
                                              ("we haven't had any surgery", Answer.NO),
                                              ("all good thanks", Answer.NO)])
def test_denials_by_their_shape(text: str, answer: Answer) -> None:
    assert understand(text).answer is answer


def test_i_cant_stop_it_is_a_symptom_not_a_stop() -> None:
    u = understand("it just won't stop, i can't stop it", "bladder")
    assert u.answer is not Answer.STOP
    assert {f.id: f.present for f in u.findings}.get("urinary_incontinence") is True


def test_the_topic_supplies_to_a_negated_perception_but_an_i_can_is_asked_again() -> None:
    got = understand("honestly i can't feel it", "bladder_feeling")
    assert {f.id: f.present for f in got.findings}.get("bladder_sensation_loss") is True
    # Typed, "I can" is what the person wrote: a no, kept with its fragile plain-form finding so
    # that a transcript's "can" (maybe a misheard "can't") is asked again (test_dialogue.py).
    plain = understand("i can feel it alright", "bladder_feeling")
    assert plain.answer is Answer.NO and all(f.fragile for f in plain.findings if not f.present)
    assert understand("yes i can feel it", "bladder_feeling").answer is Answer.YES


def test_a_flow_that_will_not_start_needs_the_question() -> None:
    assert findings("she can't get it going when she tries", "bladder").get("urinary_retention") is True
    assert "urinary_retention" not in findings("i can't get it going in the mornings")


def test_yes_both_on_the_legs_question_is_read_by_its_words() -> None:
    assert findings("it's shooting down both legs", "legs").get("both_legs_neuro") is True


def test_it_and_they_point_back_at_the_part_named_earlier() -> None:
    assert findings("it's my inner thighs, they feel numb").get("saddle_numbness") is True
    got = findings("just the one leg, the right, it's numb on the outside", "legs")
    assert got.get("both_legs_neuro") is not True


def test_the_question_supplies_its_organs_first_word() -> None:
    got = findings("yes it's gone numb", "saddle")
    assert got.get("saddle_numbness") is True and "wiping_numbness" not in got
    assert "both_legs_neuro" not in findings("yes it's numb", "one_leg")


def test_a_contrast_is_not_a_denial_and_a_verb_can_deny() -> None:
    got = findings("it's not so much my back, it's that my bottom has gone numb")
    assert got.get("saddle_numbness") is True
    assert findings("the doctor ruled out cancer").get("cancer_history") is False


def test_a_new_clause_inside_a_phrase_ends_the_cues_reach() -> None:
    assert findings("there's a bump on my back that wasn't there last month and it aches").get("back_pain") is True


def test_a_stop_followed_by_a_new_clause_stops() -> None:
    assert understand("stop now please i will ring my doctor").answer is Answer.STOP
    assert understand("he's been poorly with his back for weeks").findings  # back, not unwell
    assert "unwell" not in findings("he's been poorly with his back for weeks")


def test_a_stop_phrase_inside_when_is_part_of_a_symptom() -> None:
    u = understand("i can't hold it in when i need to go", "bowel_sex")
    assert u.answer is not Answer.STOP
    assert {f.id: f.present for f in u.findings}.get("bowel_incontinence") is True


def test_an_emergency_request_keeps_what_it_says() -> None:
    u = understand("get me an ambulance, her legs won't hold her")
    assert u.answer is Answer.EMERGENCY
    assert {f.id: f.present for f in u.findings}.get("leg_weakness") is True


def test_a_spoken_denial_resting_on_a_contracted_not_is_checked_once() -> None:
    from voice_triage.clinical import load_rulebook
    from voice_triage.dialogue import Ask, Conversation

    def after_saddle(reply: str, spoken: bool) -> str:
        talk = Conversation(load_rulebook(), load_matcher(), load_questions(), "uk")
        talk.start()
        asked = talk.hear("my back hurts after lifting a box")
        assert [e.question for e in asked if isinstance(e, Ask)][-1] == "saddle"
        return [e.question for e in talk.hear(reply, spoken=spoken) if isinstance(e, Ask)][-1]

    assert after_saddle("i haven't got any numbness down below", spoken=True) == "saddle"  # checked
    assert after_saddle("i haven't got any numbness down below", spoken=False) != "saddle"
    assert after_saddle("no numbness down below at all", spoken=True) != "saddle"
