"""``serve``: the Wyoming service for Home Assistant (voice_triage/wyoming/)."""

from __future__ import annotations

import argparse
from typing import Any

from ..settings import DEFAULT_SPEECH_RATE, MAX_SERVE_TIMEOUT_S
from ..wyoming.options import DEFAULT_TIMEOUT_S, DEFAULT_URI
from .common import add_asr_options, add_locale, bounded_float, command, resolve_voice, speech_rate


def cmd_serve(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..audio.speaker import check_settings, check_voice
    from ..clinical import Locale
    from ..wyoming.options import ServeOptions
    from ..wyoming.server import serve

    check_settings(args.rate, 1.0)
    voice = resolve_voice(args.voice) if args.voice else None
    if voice:
        check_voice(voice)  # a bad name now, not at the first tts request
    options = ServeOptions(uri=args.uri, locale=Locale(args.locale), timeout_s=args.timeout, asr=args.asr,
                           model=Path(args.model) if args.model else None, voice=voice, rate=args.rate)
    return serve(options)


def register(sub: Any, locale_default: str) -> None:
    p = command(sub, "serve", "a Wyoming service for Home Assistant: conversation agent, tts and asr",
                "voice-triage serve --uri tcp://0.0.0.0:10700 --locale uk")
    p.add_argument("--uri", default=DEFAULT_URI, help=f"where to listen: tcp://HOST:PORT or unix://PATH "
                                                      f"(default {DEFAULT_URI}; port 0 picks a free one)")
    timeout = bounded_float("--timeout", 0.0, MAX_SERVE_TIMEOUT_S, "seconds", above_low=True)
    p.add_argument("--timeout", type=timeout, default=DEFAULT_TIMEOUT_S, metavar="S",
                   help=f"idle seconds that end a conversation (default {DEFAULT_TIMEOUT_S:g})")
    add_locale(p, locale_default)
    add_asr_options(p, "recognizer for asr: vosk when a model is installed (auto), else pocketsphinx",
                    "Vosk model folder (default: models/ or $VOICE_TRIAGE_MODELS)")
    p.add_argument("--voice", default=None, help="espeak-ng voice for tts (default: the locale's, gmw/en or gmw/en-US)")
    p.add_argument("--rate", type=speech_rate, default=DEFAULT_SPEECH_RATE,
                   help=f"tts words per minute (default {DEFAULT_SPEECH_RATE})")
    p.set_defaults(func=cmd_serve)
