"""Whole voice sessions with real parts: espeak-ng answers → ALSA file device → sounddevice →
endpointer → pocketsphinx → matcher → Conversation → rules → pyttsx3 prompts played to a file.

No mocks. Each session runs `voice-triage session` in a subprocess whose $HOME/.asoundrc makes the
default capture device read the recorded answers and the default playback device write a file.
"""

from __future__ import annotations

import json
import stat
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import cli_command
from tests.filemic import asoundrc, env_for, recording, run_python
from voice_triage.asr import models
from voice_triage.clinical.catalogue import Tier, load_rulebook
from voice_triage.dialogue.questions import load_questions

pytestmark = pytest.mark.slow

#: Waits are kept short so the sessions run quickly; silences in the recordings are longer than
#: --silence-ms (ends each answer) and each recording ends in digital silence (the file's end).
FAST = ("--no-input-s", "2", "--silence-ms", "800")
#: Room noise amplitude (white, repeatable): 0.0005 ≈ -70 dBFS RMS, a quiet room with a decent
#: microphone. (The endpointer is tested in much more noise in test_microphone.py; recognition in
#: noise is measured by the recognizer's own tests and benchmark.)
NOISE = 0.0005


def session(tmp_path: Path, answers: list[str | float], *extra: str, stdin: str = "", timeout: float = 900,
            voice: str = "en-gb") -> tuple[subprocess.CompletedProcess[str], dict[str, object], Path]:
    home, played, report = tmp_path / "home", tmp_path / "played.raw", tmp_path / "session.json"
    # A quiet room under everything: real silence is never digital zeros.
    asoundrc(home, recording(answers, tmp_path / "audio", voice=voice, noise=NOISE), played)
    done = subprocess.run([*cli_command(), "session", "--report", str(report), *FAST, *extra],
                          env=env_for(home), input=stdin, capture_output=True, text=True, timeout=timeout,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    record = json.loads(report.read_text())
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    return done, record, played


def spoken_answers(*words: str) -> list[str | float]:
    """Say nothing to the open question (three 2 s waits: it is given up), then answer each yes/no one.

    The open question's free description is the recognizer's hardest case and is tested there;
    here the point is the spoken yes/no answers that decide the urgency.
    """
    parts: list[str | float] = [7.0]
    for word in words:
        parts += [word, 1.5]
    return parts


def test_spoken_yes_to_the_cauda_equina_question_is_an_emergency(tmp_path: Path) -> None:
    # "yes" to saddle numbness, "yes" when it is read back.
    done, record, played = session(tmp_path, spoken_answers("yes", "yes"), "--asr", "pocketsphinx")
    out = done.stdout
    assert record["decision"]["level"] == "emergency"  # type: ignore[index]
    assert "saddle_numbness" in record["findings"]["present"]  # type: ignore[index]
    assert record["front_end"] == "voice" and record["recognizer"] == "pocketsphinx"
    assert '(heard: "yes")' in out and "Go to A&E now" in out  # prompts are printed as well as spoken
    # Speech really went to the output device (the file holds the last prompt played).
    audio = np.fromfile(played, dtype="<i2")
    assert len(audio) > 22050 * 0.5 and np.abs(audio.astype(np.int32)).max() > 3000
    assert "speech output failed" not in done.stderr


def test_spoken_noes_end_in_self_care(tmp_path: Path) -> None:
    # Every red-flag question and the closing "shall I repeat?": all "no".
    answers = len(load_questions().yes_no) + 1
    # A US voice: the bundled recognizer's model is US English, and espeak's en-gb "no" is often
    # heard as another word and reprompted (measured in make bench-voice; see the README).
    done, record, _played = session(tmp_path, spoken_answers(*["no"] * answers), "--asr", "pocketsphinx",
                                    voice="en-us")
    assert record["decision"]["level"] == "self_care", done.stdout  # type: ignore[index]
    assert record["findings"]["unsure"] == []  # type: ignore[index]
    assert "Most back pain gets better" in done.stdout
    # A whole spoken "no" ends after the short wait (0.5 s), not --silence-ms (0.8 s here), except on
    # an emergency question: there a "no" always waits, so a "no ... but I can't feel when I wipe"
    # is never cut after "no" (there is no barge-in to catch the rest).
    book = load_rulebook()
    urgent = {q.id for q in load_questions().yes_no if any(
        book.findings[f].tier in (Tier.EMERGENCY, Tier.LIFE_THREAT) for f in q.asks_about)}
    noes = [t for t in record["turns"] if t.get("transcript", {}).get("text") == "no"]  # type: ignore[attr-defined]
    others = [t for t in noes if t["question"] not in urgent]
    early = [t for t in others if t.get("ended_early")]
    assert not [t for t in noes if t["question"] in urgent and t.get("ended_early")], noes
    assert others and len(early) >= len(others) * 3 // 4, others
    assert all(t["quiet_s"] <= 0.55 for t in early) and all(t["quiet_s"] >= 0.75 for t in noes if t not in early)


def test_recording_that_stops_early_ends_with_the_safety_message(tmp_path: Path) -> None:
    # "yes" to saddle numbness, then the input goes dead (the file ends) before the read-back is
    # answered. Also: the speaker is missing, so the session goes on in text with one notice.
    done, record, _played = session(tmp_path, spoken_answers("yes"), "--asr", "pocketsphinx",
                                    "--output-device", "no such speaker")
    assert "sending no sound" in done.stderr
    assert done.stderr.count("speech output failed") == 1
    assert "We stopped before the end" in done.stdout
    assert record["ended"] == "end_of_input"
    # A "yes" to an emergency question that was never read back is doubt, not "no": never self care.
    assert record["decision"]["level"] in ("emergency", "urgent")  # type: ignore[index]
    assert "saddle_numbness" in record["findings"]["unsure"] + record["findings"]["present"]  # type: ignore[index]


def test_no_microphone_falls_back_to_text_mode_and_says_so(tmp_path: Path) -> None:
    home = tmp_path / "home"
    asoundrc(home, recording([0.5], tmp_path / "audio"))
    typed = "my back aches\n" + "no\n" * 40  # more than enough for every question and the closing offer
    done = subprocess.run([*cli_command(), "session", "--input-device", "no such microphone"], env=env_for(home),
                          input=typed, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "no usable input device 'no such microphone'" in done.stderr
    assert "continuing in text mode" in done.stderr
    assert "Most back pain gets better" in done.stdout


def test_bad_voice_options_are_usage_errors(tmp_path: Path) -> None:
    home = tmp_path / "home"
    asoundrc(home, recording([0.5], tmp_path / "audio"))
    for option in (["--silence-ms", "20"], ["--rate", "5"], ["--asr", "whisper"]):
        done = subprocess.run([*cli_command(), "session", *option], env=env_for(home), capture_output=True,
                              text=True, timeout=120, check=False)
        assert done.returncode == 2, (option, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


@pytest.mark.skipif(models.find_model() is None,
                    reason="no Vosk model: run 'voice-triage models download' or unzip vosk-model-small-en-us-0.15 "
                           "into models/ (see models/README.md)")
def test_vosk_session_reaches_an_emergency(tmp_path: Path) -> None:
    _done, record, _played = session(tmp_path, spoken_answers("yes", "yes"), "--asr", "vosk")
    assert record["decision"]["level"] == "emergency"  # type: ignore[index]
    assert record["recognizer"] == "vosk"


#: A voice session driven in-process with the real parts (file microphone, pocketsphinx + Moonshine,
#: pyttsx3 to a file device) and the shipped question book (questions.yaml ``phrases.acknowledge``).
ACK_DRIVER = """
import io, json
from voice_triage.clinical.catalogue import load_rulebook
from voice_triage.dialogue.conversation import Conversation
from voice_triage.dialogue.questions import load_questions
from voice_triage.nlu.matcher import load_matcher
from voice_triage.session.voice import ACK_KEY, VoiceLoop, VoiceOptions, open_components
book = load_questions()
assert ACK_KEY in book.phrases.texts, "questions.yaml has no acknowledgement"
parts = open_components(VoiceOptions(asr="pocketsphinx", silence_ms=800, no_input_s=2.0))
conv = Conversation(load_rulebook(), load_matcher(), book, "uk")
out = io.StringIO()
result = VoiceLoop(conv, parts, out=out).run()
parts.close()
print(json.dumps(dict(out=out.getvalue(), acknowledged=result.acknowledged, felt=result.felt_s)))
"""


def drive(tmp_path: Path, answers: list[str | float]) -> dict[str, object]:
    home = tmp_path / "home"
    asoundrc(home, recording(answers, tmp_path / "audio", voice="en-us", noise=NOISE), tmp_path / "played.raw")
    done = run_python(home, ACK_DRIVER, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    data: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return data


def test_a_long_open_answer_is_acknowledged_while_it_is_written(tmp_path: Path) -> None:
    data = drive(tmp_path, [1.0, "my lower back hurts and the pain goes down my left leg", 3.0])
    out = str(data["out"]).splitlines()
    assert data["acknowledged"] == 1
    opening = out.index("Tell me about your back pain.")
    ack = out.index("Thank you. One moment.")
    heard = next(i for i, line in enumerate(out) if line.startswith("(heard:"))
    assert opening < ack < heard, out  # said straight after the answer, before its transcript
    assert "back" in out[heard], out  # Moonshine's transcript, written while the thanks played
    # The first sound after the description comes within about 1 s of its end (quiet waited included).
    felt = [float(x) for x in data["felt"]]  # type: ignore[attr-defined]
    assert felt and felt[0] < 1.5, felt


def test_a_short_answer_is_not_acknowledged(tmp_path: Path) -> None:
    data = drive(tmp_path, [1.0, "no", 3.0])
    assert data["acknowledged"] == 0
    assert "Thank you. One moment." not in str(data["out"])


def test_a_sentence_forced_onto_doubt_is_read_from_the_open_reply_at_its_question() -> None:
    """pocketsphinx forces a whole sentence onto "i don't know" at full confidence; Moonshine's
    transcript, read at the question's topic, is the answer (checked: from_open), and the same
    reply read without the question's topic stays the doubt heard."""
    from voice_triage.asr.base import Status, Transcript
    from voice_triage.nlu.matcher import load_matcher
    from voice_triage.session.turn import open_reading

    heard = Transcript("i don't know", Status.OK, 1.0, "pocketsphinx", 2.5, 0.3,
                       open_text="my left leg gave way on the stairs yesterday and i nearly fell")
    taken = open_reading(heard, load_matcher(), ("both_legs_neuro", "leg_weakness"))
    assert taken.status is Status.OK and taken.from_open
    assert load_matcher().understand(taken.text, ("both_legs_neuro", "leg_weakness")).answer is not None or any(
        f.present and f.id == "leg_weakness" for f in load_matcher().understand(taken.text).findings)
    # "i don't think so" heard as doubt: one "n't" decides it, so the doubt stands (asked again).
    doubt = replace(heard, open_text="i don't think so")
    assert open_reading(doubt, load_matcher(), ("leg_weakness",)) == doubt
