"""Reports are written owner-only and atomically, never through a link, and say which file failed.

Items 1, 2, 9, 15 and 20 of issue 18: ``--report`` on a link or a device, report folders holding
links, a full disk (a small tmpfs), over-long and empty names. Every case runs the real CLI.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.hostile.util import assert_one_line_error, copy_suite, fill, small_tmpfs
from voice_triage import files
from voice_triage.errors import FileWriteError, ReportError

ANSWERS = "my back aches\n" + "no\n" * 40


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_report_path_that_is_a_symlink_is_refused_and_the_link_kept(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    link = tmp_path / "report.json"
    link.symlink_to(victim)
    proc = run_cli("session", "--text", "--report", str(link), stdin=ANSWERS)
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr)
    assert "symbolic link" in proc.stderr and str(link) in proc.stderr
    assert link.is_symlink() and victim.read_text() == "precious\n"


def test_report_to_dev_stdout_is_refused(tmp_path: Path) -> None:
    # As root this used to replace the machine's /dev/stdout link with a regular file.
    before = os.lstat("/dev/stdout")
    proc = run_cli("session", "--text", "--report", "/dev/stdout", stdin=ANSWERS)
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr)
    after = os.lstat("/dev/stdout")
    assert stat.S_ISLNK(after.st_mode) == stat.S_ISLNK(before.st_mode)
    assert after.st_ino == before.st_ino


def test_report_to_a_device_is_refused() -> None:
    proc = run_cli("session", "--text", "--report", "/dev/null", stdin=ANSWERS)
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_report_is_atomic_owner_only_and_replaces_an_existing_file(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    report.write_text("old")
    report.chmod(0o644)
    proc = run_cli("session", "--text", "--report", str(report), stdin=ANSWERS)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(report.read_text())["format"].startswith("voice-triage-session/")
    assert mode(report) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]  # no temporary file left


def test_report_on_a_full_disk_names_the_file_and_leaves_nothing(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "disk", "64k") as disk:
        fill(disk)
        report = disk / "r.json"
        proc = run_cli("session", "--text", "--report", str(report), stdin=ANSWERS)
        assert proc.returncode == 2, proc.stderr
        assert_one_line_error(proc.stderr)
        assert str(report) in proc.stderr and "No space left" in proc.stderr
        assert "Go to A&E straight away" in proc.stdout  # the session itself ended safely
        assert sorted(p.name for p in disk.iterdir()) == [".filler"]


def test_over_long_and_empty_report_names_are_one_line_errors(tmp_path: Path) -> None:
    long_name = tmp_path / ("a" * 300 + ".json")
    proc = run_cli("session", "--text", "--report", str(long_name), stdin=ANSWERS)
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr)
    assert "too long" in proc.stderr
    proc = run_cli("session", "--text", "--report", "", stdin=ANSWERS)
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr)
    assert "--report" in proc.stderr


def test_replay_of_an_empty_target_is_refused(tmp_path: Path) -> None:
    proc = run_cli("replay", "")
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr)


# --- the module itself ------------------------------------------------------------------------


def test_write_bytes_refuses_links_devices_and_folders(tmp_path: Path) -> None:
    target = tmp_path / "t"
    target.symlink_to(tmp_path / "elsewhere")
    for path in (target, Path("/dev/null"), tmp_path):
        with pytest.raises(FileWriteError) as err:
            files.write_bytes(path, b"x", "report")
        assert str(path) in str(err.value)
        assert isinstance(err.value, ReportError)
    assert not (tmp_path / "elsewhere").exists()


def test_write_bytes_is_0600_under_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        files.write_bytes(tmp_path / "f", b"data")
        folder = files.private_dir(tmp_path / "a" / "b")
    finally:
        os.umask(old)
    assert mode(tmp_path / "f") == 0o600 and (tmp_path / "f").read_bytes() == b"data"
    assert mode(folder) == 0o700


def test_private_dir_tightens_an_existing_folder_and_refuses_a_link(tmp_path: Path) -> None:
    folder = tmp_path / "open"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    files.private_dir(folder)
    assert mode(folder) == 0o700
    link = tmp_path / "link"
    link.symlink_to(folder)
    with pytest.raises(FileWriteError):
        files.private_dir(link)


# --- replay report folders -----------------------------------------------------------------------


@pytest.mark.slow
def test_replay_report_dir_never_writes_through_links(tmp_path: Path) -> None:
    suite = copy_suite(tmp_path / "suite")
    victim = tmp_path / "victim.json"
    victim.write_text("precious\n")
    victim.chmod(0o644)
    reports = tmp_path / "reports"
    reports.mkdir()
    reports.chmod(0o755)
    (reports / "report.json").symlink_to(victim)
    proc = run_cli("replay", str(suite / "self_care.yaml"), "--report-dir", str(reports), timeout=300)
    assert victim.read_text() == "precious\n" and mode(victim) == 0o644
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert_one_line_error(proc.stderr)
    assert "report.json" in proc.stderr and "symbolic link" in proc.stderr
    assert mode(reports) == 0o700  # an existing report folder is made owner-only


@pytest.mark.slow
def test_replay_report_on_a_full_disk_leaves_no_partial_files(tmp_path: Path) -> None:
    suite = copy_suite(tmp_path / "suite")
    with small_tmpfs(tmp_path / "disk", "96k") as disk:
        reports = disk / "reports"
        proc = run_cli("replay", str(suite / "self_care.yaml"), "--report-dir", str(reports), timeout=300)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert_one_line_error(proc.stderr)
        assert "No space left" in proc.stderr and str(reports) in proc.stderr
        left = [p for p in disk.rglob("*") if p.is_file()]
        for path in left:  # whatever was written whole is owner-only; nothing partial or empty
            assert mode(path) == 0o600 and path.stat().st_size > 0, path
            assert not path.name.endswith(".tmp"), path
