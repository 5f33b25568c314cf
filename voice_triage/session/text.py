"""Typed and JSON-lines sessions: the conversation over stdin and stdout.

Text mode prints each thing the assistant says as one plain line (no prompt characters, colours
or cursor tricks, so a screen reader reads exactly the words) and reads one answer per line, so it
also works with piped input. JSON mode (``--json``) is a protocol for other programs: stdout
carries only JSON lines (``ask``, ``say``, ``decision``, ``end``), and one answer line is read
after each ``ask``. In both, the end of input ends the session with the safety message, exit 0.
"""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path
from typing import Any, Final, TextIO

from ..clinical.catalogue import Locale, load_rulebook
from ..dialogue.conversation import Ask, Conversation, Decided, End, Event, Say
from .report import Recorder, check_report_path, write_report

#: Longest answer line read; the rest of a longer line is skipped. Far beyond any typed answer,
#: small enough that a pasted file or a line with no end cannot exhaust memory.
MAX_LINE: Final = 4096


def event_json(event: Event) -> dict[str, Any] | None:
    """The JSON-lines form of an event (keys are a public contract); None: not part of the protocol."""
    if isinstance(event, Ask):
        return {"event": "ask", "question": event.question, "kind": event.kind.value,
                "asks_about": list(event.asks_about), "text": event.text}
    if isinstance(event, Say):
        return {"event": "say", "text": event.text}
    if isinstance(event, Decided):
        decision = event.decision
        return {
            "event": "decision",
            "level": decision.level.value,
            "findings": {"present": list(event.present), "absent": list(event.absent),
                         "unsure": list(event.unsure)},
            "reasons": [reason.as_json() for reason in decision.reasons],
            "advice": decision.advice,
            "safety_net": decision.safety_net,
        }
    if isinstance(event, End):
        return {"event": "end"}
    return None  # RateChanged: speech rate means nothing on a text stream


class TextChannel:
    """Writes events to ``out`` as plain lines or JSON lines; reads answer lines from ``src``."""

    def __init__(self, src: TextIO, out: TextIO, json_mode: bool) -> None:
        self.src = src
        self.out = out
        self.json_mode = json_mode

    def show(self, events: list[Event]) -> None:
        for event in events:
            if self.json_mode:
                obj = event_json(event)
                if obj is not None:
                    self.out.write(json.dumps(obj, ensure_ascii=False) + "\n")
            elif isinstance(event, Say | Ask):
                self.out.write(event.text + "\n")
        self.out.flush()

    def read(self) -> str | None:
        """One answer line without its line end; None at the end of input."""
        line = self.src.readline(MAX_LINE)
        if line == "":
            return None
        if not line.endswith("\n"):
            rest = line
            while rest and not rest.endswith("\n"):  # skip the rest of an over-long line
                rest = self.src.readline(MAX_LINE)
        return line.rstrip("\r\n")


def _tolerant(stream: TextIO) -> TextIO:
    """Undecodable bytes become U+FFFD (a line of nonsense), never a traceback."""
    if isinstance(stream, io.TextIOWrapper):
        stream.reconfigure(errors="replace")
    return stream


def drive(conversation: Conversation, channel: TextChannel, recorder: Recorder | None = None) -> int:
    """Run ``conversation`` to its end over ``channel``; returns the exit status."""
    channel.show(conversation.start())
    status = 0
    while not conversation.done:
        ask = conversation.current
        if recorder:
            recorder.prompted()
        try:
            line = channel.read()
        except KeyboardInterrupt:  # Ctrl-C: still end with the safety message
            line, status = None, 130
        started = time.perf_counter()
        if line is None:
            received, events = "end_of_input", conversation.end_of_input()
        elif not line.strip():
            received, events = "no_input", conversation.no_input()
        else:
            received, events = "answer", conversation.hear(line)
        if recorder:
            recorder.turn(ask, line, received, conversation, time.perf_counter() - started)
        channel.show(events)
    return status


def run_text_session(locale: str = Locale.UK.value, *, json_mode: bool = False, report: Path | None = None,
                     src: TextIO | None = None, out: TextIO | None = None,
                     conversation: Conversation | None = None) -> int:
    """``voice-triage session --text [--json] [--report FILE]``: returns the exit status."""
    if report is not None:
        check_report_path(report)
    if conversation is None:
        from ..dialogue.questions import load_questions
        from ..nlu.matcher import load_matcher

        conversation = Conversation(load_rulebook(), load_matcher(), load_questions(), locale,
                                    offer_repeat=not json_mode)
    channel = TextChannel(_tolerant(src or sys.stdin), out or sys.stdout, json_mode)
    recorder = Recorder("json" if json_mode else "text", conversation.locale.value) if report else None
    status = drive(conversation, channel, recorder)
    if report is not None and recorder is not None:
        write_report(report, recorder.record(conversation))
    return status
