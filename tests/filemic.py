"""A microphone and speaker without hardware: an ALSA file device in a temporary $HOME.

PortAudio reads ``$HOME/.asoundrc`` when sounddevice is first imported, so everything that
captures runs in a subprocess with HOME pointing at a folder holding that file. The capture side
reads a raw 16 kHz mono 16-bit file (recorded answers with silences between them); playback goes
to another raw file, so a test can see that prompts were really played. Facts measured here:

- capture runs faster than real time (nothing paces the "null" slave), so waits are counted in
  samples, and a session over a 60 s recording takes a few seconds plus recognition;
- past the end of the file, capture neither blocks nor errors: it replays its last buffer (960
  samples) forever. The microphone reports that as "dead" input (an exact repeat no real
  microphone produces) and the session ends with the safety message;
- stopping and restarting the stream continues the file; re-opening the device rewinds it, so
  the microphone keeps one stream open for the whole session;
- each playback stream re-creates the output file: it holds the last prompt played.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.conftest import REPO

RATE = 16000


def asoundrc(home: Path, infile: Path, outfile: Path | None = None) -> None:
    home.mkdir(parents=True, exist_ok=True)
    out = outfile or Path("/dev/null")
    (home / ".asoundrc").write_text(
        f'pcm.filemic {{ type file; slave.pcm "null"; file "{out}"; infile "{infile}"; format "raw" }}\n'
        'pcm.!default { type plug; slave.pcm "filemic" }\n'
    )


def speech_wav(text: str, path: Path, voice: str = "en-gb", speed: int = 150) -> Path:
    """espeak-ng speech converted to 16 kHz mono 16-bit."""
    tmp = path.with_suffix(".src.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(tmp), text], check=True)
    subprocess.run(["sox", str(tmp), "-r", str(RATE), "-c", "1", "-b", "16", str(path)], check=True)
    tmp.unlink()
    return path


def recording(parts: Sequence[str | float], folder: Path, name: str = "answers",
              voice: str = "en-gb", speed: int = 150, noise: float = 0.0) -> Path:
    """Raw capture file: each str is spoken, each float is that many seconds of silence.

    ``noise`` > 0 mixes steady white noise at that amplitude (0.01 ≈ -40 dBFS) under everything.
    """
    folder.mkdir(parents=True, exist_ok=True)
    pieces: list[str] = []
    for i, part in enumerate(parts):
        piece = folder / f"{name}-{i}.wav"
        if isinstance(part, str):
            speech_wav(part, piece, voice, speed)
        else:
            subprocess.run(["sox", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(piece), "trim", "0",
                            str(part)], check=True)
        pieces.append(str(piece))
    joined = folder / f"{name}.wav"
    subprocess.run(["sox", *pieces, str(joined)], check=True)
    if noise > 0:
        noisy = folder / f"{name}-noisy.wav"
        length = subprocess.run(["soxi", "-D", str(joined)], check=True, capture_output=True, text=True).stdout
        noise_wav = folder / f"{name}-noise.wav"
        # -R: repeatable noise, so a test run can be reproduced exactly.
        subprocess.run(["sox", "-R", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(noise_wav), "synth",
                        length.strip(), "whitenoise", "vol", str(noise)], check=True)
        subprocess.run(["sox", "-m", str(joined), str(noise_wav), str(noisy)], check=True)
        joined = noisy
    raw = folder / f"{name}.raw"
    subprocess.run(["sox", str(joined), "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw",
                    str(raw)], check=True)
    return raw


def env_for(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("VOICE_TRIAGE_LOCALE", None)
    env["HOME"] = str(home)
    env["PYTHONPATH"] = str(REPO)
    env.update(extra or {})
    return env


def run_python(home: Path, code: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter whose PortAudio sees the file devices in ``home``."""
    return subprocess.run([sys.executable, "-c", code], env=env_for(home), capture_output=True, text=True,
                          timeout=timeout, cwd=REPO, check=False)
