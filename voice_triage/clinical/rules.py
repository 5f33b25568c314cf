"""The rules core: findings in, a cited urgency decision out.

``decide`` is pure: it reads only the loaded ``Rulebook`` it is given and the ids, and returns a
frozen ``Decision``. Every rule that fires is listed with the findings and seed documents behind
it, and the level is the most urgent among them, so adding a finding never lowers the level.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from .catalogue import Level, Locale, Rule, Rulebook, RuleKind, Tier


@dataclass(frozen=True)
class Reason:
    """One fired rule: why the decision is what it is."""

    rule: str
    level: Level
    findings: tuple[str, ...]
    sources: tuple[str, ...]
    summary: str

    def as_json(self, detail: bool = False) -> dict[str, Any]:
        """The public form (``triage --json``); ``detail`` adds the level and the plain summary
        (reports)."""
        out: dict[str, Any] = {"rule": self.rule, "findings": list(self.findings), "sources": list(self.sources)}
        if detail:
            out.update(level=self.level.value, summary=self.summary)
        return out


@dataclass(frozen=True)
class Findings:
    """Finding ids by status: the one record of what a conversation or a replay found."""

    present: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    unsure: tuple[str, ...] = ()

    def as_json(self) -> dict[str, list[str]]:
        return {"present": list(self.present), "absent": list(self.absent), "unsure": list(self.unsure)}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Findings:
        return cls(*(tuple(str(i) for i in obj.get(key) or ()) for key in ("present", "absent", "unsure")))


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

    def as_json(self, detail: bool = False) -> dict[str, Any]:
        """The public ``voice-triage triage --json`` object (keys are a contract); ``detail`` adds
        ``why`` and each reason's level and summary (session reports)."""
        out: dict[str, Any] = {
            "level": self.level.value,
            "reasons": [reason.as_json(detail) for reason in self.reasons],
            "advice": self.advice,
            "safety_net": self.safety_net,
            "locale": self.locale.value,
        }
        if detail:
            out["why"] = self.why
        return out

    def spoken(self) -> str:
        """Advice, why, and the safety net last: what is read aloud or shown to a screen reader."""
        return " ".join(part for part in (self.advice, self.why, self.safety_net) if part)


def _join_plain(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


#: Doubts named one by one up to this many; more are summarised ("5 warning signs, including A and
#: B"): advice must be easy to follow when heard once (clinical-spec.md, Advice wording).
MAX_NAMED: Final = 2


def _named(book: Rulebook, ids: list[str], many: str) -> str:
    plain = [book.findings[f].plain for f in ids]
    if len(plain) <= MAX_NAMED:
        return _join_plain(plain)
    return many.format(count=len(plain), findings=_join_plain(plain[:MAX_NAMED]))


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
    absent: Iterable[str] | None = None,
) -> Decision:
    """Decide the urgency level for the given finding ids (validated against the rulebook).

    ``absent``: the findings explicitly denied, when known (a conversation). "No warning signs" is
    said only when every emergency and urgent finding is among them (rule 10).
    """
    present_ids = tuple(dict.fromkeys(book.check_ids(present)))
    # A finding both present and unsure is present: doubt never lowers what was affirmed.
    unsure_ids = tuple(fid for fid in dict.fromkeys(book.check_ids(unsure)) if fid not in present_ids)
    denied = frozenset(book.check_ids(absent)) if absent is not None else None

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
    tier_of = {fid: book.findings[fid].tier for fid in (*present_ids, *unsure_ids)}
    safety_net = words.safety_net
    if level is Level.EMERGENCY:
        life = any(tier_of[f] is Tier.LIFE_THREAT for f in present_ids)
        advice = words.life_threat if life else words.by_level[level]
        safety_net = words.safety_net_emergency
    else:
        doubt_rules = {rule.id for rule in book.rules if rule.kind is RuleKind.UNSURE}
        # Rule 3: doubt about an emergency symptom is "act now", not "an appointment today": the
        # level's own advice is given only when a rule other than that doubt set the level.
        from_doubt_only = all(r.rule in doubt_rules for r in reasons if r.level is level)
        doubted_emergency = [f for f in unsure_ids if tier_of[f] is Tier.EMERGENCY]
        doubted_other = [f for f in unsure_ids if tier_of[f] in (Tier.URGENT, Tier.RISK)]
        parts = [] if from_doubt_only and doubted_emergency else [words.by_level[level]]
        if doubted_emergency:
            parts.append(words.unsure_emergency.format(finding=_named(book, doubted_emergency, words.many)))
        if doubted_other:
            parts.append(words.unsure_other.format(finding=_named(book, doubted_other, words.many)))
        advice = " ".join(parts)
    told = [f for f in present_ids if tier_of[f] is not Tier.CONTEXT]
    warning = [f.id for f in book.findings.values() if f.tier in (Tier.EMERGENCY, Tier.URGENT)]
    if told:
        why = words.why.format(findings=_named(book, told, words.many))
    elif denied is not None and not unsure_ids and all(f in denied for f in warning):
        why = words.why_none  # rule 10: only when every warning sign was explicitly denied
    else:
        why = ""
    return Decision(
        level=level,
        present=present_ids,
        unsure=unsure_ids,
        reasons=tuple(reasons),
        advice=advice,
        why=why,
        safety_net=safety_net,
        locale=locale,
    )
