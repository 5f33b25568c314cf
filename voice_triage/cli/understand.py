"""``understand``: what an answer means, typed or from a WAV file (no audio library for text)."""

from __future__ import annotations

import argparse
from typing import Any

from ..clinical import Locale, load_rulebook
from ..errors import UsageError
from .common import add_asr_options, emit_json


def understand_text(text: str) -> dict[str, Any]:
    """Understanding of one utterance as the ``understand --json`` object (keys are a contract)."""
    from ..nlu.matcher import load_matcher

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
    from ..nlu.grammar import load_grammar

    kind, about = "yes_no", ()
    if question_id is not None:
        from ..dialogue.questions import load_questions, question_list

        rows = {row["id"]: row for row in question_list(load_questions(), load_rulebook(), Locale.UK)}
        if question_id not in rows:
            raise UsageError(f"--question {question_id!r} is not a question id (see 'voice-triage questions')")
        kind, about = rows[question_id]["kind"], tuple(rows[question_id]["asks_about"])
    return load_grammar().constraint_for(kind, about)


def understand_audio(args: argparse.Namespace) -> dict[str, Any]:
    """Recognize a WAV file held to the question's phrases, then understand the transcript (the
    open reply written beside it when the turn driver would take that: ``transcript.from_open``)."""
    from pathlib import Path

    from ..asr.base import Status
    from ..audio.wav import read_wav
    from ..nlu.matcher import load_matcher
    from ..session.turn import open_listener, open_reading

    phrases = question_phrases(args.question)
    audio = read_wav(args.audio)
    recognizer = open_listener(args.asr, Path(args.model) if args.model else None)
    # Read as a session's turn reads it (session/turn.py): Moonshine's open reply may be the answer,
    # and then it is doubted (``hedged``) as the conversation doubts it.
    transcript = open_reading(recognizer.transcribe(audio.samples, phrases), load_matcher())
    result = understand_text(transcript.text if transcript.status is Status.OK else "")
    if transcript.from_open:
        result["hedged"] = True
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


def register(sub: Any) -> None:
    from .common import command  # the --help description, example and exit statuses

    p = command(sub, "understand", "show the answer and findings understood from words",
                "voice-triage understand \"no, but my left leg is numb\" --json",
                "voice-triage understand --audio answer.wav --question saddle")
    p.add_argument("text", nargs="?", metavar="TEXT", help="what the person said or typed")
    p.add_argument("--audio", metavar="FILE.wav", help="recognize a WAV file (8–48 kHz, mono or stereo) instead")
    p.add_argument("--question", metavar="ID", help="with --audio: the question answered (its phrases; default yes/no)")
    add_asr_options(p, "recognizer: auto uses Vosk when a model is installed, else pocketsphinx",
                    "Vosk model folder (default: the models folder)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_understand)
