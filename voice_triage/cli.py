"""The ``voice-triage`` command line.

Each subcommand parses its options here and hands over to the module for its pipeline stage,
imported lazily so that ``triage`` or ``understand`` never load audio libraries. Every
``TriageError`` becomes one line on stderr and its exit status: never a traceback.
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


# --- understand -----------------------------------------------------------------------------------


def understand_text(text: str) -> dict[str, Any]:
    """Understanding of one utterance as the ``understand --json`` object (keys are a contract)."""
    from .intent import load_matcher

    return load_matcher().understand(text).as_json()


def print_understanding(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(result)
        return
    parts = [f"answer: {result['answer'] or 'not understood'}"]
    if result.get("rate"):
        parts.append(f"rate: {result['rate']}")
    for f in result["findings"]:
        parts.append(f"{f['id']} {'present' if f['present'] else 'absent'} ({f['span']!r}, {f['score']:.2f})")
    print("; ".join(parts))


def question_phrases(question_id: str | None) -> tuple[str, ...] | None:
    """The phrase list a recognizer is held to for a question id (no id: the yes/no answers)."""
    from .grammar import load_grammar

    kind, about = "yes_no", ()
    if question_id is not None:
        from .questions import load_questions, question_list

        rows = {row["id"]: row for row in question_list(load_questions(), load_rulebook(), Locale.UK)}
        if question_id not in rows:
            raise UsageError(f"--question {question_id!r} is not a question id (see 'voice-triage questions')")
        kind, about = rows[question_id]["kind"], tuple(rows[question_id]["asks_about"])
    return load_grammar().constraint_for(kind, about)


def understand_audio(args: argparse.Namespace) -> dict[str, Any]:
    """Recognize a WAV file held to the question's phrases, then understand the transcript."""
    from pathlib import Path

    from .audio import read_wav
    from .recognizer import Status, open_recognizer

    phrases = question_phrases(args.question)
    audio = read_wav(args.audio)
    recognizer = open_recognizer(args.asr, Path(args.model) if args.model else None)
    transcript = recognizer.transcribe(audio.samples, phrases)
    result = understand_text(transcript.text if transcript.status is Status.OK else "")
    result["transcript"] = transcript.as_json()
    result["recognizer"] = transcript.recognizer
    return result


def cmd_understand(args: argparse.Namespace) -> int:
    if args.audio is not None:
        if args.text is not None:
            raise UsageError("understand takes TEXT or --audio FILE.wav, not both")
        result = understand_audio(args)
        if not args.json and result["transcript"]["status"] != "ok":
            print(f"heard: nothing usable ({result['transcript']['status'].replace('_', ' ')})")
            return 0
        if not args.json:
            print(f"heard: {result['transcript']['text']!r} ({result['recognizer']})")
        print_understanding(result, args.json)
        return 0
    if args.question is not None:
        raise UsageError("--question applies only with --audio")
    if args.text is None:
        raise UsageError("understand needs TEXT (the words to understand) or --audio FILE.wav")
    print_understanding(understand_text(args.text), args.json)
    return 0


# --- devices / say / models (audio in and out) ----------------------------------------------------


def cmd_devices(args: argparse.Namespace) -> int:
    from .microphone import list_devices

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

    from .microphone import parse_device
    from .speaker import Speaker, write_wav

    speaker = Speaker(args.rate, args.volume, args.voice, parse_device(args.output_device))
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

    from . import models
    from .errors import ModelError

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


def add_audio_commands(sub: Any) -> None:
    from .speaker import DEFAULT_RATE

    p = sub.add_parser("devices", help="list audio input and output devices")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=cmd_devices)

    p = sub.add_parser("say", help="speak TEXT, or write it to a WAV file with --out")
    p.add_argument("text", metavar="TEXT")
    p.add_argument("--out", metavar="FILE.wav", help="write a WAV file instead of playing")
    add_speech_options(p, DEFAULT_RATE)
    p.set_defaults(func=cmd_say)

    p = sub.add_parser("models", help="download, list or verify speech models")
    p.add_argument("action", choices=["download", "list", "verify"])
    p.add_argument("name", nargs="?", metavar="NAME|PATH", help="model name (default vosk-model-small-en-us-0.15)")
    p.add_argument("--dir", metavar="DIR", help="models folder (default $VOICE_TRIAGE_MODELS or models/)")
    p.add_argument("--json", action="store_true", help="print JSON (list, verify)")
    p.set_defaults(func=cmd_models)


def cmd_voice_session(args: argparse.Namespace, report: Any) -> int:
    from pathlib import Path

    from .microphone import parse_device
    from .session_voice import VoiceOptions, run_voice_session

    options = VoiceOptions(
        asr=args.asr, model=Path(args.model) if args.model else None, input_device=parse_device(args.input_device),
        output_device=parse_device(args.output_device), silence_ms=args.silence_ms, no_input_s=args.no_input_s,
        rate=args.rate, volume=args.volume, voice=args.voice, locale=args.locale,
    )
    status, _result = run_voice_session(options, report)
    return status


def add_voice_options(p: argparse.ArgumentParser) -> None:
    """Options of the voice session (ignored with --text)."""
    from .microphone import DEFAULT_NO_INPUT_S, DEFAULT_SILENCE_MS
    from .speaker import DEFAULT_RATE

    p.add_argument("--asr", choices=["auto", "vosk", "pocketsphinx"], default="auto",
                   help="recognizer: vosk when a model is installed (auto), else pocketsphinx")
    p.add_argument("--model", metavar="PATH", help="Vosk model folder (default: models/ or $VOICE_TRIAGE_MODELS)")
    p.add_argument("--input-device", metavar="ID|NAME", help="microphone (see 'voice-triage devices')")
    p.add_argument("--silence-ms", type=int, default=DEFAULT_SILENCE_MS, metavar="MS",
                   help=f"pause that ends an answer (default {DEFAULT_SILENCE_MS}; raise it for slow speech)")
    p.add_argument("--no-input-s", type=float, default=DEFAULT_NO_INPUT_S, metavar="S",
                   help=f"wait for an answer to start before reprompting (default {DEFAULT_NO_INPUT_S:g})")
    add_speech_options(p, DEFAULT_RATE)


def add_speech_options(p: argparse.ArgumentParser, default_rate: int) -> None:
    p.add_argument("--rate", type=int, default=default_rate, help=f"words per minute (default {default_rate})")
    p.add_argument("--volume", type=float, default=1.0, help="0.0–1.0 (default 1.0)")
    p.add_argument("--voice", default=None, help="espeak-ng voice, e.g. gmw/en or gmw/en-us")
    p.add_argument("--output-device", default=None, metavar="ID|NAME", help="speaker (see 'voice-triage devices')")


# --- replay / synth (recorded-audio testing) -----------------------------------------------------


def cmd_replay(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .replay_batch import replay_batch, replay_single

    target = Path(args.target)
    report_dir = Path(args.report_dir) if args.report_dir else None
    if target.is_dir():
        return replay_batch(target, report_dir, args.json, args.jobs, args.asr, args.model)
    return replay_single(target, report_dir, args.json, args.asr, args.model)


def cmd_synth(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .synth import synth_suite

    written = synth_suite(Path(args.personas), Path(args.out))
    print(f"wrote {len(written)} manifests under {args.out} (replay them with 'voice-triage replay {args.out}')")
    return 0


def add_replay_commands(sub: Any) -> None:
    p = sub.add_parser("replay", help="replay recorded answers (a manifest, or a folder of them) and check the outcome")
    p.add_argument("target", metavar="MANIFEST|DIR", help="a manifest (YAML or JSON) or a folder of manifests")
    p.add_argument("--report-dir", metavar="DIR", help="write JSON and HTML reports here (created owner-only)")
    p.add_argument("--json", action="store_true", help="print one JSON object (the report, or the batch summary)")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="replay a folder with N processes (default 1)")
    p.add_argument("--asr", choices=["auto", "vosk", "pocketsphinx"], default="auto",
                   help="recognizer (default auto: Vosk when a model is installed, else pocketsphinx)")
    p.add_argument("--model", metavar="PATH", help="Vosk model folder")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("synth", help="generate recorded answers and manifests from a persona file")
    p.add_argument("personas", metavar="PERSONAS", help="persona file (YAML)")
    p.add_argument("--out", default="replay-suite", metavar="DIR", help="output folder (default replay-suite)")
    p.set_defaults(func=cmd_synth)


# --- session / questions ---------------------------------------------------------------------------


def cmd_session(args: argparse.Namespace) -> int:
    from pathlib import Path

    report = Path(args.report) if args.report else None
    if not (args.text or args.json):
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

    p = sub.add_parser("understand", help="show the answer and findings understood from words")
    p.add_argument("text", nargs="?", metavar="TEXT", help="what the person said or typed")
    p.add_argument("--audio", metavar="FILE.wav", help="recognize a WAV file (8–48 kHz, mono or stereo) instead")
    p.add_argument("--question", metavar="ID", help="with --audio: the question answered (its phrases; default yes/no)")
    p.add_argument("--asr", choices=["auto", "vosk", "pocketsphinx"], default="auto",
                   help="recognizer: auto uses Vosk when a model is installed, else pocketsphinx")
    p.add_argument("--model", metavar="PATH", help="Vosk model folder (default: the models folder)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_understand)

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
