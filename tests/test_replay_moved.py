"""A report folder that is moved still plays (issue 17): ``replay --copy-audio`` copies the
recordings in; every page links to the index; the index and every session page have a table of
contents. The example suite through the real CLI and real pocketsphinx."""

from __future__ import annotations

import hashlib
import re
import shutil
import stat
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.conftest import REPO, run_cli
from tests.hostile.util import assert_one_line_error

pytestmark = pytest.mark.slow

LINK = re.compile(r'(?:href|src)="([^"#][^"]*)"')


def local_links(page: Path) -> list[str]:
    return [unquote(link.split("#")[0]) for link in LINK.findall(page.read_text()) if "://" not in link]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def replay_into(tmp_path: Path, *extra: str) -> Path:
    suite = tmp_path / "suite"
    shutil.copytree(REPO / "tests" / "replay", suite)
    reports = tmp_path / "reports"
    proc = run_cli("replay", str(suite), "--jobs", "2", "--asr", "pocketsphinx", "--report-dir", str(reports),
                   *extra, timeout=900)
    assert proc.returncode == 0, proc.stderr
    return reports


def test_a_moved_report_with_copied_audio_still_plays_everything(tmp_path: Path) -> None:
    reports = replay_into(tmp_path, "--copy-audio")
    originals = {digest(p) for p in (tmp_path / "suite" / "audio").glob("*.wav")}
    moved = tmp_path / "elsewhere" / "sent-on"
    moved.parent.mkdir()
    reports.rename(moved)
    shutil.rmtree(tmp_path / "suite")  # the recordings' old home is gone
    pages = sorted(moved.glob("*/report.html"))
    assert len(pages) == 5
    for page in [moved / "index.html", *pages]:
        links = local_links(page)
        assert links, page
        for link in links:
            target = (page.parent / link).resolve()
            assert target.is_file(), (page, link)
            assert target.is_relative_to(moved.resolve()), (page, link)  # nothing outside the folder
        assert '<nav aria-label="Contents">' in page.read_text(), page  # a table of contents
    for page in pages:
        assert "../index.html" in local_links(page)  # back to the index
        copies = sorted((page.parent / "recordings").glob("*.wav"))
        assert copies and all(stat.S_IMODE(c.stat().st_mode) == 0o600 for c in copies)
        assert {digest(c) for c in copies} <= originals
        audio = [link for link in local_links(page) if link.startswith("recordings/")]
        assert {Path(link).name for link in audio} == {c.name for c in copies}


def test_without_copy_audio_recordings_stay_where_they_are_and_the_option_needs_a_report(tmp_path: Path) -> None:
    reports = replay_into(tmp_path)
    page = reports / "self_care" / "report.html"
    assert not (page.parent / "recordings").exists()
    assert any(link.startswith("../../suite/audio/") for link in local_links(page))
    proc = run_cli("replay", str(tmp_path / "suite" / "self_care.yaml"), "--copy-audio")
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr)
    assert "--report-dir" in proc.stderr
