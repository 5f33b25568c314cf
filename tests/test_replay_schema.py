"""The JSON reports carry a format version and match the JSON Schemas in docs/ (issue 17).

Real reports: the example suite replayed through the CLI with real pocketsphinx (``report.json``,
``summary.json`` with an ERROR row, ``replay MANIFEST --json``), and ``session --report`` of typed
sessions that end with a decision, at the end of input, and in the JSON-lines front end.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import REPO, run_cli
from voice_triage.replay.html import REPORT_FORMAT, SUMMARY_FORMAT
from voice_triage.session.report import FORMAT as SESSION_FORMAT

DOCS = REPO / "docs"
SCHEMAS = {"replay-report": REPORT_FORMAT, "replay-summary": SUMMARY_FORMAT, "session-report": SESSION_FORMAT}
NOES = "my back hurts\n" + "no\n" * 40


def schema(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DOCS / f"{name}.schema.json").read_text())
    return doc


def problems(name: str, data: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema(name))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(data)]


def test_each_schema_is_valid_names_its_format_and_is_documented() -> None:
    guide = (DOCS / "replay.md").read_text()
    for name, fmt in SCHEMAS.items():
        doc = schema(name)
        jsonschema.Draft202012Validator.check_schema(doc)
        assert doc["properties"]["format"] == {"const": fmt}
        assert "format" in doc["required"]
        assert f"docs/{name}.schema.json" in guide and f"`{fmt}`" in guide


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("schema")
    suite = root / "suite"
    shutil.copytree(REPO / "tests" / "replay", suite)
    (suite / "broken.yaml").write_text("answers: {}\nexpect: {level: nowhere}\n")
    proc = run_cli("replay", str(suite), "--report-dir", str(root / "reports"), "--asr", "pocketsphinx",
                   timeout=900)
    assert proc.returncode == 2, proc.stderr  # the broken manifest: an ERROR row, the rest replayed
    assert "WER after normalising answers" in proc.stdout.splitlines()[-2]  # the plain summary leads with it
    return root


@pytest.mark.slow
def test_real_replay_reports_match_their_schemas(replayed: Path) -> None:
    reports = replayed / "reports"
    summary = json.loads((reports / "summary.json").read_text())
    assert summary["format"] == SUMMARY_FORMAT
    assert problems("replay-summary", summary) == []
    assert {row["result"] for row in summary["sessions"]} >= {"ERROR", "PASS"}
    assert summary["totals"]["wer_normalised"] is not None
    pages = sorted(reports.glob("*/report.json"))
    assert len(pages) == 5
    for page in pages:
        data = json.loads(page.read_text())
        assert data["format"] == REPORT_FORMAT
        assert problems("replay-report", data) == [], page
    one = run_cli("replay", str(replayed / "suite" / "self_care.yaml"), "--json", "--asr", "pocketsphinx",
                  timeout=600)
    assert one.returncode in (0, 1), one.stderr
    assert problems("replay-report", json.loads(one.stdout)) == []


def test_a_report_missing_its_format_or_with_a_wrong_type_is_refused(replayed: Path) -> None:
    data = json.loads(next((replayed / "reports").glob("*/report.json")).read_text())
    bad = dict(data)
    del bad["format"]
    assert problems("replay-report", bad)
    assert problems("replay-report", {**data, "format": "voice-triage-replay/0"})
    assert problems("replay-report", {**data, "turns": [{**data["turns"][0], "status": "heard"}]})


@pytest.mark.parametrize(("args", "stdin", "ended"), [
    (("--text",), NOES, "decision"),
    (("--text",), "my back hurts\nno\n", "end_of_input"),
    (("--text", "--json"), json.dumps({"say": "my back hurts"}) + "\n", "end_of_input"),
])
def test_session_reports_match_their_schema(args: tuple[str, ...], stdin: str, ended: str, tmp_path: Path) -> None:
    report = tmp_path / "session.json"
    proc = run_cli("session", *args, "--report", str(report), stdin=stdin)
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(report.read_text())
    assert data["format"] == SESSION_FORMAT
    assert data["ended"] == ended or (ended == "end_of_input" and data["ended"] == "incomplete")
    assert problems("session-report", data) == []
