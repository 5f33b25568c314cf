"""``session`` (by voice, or typed with --text) and ``questions``."""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

from ..clinical import Locale, load_rulebook
from ..settings import (
    DEFAULT_NO_INPUT_S,
    DEFAULT_SILENCE_MS,
    DEFAULT_SPEECH_RATE,
    MAX_NO_INPUT_S,
    MAX_SILENCE_MS,
    MIN_NO_INPUT_S,
    MIN_SILENCE_MS,
    VoiceOptions,
)
from .common import (
    add_asr_options,
    add_locale,
    bounded_float,
    bounded_int,
    command,
    emit_json,
    resolve_voice,
    speech_rate,
    speech_volume,
)


def cmd_session(args: argparse.Namespace) -> int:
    from pathlib import Path

    report = Path(args.report) if args.report else None
    if not (args.text or args.json):
        return cmd_voice_session(args, report)
    from ..errors import SpeechError
    from ..session.text import run_text_session

    if args.voice:  # unused in text, but a name every other command refuses is refused here too
        with contextlib.suppress(SpeechError):  # text mode needs no espeak-ng: unchecked without it
            resolve_voice(args.voice)

    return run_text_session(args.locale, json_mode=args.json, report=report)


def cmd_questions(args: argparse.Namespace) -> int:
    from ..dialogue.questions import load_questions, question_list

    rows = question_list(load_questions(), load_rulebook(), Locale(args.locale))
    if args.json:
        emit_json(rows)
    else:
        for row in rows:
            about = "any finding" if row["kind"] == "open" else ", ".join(row["asks_about"])
            print(f"{row['id']} ({row['kind']}; {about}): {row['text']}")
    return 0


def cmd_voice_session(args: argparse.Namespace, report: Any) -> int:
    from pathlib import Path

    from ..audio.microphone import parse_device
    from ..session.voice import run_voice_session

    options = VoiceOptions(
        asr=args.asr, model=Path(args.model) if args.model else None, input_device=parse_device(args.input_device),
        output_device=parse_device(args.output_device), silence_ms=args.silence_ms, no_input_s=args.no_input_s,
        rate=args.rate, volume=args.volume, voice=resolve_voice(args.voice) if args.voice else None,
        locale=args.locale,
    )
    status, _result = run_voice_session(options, report)
    return status


def add_voice_options(p: argparse.ArgumentParser) -> None:
    """Options of the voice session (ignored with --text)."""
    add_asr_options(p, "recognizer: vosk when a model is installed (auto), else pocketsphinx",
                    "Vosk model folder (default: models/ or $VOICE_TRIAGE_MODELS)")
    p.add_argument("--input-device", metavar="ID|NAME", help="microphone (see 'voice-triage devices')")
    p.add_argument("--silence-ms", type=bounded_int("--silence-ms", MIN_SILENCE_MS, MAX_SILENCE_MS, "ms"),
                   default=DEFAULT_SILENCE_MS, metavar="MS",
                   help=f"pause that ends an answer (default {DEFAULT_SILENCE_MS}; raise it for slow speech)")
    p.add_argument("--no-input-s", type=bounded_float("--no-input-s", MIN_NO_INPUT_S, MAX_NO_INPUT_S, "seconds"),
                   default=DEFAULT_NO_INPUT_S, metavar="S",
                   help=f"wait for an answer to start before reprompting (default {DEFAULT_NO_INPUT_S:g})")
    add_speech_options(p)


def add_speech_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rate", type=speech_rate, default=DEFAULT_SPEECH_RATE,
                   help=f"words per minute (default {DEFAULT_SPEECH_RATE})")
    p.add_argument("--volume", type=speech_volume, default=1.0, help="0.0–1.0 (default 1.0)")
    p.add_argument("--voice", default=None,
                   help="espeak-ng voice: a file, name or language it lists, e.g. gmw/en, en-gb or en-us")
    p.add_argument("--output-device", default=None, metavar="ID|NAME", help="speaker (see 'voice-triage devices')")


def register(sub: Any, locale_default: str) -> None:
    p = command(sub, "session", "run the triage conversation by voice, or typed with --text",
                "voice-triage session --text --locale us", "voice-triage session --rate 130 --voice en-gb")
    p.add_argument("--text", action="store_true", help="type answers: prompts on stdout, one answer per line on stdin")
    p.add_argument("--json", action="store_true",
                   help="with --text: JSON lines only on stdout (ask, say, decision, end)")
    add_locale(p, locale_default)
    p.add_argument("--report", metavar="FILE.json", help="write the session record here (owner-only file)")
    add_voice_options(p)
    p.set_defaults(func=cmd_session)

    p = command(sub, "questions", "list every question: id, kind, the findings it asks about, its words",
                "voice-triage questions --locale us --json")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    add_locale(p, locale_default)
    p.set_defaults(func=cmd_questions)
