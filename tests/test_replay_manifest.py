"""Replay manifests are loaded strictly, and the replay measures compute what they claim."""

from __future__ import annotations

import json
import math
import wave
from pathlib import Path

import pytest

from voice_triage.errors import ManifestError
from voice_triage.replay.manifest import find_manifests, load_manifest
from voice_triage.replay.metrics import corpus_wer, percentile, word_error_rate
from voice_triage.replay.run import question_ids


def _wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\x00\x00" * 1600)
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "audio").mkdir()
    for name in ("yes", "no", "open"):
        _wav(tmp_path / "audio" / f"{name}.wav")
    return tmp_path


GOOD = """\
locale: us
answers:
  open: {audio: audio/open.wav, text: "my back hurts"}
  saddle: [audio/no.wav, {audio: audio/yes.wav, text: "yes"}]
  confirm_saddle_numbness: audio/yes.wav
default: {audio: audio/no.wav, text: "no"}
expect:
  level: emergency
  present: [saddle_numbness]
  unsure: urinary_retention
"""


def _write(folder: Path, text: str, name: str = "m.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_manifest_resolves_paths_relative_to_itself(folder: Path) -> None:
    manifest = load_manifest(_write(folder, GOOD), question_ids())
    assert manifest.locale.value == "us"
    assert manifest.expect.level.value == "emergency"
    assert manifest.expect.unsure == ("urinary_retention",)
    assert manifest.answers["open"][0].audio == (folder / "audio" / "open.wav").resolve()
    assert manifest.answers["open"][0].text == "my back hurts"
    # Re-asks walk the list, then keep the last; unlisted questions get the default.
    assert manifest.recording_for("saddle", 0).audio.name == "no.wav"
    assert manifest.recording_for("saddle", 1).text == "yes"
    assert manifest.recording_for("saddle", 5).text == "yes"
    assert manifest.recording_for("bladder", 0).text == "no"


def test_json_manifest_is_the_same_format(folder: Path) -> None:
    doc = {"answers": {"open": "audio/open.wav"}, "default": "audio/no.wav", "expect": {"level": "self_care"}}
    manifest = load_manifest(_write(folder, json.dumps(doc), "m.json"), question_ids())
    assert manifest.locale.value == "uk"
    assert manifest.recording_for("duration", 0).audio.name == "no.wav"


@pytest.mark.parametrize(
    ("edit", "needles"),
    [
        (lambda t: t.replace("locale: us", "locale: us\nspeed: 2"), ["m.yaml", "speed"]),
        (lambda t: t.replace("  present:", "  prsent:"), ["m.yaml", "prsent"]),
        (lambda t: t.replace("audio/open.wav", "audio/missing.wav"), ["m.yaml", "answers.open", "missing.wav"]),
        (lambda t: t.replace("  saddle:", "  sadle:"), ["m.yaml", "sadle", "unknown question id"]),
        (lambda t: t.replace("level: emergency", "level: red"), ["m.yaml", "expect.level", "'red'"]),
        (lambda t: t.replace("[saddle_numbness]", "[saddle_numb]"), ["m.yaml", "saddle_numb"]),
        (lambda t: t.replace("locale: us", "locale: fr"), ["m.yaml", "locale", "'fr'"]),
        (lambda t: t.replace('text: "yes"', "text: 3, extra: 1"), ["m.yaml", "extra"]),
        (lambda t: t.replace("expect:\n  level: emergency\n", "expect:\n"), ["m.yaml", "level"]),
        (lambda t: t + "  present: [x]\n", ["m.yaml", "duplicate"]),
    ],
)
def test_bad_manifest_names_file_and_key(folder: Path, edit, needles: list[str]) -> None:  # type: ignore[no-untyped-def]
    path = _write(folder, edit(GOOD))
    with pytest.raises(ManifestError) as info:
        load_manifest(path, question_ids())
    for needle in needles:
        assert needle in str(info.value)


def test_missing_manifest_and_missing_default(folder: Path) -> None:
    with pytest.raises(ManifestError, match="not found"):
        load_manifest(folder / "nope.yaml", question_ids())
    manifest = load_manifest(_write(folder, GOOD.replace('default: {audio: audio/no.wav, text: "no"}\n', "")),
                             question_ids())
    with pytest.raises(ManifestError, match="no recording for question 'bladder'"):
        manifest.recording_for("bladder", 0)


def test_find_manifests_is_recursive_and_rejects_empty(folder: Path) -> None:
    (folder / "sub").mkdir()
    _write(folder, GOOD, "b.yaml")
    _write(folder / "sub", GOOD, "a.json")
    assert [p.name for p in find_manifests(folder)] == ["b.yaml", "a.json"]
    with pytest.raises(ManifestError, match="no manifests"):
        find_manifests(folder / "audio")


def test_word_error_rate() -> None:
    assert word_error_rate("yes I have", "yes i have") == 0.0
    assert word_error_rate("yes I have", "yes i") == pytest.approx(1 / 3)
    assert word_error_rate("no", "no no no") == pytest.approx(2.0)
    assert word_error_rate("I can't pee", "i cant pee") == pytest.approx(1 / 3)
    assert word_error_rate("", "") == 0.0
    # Corpus WER weights by reference length, unlike a mean of per-utterance rates.
    assert corpus_wer([("a b c d", "a b c d"), ("x", "y")]) == pytest.approx(1 / 5)
    assert corpus_wer([]) is None


def test_percentile_is_nearest_rank() -> None:
    values = [0.5, 0.1, 0.4, 0.2, 0.3]
    assert percentile(values, 50) == 0.3
    assert percentile(values, 90) == 0.5
    assert percentile([0.7], 95) == 0.7
    assert math.isnan(percentile([], 50))


# --- prompts: the voice and rate the person would use (issue 17) -------------------------------------


def test_prompts_voice_and_rate_are_read_and_checked(folder: Path) -> None:
    path = folder / "s.yaml"
    path.write_text(GOOD + "prompts: {voice: en-gb-scotland, rate: 110}\n")
    manifest = load_manifest(path, question_ids())
    assert (manifest.prompt_voice, manifest.prompt_rate) == ("en-gb-scotland", 110)
    path.write_text(GOOD)
    assert load_manifest(path, question_ids()).prompt_rate is None
    for bad, needle in (("{rate: 20}", "prompts.rate"), ("{rate: fast}", "prompts.rate"),
                        ("{rate: true}", "prompts.rate"), ("{voice: '-v x'}", "prompts.voice"),
                        ("{speed: 100}", "speed"), ("slow", "prompts")):
        path.write_text(GOOD + f"prompts: {bad}\n")
        with pytest.raises(ManifestError, match=needle):
            load_manifest(path, question_ids())


def test_a_replay_speaks_its_prompts_at_the_manifests_rate(tmp_path: Path) -> None:
    """Real espeak-ng: the same suite manifest with a slow rate makes longer prompts, and an unknown
    voice is the manifest's one-line error naming the key."""
    import shutil

    from tests.conftest import REPO, run_cli
    from tests.hostile.util import assert_one_line_error

    suite = tmp_path / "suite"
    shutil.copytree(REPO / "tests" / "replay", suite)
    base = (suite / "self_care.yaml").read_text()
    (suite / "slow.yaml").write_text(base + "prompts: {rate: 100, voice: en-gb}\n")
    (suite / "bad_voice.yaml").write_text(base + "prompts: {voice: en-zz}\n")
    heard = {}
    for name in ("self_care", "slow"):
        proc = run_cli("replay", str(suite / f"{name}.yaml"), "--json", "--asr", "pocketsphinx", timeout=600)
        assert proc.returncode == 0, proc.stderr
        heard[name] = json.loads(proc.stdout)
    first = [t["prompt"]["audio_s"] for t in heard["self_care"]["turns"]]
    slow = [t["prompt"]["audio_s"] for t in heard["slow"]["turns"]]
    texts = {name: [t["prompt"]["text"] for t in data["turns"]] for name, data in heard.items()}
    assert texts["slow"] == texts["self_care"]  # the same conversation, only spoken slower
    assert sum(slow) > 1.3 * sum(first)
    assert heard["slow"]["prompts"] == {"voice": "en-gb", "rate": 100}
    proc = run_cli("replay", str(suite / "bad_voice.yaml"), timeout=600)
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr)
    assert "prompts.voice" in proc.stderr and "en-zz" in proc.stderr
