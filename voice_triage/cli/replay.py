"""``replay`` and ``synth``: recorded sessions for accessibility testers (docs/replay.md)."""

from __future__ import annotations

import argparse
from typing import Any

from .common import add_asr_options, command, job_count


def cmd_replay(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..errors import UsageError
    from ..replay.batch import replay_batch, replay_single

    target = Path(args.target)
    report_dir = Path(args.report_dir) if args.report_dir else None
    if target.is_dir():
        return replay_batch(target, report_dir, args.json, args.jobs, args.asr, args.model, args.scheduler,
                            args.allow_outside_audio, args.copy_audio)
    if args.scheduler:
        raise UsageError("--scheduler replays a folder of manifests; give a folder")
    return replay_single(target, report_dir, args.json, args.asr, args.model, args.allow_outside_audio,
                         args.copy_audio)


def cmd_synth(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..replay.synth import synth_suite

    written = synth_suite(Path(args.personas), Path(args.out))
    print(f"wrote {len(written)} manifests under {args.out} (replay them with 'voice-triage replay {args.out}')")
    return 0


def register(sub: Any) -> None:
    p = command(sub, "replay", "replay recorded answers (a manifest, or a folder of them) and check the outcome",
                "voice-triage replay tests/replay/saddle_emergency.yaml",
                "voice-triage replay replay-suite --jobs 2 --report-dir reports")
    p.add_argument("target", metavar="MANIFEST|DIR", help="a manifest (YAML or JSON) or a folder of manifests")
    p.add_argument("--report-dir", metavar="DIR", help="write JSON and HTML reports here (created owner-only)")
    p.add_argument("--json", action="store_true", help="print one JSON object (the report, or the batch summary)")
    p.add_argument("--jobs", type=job_count, default=1, metavar="N",
                   help="replay a folder with N processes (default 1; fewer, with a note, when the memory "
                        "available cannot hold N workers; VOICE_TRIAGE_WORKER_MB sets the MB one needs)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="replay a folder on a Dask cluster, e.g. tcp://HOST:8786 (pip install 'voice-triage[cluster]')")
    p.add_argument("--allow-outside-audio", action="store_true",
                   help="let manifests use recordings outside their folder (a batch: outside DIR)")
    p.add_argument("--copy-audio", action="store_true",
                   help="copy the recordings into the report folder, so a moved report still plays them")
    add_asr_options(p, "recognizer (default auto: Vosk when a model is installed, else pocketsphinx)",
                    "Vosk model folder")
    p.set_defaults(func=cmd_replay)

    p = command(sub, "synth", "generate recorded answers and manifests from a persona file",
                "voice-triage synth tests/personas_example.yaml --out replay-suite")
    p.add_argument("personas", metavar="PERSONAS", help="persona file (YAML)")
    p.add_argument("--out", default="replay-suite", metavar="DIR", help="output folder (default replay-suite)")
    p.set_defaults(func=cmd_synth)
