"""Speech out with real espeak-ng (through pyttsx3) and real sounddevice playback to a file device."""

from __future__ import annotations

import json
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import cli_command, run_cli
from tests.filemic import asoundrc, env_for, recording, run_python
from voice_triage.audio.speaker import Speaker, render

PROMPT = "Have you noticed any numbness between your legs or around your bottom?"  # 12 words


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"), w.getframerate()


def test_say_out_writes_real_speech_of_plausible_length(tmp_path: Path) -> None:
    out = tmp_path / "prompt.wav"
    done = run_cli("say", PROMPT, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # pyttsx3's "Audio saved to ..." must not leak onto stdout
    samples, rate = read_wav(out)
    seconds = len(samples) / rate
    assert 2.5 <= seconds <= 8.0  # 12 words at 160 wpm ≈ 4.5 s of speech plus pauses
    assert np.abs(samples.astype(np.int32)).max() > 3000  # audible, not silence
    voiced = np.mean(np.abs(samples.astype(np.int32)) > 500)
    assert voiced > 0.2


def test_rate_and_volume_change_the_audio(tmp_path: Path) -> None:
    slow, fast, quiet = tmp_path / "slow.wav", tmp_path / "fast.wav", tmp_path / "quiet.wav"
    assert run_cli("say", PROMPT, "--rate", "110", "--out", str(slow)).returncode == 0
    assert run_cli("say", PROMPT, "--rate", "260", "--out", str(fast)).returncode == 0
    assert run_cli("say", PROMPT, "--rate", "110", "--volume", "0.25", "--out", str(quiet)).returncode == 0
    (s, rate), (f, _), (q, _) = read_wav(slow), read_wav(fast), read_wav(quiet)
    assert len(s) > 1.6 * len(f)
    assert abs(len(q) - len(s)) < rate * 0.05
    assert 0.15 < np.abs(q.astype(np.int32)).max() / np.abs(s.astype(np.int32)).max() < 0.35


def test_bad_settings_are_one_line_errors(tmp_path: Path) -> None:
    rate = run_cli("say", "hello", "--rate", "20", "--out", str(tmp_path / "x.wav"))
    assert rate.returncode == 2 and "--rate 20" in rate.stderr and len(rate.stderr.splitlines()) == 1
    voice = run_cli("say", "hello", "--voice", "no-such-voice", "--out", str(tmp_path / "x.wav"))
    assert voice.returncode == 2 and "no-such-voice" in voice.stderr and len(voice.stderr.splitlines()) == 1
    variant = run_cli("say", "hello", "--voice", "en-us+f3", "--out", str(tmp_path / "x.wav"))
    assert variant.returncode == 0, variant.stderr


def test_render_cache_and_rate_factor() -> None:
    speaker = Speaker(rate=160)
    first = speaker.render("Is the pain worse at night?")
    assert speaker.render("Is the pain worse at night?") is first  # cached: no second synthesis
    speaker.set_rate_factor(0.7)
    assert speaker.rate == 112
    slower = speaker.render("Is the pain worse at night?")
    assert slower is not first and slower.duration_s > first.duration_s * 1.2
    assert render("Thank you.").duration_s < first.duration_s


def test_missing_output_device_prints_the_text_and_goes_on(tmp_path: Path) -> None:
    done = run_cli("say", "Call 999 now.", "--output-device", "no such speaker")
    assert done.returncode == 0
    assert done.stdout.strip() == "Call 999 now."
    assert "no usable output device" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_playback_reaches_the_output_device(tmp_path: Path) -> None:
    out_raw = tmp_path / "played.raw"
    asoundrc(tmp_path / "home", recording([0.2], tmp_path / "audio"), out_raw)
    code = (
        "import json\nfrom voice_triage.audio.speaker import Speaker\n"
        "s = Speaker()\nr = s.render('Is the pain worse at night?')\np = s.say('Is the pain worse at night?')\n"
        "print(json.dumps(dict(played=p.played, first=p.first_sample_at, error=p.error, n=len(r.samples))))\n"
    )
    done = run_python(tmp_path / "home", code)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["played"] and result["first"] is not None, result
    played = np.fromfile(out_raw, dtype="<i2")
    assert len(played) >= result["n"] and np.abs(played.astype(np.int32)).max() > 3000
    # And the CLI: text on stdout, speech to the device, nothing on stderr.
    cli = subprocess.run([*cli_command(), "say", "Thank you."], env=env_for(tmp_path / "home"),
                         capture_output=True, text=True, timeout=60, check=False)
    assert cli.returncode == 0 and cli.stdout.strip() == "Thank you." and cli.stderr == ""


def test_a_crashed_synthesis_helper_is_replaced_and_the_text_still_spoken() -> None:
    """espeak-ng (inside pyttsx3) runs in a helper process: when it dies, as it did now and then
    with SIGSEGV in CI, the next render starts a new helper instead of ending the conversation."""
    import os
    import signal

    from voice_triage.audio import espeak_worker

    before = render("Call 999 now.")
    pid = espeak_worker.helper_pid()
    assert pid is not None and pid != os.getpid()
    os.kill(pid, signal.SIGSEGV)
    os.waitpid(pid, 0)  # the helper is our child: reap it, so it is surely gone
    after = render("Is the pain worse at night?")
    assert after.duration_s > 1.0 and np.abs(after.samples.astype(np.int32)).max() > 3000
    assert espeak_worker.helper_pid() not in (None, pid)
    assert abs(render("Call 999 now.").duration_s - before.duration_s) < 0.05


def test_a_forked_process_starts_its_own_synthesis_helper() -> None:
    """A replay worker forked after the parent rendered must not talk to the parent's helper over
    the same pipe (the answers would interleave)."""
    import os

    from voice_triage.audio import espeak_worker

    render("Thank you.")
    parent_helper = espeak_worker.helper_pid()
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            ok = render("Is the pain worse at night?").duration_s > 1.0
            mine = espeak_worker.helper_pid()
            os.write(write_end, f"{int(ok)} {mine}".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    ok, mine = os.read(read_end, 64).decode().split()
    os.waitpid(child, 0)
    assert ok == "1" and int(mine) != parent_helper
    assert render("Thank you.").duration_s > 0.3  # the parent's helper still answers
