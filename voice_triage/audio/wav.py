"""WAV reading: any PCM or float WAV from 8 to 48 kHz, mono or stereo → 16 kHz mono int16.

The RIFF chunks are parsed here rather than with :mod:`wave` because ``wave`` (Python 3.11)
rejects float and WAVE_FORMAT_EXTENSIBLE files, which recorders and sox write routinely. The
header is read first and the length checked before any sample is loaded, so a two-hour file is
refused without reading it into memory.
"""

from __future__ import annotations

import io
import math
import os
import stat
import struct
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

import numpy as np
import numpy.typing as npt

from ..errors import AudioFileError
from ..files import write_bytes
from ..settings import SAMPLE_RATE

#: The rate every recognizer and the microphone path work at.
TARGET_RATE: Final = SAMPLE_RATE
#: Source rates accepted (inclusive). Below 8 kHz speech loses the consonants ASR needs;
#: above 48 kHz is studio material nobody answers a question with.
MIN_RATE: Final = 8000
MAX_RATE: Final = 48000
#: Longest answer accepted. An answer to one question is seconds long; people who speak slowly
#: or describe symptoms need more, so the cap is generous. Longer files are refused with a clear
#: error (rather than silently cut to their head, which could drop the part that matters).
MAX_DURATION_S: Final = 120.0
#: Resampler: windowed-sinc half-width in zero crossings and Kaiser beta. 16 zero crossings with
#: beta 8.6 give > 70 dB stop-band attenuation; fewer taps were measurably worse for 44.1 kHz
#: sources (aliased sibilants), more cost time for no gain. ROLLOFF keeps the transition band
#: below the new Nyquist frequency.
SINC_ZEROS: Final = 16
KAISER_BETA: Final = 8.6
ROLLOFF: Final = 0.94
#: Output samples computed per resampler block: bounds the temporary (block × taps) matrix.
BLOCK: Final = 16384

_PCM: Final = 1
_FLOAT: Final = 3
_EXTENSIBLE: Final = 0xFFFE
#: Writers that stream (sox or ffmpeg to a pipe) leave the data size as 0 or 0xFFFFFFFF.
_STREAMING_SIZES: Final = (0, 0xFFFFFFFF)

Int16Array = npt.NDArray[np.int16]


@dataclass(frozen=True)
class Audio:
    """16 kHz mono int16 samples, with the rate the file had before resampling."""

    samples: Int16Array
    source_rate: int
    duration_s: float


@dataclass(frozen=True)
class _Format:
    tag: int
    channels: int
    rate: int
    bits: int
    block_align: int


def read_wav(path: str | os.PathLike[str], max_duration_s: float = MAX_DURATION_S) -> Audio:
    """Read a WAV file as 16 kHz mono int16; any problem is an ``AudioFileError`` naming the file."""
    name = str(path)
    if "\0" in name:
        raise AudioFileError(f"{name!r}: the file name holds a NUL character")
    try:
        # Non-blocking open: a FIFO with no writer (or a device) must be refused, not waited on.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise AudioFileError(f"{name}: not a regular file (a folder, device or pipe)")
        with open(fd, "rb") as fh:
            size = info.st_size
            fmt, data_offset, data_size = _parse_header(fh, size, name)
            frames = data_size // fmt.block_align
            duration = frames / fmt.rate
            if frames == 0:
                raise AudioFileError(f"{name}: the WAV file holds no audio")
            if duration > max_duration_s:
                raise AudioFileError(
                    f"{name}: the recording is {duration:.0f} s long; answers longer than "
                    f"{max_duration_s:.0f} s are not accepted (trim it to the answer)"
                )
            fh.seek(data_offset)
            raw = fh.read(frames * fmt.block_align)
    except OSError as exc:
        raise AudioFileError(f"{name}: cannot read: {exc.strerror or exc}") from exc
    mono = _decode(raw, fmt)
    samples = resample(mono, fmt.rate)
    return Audio(samples=samples, source_rate=fmt.rate, duration_s=len(samples) / TARGET_RATE)


def wav_bytes(samples: Int16Array, rate: int) -> bytes:
    """16-bit mono PCM WAV file contents for ``samples`` at ``rate`` Hz."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(samples, dtype=np.int16).astype("<i2").tobytes())
    return buffer.getvalue()


def write_wav(path: str | os.PathLike[str], samples: Int16Array, rate: int, what: str = "cannot write") -> None:
    """Write a 16-bit mono WAV atomically, owner-only (``files.write_bytes``)."""
    write_bytes(Path(path), wav_bytes(samples, rate), what)


def _parse_header(fh: BinaryIO, size: int, name: str) -> tuple[_Format, int, int]:
    head = fh.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise AudioFileError(f"{name}: not a WAV file (no RIFF/WAVE header)")
    fmt: _Format | None = None
    pos = 12
    while True:
        fh.seek(pos)
        chunk = fh.read(8)
        if len(chunk) < 8:
            missing = "data" if fmt else "fmt "
            raise AudioFileError(f"{name}: truncated WAV file (no '{missing.strip()}' chunk)")
        cid, csize = chunk[:4], struct.unpack("<I", chunk[4:])[0]
        body = pos + 8
        if cid == b"fmt ":
            fmt = _parse_fmt(fh.read(min(csize, 64)), name)
        elif cid == b"data":
            if fmt is None:
                raise AudioFileError(f"{name}: malformed WAV file ('data' before 'fmt ')")
            available = size - body
            if csize in _STREAMING_SIZES:
                csize = available
            elif csize > available:
                raise AudioFileError(
                    f"{name}: truncated WAV file (header promises {csize} bytes of audio, {available} present)"
                )
            return fmt, body, csize
        pos = body + csize + (csize & 1)  # chunks are word-aligned
        if pos > size:
            raise AudioFileError(f"{name}: truncated WAV file (chunk '{cid.decode('latin-1')}' runs past the end)")


def _parse_fmt(body: bytes, name: str) -> _Format:
    if len(body) < 16:
        raise AudioFileError(f"{name}: malformed WAV file (short 'fmt ' chunk)")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", body[:16])
    if tag == _EXTENSIBLE and len(body) >= 26:
        tag = struct.unpack("<H", body[24:26])[0]  # first two bytes of the sub-format GUID
    if tag not in (_PCM, _FLOAT):
        raise AudioFileError(f"{name}: unsupported WAV encoding (format tag {tag}); use PCM or float")
    if channels not in (1, 2):
        raise AudioFileError(f"{name}: {channels} channels; only mono or stereo is supported")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioFileError(f"{name}: sample rate {rate} Hz is outside {MIN_RATE}–{MAX_RATE} Hz")
    allowed = (32, 64) if tag == _FLOAT else (8, 16, 24, 32)
    if bits not in allowed:
        kind = "float" if tag == _FLOAT else "PCM"
        raise AudioFileError(f"{name}: {bits}-bit {kind} is not supported")
    if block_align != channels * bits // 8:
        raise AudioFileError(f"{name}: malformed WAV file (block size {block_align} does not fit the format)")
    return _Format(tag, channels, rate, bits, block_align)


def _decode(raw: bytes, fmt: _Format) -> npt.NDArray[np.float32]:
    """Samples as float32 in [-1, 1], stereo averaged to mono."""
    if fmt.tag == _FLOAT:
        data = np.frombuffer(raw, dtype="<f4" if fmt.bits == 32 else "<f8").astype(np.float32)
        data = np.nan_to_num(np.clip(data, -1.0, 1.0))
    elif fmt.bits == 8:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif fmt.bits == 16:
        data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif fmt.bits == 24:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        data = ints.astype(np.float32) / float(1 << 23)
    else:
        data = (np.frombuffer(raw, dtype="<i4").astype(np.float64) / float(1 << 31)).astype(np.float32)
    if fmt.channels == 2:
        data = data.reshape(-1, 2).mean(axis=1, dtype=np.float32)
    return data


def to_int16(samples: npt.NDArray[np.floating] | npt.NDArray[np.integer]) -> Int16Array:
    """Float samples in [-1, 1] (or int16 already) as int16, clipped rather than wrapped."""
    if samples.dtype == np.int16:
        return samples  # type: ignore[return-value]
    scaled = np.clip(np.round(np.asarray(samples, dtype=np.float64) * 32768.0), -32768, 32767)
    return scaled.astype(np.int16)


def resample(samples: npt.NDArray[np.floating] | npt.NDArray[np.integer], rate: int) -> Int16Array:
    """Band-limited (Kaiser-windowed sinc) resampling of mono samples from ``rate`` to 16 kHz.

    Float input is taken to be in [-1, 1]; int16 input is converted. Works for any rate ratio
    (11025, 22050 and 44100 Hz included) and in blocks, so memory stays proportional to the input.
    """
    x = samples.astype(np.float32) / 32768.0 if samples.dtype == np.int16 else samples.astype(np.float32)
    if rate == TARGET_RATE or len(x) == 0:
        return to_int16(x)
    g = math.gcd(rate, TARGET_RATE)
    num, den = rate // g, TARGET_RATE // g  # output n sits at input time n * num / den
    scale = min(1.0, TARGET_RATE / rate)  # cutoff relative to the input Nyquist frequency
    cutoff = scale * ROLLOFF
    half = math.ceil(SINC_ZEROS / cutoff)  # taps either side, in input samples
    offsets = np.arange(-half + 1, half + 1)
    # One kernel per fractional phase (den of them: 160 for 44.1 kHz), computed once.
    d = np.arange(den)[:, None] / den - offsets[None, :]  # distance from each tap, in input samples
    window = np.i0(KAISER_BETA * np.sqrt(np.clip(1.0 - (d / (half + 1)) ** 2, 0.0, 1.0))) / np.i0(KAISER_BETA)
    bank = (cutoff * np.sinc(cutoff * d) * window).astype(np.float32)
    n_out = len(x) * den // num
    padded = np.concatenate([np.zeros(half, np.float32), x, np.zeros(half + 1, np.float32)])
    out = np.empty(n_out, dtype=np.float32)
    for start in range(0, n_out, BLOCK):
        pos = np.arange(start, min(start + BLOCK, n_out), dtype=np.int64) * num
        base, phase = np.divmod(pos, den)
        idx = base[:, None] + offsets[None, :] + half  # indices into the padded input
        out[start : start + len(pos)] = np.einsum("ij,ij->i", bank[phase], padded[idx])
    return to_int16(out)
