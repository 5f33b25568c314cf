"""Voice-session benchmarks: turn latency and peak memory of a whole spoken session.

Run alone with ``python -m tests.bench.voice_session_bench``; ``make bench-voice`` runs it after the
recognition benchmark (``bench_voice.bench_session``).
Sessions use the real parts: espeak-ng answers through an ALSA file device (sounddevice capture,
our endpointer), pocketsphinx, the conversation, and pyttsx3 prompts played by sounddevice to a
file device. The file device runs faster than real time, which is what makes timing meaningful:

- turn latency = first sample of the next prompt handed to the output device minus the moment
  the end of the answer was detected (so the --silence-ms wait is excluded, as the target says).
  It is split into the recognizer's decode time and the rest (dialogue, synthesis, playback start).
- peak memory = maximum resident set size of a `voice-triage session` subprocess.

Targets (issue 5): median turn latency < 300 ms; peak memory < 300 MB.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Final

from tests.conftest import cli_command
from tests.filemic import asoundrc, env_for, recording, run_python

LATENCY_TARGET_S: Final = 0.300
MEMORY_TARGET_MB: Final = 300.0

#: A whole self-care session: nothing to the open question (given up after three waits), then "no"
#: to every question and to the closing offer. Light room noise under everything.
ANSWERS: Final = 16

_DRIVER = """
import json
from voice_triage.clinical.catalogue import load_rulebook
from voice_triage.dialogue.conversation import Conversation
from voice_triage.nlu.matcher import load_matcher
from voice_triage.dialogue.questions import load_questions
from voice_triage.session.voice import VoiceLoop, VoiceOptions, open_components
import io
options = VoiceOptions(asr="pocketsphinx", silence_ms=800, no_input_s=2.0)
parts = open_components(options)
conv = Conversation(load_rulebook(), load_matcher(), load_questions(), "uk")
result = VoiceLoop(conv, parts, out=io.StringIO()).run()
parts.close()
print(json.dumps(dict(latencies=result.latencies_s, timings=result.timings, turns=result.turns,
                      level=conv.decision.level.value if conv.decision else None)))
"""


def _session_audio(folder: Path) -> Path:
    parts: list[str | float] = [7.0]
    for _ in range(ANSWERS):
        parts += ["no", 1.5]
    return recording(parts, folder, noise=0.003)


def bench_latency() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        home = Path(tmp) / "home"
        asoundrc(home, _session_audio(Path(tmp) / "audio"), Path(tmp) / "played.raw")
        done = run_python(home, _DRIVER, timeout=1800)
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-2000:])
        data = json.loads(done.stdout.strip().splitlines()[-1])
    latencies = [float(x) for x in data["latencies"]]
    answered = [(float(lat), float(dec)) for lat, dec in data["timings"] if dec > 0]
    return {
        "turns": data["turns"],
        "decision": data["level"],
        "latency_median_s": statistics.median(latencies) if latencies else None,
        "latency_max_s": max(latencies) if latencies else None,
        "answered_latency_median_s": statistics.median(lat for lat, _ in answered) if answered else None,
        "decode_median_s": statistics.median(dec for _, dec in answered) if answered else None,
        "other_median_s": statistics.median(lat - dec for lat, dec in answered) if answered else None,
        "no_input_latency_median_s": statistics.median(lat for lat, dec in data["timings"] if dec == 0)
        if any(dec == 0 for _, dec in data["timings"]) else None,
        "target_s": LATENCY_TARGET_S,
    }


def peak_rss_mb(command: list[str], env: dict[str, str] | None = None) -> tuple[int, float]:
    """(exit status, peak resident MB) of one command, run as the only child of a helper process
    (so RUSAGE_CHILDREN is that command)."""
    probe = (
        "import resource, subprocess, sys\n"
        f"done = subprocess.run({command!r}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=1800,
                          check=False)
    status, kb = done.stdout.split()
    return int(status), int(kb) / 1024


def bench_memory() -> dict[str, Any]:
    """Peak memory of a voice session, and of one recognition that needs Moonshine: `understand
    --audio` on a word pocketsphinx cannot match (the session's answers are all understood at once,
    so it never loads Moonshine), with Moonshine on and off."""
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        home = Path(tmp) / "home"
        asoundrc(home, _session_audio(Path(tmp) / "audio"))
        status, session_mb = peak_rss_mb([*cli_command(), "session", "--asr", "pocketsphinx", "--no-input-s", "2"],
                                         env_for(home))
    clip = str(Path(__file__).resolve().parents[1] / "wav" / "reject" / "seven.wav")
    command = [*cli_command(), "understand", "--audio", clip, "--asr", "pocketsphinx"]
    _, with_mb = peak_rss_mb(command)
    _, without_mb = peak_rss_mb(command, {**os.environ, "VOICE_TRIAGE_MOONSHINE": "off"})
    return {"exit_status": status, "peak_rss_mb": round(session_mb, 1),
            "peak_rss_mb_moonshine_listening": round(with_mb, 1),
            "peak_rss_mb_moonshine_off": round(without_mb, 1), **bench_long_memory(),
            "target_mb": MEMORY_TARGET_MB}


#: The long answer of ``bench_long_memory``: a description said this many times (about 19 s each).
LONG_REPEATS: Final = 6
LONG_SENTENCE: Final = ("my lower back hurts and the pain goes down my left leg. it started three days ago when "
                        "i lifted a heavy box at work. i have no numbness in my groin and i can pass water normally.")


def bench_long_memory() -> dict[str, Any]:
    """Peak memory of a long answer to the open question (issue 18 item 18: it must not grow with
    the answer's length; decoded whole, 114 s peaked at 1.17 GB) and of a replay batch with two
    workers (the example suite; the figure is the largest of the main process and its workers)."""
    from voice_triage.audio.espeak_worker import NO_SOUND_SERVER, PULSE_SERVER_ENV

    repo = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory(prefix="bench-memory-long-") as tmp:
        raw, wav = Path(tmp) / "raw.wav", Path(tmp) / "long.wav"
        subprocess.run(["espeak-ng", "-v", "en-gb", "-w", str(raw), " ".join([LONG_SENTENCE] * LONG_REPEATS)],
                       check=True, capture_output=True, env={**os.environ, PULSE_SERVER_ENV: NO_SOUND_SERVER})
        subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav)], check=True,
                       capture_output=True)
        long_s = (wav.stat().st_size - 44) / 32000
        _, long_mb = peak_rss_mb([*cli_command(), "understand", "--audio", str(wav), "--question", "open"])
    _, replay_mb = peak_rss_mb([*cli_command(), "replay", str(repo / "tests" / "replay"), "--jobs", "2", "--json"])
    return {"long_answer_s": round(long_s, 1), "peak_rss_mb_long_answer": round(long_mb, 1),
            "peak_rss_mb_replay_jobs_2": round(replay_mb, 1)}


def report(latency: dict[str, Any], memory: dict[str, Any]) -> bool:
    """Print both measurements; True when both targets are met."""
    print("voice session turn latency (end of answer detected → first sample of next prompt):")
    for key, value in latency.items():
        print(f"  {key}: {round(value, 3) if isinstance(value, float) else value}")
    print("voice session peak memory:")
    for key, value in memory.items():
        print(f"  {key}: {value}")
    ok_latency = latency["latency_median_s"] is not None and latency["latency_median_s"] < LATENCY_TARGET_S
    ok_memory = memory["peak_rss_mb"] < MEMORY_TARGET_MB
    ok_listening = memory["peak_rss_mb_moonshine_listening"] < MEMORY_TARGET_MB
    print(f"latency target {'met' if ok_latency else 'MISSED'}; memory target {'met' if ok_memory else 'MISSED'}"
          f" for the session, {'met' if ok_listening else 'MISSED'} once Moonshine listens")
    return ok_latency and ok_memory


def main() -> int:
    return 0 if report(bench_latency(), bench_memory()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
