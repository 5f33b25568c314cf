"""Helpers for the hostile suite: the CLI as a real process, signals, a small tmpfs, an empty HOME."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from tests.conftest import REPO, cli_command

SUITE = REPO / "tests" / "replay"


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("VOICE_TRIAGE_LOCALE", None)
    env.pop("VOICE_TRIAGE_TRACEBACK", None)
    env.update(extra or {})
    return env


def start_cli(*args: str, env: dict[str, str] | None = None, **popen: Any) -> subprocess.Popen[str]:
    """The CLI as a running process (text pipes unless told otherwise)."""
    popen.setdefault("stdin", subprocess.PIPE)
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen([*cli_command(), *args], text=True, env=cli_env(env), **popen)


def wait_for_ask(stream: IO[str], err: IO[str] | None = None) -> dict[str, Any]:
    """Read JSON lines until the first ``ask`` event (the session is then waiting for an answer)."""
    for line in stream:
        event = json.loads(line)
        if event.get("event") == "ask":
            return dict(event)
    raise AssertionError(f"the session never asked a question: {err.read() if err else ''}")


def assert_one_line_error(stderr: str) -> None:
    """An error is one line naming the problem: never a traceback."""
    assert "Traceback" not in stderr, stderr
    assert "Exception ignored" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("voice-triage: error:")]
    assert len(errors) == 1, stderr


def copy_suite(dest: Path) -> Path:
    """The example replay suite (tests/replay) copied into ``dest``."""
    shutil.copytree(SUITE, dest)
    return dest


@contextlib.contextmanager
def small_tmpfs(path: Path, size: str = "64k") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``path`` (a full disk on demand); skips where mounting is not
    allowed (not root, or no mount namespace permission)."""
    path.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None:
        pytest.skip("no mount command: cannot make a small tmpfs for a full disk")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({proc.stderr.strip() or 'not permitted'})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def fill(folder: Path) -> None:
    """Fill the file system holding ``folder`` completely."""
    with contextlib.suppress(OSError), (folder / ".filler").open("wb", buffering=0) as fh:
        while True:
            fh.write(b"\0" * 4096)
