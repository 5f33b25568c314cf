"""The real capture path: sounddevice → PortAudio → ALSA file device → our endpointer.

Each test writes recorded answers (espeak-ng speech with silences) to a raw file, points a
temporary $HOME's .asoundrc at it and captures in a subprocess. No mocks.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np

from tests.conftest import cli_command
from tests.filemic import asoundrc, env_for, recording, run_python, speech_wav
from voice_triage.audio.microphone import is_stuck

LISTEN = """
import json, sys
from voice_triage.audio.microphone import Microphone, MicConfig
cfg = MicConfig(silence_ms={silence_ms}, no_input_s={no_input_s})
check = None
{check}
rows = []
with Microphone(cfg) as mic:
    for _ in range({turns}):
        u = mic.listen(check)
        rows.append(dict(status=u.status.value, seconds=len(u.samples) / 16000, speech=u.speech_s,
                         waited=u.waited_s, truncated=u.truncated, rate=mic.rate, quiet=u.quiet_s,
                         early=u.early))
print(json.dumps(rows))
"""

#: The check a voice session gives the microphone (session/voice.py): the fast constrained pass
#: (pocketsphinx, the yes/no question's phrase list) hears a whole yes or no (``whole_answer``).
SPHINX_CHECK = """
from voice_triage.asr.factory import open_recognizer
from voice_triage.nlu.grammar import load_grammar
from voice_triage.nlu.matcher import load_matcher
from voice_triage.session.turn import doubt_phrases, steering_phrases
from voice_triage.session.voice import whole_answer
phrases = load_grammar().constraint_for("yes_no")
fast = open_recognizer("pocketsphinx", moonshine=False)
matcher = load_matcher()
skip = steering_phrases() | doubt_phrases()
def check(samples):
    heard = fast.transcribe(samples, phrases)
    return whole_answer(heard, matcher, skip)
"""
#: A check that finds every short answer complete: only the microphone's own limits can refuse.
ALWAYS = "check = lambda samples: True"


def listen(home: Path, turns: int, silence_ms: int = 1200, no_input_s: float = 3.0,
           check: str = "") -> list[dict[str, object]]:
    done = run_python(home, LISTEN.format(silence_ms=silence_ms, no_input_s=no_input_s, turns=turns, check=check))
    assert done.returncode == 0, done.stderr
    rows: list[dict[str, object]] = json.loads(done.stdout)
    return rows


def duration(path: Path) -> float:
    out = subprocess.run(["soxi", "-D", str(path)], check=True, capture_output=True, text=True).stdout
    return float(out)


def test_answers_are_endpointed_then_the_end_of_the_recording_is_dead_input(tmp_path: Path) -> None:
    raw = recording([1.0, "yes", 2.0, "no I don't think so", 1.5], tmp_path / "audio")
    yes_s = duration(speech_wav("yes", tmp_path / "yes.wav"))
    asoundrc(tmp_path / "home", raw)
    first, second, third = listen(tmp_path / "home", 3)
    assert first["status"] == "speech" and second["status"] == "speech"
    assert first["rate"] == 16000
    # espeak pads its WAV with ~0.1 s silence either side; the speech itself is shorter than the file.
    assert 0.9 <= float(first["waited"]) <= 1.25
    assert 0.2 <= float(first["speech"]) <= yes_s + 0.1
    # The trailing 1.2 s of silence after "yes" were consumed, so the next answer starts sooner.
    assert 0.6 <= float(second["waited"]) <= 1.4
    assert float(second["speech"]) > 2 * float(first["speech"])
    # Samples = pre-roll + speech + post-roll (about 1 s of margins), never the whole silence.
    assert float(first["seconds"]) < float(first["speech"]) + 1.1
    # After the file ends the device returns digital silence: reported as dead, not as speech.
    assert third["status"] == "dead" and float(third["seconds"]) == 0.0


def test_slow_speaker_is_not_cut_off_and_silence_ms_is_adjustable(tmp_path: Path) -> None:
    # espeak pads each phrase with silence, so the pause heard is ~0.85 s: a slow, hesitant speaker.
    raw = recording([0.5, "I have", 0.5, "numbness", 2.0], tmp_path / "audio")
    asoundrc(tmp_path / "home", raw)
    (whole,) = listen(tmp_path / "home", 1, silence_ms=1200)
    assert whole["status"] == "speech" and float(whole["speech"]) > 1.5  # both parts, pause included
    split = listen(tmp_path / "home", 2, silence_ms=400)
    assert [row["status"] for row in split] == ["speech", "speech"]
    assert float(split[0]["speech"]) < float(whole["speech"]) - 0.8


def test_steady_noise_is_no_input_and_speech_over_noise_is_found(tmp_path: Path) -> None:
    raw = recording([4.0, "yes please", 2.0], tmp_path / "audio", noise=0.02)
    asoundrc(tmp_path / "home", raw)
    # 3 s of noise only: no input (the floor adapts; noise is not speech and not digital silence).
    waited, answered = listen(tmp_path / "home", 2, no_input_s=3.0)
    assert waited["status"] == "no_input" and float(waited["seconds"]) == 0.0
    assert answered["status"] == "speech"
    assert 0.5 <= float(answered["waited"]) <= 1.3  # the remaining ~1 s of noise before the words
    assert float(answered["speech"]) < 2.0  # ended by the noisy trailing "silence"


def test_unknown_input_device_is_a_clear_device_error(tmp_path: Path) -> None:
    asoundrc(tmp_path / "home", recording([0.5], tmp_path / "audio"))
    code = ("from voice_triage.audio.microphone import Microphone, MicConfig\n"
            "from voice_triage.errors import DeviceError\n"
            "try:\n    Microphone(MicConfig(device='no such microphone')).open()\n"
            "except DeviceError as e:\n    print('DeviceError:', e)\n")
    done = run_python(tmp_path / "home", code)
    assert "DeviceError: no usable input device 'no such microphone'" in done.stdout, done.stderr


def test_devices_lists_the_file_device(tmp_path: Path) -> None:
    asoundrc(tmp_path / "home", recording([0.5], tmp_path / "audio"))
    done = subprocess.run([*cli_command(), "devices", "--json"], env=env_for(tmp_path / "home"),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    devices = json.loads(done.stdout)
    names = {d["name"] for d in devices}
    assert "filemic" in names
    assert any(d["default_input"] and d["inputs"] > 0 for d in devices)
    text = subprocess.run([*cli_command(), "devices"], env=env_for(tmp_path / "home"), capture_output=True,
                          text=True, timeout=60, check=False)
    assert "[default input]" in text.stdout


def test_stuck_input_detection() -> None:
    rng = np.random.default_rng(7)
    noise = rng.normal(0, 40, 32000).astype(np.int16)
    assert not is_stuck(noise)  # a quiet room: never an exact repeat
    buffer = noise[-960:]
    ended = np.concatenate([noise, np.tile(buffer, 20)])  # a file device past its end
    assert is_stuck(ended)
    assert is_stuck(np.zeros(16000, np.int16))
    assert not is_stuck(np.concatenate([np.tile(buffer, 20), noise]))  # stuck earlier, live now


def test_end_of_a_noisy_recording_is_dead_input(tmp_path: Path) -> None:
    # The device replays its last buffer after the end of the file: dead, not endless "no input".
    raw = recording([1.0, "yes", 1.0], tmp_path / "audio", noise=0.003)
    asoundrc(tmp_path / "home", raw)
    rows = listen(tmp_path / "home", 3, no_input_s=2.0)
    assert [row["status"] for row in rows] == ["speech", "dead", "dead"]


def test_a_whole_short_answer_ends_sooner_than_silence_ms(tmp_path: Path) -> None:
    raw = recording([1.0, "no", 3.0], tmp_path / "audio", voice="en-us", noise=0.0005)
    asoundrc(tmp_path / "home", raw)
    (fixed,) = listen(tmp_path / "home", 1, silence_ms=1200)
    assert fixed["status"] == "speech" and not fixed["early"]
    assert abs(float(fixed["quiet"]) - 1.2) < 0.05  # without a check: the whole --silence-ms
    (adaptive,) = listen(tmp_path / "home", 1, silence_ms=1200, check=SPHINX_CHECK)
    assert adaptive["status"] == "speech" and adaptive["early"], adaptive
    assert float(adaptive["quiet"]) <= 0.55  # SHORT_QUIET_S after the word, not 1.2 s
    assert adaptive["seconds"] == fixed["seconds"]  # the same samples reach the recognizer


def test_a_reply_going_on_after_a_comma_is_one_utterance(tmp_path: Path) -> None:
    # "no, but my legs are numb": espeak's own padding leaves ~0.35 s between "no" and "but", the
    # pause of a comma. The check finds "no" whole, but SHORT_QUIET_S has not passed yet.
    raw = recording([1.0, "no", "but my legs are numb", 3.0], tmp_path / "audio", voice="en-us", noise=0.0005)
    asoundrc(tmp_path / "home", raw)
    (whole,) = listen(tmp_path / "home", 1, silence_ms=1200, check=ALWAYS)
    assert whole["status"] == "speech" and not whole["early"]
    assert float(whole["speech"]) > 1.3  # "no" and the rest: one answer


def test_a_slow_speakers_pause_inside_a_sentence_is_not_cut(tmp_path: Path) -> None:
    # "my back ... [1.5 s] ... hurts when I bend": "my back" is no answer, so the check says no and
    # the answer waits the whole --silence-ms (set above the pause for this speaker). ("I have ..."
    # is an answer, yes, and pocketsphinx hears it as "yes" at 0.98: that one ends early.)
    raw = recording([0.5, "my back", 1.5, "hurts when I bend", 3.5], tmp_path / "audio", voice="en-us",
                    noise=0.0005)
    asoundrc(tmp_path / "home", raw)
    (whole,) = listen(tmp_path / "home", 1, silence_ms=2500, check=SPHINX_CHECK)
    assert whole["status"] == "speech" and not whole["early"]
    assert float(whole["speech"]) > 2.2 and abs(float(whole["quiet"]) - 2.5) < 0.05
    # --silence-ms still caps the wait with a check given: 1 s cuts the same recording in two.
    split = listen(tmp_path / "home", 2, silence_ms=1000, check=SPHINX_CHECK)
    assert [row["status"] for row in split] == ["speech", "speech"]
    assert float(split[0]["quiet"]) <= 1.0 + 0.05


def test_long_speech_never_ends_early(tmp_path: Path) -> None:
    # A description (over SHORT_SPEECH_S of speech) waits --silence-ms even when the check would
    # say yes to anything; an answer the check refuses ("seven") waits it too.
    raw = recording([0.5, "my lower back hurts and the pain goes down my leg", 2.0, "seven", 2.0],
                    tmp_path / "audio", voice="en-us", noise=0.0005)
    asoundrc(tmp_path / "home", raw)
    (long,) = listen(tmp_path / "home", 1, silence_ms=1500, check=ALWAYS)
    assert float(long["speech"]) > 2.0 and not long["early"] and abs(float(long["quiet"]) - 1.5) < 0.05
    _long, other = listen(tmp_path / "home", 2, silence_ms=1500, check=SPHINX_CHECK)
    assert other["status"] == "speech" and not other["early"] and abs(float(other["quiet"]) - 1.5) < 0.05


def test_a_slow_speakers_pause_after_a_whole_no_is_kept_when_they_asked_for_patience(tmp_path: Path) -> None:
    # "no ... [1.5 s] ... but my legs are numb": up to "but" this is the audio of a whole "no" (the
    # same espeak "no"), so only the wait can keep it. --silence-ms 2700 (a slow speaker) makes the
    # short wait 2.0 s: one answer holding both, through the session's real check.
    raw = recording([1.0, "no", 1.5, "but my legs are numb", 3.5], tmp_path / "audio", voice="en-us",
                    noise=0.0005)
    asoundrc(tmp_path / "home", raw)
    (whole,) = listen(tmp_path / "home", 1, silence_ms=2700, check=SPHINX_CHECK)
    assert whole["status"] == "speech" and not whole["early"]
    assert float(whole["speech"]) > 2.5  # "no", the pause and the rest
    # The same speaker's whole "no" still ends sooner than their --silence-ms.
    alone = tmp_path / "alone"
    asoundrc(alone, recording([1.0, "no", 3.5], tmp_path / "audio2", voice="en-us", noise=0.0005))
    (no,) = listen(alone, 1, silence_ms=2700, check=SPHINX_CHECK)
    assert no["early"] and abs(float(no["quiet"]) - 2.0) < 0.05
