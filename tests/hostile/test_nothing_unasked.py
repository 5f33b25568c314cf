"""Nothing is written unasked: rendering speech to a file opens no sound server and leaves nothing
in HOME or TMPDIR (issue 21); onnxruntime writes no telemetry (issue 18 item 7); ``say`` and
``synth`` refuse hostile input with one line (items 8, 16) and write owner-only files (item 20).

Each test runs the CLI with an empty HOME and an empty TMPDIR of its own, in a working folder of
its own, and then lists everything in them.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.conftest import cli_command
from tests.hostile.util import assert_one_line_error, cli_env, copy_suite

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


class Sandbox:
    """An empty HOME, TMPDIR and working folder; ``run`` starts the CLI in them."""

    def __init__(self, root: Path) -> None:
        self.home, self.tmp, self.work = root / "home", root / "tmp", root / "work"
        for folder in (self.home, self.tmp, self.work):
            folder.mkdir()

    def run(self, *args: str, umask: int | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        env = cli_env({"HOME": str(self.home), "TMPDIR": str(self.tmp), "XDG_RUNTIME_DIR": "",
                       "XDG_CACHE_HOME": "", "XDG_CONFIG_HOME": ""})
        for key in ("XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
            env.pop(key)

        def start() -> None:
            if umask is not None:
                os.umask(umask)

        return subprocess.run([*cli_command(), *args], cwd=self.work, env=env, capture_output=True, text=True,
                              timeout=timeout, check=False, preexec_fn=start)

    def left_outside(self) -> list[str]:
        """Everything in HOME and TMPDIR. (Not /dev/shm: other programs on a shared machine use it
        at the same time; the prompt render's own folder there is removed by a context manager.)"""
        return [str(p) for folder in (self.home, self.tmp) for p in folder.rglob("*")]


@pytest.fixture
def box(tmp_path: Path) -> Sandbox:
    return Sandbox(tmp_path)


def test_say_to_a_file_leaves_nothing_in_home_or_tmpdir(box: Sandbox) -> None:
    proc = box.run("say", "--out", "out.wav", "hello there", umask=0)
    assert proc.returncode == 0, proc.stderr
    assert box.left_outside() == []
    assert [p.name for p in box.work.iterdir()] == ["out.wav"]
    assert stat.S_IMODE((box.work / "out.wav").stat().st_mode) == 0o600  # even under umask 0


@pytest.mark.slow
def test_replay_with_reports_leaves_nothing_outside_the_report_folder(box: Sandbox, tmp_path: Path) -> None:
    suite = copy_suite(tmp_path / "suite")
    before = sorted(str(p) for p in suite.rglob("*"))
    proc = box.run("replay", str(suite / "self_care.yaml"), "--report-dir", "reports")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert box.left_outside() == []
    assert [p.name for p in box.work.iterdir()] == ["reports"]
    assert sorted(str(p) for p in suite.rglob("*")) == before


@pytest.mark.slow
def test_synth_leaves_nothing_outside_its_folder(box: Sandbox) -> None:
    personas = box.work / "personas.yaml"
    personas.write_text("personas:\n  - id: dash\n    says: -h --help my back hurts\n    has: [sciatica]\n"
                        "variants:\n  voices: [en-gb]\n  rates: [160]\n  noise_snr_db: [null]\n")
    proc = box.run("synth", str(personas), "--out", "suite", umask=0)
    assert proc.returncode == 0, proc.stderr
    assert box.left_outside() == []
    written = [p for p in (box.work / "suite").rglob("*") if p.is_file()]
    assert written and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in written)
    assert not [p for p in (box.work / "suite").rglob(".synth*")]
    # The persona's words starting with "-" were spoken, not taken as espeak-ng options.
    open_wavs = [p for p in written if p.name.startswith("h-help-my-back-hurts")]
    assert open_wavs and open_wavs[0].stat().st_size > 20000


def test_synth_refuses_an_unknown_voice_nul_text_and_a_file_as_out(box: Sandbox) -> None:
    personas = box.work / "p.yaml"
    base = "personas:\n  - id: a\n    says: {says}\n    has: [sciatica]\nvariants:\n  voices: [{voice}]\n"
    personas.write_text(base.format(says="my back", voice="en-zz"))
    proc = box.run("synth", str(personas), "--out", "s")
    assert proc.returncode == 2 and "en-zz" in proc.stderr
    assert_one_line_error(proc.stderr)
    personas.write_text(base.format(says='"my\\0back"', voice="en-gb"))
    proc = box.run("synth", str(personas), "--out", "s")
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr)
    personas.write_text(base.format(says="my back", voice="en-gb"))
    (box.work / "afile").write_text("x")
    proc = box.run("synth", str(personas), "--out", "afile")
    assert proc.returncode == 2 and "afile" in proc.stderr
    assert_one_line_error(proc.stderr)


@pytest.mark.slow
def test_moonshine_writes_no_telemetry(box: Sandbox) -> None:
    """Words outside the question's phrases: pocketsphinx hears no phrase and Moonshine listens."""
    proc = box.run("say", "--out", "words.wav", "purple elephants dancing")
    assert proc.returncode == 0, proc.stderr
    proc = box.run("understand", "--audio", "words.wav", "--question", "saddle", "--json",
                   "--asr", "pocketsphinx")
    assert proc.returncode == 0, proc.stderr
    assert box.left_outside() == []


def test_say_refuses_empty_and_over_long_text_with_one_line(box: Sandbox) -> None:
    proc = box.run("say", "--out", "x.wav", "")
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr)
    proc = box.run("say", "--out", "x.wav", "the pain goes down my leg. " * 1000)  # ~27,000 characters
    assert proc.returncode == 2, proc.stderr
    assert_one_line_error(proc.stderr)
    assert box.left_outside() == [] and list(box.work.iterdir()) == []


def test_say_to_a_folder_is_one_line(box: Sandbox) -> None:
    proc = box.run("say", "--out", str(box.work), "hello")
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr)


def test_long_text_is_rendered_in_pieces(box: Sandbox) -> None:
    text = "The pain goes down my left leg and it is worse at night. " * 40  # ~2,300 characters, 3 pieces
    proc = box.run("say", "--out", "long.wav", text)
    assert proc.returncode == 0, proc.stderr
    assert (box.work / "long.wav").stat().st_size > 1_000_000
    assert box.left_outside() == []


