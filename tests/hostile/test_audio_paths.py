"""Issue 18 item 19: a manifest's recordings stay inside its folder (a batch: inside the folder it
replays) unless ``--allow-outside-audio``; ``../``, absolute paths and links out are refused before
the file is even looked at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.hostile.util import assert_one_line_error, copy_suite
from voice_triage.errors import ManifestError
from voice_triage.replay.manifest import load_manifest
from voice_triage.replay.run import question_ids

MANIFEST = """\
answers:
  open: {audio: AUDIO, text: "my back hurts"}
default: {audio: AUDIO, text: "no"}
expect: {level: self_care}
"""


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    return copy_suite(tmp_path / "suite")


def _manifest(folder: Path, audio: str, name: str = "m.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(MANIFEST.replace("AUDIO", json.dumps(audio)))
    return path


@pytest.mark.parametrize("audio", ["../outside.wav", "OUTSIDE", "audio/../../outside.wav", "link.wav",
                                   "../../../../../../etc/shadow", "../no-such-file.wav"])
def test_a_recording_outside_the_manifests_folder_is_refused(suite: Path, audio: str) -> None:
    outside = suite.parent / "outside.wav"
    outside.write_bytes((suite / "audio" / "no.wav").read_bytes())
    (suite / "link.wav").symlink_to(outside)
    path = _manifest(suite, audio.replace("OUTSIDE", str(outside)))
    with pytest.raises(ManifestError, match=r"m\.yaml: answers\.open.*is outside .*--allow-outside-audio"):
        load_manifest(path, question_ids())
    if "no-such" not in audio and "shadow" not in audio:
        manifest = load_manifest(path, question_ids(), allow_outside=True)
        assert manifest.answers["open"][0].audio == outside.resolve()


def test_inside_stays_allowed_and_a_batch_root_reaches_up_to_its_folder(suite: Path) -> None:
    inside = _manifest(suite, "audio/no.wav")
    assert load_manifest(inside, question_ids()).answers["open"][0].audio == (suite / "audio" / "no.wav").resolve()
    # synth's layout: OUT/<persona>/<variant>.yaml with recordings in OUT/audio/.
    nested = _manifest(suite / "persona", "../audio/no.wav")
    with pytest.raises(ManifestError, match="is outside"):
        load_manifest(nested, question_ids())
    assert load_manifest(nested, question_ids(), root=suite).answers["open"][0].audio.name == "no.wav"


def test_the_cli_refuses_with_one_line_and_the_option_allows(suite: Path) -> None:
    outside = suite.parent / "elsewhere"
    outside.mkdir()
    (outside / "no.wav").write_bytes((suite / "audio" / "no.wav").read_bytes())
    path = _manifest(suite, str(outside / "no.wav"), "far.yaml")
    proc = run_cli("replay", str(path))
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr)
    assert "is outside" in proc.stderr and "--allow-outside-audio" in proc.stderr
    # In a batch it is that manifest's ERROR row; the option lets it through.
    folder = suite.parent / "batch"
    folder.mkdir()
    path.rename(folder / "far.yaml")
    proc = run_cli("replay", str(folder), "--json", timeout=300)
    assert proc.returncode == 2
    row = json.loads(proc.stdout)["sessions"][0]
    assert row["result"] == "ERROR" and "is outside" in row["error"]


@pytest.mark.slow
def test_the_option_replays_recordings_from_elsewhere(suite: Path) -> None:
    elsewhere = suite.parent / "manifests"
    text = (suite / "self_care.yaml").read_text().replace("audio/", f"{suite}/audio/")
    elsewhere.mkdir()
    (elsewhere / "self_care.yaml").write_text(text)
    assert run_cli("replay", str(elsewhere / "self_care.yaml"), timeout=300).returncode == 2
    proc = run_cli("replay", str(elsewhere / "self_care.yaml"), "--allow-outside-audio", timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run_cli("replay", str(elsewhere), "--allow-outside-audio", "--json", timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
