"""``triage`` and ``findings``: the rules core from the command line (no audio library loaded)."""

from __future__ import annotations

import argparse
from typing import Any

from ..clinical import Level, Locale, Tier, decide, load_rulebook
from .common import add_locale, command, emit_json, split_ids


def cmd_triage(args: argparse.Namespace) -> int:
    book = load_rulebook()
    decision = decide(book, split_ids(args.findings), split_ids(args.unsure), Locale(args.locale))
    if args.json:
        emit_json(decision.as_json())
    else:
        print(f"Urgency: {decision.level.value.replace('_', ' ')}.")
        for part in (decision.advice, decision.why, decision.safety_net):
            if part:
                print(part)
    return 0


def cmd_findings(args: argparse.Namespace) -> int:
    book = load_rulebook()
    rows = []
    for finding in book.findings.values():
        level = finding.tier.value
        if finding.tier in (Tier.EMERGENCY, Tier.URGENT, Tier.SOON):
            level = Level(finding.tier.value).value
        rows.append(
            {
                "id": finding.id,
                "level": level,
                "description": finding.description,
                "sources": list(finding.sources),
            }
        )
    if args.json:
        emit_json(rows)
    else:
        for row in rows:
            print(f"{row['id']} ({row['level']}): {row['description']}. Sources: {', '.join(row['sources'])}.")
    return 0


def register(sub: Any, locale_default: str) -> None:
    p = command(sub, "triage", "decide the urgency for finding ids",
                "voice-triage triage --findings sciatica,fever --unsure saddle_numbness --json")
    p.add_argument("--findings", default="", metavar="ID[,ID...]", help="findings that are present")
    p.add_argument("--unsure", default="", metavar="ID[,ID...]", help="findings the person is unsure about")
    add_locale(p, locale_default)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_triage)

    p = command(sub, "findings", "list every finding id with its level and sources", "voice-triage findings --json")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=cmd_findings)
