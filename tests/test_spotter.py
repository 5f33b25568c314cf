"""The answer spotter: strict data, the rescue/veto rules at their seam, and the real classifier on
real audio (espeak-ng WAVs, and real people's clips when ../shared is present)."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO, SPEECH_COMMANDS
from voice_triage import content
from voice_triage.asr import Status, Transcript, constraint
from voice_triage.asr import spotter as asr_spotter
from voice_triage.asr.spotter import SpottedRecognizer, Spotter, fit_length, load_classes
from voice_triage.audio.wav import read_wav
from voice_triage.errors import ContentError
from voice_triage.nlu.grammar import load_grammar

WAV_DIR = REPO / "tests" / "wav"


@functools.cache
def spotter() -> Spotter:
    return Spotter()


class Heard:
    """A backend at the seam: answers with a fixed transcript (the classifier is the real one)."""

    name = "fixed"

    def __init__(self, status: Status, text: str = "") -> None:
        self.transcript = Transcript(text, status, 1.0, self.name, 1.0, 0.0)

    def transcribe(self, samples: object, phrases: object) -> Transcript:
        return self.transcript


def allowed() -> tuple[str, ...]:
    phrases = constraint(load_grammar().phrases_for("yes_no", ()))
    assert phrases is not None
    return phrases


def combine(status: Status, text: str, **scores: float) -> Transcript:
    rec = SpottedRecognizer(Heard(status, text), spotter(), rescue=0.0, veto=-20.0)
    full = {"yes": -30.0, "no": -30.0, "stop": -30.0, "unsure": -30.0, **scores}
    return rec.combine(Heard(status, text).transcript, full, allowed())


# --- rules at the seam -------------------------------------------------------------------------------


def test_rescue_turns_a_missed_answer_into_that_answer() -> None:
    got = combine(Status.NO_MATCH, "use", yes=3.0)
    assert (got.status, got.text) == (Status.OK, "yes")
    assert 0.5 < got.confidence < 1.0


def test_no_rescue_below_the_threshold_or_for_an_answer_the_question_does_not_take() -> None:
    assert combine(Status.NO_MATCH, "use", yes=-1.0).status is Status.NO_MATCH
    rec = SpottedRecognizer(Heard(Status.NO_MATCH), spotter())
    only_stop = rec.combine(Heard(Status.NO_MATCH).transcript, {"yes": 9.0, "no": -30.0, "stop": -30.0,
                                                               "unsure": -30.0}, ("stop", "help"))
    assert only_stop.status is Status.NO_MATCH


def test_stop_is_never_rescued() -> None:
    """A guessed stop would end the conversation: only the backend may hear stop."""
    assert combine(Status.NO_MATCH, "air", stop=9.0).status is Status.NO_MATCH


def test_veto_withholds_an_answer_the_classifier_finds_very_unlikely() -> None:
    assert combine(Status.OK, "no", no=-25.0).status is Status.NO_MATCH
    assert combine(Status.OK, "no i don't", no=-5.0).status is Status.OK


def test_no_veto_for_answers_longer_than_the_classifier_judges() -> None:
    rec = SpottedRecognizer(Heard(Status.OK, "no i don't"), spotter(), rescue=0.0, veto=-8.0)
    scores = {"yes": -30.0, "no": -25.0, "stop": -30.0, "unsure": -30.0}
    heard = Heard(Status.OK, "no i don't").transcript
    assert rec.combine(heard, scores, allowed(), judged=True).status is Status.NO_MATCH
    assert rec.combine(heard, scores, allowed(), judged=False).text == "no i don't"


def test_confident_contradiction_withholds_but_never_swaps() -> None:
    got = combine(Status.OK, "yes", yes=-5.0, no=4.0)
    assert got.status is Status.NO_MATCH and got.text == ""
    assert combine(Status.OK, "no", no=-5.0, stop=9.0).status is Status.NO_MATCH
    # A weak contradiction (below the rescue threshold) does not withhold.
    assert combine(Status.OK, "yes", yes=-5.0, no=-2.0).text == "yes"


def test_non_answers_and_no_input_pass_through() -> None:
    assert combine(Status.OK, "repeat that", yes=9.0).text == "repeat that"
    assert combine(Status.NO_INPUT, "", yes=9.0).status is Status.NO_INPUT


def test_free_dictation_is_left_alone() -> None:
    rec = SpottedRecognizer(Heard(Status.OK, "my back hurts"), spotter())
    assert rec.transcribe(np.zeros(16000, np.int16), None).text == "my back hurts"


# --- strict data -------------------------------------------------------------------------------------


@pytest.fixture
def data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    data = tmp_path / "grammars"
    data.mkdir()
    for path in content.data_dir().glob("*.yaml"):
        (data / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(content, "data_dir", lambda: data)
    content.load_data_file.cache_clear()
    load_classes.cache_clear()
    yield data
    content.load_data_file.cache_clear()
    load_classes.cache_clear()


def test_unknown_key_in_spotter_yaml_names_file_and_key(data_copy: Path) -> None:
    path = data_copy / "spotter.yaml"
    path.write_text(path.read_text().replace('    answer: "stop"', '    answer: "stop"\n    weight: 2'))
    with pytest.raises(ContentError, match=r"spotter.yaml: classes.stop.weight.*unknown key"):
        load_classes()


def test_weights_for_other_classes_are_refused(tmp_path: Path) -> None:
    with np.load(asr_spotter.WEIGHTS) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["labels"] = np.array(["yes", "no", "other", "noise"])
    bad = tmp_path / "old.npz"
    np.savez(bad, **arrays)
    with pytest.raises(ContentError, match=r"labels.*retrain"):
        Spotter(bad)


def test_an_ensemble_of_identical_networks_scores_like_one(tmp_path: Path) -> None:
    with np.load(asr_spotter.WEIGHTS) as data:
        arrays = {k: data[k] for k in data.files}
    keys = ("mu", "sd", "w1", "b1", "w2", "b2")
    single = {**arrays, **{k: arrays[k][0] for k in keys}}  # the first network, in the 2-D form
    pair = {**arrays, **{k: np.stack([single[k], single[k]]) for k in keys}}
    np.savez(tmp_path / "single.npz", **single)
    np.savez(tmp_path / "pair.npz", **pair)
    clip = read_wav(next(WAV_DIR.glob("*/yes.wav"))).samples
    one = Spotter(tmp_path / "single.npz").probabilities(clip)
    assert np.allclose(Spotter(tmp_path / "pair.npz").probabilities(clip), one)
    assert not np.allclose(spotter().probabilities(clip), one)  # the shipped pair differs from its first


def test_shipped_weights_match_the_classes() -> None:
    assert [c.name for c in spotter().classes] == [c.name for c in load_classes()]


def test_fit_length_pads_short_audio_and_keeps_long_audio() -> None:
    short = np.full(8000, 100, np.int16)
    padded = fit_length(short)
    assert len(padded) == int(asr_spotter.CLIP_S * 16000)
    assert np.array_equal(padded[len(padded) // 2 - 4000: len(padded) // 2 + 4000], short)
    long = np.ones(40000, np.int16)
    assert fit_length(long) is long


# --- the real classifier on real audio --------------------------------------------------------------


@pytest.mark.slow
def test_classifier_hears_espeak_yes_and_no_apart() -> None:
    """Every clean espeak "yes" and "no" scores higher for its own class than for the opposite."""
    wrong = []
    for label in ("yes", "no"):
        for wav in sorted(WAV_DIR.glob(f"*/{label}.wav")):
            scores = spotter().scores(read_wav(wav).samples)
            other = "no" if label == "yes" else "yes"
            if scores[label] <= scores[other]:
                wrong.append((wav, scores))
    assert len(list(WAV_DIR.glob("*/yes.wav"))) >= 4
    assert not wrong


@pytest.mark.slow
def test_spotter_rescues_real_answers_pocketsphinx_missed() -> None:
    """On real people's yes/no the spotter answers more clips right than pocketsphinx alone and
    never swaps: the feature works on voices it was not trained on."""
    if not SPEECH_COMMANDS.is_dir():
        pytest.skip(f"{SPEECH_COMMANDS} is absent (the shared human recordings live outside the repository)")
    from voice_triage.asr.sphinx import SphinxRecognizer

    backend = SphinxRecognizer()
    spotted = SpottedRecognizer(backend, spotter())
    phrases = load_grammar().phrases_for("yes_no", ())
    alone = together = swaps = 0
    for label in ("yes", "no"):
        for wav in sorted((SPEECH_COMMANDS / label).glob("*.wav"))[::2]:
            samples = read_wav(wav).samples
            a = backend.transcribe(samples, phrases)
            b = spotted.transcribe(samples, phrases)
            alone += a.status is Status.OK and a.text.split()[0] in load_first_words(label)
            together += b.status is Status.OK and b.text.split()[0] in load_first_words(label)
            swaps += b.status is Status.OK and b.text.split()[0] in load_first_words("no" if label == "yes" else "yes")
    assert together > alone
    assert swaps == 0


def load_first_words(name: str) -> set[str]:
    return {p.split()[0] for c in load_classes() if c.name == name for p in c.phrases}
