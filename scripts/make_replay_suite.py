"""Generate the recordings of the example replay suite (tests/replay/) with espeak-ng and sox.

The manifests are kept in the repository; their WAV files are not. Every recording a manifest
names with reference ``text`` is spoken by espeak-ng from that text (voices, rates and noise vary
from file to file, so the suite is not tuned to one voice); a recording named ``silence*.wav``
becomes a few seconds of quiet room noise (to exercise no-input). Existing files are kept unless
``--force``. With ``--out DIR`` the manifests are copied there first and the audio is made there.

    python scripts/make_replay_suite.py [--src tests/replay] [--out DIR] [--force]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from voice_triage.replay.synth import Variant, render_answer

REPO = Path(__file__).resolve().parent.parent
#: Voices, rates and signal-to-noise ratios cycled over the recordings (None: clean).
VOICES = ("en-gb", "en-us+f3", "en-gb-scotland+m3", "en-us")
RATES = (150, 175, 130)
SNRS: tuple[float | None, ...] = (None, None, 20.0)
#: Quiet room noise for silence recordings: audible as a hiss, far below speech.
SILENCE_S = 3.0
SILENCE_VOL = 0.003


def recordings(doc: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(relative audio path, reference text) for every recording in a manifest."""
    found: list[tuple[str, str | None]] = []

    def add(value: Any) -> None:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                found.append((str(item["audio"]), item.get("text")))
            else:
                found.append((str(item), None))

    for value in (doc.get("answers") or {}).values():
        add(value)
    if "default" in doc:
        add(doc["default"])
    return found


def make_silence(path: Path) -> None:
    subprocess.run(["sox", "-R", "-n", "-r", "16000", "-c", "1", "-b", "16", str(path), "synth",
                    str(SILENCE_S), "pinknoise", "vol", str(SILENCE_VOL)], check=True, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=REPO / "tests" / "replay")
    parser.add_argument("--out", type=Path, default=None, help="copy the manifests here and make the audio here")
    parser.add_argument("--force", action="store_true", help="remake existing recordings")
    args = parser.parse_args(argv)
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            print(f"make_replay_suite: {tool} is missing (run make system)", file=sys.stderr)
            return 1
    manifests = sorted(p for p in args.src.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
    wanted: dict[Path, str | None] = {}
    for manifest in manifests:
        target = manifest
        if args.out is not None:
            target = args.out / manifest.relative_to(args.src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(manifest, target)
        doc = yaml.safe_load(manifest.read_text(encoding="utf-8"))
        for audio, text in recordings(doc):
            path = (target.parent / audio).resolve()
            if wanted.get(path) not in (None, text):
                print(f"make_replay_suite: {audio} is given two texts", file=sys.stderr)
                return 1
            wanted[path] = text if text is not None else wanted.get(path)
    made = 0
    for index, (path, text) in enumerate(sorted(wanted.items())):
        if path.exists() and not args.force:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.name.startswith("silence"):
            make_silence(path)
        elif text is None:
            print(f"make_replay_suite: {path.name} has no reference text to speak", file=sys.stderr)
            return 1
        else:
            variant = Variant(VOICES[index % len(VOICES)], RATES[index % len(RATES)], SNRS[index % len(SNRS)], index)
            render_answer(text, variant, path)
        made += 1
    print(f"make_replay_suite: {len(manifests)} manifests, {len(wanted)} recordings ({made} made)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
