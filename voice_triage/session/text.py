"""Typed and JSON-lines sessions: the conversation over stdin and stdout.

Text mode prints each sentence the assistant says as one plain line (no prompt characters, colours
or cursor tricks, so a screen reader reads exactly the words and a braille display can follow them a
line at a time), ends with an ``Urgency: <level>.`` line, and reads one answer per line, so it also
works with piped input. On a terminal the answer line can be edited with the arrow keys (readline,
imported only then). Text has no voice: "slower" and "faster" say so. JSON mode (``--json``) is a
protocol for other programs: stdout carries only JSON lines (``ask``, ``say``, ``decision``,
``end``), and one answer line is read after each ``ask``. In both, the end of input ends the
session with the safety message, exit 0.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
import time
from pathlib import Path
from typing import Any, Final, TextIO

from .. import interrupts
from ..clinical.catalogue import Level, Locale, load_rulebook
from ..dialogue.conversation import Ask, Conversation, Decided, End, Event, RateChanged, Say
from ..errors import OutputError
from .report import Recorder, check_report_path, write_report

#: Longest answer line read; the rest of a longer line is skipped. Far beyond any typed answer,
#: small enough that a pasted file or a line with no end cannot exhaust memory.
MAX_LINE: Final = 4096
#: Longest line read at all (characters); beyond this the input is taken to have ended. Bounds the
#: time spent on a line with no end (``< /dev/zero``), not just the memory.
MAX_LINE_READ: Final = 64 * 1024 * 1024
#: What text mode says instead of the conversation's "I will speak more slowly" (or faster): there
#: is no voice to change. Kept here, not in grammars/questions.yaml, because the conversation has
#: one phrase for every front end; it belongs there as a text-mode phrase once the grammar has one.
NO_VOICE_IN_TEXT: Final = ("There is no voice in text mode, so nothing changes: "
                           "your screen reader sets its own speed.")
#: Where one sentence ends and the next begins: ., ? or ! (and a closing quote or bracket), a
#: space, then a capital, a digit or an opening quote. "e.g. the" and "1.5" stay whole.
_SENTENCE_BREAK: Final = re.compile(r"""([.?!]["'\u201d\u2019)]*)\s+(?=["'\u201c\u2018(]?[A-Z0-9])""")


def sentences(text: str) -> list[str]:
    """``text`` as the lines text mode prints: one sentence a line, no empty lines."""
    return [line.strip() for line in _SENTENCE_BREAK.sub("\\1\n", text).splitlines() if line.strip()]


def urgency_line(level: Level) -> str:
    """The last line of a text session, as ``voice-triage triage`` prints its first."""
    return f"Urgency: {level.value.replace('_', ' ')}."


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
            "findings": event.findings.as_json(),
            "reasons": [reason.as_json() for reason in decision.reasons],
            # The advice actually spoken: after an early end never the self-care advice (rule 9).
            "advice": event.spoken or decision.advice,
            "safety_net": decision.safety_net,
            "complete": event.complete,
            "end": event.reason.value,
        }
    if isinstance(event, End):
        return {"event": "end", "reason": event.reason.value}
    return None  # RateChanged: speech rate means nothing on a text stream


class TextChannel:
    """Writes events to ``out`` as plain lines or JSON lines; reads answer lines from ``src``.

    A closed or failing ``out`` (closed, a full disk, a reader gone) does not lose the safety
    message: the channel notes the failure (``broken``) and says the rest on ``err`` as plain text.
    A missing ``src`` (stdin closed) is the end of input."""

    def __init__(self, src: TextIO | None, out: TextIO | None, json_mode: bool,
                 err: TextIO | None = None, line_editing: bool = False) -> None:
        self.src = src
        self.out = out
        self.json_mode = json_mode
        self.line_editing = line_editing  # read with input(): readline is on (``src`` is the terminal)
        self.level: Level | None = None  # the decision's level, for the closing Urgency line
        self.err = err if err is not None else sys.stderr
        self.broken: Exception | None = None if out is not None else OSError("standard output is closed")
        self.ended = False  # the input ended (EOF, closed stdin, a line that never ends)

    def show(self, events: list[Event]) -> None:
        if self.broken is None:
            try:
                self._write(events, self.out, self.json_mode)
                return
            except (OSError, ValueError, AttributeError, OutputError) as exc:
                self.broken = exc
        with contextlib.suppress(Exception):  # the last place left to say it
            self._write(events, self.err, False)

    def _write(self, events: list[Event], out: TextIO | None, json_mode: bool) -> None:
        if out is None:
            raise OSError("standard output is closed")
        if json_mode:
            for event in events:
                obj = event_json(event)
                if obj is not None:
                    out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        else:
            for line in self.plain_lines(events):
                out.write(line + "\n")
        out.flush()

    def plain_lines(self, events: list[Event]) -> list[str]:
        """The lines text mode prints for ``events``: a sentence a line; after a rate change the
        conversation's "I will speak more slowly" becomes :data:`NO_VOICE_IN_TEXT`; the end
        of the session adds the :func:`urgency_line`."""
        lines: list[str] = []
        rate_changed = False
        for event in events:
            if isinstance(event, RateChanged):
                rate_changed = True
            elif isinstance(event, Say | Ask):
                said = NO_VOICE_IN_TEXT if rate_changed and isinstance(event, Say) else event.text
                rate_changed = False
                lines += sentences(said)
            elif isinstance(event, Decided):
                self.level = event.decision.level
            elif isinstance(event, End) and self.level is not None:
                lines.append(urgency_line(self.level))
        return lines

    def read(self) -> str | None:
        """One answer line without its line end; None at the end of input.

        At most ``MAX_LINE`` characters are kept and at most ``MAX_LINE_READ`` read: a line that
        goes on beyond that (``< /dev/zero``) is the end of input, not a wait without end."""
        if self.src is None or self.ended:
            self.ended = True
            return None
        if self.line_editing:
            return self._edited_line()
        try:
            line = self.src.readline(MAX_LINE)
            if line == "":
                self.ended = True
                return None
            if not line.endswith("\n"):
                skipped, rest = len(line), line
                while rest and not rest.endswith("\n"):  # skip the rest of an over-long line
                    if skipped >= MAX_LINE_READ:
                        self.ended = True
                        return None
                    rest = self.src.readline(MAX_LINE)
                    skipped += len(rest)
        except (OSError, ValueError):  # stdin closed under us, or unreadable: the input has ended
            self.ended = True
            return None
        return line.rstrip("\r\n")


    def _edited_line(self) -> str | None:
        """A line typed on the terminal through readline (arrow keys, Home, End, history)."""
        try:
            line = input()
        except EOFError:  # Ctrl-D
            line = None
        except (OSError, ValueError):  # the terminal went away
            line = None
        if line is None:
            self.ended = True
            return None
        return line[:MAX_LINE].rstrip("\r\n")


def line_editing_on(src: TextIO | None) -> bool:
    """Turn readline on for ``src`` when it is the process's terminal; False when piped or a file.

    readline is imported only here, so piped sessions never load it. Bracketed paste and the meta
    key are switched off: both send escape sequences to the terminal that a screen reader may read."""
    if src is None or src is not sys.stdin:
        return False
    try:
        if not src.isatty():
            return False
        import readline
    except (ImportError, OSError, ValueError, AttributeError):
        return False
    for setting in ("set enable-bracketed-paste off", "set enable-meta-key off"):
        with contextlib.suppress(Exception):
            readline.parse_and_bind(setting)
    return True


def _tolerant(stream: TextIO | None) -> TextIO | None:
    """Undecodable bytes become U+FFFD (a line of nonsense), never a traceback."""
    if isinstance(stream, io.TextIOWrapper):
        with contextlib.suppress(Exception):
            stream.reconfigure(errors="replace")
    return stream


def drive(conversation: Conversation, channel: TextChannel, recorder: Recorder | None = None) -> int:
    """Run ``conversation`` to its end over ``channel``; returns the exit status.

    Every way out ends with the closing events (the safety message): the end of input, "stop",
    a signal (SIGINT, SIGTERM, SIGHUP: exit 128 + its number) and a standard output that fails."""
    status = 0
    try:
        interrupts.check()  # a signal that came while the session was being set up
        channel.show(conversation.start())
        while not conversation.done and channel.broken is None:
            ask = conversation.current
            if recorder:
                recorder.prompted()
            line = channel.read()
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
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP: still end with the safety message
        status = interrupts.status_of(exc)
    if not conversation.done:
        ask = conversation.current
        events = conversation.end_of_input()
        if recorder:
            recorder.turn(ask, None, "end_of_input", conversation, 0.0)
        channel.show(events)
    return status


def run_text_session(locale: str = Locale.UK.value, *, json_mode: bool = False, report: Path | None = None,
                     src: TextIO | None = None, out: TextIO | None = None,
                     conversation: Conversation | None = None) -> int:
    """``voice-triage session --text [--json] [--report FILE]``: returns the exit status.

    OutputError when standard output failed (the safety message then went to stderr)."""
    if report is not None:
        check_report_path(report)
    if conversation is None:
        from ..dialogue.questions import load_questions
        from ..nlu.matcher import load_matcher

        with interrupts.quiet(deliver=False):  # a signal now is delivered once the session can hang up
            conversation = Conversation(load_rulebook(), load_matcher(), load_questions(), locale,
                                        offer_repeat=not json_mode)
    source = _tolerant(src if src is not None else sys.stdin)
    channel = TextChannel(source, out if out is not None else sys.stdout, json_mode,
                          line_editing=line_editing_on(source))
    recorder = Recorder("json" if json_mode else "text", conversation.locale.value) if report else None
    status = drive(conversation, channel, recorder)
    if report is not None and recorder is not None:
        write_report(report, recorder.record(conversation))
    broken = channel.broken
    if broken is not None:
        pipe = isinstance(broken, BrokenPipeError) or getattr(broken, "pipe_closed", False)
        why = str(broken).removeprefix("cannot write to standard output: ")
        raise OutputError(f"cannot write to standard output: {getattr(broken, 'strerror', None) or why}; "
                          "the session ended and its closing advice went to stderr", pipe)
    return status
