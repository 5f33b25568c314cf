"""Replay benchmark: ``python -m tests.bench.bench_replay [--asr KIND] [--copies N]`` (``make bench-replay``).

1. Speed of one long session: the example suite's self-care manifest (the open question, every yes/no
   question, and a reprompt after silence: 14 turns) replayed with a warm recognizer; "times faster
   than real time" = (answer audio + rendered prompt audio) / wall time. Target: at least 10.
2. Batch throughput: the example suite copied N times (5 × N manifests) replayed through the CLI
   with --jobs 1 and --jobs 2; sessions per minute should grow with --jobs on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
TARGET_SPEEDUP = 10.0


def make_suite(out: Path) -> Path:
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_replay_suite.py"), "--out", str(out)],
                   check=True, capture_output=True)
    return out


def bench_session(suite: Path, asr: str, runs: int) -> None:
    from voice_triage.replay.run import _recognizer, replay_file

    started = time.perf_counter()
    _recognizer(asr, None)
    load_s = time.perf_counter() - started
    results = [replay_file(suite / "self_care.yaml", asr) for _ in range(runs)]
    first = results[0]
    speedups = [r.audio_s / r.wall_s for r in results]
    decode = [t.decode_s for r in results for t in r.turns]
    render = [t.prompt.render_s for r in results for t in r.turns]
    print(f"session: self_care, {len(first.turns)} turns, recognizer {first.recognizer}, "
          f"passed={first.passed}, recognizer load {load_s:.2f} s (once per process)")
    print(f"  audio {first.audio_s:.1f} s (answers {sum(t.answer_s for t in first.turns):.1f} s + prompts); "
          f"wall median {statistics.median(r.wall_s for r in results):.2f} s over {runs} runs")
    print(f"  faster than real time: median {statistics.median(speedups):.1f}x, worst {min(speedups):.1f}x "
          f"(target >= {TARGET_SPEEDUP:.0f}x: {'met' if min(speedups) >= TARGET_SPEEDUP else 'NOT met'})")
    print(f"  per turn: recognition median {statistics.median(decode) * 1000:.0f} ms, "
          f"max {max(decode) * 1000:.0f} ms; prompt rendering median {statistics.median(render) * 1000:.0f} ms")


def bench_batch(suite: Path, asr: str, copies: int) -> None:
    folder = suite / "batch"
    for copy in range(copies):
        target = folder / f"copy{copy}"
        target.mkdir(parents=True)
        for manifest in [*suite.glob("*.yaml"), *suite.glob("*.json")]:
            text = manifest.read_text().replace("audio/", "../../audio/")
            (target / manifest.name).write_text(text)
    script = Path(sys.executable).parent / "voice-triage"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "voice_triage"]
    rates = {}
    for jobs in (1, 2):
        started = time.perf_counter()
        proc = subprocess.run([*command, "replay", str(folder), "--allow-outside-audio", "--jobs", str(jobs),
                               "--json", "--asr", asr], capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        summary = json.loads(proc.stdout)
        totals = summary["totals"]
        rates[jobs] = totals["manifests"] / wall * 60
        print(f"batch --jobs {jobs}: {totals['manifests']} sessions in {wall:.1f} s = {rates[jobs]:.1f} sessions/min "
              f"({totals['passed']} passed; answer accuracy {totals['answer_accuracy']}, WER {totals['wer']}, "
              f"latency p50 {totals['latency_s']['p50']} s p90 {totals['latency_s']['p90']} s)")
    print(f"  throughput --jobs 2 / --jobs 1: {rates[2] / rates[1]:.2f}x on {os.cpu_count()} cores "
          f"(load average now {os.getloadavg()[0]:.1f}: other work on the machine lowers it)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asr", default="auto", choices=["auto", "vosk", "pocketsphinx"])
    parser.add_argument("--copies", type=int, default=3, help="copies of the 5-manifest suite in the batch")
    parser.add_argument("--runs", type=int, default=3, help="replays of the long session")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress as it happens
    tmp = Path(tempfile.mkdtemp(prefix="bench-replay-"))
    try:
        suite = make_suite(tmp / "suite")
        bench_session(suite, args.asr, args.runs)
        bench_batch(suite, args.asr, args.copies)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
