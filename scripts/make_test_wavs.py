"""Generate the espeak-ng test speech in tests/wav/ (committed, so tests are deterministic).

    .venv/bin/python scripts/make_test_wavs.py [--out tests/wav]

Layout: ``tests/wav/<case>/<expected text>.wav``, 16 kHz mono 16-bit. ``<case>`` names the voice,
rate and pitch, and ``-snr10`` when noise was mixed in at 10 dB signal-to-noise ratio. The expected
text is what the person said; tests derive the expected answer from it with the matcher, never from
a hard-coded table. ``reject/`` holds audio that must never become yes or no (noise, silence,
speech outside the grammar), named by what it is.

Needs espeak-ng and sox (scripts/setup-system.sh). sox runs with -R so noise is repeatable.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

RATE = 16000
SNR_DB = 10.0

#: (case name, espeak voice, words per minute, pitch 0-99). Four distinct voices, two genders,
#: UK and US accents, slow to brisk rates: a recognizer tuned to one voice fails the others.
VOICES = [
    ("en-gb_m_s150", "en-gb", 150, 50),
    ("en-us_m_s175", "en-us", 175, 40),
    ("en-us_f3_s140", "en-us+f3", 140, 60),
    ("en-gb-rp_m3_s190", "en-gb-x-rp+m3", 190, 35),
    ("en-scotland_f2_s160", "en-gb-scotland+f2", 160, 70),
]

#: Short answers people give to yes/no questions, with human-like variation and hedges.
ANSWERS = [
    "yes", "no", "not sure", "yeah", "nope", "i'm not sure", "i don't think so", "yes i have",
    "no i haven't", "i don't know", "stop", "repeat that", "help",
]
#: The subset mixed with noise (keeps the committed total small while covering every answer kind).
NOISY = ["yes", "no", "not sure", "yeah", "nope", "i'm not sure", "no i haven't", "stop"]
#: Sentences for the open question, spoken by two voices.
SYMPTOMS = [
    "i can't feel my bum",
    "my legs are weak",
    "i can't pee",
    "the pain is unbearable",
]
#: Audio that must never be taken as yes or no: (name, espeak text or None for non-speech).
REJECT = [
    ("white noise", None),
    ("pink noise", None),
    ("brown noise", None),
    ("digital silence", None),
    ("hum", None),
    ("banana", "banana"),
    ("left", "left"),
    ("seven", "seven"),
    ("the weather is lovely today", "the weather is lovely today"),
    ("what time is the bus", "what time is the bus"),
]


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


def speak(text: str, voice: str, wpm: int, pitch: int, out: Path) -> None:
    """espeak-ng to a 22 kHz WAV, then sox to 16 kHz mono with a short lead-in and tail."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        run(["espeak-ng", "-v", voice, "-s", str(wpm), "-p", str(pitch), "-w", str(raw), text])
        run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out), "pad", "0.25", "0.3"])


def read(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)


def write(path: Path, samples: np.ndarray) -> None:
    data = np.clip(np.round(samples), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(data.tobytes())


def noise(kind: str, n: int, seed_file: Path) -> np.ndarray:
    """sox-generated noise (repeatable with -R), n samples at unit RMS."""
    run(["sox", "-R", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(seed_file), "synth",
         f"{n / RATE:.4f}", kind, "vol", "0.5"])
    x = read(seed_file)[:n]
    x = np.pad(x, (0, n - len(x)))
    return x / max(float(np.sqrt(np.mean(x**2))), 1e-9)


def mix(speech: Path, kind: str, snr_db: float, out: Path) -> None:
    """Add noise at snr_db relative to the speech's RMS over its active (non-padding) samples."""
    x = read(speech)
    active = x[np.abs(x) > 0.02 * np.abs(x).max()]
    level = float(np.sqrt(np.mean(active**2))) / (10 ** (snr_db / 20))
    write(out, x + level * noise(kind, len(x), out.with_suffix(".noise.wav")))
    out.with_suffix(".noise.wav").unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "tests" / "wav")
    args = parser.parse_args(argv)
    out: Path = args.out
    kinds = ["whitenoise", "pinknoise", "brownnoise"]
    count = 0
    for i, (case, voice, wpm, pitch) in enumerate(VOICES):
        clean, noisy = out / case, out / f"{case}-snr{SNR_DB:.0f}"
        clean.mkdir(parents=True, exist_ok=True)
        noisy.mkdir(parents=True, exist_ok=True)
        for text in ANSWERS:
            speak(text, voice, wpm, pitch, clean / f"{text}.wav")
            count += 1
            if text in NOISY:
                mix(clean / f"{text}.wav", kinds[(i + count) % len(kinds)], SNR_DB, noisy / f"{text}.wav")
                count += 1
    for case, voice, wpm, pitch in VOICES[:2]:
        folder = out / "symptoms" / case
        folder.mkdir(parents=True, exist_ok=True)
        for text in SYMPTOMS:
            speak(text, voice, wpm, pitch, folder / f"{text}.wav")
            count += 1
    reject = out / "reject"
    reject.mkdir(parents=True, exist_ok=True)
    for name, text in REJECT:
        path = reject / f"{name}.wav"
        if text is not None:
            speak(text, "en-us+f3" if len(name) % 2 else "en-gb", 160, 50, path)
        elif name == "digital silence":
            write(path, np.zeros(RATE * 2))
        elif name == "hum":  # mains hum with harmonics: loud, periodic, not speech
            t = np.arange(RATE * 2) / RATE
            write(path, 3000 * sum(np.sin(2 * np.pi * 50 * k * t) / k for k in range(1, 6)))
        else:
            write(path, 2000 * noise(name.split()[0] + "noise", RATE * 2, path.with_suffix(".tmp.wav")))
            path.with_suffix(".tmp.wav").unlink()
        count += 1
    total = sum(p.stat().st_size for p in out.rglob("*.wav"))
    print(f"wrote {count} WAV files, {total / 1e6:.1f} MB, under {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
