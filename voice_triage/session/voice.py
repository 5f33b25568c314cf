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
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol, TextIO

from .. import interrupts
from ..asr.base import CROSS_CHECK_BELOW, Recognizer, Transcript
from ..asr.base import Status as TranscriptStatus
from ..asr.factory import SecondOpinion, longer_than_a_word
from ..audio.microphone import Complete, MicConfig, Microphone, Status, Utterance
from ..audio.speaker import Played, Speaker
from ..errors import DeviceError
from ..nlu.base import Answer
from ..settings import VOICE_BY_LOCALE, VoiceOptions
from .turn import Heard, doubt_phrases, hear_audio, hear_transcript, open_listener, phrases_for, steering_phrases

if TYPE_CHECKING:
    from ..dialogue.conversation import Conversation, Event, Matcher
    from .report import Recorder

#: Consecutive windows of digital silence (muted/unplugged microphone, or the end of a recorded
#: input) before the session treats the input as gone and ends with the safety message. One is
#: not enough: a noise-gated microphone can be digitally silent while the person thinks.
DEAD_LIMIT: Final = 2
PROG: Final = "voice-triage"
#: An answer to the open question with more speech than this (s) is acknowledged aloud while
#: Moonshine writes it (about 0.3 s of one core per second of speech, measured): from 2.5 s of speech
#: the wait would pass about 1 s of silence. Lower: a short "no" to the open question is thanked
#: too; higher: longer silences before the next prompt.
ACK_AFTER_SPEECH_S: Final = 2.5
#: Ending an answer early needs the fast pass to be this sure of its yes or no (its confidence,
#: 0-1). Clear one-word answers score 0.99-1.0 (espeak "yes", "no", "nope" in room noise); a sentence
#: it forces onto a phrase scores less ("I have ..." heard as "yes": 0.64-0.8), and then the answer
#: waits the whole --silence-ms for the rest. Lower: more answers end early, more unfinished
#: sentences are cut; the turn itself still trusts the fast pass from ``CROSS_CHECK_BELOW``.
EARLY_CONFIDENCE: Final = 0.95
#: The key of the acknowledgement in questions.yaml's phrases ("Thank you. One moment.").
ACK_KEY: Final = "acknowledge"


class Listener(Protocol):
    def listen(self, complete: Complete | None = None) -> Utterance: ...

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
    #: The recognizer's fast constrained first pass (pocketsphinx), used to end a whole short answer
    #: early (``Microphone.listen``'s check); None: answers always wait the full --silence-ms.
    fast: Recognizer | None = None

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
    #: Per answered turn with a spoken reply: end of speech (last loud frame) → next prompt's first
    #: sample, s: the quiet waited before the end was decided plus the latency (the felt gap).
    felt_s: list[float] = field(default_factory=list)
    early: int = 0  # answers ended early as whole short answers
    acknowledged: int = 0  # long open answers acknowledged aloud while being written


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
    fast = recognizer.first if isinstance(recognizer, SecondOpinion) else recognizer
    return Components(mic, recognizer, speaker, fast)


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
        self._pending_quiet: float | None = None  # quiet waited before the last answer's end was decided
        #: Phrases the full recognizer would hear again (so the fast pass alone is not its answer).
        self._second_looks = steering_phrases(self.grammar) | doubt_phrases(self.grammar)
        self._early: tuple[Any, Transcript] | None = None  # (samples, transcript) the check decided on

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
            if self._pending_quiet is not None:
                self.result.felt_s.append(self._pending_quiet + latency)
        self._pending_end = None
        self._pending_decode = 0.0
        self._pending_quiet = None

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
            self._early = None
            utterance = self.parts.mic.listen(self._complete if self.parts.fast is not None else None)
            started = time.perf_counter()
            self.result.turns += 1
            self._pending_end = utterance.detected_at
            self._pending_quiet = utterance.quiet_s if utterance.status is Status.SPEECH else None
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
            heard = self._hear(utterance)
            transcript = heard.transcript
            self.result.decode_s.append(transcript.decode_s)
            self._pending_decode = transcript.decode_s
            extra = {"transcript": transcript.as_json(), "speech_s": round(utterance.speech_s, 3),
                     "quiet_s": round(utterance.quiet_s, 3)}
            if utterance.early:
                extra["ended_early"] = True
                self.result.early += 1
            if transcript.status is TranscriptStatus.OK:
                self._show(f'(heard: "{transcript.text}")')
            elif transcript.status is TranscriptStatus.NO_MATCH:
                self._show("(not understood)")
            answer = transcript.text if transcript.status is TranscriptStatus.OK else None
            self._record(ask, answer, heard.received, started, extra)
            self._handle(heard.events)


    def _complete(self, samples: Any) -> bool:
        """The microphone's check (``Microphone.listen``): ``samples`` (a short answer, then
        SHORT_QUIET_S of quiet) already hold a whole answer (``whole_answer``), so listening may end.
        The fast pass's transcript is then the turn's, kept for it (the full recognizer would return
        it unchanged: confident, and not a phrase it hears again)."""
        phrases = phrases_for(self.conv.current, self.grammar)
        if phrases is None or self.parts.fast is None:
            return False  # the open question: a description, never ended early
        heard = self.parts.fast.transcribe(samples, phrases)
        ask = self.conv.current
        # A "no" to an emergency question waits the whole --silence-ms: without barge-in, a "no ...
        # but I can't feel when I wipe" cut after "no" would lose the finding to the next prompt. A
        # "yes" can end early: its parts are followed up one by one anyway.
        urgent = ask is not None and any(self.conv.is_emergency(f) for f in ask.asks_about)
        whole = whole_answer(heard, self.conv.matcher, self._second_looks,
                             (Answer.YES,) if urgent else (Answer.YES, Answer.NO))
        if whole and longer_than_a_word(samples):
            whole = False  # the full recognizer hears it again (factory.ONE_WORD_LOUD_FRAMES)
        if whole:
            self._early = (samples, heard)
        return whole

    def _hear(self, utterance: Utterance) -> Heard:
        """One answer heard: the check's transcript when it ended the answer, else decoded now. A
        long answer to the open question is acknowledged aloud while Moonshine writes it."""
        if utterance.early and self._early is not None and self._early[0] is utterance.samples:
            return hear_transcript(self.conv, self._early[1])
        ack = self.conv.questions.phrases.texts.get(ACK_KEY)
        if (ack is None or utterance.speech_s < ACK_AFTER_SPEECH_S
                or phrases_for(self.conv.current, self.grammar) is not None):
            return hear_audio(self.conv, self.parts.recognizer, utterance.samples, self.grammar)
        decoded: list[Transcript] = []
        failed: list[BaseException] = []

        def decode() -> None:
            try:
                decoded.append(self.parts.recognizer.transcribe(utterance.samples, None))
            except BaseException as exc:  # raised again in the session's thread
                failed.append(exc)

        worker = threading.Thread(target=decode, name="open-decode", daemon=True)
        worker.start()
        self._speak(ack.get(self.conv.locale))
        self.result.acknowledged += 1
        worker.join()
        if failed:
            raise failed[0]
        return hear_transcript(self.conv, decoded[0])


def whole_answer(heard: Transcript, matcher: Matcher, second_looks: Collection[str] = (),
                 answers: Collection[Answer] = (Answer.YES, Answer.NO)) -> bool:
    """Is the fast constrained pass's ``heard`` a whole answer that may end listening early? Only a
    yes or no heard at ``EARLY_CONFIDENCE`` (above the full recognizer's ``CROSS_CHECK_BELOW``, so it
    would not second-guess it) and none of ``second_looks`` (steering and doubt phrases, which the
    full recognizer hears again), and one of ``answers``. Doubt, commands and anything less sure wait
    the whole --silence-ms."""
    return (heard.status is TranscriptStatus.OK and heard.confidence >= max(EARLY_CONFIDENCE, CROSS_CHECK_BELOW)
            and heard.text not in second_looks and matcher.understand(heard.text).answer in answers)


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
