"""Issue 18 item 11: a replay is reproducible whatever ran before it in the process.

pocketsphinx's front end carries state from one utterance to the next, so the same recording used
to be transcribed differently after another manifest had run (a cold decoder hears the
``en-us_m_s175/yeah.wav`` clip as "yep", a decoder that has just heard "not sure" as "yes").
Real pocketsphinx (with the spotter and Moonshine, as a user meets them) on real espeak-ng
recordings from tests/wav: manifest A, then B, then A again in one process give the same
transcripts, and the same as A replayed alone in a new process (another worker).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO, run_cli
from voice_triage.replay import run as replay

pytestmark = pytest.mark.slow

WAV = REPO / "tests" / "wav"
OPEN = REPO / "tests" / "replay" / "audio" / "open-stiff-after-gardening.wav"


def _clip(root: Path, voice: str, said: str) -> dict[str, str]:
    name = f"{voice}-{said}.wav".replace(" ", "_").replace("'", "")
    shutil.copy(WAV / voice / f"{said}.wav", root / "audio" / name)
    return {"audio": f"audio/{name}", "text": said}


def _manifest(root: Path, name: str, default: list[dict[str, str]]) -> Path:
    doc = {
        "locale": "uk",
        "answers": {"open": {"audio": "audio/open.wav", "text": "my back is stiff after gardening"}},
        "default": default,
        "expect": {"level": "self_care"},
    }
    path = root / name
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.fixture
def manifests(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "audio").mkdir()
    shutil.copy(OPEN, tmp_path / "audio" / "open.wav")
    # A: first the clip a cold decoder and a used one hear differently (a yes: A ends as an emergency).
    a = _manifest(tmp_path, "a.yaml", [_clip(tmp_path, "en-us_m_s175", "yeah"),
                                      _clip(tmp_path, "en-gb_m_s150", "no"),
                                      _clip(tmp_path, "en-scotland_f2_s160-snr10", "no")])
    # B: another voice, "I don't know" to everything: the clip that used to change how A's first
    # answer is heard is the last thing B's decoder hears.
    b = _manifest(tmp_path, "b.yaml", [_clip(tmp_path, "en-gb-rp_m3_s190", "i don't know")])
    return a, b


def _heard(turns: list[Any]) -> list[tuple[str, str, str]]:
    return [(str(t["question"]), str(t["status"]), str(t["transcript"])) if isinstance(t, dict)
            else (t.question, t.status, t.transcript) for t in turns]


def test_the_same_manifest_gives_the_same_transcripts_whatever_ran_before(manifests: tuple[Path, Path]) -> None:
    a, b = manifests
    first = _heard(list(replay.replay_file(a, "pocketsphinx").turns))
    between = _heard(list(replay.replay_file(b, "pocketsphinx").turns))
    again = _heard(list(replay.replay_file(a, "pocketsphinx").turns))
    assert len(first) >= 3 and between
    assert again == first
    # Another worker: a new process replaying A alone hears the same.
    proc = run_cli("replay", str(a), "--json", "--asr", "pocketsphinx", timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    assert _heard(json.loads(proc.stdout)["turns"]) == first
