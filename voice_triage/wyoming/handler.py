"""One Wyoming connection: each event read (``protocol.EventReader``) and answered.

``describe`` → ``info``; ``transcript`` → ``handled`` (the conversation's next words);
``synthesize`` → audio; ``transcribe`` / ``audio-start`` / ``audio-chunk`` / ``audio-stop`` →
``transcript``; ``ping`` → ``pong``. Anything else, and any event that is not well formed, gets an
``error`` event and the connection stays open: one bad event from a client costs that event only.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event, Eventable
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe, SelectProgram
from wyoming.ping import Ping, Pong
from wyoming.server import AsyncEventHandler
from wyoming.tts import Synthesize

from ..asr.base import Status
from ..audio.wav import MAX_DURATION_S, MAX_RATE, MIN_RATE
from ..dialogue.conversation import Ask, Conversation
from ..errors import TriageError
from ..settings import MAX_TEXT_CHARS
from . import protocol
from .conversations import MAX_ID_CHARS, Busy, Reply, end, take_turn
from .info import ASR_NAME, HANDLE_NAME, TTS_NAME, VOICES, is_english, locale_of
from .options import ServeOptions
from .protocol import EventReader, Problem

if TYPE_CHECKING:
    from wyoming.info import Info

    from ..asr.base import Transcript as Heard
    from ..audio.speaker import Rendered
    from ..clinical.catalogue import Locale
    from .conversations import Conversations

#: Samples per outgoing audio chunk: 1024 at 22 kHz is ~46 ms, what Wyoming's own TTS servers send.
SAMPLES_PER_CHUNK: Final = 1024

log = logging.getLogger(__name__)
E = TypeVar("E", bound=Eventable)


class Service(Protocol):
    """What a connection needs of the service all connections share (``server.TriageService``)."""

    options: ServeOptions
    info: Info
    conversations: Conversations

    def new_conversation(self, locale: Locale) -> Conversation: ...

    async def synthesize(self, text: str, voice: str) -> Rendered: ...

    async def recognize(self, pcm: bytes, rate: int, channels: int, ask: Ask | None) -> Heard: ...


class Refused(Exception):
    """An event this service cannot act on: answered with an ``error`` event."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


@dataclass
class _Stream:
    """Audio being received for recognition."""

    rate: int
    width: int
    channels: int
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0
    rejected: bool = False

    @property
    def limit(self) -> int:
        return int(MAX_DURATION_S * self.rate) * self.width * self.channels


def _parse(cls: type[E], event: Event) -> E:
    try:
        parsed = cls.from_event(event)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Refused(protocol.MALFORMED, f"malformed '{event.type}' event: {exc!r}") from None
    assert isinstance(parsed, cls)
    return parsed


def _conversation_id(context: Any) -> str | None:
    if context is None:
        return None
    if not isinstance(context, dict):
        raise Refused(protocol.BAD_CONTEXT, "'context' is not a JSON object")
    cid = context.get("conversation_id")
    if cid is None:
        return None
    if isinstance(cid, bool) or not isinstance(cid, str | int):
        raise Refused(protocol.BAD_CONTEXT, "'conversation_id' is not a string")
    cid = str(cid)
    if not cid.strip() or len(cid) > MAX_ID_CHARS:
        raise Refused(protocol.BAD_CONTEXT, f"'conversation_id' must be 1–{MAX_ID_CHARS} characters")
    return cid


class TriageHandler(AsyncEventHandler):
    """Answers the events of one connection for ``service`` (shared by all connections)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, service: Service) -> None:
        super().__init__(reader, writer)
        self.service = service
        self.events = EventReader(reader)
        #: The conversation of transcripts that name none: this connection's, ended when it drops.
        self.own: Conversation | None = None
        self._transcribe: Transcribe | None = None
        self._stream: _Stream | None = None

    async def run(self) -> None:
        """Read events until the client leaves (the library's loop ends at the first bad line)."""
        self._is_running = True
        try:
            while self._is_running:
                event = await self.events.read()
                if event is None:
                    break
                if isinstance(event, Problem):
                    await self.write_event(event.event())
                elif not await self.handle_event(event):
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            await self.disconnect()
            self.writer.close()

    async def disconnect(self) -> None:
        if self.own is not None and not self.own.done:
            end(self.own)
            log.info("connection closed mid-conversation: conversation ended")
        self.own = None

    async def handle_event(self, event: Event) -> bool:
        try:
            await self._dispatch(event)
        except Refused as exc:
            await self.write_event(Error(text=exc.text, code=exc.code).event())
        except ConnectionError:
            return False
        except Exception as exc:  # a bug must cost one event, not the connection or the server
            log.exception("internal error on a '%s' event", event.type)
            await self.write_event(Error(text=f"internal error: {exc.__class__.__name__}", code=protocol.INTERNAL)
                                   .event())
        return True

    async def _dispatch(self, event: Event) -> None:
        kind = event.type
        if Describe.is_type(kind):
            await self.write_event(self.service.info.event())
        elif Transcript.is_type(kind):
            await self._handle(_parse(Transcript, event))
        elif Synthesize.is_type(kind):
            await self._synthesize(_parse(Synthesize, event))
        elif Transcribe.is_type(kind):
            self._transcribe = _parse(Transcribe, event)
            _conversation_id(self._transcribe.context)  # refuse a bad context now, not after the audio
        elif AudioStart.is_type(kind):
            self._start_audio(_parse(AudioStart, event))
        elif AudioChunk.is_type(kind):
            self._add_audio(_parse(AudioChunk, event))
        elif AudioStop.is_type(kind):
            await self._recognize()
        elif Ping.is_type(kind):
            await self.write_event(Pong(text=_parse(Ping, event).text).event())
        elif SelectProgram.is_type(kind):
            name = _parse(SelectProgram, event).name
            if name not in (HANDLE_NAME, TTS_NAME, ASR_NAME):
                raise Refused(protocol.UNKNOWN_PROGRAM, f"no program {name!r} here")
        else:
            raise Refused(protocol.UNKNOWN, f"unknown event type {kind!r}")

    # --- handle: a transcript in, the next words out ---------------------------------------------

    async def _handle(self, transcript: Transcript) -> None:
        text = transcript.text
        if not isinstance(text, str):
            raise Refused(protocol.MALFORMED, "transcript 'text' is not a string")
        cid = _conversation_id(transcript.context)
        if not is_english(transcript.language):
            await self.write_event(NotHandled(text="This triage speaks English only.",
                                              context=transcript.context).event())
            return
        status = transcript.context.get("status") if isinstance(transcript.context, dict) else None
        no_match = not text.strip() and status == Status.NO_MATCH.value
        # An answer our asr program read from Moonshine's open reply (its transcript says so).
        doubted = isinstance(transcript.context, dict) and transcript.context.get("from_open") is True
        locale = locale_of(transcript.language, self.service.options.locale)
        reply: Reply
        if cid is None:
            if self.own is None or self.own.done:
                self.own = self.service.new_conversation(locale)
            reply = take_turn(self.own, text, no_match, doubted)
        else:
            try:
                reply = self.service.conversations.turn(cid, text, locale, no_match, doubted)
            except Busy as exc:
                raise Refused(protocol.BUSY, str(exc)) from None
        await self.write_event(Handled(text=reply.text, context=reply.context(cid)).event())

    # --- tts: text in, audio out -----------------------------------------------------------------

    async def _synthesize(self, request: Synthesize) -> None:
        text = request.text
        if not isinstance(text, str) or not text.strip():
            raise Refused(protocol.MALFORMED, "synthesize 'text' is empty")
        if len(text) > MAX_TEXT_CHARS:
            raise Refused(protocol.TOO_LONG, f"text longer than {MAX_TEXT_CHARS} characters")
        voice = self._voice(request)
        try:
            rendered = await self.service.synthesize(text, voice)
        except TriageError as exc:
            raise Refused(protocol.SPEECH_FAILED, str(exc)) from None
        audio = rendered.samples.astype("<i2").tobytes()
        rate, width, channels = rendered.rate, 2, 1
        await self.write_event(AudioStart(rate=rate, width=width, channels=channels, timestamp=0).event())
        step = SAMPLES_PER_CHUNK * width
        for start in range(0, len(audio), step):
            timestamp = (start // width) * 1000 // rate
            await self.write_event(AudioChunk(rate=rate, width=width, channels=channels,
                                              audio=audio[start : start + step], timestamp=timestamp).event())
        await self.write_event(AudioStop(timestamp=(len(audio) // width) * 1000 // rate).event())

    def _voice(self, request: Synthesize) -> str:
        wanted = request.voice
        default = self.service.options.voice or VOICES[self.service.options.locale]
        if wanted is None:
            return default
        if wanted.name:
            for voice in VOICES.values():
                if voice.lower() == str(wanted.name).lower():
                    return voice
            if self.service.options.voice and str(wanted.name) == self.service.options.voice:
                return self.service.options.voice
            raise Refused(protocol.UNKNOWN_VOICE, f"no voice {wanted.name!r}; use one of {', '.join(VOICES.values())}")
        if wanted.language:
            if not is_english(wanted.language):
                raise Refused(protocol.UNKNOWN_VOICE, f"no voice for language {wanted.language!r}")
            return VOICES[locale_of(wanted.language, self.service.options.locale)]
        return default

    # --- asr: audio in, a transcript out ---------------------------------------------------------

    def _start_audio(self, start: AudioStart) -> None:
        self._stream = _Stream(start.rate, start.width, start.channels)
        self._check_format(self._stream, start.rate, start.width, start.channels)

    def _check_format(self, stream: _Stream, rate: Any, width: Any, channels: Any) -> None:
        problem = ""
        if (rate, width, channels) != (stream.rate, stream.width, stream.channels):
            problem = "audio-chunk format differs from its audio-start"
        elif width != 2:
            problem = f"sample width {width!r}: only 16-bit PCM (width 2) is understood"
        elif channels not in (1, 2):
            problem = f"{channels!r} channels: only mono or stereo"
        elif not isinstance(rate, int) or not MIN_RATE <= rate <= MAX_RATE:
            problem = f"sample rate {rate!r} Hz is outside {MIN_RATE}–{MAX_RATE} Hz"
        if problem:
            stream.rejected = True
            raise Refused(protocol.BAD_AUDIO, problem)

    def _add_audio(self, chunk: AudioChunk) -> None:
        stream = self._stream
        if stream is None:
            raise Refused(protocol.BAD_AUDIO, "audio-chunk before audio-start")
        if stream.rejected:
            return  # the error was sent once, at the event that made the stream unusable
        self._check_format(stream, chunk.rate, chunk.width, chunk.channels)
        stream.size += len(chunk.audio)
        if stream.size > stream.limit:
            stream.rejected = True
            raise Refused(protocol.BAD_AUDIO, f"audio longer than {MAX_DURATION_S:.0f} s")
        stream.chunks.append(chunk.audio)

    async def _recognize(self) -> None:
        stream, request = self._stream, self._transcribe
        self._stream = self._transcribe = None
        if stream is None:
            raise Refused(protocol.BAD_AUDIO, "audio-stop before audio-start")
        if stream.rejected:
            return
        cid = _conversation_id(request.context) if request is not None else None
        ask: Ask | None
        if cid is not None:
            ask = self.service.conversations.current(cid)
        else:
            ask = self.own.current if self.own is not None else None
        try:
            heard = await self.service.recognize(b"".join(stream.chunks), stream.rate, stream.channels, ask)
        except TriageError as exc:
            raise Refused(protocol.RECOGNIZER_FAILED, str(exc)) from None
        context: dict[str, Any] = {"status": heard.status.value, "recognizer": heard.recognizer,
                                   "question": ask.question if ask else None}
        if heard.from_open:
            context["from_open"] = True  # the handle program checks such an answer before trusting it
        if cid is not None:
            context["conversation_id"] = cid
        text = heard.text if heard.status is Status.OK else ""
        await self.write_event(Transcript(text=text, language="en", context=context).event())
