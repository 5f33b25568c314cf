"""Generate held-out spoken sets: descriptions of back pain and short answers, by voices the
recognizers were never tuned on (``make bench-voice`` scores them; tests/bench/bench_voice.py).

    .venv/bin/python scripts/make_spoken_sets.py [--out reports/spoken-sets]
    .venv/bin/python scripts/make_spoken_sets.py --tests     # the few clips committed in tests/wav/open

Writes ``<out>/<voice>/descriptions/<n>.wav`` and ``<out>/<voice>/answers/<n>.wav`` (16 kHz mono
16-bit) and ``<out>/sets.json``: every sentence with its label and the files that say it. The
default folder is under ``reports/``, which git ignores: the audio is regenerated, never committed.

The sentences below were written for this set and nowhere else: not taken from ``tests/nlu_corpus.tsv``,
the blind sets or the grammar's templates, so the measure is one of generalisation. Their labels are
what a clinician reading the sentence would record (the finding ids of ``grammars/findings.yaml``; for
answers the answer kind, or ``none`` for words that answer nothing and must never become yes or no).

Voices: two espeak-ng voices that tests/wav does not use (a West Midlands man, an American woman),
and the neural voice ``heart`` of ``hibari-tts`` (PyPI, Apache-2.0; its American voice ships in the
wheel and runs offline through onnxruntime), rendered at 24 kHz and resampled to 16 kHz with sox.
Without hibari-tts the espeak-ng voices alone are written, and the script says so.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "reports" / "spoken-sets"
RATE = 16000

#: (name, espeak-ng voice, words per minute, pitch). Neither is in scripts/make_test_wavs.py.
ESPEAK_VOICES = [
    ("espeak-wmids_m4", "en-gb-x-gbcwmd+m4", 155, 45),
    ("espeak-us_f4", "en-us+f4", 165, 65),
]
#: (name, hibari voice, speed). ``heart`` is the voice bundled in the wheel.
HIBARI_VOICES = [("hibari-heart", "heart", 1.0)]

#: (what the person says, findings present, findings ruled out).
DESCRIPTIONS: list[tuple[str, list[str], list[str]]] = [
    ("I hurt my back lifting a heavy box at work yesterday.", ["back_pain"], []),
    ("There's a sharp pain going from my hip all the way down the back of my right leg.", ["sciatica"], []),
    ("Since this morning I can't feel anything around my bottom.", ["saddle_numbness"], []),
    ("When I go to the toilet I can't feel the paper when I wipe.", ["wiping_numbness"], []),
    ("I've been trying to pee all day and nothing comes out.", ["urinary_retention"], []),
    ("I keep wetting myself and I never used to.", ["urinary_incontinence"], []),
    ("Both of my legs feel weak and tingly.", ["both_legs_neuro"], []),
    ("My left leg keeps giving way when I walk.", ["leg_weakness"], []),
    ("I fell off a ladder on Sunday and landed on my back.", ["major_trauma"], []),
    ("I had an operation on my spine three weeks ago.", ["recent_spinal_surgery"], []),
    ("The pain is getting worse every day and it's the worst I've ever had.", ["severe_worsening_pain"], []),
    ("Lying down doesn't help at all, nothing eases it.", ["pain_unrelieved_by_rest"], []),
    ("It wakes me up every single night.", ["night_pain"], []),
    ("I've had a temperature and the shivers for two days.", ["fever"], []),
    ("I've lost a lot of weight without trying.", ["weight_loss"], []),
    ("I was treated for breast cancer five years ago.", ["cancer_history"], []),
    ("I take steroid tablets every day for my asthma.", ["steroid_use"], []),
    ("My doctor says I have thin bones.", ["osteoporosis"], []),
    ("It's been going on for about two months now and it isn't getting better.", ["persistent_pain"], []),
    ("I feel sick all the time and my stomach hurts too.", ["nausea", "abdominal_pain"], []),
    ("I haven't had a fever and I'm not losing weight, it just hurts when I bend.", ["back_pain"],
     ["fever", "weight_loss"]),
    ("The pain wraps around my ribs like a belt.", ["band_pain"], []),
    ("I have pins and needles down my right leg.", ["one_leg_numbness"], []),
    ("I'm so stiff I can't even put my socks on by myself.", ["daily_activity_limited"], []),
    ("My legs feel heavy and I keep stumbling.", ["leg_unsteadiness"], []),
    ("I've been soaking the sheets with sweat at night.", ["night_sweats"], []),
    ("I have rheumatoid arthritis and my back has been bad for a week.", ["inflammatory_arthritis", "back_pain"], []),
    ("I had a chest infection last week and now my back hurts.", ["recent_infection", "back_pain"], []),
    ("My chest feels tight and I'm struggling to breathe.", ["chest_pain", "breathing_difficulty"], []),
    ("I can't control my bowels any more.", ["bowel_incontinence"], []),
    ("I've had trouble getting an erection since the pain started.", ["sexual_dysfunction"], []),
    ("My lower back is sore but my legs are fine and I can pee normally.", ["back_pain"], []),
]

#: (what the person says, the answer it gives: yes no unsure repeat help stop correct emergency none).
ANSWERS: list[tuple[str, str]] = [
    ("Yes please.", "yes"), ("Yes, I have.", "yes"), ("Yeah, I do.", "yes"), ("Yes, it does.", "yes"),
    ("Yes, definitely.", "yes"), ("I have, actually.", "yes"), ("Yes, a little.", "yes"),
    ("Yes, that's right.", "yes"), ("It does.", "yes"), ("Yes.", "yes"), ("Yep.", "yes"),
    ("No, not at all.", "no"), ("No, I haven't.", "no"), ("I haven't.", "no"), ("No, never.", "no"),
    ("Not at all.", "no"), ("No, thank you.", "no"), ("Definitely not.", "no"),
    ("No, nothing like that.", "no"), ("I don't.", "no"), ("Absolutely not.", "no"),
    ("No, it doesn't.", "no"), ("No.", "no"), ("Nope.", "no"),
    ("I'm not really sure.", "unsure"), ("I don't know.", "unsure"), ("I can't tell.", "unsure"),
    ("Possibly.", "unsure"), ("Hard to say.", "unsure"),
    ("Pardon?", "repeat"), ("Sorry, what was that?", "repeat"), ("Can you say that again?", "repeat"),
    ("Louder please.", "repeat"), ("Could you repeat the question?", "repeat"),
    ("Help.", "help"), ("Help me.", "help"),
    ("Stop.", "stop"), ("I want to stop now.", "stop"),
    ("Go back.", "correct"), ("Wait, I got that wrong.", "correct"), ("Go back please.", "correct"),
    ("Call an ambulance.", "emergency"), ("Please get me an ambulance.", "emergency"),
    ("Next one.", "none"), ("Hello.", "none"), ("What time is it?", "none"), ("The cat is outside.", "none"),
    ("Good morning.", "none"), ("Twenty three.", "none"),
]


#: The few clips committed under tests/wav/open/<voice>/<what was said>.wav (``--tests``): replies
#: outside the spoken phrase list and one description, for tests/test_recognition.py.
TEST_CLIPS: dict[str, list[str]] = {
    "hibari-heart": ["no, not at all", "not at all", "pardon", "go back please", "i haven't", "yes please",
                     "i fell off a ladder and now both my legs are numb"],
    "espeak-us_f4": ["no, not at all", "not at all", "i haven't"],
}
TEST_DIR = REPO / "tests" / "wav" / "open"


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)


def espeak(text: str, voice: str, wpm: int, pitch: int, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        run(["espeak-ng", "-v", voice, "-s", str(wpm), "-p", str(pitch), "-w", str(raw), text])
        run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out)])


class Neural:
    """hibari-tts, loaded once; None when it is not installed."""

    def __init__(self, voice: str) -> None:
        from hibari import Hibari  # type: ignore[import-not-found,unused-ignore]

        self.tts: Any = Hibari(voice)

    def say(self, text: str, speed: float, out: Path) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            raw = Path(tmp) / "raw.wav"
            self.tts.save(text, str(raw), speed=speed, seed=0)
            run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--tests", action="store_true", help=f"write only the committed clips, to {TEST_DIR}")
    args = parser.parse_args(argv)
    renderers: dict[str, Any] = {}
    for name, voice, wpm, pitch in ESPEAK_VOICES:
        renderers[name] = lambda text, out, v=voice, w=wpm, p=pitch: espeak(text, v, w, p, out)
    for name, voice, speed in HIBARI_VOICES:
        try:
            neural = Neural(voice)
        except Exception as exc:  # not installed, or its model will not load: say so, go on
            print(f"hibari-tts unavailable ({exc}); espeak-ng voices only", file=sys.stderr)
            continue
        renderers[name] = lambda text, out, n=neural, s=speed: n.say(text, s, out)
    if args.tests:
        for name, texts in TEST_CLIPS.items():
            (TEST_DIR / name).mkdir(parents=True, exist_ok=True)
            for text in texts:
                renderers[name](text, TEST_DIR / name / f"{text.replace(',', '')}.wav")
        print(f"{sum(map(len, TEST_CLIPS.values()))} clips in {TEST_DIR}")
        return 0
    sets: dict[str, Any] = {"voices": list(renderers), "descriptions": [], "answers": []}
    for kind, items in (("descriptions", [(t, {"present": p, "absent": a}) for t, p, a in DESCRIPTIONS]),
                        ("answers", [(t, {"answer": a}) for t, a in ANSWERS])):
        for index, (text, label) in enumerate(items):
            files = {}
            for name, render in renderers.items():
                folder = args.out / name / kind
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"{index:03d}.wav"
                render(text, path)
                files[name] = str(path.relative_to(args.out))
            sets[kind].append({"text": text, **label, "files": files})
    (args.out / "sets.json").write_text(json.dumps(sets, indent=1) + "\n")
    print(f"{len(DESCRIPTIONS)} descriptions and {len(ANSWERS)} answers by {len(renderers)} voices "
          f"({', '.join(renderers)}) in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
