"""Helpers every command module shares: the program name, the one-line-error parser, JSON output,
the locale and recognizer options. Command modules import this; this imports none of them."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, NoReturn

from ..asr.base import Kind
from ..clinical import Locale
from ..errors import EXIT_USAGE, UsageError
from ..settings import LOCALE_ENV, MODELS_ENV

PROG = "voice-triage"


class Parser(argparse.ArgumentParser):
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
