"""The voice session: speaker → microphone → recognizer → Conversation, until a decision.

The conversation (dialogue.py) is a pure state machine; this loop gives it ears and a voice.
Every prompt is printed as well as spoken (people who are hard of hearing, screen-reader users,
testers), and the transcript of each answer is shown so a mishearing can be seen. The three audio
components are chosen in one place (:func:`open_components`) behind small interfaces, so a test
or a benchmark can swap the microphone for a recorded one without touching the loop.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol, TextIO

from .errors import DeviceError
from .microphone import MicConfig, Microphone, Status, Utterance
from .speaker import Played, Speaker

#: Consecutive windows of digital silence (muted/unplugged microphone, or the end of a recorded
#: input) before the session treats the input as gone and ends with the safety message. One is
#: not enough: a noise-gated microphone can be digitally silent while the person thinks.
DEAD_LIMIT: Final = 2


class Listener(Protocol):
    def listen(self) -> Utterance: ...

    def close(self) -> None: ...


class Voice(Protocol):
    def say(self, text: str, interrupt: Callable[[], bool] | None = None) -> Played: ...

    def set_rate_factor(self, factor: float) -> None: ...


class Transcriber(Protocol):
    name: str

    def transcribe(self, samples: Any, phrases: Sequence[str] | None) -> Any: ...


@dataclass(frozen=True)
class VoiceOptions:
    asr: str = "auto"
    model: Path | None = None
    input_device: int | str | None = None
    output_device: int | str | None = None
    silence_ms: int = 1200
    no_input_s: float = 8.0
    rate: int = 160
    volume: float = 1.0
    voice: str | None = None
    locale: str = "uk"


@dataclass
class Components:
    mic: Listener
    recognizer: Transcriber
    speaker: Voice

    def close(self) -> None:
        self.mic.close()


@dataclass
class SessionResult:
    decision: Any = None
    turns: int = 0
    latencies_s: list[float] = field(default_factory=list)  # end of speech detected → next prompt's 1st sample
    decode_s: list[float] = field(default_factory=list)
    spoken: bool = True  # False once speech output failed and the session went on in text


def open_components(options: VoiceOptions) -> Components:
    """The one place that picks the microphone, recognizer and speaker. DeviceError: no microphone."""
    from .recognizer import open_recognizer

    mic = Microphone(MicConfig(options.input_device, options.silence_ms, options.no_input_s)).open()
    try:
        recognizer = open_recognizer(options.asr, options.model)  # type: ignore[arg-type]
    except BaseException:
        mic.close()
        raise
    speaker = Speaker(options.rate, options.volume, options.voice, options.output_device)
    return Components(mic, recognizer, speaker)


class VoiceLoop:
    """Drives one Conversation with the given components; printing goes to ``out``."""

    def __init__(self, conversation: Any, components: Components, out: TextIO = sys.stdout,
                 err: TextIO = sys.stderr) -> None:
        from .grammar import load_grammar

        self.conv = conversation
        self.parts = components
        self.grammar = load_grammar()
        self.out = out
        self.err = err
        self.result = SessionResult()
        self._speech_ok = True
        self._pending_end: float | None = None  # when the last answer's end was detected

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
            self.err.write(f"voice-triage: speech output failed ({played.error}); showing the text only\n")
            self.err.flush()
        elif self._pending_end is not None and played.first_sample_at is not None:
            self.result.latencies_s.append(played.first_sample_at - self._pending_end)
        self._pending_end = None

    def _handle(self, events: Sequence[Any]) -> None:
        from .dialogue import Ask, Decided, RateChanged, Say

        for event in events:
            if isinstance(event, Say | Ask):
                self._speak(event.text)
            elif isinstance(event, RateChanged):
                self.parts.speaker.set_rate_factor(float(event.rate))
            elif isinstance(event, Decided):
                self.result.decision = event.decision

    def run(self) -> SessionResult:
        try:
            self._loop()
        except DeviceError as exc:  # the microphone died mid-way: never leave without the safety message
            self.err.write(f"voice-triage: {exc}\n")
            if not self.conv.done:
                self._handle(self.conv.end_of_input())
        except KeyboardInterrupt:
            if not self.conv.done:
                self._speech_ok = False  # be quick: the person wants out
                self._handle(self.conv.end_of_input())
            raise
        return self.result

    def _loop(self) -> None:
        self._handle(self.conv.start())
        dead = 0
        while not self.conv.done:
            ask = self.conv.current
            utterance = self.parts.mic.listen()
            self.result.turns += 1
            if utterance.status is Status.DEAD:
                dead += 1
                if dead >= DEAD_LIMIT:
                    self.err.write("voice-triage: the microphone is sending no sound at all; ending the session\n")
                    self._handle(self.conv.end_of_input())
                    break
                self._pending_end = utterance.detected_at
                self._handle(self.conv.no_input())
                continue
            dead = 0
            self._pending_end = utterance.detected_at
            if utterance.status is Status.NO_INPUT:
                self._handle(self.conv.no_input())
                continue
            phrases = self.grammar.phrases_for(ask.kind, ask.asks_about) if ask is not None else None
            transcript = self.parts.recognizer.transcribe(utterance.samples, phrases)
            self.result.decode_s.append(float(transcript.decode_s))
            if transcript.status == "ok":
                self._show(f'(heard: "{transcript.text}")')
                self._handle(self.conv.hear(transcript.text))
            elif transcript.status == "no_input":
                self._handle(self.conv.no_input())
            else:
                self._show("(not understood)")
                self._handle(self.conv.no_match(transcript.text))


def run_voice_session(options: VoiceOptions, conversation: Any, text_fallback: Callable[[], int],
                      out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> tuple[int, SessionResult | None]:
    """Run by voice; with no usable microphone say so and run ``text_fallback`` instead."""
    try:
        components = open_components(options)
    except DeviceError as exc:
        err.write(f"voice-triage: {exc}\nvoice-triage: no microphone, so continuing in text mode: "
                  "type each answer and press Enter (or use 'voice-triage session --text').\n")
        err.flush()
        return text_fallback(), None
    try:
        result = VoiceLoop(conversation, components, out, err).run()
    finally:
        components.close()
    return 0, result
