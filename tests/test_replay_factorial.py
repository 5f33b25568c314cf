"""Factorial suites (issue 17): ``variants: {wordings: all}`` makes every wording with every voice,
rate and noise level, so their effects can be told apart; ``hibari:<voice>`` is the neural voice of
hibari-tts beside espeak-ng. Real espeak-ng, hibari-tts and sox; the suite replayed through the CLI."""

from __future__ import annotations

import json
import sys
import wave
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from tests.conftest import run_cli
from tests.hostile.util import assert_one_line_error
from voice_triage.errors import SpeechError
from voice_triage.replay import synth
from voice_triage.replay.metrics import variant_of

PERSONA = """personas:
  - id: sciatica
    says: the pain goes down my left leg
    has: [sciatica]
variants:
  voices: {voices}
  rates: {rates}
  noise_snr_db: {noise}
  wordings: {wordings}
"""


def persona_file(tmp_path: Path, voices: str = "[en-gb]", rates: str = "[160]", noise: str = "[null]",
                 wordings: str = "all") -> Path:
    path = tmp_path / "people.yaml"
    path.write_text(PERSONA.format(voices=voices, rates=rates, noise=noise, wordings=wordings))
    return path


def test_every_wording_meets_every_voice_rate_and_noise(tmp_path: Path) -> None:
    personas, variants = synth.load_personas(persona_file(tmp_path, "[en-gb, en-us]", "[130, 175]", "[null, 15]"))
    assert len(variants) == 2 * 2 * 2 * synth.WORDING_COUNT
    assert len({v.name for v in variants}) == len(variants)
    cells: dict[tuple[str, int, float | None], set[int | None]] = defaultdict(set)
    for variant in variants:
        cells[(variant.voice, variant.rate, variant.snr_db)].add(variant.wording)
    assert all(found == set(range(synth.WORDING_COUNT)) for found in cells.values())
    persona = personas[0]
    # The wording depends on the wording factor alone, never on the voice, rate or noise.
    said: dict[int | None, set[str | None]] = defaultdict(set)
    for variant in variants:
        said[variant.wording].add(synth.answer_text(persona, "legs", ("sciatica",), variant))
    assert all(len(texts) == 1 for texts in said.values())
    assert len({next(iter(texts)) for texts in said.values()}) == len(synth.YES)
    # Not factorial (the default): the wording rotates with the variant, as before.
    _, rotated = synth.load_personas(persona_file(tmp_path, wordings="rotate"))
    assert [v.wording for v in rotated] == [None]
    assert variant_of(f"x/sciatica/{variants[3].name}.yaml")["wording"] == "wording 4"  # type: ignore[index]
    assert "wording" not in (variant_of(f"x/sciatica/{rotated[0].name}.yaml") or {})


def test_an_unknown_wordings_value_and_a_missing_hibari_are_one_line(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    proc = run_cli("synth", str(persona_file(tmp_path, wordings="some")), "--out", str(tmp_path / "s"))
    assert proc.returncode == 2 and "wordings" in proc.stderr and "people.yaml" in proc.stderr
    assert_one_line_error(proc.stderr)
    synth._hibari.cache_clear()
    monkeypatch.setitem(sys.modules, "hibari", None)  # as if hibari-tts were not installed
    with pytest.raises(SpeechError, match="hibari-tts is not installed"):
        synth.check_voice("hibari:heart", "people.yaml")
    synth._hibari.cache_clear()


@pytest.mark.slow
def test_a_factorial_suite_with_a_neural_voice_replays_with_a_picture_by_wording(tmp_path: Path) -> None:
    pytest.importorskip("hibari", reason="hibari-tts is in the dev extra: pip install -e '.[dev]'")
    out = tmp_path / "suite"
    proc = run_cli("synth", str(persona_file(tmp_path, "[en-gb, 'hibari:heart']")), "--out", str(out), timeout=600)
    assert proc.returncode == 0, proc.stderr
    manifests = sorted(out.glob("sciatica/*.yaml"))
    assert len(manifests) == 2 * synth.WORDING_COUNT
    neural = [m for m in manifests if m.name.startswith("hibari-heart_")]
    assert len(neural) == synth.WORDING_COUNT
    docs = {m.stem: yaml.safe_load(m.read_text()) for m in manifests}
    for wording in range(1, synth.WORDING_COUNT + 1):
        pair = [doc for stem, doc in docs.items() if stem.endswith(f"_w{wording}")]
        assert len(pair) == 2 and pair[0]["default"]["text"] == pair[1]["default"]["text"]
    wav = out / "sciatica" / docs[neural[0].stem]["answers"]["open"]["audio"]
    with wave.open(str(wav)) as w:
        assert (w.getframerate(), w.getnchannels()) == (16000, 1) and w.getnframes() > 16000
    reports = tmp_path / "reports"
    proc = run_cli("replay", str(out), "--jobs", "2", "--report-dir", str(reports), "--json", timeout=900)
    summary = json.loads(proc.stdout)
    assert summary["totals"]["errors"] == 0, proc.stderr
    rank = {"self_care": 0, "soon": 1, "urgent": 2, "emergency": 3}
    assert all(rank[row["level"]] >= rank[row["expected"]] for row in summary["sessions"]), summary["sessions"]
    index = (reports / "index.html").read_text()
    assert "Answer accuracy by wording" in index and "wording 4" in index and "hibari-heart" in index
    one = json.loads(next(reports.glob("sciatica__hibari-heart_*_w2/report.json")).read_text())
    assert one["variant"] == {"persona": "sciatica", "voice": "hibari-heart", "rate": "160 wpm",
                              "noise": "clean", "wording": "wording 2"}
