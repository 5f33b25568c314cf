"""The service shared by all connections, and the listening server.

``TriageService`` loads the rules, grammar and questions once and holds the live conversations;
the recognizer and the speech engine are opened on first use (a handle-only client never loads
them), each behind a lock and run in a worker thread so that one slow recognition never holds up
another connection's conversation. ``serve`` runs until SIGINT or SIGTERM; on the way out every
live conversation is ended (nobody is left to hear it, and nothing is kept).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, TextIO
from urllib.parse import urlparse

from ..asr.base import Recognizer, Status, Transcript
from ..clinical.catalogue import Locale, load_rulebook
from ..dialogue.conversation import Ask, Conversation
from ..dialogue.questions import load_questions
from ..errors import EXIT_UNAVAILABLE, TriageError, UsageError
from ..nlu.matcher import load_matcher
from ..session.turn import open_listener, open_reading, phrases_for
from .conversations import Conversations
from .handler import TriageHandler
from .info import build_info
from .options import DEFAULT_URI, ServeOptions

if TYPE_CHECKING:
    from ..audio.speaker import Rendered, Speaker

#: Longest wait between expiry sweeps (s); shorter timeouts are swept at a quarter of their length.
SWEEP_S: Final = 15.0

log = logging.getLogger(__name__)


class ServeError(TriageError):
    """The service cannot listen (address in use, no permission)."""

    exit_status = EXIT_UNAVAILABLE


class TriageService:
    def __init__(self, options: ServeOptions | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.options = options or ServeOptions()
        self.book, self.matcher, self.questions = load_rulebook(), load_matcher(), load_questions()
        self.conversations = Conversations(self.new_conversation, self.options.timeout_s, clock)
        self.info = build_info(self.options.asr)
        self._recognizer: Recognizer | None = None
        self._asr_lock = threading.Lock()
        self._tts_lock = threading.Lock()
        self._speakers: dict[str, Speaker] = {}

    def new_conversation(self, locale: Locale) -> Conversation:
        from ..asr.sphinx import reset_adaptation

        with self._asr_lock:
            # As a session does: pocketsphinx forgets what the last conversation adapted it to, so
            # what a caller hears does not depend on who talked to the server before.
            reset_adaptation()
        return Conversation(self.book, self.matcher, self.questions, locale, offer_repeat=False)

    async def synthesize(self, text: str, voice: str) -> Rendered:
        return await asyncio.to_thread(self._render, text, voice)

    def _render(self, text: str, voice: str) -> Rendered:
        from ..audio.speaker import Speaker

        with self._tts_lock:  # one espeak engine per process; the speaker's cache is not thread-safe
            speaker = self._speakers.get(voice)
            if speaker is None:
                speaker = self._speakers[voice] = Speaker(rate=self.options.rate, voice=voice)
            return speaker.render(text)

    async def recognize(self, pcm: bytes, rate: int, channels: int, ask: Ask | None) -> Transcript:
        """16-bit PCM at ``rate`` → a transcript, held to ``ask``'s phrases (None: free dictation)."""
        phrases = phrases_for(ask) if ask is not None else None
        return await asyncio.to_thread(self._recognize, pcm, rate, channels, phrases)

    def _recognize(self, pcm: bytes, rate: int, channels: int, phrases: tuple[str, ...] | None) -> Transcript:
        import numpy as np

        from ..audio.wav import resample

        frame = 2 * channels
        raw = np.frombuffer(pcm[: len(pcm) // frame * frame], dtype="<i2")
        if channels == 2:
            mono = resample((raw.astype(np.float32) / 32768.0).reshape(-1, 2).mean(axis=1), rate)
        else:
            mono = resample(raw.astype(np.int16), rate)
        with self._asr_lock:
            if not len(mono):
                return Transcript("", Status.NO_INPUT, 0.0, self._recognizer.name if self._recognizer else "", 0.0, 0.0)
            if self._recognizer is None:
                self._recognizer = open_listener(self.options.asr, self.options.model)
            heard = self._recognizer.transcribe(mono, phrases)
        # Read like a session's turn (session/turn.py): Moonshine's open reply may be the answer.
        return open_reading(heard, self.matcher)

    def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> TriageHandler:
        return TriageHandler(reader, writer, self)

    async def sweep(self) -> None:
        """End idle conversations, forever (cancelled when the server stops)."""
        period = min(SWEEP_S, max(0.05, self.options.timeout_s / 4))
        while True:
            await asyncio.sleep(period)
            self.conversations.expire()


async def run_server(service: TriageService, uri: str, ready: Callable[[str], None] | None = None,
                     stop: asyncio.Event | None = None) -> None:
    """Listen on ``uri`` (``tcp://HOST:PORT``, port 0 picks one; ``unix://PATH``) until ``stop`` is
    set; ``ready`` is told the address actually bound."""
    handlers: set[TriageHandler] = set()

    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = service.handler(reader, writer)
        handlers.add(handler)
        try:
            await handler.run()
        finally:
            handlers.discard(handler)

    parsed = urlparse(uri)
    try:
        if parsed.scheme == "tcp":
            if not parsed.hostname or parsed.port is None:
                raise UsageError(f"--uri {uri!r}: give a host and port, e.g. {DEFAULT_URI}")
            server = await asyncio.start_server(connected, host=parsed.hostname, port=parsed.port)
            port = server.sockets[0].getsockname()[1]
            host = f"[{parsed.hostname}]" if ":" in parsed.hostname else parsed.hostname
            address = f"tcp://{host}:{port}"
        elif parsed.scheme == "unix" and parsed.path:
            server = await asyncio.start_unix_server(connected, path=parsed.path)
            address = f"unix://{parsed.path}"
        else:
            raise UsageError(f"--uri {uri!r}: use tcp://HOST:PORT or unix://PATH")
    except ValueError as exc:  # a port that is not a number or out of range
        raise UsageError(f"--uri {uri!r}: {exc}") from None
    except OSError as exc:
        raise ServeError(f"cannot listen on {uri}: {exc.strerror or exc}") from None
    sweeper = asyncio.create_task(service.sweep())
    try:
        if ready is not None:
            ready(address)
        await (stop or asyncio.Event()).wait()
    finally:
        server.close()
        sweeper.cancel()
        for handler in list(handlers):
            await handler.stop()
        ended = service.conversations.close_all()
        if ended:
            log.info("server stopping: %d conversation(s) ended", len(ended))
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        await server.wait_closed()


def serve(options: ServeOptions, out: TextIO = sys.stderr) -> int:
    """``voice-triage serve``: blocks until SIGINT or SIGTERM; returns the exit status."""
    logging.basicConfig(level=logging.INFO, format="voice-triage serve: %(message)s", stream=out)
    service = TriageService(options)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)

        def ready(address: str) -> None:
            out.write(f"voice-triage: Wyoming service (handle, tts, asr) on {address}\n")
            out.flush()

        await run_server(service, options.uri, ready, stop)

    asyncio.run(main())
    return 0
