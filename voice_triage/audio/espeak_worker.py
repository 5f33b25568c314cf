"""pyttsx3 (espeak-ng) in a helper process of its own: a crash in espeak-ng costs one retry, not the session.

pyttsx3's espeak driver starts libespeak-ng in retrieval mode, which synthesises on espeak-ng's
own thread and calls back into Python from it. Under load that race crashed the whole process
now and then (SIGSEGV inside ``espeak_Synth``; seen in about 1 of 3 CI runs, never alone). A
crash in a live conversation would end it without the safety message, so synthesis runs here,
in a child process that only renders, and the speaker restarts it and renders again when it dies.

Protocol (both ends in this module): the parent writes one JSON request per line on the child's
standard input; the child answers with one JSON header line on its standard output, then the
number of raw bytes the header names (16-bit little-endian mono samples). The child exits when its
input closes, so it never outlives the program that started it.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from ..errors import SpeechError

#: The PulseAudio client's server address variable, and an address no server can have.
PULSE_SERVER_ENV: Final = "PULSE_SERVER"
NO_SOUND_SERVER: Final = "unix:/dev/null/voice-triage-renders-without-a-sound-server"
#: Longest wait for one answer from the helper (s): one piece is at most ~1000 characters (about a
#: minute of speech, rendered in well under a second); a stuck helper is killed, never waited on.
REPLY_TIMEOUT_S: Final = 30.0
#: Renders tried per piece: the first in the running helper, the next in a fresh one. A second
#: crash on the same text is not a race but a real failure, reported as a SpeechError.
ATTEMPTS: Final = 2
#: Render in memory-backed storage where there is one, so prompt audio never touches a disk.
_SHM: Final = Path("/dev/shm")


@dataclass(frozen=True)
class Samples:
    """One rendered piece as the helper returns it."""

    data: bytes  # 16-bit little-endian mono
    rate: int


# --- the child ------------------------------------------------------------------------------


#: Renders tried before an empty one is reported: pyttsx3's loop can end a render before espeak-ng
#: delivered any audio (seen when the properties were set another way); a second try has always
#: had it. More tries only delay the error when espeak-ng is truly broken.
RENDER_ATTEMPTS: Final = 3


def _render_child(engine: Any, request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    from pyttsx3.drivers import _espeak  # the espeak-ng binding pyttsx3 itself uses

    if request.get("voices"):
        listed = [[str(v.id), str(v.name)] for v in engine.getProperty("voices")]
        return {"voices": listed}, b""
    voice, rate, text = request.get("voice"), int(request["rate"]), str(request["text"])
    base = _SHM if _SHM.is_dir() else None
    with tempfile.TemporaryDirectory(prefix="voice-triage-", dir=base) as tmp:
        path = Path(tmp) / "prompt.wav"
        # pyttsx3 runs espeak-ng asynchronously and runAndWait() cancels whatever espeak still has
        # queued: rate changes were then lost or applied a prompt late, and now and then no WAV
        # was written. So the voice, rate and volume are set on espeak-ng itself (not queued
        # through pyttsx3's engine, whose loop could start the render first: one "say" in four
        # came out at espeak-ng's default rate), and espeak-ng's queue is drained after them, so
        # they have taken effect before the render starts.
        _espeak.Synchronize()
        if voice and _espeak.SetVoiceByName(str(voice).encode("utf-8")) != 0:
            raise ValueError(f"espeak-ng has no voice {voice!r}")
        _espeak.SetParameter(_espeak.RATE, rate, 0)
        _espeak.SetParameter(_espeak.VOLUME, 100, 0)
        _espeak.Synchronize()
        for attempt in range(RENDER_ATTEMPTS):
            out = path.with_name(f"prompt{attempt}.wav")
            engine.save_to_file(text, str(out))
            engine.runAndWait()
            _espeak.Synchronize()
            with wave.open(str(out), "rb") as w:
                header, data = {"rate": w.getframerate(), "bytes": w.getnframes() * 2}, w.readframes(w.getnframes())
            if data:
                break
        return header, data


def _child_main() -> int:
    # Ctrl-C and a hang-up reach the whole process group; the parent handles them and still needs
    # this helper to render its closing safety message.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # pyttsx3 prints "Audio saved to ..." from espeak's thread: keep it off the protocol
    requests = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8")
    try:
        import pyttsx3

        engine = pyttsx3.init("espeak")
    except Exception as exc:  # pyttsx3 raises bare RuntimeError/OSError when espeak-ng is missing
        _reply(replies, {"error": f"speech synthesis is unavailable ({exc}); install espeak-ng (make system)"})
        return 3
    for line in requests:
        try:
            header, data = _render_child(engine, json.loads(line))
        except (ValueError, KeyError, RuntimeError, OSError, wave.Error, EOFError) as exc:
            header, data = {"error": f"speech synthesis failed: {exc}"}, b""
        _reply(replies, header, data)
    return 0


def _reply(out: IO[bytes], header: dict[str, Any], data: bytes = b"") -> None:
    out.write(json.dumps(header).encode() + b"\n" + data)
    out.flush()


# --- the parent -----------------------------------------------------------------------------


class _Helper:
    """The running helper process; every method is called with ``_LOCK`` held."""

    def __init__(self) -> None:
        # espeak-ng 1.51 opens an audio output even in retrieval mode (libpcaudio), whose PulseAudio
        # client writes ~/.config/pulse/<id>-runtime and $TMPDIR/pulse-* and may connect to a
        # running server. An address no server can have makes it give up at once, touching nothing.
        # The package's own folder goes first on the path, so the helper runs this same code.
        package_root = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)
        env = {**os.environ, PULSE_SERVER_ENV: NO_SOUND_SERVER, "PYTHONPATH": path}
        self.owner = os.getpid()  # a forked child (a replay worker) must not share this pipe
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=env, close_fds=True)

    def ask(self, request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise _HelperDied(f"the speech helper stopped ({exc})") from exc
        out = self.process.stdout
        header = json.loads(_read_line(out) or b"null")
        if not isinstance(header, dict):
            raise _HelperDied(f"the speech helper stopped (exit status {self.process.poll()})")
        data = _read_exact(out, int(header.get("bytes", 0)))
        return header, data

    def close(self) -> None:
        with contextlib.suppress(OSError):
            if self.process.stdin is not None:
                self.process.stdin.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


class _HelperDied(Exception):
    """The helper crashed, hung or closed its output: start a new one."""


def _wait_readable(stream: IO[bytes]) -> None:
    ready, _, _ = select.select([stream], [], [], REPLY_TIMEOUT_S)
    if not ready:
        raise _HelperDied(f"the speech helper did not answer within {REPLY_TIMEOUT_S:.0f} s")


def _read_line(stream: IO[bytes]) -> bytes:
    _wait_readable(stream)
    return stream.readline()


def _read_exact(stream: IO[bytes], n: int) -> bytes:
    parts: list[bytes] = []
    while n > 0:
        _wait_readable(stream)
        part = stream.read1(n)  # type: ignore[attr-defined]  # a BufferedReader
        if not part:
            raise _HelperDied("the speech helper stopped mid-answer")
        parts.append(part)
        n -= len(part)
    return b"".join(parts)


_LOCK: Final = threading.Lock()
_helper: _Helper | None = None


def _stop_helper() -> None:
    global _helper
    with _LOCK:
        if _helper is not None and _helper.owner == os.getpid():
            _helper.close()
            _helper = None


def _ask(request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    global _helper
    with _LOCK:
        last = ""
        if _helper is not None and _helper.owner != os.getpid():
            _helper = None  # inherited through fork: the parent's helper; this process starts its own
        for _attempt in range(ATTEMPTS):
            if _helper is None:
                try:
                    _helper = _Helper()
                except OSError as exc:
                    raise SpeechError(f"speech synthesis is unavailable: {exc}") from exc
                atexit.register(_stop_helper)
            try:
                header, data = _helper.ask(request)
            except (_HelperDied, ValueError) as exc:
                last = str(exc)
                _helper.process.kill()
                _helper.close()
                _helper = None
                continue
            if "error" in header:
                raise SpeechError(str(header["error"]))
            return header, data
        raise SpeechError(f"speech synthesis failed twice: {last}")


def helper_pid() -> int | None:
    """The helper's process id while one runs (for tests that make it crash)."""
    with _LOCK:
        return None if _helper is None else _helper.process.pid


def synthesize(text: str, voice: str | None, espeak_rate: int) -> Samples:
    """``text`` as espeak-ng renders it at espeak-ng's own ``espeak_rate`` setting."""
    header, data = _ask({"text": text, "voice": voice, "rate": espeak_rate})
    return Samples(data, int(header["rate"]))


def voices() -> list[tuple[str, str]]:
    """espeak-ng's voices as pyttsx3 lists them: (id, name)."""
    header, _ = _ask({"voices": True})
    return [(str(pair[0]), str(pair[1])) for pair in header["voices"]]


if __name__ == "__main__":
    sys.exit(_child_main())
