"""Helpers every command module shares: the program name, the one-line-error parser, JSON output,
the locale and recognizer options. Command modules import this; this imports none of them."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from typing import Any, NoReturn, TextIO, cast

from ..asr.base import Kind
from ..clinical import Locale
from ..errors import EXIT_USAGE, OutputError, UsageError
from ..settings import LOCALE_ENV, MODELS_ENV

PROG = "voice-triage"


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the problem (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(EXIT_USAGE)


class GuardedOutput(io.TextIOBase):
    """Standard output whose failures (closed, a full disk, a reader gone) are an ``OutputError``
    naming standard output, so they reach the person as one line, never a traceback."""

    def __init__(self, stream: TextIO | None) -> None:
        super().__init__()
        self.stream = stream

    def _fail(self, exc: BaseException | None) -> OutputError:
        why = "standard output is closed" if exc is None else (getattr(exc, "strerror", None) or str(exc))
        return OutputError(f"cannot write to standard output: {why}", isinstance(exc, BrokenPipeError))

    def write(self, text: str) -> int:
        if self.stream is None:
            raise self._fail(None)
        try:
            return self.stream.write(text)
        except (OSError, ValueError) as exc:
            raise self._fail(exc) from None

    def flush(self) -> None:
        if self.stream is None:
            return
        try:
            self.stream.flush()
        except (OSError, ValueError) as exc:
            raise self._fail(exc) from None

    def isatty(self) -> bool:
        return self.stream is not None and not self.stream.closed and self.stream.isatty()

    def fileno(self) -> int:
        if self.stream is None:
            raise self._fail(None)
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", None) or "utf-8"

    def writable(self) -> bool:
        return True


def guard_stdout() -> None:
    """Replace ``sys.stdout`` with a :class:`GuardedOutput` (once)."""
    if not isinstance(sys.stdout, GuardedOutput):
        sys.stdout = cast(TextIO, GuardedOutput(sys.stdout))


def silence_stdout() -> None:
    """After standard output failed: point it at /dev/null, so the interpreter's own last flush
    cannot fail again (it would print "Exception ignored ..." and exit 120)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        original = sys.__stdout__
        if original is not None:
            with contextlib.suppress(OSError, ValueError):
                os.dup2(devnull, original.fileno())
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives until exit
    finally:
        os.close(devnull)


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


def add_locale(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument(
        "--locale",
        choices=[loc.value for loc in Locale],
        default=default,
        help=f"wording and services: uk (A&E, 999, 111, GP) or us (ER, 911); default from ${LOCALE_ENV} or uk",
    )


def add_asr_options(parser: argparse.ArgumentParser, asr_help: str, model_help: str) -> None:
    """--asr (choices from ``asr.Kind``) and --model."""
    parser.add_argument("--asr", choices=[kind.value for kind in Kind], default=Kind.AUTO.value, help=asr_help)
    parser.add_argument("--model", metavar="PATH", help=model_help)


MODEL_DIR_HELP = f"models folder (default ${MODELS_ENV} or models/)"
