"""Replay batches survive hostile manifests, signals and full disks (issue 18 items 5, 6, 9, 10, 17).

One bad manifest is one ERROR row and the batch goes on; a signal stops the workers, writes the
summary of what finished and marks the rest not run; a report folder inside the suite is never read
back as manifests; a failed write names the file and leaves nothing partial or empty.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.hostile.util import assert_one_line_error, copy_suite, fill, small_tmpfs, start_cli

pytestmark = pytest.mark.slow

GOOD = "self_care.yaml"


def hostile_suite(root: Path) -> Path:
    """The example suite's audio and one good manifest, plus manifests built to break the loader."""
    suite = copy_suite(root / "suite")
    for path in suite.glob("*.*"):
        if path.name not in (GOOD,):
            path.unlink()
    good = (suite / GOOD).read_text()
    (suite / "deep_json.json").write_text("[" * 100_000 + "]" * 100_000)
    (suite / "deep_yaml.yaml").write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    (suite / "nul.yaml").write_text(good.replace("audio/no.wav", '"audio/no\\0.wav"'))
    (suite / "long.yaml").write_text(good.replace("audio/no.wav", "audio/" + "x" * 100_000 + ".wav"))
    loop = suite / "loop.wav"
    os.symlink("loop.wav", loop)
    (suite / "loop.yaml").write_text(good.replace("audio/no.wav", "loop.wav"))
    doc = {"answers": {}, "default": {"audio": "audio/no.wav"}, "expect": {"level": "self_care"},
           "locale": "uk"}
    (suite / "dupe.json").write_text(json.dumps(doc)[:-1] + ', "locale": "us"}')
    return suite


def test_bad_manifests_are_error_rows_and_the_batch_goes_on(tmp_path: Path) -> None:
    suite = hostile_suite(tmp_path)
    reports = tmp_path / "reports"
    proc = run_cli("replay", str(suite), "--json", "--report-dir", str(reports), timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, proc.stderr
    summary = json.loads(proc.stdout)
    results = {row["name"]: row["result"] for row in summary["sessions"]}
    assert results == {"self_care": "PASS", "deep_json": "ERROR", "deep_yaml": "ERROR", "dupe": "ERROR",
                       "long": "ERROR", "loop": "ERROR", "nul": "ERROR"}, summary["sessions"]
    errors = {row["name"]: row["error"] for row in summary["sessions"] if row["result"] == "ERROR"}
    assert "duplicate key 'locale'" in errors["dupe"]
    assert "nest" in errors["deep_json"] and "nest" in errors["deep_yaml"]
    # A manifest that failed leaves no empty report folder behind.
    assert sorted(p.name for p in reports.iterdir()) == ["index.html", "self_care", "summary.json"]


def test_a_report_folder_inside_the_suite_is_not_read_back(tmp_path: Path) -> None:
    suite = copy_suite(tmp_path / "suite")
    for path in suite.glob("*.*"):
        if path.name != GOOD:
            path.unlink()
    for _ in range(2):
        proc = run_cli("replay", str(suite), "--json", "--report-dir", str(suite / "out"), timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert json.loads(proc.stdout)["totals"]["manifests"] == 1


def test_a_full_disk_names_the_summary_and_leaves_nothing_partial(tmp_path: Path) -> None:
    suite = copy_suite(tmp_path / "suite")
    for path in suite.glob("*.*"):
        if path.name != GOOD:
            path.unlink()
    with small_tmpfs(tmp_path / "disk", "64k") as disk:
        reports = disk / "reports"
        reports.mkdir()
        fill(disk)
        proc = run_cli("replay", str(suite), "--json", "--report-dir", str(reports), timeout=600)
        assert "Traceback" not in proc.stderr
        assert proc.returncode == 2, proc.stderr
        assert_one_line_error(proc.stderr.replace("replay [", "progress ["))
        assert "summary.json" in proc.stderr and "No space left" in proc.stderr
        assert list(reports.iterdir()) == []  # no 0-byte summary, no empty session folder


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    return [int(line) for line in out.split()]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_workers_and_keeps_the_summary(sig: signal.Signals, tmp_path: Path) -> None:
    suite = copy_suite(tmp_path / "suite")
    good = (suite / GOOD).read_text()
    for path in suite.glob("*.*"):
        path.unlink()
    for index in range(8):
        (suite / f"m{index}.yaml").write_text(good)
    reports = tmp_path / "reports"
    proc = start_cli("replay", str(suite), "--jobs", "2", "--json", "--report-dir", str(reports),
                     stdin=subprocess.DEVNULL)
    try:
        assert proc.stderr is not None and proc.stdout is not None
        line = proc.stderr.readline()  # the first manifest finished: workers are busy with the next
        assert line.startswith("replay [1/8]"), line
        workers = _children(proc.pid)
        assert workers, "no worker processes"
        proc.send_signal(sig)
        started = time.monotonic()
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - started
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err
    assert took < 30
    summary = json.loads(out)
    assert summary["interrupted"] is True
    totals = summary["totals"]
    errors = [row.get("error") for row in summary["sessions"] if row["result"] == "ERROR"]
    assert totals["not_run"] >= 1 and totals["passed"] + totals["failed"] >= 1, errors or summary["sessions"]
    assert json.loads((reports / "summary.json").read_text())["totals"]["not_run"] >= 1
    time.sleep(0.5)
    alive = [pid for pid in workers if Path(f"/proc/{pid}").exists()
             and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()]
    assert alive == [], "workers still running after the batch stopped"
