"""The ``voice-triage`` command line.

Each subcommand parses its options and hands over to the module for its pipeline stage, imported
lazily so that ``triage`` or ``understand`` never load audio libraries. Every ``TriageError``
becomes one line on stderr and its exit status: never a traceback.

The subcommands live with their stage: ``cli_replay`` (understand, replay, synth) and ``cli_voice``
(devices, say, models, the voice session); this module has the shared helpers, the rule commands
(triage, findings), the session and question list, the parser and ``main``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from .clinical import Level, Locale, Tier, load_rulebook
from .errors import EXIT_USAGE, TriageError, UsageError

PROG = "voice-triage"
LOCALE_ENV = "VOICE_TRIAGE_LOCALE"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the problem (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(EXIT_USAGE)


def default_locale() -> str:
    value = os.environ.get(LOCALE_ENV, Locale.UK.value).strip().lower()
    if value not in {loc.value for loc in Locale}:
        raise UsageError(f"{LOCALE_ENV}={value!r} is not a locale (use 'uk' or 'us')")
    return value


def split_ids(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


# --- triage / findings ---------------------------------------------------------------------------


def cmd_triage(args: argparse.Namespace) -> int:
    from .rules import decide

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


# --- session / questions ---------------------------------------------------------------------------


def cmd_session(args: argparse.Namespace) -> int:
    from pathlib import Path

    report = Path(args.report) if args.report else None
    if not (args.text or args.json):
        from .cli_voice import cmd_voice_session

        return cmd_voice_session(args, report)
    from .session_text import run_text_session

    return run_text_session(args.locale, json_mode=args.json, report=report)


def cmd_questions(args: argparse.Namespace) -> int:
    from .questions import load_questions, question_list

    rows = question_list(load_questions(), load_rulebook(), Locale(args.locale))
    if args.json:
        emit_json(rows)
    else:
        for row in rows:
            about = "any finding" if row["kind"] == "open" else ", ".join(row["asks_about"])
            print(f"{row['id']} ({row['kind']}; {about}): {row['text']}")
    return 0


def add_session_commands(sub: Any, locale_default: str) -> None:
    from .cli_voice import add_voice_options

    p = sub.add_parser("session", help="run the triage conversation (for now typed: --text)")
    p.add_argument("--text", action="store_true", help="type answers: prompts on stdout, one answer per line on stdin")
    p.add_argument("--json", action="store_true",
                   help="with --text: JSON lines only on stdout (ask, say, decision, end)")
    add_locale(p, locale_default)
    p.add_argument("--report", metavar="FILE.json", help="write the session record here (owner-only file)")
    add_voice_options(p)
    p.set_defaults(func=cmd_session)

    p = sub.add_parser("questions", help="list every question: id, kind, the findings it asks about, its words")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    add_locale(p, locale_default)
    p.set_defaults(func=cmd_questions)


# --- parser ----------------------------------------------------------------------------------------


def add_locale(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument(
        "--locale",
        choices=[loc.value for loc in Locale],
        default=default,
        help=f"wording and services: uk (A&E, 999, 111, GP) or us (ER, 911); default from ${LOCALE_ENV} or uk",
    )


def build_parser(locale_default: str) -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Offline, hands-free back-pain triage assistant.")
    # Each stage's commands are registered by its module, imported here (after this module is
    # loaded: they use its helpers) and in this order, which is the order of the --help listing.
    from .cli_replay import add_replay_commands, add_understand_command
    from .cli_voice import add_audio_commands

    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("triage", help="decide the urgency for finding ids")
    p.add_argument("--findings", default="", metavar="ID[,ID...]", help="findings that are present")
    p.add_argument("--unsure", default="", metavar="ID[,ID...]", help="findings the person is unsure about")
    add_locale(p, locale_default)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_triage)

    p = sub.add_parser("findings", help="list every finding id with its level and sources")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=cmd_findings)

    add_understand_command(sub)

    add_session_commands(sub, locale_default)
    add_audio_commands(sub)
    add_replay_commands(sub)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser(default_locale())
        args = parser.parse_args(argv)
        status: int = args.func(args)
        return status
    except TriageError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return exc.exit_status
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
