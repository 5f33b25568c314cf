"""How long a self-care conversation takes to hear: ``python -m tests.bench.bench_conversation``.

Plays the conversation of a person with simple back pain (a short description, then "no" to every
question) through the typed session, renders every prompt with ``voice-triage say --out`` (the real
espeak-ng path, default rate), and sums the audio: total seconds of prompts, the introduction, when
the emergency number is first heard, and the words per minute actually heard.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import wave
from pathlib import Path

from tests.conftest import cli_command
from voice_triage.clinical import load_rulebook
from voice_triage.dialogue import Ask, Conversation, Say, load_questions
from voice_triage.nlu import load_matcher


def prompts(locale: str) -> list[str]:
    c = Conversation(load_rulebook(), load_matcher(), load_questions(), locale, offer_repeat=False)
    texts = [e.text for e in c.start() if isinstance(e, Say | Ask)]
    first = True
    while not c.done:
        events = c.hear("my lower back aches" if first else "no")
        first = False
        texts += [e.text for e in events if isinstance(e, Say | Ask)]
    return texts


def seconds(text: str, folder: Path, n: int) -> float:
    out = folder / f"{n:02d}.wav"
    subprocess.run([*cli_command(), "say", "--out", str(out), text], check=True, capture_output=True)
    with wave.open(str(out), "rb") as w:
        return w.getnframes() / w.getframerate()


def main() -> int:
    for locale in ("uk", "us"):
        texts = prompts(locale)
        with tempfile.TemporaryDirectory() as tmp:
            durations = [seconds(t, Path(tmp), i) for i, t in enumerate(texts)]
        total = sum(durations)
        words = sum(len(t.split()) for t in texts)
        number = "999" if locale == "uk" else "911"
        first = next(i for i, t in enumerate(texts) if number in t)
        sentence = texts[first][: texts[first].index(number)].rsplit(". ", 1)[-1] + number + "."
        with tempfile.TemporaryDirectory() as tmp:
            until = sum(durations[:first]) + seconds(sentence, Path(tmp), 99)
        print(f"{locale}: {len(texts)} prompts, {total:.1f} s of speech ({words} words, {words / total * 60:.0f} "
              f"words a minute heard); introduction {durations[0]:.1f} s; '{number}' heard by {until:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
