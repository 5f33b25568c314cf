"""The voice session: speaker → microphone → recognizer → Conversation, until a decision.

The conversation (dialogue.py) is a pure state machine; this loop gives it ears and a voice.
Every prompt is printed as well as spoken (people who are hard of hearing, screen-reader users,
testers), and the transcript of each answer is shown so a mishearing can be seen. The three audio
components are chosen in one place (:func:`open_components`) behind small interfaces, so a
benchmark can drive the same loop with other parts.

Barge-in (stopping a prompt when the person talks over it) is not enabled: without echo
cancellation the prompt itself, heard through the microphone, would interrupt the prompt. The
speaker supports stopping (``Speaker.stop`` / ``interrupt``) for a front end that has it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol, TextIO

from .. import interrupts
from ..asr.base import Recognizer
from ..asr.base import Status as TranscriptStatus
from ..audio.microphone import MicConfig, Microphone, Status, Utterance
from ..audio.speaker import Played, Speaker
from ..errors import DeviceError
from ..settings import VOICE_BY_LOCALE, VoiceOptions
from .turn import hear_audio, open_listener

if TYPE_CHECKING:
    from ..dialogue.conversation import Conversation, Event
    from .report import Recorder

#: Consecutive windows of digital silence (muted/unplugged microphone, or the end of a recorded
#: input) before the session treats the input as gone and ends with the safety message. One is
#: not enough: a noise-gated microphone can be digitally silent while the person thinks.
DEAD_LIMIT: Final = 2
PROG: Final = "voice-triage"


class Listener(Protocol):
    def listen(self) -> Utterance: ...

    def close(self) -> None: ...


class Voice(Protocol):
    def say(self, text: str, interrupt: Callable[[], bool] | None = None) -> Played: ...

    def set_rate_factor(self, factor: float) -> None: ...

    def set_volume_factor(self, factor: float) -> None: ...


@dataclass
class Components:
    mic: Listener
    recognizer: Recognizer
    speaker: Voice

    def close(self) -> None:
        self.mic.close()


@dataclass
class SessionResult:
    status: int = 0
    turns: int = 0
    latencies_s: list[float] = field(default_factory=list)  # end of speech detected → next prompt's 1st sample
    decode_s: list[float] = field(default_factory=list)
    #: Per answered turn with a spoken reply: (latency, of which recognizer decode time) in seconds.
    timings: list[tuple[float, float]] = field(default_factory=list)
    spoken: bool = True  # False once speech output failed and the session went on in text


def open_components(options: VoiceOptions) -> Components:
    """The one place that picks the microphone, recognizer and speaker. DeviceError: no microphone."""
    voice = options.voice or VOICE_BY_LOCALE.get(options.locale)
    speaker = Speaker(options.rate, options.volume, voice, options.output_device)  # bad option: fail first
    mic = Microphone(MicConfig(options.input_device, options.silence_ms, options.no_input_s)).open()
    try:
        recognizer = open_listener(options.asr, options.model)
    except BaseException:
        mic.close()
        raise
    return Components(mic, recognizer, speaker)


class VoiceLoop:
    """Drives one Conversation with the given components; text goes to ``out``, notices to ``err``."""

    def __init__(self, conversation: Conversation, components: Components, recorder: Recorder | None = None,
                 out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> None:
        from ..nlu.grammar import load_grammar

        self.conv = conversation
        self.parts = components
        self.recorder = recorder
        self.grammar = load_grammar()
        self.out = out
        self.err = err
        self.result = SessionResult()
        self._speech_ok = True
        self._pending_end: float | None = None  # when the last answer's end was detected
        self._pending_decode = 0.0  # the recognizer's share of the coming latency

    def _show(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def _speak(self, text: str) -> None:
        self._show(text)  # the text first: it is there even if speech fails
        if not self._speech_ok:
            return
        played = self.parts.speaker.say(text)
        if not played.played:
            self._speech_ok = self.result.spoken = False
            self.err.write(f"{PROG}: speech output failed ({played.error}); showing the text only\n")
            self.err.flush()
        elif self._pending_end is not None and played.first_sample_at is not None:
            latency = played.first_sample_at - self._pending_end
            self.result.latencies_s.append(latency)
            self.result.timings.append((latency, self._pending_decode))
        self._pending_end = None
        self._pending_decode = 0.0

    def _handle(self, events: Sequence[Event]) -> None:
        from ..dialogue.conversation import Ask, RateChanged, Say

        for event in events:
            if isinstance(event, Say | Ask):
                self._speak(event.text)
            elif isinstance(event, RateChanged):
                self.parts.speaker.set_rate_factor(float(event.rate))
                self.parts.speaker.set_volume_factor(float(event.volume))
        if self.recorder is not None:
            self.recorder.prompted()

    def run(self) -> SessionResult:
        try:
            self._loop()
        except DeviceError as exc:  # the microphone died mid-way: never leave without the safety message
            self.err.write(f"{PROG}: {exc}\n")
            self._hang_up()
            self.result.status = exc.exit_status
        except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP: the safety message, then out
            self._speech_ok = False  # be quick: the person wants out
            self._hang_up()
            self.result.status = interrupts.status_of(exc)
        except Exception:
            # A bug: the person still gets the safety message before the error surfaces.
            self.err.write(f"{PROG}: internal error; ending the session\n")
            self._hang_up()
            raise
        return self.result

    def _hang_up(self) -> None:
        if not self.conv.done:
            ask = self.conv.current
            events = self.conv.end_of_input()
            self._record(ask, None, "end_of_input", 0.0)
            self._handle(events)

    def _record(self, ask: Any, answer: str | None, received: str, started: float,
                extra: dict[str, Any] | None = None) -> None:
        if self.recorder is not None:
            process = time.perf_counter() - started if started else 0.0
            self.recorder.turn(ask, answer, received, self.conv, process, extra)

    def _loop(self) -> None:
        interrupts.check()  # a signal that came while the session was being set up
        self._handle(self.conv.start())
        dead = 0
        while not self.conv.done:
            ask = self.conv.current
            utterance = self.parts.mic.listen()
            started = time.perf_counter()
            self.result.turns += 1
            self._pending_end = utterance.detected_at
            if utterance.status is Status.DEAD:
                dead += 1
                if dead >= DEAD_LIMIT:
                    self.err.write(f"{PROG}: the microphone is sending no sound at all; ending the session\n")
                    self._pending_end = None
                    self._hang_up()
                    return
            else:
                dead = 0
            if utterance.status is not Status.SPEECH:
                events = self.conv.no_input()
                self._record(ask, None, "no_input", started)
                self._handle(events)
                continue
            heard = hear_audio(self.conv, self.parts.recognizer, utterance.samples, self.grammar)
            transcript = heard.transcript
            self.result.decode_s.append(transcript.decode_s)
            self._pending_decode = transcript.decode_s
            extra = {"transcript": transcript.as_json(), "speech_s": round(utterance.speech_s, 3)}
            if transcript.status is TranscriptStatus.OK:
                self._show(f'(heard: "{transcript.text}")')
            elif transcript.status is TranscriptStatus.NO_MATCH:
                self._show("(not understood)")
            answer = transcript.text if transcript.status is TranscriptStatus.OK else None
            self._record(ask, answer, heard.received, started, extra)
            self._handle(heard.events)


def run_voice_session(options: VoiceOptions, report: Path | None = None, out: TextIO = sys.stdout,
                      err: TextIO = sys.stderr) -> tuple[int, SessionResult | None]:
    """``voice-triage session``: by voice; with no usable microphone, say so and continue in text."""
    from ..clinical.catalogue import load_rulebook
    from ..dialogue.conversation import Conversation
    from ..dialogue.questions import load_questions
    from ..nlu.matcher import load_matcher
    from .report import Recorder, check_report_path, write_report
    from .text import run_text_session

    if report is not None:
        check_report_path(report)
    try:
        with interrupts.quiet(deliver=False):  # a signal now is delivered once the session can hang up
            components = open_components(options)
    except DeviceError as exc:
        err.write(f"{PROG}: {exc}\n{PROG}: no microphone, so continuing in text mode: type each answer and "
                  "press Enter (or use 'voice-triage session --text').\n")
        err.flush()
        return run_text_session(options.locale, report=report), None
    try:
        with interrupts.quiet(deliver=False):
            conversation = Conversation(load_rulebook(), load_matcher(), load_questions(), options.locale)
            recorder = Recorder("voice", conversation.locale.value) if report is not None else None
        result = VoiceLoop(conversation, components, recorder, out, err).run()
    finally:
        components.close()
    if report is not None and recorder is not None:
        record = recorder.record(conversation)
        record["recognizer"] = getattr(components.recognizer, "name", "")
        write_report(report, record)
    return result.status, result
