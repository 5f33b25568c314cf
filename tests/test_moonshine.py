"""Moonshine's second listening (asr_moonshine.py, recognizer.SecondOpinion): the real model on real
audio, and the combination rules with fakes at the seam."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO, SPEECH_COMMANDS
from voice_triage.asr import SecondOpinion, Status, Stopwatch, Transcript, ort_model
from voice_triage.asr import moonshine as asr_moonshine
from voice_triage.asr.moonshine import MoonshineRecognizer, collapse, could_begin, load_tokens, model_dir, pieces
from voice_triage.audio.wav import read_wav
from voice_triage.errors import RecognizerError, UsageError
from voice_triage.nlu.grammar import load_grammar
from voice_triage.session.turn import open_listener

WAV_DIR = REPO / "tests" / "wav"


@functools.cache
def phrases() -> tuple[str, ...]:
    return load_grammar().phrases_for("yes_no", ())


@functools.cache
def moonshine() -> MoonshineRecognizer:
    return asr_moonshine.shared()


@functools.cache
def as_shipped() -> MoonshineRecognizer:
    """The model files as the wheel ships them: the reference the rebuilt models are held to."""
    return MoonshineRecognizer(rebuild=False)


# --- pure helpers -------------------------------------------------------------------------------


def test_collapse_counts_a_repeated_word_once() -> None:
    assert collapse("stop stop") == "stop"
    assert collapse("no no i don't") == "no i don't"
    assert collapse("yes no") == "yes no"


def test_could_begin_follows_the_phrase_list() -> None:
    allowed = ("yes", "yes i have", "no")
    assert could_begin("ye", allowed) and could_begin("yes i", allowed)
    assert not could_begin("now", allowed) and not could_begin("six", allowed)


def test_tokenizer_reads_the_shipped_pieces_and_rejects_a_truncated_file(tmp_path: Path) -> None:
    tokens = load_tokens(model_dir() / "tokenizer.bin")
    assert len(tokens) > 30000 and tokens[asr_moonshine.EOS] == b"</s>"
    bad = tmp_path / "tokenizer.bin"
    bad.write_bytes(b"\x05<unk>\x03<s>\x09</s")
    with pytest.raises(RecognizerError, match="truncated"):
        load_tokens(bad)


def test_missing_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(asr_moonshine.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(RecognizerError, match="pip install moonshine-cpp"):
        model_dir()


# --- SecondOpinion with fakes at the seam ---------------------------------------------------------


class Fake:
    def __init__(self, name: str, status: Status, text: str = "") -> None:
        self.name, self.status, self.text, self.calls = name, status, text, 0
        self.asked: list[Sequence[str] | None] = []

    def transcribe(self, samples: object, phrases: Sequence[str] | None) -> Transcript:
        self.calls += 1
        self.asked.append(phrases)
        if self.status is Status.OK and self.text == "raise":
            raise RecognizerError("model file unreadable")
        return Stopwatch(self.name, 1.0)(self.status, self.text, 0.9 if self.status is Status.OK else 0.0)


SAMPLES = np.zeros(16000, dtype=np.int16)


def test_no_match_is_heard_again_and_keeps_the_first_backends_name() -> None:
    first, second = Fake("pocketsphinx", Status.NO_MATCH), Fake("moonshine", Status.OK, "yes")
    got = SecondOpinion(first, second).transcribe(SAMPLES, phrases())
    assert (got.status, got.text, got.recognizer, second.calls) == (Status.OK, "yes", "pocketsphinx", 1)


def test_an_answer_the_first_heard_is_never_second_guessed() -> None:
    for text in ("yes", "no", "not sure"):
        second = Fake("moonshine", Status.OK, "no" if text == "yes" else "yes")
        got = SecondOpinion(Fake("p", Status.OK, text), second, frozenset({"repeat"})).transcribe(SAMPLES, phrases())
        assert got.text == text and second.calls == 0


def test_no_input_is_not_heard_again() -> None:
    second = Fake("moonshine", Status.OK, "yes")
    assert SecondOpinion(Fake("p", Status.NO_INPUT), second).transcribe(SAMPLES, phrases()).status is Status.NO_INPUT
    assert second.calls == 0


def test_no_word_found_in_more_than_a_words_sound_is_written_by_the_second_as_a_no_match() -> None:
    sound = read_wav(REPO / "tests" / "wav" / "symptoms" / "en-gb_m_s150" / "i can't feel my bum.wav").samples
    second = Fake("moonshine", Status.OK, "yes around my bottom")
    got = SecondOpinion(Fake("p", Status.NO_INPUT), second).transcribe(sound, phrases())
    assert (got.status, got.text, got.open_text, second.calls) == (Status.NO_MATCH, "", "yes around my bottom", 1)
    silent = SecondOpinion(Fake("p", Status.NO_INPUT), Fake("moonshine", Status.NO_INPUT))
    assert silent.transcribe(sound, phrases()).status is Status.NO_INPUT  # nothing written: no input


def test_a_steering_phrase_is_rechecked_and_replaced_only_by_another_phrase() -> None:
    recheck = load_grammar().steering_phrases()
    assert {"repeat", "help", "stop", "slower"} <= recheck and not {"yes", "no", "not sure"} & recheck
    replaced = SecondOpinion(Fake("p", Status.OK, "repeat"), Fake("m", Status.OK, "yes"), recheck)
    assert replaced.transcribe(SAMPLES, phrases()).text == "yes"
    kept = SecondOpinion(Fake("p", Status.OK, "repeat"), Fake("m", Status.NO_MATCH), recheck)
    assert kept.transcribe(SAMPLES, phrases()).text == "repeat"


def test_a_failing_second_recognizer_leaves_the_first_and_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    second = Fake("m", Status.OK, "raise")
    chain = SecondOpinion(Fake("p", Status.NO_MATCH), second, frozenset({"repeat"}))
    with caplog.at_level(logging.WARNING):
        assert chain.transcribe(SAMPLES, phrases()).status is Status.NO_MATCH
        assert chain.transcribe(SAMPLES, phrases()).status is Status.NO_MATCH
    assert second.calls == 1 and "model file unreadable" in caplog.text


def test_the_open_question_is_dictated_by_the_second_recognizer() -> None:
    first, second = Fake("pocketsphinx", Status.OK, "my lemon all the"), Fake("moonshine", Status.OK, "my back hurts")
    got = SecondOpinion(first, second).transcribe(SAMPLES, None)
    assert (got.status, got.text, got.recognizer, first.calls, second.asked) == (
        Status.OK, "my back hurts", "pocketsphinx", 0, [None])


def test_dictation_falls_back_to_the_first_when_the_second_fails() -> None:
    first = Fake("pocketsphinx", Status.OK, "my back")
    got = SecondOpinion(first, Fake("m", Status.OK, "raise")).transcribe(SAMPLES, None)
    assert (got.text, first.calls) == ("my back", 1)


def test_a_reply_outside_the_phrase_list_is_written_beside_the_no_match() -> None:
    second = Fake("moonshine", Status.OK, "no not at all")
    got = SecondOpinion(Fake("p", Status.NO_MATCH), second).transcribe(SAMPLES, phrases())
    assert (got.status, got.open_text, second.asked) == (Status.NO_MATCH, "no not at all", [None])
    assert got.as_json()["open_text"] == "no not at all"
    assert "open_text" not in Fake("p", Status.NO_MATCH).transcribe(SAMPLES, phrases()).as_json()


class Doubtful(Fake):
    """The first backend hearing ``text`` with a chosen confidence."""

    def __init__(self, text: str, confidence: float) -> None:
        super().__init__("p", Status.OK, text)
        self.confidence = confidence

    def transcribe(self, samples: object, phrases: Sequence[str] | None) -> Transcript:
        return Stopwatch(self.name, 1.0)(Status.OK, self.text, self.confidence)


def test_a_doubtful_yes_or_no_is_heard_again_and_asked_again_when_the_two_disagree() -> None:
    from voice_triage.asr.base import CROSS_CHECK_BELOW
    from voice_triage.nlu.matcher import load_matcher
    from voice_triage.session.turn import open_reading

    polar = frozenset({"yes", "no"})
    low, high = CROSS_CHECK_BELOW - 0.2, CROSS_CHECK_BELOW + 0.1

    def turn(first: str, confidence: float, second: Fake) -> Transcript:
        chain = SecondOpinion(Doubtful(first, confidence), second, crosscheck=polar)
        return open_reading(chain.transcribe(SAMPLES, phrases()), load_matcher())

    # Confident: never heard again (the common turn stays fast).
    second = Fake("m", Status.OK, "yes that's right")
    assert turn("no", high, second).text == "no" and second.calls == 0
    # Doubtful and contradicted ("yes, that's right" forced onto "no"): asked again, never a swap.
    assert turn("no", low, Fake("m", Status.OK, "yes that's right")).status is Status.NO_MATCH
    assert turn("yes", low, Fake("m", Status.OK, "the cat is outside")).status is Status.NO_MATCH
    assert turn("no", low, Fake("m", Status.NO_MATCH)).status is Status.NO_MATCH  # nothing confirms it
    # Confirmed (even by words one "not" decides), or a command heard instead.
    agreed = turn("no", low, Fake("m", Status.OK, "i don't"))
    assert (agreed.status, agreed.text, agreed.from_open) == (Status.OK, "no", False)
    steered = turn("no", low, Fake("m", Status.OK, "wait i got that wrong"))
    assert steered.status is Status.OK and steered.from_open and steered.text == "wait i got that wrong"


def test_doubt_is_annotated_never_replaced() -> None:
    chain = SecondOpinion(Fake("p", Status.OK, "not sure"), Fake("m", Status.OK, "no"),
                          annotate=frozenset({"not sure"}))
    got = chain.transcribe(SAMPLES, phrases())
    assert (got.status, got.text, got.open_text) == (Status.OK, "not sure", "no")


def test_long_dictation_is_cut_in_pieces_at_a_pause() -> None:
    rng = np.random.default_rng(0)
    loud = (rng.standard_normal(16000 * 40) * 3000).astype(np.int16)
    pause = int(asr_moonshine.MAX_PIECE_S * 0.75 * 16000)  # a pause late in the first piece
    loud[pause : pause + 3200] = 0
    cut = pieces(loud)
    assert len(cut) >= 3 and all(len(p) <= asr_moonshine.MAX_PIECE_S * 16000 for p in cut)
    assert np.array_equal(np.concatenate(cut), loud)
    assert pause <= len(cut[0]) <= pause + 3200
    assert len(pieces(loud[:16000])) == 1


def test_environment_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICE_TRIAGE_MOONSHINE", "off")
    assert not isinstance(open_listener("pocketsphinx"), SecondOpinion)
    monkeypatch.setenv("VOICE_TRIAGE_MOONSHINE", "maybe")
    with pytest.raises(UsageError, match="VOICE_TRIAGE_MOONSHINE"):
        open_listener("pocketsphinx")
    monkeypatch.delenv("VOICE_TRIAGE_MOONSHINE")
    assert isinstance(open_listener("pocketsphinx"), SecondOpinion)


# --- the real model on real audio -----------------------------------------------------------------


@pytest.mark.slow
def test_real_model_hears_espeak_answers_and_rejects_other_speech() -> None:
    # Moonshine hears espeak-ng's robotic voices worse than people (it misses about a third of the
    # committed clips; pocketsphinx hears those), so these are clips of two voices it hears.
    for voice, said in (("en-us_m_s175", "yes"), ("en-us_f3_s140", "no"), ("en-us_m_s175", "stop"),
                        ("en-us_m_s175", "i'm not sure"), ("en-us_m_s175", "help")):
        got = moonshine().transcribe(read_wav(WAV_DIR / voice / f"{said}.wav").samples, phrases())
        assert (got.status, got.text) == (Status.OK, said), said
    for other in ("seven", "the weather is lovely today", "what time is the bus"):
        got = moonshine().transcribe(read_wav(WAV_DIR / "reject" / f"{other}.wav").samples, phrases())
        assert got.status is Status.NO_MATCH, other


@pytest.mark.slow
def test_real_model_dictates_a_description_in_bounded_steps() -> None:
    clip = read_wav(WAV_DIR / "open" / "hibari-heart" / "i fell off a ladder and now both my legs are numb.wav")
    got = moonshine().transcribe(clip.samples, None)
    assert got.status is Status.OK and {"ladder", "legs", "numb"} <= set(got.text.split())
    assert len(got.text.split()) <= asr_moonshine.TOKENS_PER_S * clip.duration_s + asr_moonshine.EXTRA_TOKENS


@pytest.mark.slow
def test_real_model_reports_noise_as_no_input() -> None:
    for noise in ("white noise", "digital silence", "hum"):
        got = moonshine().transcribe(read_wav(WAV_DIR / "reject" / f"{noise}.wav").samples, phrases())
        assert got.status is Status.NO_INPUT, noise


@pytest.mark.slow
def test_real_model_on_real_people_alone() -> None:
    """Moonshine by itself, on the shared recordings: most yes/no clips, never the other answer."""
    if not SPEECH_COMMANDS.is_dir():
        pytest.skip(f"{SPEECH_COMMANDS} is absent (the shared human recordings live outside the repository)")
    results = []
    for label in ("yes", "no"):
        for wav in sorted((SPEECH_COMMANDS / label).glob("*.wav"))[::3]:
            got = moonshine().transcribe(read_wav(wav).samples, phrases())
            results.append((label, got.text if got.status is Status.OK else got.status.value))
    assert not [r for r in results if set(r) == {"yes", "no"}]
    assert sum(label == text for label, text in results) / len(results) >= 0.85


# --- the rebuilt models (ort_model.py): the same results, without expanding every weight each step --


def test_the_rebuilt_models_expand_their_weights_where_used_and_hold_them_once() -> None:
    for name, weights, rewritten in (("encoder_model.ort", 51, 48), ("decoder_model_merged.ort", 81, 81)):
        rebuilt = ort_model.int8_model(model_dir() / name)
        # Every weight the decoder has is rewritten; the encoder's three convolutions keep the file's path.
        assert (rebuilt.weights, rebuilt.rewritten) == (weights, rewritten), name
        # The weights are not copied into the protobuf: onnxruntime gets arrays over the file's bytes,
        # the file's own large tensors and nothing else (no expanded float copy of any weight).
        assert len(rebuilt.onnx) < 1_000_000, len(rebuilt.onnx)
        shipped = ort_model.read_model((model_dir() / name).read_bytes()).graph.initializers
        large = {t.name: t.raw.nbytes for t in shipped if t.raw.nbytes >= ort_model.SHARED_MIN_BYTES}
        assert {n: a.nbytes for n, a in rebuilt.initializers.items()} == large, name
        assert sum(a.nbytes for a in rebuilt.initializers.values() if a.dtype == np.int8) > 0.4 * sum(large.values())
        assert all(not a.flags.writeable for a in rebuilt.initializers.values())  # views, never copies


def test_a_damaged_model_file_is_reported_as_unsupported(tmp_path: Path) -> None:
    whole = (model_dir() / "decoder_model_merged.ort").read_bytes()
    for name, data in (("truncated.ort", whole[:4096]), ("noise.ort", bytes(range(256)) * 64), ("empty.ort", b"")):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ort_model.Unsupported, match=name):
            ort_model.int8_model(tmp_path / name)
    with pytest.raises(ort_model.Unsupported, match="could not be read"):
        ort_model.int8_model(tmp_path / "missing.ort")


@pytest.mark.slow
def test_the_rebuilt_models_compute_the_same_numbers_to_the_bit() -> None:
    """The encoder's states and several decoder steps' logits and caches, against the files as shipped."""
    rebuilt, shipped = moonshine(), as_shipped()
    assert rebuilt.fallback == "" and shipped.fallback
    clip = read_wav(WAV_DIR / "open" / "hibari-heart" / "i fell off a ladder and now both my legs are numb.wav")
    hidden = shipped.encode(clip.samples)
    assert np.array_equal(rebuilt.encode(clip.samples), hidden)
    ours: dict[str, np.typing.NDArray[np.float32]] = {}
    theirs: dict[str, np.typing.NDArray[np.float32]] = {}
    token, steps = asr_moonshine.BOS, 0
    while token != asr_moonshine.EOS and steps < 12:
        expected = shipped.step(token, hidden, theirs)
        got = rebuilt.step(token, hidden, ours)
        assert np.array_equal(got, expected), (steps, float(np.abs(got - expected).max()))
        assert ours.keys() == theirs.keys() and all(np.array_equal(ours[k], theirs[k]) for k in ours), steps
        token, steps = int(expected.argmax()), steps + 1
    assert steps >= 8  # a dozen words: the cached branch ran, not only the first step


@pytest.mark.slow
def test_the_rebuilt_models_write_what_the_shipped_ones_write_on_every_committed_clip() -> None:
    """Every WAV under tests/wav, dictated whole (the longest decoding, and the confidence too)."""
    clips = sorted(WAV_DIR.rglob("*.wav"))
    assert len(clips) >= 100
    differ = []
    for clip in clips:
        samples = read_wav(clip).samples
        expected, got = as_shipped().text(samples, None), moonshine().text(samples, None)
        if got != expected:
            differ.append((str(clip.relative_to(WAV_DIR)), expected, got))
    assert not differ, differ


@pytest.mark.slow
@pytest.mark.parametrize("broken", ["unsupported", "refused"])
def test_a_model_the_rebuild_cannot_run_runs_as_shipped(broken: str, monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    def rebuild(path: Path) -> ort_model.Rebuilt:
        if broken == "unsupported":
            raise ort_model.Unsupported(f"{path.name}: a node this rewrite does not know")
        return ort_model.Rebuilt(b"not a model", {}, path.parent, 0, 0)

    monkeypatch.setattr(asr_moonshine.ort_model, "int8_model", rebuild)
    with caplog.at_level(logging.WARNING):
        recognizer = MoonshineRecognizer()
    reason = {"unsupported": "a node this rewrite does not know", "refused": "onnxruntime refused"}[broken]
    assert reason in recognizer.fallback and "original model files" in caplog.text and reason in caplog.text
    got = recognizer.transcribe(read_wav(WAV_DIR / "en-us_m_s175" / "yes.wav").samples, phrases())
    assert (got.status, got.text) == (Status.OK, "yes")


# --- the turn driver's reading of the open reply (session/turn.py) --------------------------------


def read(status: Status, text: str, open_text: str) -> tuple[str, str]:
    from voice_triage.nlu.matcher import load_matcher
    from voice_triage.session.turn import open_reading

    heard = open_reading(Transcript(text, status, 0.0, "p", 1.0, 0.0, open_text), load_matcher())
    return heard.status.value, heard.text


def test_an_open_reply_the_nlu_understands_stands_for_the_no_match() -> None:
    assert read(Status.NO_MATCH, "", "no not at all") == ("ok", "no not at all")
    assert read(Status.NO_MATCH, "", "pardon") == ("ok", "pardon")
    assert read(Status.OK, "repeat", "no i haven't") == ("ok", "no i haven't")


def test_one_word_never_becomes_yes_no_or_stop_and_other_words_stay_no_match() -> None:
    for word in ("right", "know", "sure"):  # read as yes or no when typed
        assert read(Status.NO_MATCH, "", word) == ("no_match", ""), word
    assert read(Status.NO_MATCH, "the", "the weather is lovely today") == ("no_match", "the")
    assert read(Status.NO_INPUT, "", "yes please") == ("no_input", "")


def test_an_ambulance_request_heard_twice_stands_and_doubt_never_becomes_yes_or_no() -> None:
    assert read(Status.OK, "call an ambulance", "call them ambulance") == ("ok", "call an ambulance")
    assert read(Status.OK, "ambulance", "no not at all") == ("ok", "no not at all")  # forced onto the list
    assert read(Status.OK, "not sure", "absolutely not") == ("ok", "not sure")
    assert read(Status.OK, "not sure", "wait i got that wrong") == ("ok", "wait i got that wrong")


def test_a_no_one_negation_word_would_reverse_is_not_taken_from_an_open_reply_a_yes_is_checked() -> None:
    # "It does." written "it's not" (espeak-ng): one "not" decides a no, so it is asked again.
    assert read(Status.NO_MATCH, "was", "it's not") == ("no_match", "was")
    for fragile in ("i haven't", "absolutely not"):
        assert read(Status.NO_MATCH, "", fragile) == ("no_match", ""), fragile
    # A yes one "not" would reverse is the safe way to be wrong: taken, marked from the open reply,
    # so the conversation checks it (read back, or followed up part by part).
    from voice_triage.dialogue import load_questions
    from voice_triage.nlu.matcher import load_matcher
    from voice_triage.session.turn import open_reading

    saddle = next(q.asks_about for q in load_questions().questions if q.id == "saddle")
    for fragile in ("i have actually", "it does", "it does feel funny when i wipe", "yep tingling"):
        heard = open_reading(Transcript("", Status.NO_MATCH, 0.0, "p", 1.0, 0.0, fragile), load_matcher(), saddle)
        assert (heard.status, heard.text, heard.from_open) == (Status.OK, fragile, True), fragile
    # A phrase the list was forced onto does not stand for a no either: asked again.
    assert read(Status.OK, "ambulance", "i haven't") == ("no_match", "ambulance")
    for steady in ("no not at all", "yes it does", "no i haven't", "yes please", "no thank you", "not at all",
                   "yes that's right"):
        assert read(Status.NO_MATCH, "", steady) == ("ok", steady), steady


def test_a_doubtful_no_the_open_reply_does_not_confirm_and_a_forced_ambulance_are_asked_again() -> None:
    from voice_triage.nlu.matcher import load_matcher
    from voice_triage.session.turn import open_reading

    doubtful_no = Transcript("no", Status.OK, 0.3, "p", 1.0, 0.0, "ring")
    assert open_reading(doubtful_no, load_matcher()).status is Status.NO_MATCH
    doubtful_yes = Transcript("yes", Status.OK, 0.3, "p", 1.0, 0.0, "the")
    assert open_reading(doubtful_yes, load_matcher()).text == "yes"  # checked later: the safe way to be wrong
    forced = Transcript("ambulance", Status.OK, 1.0, "p", 1.0, 0.0, "kilden to the shops")
    assert open_reading(forced, load_matcher()).status is Status.NO_MATCH
    heard = Transcript("call an ambulance", Status.OK, 1.0, "p", 1.0, 0.0, "colonel your lens")
    assert open_reading(heard, load_matcher()).text == "call an ambulance"  # as long as what was written: stands


def test_one_negation_apart_takes_one_out_or_puts_one_in() -> None:
    from voice_triage.session.turn import one_negation_apart

    variants = set(one_negation_apart("i can't", keep={"i"}))
    assert {"i can", "i not can't", "i can't not"} == variants  # never a "not" before an answer word
    assert "absolutely not" in set(one_negation_apart("absolutely hard", keep={"absolutely"}))
    assert "not hard" not in set(one_negation_apart("absolutely hard", keep={"absolutely"}))
    assert "it's" in set(one_negation_apart("it's not")) and "absolutely not" in set(one_negation_apart("absolutely"))
    long = " ".join(["word"] * 20) + " never"
    assert set(one_negation_apart(long)) == {" ".join(["word"] * 20)}  # long: only taken out


def saddle_question():  # type: ignore[no-untyped-def]
    """A real conversation waiting on the saddle question (an emergency one)."""
    from voice_triage.clinical import Locale
    from voice_triage.wyoming.server import TriageService

    conversation = TriageService().new_conversation(Locale.UK)
    conversation.start()
    conversation.hear("my back hurts", spoken=True)
    assert conversation.current is not None and conversation.current.question == "saddle"
    return conversation


def test_a_no_read_from_the_open_reply_to_an_emergency_question_is_checked_once() -> None:
    from voice_triage.session.turn import hear_transcript

    conversation = saddle_question()
    check = conversation.questions.phrases.say("check", conversation.locale)
    heard = hear_transcript(conversation, Transcript("", Status.NO_MATCH, 0.0, "p", 1.0, 0.0, "no not at all"))
    assert heard.transcript.from_open and heard.transcript.as_json()["from_open"] is True
    assert heard.understanding is not None and heard.understanding.hedged
    assert conversation.last_outcome == "hedged no: checked once"
    assert conversation.current is not None and conversation.current.text.startswith(check)
    # The check answered with a "no": ruled out, the next question.
    hear_transcript(conversation, Transcript("no", Status.OK, 0.9, "p", 1.0, 0.0))
    assert "saddle_numbness" in conversation.findings().absent
    assert conversation.current is not None and conversation.current.question != "saddle"


def test_a_no_from_the_phrase_list_is_not_checked() -> None:
    from voice_triage.session.turn import hear_transcript

    conversation = saddle_question()
    heard = hear_transcript(conversation, Transcript("no", Status.OK, 0.9, "p", 1.0, 0.0))
    assert not heard.transcript.from_open and "from_open" not in heard.transcript.as_json()
    assert conversation.last_outcome == "no" and "saddle_numbness" in conversation.findings().absent


def test_a_yes_read_from_the_open_reply_to_an_emergency_question_is_read_back() -> None:
    from voice_triage.session.turn import hear_transcript

    conversation = saddle_question()
    hear_transcript(conversation, Transcript("", Status.NO_MATCH, 0.0, "p", 1.0, 0.0, "yes it does"))
    assert conversation.current is not None and conversation.current.question != "saddle"
    # Which one? Each of the two is asked (the most urgent first), and neither is recorded yet.
    assert set(conversation.current.asks_about) <= {"saddle_numbness", "wiping_numbness"}
    assert not {"saddle_numbness", "wiping_numbness"} & set(conversation.findings().present)


def test_a_confident_phrase_as_long_as_an_open_reply_that_answers_nothing_stands() -> None:
    from voice_triage.nlu.matcher import load_matcher
    from voice_triage.session.turn import open_reading

    def heard(text: str, confidence: float, open_text: str) -> tuple[str, str]:
        got = open_reading(Transcript(text, Status.OK, confidence, "p", 1.0, 0.0, open_text), load_matcher(),
                           ("fever",))
        return got.status.value, got.text

    # Moonshine misheard the phrase (espeak-ng's "yes I have" written "u s i com"): the phrase stands.
    assert heard("yes i have", 1.0, "u s i com") == ("ok", "yes i have")
    # A short phrase forced onto a longer sentence, or a phrase heard with little confidence: asked again.
    assert heard("yes", 1.0, "the cat is outside in the garden") == ("no_match", "yes")
    assert heard("yes i have", 0.5, "u s i com") == ("no_match", "yes i have")
