"""The ``voice-triage`` command line: the parser and ``main``.

Each command group lives in its own module with a ``register(subparsers)``; stage modules are
imported inside the commands, so that ``triage`` or ``understand`` never load audio libraries.
Every ``TriageError`` becomes one line on stderr and its exit status: never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import TriageError
from . import audio, replay, rules, session, understand
from .common import PROG, Parser, default_locale


def build_parser(locale_default: str) -> argparse.ArgumentParser:
    parser = Parser(prog=PROG, description="Offline, hands-free back-pain triage assistant.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    # The order here is the order of the --help listing.
    rules.register(sub, locale_default)
    understand.register(sub)
    session.register(sub, locale_default)
    audio.register(sub)
    replay.register(sub)
    from . import serve; serve.register(sub, locale_default)  # noqa: E702, I001 - Wyoming service
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
