"""The Vosk backend at its seam with the ``vosk`` package, run without a Vosk model.

No Vosk model can be downloaded on the machine these tests were written on, so ``vosk.Model`` and
``KaldiRecognizer`` are replaced by a stand-in (put into ``sys.modules["vosk"]``, the name the
backend imports). It records what the backend gives it and answers with result JSON built the way
Vosk 0.3.45 builds it (src/recognizer.cc and src/json.h of vosk-api v0.3.45):

- ``FinalResult()``/``Result()``: ``{"result": [{"conf", "end", "start", "word"}], "text"}`` with
  ``SetWords(True)`` (``result`` only when a word was heard), ``{"text"}`` without it, and
  ``{"alternatives": [{"confidence", "result": [{"end", "start", "word"}], "text"}]}`` when
  ``SetMaxAlternatives`` > 0 (no per-word confidence there);
- ``PartialResult()``: ``{"partial"}``, plus ``partial_result`` (words with ``conf``) after
  ``SetPartialWords(True)``; ``{"text": ""}`` before audio or after the final result;
- objects dumped with sorted keys (a ``std::map``), ``" : "`` separators and floats as ``%f``.

Tests that need the real model are in test_recognition.py and test_session_voice.py: they run when
a model is installed (``voice-triage models download``, or see models/README.md) and skip otherwise.
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
import os
import sys
import types
import wave
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import run_cli
from voice_triage.asr import Status, factory
from voice_triage.asr import vosk as vosk_backend
from voice_triage.asr.vosk import MIN_WORD_CONF, UNK, VoskRecognizer, read_result
from voice_triage.audio.wav import read_wav
from voice_triage.errors import ModelError, RecognizerError

REPO = Path(__file__).resolve().parent.parent
YES_WAV = REPO / "tests" / "wav" / "en-us_m_s175" / "yes.wav"
KALDI_LOAD_ERROR = ("ERROR (VoskAPI:ReadDataFiles():model.cc:248) Failed to read token [started at file "
                    "position 20], expected <Topology>\n")
VOCABULARY = ("<eps>", "!SIL", UNK, "yes", "no", "not", "sure", "i", "have", "pain", "down", "my", "leg", "stop")


# --- the stand-in ----------------------------------------------------------------------------------


def vosk_dump(value: Any, depth: int = 1) -> str:
    """``json::JSON::dump`` of vosk-api v0.3.45 (src/json.h)."""
    pad = "  " * depth
    if isinstance(value, dict):
        body = ",\n".join(f'{pad}"{key}" : {vosk_dump(value[key], depth + 1)}' for key in sorted(value))
        return "{\n" + body + "\n" + pad[2:] + "}"
    if isinstance(value, list):
        return "[" + ", ".join(vosk_dump(v, depth + 1) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:f}"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


EMPTY = '{"text": ""}'  # Recognizer::StoreEmptyReturn without alternatives
EMPTY_ALTERNATIVES = '{"alternatives" : [{"text": "", "confidence" : 1.0}] }'


class FakeVosk(types.ModuleType):
    """The parts of the ``vosk`` 0.3.45 Python module the backend uses, with Vosk's result shapes."""

    def __init__(self, vocabulary: Sequence[str] = VOCABULARY) -> None:
        super().__init__("vosk")
        self.vocabulary = list(vocabulary)
        self.heard: list[tuple[str, float]] = []  # what the next utterance decodes to: (word, conf)
        self.partial_heard: list[tuple[str, float]] | None = None
        self.endpoint = False  # AcceptWaveform's return: an endpoint was detected in the chunk
        self.fail_load = False
        self.fail_waveform = False
        self.log_levels: list[int] = []
        self.models: list[Any] = []
        self.recognizers: list[Any] = []
        self.find_word_calls: list[str] = []
        self.Model = self._model_class()
        self.KaldiRecognizer = self._recognizer_class()
        self.SpkModel = type("SpkModel", (), {})

    def SetLogLevel(self, level: int) -> None:
        self.log_levels.append(level)

    def _model_class(self) -> type:
        fake = self

        class Model:
            def __init__(self, model_path: str | None = None, model_name: str | None = None,
                         lang: str | None = None) -> None:
                if model_path is None or model_name is not None or lang is not None:
                    raise AssertionError("Model(model_name/lang) downloads from the network")
                self.model_path = model_path
                fake.models.append(self)
                if fake.fail_load:  # Kaldi writes its error to fd 2, then vosk_model_new returns NULL
                    os.write(2, KALDI_LOAD_ERROR.encode())
                    raise Exception("Failed to create a model")

            def vosk_model_find_word(self, word: str) -> int:
                fake.find_word_calls.append(word)
                return fake.vocabulary.index(word) if word in fake.vocabulary else -1

        return Model

    def _recognizer_class(self) -> type:
        fake = self

        class KaldiRecognizer:
            def __init__(self, *args: Any) -> None:
                if len(args) == 2:
                    grammar = None
                elif len(args) == 3 and isinstance(args[2], str):
                    grammar = args[2]
                elif len(args) == 3 and isinstance(args[2], fake.SpkModel):
                    raise AssertionError("the backend has no speaker model")
                else:
                    raise TypeError("Unknown arguments")
                assert args[0] in fake.models
                self.args = args
                self.rate = float(args[1])
                self.grammar = grammar
                self.ignored: list[str] = []  # Vosk: "Ignoring word missing in vocabulary"
                if grammar is not None:
                    phrases = json.loads(grammar)
                    assert isinstance(phrases, list) and phrases, "Expecting array of strings"
                    words = {w for p in phrases for w in p.split(" ")}
                    self.ignored = sorted(w for w in words if w not in fake.vocabulary)
                    self.grammar_words = words - set(self.ignored)
                self.words = False
                self.partial_words = False
                self.max_alternatives = 0
                self.audio = b""
                self.state = "initialized"
                fake.recognizers.append(self)

            def SetWords(self, enable: bool) -> None:
                self.words = bool(enable)

            def SetPartialWords(self, enable: bool) -> None:
                self.partial_words = bool(enable)

            def SetMaxAlternatives(self, n: int) -> None:
                self.max_alternatives = int(n)

            def AcceptWaveform(self, data: bytes) -> int:
                assert isinstance(data, bytes) and len(data) % 2 == 0, "16-bit samples"
                if fake.fail_waveform:
                    raise Exception("Failed to process waveform")
                if self.grammar is not None:  # a grammar decoder outputs only grammar words (or [unk])
                    assert {w for w, _ in fake.heard} <= self.grammar_words | {UNK}
                self.audio += data
                self.state = "running"
                return 1 if fake.endpoint else 0

            def _words(self, heard: Sequence[tuple[str, float]]) -> list[dict[str, Any]]:
                step = 0.03 * 13  # Vosk's times are frames x 0.03 s
                return [{"word": w, "start": round(0.3 + i * step, 2), "end": round(0.3 + i * step + 0.36, 2),
                         "conf": float(c)} for i, (w, c) in enumerate(heard)]

            def _result(self) -> str:
                heard = fake.heard
                if not self.audio:
                    return EMPTY_ALTERNATIVES if self.max_alternatives else EMPTY
                text = " ".join(w for w, _ in heard)
                if self.max_alternatives:  # NbestResult: a likelihood, and words without conf
                    words = [{k: v for k, v in w.items() if k != "conf"} for w in self._words(heard)]
                    entry: dict[str, Any] = {"text": text, "confidence": 251.3}
                    if self.words and words:
                        entry["result"] = words
                    return vosk_dump({"alternatives": [entry]})
                obj: dict[str, Any] = {"text": text}  # MbrResult
                if self.words and heard:
                    obj["result"] = self._words(heard)
                return vosk_dump(obj)

            def Result(self) -> str:
                if self.state != "running":
                    return EMPTY
                self.state = "endpoint"
                return self._result()

            def FinalResult(self) -> str:
                if self.state != "running":
                    return EMPTY
                self.state = "finalized"
                return self._result()

            def PartialResult(self) -> str:
                if self.state != "running":
                    return EMPTY
                heard = fake.heard if fake.partial_heard is None else fake.partial_heard
                obj: dict[str, Any] = {"partial": " ".join(w for w, _ in heard)}
                if self.partial_words and heard:
                    obj["partial_result"] = self._words(heard)
                return vosk_dump(obj)

        return KaldiRecognizer


FST_MAGIC = (2125659606).to_bytes(4, "little")


def write_model(folder: Path, fixed_graph: bool = False) -> Path:
    """A model folder laid out like vosk-model-small-en-us-0.15, with the right file headers."""
    files = {
        "am/final.mdl": b"\x00B<TransitionModel> <Topology> " + bytes(64),
        "conf/model.conf": b"--min-active=200\n--max-active=3000\n# comment\n\n--endpoint.silence-phones=1:2\n",
        "conf/mfcc.conf": b"--use-energy=false\n--sample-frequency=16000\n",
        "graph/phones/word_boundary.int": b"1 nonword\n",
        "ivector/final.ie": b"\x00B<IvectorExtractor>",
    }
    if fixed_graph:
        files["graph/HCLG.fst"] = FST_MAGIC + b"const"
    else:
        files |= {"graph/HCLr.fst": FST_MAGIC + b"olabel_lookahead", "graph/Gr.fst": FST_MAGIC + b"vector",
                  "graph/disambig_tid.int": b"5555\n"}
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeVosk]:
    stand_in = FakeVosk()
    monkeypatch.setitem(sys.modules, "vosk", stand_in)
    yield stand_in


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return write_model(tmp_path / "vosk-model-small-en-us-0.15")


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return read_wav(YES_WAV).samples


def silence() -> np.ndarray:
    return np.zeros(16000, dtype=np.int16)


YES_NO = ["Yes", "no", "not sure", "stop"]


# --- the stand-in is Vosk's shape ------------------------------------------------------------------


def test_stand_in_has_the_installed_vosk_interface() -> None:
    """The methods and arguments the stand-in offers are those of the installed vosk (0.3.45)."""
    real = importlib.import_module("vosk")
    assert not isinstance(real, FakeVosk)
    assert list(inspect.signature(real.Model.__init__).parameters) == ["self", "model_path", "model_name", "lang"]
    assert hasattr(real.Model, "vosk_model_find_word")
    for method in ("SetWords", "SetPartialWords", "SetMaxAlternatives", "AcceptWaveform", "Result",
                   "FinalResult", "PartialResult"):
        assert callable(getattr(real.KaldiRecognizer, method)), method
    assert callable(real.SetLogLevel)


def test_stand_in_result_shapes(fake: FakeVosk, model: Path) -> None:
    m = fake.Model(model_path=str(model))
    fake.heard = [("not", 0.93), ("sure", 1.0)]
    rec = fake.KaldiRecognizer(m, 16000.0, json.dumps(["not sure", UNK]))
    assert json.loads(rec.PartialResult()) == {"text": ""}  # before any audio
    rec.SetWords(True)
    rec.AcceptWaveform(b"\0\0" * 1600)
    assert json.loads(rec.PartialResult()) == {"partial": "not sure"}
    raw = rec.FinalResult()
    assert raw.startswith('{\n  "result" : [{\n      "conf" : 0.930000,\n      "end" : ')
    final = json.loads(raw)
    assert set(final) == {"result", "text"} and final["text"] == "not sure"
    assert [set(w) for w in final["result"]] == [{"conf", "end", "start", "word"}] * 2
    assert json.loads(rec.FinalResult()) == {"text": ""}  # already finalized
    assert read_result(raw) == ("not sure", [("not", 0.93), ("sure", 1.0)])

    plain = fake.KaldiRecognizer(m, 16000.0)
    plain.AcceptWaveform(b"\0\0" * 1600)
    assert json.loads(plain.FinalResult()) == {"text": "not sure"}  # no SetWords: no word list

    partial = fake.KaldiRecognizer(m, 16000.0)
    partial.SetPartialWords(True)
    partial.AcceptWaveform(b"\0\0" * 1600)
    assert set(json.loads(partial.PartialResult())) == {"partial", "partial_result"}

    nbest = fake.KaldiRecognizer(m, 16000.0)
    nbest.SetWords(True)
    nbest.SetMaxAlternatives(3)
    nbest.AcceptWaveform(b"\0\0" * 1600)
    alternatives = json.loads(nbest.FinalResult())["alternatives"]
    assert set(alternatives[0]) == {"confidence", "result", "text"}
    assert set(alternatives[0]["result"][0]) == {"end", "start", "word"}


def test_reading_the_n_best_shape_gives_no_confidence(fake: FakeVosk, model: Path) -> None:
    """Were alternatives ever turned on, their words carry no confidence: never accepted."""
    nbest = fake.KaldiRecognizer(fake.Model(model_path=str(model)), 16000.0)
    fake.heard = [("yes", 1.0)]
    nbest.SetWords(True)
    nbest.SetMaxAlternatives(2)
    nbest.AcceptWaveform(b"\0\0" * 1600)
    assert read_result(nbest.FinalResult()) == ("yes", [("yes", 0.0)])
    assert read_result(EMPTY_ALTERNATIVES) == ("", [])
    assert read_result(EMPTY) == ("", [])
    with pytest.raises(RecognizerError, match="not JSON"):
        read_result("garbage")


# --- what the backend hands to Vosk ----------------------------------------------------------------


def test_grammar_is_the_phrases_plus_unk_and_the_audio_goes_in_at_its_rate(
        fake: FakeVosk, model: Path, speech: np.ndarray) -> None:
    fake.heard = [("yes", 0.99)]
    rec = VoskRecognizer(model)
    got = rec.transcribe(speech, YES_NO)
    assert (got.status, got.text, got.recognizer) == (Status.OK, "yes", "vosk")
    assert got.confidence == pytest.approx(0.99)
    assert fake.log_levels == [-1]  # Kaldi's per-utterance log lines stay off the terminal
    assert [m.model_path for m in fake.models] == [str(model)]  # by path: never Model(lang=...)
    (kaldi,) = fake.recognizers
    assert len(kaldi.args) == 3 and json.loads(kaldi.grammar) == ["yes", "no", "not sure", "stop", UNK]
    assert kaldi.ignored == []
    assert kaldi.words and kaldi.max_alternatives == 0
    assert kaldi.rate == 16000.0
    assert np.array_equal(np.frombuffer(kaldi.audio, dtype="<i2"), speech)
    assert len(kaldi.audio) / 2 / kaldi.rate == pytest.approx(got.audio_s)


def test_sample_rate_given_to_vosk_is_the_audios_whatever_the_file_rate(
        fake: FakeVosk, model: Path, speech: np.ndarray, tmp_path: Path) -> None:
    """An 8 kHz recording reaches Vosk as the 16 kHz samples it was converted to, and Vosk is told
    16 kHz: rate x samples = the recording's duration."""
    low = tmp_path / "yes-8k.wav"
    with wave.open(str(low), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(speech[::2].astype("<i2").tobytes())
    audio = read_wav(low)
    fake.heard = [("yes", 1.0)]
    assert VoskRecognizer(model).transcribe(audio.samples, YES_NO).status is Status.OK
    (kaldi,) = fake.recognizers
    assert kaldi.rate == 16000.0
    assert len(kaldi.audio) / 2 / kaldi.rate == pytest.approx(len(speech[::2]) / 8000, abs=0.01)


def test_words_the_model_lacks_are_named_before_a_recognizer_opens(
        fake: FakeVosk, model: Path, speech: np.ndarray) -> None:
    fake.vocabulary.remove("sure")
    rec = VoskRecognizer(model)
    with pytest.raises(ModelError) as err:
        rec.transcribe(speech, ["yes", "not sure", "qwxzzy"])
    assert "lacks grammar words qwxzzy, sure" in str(err.value) and model.name in str(err.value)
    assert fake.recognizers == []  # Vosk would have dropped them silently ("not sure" → "not")
    assert {"yes", "not", "sure", "qwxzzy"} <= set(fake.find_word_calls)
    with pytest.raises(ModelError, match="qwxzzy"):  # also for silence: the check comes first
        rec.transcribe(silence(), ["yes", "qwxzzy"])


def test_vocabulary_is_checked_once_per_phrase_list(fake: FakeVosk, model: Path, speech: np.ndarray) -> None:
    fake.heard = [("no", 1.0)]
    rec = VoskRecognizer(model)
    rec.transcribe(speech, YES_NO)
    calls = len(fake.find_word_calls)
    assert rec.transcribe(speech, YES_NO).text == "no"
    assert len(fake.find_word_calls) == calls and len(fake.recognizers) == 2  # one recognizer per answer


# --- what the backend makes of Vosk's result -------------------------------------------------------


@pytest.mark.parametrize(("heard", "why"), [
    ([(UNK, 1.0)], "[unk]: speech the grammar has no phrase for"),
    ([("yes", 0.6), (UNK, 0.9)], "[unk] beside a phrase"),
    ([("yes", MIN_WORD_CONF - 0.01)], "a word under the confidence threshold"),
    ([("not", 0.99), ("sure", 0.42)], "one word of a phrase under the threshold"),
    ([("yes", 1.0), ("no", 1.0)], "text outside the phrase list (the bigram joins phrases)"),
    ([("sure", 1.0)], "a fragment of a phrase"),
])
def test_no_match(fake: FakeVosk, model: Path, speech: np.ndarray, heard: list[tuple[str, float]], why: str) -> None:
    fake.heard = heard
    got = VoskRecognizer(model).transcribe(speech, YES_NO)
    assert got.status is Status.NO_MATCH, why
    assert got.text == " ".join(w for w, _ in heard)  # what it sounded like, for reports
    assert got.confidence == pytest.approx(min(c for _, c in heard))


def test_threshold_boundary_and_override(fake: FakeVosk, model: Path, speech: np.ndarray) -> None:
    fake.heard = [("not", 1.0), ("sure", MIN_WORD_CONF)]
    assert VoskRecognizer(model).transcribe(speech, YES_NO).status is Status.OK
    assert VoskRecognizer(model, min_conf=0.95).transcribe(speech, YES_NO).status is Status.NO_MATCH


def test_words_without_confidence_are_never_accepted(fake: FakeVosk, model: Path, speech: np.ndarray,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Without SetWords(True) Vosk gives text alone; with no confidence the answer is not taken."""
    fake.heard = [("yes", 1.0)]
    monkeypatch.setattr(fake.KaldiRecognizer, "SetWords", lambda self, enable: None)
    got = VoskRecognizer(model).transcribe(speech, YES_NO)
    assert (got.status, got.text, got.confidence) == (Status.NO_MATCH, "yes", 0.0)


def test_final_result_is_read_not_the_partial_one(fake: FakeVosk, model: Path, speech: np.ndarray) -> None:
    fake.endpoint = True  # Vosk saw an endpoint inside the answer
    fake.partial_heard = [("yes", 1.0)]
    fake.heard = [("no", 0.97)]
    got = VoskRecognizer(model).transcribe(speech, YES_NO)
    assert (got.status, got.text) == (Status.OK, "no")
    assert fake.recognizers[0].state == "finalized"


def test_free_dictation_returns_the_text(fake: FakeVosk, model: Path, speech: np.ndarray) -> None:
    fake.heard = [("i", 0.97), ("have", 0.99), ("pain", 1.0), ("down", 0.91), ("my", 0.95), ("leg", 0.98)]
    got = VoskRecognizer(model).transcribe(speech, None)
    assert (got.status, got.text) == (Status.OK, "i have pain down my leg")
    assert got.confidence == pytest.approx(0.91)
    (kaldi,) = fake.recognizers
    assert len(kaldi.args) == 2 and kaldi.grammar is None and kaldi.rate == 16000.0
    assert fake.find_word_calls == []


def test_free_dictation_keeps_the_unk_and_confidence_rules(fake: FakeVosk, model: Path, speech: np.ndarray) -> None:
    """A doubtful word in dictation could be a "no" the clause reader would act on: asked again."""
    rec = VoskRecognizer(model)
    fake.heard = [("i", 1.0), (UNK, 1.0), ("pain", 1.0)]
    assert rec.transcribe(speech, None).status is Status.NO_MATCH
    fake.heard = [("no", 0.3), ("pain", 1.0)]
    assert rec.transcribe(speech, None).status is Status.NO_MATCH


def test_no_speech_and_nothing_heard_are_no_input(fake: FakeVosk, model: Path, speech: np.ndarray) -> None:
    rec = VoskRecognizer(model)
    fake.heard = [("yes", 1.0)]
    assert rec.transcribe(silence(), YES_NO).status is Status.NO_INPUT
    assert fake.recognizers == []  # the voice gate runs before Vosk
    fake.heard = []
    assert rec.transcribe(speech, YES_NO).status is Status.NO_INPUT


def test_a_decoder_failure_is_a_recognizer_error(fake: FakeVosk, model: Path, speech: np.ndarray) -> None:
    fake.fail_waveform = True
    with pytest.raises(RecognizerError, match="Failed to process waveform"):
        VoskRecognizer(model).transcribe(speech, YES_NO)


def test_a_model_with_a_fixed_graph_is_decoded_without_a_grammar(
        fake: FakeVosk, tmp_path: Path, speech: np.ndarray, caplog: pytest.LogCaptureFixture) -> None:
    """Vosk ignores a grammar for an HCLG model (a warning per answer); the phrase rules still hold."""
    big = write_model(tmp_path / "vosk-model-en-us-0.22", fixed_graph=True)
    with caplog.at_level(logging.WARNING):
        rec = VoskRecognizer(big)
    assert "no runtime graph" in caplog.text and big.name in caplog.text
    fake.heard = [("yes", 1.0)]
    assert rec.transcribe(speech, YES_NO).status is Status.OK
    assert len(fake.recognizers[-1].args) == 2
    fake.heard = [("yes", 1.0), ("pain", 1.0)]
    assert rec.transcribe(speech, YES_NO).status is Status.NO_MATCH
    with pytest.raises(ModelError, match="qwxzzy"):
        rec.transcribe(speech, ["yes", "qwxzzy"])


# --- loading, and --asr auto when loading fails ----------------------------------------------------


def test_a_failed_load_is_one_line_with_kaldis_reason_and_nothing_raw_on_stderr(
        fake: FakeVosk, model: Path, capfd: pytest.CaptureFixture[str]) -> None:
    fake.fail_load = True
    with pytest.raises(ModelError) as err:
        VoskRecognizer(model)
    message = str(err.value)
    assert "\n" not in message and str(model) in message
    assert "Failed to read token [started at file position 20], expected <Topology>" in message
    assert "VoskAPI" not in message
    out, errors = capfd.readouterr()
    assert errors == "" and out == ""
    os.write(2, b"still here\n")  # file descriptor 2 is back where it was
    assert capfd.readouterr().err == "still here\n"


def test_a_failed_load_without_a_capture_file_is_still_one_line(
        fake: FakeVosk, model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_file() -> None:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(vosk_backend, "_capture_file", no_file)
    fake.fail_load = True
    with pytest.raises(ModelError, match=r"could not be loaded \(Failed to create a model\)"):
        VoskRecognizer(model)
    fake.fail_load = False
    assert VoskRecognizer(model).path == model


def test_not_a_model_folder(fake: FakeVosk, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no am/final\.mdl"):
        VoskRecognizer(tmp_path)
    assert fake.models == []


def test_auto_uses_a_found_model(fake: FakeVosk, model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICE_TRIAGE_MODELS", str(model.parent))
    rec = factory.open_recognizer("auto", None, spotter=False, moonshine=False)
    assert isinstance(rec, VoskRecognizer) and rec.path == model


def test_auto_falls_back_to_the_bundled_chain_when_the_found_model_fails_to_load(
        fake: FakeVosk, model: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        capfd: pytest.CaptureFixture[str]) -> None:
    from voice_triage.asr.sphinx import SphinxRecognizer

    monkeypatch.setenv("VOICE_TRIAGE_MODELS", str(model.parent))
    fake.fail_load = True
    with caplog.at_level(logging.WARNING):
        rec = factory.open_recognizer("auto", None, spotter=False, moonshine=False)
    assert isinstance(rec, SphinxRecognizer)
    (record,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    line = record.getMessage()
    assert "\n" not in line and "could not be loaded" in line and "using pocketsphinx instead" in line
    assert "expected <Topology>" in line
    assert "VoskAPI" not in capfd.readouterr().err


@pytest.mark.parametrize("how", ["--asr vosk", "--model PATH"])
def test_a_model_asked_for_by_name_is_an_error_not_a_fallback(
        fake: FakeVosk, model: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    monkeypatch.setenv("VOICE_TRIAGE_MODELS", str(model.parent))
    fake.fail_load = True
    kind, path = ("vosk", None) if how == "--asr vosk" else ("auto", model)
    with pytest.raises(ModelError, match="could not be loaded"):
        factory.open_recognizer(kind, path, spotter=False, moonshine=False)


# --- the real vosk on a folder of random bytes (issue 18, item 13) ---------------------------------


def random_model(folder: Path) -> Path:
    rng = np.random.default_rng(13)
    for rel in ("am/final.mdl", "graph/HCLr.fst", "graph/Gr.fst", "conf/model.conf", "conf/mfcc.conf"):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(rng.bytes(4096))
    return folder


def test_real_vosk_on_random_bytes_is_one_line(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    folder = random_model(tmp_path / "vosk-model-small-en-us-0.15")
    with pytest.raises(ModelError) as err:
        VoskRecognizer(folder)
    assert "could not be loaded" in str(err.value) and "\n" not in str(err.value)
    assert str(err.value).isprintable()
    assert "VoskAPI" not in capfd.readouterr().err


@pytest.mark.slow
def test_cli_auto_falls_back_with_one_warning_line_and_vosk_is_an_error(tmp_path: Path) -> None:
    random_model(tmp_path / "vosk-model-small-en-us-0.15")
    env = {"VOICE_TRIAGE_MODELS": str(tmp_path), "VOICE_TRIAGE_MOONSHINE": "off"}
    auto = run_cli("understand", "--audio", str(YES_WAV), "--json", env=env)
    assert auto.returncode == 0, auto.stderr
    assert json.loads(auto.stdout)["recognizer"] == "pocketsphinx"
    (line,) = auto.stderr.strip().splitlines()
    assert "could not be loaded" in line and "using pocketsphinx instead" in line and "VoskAPI" not in line
    forced = run_cli("understand", "--audio", str(YES_WAV), "--asr", "vosk", env=env)
    assert forced.returncode == 3
    (line,) = forced.stderr.strip().splitlines()
    assert "could not be loaded" in line and "VoskAPI" not in line and "Traceback" not in line
    verify = run_cli("models", "verify", env=env)
    assert verify.returncode == 3 and "OK" not in verify.stdout
    assert "am/final.mdl is not a Kaldi acoustic model" in verify.stderr

