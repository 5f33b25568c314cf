"""``devices``, ``say`` and ``models``: the audio devices, speech output and speech models."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import MODEL_DIR_HELP, PROG, command, emit_json, resolve_voice
from .session import add_speech_options


def cmd_devices(args: argparse.Namespace) -> int:
    from ..audio.microphone import list_devices

    devices = list_devices()
    if args.json:
        emit_json([d.as_json() for d in devices])
        return 0
    if not devices:
        print("No audio devices found: no microphone or speaker is visible to PortAudio. "
              "Use 'voice-triage session --text' to answer by typing.")
        return 0
    for d in devices:
        marks = (" [default input]" if d.default_input else "") + (" [default output]" if d.default_output else "")
        print(f"{d.index}: {d.name} ({d.host_api}; {d.inputs} in, {d.outputs} out; {d.default_rate:.0f} Hz){marks}")
    if not any(d.inputs for d in devices):
        print("No input device: voice sessions fall back to text mode.")
    return 0


def cmd_say(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..audio.microphone import parse_device
    from ..audio.speaker import Speaker, write_wav

    voice = resolve_voice(args.voice) if args.voice else None
    speaker = Speaker(args.rate, args.volume, voice, parse_device(args.output_device))
    if args.out:
        write_wav(Path(args.out), speaker.render(args.text), args.volume)
        return 0
    print(args.text)
    played = speaker.say(args.text)
    if not played.played:
        sys.stderr.write(f"{PROG}: {played.error}; the text is shown above\n")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..asr import models
    from ..errors import ModelError

    root = Path(args.dir) if args.dir else None
    if args.action == "download":
        path = models.download(args.name or models.DEFAULT_MODEL, root)
        print(f"{path.name} is installed in {path}")
        return 0
    if args.action == "list":
        rows = models.list_models(root)
        if args.json:
            emit_json([r.as_json() for r in rows])
        for r in [] if args.json else rows:
            state = "installed" if r.ok else ("damaged: " + "; ".join(r.problems) if r.installed else "not installed")
            known = "" if r.known else " (not a pinned model)"
            print(f"{r.name}: {state}{known} [{r.path}]")
        return 0
    result = models.status(args.name, root)
    if args.json:
        emit_json(result.as_json())
    if not result.installed:
        raise ModelError(f"{result.name} is not installed in {result.path.parent}; get it with "
                         "'voice-triage models download' (offline: see models/README.md)")
    if not result.ok:
        raise ModelError(f"{result.path}: {'; '.join(result.problems)}; reinstall with 'voice-triage models download'")
    if not args.json:
        print(f"{result.name}: OK ({result.path})")
    return 0


def register(sub: Any) -> None:
    p = command(sub, "devices", "list audio input and output devices", "voice-triage devices --json")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=cmd_devices)

    p = command(sub, "say", "speak TEXT, or write it to a WAV file with --out",
                "voice-triage say 'Is the pain getting worse?' --voice en-gb --rate 130 --out question.wav")
    p.add_argument("text", metavar="TEXT")
    p.add_argument("--out", metavar="FILE.wav", help="write a WAV file instead of playing")
    add_speech_options(p)
    p.set_defaults(func=cmd_say)

    p = command(sub, "models", "download, list or verify speech models", "voice-triage models verify",
                "voice-triage models download vosk-model-small-en-us-0.15")
    p.add_argument("action", choices=["download", "list", "verify"])
    p.add_argument("name", nargs="?", metavar="NAME|PATH", help="model name (default vosk-model-small-en-us-0.15)")
    p.add_argument("--dir", metavar="DIR", help=MODEL_DIR_HELP)
    p.add_argument("--json", action="store_true", help="print JSON (list, verify)")
    p.set_defaults(func=cmd_models)
