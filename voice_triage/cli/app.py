"""The ``voice-triage`` command line: the parser and ``main``.

Each command group lives in its own module with a ``register(subparsers)``; stage modules are
imported inside the commands, so that ``triage`` or ``understand`` never load audio libraries.
Every ``TriageError`` becomes one line on stderr and its exit status: never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from .. import interrupts
from ..errors import EXIT_UNAVAILABLE, EXIT_USAGE, ExitStatus, OutputError, TriageError, UsageError
from . import audio, replay, rules, session, understand
from .common import PROG, Parser, default_locale, guard_stdout, help_epilog, silence_stdout

#: The distribution whose installed metadata gives ``--version``.
DISTRIBUTION = "voice-triage"


def version() -> str:
    """The installed package's version (``pip install -e .`` included); says so when not installed."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown (the package is not installed: pip install -e .)"


class VersionAction(argparse.Action):
    """``--version``: the metadata is read only when asked for (every other run skips the lookup)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(f"{PROG} {version()}")
        parser.exit(ExitStatus.OK)


def build_parser(locale_default: str) -> argparse.ArgumentParser:
    parser = Parser(prog=PROG, description="Offline, hands-free back-pain triage assistant.",
                    epilog=help_epilog(f"{PROG} session --text", f"{PROG} triage --findings sciatica",
                                       f"{PROG} COMMAND --help"),
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action=VersionAction, help="print the installed version and exit")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    # The order here is the order of the --help listing.
    rules.register(sub, locale_default)
    understand.register(sub)
    session.register(sub, locale_default)
    audio.register(sub)
    replay.register(sub)
    from . import serve; serve.register(sub, locale_default)  # noqa: E702, I001 - Wyoming service
    return parser


#: Set to 1 to see the traceback of an internal error (a bug) instead of its one-line summary.
TRACEBACK_ENV = "VOICE_TRIAGE_TRACEBACK"
#: Exit status of an internal error (a bug): EX_SOFTWARE of sysexits.h.
EXIT_INTERNAL = ExitStatus.INTERNAL
#: Options and arguments that name a file or folder: an empty one is an error, never "nothing"
#: (``--report ""`` would write no report) or "here" (``replay ""`` would replay the current folder).
PATH_ARGS = {"report": "--report", "report_dir": "--report-dir", "target": "MANIFEST|DIR", "out": "--out",
             "personas": "PERSONAS", "audio": "--audio", "model": "--model", "dir": "--dir"}


def _error(message: str) -> None:
    with contextlib.suppress(Exception):
        sys.stderr.write(f"{PROG}: error: {message}\n")
        sys.stderr.flush()


def _check_paths(args: argparse.Namespace) -> None:
    for attr, label in PATH_ARGS.items():
        value = getattr(args, attr, None)
        if isinstance(value, str) and not value.strip():
            raise UsageError(f"{label}: an empty name; give a file or folder")
        if isinstance(value, str) and "\0" in value:
            raise UsageError(f"{label}: the name holds a NUL character")


def main(argv: Sequence[str] | None = None) -> int:
    interrupts.install()
    guard_stdout()
    try:
        parser = build_parser(default_locale())
        args = parser.parse_args(argv)
        _check_paths(args)
        status: int = args.func(args)
        sys.stdout.flush()
        return status
    except OutputError as exc:
        silence_stdout()
        if exc.pipe_closed:
            return 0  # the reader went away (``| head``): what it wanted, it has
        _error(str(exc))
        return exc.exit_status
    except TriageError as exc:
        _error(str(exc))
        return exc.exit_status
    except KeyboardInterrupt as exc:
        _error("interrupted")
        return interrupts.status_of(exc)
    except BrokenPipeError:
        silence_stdout()
        return 0
    except OSError as exc:
        _error(f"{str(exc.filename) + ': ' if exc.filename else ''}{exc.strerror or exc}")
        return EXIT_UNAVAILABLE
    except RecursionError:
        _error("the input is nested too deeply")
        return EXIT_USAGE
    except MemoryError:
        _error("out of memory")
        return EXIT_UNAVAILABLE
    except Exception as exc:  # a bug: one line, never a traceback (unless asked for)
        if os.environ.get(TRACEBACK_ENV) == "1":
            raise
        _error(f"internal error: {type(exc).__name__}: {exc} (set {TRACEBACK_ENV}=1 for details)")
        return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
