"""Helpers every command module shares: the program name, the one-line-error parser, JSON output,
the locale and recognizer options. Command modules import this; this imports none of them."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TextIO, cast

from ..asr.base import Kind
from ..clinical import Locale
from ..errors import EXIT_USAGE, ExitStatus, OutputError, SpeechError, UsageError
from ..settings import (
    LOCALE_ENV,
    MAX_SPEECH_RATE,
    MIN_SPEECH_RATE,
    MODELS_ENV,
    VOICE_LIST_TIMEOUT_S,
)

PROG = "voice-triage"


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the problem (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        # "argument --rate: --rate 20 is outside ...": the checks of this module name their option.
        message = re.sub(r"^argument (\S+): (?=\1 )", "", message)
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


# --- what every command's --help says -------------------------------------------------------------


def exit_status_help() -> str:
    """The ``exit status:`` block of every ``--help``, from ``errors.ExitStatus`` (written once)."""
    width = max(len(str(status.value)) for status in ExitStatus)
    rows = [f"  {status.value:<{width}}  {status.meaning}" for status in ExitStatus]
    return "\n".join(["exit status:", *rows])


def help_epilog(*examples: str) -> str:
    """``example:`` lines, then the exit statuses."""
    heading = "example:" if len(examples) == 1 else "examples:"
    return "\n".join([heading, *(f"  {example}" for example in examples), "", exit_status_help()])


def command(sub: Any, name: str, summary: str, *examples: str) -> argparse.ArgumentParser:
    """A subcommand whose ``--help`` has its one-line description, examples and the exit statuses;
    ``summary`` is also its line in the top-level listing."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=summary, description=summary[:1].upper() + summary[1:] + ".", epilog=help_epilog(*examples),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    return parser


# --- values every command checks the same way (a bad one: one line, exit status 2) ----------------


def _number(kind: Callable[[str], float], option: str, text: str, what: str) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{option} {text!r} is not {what}") from None
    return value


def bounded_int(option: str, low: int, high: int | None = None, unit: str = "") -> Callable[[str], int]:
    """An argparse ``type`` for ``option``: a whole number from ``low`` to ``high`` (inclusive;
    None: no top). Its message names the option and the value (``--rate 20 is outside ...``)."""
    def parse(text: str) -> int:
        value = int(_number(int, option, text, "a whole number"))
        unit_text = f" {unit}" if unit else ""
        if high is None and value < low:
            raise argparse.ArgumentTypeError(f"{option} {value}: give {low} or more{unit_text}")
        if high is not None and not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{option} {value} is outside {low}–{high}{unit_text}")
        return value
    parse.__name__ = "whole number"
    return parse


def bounded_float(option: str, low: float, high: float, unit: str = "", *,
                  above_low: bool = False) -> Callable[[str], float]:
    """An argparse ``type`` for ``option``: a number from ``low`` to ``high`` (``above_low``:
    ``low`` itself is refused). NaN and infinities are refused too."""
    def parse(text: str) -> float:
        value = _number(float, option, text, "a number")
        unit_text = f" {unit}" if unit else ""
        if above_low and not low < value <= high:  # NaN fails every comparison
            raise argparse.ArgumentTypeError(f"{option} {text}: give a number above {low:g}, at most {high:g}"
                                             f"{unit_text}")
        if not above_low and not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{option} {text} is outside {low:g}–{high:g}{unit_text}")
        return value
    parse.__name__ = "number"
    return parse


#: --rate of ``say``, ``session`` (voice or --text) and ``serve``: one range, from settings.py.
speech_rate = bounded_int("--rate", MIN_SPEECH_RATE, MAX_SPEECH_RATE, "words per minute")
#: --volume: a fraction of full scale.
speech_volume = bounded_float("--volume", 0.0, 1.0)
#: --jobs and every other count of workers: at least one.
job_count = bounded_int("--jobs", 1)


def espeak_voices() -> list[tuple[str, list[str]]]:
    """Each voice ``espeak-ng --voices`` lists: (its file, the names it answers to, lower case:
    the file, the file's last part, the voice name, its language, then its other languages)."""
    import re
    import shutil
    import subprocess

    binary = shutil.which("espeak-ng")
    if binary is None:
        raise SpeechError("espeak-ng is not installed, so --voice cannot be checked (install it: make system)")
    try:
        listing = subprocess.run([binary, "--voices"], capture_output=True, text=True, errors="replace",
                                 timeout=VOICE_LIST_TIMEOUT_S, check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise SpeechError(f"espeak-ng cannot list its voices: {exc}") from exc
    voices: list[tuple[int, str, list[str]]] = []
    for line in listing.splitlines()[1:]:  # the first line is the heading
        parts = line.split()
        if len(parts) < 5 or not parts[0].isdigit():
            continue
        language, name, file = parts[1].lower(), parts[3].lower(), parts[4].lower()
        others = [other.lower() for other in re.findall(r"\(([^\s()]+)\s+\d+\)", " ".join(parts[5:]))]
        voices.append((int(parts[0]), file,
                       [file, file.rsplit("/", 1)[-1], name, name.replace("_", " "), language, *others]))
    return [(file, names) for _priority, file, names in sorted(voices, key=lambda row: row[0])]  # espeak-ng's order


def resolve_voice(voice: str) -> str:
    """The espeak-ng voice file for --voice as espeak-ng lists it: a file (gmw/en-us), a voice
    name (English_(Great_Britain)) or a language (en-gb), with an optional variant (+f3). A
    language picks espeak-ng's own first choice for it. A UsageError if espeak-ng lists nothing by
    that name; a SpeechError if espeak-ng cannot be asked."""
    base, plus, variant = voice.strip().partition("+")
    wanted = base.strip().lower()
    if not wanted:
        raise UsageError(f"--voice {voice!r}: an empty voice name (e.g. gmw/en, en-gb, en-us)")
    voices = espeak_voices()
    for rank in range(3):  # a file or name first, then a language, then an "other language"
        for file, names in voices:
            if wanted in (names[:4] if rank == 0 else names[4:5] if rank == 1 else names[5:]):
                return file + plus + variant
    raise UsageError(f"--voice {voice!r} is not a voice espeak-ng lists (e.g. gmw/en, en-gb, en-us; "
                     "see 'espeak-ng --voices=en')")
