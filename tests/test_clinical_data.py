"""The shipped clinical data matches the specification, and loading is strict."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import SEEDS, SHARED
from voice_triage import content
from voice_triage.clinical import catalogue as clinical
from voice_triage.clinical.catalogue import Level, Locale, Tier, load_rulebook
from voice_triage.errors import ContentError

SPEC = SHARED / "clinical-spec.md"


def spec_ids() -> dict[str, str]:
    """Finding ids from the specification's tables, with the table they are in."""
    text = SPEC.read_text(encoding="utf-8")
    ids: dict[str, str] = {}
    section = ""
    for line in text.splitlines():
        lower = line.lower()
        if lower.startswith("emergency findings"):
            section = "emergency"
        elif lower.startswith("urgent findings"):
            section = "urgent"
        elif lower.startswith("risk factors"):
            section = "risk"
        elif lower.startswith("soon findings"):
            section = "soon"
        match = re.match(r"\| `([a-z_]+)` \|", line)
        if match and section:
            ids[match.group(1)] = section
    for context_id in re.findall(r"`(back_pain|leg_pain)`", text):
        ids[context_id] = "context"
    return ids


def test_rulebook_loads_and_covers_every_level() -> None:
    book = load_rulebook()
    assert {rule.level for rule in book.rules} == set(Level)
    assert set(book.advice) == set(Locale)


@pytest.mark.skipif(not SPEC.exists(), reason="../shared/clinical-spec.md is not beside the repository")
def test_findings_match_specification_exactly() -> None:
    book = load_rulebook()
    expected = spec_ids()
    assert len(expected) >= 30
    tiers = {fid: f.tier.value for fid, f in book.findings.items()}
    assert {fid: tiers.get(fid) for fid in expected} == expected
    # The only ids beyond the spec's tables are its rule 7 and 8 life threats, never asked about.
    assert {tiers[fid] for fid in set(tiers) - set(expected)} == {Tier.LIFE_THREAT.value}


@pytest.mark.skipif(not SEEDS.exists(), reason="../shared/seeds is not beside the repository")
def test_every_cited_source_is_a_seed_file() -> None:
    book = load_rulebook()
    seeds = {path.name for path in SEEDS.iterdir()}
    assert set(book.sources) == seeds
    citable = seeds | set(book.guidance)
    for finding in book.findings.values():
        assert finding.sources and set(finding.sources) <= citable
        # Public guidance on when to call 999 / 911 backs the life threats only (spec rule 7).
        assert (finding.tier is Tier.LIFE_THREAT) == bool(set(finding.sources) & set(book.guidance))
    for rule in book.rules:
        assert rule.sources and set(rule.sources) <= citable


def test_every_advice_ends_with_a_safety_net_that_names_the_emergency_signs() -> None:
    book = load_rulebook()
    for advice in book.advice.values():
        net = advice.safety_net.lower()
        assert "numbness" in net and "bottom" in net and "pee" in net


def _with_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str) -> None:
    """Point the loader at a copy of the shipped data with one file replaced."""
    data = tmp_path / "grammars"
    data.mkdir()
    for path in content.data_dir().glob("*.yaml"):
        (data / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (data / name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(content, "data_dir", lambda: data)
    content.load_data_file.cache_clear()
    clinical.load_rulebook.cache_clear()


@pytest.fixture(autouse=True)
def _clear_caches():  # type: ignore[no-untyped-def]
    yield
    content.load_data_file.cache_clear()
    clinical.load_rulebook.cache_clear()


BAD_RULES = {
    "unknown key": ("  - id: x\n    kind: tier\n    tier: urgent\n    level: urgent\n    summary: s\n"
                    "    colour: red\n    sources: [001_d129e2f87975a3d3.txt]\n", "colour"),
    "no source": ("  - id: x\n    kind: tier\n    tier: urgent\n    level: urgent\n    summary: s\n", "sources"),
    "misspelt level": ("  - id: x\n    kind: tier\n    tier: urgent\n    level: urgnet\n    summary: s\n"
                       "    sources: [001_d129e2f87975a3d3.txt]\n", "urgnet"),
    "unknown source": ("  - id: x\n    kind: tier\n    tier: urgent\n    level: urgent\n    summary: s\n"
                       "    sources: [999_nope.txt]\n", "999_nope.txt"),
}


@pytest.mark.parametrize("case", sorted(BAD_RULES))
def test_bad_rules_file_names_file_and_key(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body, needle = BAD_RULES[case]
    default = ("  - id: no_red_flags\n    kind: default\n    level: self_care\n    summary: s\n"
               "    sources: [003_3d2e2d8802ce1a11.txt]\n")
    _with_file(tmp_path, monkeypatch, "rules.yaml", "rules:\n" + body + default)
    with pytest.raises(ContentError) as info:
        load_rulebook()
    message = str(info.value)
    assert message.startswith("rules.yaml: rules[0]")
    assert needle in message


def test_unknown_finding_key_names_file_key_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (content.data_dir() / "findings.yaml").read_text(encoding="utf-8")
    text = text.replace("    plain: a fever, high temperature or chills\n",
                        "    plain: a fever, high temperature or chills\n    severity: high\n")
    _with_file(tmp_path, monkeypatch, "findings.yaml", text)
    with pytest.raises(ContentError) as info:
        load_rulebook()
    assert "findings.yaml" in str(info.value)
    assert "findings.fever.severity (line " in str(info.value)


def test_misspelt_tier_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (content.data_dir() / "findings.yaml").read_text(encoding="utf-8")
    text = text.replace("  nausea:\n    tier: soon\n", "  nausea:\n    tier: sooon\n")
    _with_file(tmp_path, monkeypatch, "findings.yaml", text)
    with pytest.raises(ContentError, match=r"findings\.nausea\.tier .*'sooon'"):
        load_rulebook()


def test_advice_missing_level_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (content.data_dir() / "advice.yaml").read_text(encoding="utf-8")
    start = text.index("      soon: >-\n        Make an appointment")
    end = text.index("      self_care:", start)
    _with_file(tmp_path, monkeypatch, "advice.yaml", text[:start] + text[end:])
    with pytest.raises(ContentError, match=r"advice\.yaml: locales\.us\.advice .*missing key 'soon'"):
        load_rulebook()


def test_yaml_syntax_error_names_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _with_file(tmp_path, monkeypatch, "sources.yaml", "sources:\n  a: [unclosed\n")
    with pytest.raises(ContentError, match=r"sources\.yaml: line \d+: invalid YAML"):
        load_rulebook()


def test_tiers_are_closed() -> None:
    assert {t.value for t in Tier} == {"life_threat", "emergency", "urgent", "risk", "soon", "context"}
