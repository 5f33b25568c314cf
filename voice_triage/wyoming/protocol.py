"""Reading Wyoming events without trusting them.

A Wyoming event is one JSON line (``type``, optional ``data``, ``data_length``, ``payload_length``),
then ``data_length`` bytes of JSON merged into ``data``, then ``payload_length`` bytes of payload.
The ``wyoming`` library's own reader ends the connection on the first line that is not JSON and
reads any length a client announces; this one reports each problem as a ``Problem`` (answered
with a Wyoming ``error`` by the handler), skips what it cannot use, and keeps reading, with every
length bounded. Writing uses the library's ``async_write_event``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Final

from wyoming.error import Error
from wyoming.event import Event

#: Longest header line (bytes). Real headers are under 300 bytes; the wyoming library's own
#: reader stops at 64 KiB too.
MAX_LINE: Final = 64 * 1024
#: Longest ``data`` block (bytes): an info or transcript is a few KB.
MAX_DATA: Final = 256 * 1024
#: Longest payload (bytes). An audio chunk is usually 2–8 KB; 1 MiB is half a minute of 16 kHz
#: audio in one chunk, far beyond any client, small enough that a bad length cannot exhaust memory.
MAX_PAYLOAD: Final = 1024 * 1024
#: Bytes read from the socket at a time.
READ_SIZE: Final = 64 * 1024

# Error codes of the ``error`` events this service sends (``Error.code``).
MALFORMED: Final = "malformed-event"
UNKNOWN: Final = "unknown-event"
BAD_AUDIO: Final = "bad-audio"
BAD_CONTEXT: Final = "bad-context"
BUSY: Final = "busy"
TOO_LONG: Final = "text-too-long"
UNKNOWN_VOICE: Final = "unknown-voice"
UNKNOWN_PROGRAM: Final = "unknown-program"
SPEECH_FAILED: Final = "synthesis-failed"
RECOGNIZER_FAILED: Final = "recognizer-failed"
INTERNAL: Final = "internal-error"


@dataclass(frozen=True)
class Problem:
    """Bytes that were not a usable event: what was wrong, as an ``error`` event's text."""

    text: str
    code: str = MALFORMED

    def event(self) -> Event:
        return Error(text=self.text, code=self.code).event()


class EventReader:
    """Events from a stream; ``read()`` gives an ``Event``, a ``Problem``, or None at the end."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self._buf = bytearray()
        self._eof = False

    async def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = await self._reader.read(READ_SIZE)
        if not chunk:
            self._eof = True
            return False
        self._buf += chunk
        return True

    async def _line(self) -> bytes | Problem | None:
        """The next line without its end; a Problem for an over-long line (skipped to its end)."""
        skipping = False
        while True:
            end = self._buf.find(b"\n")
            if end >= 0:
                line = bytes(self._buf[:end])
                del self._buf[: end + 1]
                if skipping or len(line) > MAX_LINE:
                    return Problem(f"event header longer than {MAX_LINE} bytes: skipped")
                return line
            if len(self._buf) > MAX_LINE:
                skipping = True
                self._buf.clear()
            if not await self._fill():
                if skipping:
                    return Problem(f"event header longer than {MAX_LINE} bytes: skipped")
                if not self._buf.strip():
                    return None
                line = bytes(self._buf)  # a last line with no line end
                self._buf.clear()
                return line

    async def _exactly(self, n: int) -> bytes | None:
        while len(self._buf) < n:
            if not await self._fill():
                return None
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    async def _discard(self, n: int) -> bool:
        while n > 0:
            if not self._buf and not await self._fill():
                return False
            taken = min(n, len(self._buf))
            del self._buf[:taken]
            n -= taken
        return True

    async def read(self) -> Event | Problem | None:
        while True:
            line = await self._line()
            if line is None or isinstance(line, Problem):
                return line
            if line.strip():
                return await self._event(line)

    async def _event(self, line: bytes) -> Event | Problem | None:
        try:
            header = json.loads(line)
        except ValueError:
            return Problem("event header is not JSON")
        if not isinstance(header, dict):
            return Problem("event header is not a JSON object")
        data_length = _length(header, "data_length")
        payload_length = _length(header, "payload_length")
        if isinstance(data_length, Problem):
            return data_length
        if isinstance(payload_length, Problem):
            return payload_length
        problem: Problem | None = None
        data: Any = header.get("data") or {}
        if not isinstance(data, dict):
            problem = Problem("event 'data' is not a JSON object")
        if data_length > MAX_DATA:
            if not await self._discard(data_length):
                return None
            problem = problem or Problem(f"event data longer than {MAX_DATA} bytes: skipped")
        elif data_length:
            raw = await self._exactly(data_length)
            if raw is None:
                return None
            try:
                extra = json.loads(raw)
            except ValueError:
                extra = None
            if not isinstance(extra, dict):
                problem = problem or Problem("event data block is not a JSON object")
            elif isinstance(data, dict):
                data = {**data, **extra}
        payload: bytes | None = None
        if payload_length > MAX_PAYLOAD:
            if not await self._discard(payload_length):
                return None
            problem = problem or Problem(f"event payload longer than {MAX_PAYLOAD} bytes: skipped")
        elif payload_length:
            payload = await self._exactly(payload_length)
            if payload is None:
                return None
        if problem is not None:
            return problem
        kind = header.get("type")
        if not isinstance(kind, str) or not kind.strip():
            return Problem("event has no 'type'")
        return Event(type=kind, data=data, payload=payload)


def _length(header: dict[str, Any], key: str) -> int | Problem:
    value = header.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return Problem(f"event '{key}' is not a byte count")
    return value
