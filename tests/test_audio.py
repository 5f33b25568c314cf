"""WAV reading (formats, rates, downmix, resampling quality, bounded length) and the voice gate."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO, SPEECH_COMMANDS, run_cli
from voice_triage.audio import vad
from voice_triage.audio.wav import MAX_DURATION_S, read_wav, resample
from voice_triage.errors import AudioFileError

WAV_DIR = REPO / "tests" / "wav"


def write_wav(path: Path, data: np.ndarray, rate: int, bits: int = 16, channels: int = 1, fmt: int = 1) -> Path:
    """A WAV written by hand so every format tag / width combination can be produced."""
    if fmt == 3:
        raw = data.astype("<f4").tobytes()
    elif bits == 8:
        raw = (np.clip(data, -1, 0.999) * 128 + 128).astype(np.uint8).tobytes()
    elif bits == 24:
        ints = np.clip(np.round(data * (1 << 23)), -(1 << 23), (1 << 23) - 1).astype("<i4")
        raw = b"".join(int(v).to_bytes(3, "little", signed=True) for v in ints.ravel())
    else:
        dtype = {16: "<i2", 32: "<i4"}[bits]
        raw = np.round(data * (2 ** (bits - 1) - 1)).astype(dtype).tobytes()
    block = channels * bits // 8
    header = struct.pack("<HHIIHH", fmt, channels, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(header)) + header + b"data" + struct.pack("<I", len(raw)) + raw
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def tone(freq: float, rate: int, seconds: float = 1.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def level_db(x: np.ndarray) -> float:
    core = x[1600:-1600].astype(np.float64) / 32768
    return 20 * np.log10(np.sqrt(np.mean(core**2)) / (0.5 / np.sqrt(2)) + 1e-12)


@pytest.mark.parametrize("rate", [8000, 11025, 16000, 22050, 32000, 44100, 48000])
@pytest.mark.parametrize(("bits", "fmt"), [(8, 1), (16, 1), (24, 1), (32, 1), (32, 3)])
def test_every_rate_and_width_reads_as_16k_mono(tmp_path: Path, rate: int, bits: int, fmt: int) -> None:
    path = write_wav(tmp_path / "t.wav", tone(1000, rate), rate, bits=bits, fmt=fmt)
    audio = read_wav(path)
    assert audio.source_rate == rate
    assert audio.samples.dtype == np.int16
    assert abs(audio.duration_s - 1.0) < 0.01
    assert abs(len(audio.samples) - 16000) <= 1
    assert abs(level_db(audio.samples)) < 0.5  # a 1 kHz tone keeps its level through resampling


def test_stereo_is_averaged(tmp_path: Path) -> None:
    left, right = tone(440, 44100, amp=0.4), np.zeros(44100)
    path = write_wav(tmp_path / "s.wav", np.stack([left, right], axis=1), 44100, channels=2)
    audio = read_wav(path)
    assert level_db(audio.samples) == pytest.approx(20 * np.log10(0.2 / 0.5), abs=0.5)


@pytest.mark.parametrize("rate", [22050, 44100, 48000])
def test_resampling_removes_what_16k_cannot_hold(rate: int) -> None:
    # A 10 kHz tone cannot exist at 16 kHz: it must vanish, not fold back as a 6 kHz alias.
    assert level_db(resample(tone(10000, rate).astype(np.float32), rate)) < -60
    # Speech band content passes nearly unchanged.
    assert abs(level_db(resample(tone(3000, rate).astype(np.float32), rate))) < 0.3


def test_sox_resampled_speech_matches_ours() -> None:
    """Our resampler against sox's on real speech: the two 16 kHz signals agree closely."""
    import shutil
    import subprocess

    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("espeak-ng and sox are needed (scripts/setup-system.sh)")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        src, ref = Path(tmp) / "src.wav", Path(tmp) / "ref.wav"
        subprocess.run(["espeak-ng", "-w", str(src), "yes I think so"], check=True)
        subprocess.run(["sox", str(src), "-r", "16000", str(ref)], check=True)
        ours = read_wav(src).samples.astype(np.float64)
        with wave.open(str(ref)) as w:
            theirs = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64)
    n = min(len(ours), len(theirs))
    err = ours[:n] - theirs[:n]
    snr = 10 * np.log10(np.sum(theirs[:n] ** 2) / np.sum(err**2))
    assert snr > 30


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a WAV"),
        (b"hello, this is plain text and not audio at all", "not a WAV"),
        (b"RIFF\x10\x00\x00\x00WAVEfmt ", "truncated"),
    ],
)
def test_bad_files_are_audio_file_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioFileError, match=message):
        read_wav(path)


def test_truncated_data_and_empty_data(tmp_path: Path) -> None:
    good = write_wav(tmp_path / "g.wav", tone(440, 16000), 16000)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(good.read_bytes()[:2000])
    with pytest.raises(AudioFileError, match="truncated"):
        read_wav(cut)
    empty = write_wav(tmp_path / "e.wav", np.zeros(0), 16000)
    with pytest.raises(AudioFileError, match="no audio"):
        read_wav(empty)


def test_two_hour_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    # A header that promises two hours, over a sparse file: reading it all would take 230 MB.
    path = tmp_path / "long.wav"
    n_bytes = 2 * 3600 * 16000 * 2
    header = struct.pack("<HHIIHH", 1, 1, 16000, 32000, 2, 16)
    body_head = b"WAVE" + b"fmt " + struct.pack("<I", 16) + header + b"data" + struct.pack("<I", n_bytes)
    with path.open("wb") as fh:
        fh.write(b"RIFF" + struct.pack("<I", len(body_head) + n_bytes) + body_head)
        fh.truncate(fh.tell() + n_bytes)
    with pytest.raises(AudioFileError, match=f"longer than {MAX_DURATION_S:.0f} s"):
        read_wav(path)


def test_unsupported_rate_and_channels(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError, match="outside"):
        read_wav(write_wav(tmp_path / "r.wav", tone(440, 96000), 96000))
    with pytest.raises(AudioFileError, match="channels"):
        read_wav(write_wav(tmp_path / "c.wav", np.zeros((100, 4)), 16000, channels=4))


@pytest.mark.parametrize(
    ("content", "needle"),
    [(b"not audio", "not a WAV"), (b"RIFF\x24\x00\x00\x00WAVE", "truncated")],
)
def test_cli_bad_audio_exits_2_with_one_line(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    proc = run_cli("understand", "--audio", str(path), "--asr", "pocketsphinx", "--json")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in proc.stderr


def test_cli_missing_file_exits_2(tmp_path: Path) -> None:
    proc = run_cli("understand", "--audio", str(tmp_path / "nope.wav"), "--asr", "pocketsphinx")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1


# --- the voice gate --------------------------------------------------------------------------------


def test_gate_digital_silence_and_noise_are_not_speech() -> None:
    rng = np.random.default_rng(1)
    assert not vad.detect(np.zeros(16000, np.int16)).speech
    assert not vad.detect((rng.standard_normal(16000) * 3000).astype(np.int16)).speech
    assert not vad.detect(np.zeros(0, np.int16)).speech


def test_gate_hears_espeak_answers() -> None:
    files = sorted((WAV_DIR).glob("*/*.wav"))
    speech = [f for f in files if f.parent.name != "reject"]
    if not speech:
        pytest.skip("tests/wav is empty: run scripts/make_test_wavs.py")
    missed = [f for f in speech if not vad.detect(read_wav(f).samples).speech]
    assert not missed


def test_gate_on_human_clips() -> None:
    if not SPEECH_COMMANDS.is_dir():
        pytest.skip(f"{SPEECH_COMMANDS} is absent (the shared human recordings live outside the repository)")
    words = [f for d in ("yes", "no", "stop") for f in sorted((SPEECH_COMMANDS / d).glob("*.wav"))]
    noise = sorted((SPEECH_COMMANDS / "_silence_").glob("*.wav"))
    heard = sum(vad.detect(read_wav(f).samples).speech for f in words)
    fooled = sum(vad.detect(read_wav(f).samples).speech for f in noise)
    assert heard / len(words) >= 0.99  # the gate must not drop real answers
    assert fooled / len(noise) <= 0.2  # the recognizer's rejection handles what gets through
