"""Hostile inputs that used to hang, give a traceback or pass silently: a FIFO with no writer as
audio (item 14), a home folder of an unknown user in a path (item 12), random bytes as a model
(item 13), duplicate keys in a manifest (item 17), a missing path to verify (item 20)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, run_cli
from tests.hostile.util import assert_one_line_error, copy_suite
from tests.test_vosk import random_model
from voice_triage.asr import models

YES = REPO / "tests" / "wav" / "en-gb_m_s150" / "yes.wav"


def test_a_fifo_with_no_writer_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "answer.wav"
    os.mkfifo(fifo)
    proc = run_cli("understand", "--audio", str(fifo), "--json", timeout=30)
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr)
    assert "not a regular file" in proc.stderr


def test_a_folder_or_device_as_audio_is_one_line(tmp_path: Path) -> None:
    for target in (str(tmp_path), "/dev/zero"):
        proc = run_cli("understand", "--audio", target, timeout=30)
        assert proc.returncode == 2, proc.stderr
        assert_one_line_error(proc.stderr)


def test_unknown_users_home_in_the_models_folder_is_one_line() -> None:
    proc = run_cli("models", "list", env={"VOICE_TRIAGE_MODELS": "~nosuchuser-voice-triage/x"})
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr)
    assert "~nosuchuser-voice-triage" in proc.stderr


def test_unknown_users_home_as_a_model_is_one_line(tmp_path: Path) -> None:
    """Item 12: ``--model ~nosuchuser`` and ``models verify ~nosuchuser/m`` name the user, exit 2."""
    manifest = copy_suite(tmp_path / "suite") / "self_care.yaml"
    for args in (("replay", str(manifest), "--model", "~nosuchuser-voice-triage"),
                 ("replay", str(manifest.parent), "--model", "~nosuchuser-voice-triage/m"),
                 ("models", "verify", "~nosuchuser-voice-triage/m"),
                 ("understand", "--audio", str(manifest.parent / "audio" / "no-i-havent.wav"), "--asr", "vosk",
                  "--model", "~nosuchuser-voice-triage/m")):
        proc = run_cli(*args, timeout=120)
        assert proc.returncode == 2, (args, proc.stderr)
        assert_one_line_error(proc.stderr)
        assert "~nosuchuser-voice-triage is not a user's home folder" in proc.stderr
    assert not (tmp_path / "suite" / "reports").exists()


def test_models_verify_of_a_missing_path_names_that_path(tmp_path: Path) -> None:
    """Item 20: the path that does not exist, not "<its last part> is not installed in <its parent>"."""
    missing = tmp_path / "no" / "such-model"
    proc = run_cli("models", "verify", str(missing))
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr)
    assert f"{missing}: no such file or folder" in proc.stderr


@pytest.mark.slow
def test_random_bytes_as_a_model_are_not_ok_and_auto_falls_back(tmp_path: Path) -> None:
    """Item 13: ``models verify`` refuses random bytes placed as a model; ``--asr auto`` then uses
    pocketsphinx with one warning line (no raw Kaldi line); ``--asr vosk`` is one error line."""
    random_model(tmp_path / models.DEFAULT_MODEL)
    env = {"VOICE_TRIAGE_MODELS": str(tmp_path), "VOICE_TRIAGE_MOONSHINE": "off"}
    verify = run_cli("models", "verify", env=env)
    assert verify.returncode == 3 and "OK" not in verify.stdout
    assert_one_line_error(verify.stderr)
    auto = run_cli("understand", "--audio", str(YES), "--json", env=env, timeout=120)
    assert auto.returncode == 0, auto.stderr
    assert json.loads(auto.stdout)["recognizer"] == "pocketsphinx"
    (line,) = auto.stderr.strip().splitlines()
    assert "using pocketsphinx instead" in line and "VoskAPI" not in line and "LOG" not in line
    forced = run_cli("understand", "--audio", str(YES), "--asr", "vosk", env=env, timeout=120)
    assert forced.returncode == 3
    assert_one_line_error(forced.stderr)
    assert "VoskAPI" not in forced.stderr


@pytest.mark.parametrize("kind", ["yaml", "json"])
def test_duplicate_keys_in_a_manifest_are_refused(kind: str, tmp_path: Path) -> None:
    """Item 17: the last of two keys no longer wins silently, in JSON as in YAML."""
    suite = copy_suite(tmp_path / "suite")
    doc = yaml.safe_load((suite / "self_care.yaml").read_text())
    text = (yaml.safe_dump(doc) + "locale: us\n" if kind == "yaml"
            else json.dumps(doc)[:-1] + ', "locale": "us"}')
    dupe = suite / f"dupe.{kind}"
    dupe.write_text(text)
    proc = run_cli("replay", str(dupe), timeout=120)
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr)
    assert "duplicate key 'locale'" in proc.stderr
