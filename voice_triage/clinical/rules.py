"""The rules core: findings in, a cited urgency decision out.

``decide`` is pure: it reads only the loaded ``Rulebook`` it is given and the ids, and returns a
frozen ``Decision``. Every rule that fires is listed with the findings and seed documents behind
it, and the level is the most urgent among them, so adding a finding never lowers the level.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .catalogue import Level, Locale, Rule, Rulebook, RuleKind, Tier


@dataclass(frozen=True)
class Reason:
    """One fired rule: why the decision is what it is."""

    rule: str
    level: Level
    findings: tuple[str, ...]
    sources: tuple[str, ...]
    summary: str

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "findings": list(self.findings), "sources": list(self.sources)}


@dataclass(frozen=True)
class Decision:
    level: Level
    present: tuple[str, ...]
    unsure: tuple[str, ...]
    reasons: tuple[Reason, ...]
    advice: str
    why: str
    safety_net: str
    locale: Locale

    def as_json(self) -> dict[str, Any]:
        """The public ``voice-triage triage --json`` object (keys are a contract)."""
        return {
            "level": self.level.value,
            "reasons": [reason.as_json() for reason in self.reasons],
            "advice": self.advice,
            "safety_net": self.safety_net,
            "locale": self.locale.value,
        }

    def spoken(self) -> str:
        """Advice, why, and the safety net last: what is read aloud or shown to a screen reader."""
        return " ".join(part for part in (self.advice, self.why, self.safety_net) if part)


def _join_plain(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _fires(rule: Rule, book: Rulebook, present: tuple[str, ...], unsure: tuple[str, ...]) -> tuple[str, ...]:
    """The findings that make ``rule`` fire (empty: it does not fire)."""
    def of_tier(ids: tuple[str, ...], tier: Tier) -> tuple[str, ...]:
        return tuple(fid for fid in ids if book.findings[fid].tier is tier)

    if rule.kind is RuleKind.TIER:
        return of_tier(present, rule.tiers[0])
    if rule.kind is RuleKind.UNSURE:
        return of_tier(unsure, rule.tiers[0])
    if rule.kind is RuleKind.COMBINATION:
        groups = [of_tier(present, tier) for tier in rule.tiers]
        if all(groups):
            return tuple(fid for group in groups for fid in group)
    return ()


def decide(
    book: Rulebook,
    present: Iterable[str],
    unsure: Iterable[str] = (),
    locale: Locale = Locale.UK,
) -> Decision:
    """Decide the urgency level for the given finding ids (validated against the rulebook)."""
    present_ids = tuple(dict.fromkeys(book.check_ids(present)))
    # A finding both present and unsure is present: doubt never lowers what was affirmed.
    unsure_ids = tuple(fid for fid in dict.fromkeys(book.check_ids(unsure)) if fid not in present_ids)

    reasons: list[Reason] = []
    for rule in book.rules:
        if rule.kind is RuleKind.DEFAULT:
            continue
        fired = _fires(rule, book, present_ids, unsure_ids)
        if fired:
            cited = set(rule.sources)
            for fid in fired:
                cited.update(book.findings[fid].sources)
            reasons.append(Reason(rule.id, rule.level, fired, tuple(sorted(cited)), rule.summary))
    if not reasons:
        default = next(rule for rule in book.rules if rule.kind is RuleKind.DEFAULT)
        reasons.append(Reason(default.id, default.level, (), tuple(sorted(default.sources)), default.summary))
    # Most urgent first; the stable sort keeps the data file's order within a level.
    reasons.sort(key=lambda reason: -reason.level.rank)
    level = reasons[0].level

    words = book.advice[locale]
    advice = words.by_level[level]
    if level is not Level.EMERGENCY:
        # Rule 3: the advice names each emergency symptom the person was unsure about.
        unsure_rules = {rule.id for rule in book.rules if rule.kind is RuleKind.UNSURE}
        doubted = [fid for reason in reasons if reason.rule in unsure_rules for fid in reason.findings]
        if doubted:
            # One sentence for all doubts: heard once, a list is easier to follow than repeats.
            advice += " " + words.unsure.format(finding=". And about ".join(book.findings[f].plain for f in doubted))
    told = [book.findings[fid].plain for fid in present_ids if book.findings[fid].tier is not Tier.CONTEXT]
    # With only doubts, the advice already names them; "no warning signs" would contradict it.
    why = words.why.format(findings=_join_plain(told)) if told else ("" if unsure_ids else words.why_none)
    return Decision(
        level=level,
        present=present_ids,
        unsure=unsure_ids,
        reasons=tuple(reasons),
        advice=advice,
        why=why,
        safety_net=words.safety_net,
        locale=locale,
    )
