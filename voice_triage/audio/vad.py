"""Voice-activity gate: does a recorded answer hold speech at all (else the turn is no-input)?

The recognizers call ``detect`` on each whole answer before decoding it (the microphone ends an
answer by its own frame energy, ``microphone.py``); the answer spotter also reads its loud-frame count.

A plain energy threshold cannot tell a word from running water, a kitchen or white noise: all are
loud. Every answer the assistant accepts has at least one vowel, and vowels are voiced: periodic at
the speaker's pitch (about 60–400 Hz). Noise is loud but not periodic. So a frame counts as voiced
when it is clearly above the clip's noise floor *and* its normalised autocorrelation has a strong
peak at a pitch lag; a clip is speech when it holds enough voiced frames, mostly in one stretch.
Whispered answers fail this gate; they are reprompted, which is the safe direction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from ..settings import SAMPLE_RATE

RATE: Final = SAMPLE_RATE
#: 32 ms frames with a 10 ms hop: two periods of an 80 Hz voice fit in one frame.
FRAME: Final = 512
HOP: Final = 160
#: Frames measured at once. Frames overlap (512 samples every 160) and the voicing measure holds a
#: 1024-point spectrum per frame, ~25 kB a frame in all: a 2-minute answer measured whole held
#: ~300 MB for a moment, at every recognizer that checks it. 1000 frames (10 s) hold ~25 MB; more
#: would save nothing measurable in time, fewer would loop more in Python.
BLOCK_FRAMES: Final = 1000
#: Pitch range searched, as lags in samples (400 Hz down to 65 Hz).
MIN_LAG: Final = RATE // 400
MAX_LAG: Final = RATE // 65
#: A frame is "loud" when its energy is this many dB above the clip's quietest 10% of frames, and at
#: least ABS_FLOOR_DB (dBFS) so digital silence with dither never counts. Lower margins let noise
#: bursts through; higher ones lose quiet speakers in a noisy room.
MARGIN_DB: Final = 6.0
ABS_FLOOR_DB: Final = -60.0
#: Normalised autocorrelation peak needed for a voiced frame. Measured on the speech-commands
#: clips (see tests/bench/bench_voice.py): running water and white noise stay below about 0.45,
#: vowels of yes/no are above 0.7 for nearly every speaker. Higher values miss breathy voices.
VOICING: Final = 0.55
#: Voiced frames (10 ms each) a clip needs to count as speech: one short vowel is about 60–80 ms.
#: Fewer lets clicks and kitchen clatter through; more rejects a curt "no" said quickly.
MIN_VOICED_FRAMES: Final = 5


@dataclass(frozen=True)
class Activity:
    """What the gate measured: voiced frames, loud frames, and the verdict."""

    speech: bool
    voiced_frames: int
    loud_frames: int
    frames: int
    peak_db: float


def voicing(frames: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """Peak normalised autocorrelation per frame over the pitch lags (0 = noise, 1 = periodic)."""
    centred = frames - frames.mean(axis=1, keepdims=True)
    spec = np.fft.rfft(centred * np.hanning(FRAME), n=2 * FRAME, axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, : MAX_LAG + 1]
    # Divide by the window's own autocorrelation so long lags are not penalised (Boersma 1993).
    win = np.fft.irfft(np.abs(np.fft.rfft(np.hanning(FRAME), n=2 * FRAME)) ** 2)[: MAX_LAG + 1]
    norm = ac / np.maximum(ac[:, :1], 1e-12) / (win / win[0])
    return np.asarray(norm[:, MIN_LAG:].max(axis=1), dtype=np.float64)


def detect(samples: npt.NDArray[np.int16]) -> Activity:
    """Measure a 16 kHz int16 clip and decide whether it holds speech."""
    if len(samples) == 0:
        return Activity(False, 0, 0, 0, -120.0)
    x = samples.astype(np.float32) / 32768.0
    if len(x) < FRAME:
        x = np.concatenate([x, np.zeros(FRAME - len(x), np.float32)])
    count = 1 + (len(x) - FRAME) // HOP
    energy_db = np.empty(count, dtype=np.float64)
    periodic = np.empty(count, dtype=np.float64)
    for first in range(0, count, BLOCK_FRAMES):  # a block at a time: the same figures, bounded memory
        last = min(count, first + BLOCK_FRAMES)
        frames = x[np.arange(FRAME)[None, :] + HOP * np.arange(first, last)[:, None]]
        energy_db[first:last] = 10.0 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
        periodic[first:last] = voicing(frames)
    floor = float(np.percentile(energy_db, 10))
    loud = (energy_db > floor + MARGIN_DB) & (energy_db > ABS_FLOOR_DB)
    voiced = loud & (periodic > VOICING)
    n_voiced = int(voiced.sum())
    return Activity(
        speech=n_voiced >= MIN_VOICED_FRAMES,
        voiced_frames=n_voiced,
        loud_frames=int(loud.sum()),
        frames=count,
        peak_db=float(energy_db.max()),
    )
