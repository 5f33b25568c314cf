"""Replay of recorded sessions: the loop, the reports and their accessibility.

The example suite's recordings are made with espeak-ng by scripts/make_replay_suite.py into a
temporary copy. Most tests here use a recognizer that reads back each recording's reference text (a
seam fake: it isolates the replay loop, the conversation and the reports from recognition quality);
tests/test_replay_cli.py replays the same suite through the real recognizer and the CLI.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import stat
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO
from voice_triage.asr import Status, Transcript
from voice_triage.audio.wav import read_wav
from voice_triage.replay import run as replay
from voice_triage.replay.batch import Progress, replay_batch, summarize
from voice_triage.replay.html import session_json, write_batch_report, write_session_report
from voice_triage.replay.manifest import find_manifests

A11Y = REPO / "tests" / "a11y"


def make_suite(out: Path) -> Path:
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_replay_suite.py"), "--out", str(out)],
                   check=True, capture_output=True, cwd=REPO)
    return out


@pytest.fixture(scope="session")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_suite(tmp_path_factory.mktemp("suite"))


class ReadBack:
    """Seam fake: "recognizes" a recording as its reference text; a recording without one is silence."""

    name = "read-back"

    def __init__(self, folder: Path) -> None:
        self.texts: dict[str, str] = {}
        for path in find_manifests(folder):
            manifest = replay.load(path)
            for recording in [r for rs in manifest.answers.values() for r in rs] + list(manifest.default):
                self.texts[self._key(read_wav(recording.audio).samples)] = recording.text or ""

    @staticmethod
    def _key(samples: np.ndarray) -> str:  # type: ignore[type-arg]
        return hashlib.sha1(samples.tobytes()).hexdigest()

    def transcribe(self, samples: np.ndarray, phrases: Sequence[str] | None) -> Transcript:  # type: ignore[type-arg]
        # Yes/no questions are constrained to their phrase list; the open question is free dictation (None).
        assert phrases is None or len(phrases) > 0, "a yes/no question must constrain recognition"
        text = self.texts[self._key(samples)]
        status = Status.OK if text else Status.NO_INPUT
        return Transcript(text.lower(), status, 1.0 if text else 0.0, self.name, len(samples) / 16000, 0.001)


@pytest.fixture
def fake_asr(suite: Path, monkeypatch: pytest.MonkeyPatch) -> ReadBack:
    fake = ReadBack(suite)
    monkeypatch.setattr(replay, "_recognizer", lambda kind, model: fake)
    return fake


def test_suite_passes_with_perfect_recognition(suite: Path, fake_asr: ReadBack) -> None:
    for path in find_manifests(suite):
        result = replay.replay_file(path)
        assert result.passed, (path.name, result.mismatches)
        assert result.turns and all(turn.prompt.text for turn in result.turns)
        assert result.turns[0].question == "open"
        assert all(turn.wer in (None, 0.0) for turn in result.turns)
        assert all(turn.correct in (None, True) for turn in result.turns)


def test_reprompts_walk_the_recording_list(suite: Path, fake_asr: ReadBack) -> None:
    result = replay.replay_file(suite / "self_care.yaml")
    duration = [turn for turn in result.turns if turn.question == "duration"]
    assert [turn.status for turn in duration] == ["no_input", "ok"]
    assert "did not hear" in duration[1].prompt.text.lower()  # the reprompt after silence
    unsure = replay.replay_file(suite / "unsure_bladder_urgent.yaml")
    bladder = [turn for turn in unsure.turns if turn.question == "bladder"]
    assert [turn.reference for turn in bladder] == ["I'm not sure", "I don't know"]
    assert unsure.outcome.level == "urgent" and "urinary_retention" in unsure.outcome.unsure


def test_wrong_expectation_fails_with_the_reason(suite: Path, fake_asr: ReadBack, tmp_path: Path) -> None:
    text = (suite / "saddle_emergency.yaml").read_text().replace("level: emergency", "level: self_care")
    (suite / "wrong").mkdir(exist_ok=True)
    # Recordings stay inside a manifest's folder (unless --allow-outside-audio): this one gets its own.
    shutil.copytree(suite / "audio", suite / "wrong" / "audio", dirs_exist_ok=True)
    path = suite / "wrong" / "saddle_as_self_care.yaml"
    path.write_text(text)
    result = replay.replay_file(path)
    assert not result.passed
    assert result.mismatches == ("level: expected self_care, got emergency",)
    path.unlink()


def test_report_files_are_private_and_complete(suite: Path, fake_asr: ReadBack, tmp_path: Path) -> None:
    folder = tmp_path / "reports" / "one"
    audio = folder / "audio"
    folder.mkdir(parents=True)
    folder.chmod(0o700)
    audio.mkdir(mode=0o700)
    result = replay.replay_file(suite / "cancer_fever_emergency.yaml", audio_dir=audio)
    data = write_session_report(result, folder)
    for path in [folder / "report.json", folder / "report.html", *audio.iterdir()]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    saved = json.loads((folder / "report.json").read_text())
    assert saved == json.loads(json.dumps(data))
    assert saved["result"] == "PASS" and saved["outcome"]["level"] == "emergency"
    assert {"fever", "cancer_history"} <= set(saved["outcome"]["present"])
    assert any(reason["rule"] for reason in saved["reasons"])
    for turn in saved["turns"]:
        assert (folder / turn["prompt"]["audio"]).is_file()  # relative links resolve
        assert (folder / turn["recording"]).is_file()
        assert turn["timings"]["decode_s"] >= 0 and turn["prompt"]["audio_s"] > 0
    html = (folder / "report.html").read_text()
    assert '<html lang="en-GB">' in html and "PASS" in html and "<caption>" in html
    assert html.count("<audio ") == 2 * len(saved["turns"]) + (1 if saved["closing"] else 0)
    # Without a report folder the prompt audio is not kept, and nothing links to it.
    assert all(turn["prompt"]["audio"] is None for turn in session_json(replay.replay_file(
        suite / "self_care.yaml"))["turns"])


def run_axe(pages: list[Path]) -> dict:  # type: ignore[type-arg]
    """axe-core in Chromium; a missing tool fails (skipping is not passing)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: run 'make a11y-deps' (installs chromium, nodejs/npm and axe-core)")
    if not (A11Y / "node_modules" / "axe-core").is_dir() or not (A11Y / "node_modules" / "playwright-core").is_dir():
        pytest.fail("tests/a11y/node_modules is missing: run 'make a11y-deps' (npm ci in tests/a11y)")
    if not Path("/usr/bin/chromium").exists():
        pytest.fail("Chromium is not installed at /usr/bin/chromium: run 'make a11y-deps' (apt-get install chromium)")
    proc = subprocess.run([node, str(A11Y / "axe_check.mjs"), *map(str, pages)], capture_output=True, text=True,
                          timeout=180, check=False)
    if proc.returncode == 2 or not proc.stdout.strip():
        pytest.fail(f"the accessibility checker could not run: {proc.stderr.strip()}")
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


@pytest.mark.slow
def test_reports_have_no_accessibility_violations(suite: Path, fake_asr: ReadBack, tmp_path: Path) -> None:
    report_dir = tmp_path / "batch"
    datas, rows = [], []
    for path in find_manifests(suite)[:2]:
        folder = report_dir / path.stem
        (folder / "audio").mkdir(parents=True)
        data = write_session_report(replay.replay_file(path, audio_dir=folder / "audio"), folder)
        datas.append(data)
        rows.append({"name": path.stem, "manifest": str(path), "result": data["result"], "expected": "x",
                     "level": data["outcome"]["level"], "answer_accuracy": 1.0, "wer": 0.0,
                     "report": f"{path.stem}/report.html"})
    rows.append({"name": "broken", "manifest": "broken.yaml", "result": "ERROR", "error": "broken.yaml: bad"})
    write_batch_report(summarize(rows, datas, 1.0, 1), report_dir)
    pages = [report_dir / "index.html", *sorted(report_dir.glob("*/report.html"))]
    result = run_axe(pages)
    assert [page["violations"] for page in result["pages"]] == [[]] * len(pages), result
    assert all(page["passes"] > 10 for page in result["pages"])  # the rules really ran


@pytest.mark.slow
def test_accessibility_checker_catches_a_bad_page(tmp_path: Path) -> None:
    # A control that the checker must flag, so "zero violations" above means something.
    bad = tmp_path / "bad.html"
    bad.write_text('<html><head><title>x</title></head><body><img src="a.png">'
                   '<p style="color:#bbb;background:#fff">low contrast</p></body></html>')
    result = run_axe([bad])
    found = {violation["id"] for violation in result["pages"][0]["violations"]}
    assert {"html-has-lang", "image-alt", "color-contrast"} <= found


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_lines_elsewhere() -> None:
    tty, log = _Terminal(), io.StringIO()
    for stream in (tty, log):
        progress = Progress(3, stream)
        for name, result in (("a", "PASS"), ("b", "FAIL"), ("c", "PASS")):
            progress.update(name, result)
    assert tty.getvalue().count("\r") == 3 and "3/3, 1 not passed" in tty.getvalue()
    assert tty.getvalue().endswith("\n") and tty.getvalue().count("\n") == 1
    assert log.getvalue().splitlines() == ["replay [1/3] PASS a", "replay [2/3] FAIL b", "replay [3/3] PASS c"]


def test_batch_reports_a_bad_manifest_and_still_runs_the_rest(
    suite: Path, fake_asr: ReadBack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name in ("self_care.yaml", "saddle_emergency.yaml"):
        (folder / name).write_text((suite / name).read_text().replace("audio/", f"{suite}/audio/"))
    (folder / "typo.yaml").write_text((folder / "self_care.yaml").read_text().replace("expect:", "expected:"))
    status = replay_batch(folder, tmp_path / "out", True, 1, "auto", None, allow_outside_audio=True)
    summary = json.loads(capsys.readouterr().out)
    assert status == 2
    assert [(row["name"], row["result"]) for row in summary["sessions"]] == [
        ("saddle_emergency", "PASS"), ("self_care", "PASS"), ("typo", "ERROR")]
    assert "typo.yaml" in summary["sessions"][2]["error"] and "expected" in summary["sessions"][2]["error"]
    assert summary["totals"]["latency_s"]["p50"] is not None and summary["totals"]["answer_accuracy"] == 1.0
    assert (tmp_path / "out" / "index.html").is_file() and (tmp_path / "out" / "self_care" / "report.html").is_file()
    # Without the bad one: every outcome matched, exit 0.
    (folder / "typo.yaml").unlink()
    assert replay_batch(folder, None, False, 1, "auto", None, allow_outside_audio=True) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("PASS: 2 passed, 0 failed, 0 errors of 2")
