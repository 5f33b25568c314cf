"""Shared test fixtures: paths to the repository, the shared folder and the installed CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
SPEECH_COMMANDS = SHARED / "audio" / "speech-commands"

# A native crash in a CLI the tests start (seen rarely in replay, exit -11) prints the Python stack
# of every thread to that process's stderr, which the failing assertion shows.
os.environ.setdefault("PYTHONFAULTHANDLER", "1")


def cli_command() -> list[str]:
    """The installed console script when present, else the module (same code either way)."""
    script = Path(sys.executable).parent / "voice-triage"
    if script.exists():
        return [str(script)]
    found = shutil.which("voice-triage")
    return [found] if found else [sys.executable, "-m", "voice_triage"]


def run_cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    full_env.pop("VOICE_TRIAGE_LOCALE", None)
    if env:
        full_env.update(env)
    return subprocess.run(
        [*cli_command(), *args], input=stdin, capture_output=True, text=True, env=full_env,
        timeout=timeout, check=False,
    )


@pytest.fixture
def cli():  # type: ignore[no-untyped-def]
    return run_cli
