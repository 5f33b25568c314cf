"""Microphone capture with our own end-of-speech detection.

Vosk 0.3.45 (the PyPI wheel) has no endpointer, so we decide when an answer has ended from the
audio level: wait for speech to start (else "no input"), then end after a stretch of trailing
silence. Timing is counted in captured samples, not wall-clock time, so it is right for a real
microphone and also for an ALSA file device, which delivers audio faster than real time.

One input stream is opened per session and only started while listening: stopping between turns
keeps the prompt's own sound out of the next answer, and an ALSA file device continues from where
it stopped (re-opening it would rewind the file).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ..errors import DeviceError, UsageError
from ..settings import DEFAULT_NO_INPUT_S, DEFAULT_SILENCE_MS
from .wav import TARGET_RATE, Int16Array, resample

#: Analysis frame. 30 ms is the usual VAD frame: short enough to react, long enough for a stable RMS.
FRAME_S: Final = 0.030
#: Longest answer. Bounds memory and decode time; long enough for a described symptom.
MAX_UTTERANCE_S: Final = 20.0
#: Speech must last this long (consecutive loud frames) to count as a start: rejects clicks and
#: coughs at the price of 90 ms of reaction time (recovered by the pre-roll).
START_FRAMES: Final = 3
#: Audio kept before the detected start and after the last loud frame. Soft onsets and weak final
#: fricatives (the "s" of "yes" stays under the loudness threshold) must reach the recognizer, and
#: pocketsphinx needs some background around the word to normalise its features: measured on
#: espeak "yes" in light noise, 0.3 s either side was rejected as no-match, 0.5 s recognised. More
#: costs decode time on every answer.
PRE_ROLL_S: Final = 0.5
POST_ROLL_S: Final = 0.5
#: Speech threshold relative to the adaptive noise floor (RMS ratio): 3.2 ≈ +10 dB. Lower catches
#: quiet speakers but lets fans and traffic start utterances; higher misses soft voices.
START_RATIO: Final = 3.2
#: Hysteresis: speech continues while above this ratio (≈ +6 dB), so trailing soft syllables and
#: breathy endings are not taken as silence.
CONTINUE_RATIO: Final = 2.0
#: Absolute RMS floor for speech (int16 units, ≈ -50 dBFS): in a digitally quiet room the floor is
#: tiny and ratios alone would let any hiss count as speech.
MIN_SPEECH_RMS: Final = 100.0
#: Noise floor = this percentile of the frame RMS over the last FLOOR_WINDOW_S of listening (not
#: speech). A low percentile follows steady noise (a fan switched on is learnt within ~2 s) while a
#: word or a door slam barely moves it; the window is kept across turns so the room is known.
FLOOR_PERCENTILE: Final = 20
FLOOR_WINDOW_S: Final = 3.0
#: Listening needed before speech may start when the room is not known yet (first turn): without
#: it, noise present from the first frame would be taken for speech.
CALIBRATION_S: Final = 0.3
#: A window whose peak never exceeds this is digital silence: a muted or unplugged input rather
#: than a quiet room, whose noise is always a few units.
DEAD_PEAK: Final = 2
#: A stuck input repeats its last buffer exactly (measured: an ALSA file device past the end of its
#: file replays its last 960 samples). Real audio never repeats this many samples exactly; searching
#: lags up to STUCK_MAX_LAG covers any device buffer size.
STUCK_PROBE: Final = 256
STUCK_MAX_LAG: Final = 16384
STUCK_SPAN: Final = TARGET_RATE  # samples (about 1 s at 16 kHz; device rates may differ)
#: Adaptive end of speech. After a short answer (speech of at most SHORT_SPEECH_S) and SHORT_QUIET_S
#: of quiet, the session's check (``Complete``: its fast constrained recognizer on what was captured)
#: may end the answer there instead of after the full --silence-ms. Guards against cutting an answer:
#: - SHORT_QUIET_S is longer than the pause people leave at a comma inside one reply ("no, but my
#:   leg is numb" is said with 0.1-0.4 s between "no" and "but"): such a reply is one utterance. It
#:   is at least POST_ROLL_S, so the samples checked are exactly the samples returned. Shorter answers
#:   sooner but cuts hesitant continuations; longer protects more and gives back the gain (the felt
#:   gap after "no" is this plus decoding). A *deliberate* pause after a complete word ("no ...
#:   [1.5 s] ... but my legs are numb") cannot be told from a finished "no" by any endpointer that
#:   answers within 1.5 s (the audio is identical up to "but"). So the patience a person asks for
#:   with --silence-ms above the default is added to the short wait too (``MicConfig.short_quiet_ms``):
#:   with --silence-ms 2700 a whole "no" ends after 2.0 s, and "no ... [1.5 s] ... but my legs are
#:   numb" stays one answer. At the default, such a pause after a whole answer ends it (the rest
#:   is heard as the next answer); inside a sentence it waits the whole --silence-ms.
#: - SHORT_SPEECH_S: speech longer than this (a description, a sentence) never ends early, so a
#:   slow speaker's pause inside a sentence waits the whole --silence-ms; so does speech the
#:   check does not find complete ("I have ..." is no answer).
SHORT_QUIET_S: Final = POST_ROLL_S
SHORT_SPEECH_S: Final = 1.5

#: The session's test of what was captured so far (16 kHz samples): is it already a whole answer?
Complete = Callable[[Int16Array], bool]


class Status(str, Enum):
    SPEECH = "speech"
    NO_INPUT = "no_input"
    DEAD = "dead"  # no sound at all (muted, disconnected, or the end of a recorded input)


@dataclass(frozen=True)
class Utterance:
    """One listening turn: 16 kHz mono int16 samples and when the end of speech was decided."""

    status: Status
    samples: Int16Array
    speech_s: float  # length of the speech itself (start to last loud frame)
    waited_s: float  # audio time before speech started
    detected_at: float  # time.monotonic() when the end of speech (or no input) was decided
    truncated: bool = False  # hit MAX_UTTERANCE_S
    quiet_s: float = 0.0  # audio time of quiet waited after the last loud frame before the end was decided
    early: bool = False  # ended after SHORT_QUIET_S because the session's check found a whole answer


@dataclass(frozen=True)
class MicConfig:
    device: int | str | None = None
    silence_ms: int = DEFAULT_SILENCE_MS
    no_input_s: float = DEFAULT_NO_INPUT_S
    max_utterance_s: float = MAX_UTTERANCE_S

    @property
    def short_quiet_ms(self) -> int:
        """The quiet after a whole short answer that ends it (``SHORT_QUIET_S``), plus whatever
        --silence-ms asks above the default; never more than --silence-ms."""
        return min(self.silence_ms, round(SHORT_QUIET_S * 1000) + max(0, self.silence_ms - DEFAULT_SILENCE_MS))

    def __post_init__(self) -> None:
        if not 100 <= self.silence_ms <= 10_000:
            raise UsageError(f"--silence-ms {self.silence_ms} is outside 100–10000")
        if not 1.0 <= self.no_input_s <= 120.0:
            raise UsageError(f"--no-input-s {self.no_input_s} is outside 1–120")


def _sd() -> Any:
    """Import sounddevice, turning a missing PortAudio library into a DeviceError."""
    try:
        import sounddevice
    except OSError as exc:  # libportaudio2 missing
        raise DeviceError(f"audio is unavailable: {exc} (install libportaudio2: make system)") from exc
    return sounddevice


def parse_device(text: str | None) -> int | str | None:
    if text is None or not text.strip():
        return None
    return int(text) if text.strip().isdigit() else text.strip()


class Microphone:
    """A sounddevice input stream with an energy endpointer; use as a context manager."""

    def __init__(self, config: MicConfig = MicConfig()) -> None:
        self.config = config
        self.rate = TARGET_RATE
        self._stream: Any = None
        self._history: deque[float] = deque(maxlen=round(FLOOR_WINDOW_S / FRAME_S))

    def open(self) -> Microphone:
        sd = _sd()
        if self.config.device is None and int(sd.default.device[0]) < 0:
            raise DeviceError("no microphone found (no audio input device is visible to PortAudio)")
        try:
            info = sd.query_devices(self.config.device, kind="input")
        except (ValueError, sd.PortAudioError) as exc:
            which = f"input device {self.config.device!r}" if self.config.device is not None else "input device"
            raise DeviceError(f"no usable {which} ({exc}); see 'voice-triage devices'") from exc
        name = info["name"]
        for rate in (TARGET_RATE, int(info["default_samplerate"])):
            try:
                self._stream = sd.InputStream(device=self.config.device, samplerate=rate, channels=1,
                                              dtype="int16", blocksize=self._frame(rate))
                self.rate = rate
                break
            except sd.PortAudioError as exc:
                error = exc
        else:
            raise DeviceError(f"cannot open the microphone {name!r}: {error}")
        return self

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close(ignore_errors=True)
            self._stream = None

    def __enter__(self) -> Microphone:
        return self.open()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @staticmethod
    def _frame(rate: int) -> int:
        return int(rate * FRAME_S)

    def listen(self, complete: Complete | None = None) -> Utterance:
        """Capture one answer (or decide there was none). ``complete``: the session's check that a
        short answer is already whole, so it may end after SHORT_QUIET_S (see there)."""
        if self._stream is None:
            self.open()
        sd = _sd()
        try:
            self._stream.start()
            try:
                return self._endpoint(complete)
            finally:
                self._stream.stop(ignore_errors=True)
        except sd.PortAudioError as exc:
            raise DeviceError(f"the microphone stopped working: {exc}") from exc

    def _read(self, frame: int) -> npt.NDArray[np.int16]:
        data, _overflowed = self._stream.read(frame)
        return np.asarray(data, dtype=np.int16).reshape(-1)

    def _endpoint(self, complete: Complete | None = None) -> Utterance:
        cfg = self.config
        frame = self._frame(self.rate)
        per_s = 1.0 / FRAME_S
        wait_frames = int(cfg.no_input_s * per_s)
        silence_frames = max(1, round(cfg.silence_ms / 1000 * per_s))
        max_frames = int(cfg.max_utterance_s * per_s)
        post_frames = round(POST_ROLL_S * per_s)
        short_quiet = max(1, round(cfg.short_quiet_ms / 1000 * per_s))
        short_speech = round(SHORT_SPEECH_S * per_s)
        frames: list[npt.NDArray[np.int16]] = []
        start = -1  # index of the first speech frame
        loud_run = quiet_run = 0
        floor = self.floor
        last_loud = -1
        peak = 0
        i = 0
        while True:
            block = self._read(frame)
            frames.append(block)
            rms = float(np.sqrt(np.mean(block.astype(np.float32) ** 2))) if len(block) else 0.0
            peak = max(peak, int(np.abs(block.astype(np.int32)).max(initial=0)))
            if start < 0:
                self._history.append(rms)
                known = len(self._history) >= round(CALIBRATION_S / FRAME_S)
                floor = self.floor
                loud = known and rms >= max(floor * START_RATIO, MIN_SPEECH_RMS)
                loud_run = loud_run + 1 if loud else 0
                if loud_run >= START_FRAMES:
                    start, last_loud = i - START_FRAMES + 1, i
                    for _ in range(START_FRAMES):  # the floor must not learn the speech onset
                        self._history.pop()
                elif i + 1 >= wait_frames:
                    dead = peak <= DEAD_PEAK or is_stuck(np.concatenate(frames))
                    status = Status.DEAD if dead else Status.NO_INPUT
                    return Utterance(status, np.zeros(0, np.int16), 0.0, (i + 1) * FRAME_S, time.monotonic())
            else:
                loud = rms >= max(floor * CONTINUE_RATIO, MIN_SPEECH_RMS)
                quiet_run = 0 if loud else quiet_run + 1
                if loud:
                    last_loud = i
                truncated = i - start + 1 >= max_frames
                if quiet_run >= silence_frames or truncated:
                    return self._finish(frames, i, start, last_loud, post_frames, truncated, quiet_run)
                if (complete is not None and quiet_run == short_quiet < silence_frames
                        and last_loud - start + 1 <= short_speech):
                    early = self._finish(frames, i, start, last_loud, post_frames, False, quiet_run)
                    if early.status is Status.SPEECH and complete(early.samples):
                        return replace(early, early=True)
            i += 1

    def _finish(self, frames: list[npt.NDArray[np.int16]], i: int, start: int, last_loud: int,
                post_frames: int, truncated: bool, quiet_run: int = 0) -> Utterance:
        detected_at = time.monotonic()
        first_kept = i + 1 - len(frames)  # absolute index of frames[0]
        begin = max(0, start - round(PRE_ROLL_S / FRAME_S) - first_kept)
        end = min(len(frames), last_loud + post_frames + 1 - first_kept)
        samples = np.concatenate(frames[begin:end]) if end > begin else np.zeros(0, np.int16)
        if truncated and is_stuck(samples):  # a stuck input replaying a loud buffer is not speech
            return Utterance(Status.DEAD, np.zeros(0, np.int16), 0.0, start * FRAME_S, detected_at, True)
        if self.rate != TARGET_RATE:
            samples = resample(samples, self.rate)
        return Utterance(Status.SPEECH, samples, (last_loud - start + 1) * FRAME_S, start * FRAME_S,
                         detected_at, truncated, quiet_run * FRAME_S)

    @property
    def floor(self) -> float:
        """Current noise-floor estimate (RMS, int16 units)."""
        return float(np.percentile(self._history, FLOOR_PERCENTILE)) if self._history else 0.0


def is_stuck(x: npt.NDArray[np.int16]) -> bool:
    """True when the end of ``x`` is an exact repetition (a stuck or finished input, or zeros)."""
    if len(x) < 4 * STUCK_PROBE:
        return False
    tail = x[-STUCK_PROBE:]
    lo = max(0, len(x) - STUCK_PROBE - STUCK_MAX_LAG)
    region = x[lo : len(x) - STUCK_PROBE]
    for c in np.flatnonzero(region == tail[0])[::-1]:  # nearest lag first
        start = lo + int(c)
        if np.array_equal(x[start : start + STUCK_PROBE], tail):
            lag = len(x) - STUCK_PROBE - start
            span = max(STUCK_SPAN, 2 * lag)  # the repetition must hold over the last second at least
            if span > len(x):
                return False
            return bool(np.array_equal(x[len(x) - span : len(x) - lag], x[len(x) - span + lag :]))
    return False


# --- devices ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Device:
    index: int
    name: str
    host_api: str
    inputs: int
    outputs: int
    default_rate: float
    default_input: bool
    default_output: bool

    def as_json(self) -> dict[str, object]:
        return {"index": self.index, "name": self.name, "host_api": self.host_api, "inputs": self.inputs,
                "outputs": self.outputs, "default_rate": self.default_rate,
                "default_input": self.default_input, "default_output": self.default_output}


def list_devices() -> list[Device]:
    sd = _sd()
    try:
        devices = sd.query_devices()
        apis = sd.query_hostapis()
        default_in, default_out = sd.default.device
    except sd.PortAudioError as exc:
        raise DeviceError(f"cannot list audio devices: {exc}") from exc
    return [
        Device(int(d["index"]), str(d["name"]), str(apis[d["hostapi"]]["name"]), int(d["max_input_channels"]),
               int(d["max_output_channels"]), float(d["default_samplerate"]), d["index"] == default_in,
               d["index"] == default_out)
        for d in devices
    ]
