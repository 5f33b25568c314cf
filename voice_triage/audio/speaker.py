"""Speech out: pyttsx3 (espeak-ng) renders each prompt to a WAV, sounddevice plays it.

pyttsx3's own Linux playback shells out to ``aplay`` and fails silently when it is missing, and
its ``stop()`` cannot cut off speech already playing. Rendering to a WAV and playing it ourselves
makes playback timed, stoppable and its errors visible. pyttsx3 itself runs in a helper process
(``espeak_worker``): espeak-ng crashed now and then inside pyttsx3's driver, and a crash must not
end a conversation before its safety message.

Rendered prompts are cached in memory by (text, voice, rate): repeated prompts ("Sorry, I didn't
catch that") then start at once. Nothing is kept on disk: the advice is health data.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from ..errors import DeviceError, SpeechError, UsageError
from ..settings import DEFAULT_SPEECH_RATE as DEFAULT_RATE
from ..settings import MAX_SPEECH_RATE as MAX_RATE
from ..settings import MIN_SPEECH_RATE as MIN_RATE
from . import espeak_worker, wav
from .wav import Int16Array

#: Rendered prompts kept in memory. A session has a few dozen distinct prompts (~100 KB each).
CACHE_SIZE: Final = 64
#: How often playback checks its stop condition (barge-in): reaction time vs. wake-ups.
POLL_S: Final = 0.02

#: Longest text rendered at once (characters): about 15 minutes of speech. espeak-ng crashed the
#: process (SIGSEGV) on about 24,000 characters in one piece; longer text is refused up front.
MAX_SAY_CHARS: Final = 10000
#: Text is handed to espeak-ng in pieces of at most this many characters, cut after a sentence
#: or a word: every prompt fits in one piece, and a long text never reaches espeak-ng whole.
CHUNK_CHARS: Final = 1000


@dataclass(frozen=True)
class Rendered:
    samples: Int16Array
    rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate


@dataclass(frozen=True)
class Played:
    """What happened to one prompt's audio."""

    played: bool
    first_sample_at: float | None  # time.monotonic() when the first sample was handed to the device
    interrupted: bool = False
    error: str = ""


def check_settings(rate: int, volume: float) -> None:
    if not MIN_RATE <= rate <= MAX_RATE:
        raise UsageError(f"--rate {rate} is outside {MIN_RATE}–{MAX_RATE} words per minute")
    if not 0.0 <= volume <= 1.0:
        raise UsageError(f"--volume {volume} is outside 0.0–1.0")


def check_text(text: str) -> str:
    """The text to speak, or a UsageError: empty, over-long or holding a NUL character."""
    if not text.strip():
        raise UsageError("nothing to say: the text is empty")
    if "\0" in text:
        raise UsageError("the text holds a NUL character")
    if len(text) > MAX_SAY_CHARS:
        raise UsageError(f"the text is {len(text)} characters long; at most {MAX_SAY_CHARS} are spoken at once")
    return text


def chunks(text: str, size: int = CHUNK_CHARS) -> list[str]:
    """``text`` in pieces of at most ``size`` characters, cut after a sentence, else after a word."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > size:
        head = rest[:size]
        cut = max(head.rfind(mark) for mark in (". ", "? ", "! ", "\n"))
        if cut <= 0:
            cut = head.rfind(" ")
        cut = cut + 1 if cut > 0 else size
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        pieces.append(rest)
    return [piece for piece in pieces if piece]


#: Emergency and advice numbers are said digit by digit, as people say them: espeak-ng reads
#: "999" as "nine hundred and ninety-nine", two seconds longer and not what to dial.
_SERVICE_NUMBER: Final = re.compile(r"\b(999|911|111)\b")


def spoken_form(text: str) -> str:
    """The text as it should be said (the printed text is unchanged)."""
    return _SERVICE_NUMBER.sub(lambda m: " ".join(m.group(1)), text)


def render(text: str, voice: str | None = None, rate: int = DEFAULT_RATE) -> Rendered:
    """Synthesize ``text`` with espeak-ng through pyttsx3 (in its helper); a SpeechError if it produces nothing."""
    check_text(text)
    parts = [_render_piece(piece, voice, rate) for piece in chunks(spoken_form(text))]
    if len(parts) == 1:
        return parts[0]
    if len({part.rate for part in parts}) != 1:
        raise SpeechError("speech synthesis changed its sample rate mid-text")
    return Rendered(np.concatenate([part.samples for part in parts]).astype(np.int16), parts[0].rate)


#: espeak-ng's rate setting is not the words a minute a listener hears: measured on the question
#: texts (audio length, pauses included), setting 120 gave 139 and 175 gave 209 words a minute, a
#: straight line heard = 1.27 x setting - 14. Inverted here, so --rate is what the listener hears.
#: Re-measure after an espeak-ng upgrade (README, Voice: the measured self-care conversation).
HEARD_PER_SETTING: Final = 1.27
HEARD_OFFSET: Final = 14.0


def espeak_rate(words_per_minute: float) -> int:
    """The espeak-ng rate setting that is heard as ``words_per_minute``."""
    return max(1, round((words_per_minute + HEARD_OFFSET) / HEARD_PER_SETTING))


def _render_piece(text: str, voice: str | None, rate: int) -> Rendered:
    piece = espeak_worker.synthesize(text, voice, espeak_rate(rate))
    samples = np.frombuffer(piece.data, dtype="<i2").astype(np.int16)
    if not len(samples):
        raise SpeechError(f"speech synthesis produced no audio for {text[:40]!r}")
    return Rendered(_trimmed(samples, piece.rate), piece.rate)


#: Silence kept after the last sound of a prompt. espeak-ng ends every text with about half a
#: second of silence; the listener then waits that long at every turn before the microphone opens.
#: Too little clips the fade of the last word.
TAIL_S: Final = 0.15
#: What counts as sound when trimming (int16 amplitude): far below speech, above dither.
SILENCE_LEVEL: Final = 200


def _trimmed(samples: Int16Array, rate_hz: int) -> Int16Array:
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > SILENCE_LEVEL)
    if not len(loud):
        return samples
    end = min(len(samples), int(loud[-1]) + int(TAIL_S * rate_hz))
    return samples[:end]


def write_wav(path: Path, rendered: Rendered, volume: float = 1.0) -> None:
    """Write ``rendered`` as a WAV file, atomically and owner-only (``files.write_bytes``)."""
    wav.write_wav(path, _scaled(rendered.samples, volume), rendered.rate)


def _scaled(samples: Int16Array, volume: float) -> Int16Array:
    if volume >= 1.0:
        return samples
    scaled: Int16Array = (samples.astype(np.float32) * volume).astype(np.int16)
    return scaled


def _interpolate(samples: Int16Array, src: int, dst: int) -> Int16Array:
    """Linear-interpolation rate change; adequate for playing synthetic speech on a fussy device."""
    n = int(len(samples) * dst / src)
    out: Int16Array = np.interp(np.arange(n) * (src / dst), np.arange(len(samples)), samples).astype(np.int16)
    return out


def voices() -> list[tuple[str, str]]:
    return espeak_worker.voices()


def check_voice(voice: str) -> None:
    """pyttsx3 swallows a bad voice name (speech then comes in the old voice): refuse it up front."""
    wanted = voice.split("+", 1)[0].strip().lower()  # "gmw/en-us+f3": variant suffixes are fine
    known = {name for pair in voices() for name in (pair[0].lower(), pair[1].lower(), pair[0].rsplit("/", 1)[-1])}
    if wanted not in known:
        raise UsageError(f"--voice {voice!r} is not an espeak-ng voice (e.g. gmw/en, gmw/en-us; "
                         "list them with 'espeak-ng --voices=en')")


class Speaker:
    """Renders (cached) and plays prompts; `rate` can change during a conversation."""

    def __init__(self, rate: int = DEFAULT_RATE, volume: float = 1.0, voice: str | None = None,
                 device: int | str | None = None) -> None:
        check_settings(rate, volume)
        if voice:
            check_voice(voice)
        self.base_rate = rate
        self.rate = rate
        self.volume = volume
        self.base_volume = volume
        self.voice = voice
        self.device = device
        self._cache: OrderedDict[tuple[str, str | None, int], Rendered] = OrderedDict()
        self._stop = threading.Event()

    def set_volume_factor(self, factor: float) -> None:
        """A conversation's "quieter"/"louder": a fraction (0-1] of the starting volume."""
        self.volume = max(0.0, min(1.0, self.base_volume * factor))

    def set_rate_factor(self, factor: float) -> None:
        """A conversation's "slower"/"faster": a factor of the rate the session started with."""
        self.rate = int(min(MAX_RATE, max(MIN_RATE, round(self.base_rate * factor))))

    def render(self, text: str) -> Rendered:
        key = (text, self.voice, self.rate)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        rendered = render(text, self.voice, self.rate)
        self._cache[key] = rendered
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return rendered

    def stop(self) -> None:
        """Cut off the prompt now playing (barge-in); safe from another thread."""
        self._stop.set()

    def play(self, rendered: Rendered, interrupt: Callable[[], bool] | None = None) -> Played:
        """Play to the output device; waits until done, stopped, or ``interrupt()`` is true."""
        try:
            import sounddevice as sd
        except OSError as exc:
            raise DeviceError(f"audio output is unavailable: {exc}") from exc
        data = _scaled(rendered.samples, self.volume)
        rate = rendered.rate
        pos = 0
        first: list[float] = []
        done = threading.Event()
        self._stop.clear()

        def callback(out: Any, frames: int, _time: Any, _status: Any) -> None:
            nonlocal pos
            if not first:
                first.append(time.monotonic())
            n = min(frames, len(data) - pos)
            out[:n, 0] = data[pos : pos + n]
            out[n:, 0] = 0
            pos += n
            if n < frames:
                raise sd.CallbackStop

        interrupted = False
        if self.device is None and sd.default.device[1] is not None and int(sd.default.device[1]) < 0:
            raise DeviceError("no audio output device found")
        try:
            try:
                stream = sd.OutputStream(samplerate=rate, channels=1, dtype="int16", device=self.device,
                                         callback=callback, finished_callback=done.set)
            except sd.PortAudioError:
                # The device will not take the synthesizer's rate: convert to its own.
                rate = int(sd.query_devices(self.device, kind="output")["default_samplerate"])
                data = _interpolate(data, rendered.rate, rate)
                stream = sd.OutputStream(samplerate=rate, channels=1, dtype="int16", device=self.device,
                                         callback=callback, finished_callback=done.set)
            with stream:
                while not done.wait(POLL_S):
                    if self._stop.is_set() or (interrupt is not None and interrupt()):
                        stream.abort(ignore_errors=True)
                        interrupted = True
                        break
        except (sd.PortAudioError, ValueError) as exc:
            raise DeviceError(f"no usable output device for speech ({exc})") from exc
        return Played(True, first[0] if first else None, interrupted)

    def say(self, text: str, interrupt: Callable[[], bool] | None = None) -> Played:
        """Render and play; never raises: on failure the caller has already shown the text."""
        try:
            return self.play(self.render(text), interrupt)
        except (SpeechError, DeviceError) as exc:
            return Played(False, None, error=str(exc))
