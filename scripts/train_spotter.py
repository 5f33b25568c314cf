"""Train the answer spotter (voice_triage/asr_spotter.py) on espeak-ng speech.

    .venv/bin/python scripts/train_spotter.py [--draws 2] [--shards 4] [--jobs 2] [--features DIR]

Writes voice_triage/data/spotter.npz. Takes about 20 minutes per draw on two cores; deterministic
for the same espeak-ng version and arguments. Each draw is an independent sample of synthetic
speech with its own network; their probabilities are averaged at run time, because one draw's
accuracy on real people varies by several points with the luck of the draw.

No recordings of real people are used: the answer phrases
and other words of grammars/spotter.yaml (plus the competitor words of grammars/rejection.yaml)
are spoken by espeak-ng accents x voice variants x rates x pitches, then varied the way real
microphones and rooms vary speech: speed/vocal-tract perturbation, spectral tilt, band limiting,
room echo, coloured noise at 0-30 dB SNR, and a random place in the clip. The noise class is
synthetic noise with knocks. The network is 192 → 64 (ReLU) → classes, trained with Adam.
"""

from __future__ import annotations

import argparse
import io
import random
import subprocess
import sys
import wave
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from voice_triage.asr.embedding import SpeechEmbedder  # noqa: E402
from voice_triage.asr.sphinx import load_garbage_words  # noqa: E402
from voice_triage.asr.spotter import CLIP_S, WEIGHTS, load_classes  # noqa: E402
from voice_triage.audio.wav import resample  # noqa: E402
from voice_triage.content import load_data_file  # noqa: E402

RATE = 16000
ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp", "en-gb-x-gbcwmd", "en-029", "en")
#: Variants that no longer sound like a person speaking.
ODD_VARIANTS = {"whisper", "whisperf", "Demonic", "croak", "UniRobot", "anikaRobot"}
#: Network size and regularisation, chosen by recall on real yes/no at a fixed false-accept rate
#: of other words (trained on espeak, scored on speech-commands): 64 units, L2 1e-4, input noise
#: 0.1 → 82%/85%; 128 units, L2 1e-3, input noise 0.3 → 89%/91%. Stronger regularisation keeps the
#: network from learning espeak's own quirks.
HIDDEN = 128
L2 = 1e-3
INPUT_NOISE = 0.3


def variants() -> list[str]:
    out = subprocess.run(["espeak-ng", "--voices=variant"], capture_output=True, text=True, check=True).stdout
    names = [line.split()[4].split("/")[-1] for line in out.splitlines()[1:] if len(line.split()) > 4]
    return [n for n in names if n not in ODD_VARIANTS]


def speak(text: str, rng: random.Random, voices: list[str]) -> npt.NDArray[np.int16]:
    voice = rng.choice(ACCENTS) + ("+" + rng.choice(voices) if rng.random() < 0.85 else "")
    raw = subprocess.run(["espeak-ng", "-v", voice, "-s", str(rng.randint(110, 230)), "-p", str(rng.randint(10, 90)),
                          "-a", "150", "--stdout", text], capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(raw)) as w:
        rate, x = w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), np.int16)
    return resample(x, rate)


def coloured(n: int, rng: random.Random) -> npt.NDArray[np.float64]:
    white = np.random.default_rng(rng.randint(0, 2**31)).standard_normal(n)
    kind = rng.choice(("white", "pink", "brown", "hum"))
    if kind == "hum":
        return np.sin(2 * np.pi * rng.choice((50, 60, 100, 120)) * np.arange(n) / RATE) + 0.3 * white
    if kind == "white":
        return white
    spectrum = np.fft.rfft(white) / (np.arange(n // 2 + 1) + 1) ** (0.5 if kind == "pink" else 1.0)
    return np.fft.irfft(spectrum, n)


def vary(x: npt.NDArray[np.int16], rng: random.Random) -> npt.NDArray[np.int16]:
    if rng.random() < 0.7:  # speed and vocal-tract length
        x = resample(x, int(RATE * rng.uniform(0.82, 1.22)))
    y = x.astype(np.float64)
    loud = np.nonzero(np.abs(y) > 200)[0]
    if len(loud):
        y = y[max(loud[0] - 400, 0): loud[-1] + 800]
    freqs = np.fft.rfftfreq(len(y), 1 / RATE)
    if rng.random() < 0.5:  # bright or muffled microphone
        y = np.fft.irfft(np.fft.rfft(y) * (1 + freqs / 1000) ** rng.uniform(-0.6, 0.4), len(y))
    if rng.random() < 0.3:  # room echo
        ir = np.random.default_rng(rng.randint(0, 2**31)).standard_normal(int(RATE * rng.uniform(0.05, 0.3)))
        ir *= np.exp(-np.arange(len(ir)) / (RATE * rng.uniform(0.02, 0.08)))
        ir[0] = 1 / rng.uniform(0.2, 0.6)
        y = np.convolve(y, ir)[: len(y) + len(ir) // 2]
    if rng.random() < 0.3:  # telephone or cheap microphone band
        spectrum = np.fft.rfft(y)
        freqs = np.fft.rfftfreq(len(y), 1 / RATE)
        spectrum[(freqs < rng.uniform(100, 400)) | (freqs > rng.uniform(3000, 6000))] *= 0.05
        y = np.fft.irfft(spectrum, len(y))
    out = np.zeros(max(int(CLIP_S * RATE), len(y) + 1600))
    at = rng.randint(0, len(out) - len(y))
    out[at: at + len(y)] = y * rng.uniform(1000, 12000) / (np.abs(y).max() + 1)
    if rng.random() < 0.9:
        noise = coloured(len(out), rng)
        power = np.mean(out[at: at + len(y)] ** 2) / 10 ** (rng.uniform(0, 30) / 10)
        out += noise * np.sqrt(power / (np.mean(noise**2) + 1e-9))
    return np.clip(out, -32768, 32767).astype(np.int16)


def noise_clip(rng: random.Random) -> npt.NDArray[np.int16]:
    n = int(CLIP_S * RATE)
    x = coloured(n, rng) * rng.uniform(30, 3000)
    for _ in range(rng.randint(1, 4) if rng.random() < 0.3 else 0):  # knocks and clicks
        at = rng.randint(0, n - 800)
        x[at: at + 800] += np.random.default_rng(rng.randint(0, 9999)).standard_normal(800) * rng.uniform(
            1000, 8000) * np.exp(-np.arange(800) / 150)
    return np.clip(x, -32768, 32767).astype(np.int16)


def other_words() -> list[str]:
    answer_words = {w for c in load_classes() for p in c.phrases for w in p.split()}
    words = str(load_data_file("spotter.yaml")["other_words"]).split() + list(load_garbage_words())
    return [w for w in dict.fromkeys(words) if w not in answer_words | {"know"}]


def shard(args: tuple[int, int, int]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    seed, per_class, per_word = args
    rng, voices, embed = random.Random(seed), variants(), SpeechEmbedder()
    classes = load_classes()
    jobs: list[tuple[int, str | None]] = []
    for index, c in enumerate(classes):
        if c.answer is not None:
            jobs += [(index, p) for p in c.phrases for _ in range(per_class // len(c.phrases))]
        elif c.name == "noise":
            jobs += [(index, None)] * per_class
        else:
            jobs += [(index, w) for w in other_words() for _ in range(per_word)]
    features, labels = [], []
    for label, text in jobs:
        clip = vary(speak(text, rng, voices), rng) if text else noise_clip(rng)
        windows = embed(clip).astype(np.float64)
        features.append(np.concatenate([windows.max(axis=0), windows.mean(axis=0)]))
        labels.append(label)
    return np.array(features), np.array(labels)


def train(x: npt.NDArray[np.float64], y: npt.NDArray[np.int64], classes: int, seed: int,
          epochs: int = 60) -> dict[str, npt.NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mu) / sd
    params = [rng.standard_normal((z.shape[1], HIDDEN)) * np.sqrt(2 / z.shape[1]), np.zeros(HIDDEN),
              rng.standard_normal((HIDDEN, classes)) * np.sqrt(1 / HIDDEN), np.zeros(classes)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    step = 0
    for _ in range(epochs):
        order = rng.permutation(len(z))
        for start in range(0, len(z), 64):
            batch = order[start: start + 64]
            xb = z[batch] + rng.standard_normal((len(batch), z.shape[1])) * INPUT_NOISE
            w1, b1, w2, b2 = params
            h = np.maximum(xb @ w1 + b1, 0)
            logits = h @ w2 + b2
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(batch)), y[batch]] -= 1
            p /= len(batch)
            gh = p @ w2.T * (h > 0)
            grads = [xb.T @ gh + L2 * w1, gh.sum(axis=0), h.T @ p + L2 * w2, p.sum(axis=0)]
            step += 1
            for i, g in enumerate(grads):
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                params[i] -= 1e-3 * (m[i] / (1 - 0.9**step)) / (np.sqrt(v[i] / (1 - 0.999**step)) + 1e-8)
    return {"mu": mu, "sd": sd, "w1": params[0], "b1": params[1], "w2": params[2], "b2": params[3]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--per-class", type=int, default=750, help="clips per answer class per shard")
    parser.add_argument("--per-word", type=int, default=6, help="clips per other word per shard")
    parser.add_argument("--seed", type=int, default=1, help="first draw's seed; draw d uses seed + d")
    parser.add_argument("--draws", type=int, default=2,
                        help="independent draws of synthetic speech, one network each, averaged at run time")
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    parser.add_argument("--features", type=Path,
                        help="folder to reuse (or save) each draw's generated features in")
    args = parser.parse_args()
    classes = load_classes()
    networks = []
    for draw in range(args.draws):
        seed = args.seed + draw
        cache = args.features / f"draw-{seed}.npz" if args.features else None
        if cache and cache.exists():
            with np.load(cache) as cached:
                x, y = cached["x"], cached["y"]
        else:
            work = [(seed * 1000 + i, args.per_class, args.per_word) for i in range(args.shards)]
            with Pool(args.jobs) as pool:
                parts = pool.map(shard, work)
            x = np.concatenate([p[0] for p in parts])
            y = np.concatenate([p[1] for p in parts])
            if cache:
                cache.parent.mkdir(parents=True, exist_ok=True)
                np.savez(cache, x=x, y=y)
        print(f"draw {seed}: clips per class", dict(zip((c.name for c in classes), np.bincount(y), strict=True)))
        networks.append(train(x, y, len(classes), seed))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    stacked = {k: np.stack([n[k] for n in networks]).astype(np.float32) for k in networks[0]}
    np.savez_compressed(args.out, labels=np.array([c.name for c in classes]), **stacked)
    print(f"wrote {args.out}: {len(networks)} networks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
