"""Every exit of a session ends with the safety message (and the report when asked for).

Items 3, 4, 14 and 15 of issue 18: a closed stdin, SIGINT/SIGTERM/SIGHUP mid-session, a line
that never ends (``< /dev/zero``), and a standard output that is closed or full. Real processes,
real signals, real file descriptors.
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import cli_command
from tests.hostile.util import assert_one_line_error, cli_env, start_cli, wait_for_ask

SAFETY = "Go to A&E straight away if you get numbness"


def test_closed_stdin_ends_with_the_safety_message_and_the_report(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    proc = subprocess.run([*cli_command(), "session", "--text", "--json", "--report", str(report)],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, env=cli_env(),
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    # Now with fd 0 really closed (the shell's "<&-"): Python then has no sys.stdin at all.
    proc = subprocess.run(["/bin/bash", "-c", 'exec 0<&- "$@"', "_", *cli_command(), "session", "--text", "--json",
                           "--report", str(report)], capture_output=True, text=True, env=cli_env(), timeout=60,
                          check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert events[-1]["event"] == "end"
    assert any(SAFETY in e.get("text", "") + e.get("safety_net", "") for e in events)
    assert json.loads(report.read_text())["ended"] == "end_of_input"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signals_end_with_the_safety_message_and_the_report(sig: signal.Signals, tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    proc = start_cli("session", "--text", "--json", "--report", str(report))
    try:
        assert proc.stdout is not None
        wait_for_ask(proc.stdout, proc.stderr)
        proc.send_signal(sig)
        proc.wait(timeout=30)  # stdin stays open: only the signal can end it
        out = proc.stdout.read()
        err = proc.stderr.read() if proc.stderr else ""
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err
    events = [json.loads(line) for line in out.splitlines()]
    assert events[-1]["event"] == "end"
    assert any(SAFETY in json.dumps(e) for e in events)
    assert json.loads(report.read_text())["ended"] in ("end_of_input", "incomplete")


def test_stdin_from_dev_zero_ends_instead_of_hanging() -> None:
    with open("/dev/zero", "rb") as zero:
        proc = subprocess.run([*cli_command(), "session", "--text"], stdin=zero, capture_output=True,
                              text=True, env=cli_env(), timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert SAFETY in proc.stdout


@pytest.mark.parametrize("args", [("triage", "--findings", "fever"), ("findings", "--json"),
                                  ("session", "--text", "--json")])
def test_stdout_full_is_a_one_line_error(args: tuple[str, ...]) -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run([*cli_command(), *args], stdin=subprocess.DEVNULL, stdout=full,
                              stderr=subprocess.PIPE, text=True, env=cli_env(), timeout=60, check=False)
    assert proc.returncode == 3
    assert_one_line_error(proc.stderr)
    assert "standard output" in proc.stderr and "No space left" in proc.stderr
    if args[0] == "session":  # the closing advice still reaches the person
        assert SAFETY in proc.stderr


@pytest.mark.parametrize("args", [("triage", "--findings", "fever"), ("session", "--text", "--json")])
def test_stdout_closed_is_a_one_line_error(args: tuple[str, ...], tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    extra = ("--report", str(report)) if args[0] == "session" else ()
    proc = subprocess.run(["/bin/bash", "-c", 'exec 1>&- "$@"', "_", *cli_command(), *args, *extra],
                          stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=cli_env(),
                          timeout=60, check=False)
    assert proc.returncode == 3
    assert_one_line_error(proc.stderr)
    assert "standard output is closed" in proc.stderr
    if args[0] == "session":
        assert SAFETY in proc.stderr
        assert json.loads(report.read_text())["ended"] == "end_of_input"


def test_reader_gone_is_quiet() -> None:
    proc = subprocess.run(["/bin/bash", "-c", '"$@" | head -c 1 >/dev/null', "_", *cli_command(),
                           "findings", "--json"], capture_output=True, text=True, env=cli_env(),
                          timeout=60, check=False)
    assert proc.returncode == 0
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
