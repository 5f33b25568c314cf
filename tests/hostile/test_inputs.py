"""Hostile inputs that used to hang or give a traceback: a FIFO with no writer as audio (item 14),
a home folder of an unknown user in a path (item 12)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import run_cli
from tests.hostile.util import assert_one_line_error


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
