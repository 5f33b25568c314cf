"""`voice-triage triage` and `findings` through a real subprocess: the public contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli


def test_triage_json_contract() -> None:
    result = run_cli("triage", "--findings", "saddle_numbness,fever", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"level", "reasons", "advice", "safety_net", "locale"}
    assert data["level"] == "emergency"
    assert data["locale"] == "uk"
    for reason in data["reasons"]:
        assert set(reason) == {"rule", "findings", "sources"}
        assert reason["sources"]
    assert "saddle_numbness" in data["reasons"][0]["findings"]


def test_triage_unsure_and_us_locale() -> None:
    result = run_cli("triage", "--unsure", "urinary_retention", "--locale", "us", "--json")
    data = json.loads(result.stdout)
    assert data["level"] == "urgent"
    assert data["locale"] == "us"
    assert "911" not in data["advice"]


def test_locale_from_environment() -> None:
    result = run_cli("triage", "--findings", "fever", "--json", env={"VOICE_TRIAGE_LOCALE": "us"})
    assert json.loads(result.stdout)["locale"] == "us"


def test_plain_output_is_sentences_ending_with_safety_net() -> None:
    result = run_cli("triage", "--findings", "sciatica")
    assert result.returncode == 0
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "Urgency: soon."
    assert "GP" in result.stdout
    assert lines[-1].startswith("Go to A&E straight away")
    assert "{" not in result.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["triage", "--findings", "saddle_numbnes"], "saddle_numbnes"),
        (["triage", "--unsure", "bogus_id"], "bogus_id"),
        (["triage", "--locale", "fr"], "fr"),
        (["triage", "--frobnicate"], "--frobnicate"),
        (["nonsense-command"], "nonsense-command"),
    ],
)
def test_bad_input_is_one_line_naming_it_with_status_2(args: list[str], needle: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_locale_environment_is_an_error() -> None:
    result = run_cli("triage", env={"VOICE_TRIAGE_LOCALE": "mars"})
    assert result.returncode == 2
    assert "mars" in result.stderr


def test_findings_lists_every_id_with_level_and_sources() -> None:
    result = run_cli("findings", "--json")
    rows = json.loads(result.stdout)
    by_id = {row["id"]: row for row in rows}
    assert by_id["saddle_numbness"]["level"] == "emergency"
    assert by_id["cancer_history"]["level"] == "risk"
    assert by_id["back_pain"]["level"] == "context"
    assert all(row["sources"] and row["description"] for row in rows)
    plain = run_cli("findings")
    assert plain.returncode == 0 and "saddle_numbness (emergency)" in plain.stdout


@pytest.mark.slow
def test_non_editable_install_carries_the_data(tmp_path: Path) -> None:
    """A wheel built from the checkout works without the source tree (data inside the package)."""
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(wheel_dir), str(REPO)],
        check=True, capture_output=True, cwd=tmp_path,
    )
    target = tmp_path / "site"
    wheel = next(wheel_dir.glob("voice_triage-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)
    assert (target / "voice_triage" / "grammars" / "rules.yaml").is_file()
    result = subprocess.run(
        [sys.executable, "-c",
         "import sys; sys.path.insert(0, sys.argv[1]); import voice_triage.cli.app as c; "
         "assert c.__file__.startswith(sys.argv[1]), c.__file__; "
         "raise SystemExit(c.main(['triage', '--findings', 'bowel_incontinence', '--json']))", str(target)],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )
    assert result.returncode == 0, result.stderr
    import json as _json
    assert _json.loads(result.stdout)["level"] == "emergency"
