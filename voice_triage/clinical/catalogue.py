"""The clinical content: findings, rules and advice, loaded strictly from ``grammars/``.

Records are frozen dataclasses and the closed sets (levels, tiers, locales) are ``str`` Enums, so
the rules core can only ever see ids and levels that the clinical specification defines.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ..content import LineDict, check_keys, get_str, get_str_list, load_data_file, where
from ..errors import ContentError, UnknownIdError


class Level(str, Enum):
    """Urgency levels, most urgent first (the order is the ranking)."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    SOON = "soon"
    SELF_CARE = "self_care"

    @property
    def rank(self) -> int:
        """Higher is more urgent."""
        return len(LEVEL_ORDER) - LEVEL_ORDER.index(self)


LEVEL_ORDER: tuple[Level, ...] = tuple(Level)


class Tier(str, Enum):
    """Where a finding sits in the specification's tables."""

    LIFE_THREAT = "life_threat"  # rule 7 and 8: call 999 / 911 now; detected, never asked
    EMERGENCY = "emergency"
    URGENT = "urgent"
    RISK = "risk"
    SOON = "soon"
    CONTEXT = "context"


class Locale(str, Enum):
    """Wording for the UK (NHS services) or the US."""

    UK = "uk"
    US = "us"


class RuleKind(str, Enum):
    TIER = "tier"
    COMBINATION = "combination"
    UNSURE = "unsure"
    DEFAULT = "default"


@dataclass(frozen=True)
class Finding:
    id: str
    tier: Tier
    description: str
    plain: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    id: str
    kind: RuleKind
    level: Level
    tiers: tuple[Tier, ...]
    summary: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Advice:
    """What the assistant says at the end, for one locale (advice.yaml)."""

    locale: Locale
    by_level: dict[Level, str]
    life_threat: str  # rule 7 and 8: call 999 / 911 now
    safety_net: str
    safety_net_emergency: str  # never "call 111 if it gets worse" after "go to A&E now"
    unsure_emergency: str  # rule 3: doubt about an emergency symptom, act now
    unsure_other: str  # rule 4: doubt about an urgent symptom or a risk factor
    many: str  # "5 warning signs, including A and B": a long list is not followed when heard once
    why: str
    why_none: str


@dataclass(frozen=True)
class Rulebook:
    """Everything the rules core needs, loaded once."""

    sources: dict[str, str]
    findings: dict[str, Finding]
    guidance: dict[str, str]
    rules: tuple[Rule, ...]
    advice: dict[Locale, Advice]

    def finding(self, finding_id: str) -> Finding:
        try:
            return self.findings[finding_id]
        except KeyError:
            raise UnknownIdError(f"unknown finding id {finding_id!r}") from None

    def check_ids(self, ids: Any) -> tuple[str, ...]:
        """Validate ids from outside (CLI, other tools): unknown → ``UnknownIdError`` naming it."""
        out = []
        for raw in ids:
            finding_id = str(raw).strip()
            if finding_id not in self.findings:
                raise UnknownIdError(f"unknown finding id {finding_id!r} (see 'voice-triage findings')")
            out.append(finding_id)
        return tuple(out)


def _enum(cls: type[Any], mapping: LineDict, key: str, file: str, prefix: str) -> Any:
    value = mapping[key]
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(member.value for member in cls)
        raise ContentError(file, where(mapping, key, prefix), f"{value!r} is not one of: {allowed}") from None


def _sources(mapping: LineDict, file: str, prefix: str, known: dict[str, str]) -> tuple[str, ...]:
    if "sources" not in mapping:
        raise ContentError(file, f"{prefix} (line {mapping.line})", "every entry must cite its sources")
    cited = get_str_list(mapping, "sources", file, prefix)
    for name in cited:
        if name not in known:
            raise ContentError(file, where(mapping, "sources", prefix), f"unknown source {name!r}")
    return cited


def load_sources(file: str = "sources.yaml", section: str = "sources") -> dict[str, str]:
    """The seed documents (``sources``) or the named public guidance (``guidance``) by id."""
    doc = load_data_file(file)
    check_keys(doc, file, "", ["sources", "guidance"])
    table = doc[section]
    check_keys(table, file, section, table.keys() if isinstance(table, dict) else ())
    return {name: get_str(table, name, file, section) for name in table}


def load_findings(sources: dict[str, str], file: str = "findings.yaml") -> dict[str, Finding]:
    doc = load_data_file(file)
    check_keys(doc, file, "", ["findings"])
    table = doc["findings"]
    if not isinstance(table, LineDict) or not table:
        raise ContentError(file, "findings", "expected a mapping of finding ids")
    findings: dict[str, Finding] = {}
    for finding_id, entry in table.items():
        prefix = f"findings.{finding_id}"
        check_keys(entry, file, prefix, ["tier", "description", "plain", "sources"])
        findings[finding_id] = Finding(
            id=finding_id,
            tier=_enum(Tier, entry, "tier", file, prefix),
            description=get_str(entry, "description", file, prefix),
            plain=get_str(entry, "plain", file, prefix),
            sources=_sources(entry, file, prefix, sources),
        )
    return findings


def load_rules(sources: dict[str, str], file: str = "rules.yaml") -> tuple[Rule, ...]:
    doc = load_data_file(file)
    check_keys(doc, file, "", ["rules"])
    items = doc["rules"]
    if not isinstance(items, list) or not items:
        raise ContentError(file, "rules", "expected a non-empty list")
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, entry in enumerate(items):
        prefix = f"rules[{index}]"
        check_keys(entry, file, prefix, ["id", "kind", "level", "summary"], ["tier", "tiers", "sources"])
        rule_id = get_str(entry, "id", file, prefix)
        if rule_id in seen:
            raise ContentError(file, where(entry, "id", prefix), f"duplicate rule id {rule_id!r}")
        seen.add(rule_id)
        kind: RuleKind = _enum(RuleKind, entry, "kind", file, prefix)
        tiers: tuple[Tier, ...] = ()
        if kind in (RuleKind.TIER, RuleKind.UNSURE):
            if "tier" not in entry:
                raise ContentError(file, f"{prefix} (line {entry.line})", f"a {kind.value} rule needs 'tier'")
            tiers = (_enum(Tier, entry, "tier", file, prefix),)
        elif kind is RuleKind.COMBINATION:
            if "tiers" not in entry:
                raise ContentError(file, f"{prefix} (line {entry.line})", "a combination rule needs 'tiers'")
            names = get_str_list(entry, "tiers", file, prefix)
            try:
                tiers = tuple(Tier(name) for name in names)
            except ValueError as exc:
                raise ContentError(file, where(entry, "tiers", prefix), str(exc)) from None
        rules.append(
            Rule(
                id=rule_id,
                kind=kind,
                level=_enum(Level, entry, "level", file, prefix),
                tiers=tiers,
                summary=get_str(entry, "summary", file, prefix),
                sources=_sources(entry, file, prefix, sources),
            )
        )
    if not any(rule.kind is RuleKind.DEFAULT for rule in rules):
        raise ContentError(file, "rules", "a 'default' rule is required (the level when nothing fires)")
    return tuple(rules)


def load_advice(file: str = "advice.yaml") -> dict[Locale, Advice]:
    doc = load_data_file(file)
    check_keys(doc, file, "", ["locales"])
    locales = doc["locales"]
    check_keys(locales, file, "locales", [loc.value for loc in Locale])
    result: dict[Locale, Advice] = {}
    for locale in Locale:
        prefix = f"locales.{locale.value}"
        entry = locales[locale.value]
        keys = ["advice", "life_threat", "safety_net", "safety_net_emergency", "unsure_emergency", "unsure_other",
                "many", "why", "why_none"]
        check_keys(entry, file, prefix, keys)
        by_level_doc = entry["advice"]
        check_keys(by_level_doc, file, f"{prefix}.advice", [level.value for level in Level])
        result[locale] = Advice(
            locale=locale,
            by_level={
                level: get_str(by_level_doc, level.value, file, f"{prefix}.advice") for level in Level
            },
            life_threat=get_str(entry, "life_threat", file, prefix),
            safety_net=get_str(entry, "safety_net", file, prefix),
            safety_net_emergency=get_str(entry, "safety_net_emergency", file, prefix),
            unsure_emergency=get_str(entry, "unsure_emergency", file, prefix),
            unsure_other=get_str(entry, "unsure_other", file, prefix),
            many=get_str(entry, "many", file, prefix),
            why=get_str(entry, "why", file, prefix),
            why_none=get_str(entry, "why_none", file, prefix),
        )
    return result


@functools.cache
def load_rulebook() -> Rulebook:
    """Load and validate all clinical content (once per process)."""
    sources = load_sources()
    guidance = load_sources(section="guidance")
    citable = {**sources, **guidance}  # a rule may cite public guidance as well as the seeds
    return Rulebook(
        sources=sources,
        findings=load_findings(citable),
        guidance=guidance,
        rules=load_rules(citable),
        advice=load_advice(),
    )
