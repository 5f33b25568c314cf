"""The replay reports a tester reads: failures first, a filter, groups, pictures with their tables,
misheard turns marked and linked, honest numbers (answer accuracy, WER after normalising answers).

The batch here is laid out as ``synth`` lays out a suite (``<persona>/<voice>_<rate>wpm_<noise>.yaml``)
and replayed with the read-back seam fake of tests/test_replay.py, made to mishear one answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from tests.test_replay import ReadBack, run_axe, suite  # noqa: F401  (suite: the session fixture)
from voice_triage.asr import Transcript
from voice_triage.replay import run as replay
from voice_triage.replay.batch import replay_batch
from voice_triage.replay.html import text_summary
from voice_triage.replay.html_page import ERROR_LINE, one_line, sort_rows
from voice_triage.replay.metrics import (
    answer_tokens,
    confidence_meaning,
    normalised_words,
    token_wer,
    variant_of,
    word_error_rate,
)

#: The documented report keys (docs/replay.md); new keys may be added, none removed.
SESSION_KEYS = {"manifest", "name", "description", "locale", "recognizer", "passed", "result", "expected",
                "outcome", "mismatches", "decision", "reasons", "turns", "closing", "metrics"}
TURN_KEYS = {"index", "question", "kind", "prompt", "recording", "reference", "transcript", "status",
             "confidence", "recognizer", "interpretation", "wer", "correct", "timings"}


class Mishears(ReadBack):
    """Read-back, except that "I'm not sure" is heard as a plain "no" (a dangerous mishearing)."""

    def transcribe(self, samples: np.ndarray, phrases: Sequence[str] | None) -> Transcript:  # type: ignore[type-arg]
        heard = super().transcribe(samples, phrases)
        if heard.text == "i'm not sure":
            return Transcript("no", heard.status, 1.0, self.name, heard.audio_s, heard.decode_s)
        return heard


def test_answer_words_are_normalised_and_answer_turns_compare_answers() -> None:
    assert word_error_rate("nah", "no") == 1.0  # the words differ ...
    assert token_wer([answer_tokens("yes_no", "nah", "no", "no", "no")]) == 0.0  # ... the answer does not
    assert token_wer([answer_tokens("yes_no", "I'm not sure", "no", "unsure", "no")]) == 1.0
    assert token_wer([answer_tokens("confirm", "yes", "", "yes", None)]) == 1.0  # nothing heard: a deletion
    # The open question is scored on its words as the NLU reads them: its lexicon, and a word it
    # reads alone as an answer becomes that answer (from grammars/, not a table of the report's own).
    assert normalised_words("Yeah, nah") == ["yes", "no"]
    assert normalised_words("dunno") == normalised_words("unsure") == ["unsure"]
    assert normalised_words("aye") == normalised_words("yep") == ["yes"]
    assert normalised_words("my back hurts") == normalised_words("my back hurt")  # word forms folded
    assert normalised_words("my back hurts") != normalised_words("my leg hurts")
    mine = answer_tokens("open", "my back hurts", "my back hurts", None, None)
    assert mine[0] == mine[1] and len(mine[0]) == 3
    assert token_wer([answer_tokens("open", "nah my back is fine", "no my back is fine", None, None)]) == 0.0


def test_groups_come_from_the_synth_layout_and_confidence_is_explained_or_left_out() -> None:
    assert variant_of("/x/suite/saddle_numb/en-us-f3_175wpm_snr15.yaml") == {
        "persona": "saddle_numb", "voice": "en-us-f3", "rate": "175 wpm", "noise": "SNR 15 dB"}
    assert variant_of("suite/p/en-gb_130wpm_clean.yaml")["noise"] == "clean"  # type: ignore[index]
    assert variant_of("tests/replay/self_care.yaml") is None
    assert "not a graded score" in (confidence_meaning("pocketsphinx") or "")
    assert confidence_meaning("vosk") and confidence_meaning("some-new-engine") is None


def test_rows_sort_failures_first_and_errors_fit_one_line() -> None:
    rows = [{"name": n, "result": r} for n, r in (("a", "PASS"), ("b", "FAIL"), ("c", "ERROR"), ("d", "NOT RUN"),
                                                   ("e", "FAIL"))]
    assert [row["name"] for row in sort_rows(rows)] == ["c", "b", "e", "d", "a"]
    long = "x.yaml: answers: unknown question id 'nope' (known: " + ", ".join(f"q{i}" for i in range(60)) + ")"
    line, cut = one_line(long)
    assert cut and len(line) <= ERROR_LINE and line.endswith("…")
    assert one_line("short error") == ("short error", False)
    assert one_line("first line\nsecond line") == ("first line", True)


def _batch(suite: Path, tmp_path: Path) -> tuple[Path, dict]:  # type: ignore[type-arg]  # noqa: F811
    folder = tmp_path / "suite"
    layout = {"calm/en-gb_130wpm_clean.yaml": "self_care.yaml",
              "saddle/en-us-f3_175wpm_snr15.yaml": "saddle_emergency.yaml",
              "doubt/en-gb_130wpm_clean.yaml": "unsure_bladder_urgent.yaml"}
    for target, source in layout.items():
        (folder / target).parent.mkdir(parents=True, exist_ok=True)
        (folder / target).write_text((suite / source).read_text().replace("audio/", f"{suite}/audio/"))
    # An unknown question id: the message lists every known id (too long for one line).
    (folder / "broken.yaml").write_text(f"answers:\n  q0: {suite}/audio/no.wav\nexpect: {{level: soon}}\n")
    out = tmp_path / "reports"
    status = replay_batch(folder, out, False, 1, "auto", None, allow_outside_audio=True)
    assert status == 2
    return out, json.loads((out / "summary.json").read_text())


@pytest.fixture
def reports(suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict]:  # type: ignore[type-arg]  # noqa: F811
    fake = Mishears(suite)
    monkeypatch.setattr(replay, "_recognizer", lambda kind, model: fake)
    return _batch(suite, tmp_path)


def test_index_puts_failures_first_with_a_filter_groups_and_one_line_errors(reports: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    out, summary = reports
    html = (out / "index.html").read_text()
    # Rows: ERROR, then FAIL, then PASS, each row classed for the filter.
    order = re.findall(r'<tr class="result-(pass|notpass)"><th scope="row">(?:<a href="[^"]*">)?([^<]+)', html)
    assert [name for _, name in order] == ["broken", "doubt__en-gb_130wpm_clean", "calm__en-gb_130wpm_clean",
                                           "saddle__en-us-f3_175wpm_snr15"]
    assert [cls for cls, _ in order] == ["notpass", "notpass", "pass", "pass"]
    # A keyboard filter without script: a radio group with a legend and labels, and the CSS that hides rows.
    assert "<script" not in html
    assert "<fieldset><legend>Show</legend>" in html
    for radio in ("show-all", "show-notpassed", "show-passed"):
        assert f'<input type="radio" name="show" id="{radio}"' in html and f'<label for="{radio}">' in html
    assert "body:has(#show-notpassed:checked) tr.result-pass { display: none; }" in html
    # The error is one line; the whole of it is one click away.
    error = next(row["error"] for row in summary["sessions"] if row["result"] == "ERROR")
    assert len(error) > ERROR_LINE
    cell = html.split('<th scope="row">broken</th>')[1].split("</tr>")[0]
    assert "<details><summary>Full error" in cell and one_line(error)[0] in cell
    assert cell.count("weight_tummy") == 1  # the list of known ids only inside the details
    assert cell.index("<details>") < cell.index("weight_tummy")
    # Groups by persona, voice, rate and noise, from the synth layout.
    for group in ("persona", "voice", "rate", "noise"):
        assert f'<h3 id="group-{group}">' in html
    assert "<td>en-us-f3</td><td>175 wpm</td><td>SNR 15 dB</td>" in html
    # Leads with answer accuracy and level.
    glance = html.split('<h2 id="glance">')[1].split("</table>")[0]
    assert glance.index("Answer accuracy") < glance.index("Level as expected") < glance.index("Word error rate")
    assert "2 of 3 sessions" in glance


def test_index_draws_each_picture_with_its_table(reports: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    out, _ = reports
    html = (out / "index.html").read_text()
    charts = ["chart-voice", "chart-rate", "chart-noise", "chart-confusion", "chart-latency", "chart-levels"]
    for chart in charts:
        figure = html.split(f'<figure class="chart" id="{chart}">')[1]
        svg, after = figure.split("</figure>", 1)
        assert f'<svg role="img" aria-labelledby="{chart}-caption {chart}-desc"' in svg
        assert f'<figcaption id="{chart}-caption">' in svg and f'<desc id="{chart}-desc">' in svg
        assert "<rect" in svg and "<text" in svg
        assert after.lstrip().startswith('<table class="equivalent">')  # the same numbers, as a table
    confusion = html.split('id="chart-confusion"')[1].split("</table>")[0]
    # "I'm not sure" heard as "no": unsure → no in the grid's table; yes/no said and understood on the diagonal.
    unsure_row = confusion.split('<th scope="row">unsure</th>')[1].split("</tr>")[0]
    cols = re.findall(r'<th scope="col">([^<]+)</th>', confusion)
    cells = re.findall(r"<td>([^<]+)</td>", unsure_row)
    assert dict(zip(cols[1:], cells, strict=True))["no"] == "1"
    assert "(expected)" in confusion
    levels = html.split('id="chart-levels"')[1].split("</table>")[0]
    assert "saddle (expected emergency)" in levels and "doubt (expected urgent)" in levels
    latency = html.split('id="chart-latency"')[1].split("</table>")[0]
    counts = [int(n) for n in re.findall(r"<td>(\d+) turns</td>", latency)]
    total = sum(len(json.loads(p.read_text())["turns"]) for p in out.glob("*/report.json"))
    assert sum(counts) == total > 0


def test_session_page_marks_the_misheard_turn_and_links_it_from_the_top(reports: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    out, _ = reports
    data = json.loads((out / "doubt__en-gb_130wpm_clean" / "report.json").read_text())
    assert set(data) >= SESSION_KEYS and all(set(turn) >= TURN_KEYS for turn in data["turns"])
    bad = data["metrics"]["mismatched_turns"]
    assert bad and all(data["turns"][n - 1]["correct"] is False for n in bad)
    assert data["variant"] == {"persona": "doubt", "voice": "en-gb", "rate": "130 wpm", "noise": "clean"}
    turn = data["turns"][bad[0] - 1]
    assert turn["reference_answer"] == "unsure" and turn["wer_normalised"] == 1.0
    html = (out / "doubt__en-gb_130wpm_clean" / "report.html").read_text()
    top = html.split('<h2 id="misheard">')[1].split("</section>")[0]
    assert f'<a href="#turn-{bad[0]}">' in top and "understood as no" in top
    assert f'<section aria-labelledby="turn-{bad[0]}" class="mismatch">' in html
    assert f'<h3 id="turn-{bad[0]}"><span class="flag">MISMATCH:</span>' in html
    assert html.count('class="mismatch"') == len(bad)
    assert '<a href="../index.html">Back to the batch index</a>' in html
    assert '<nav aria-label="Contents">' in html
    lines = text_summary(data).splitlines()
    assert lines[0].startswith("FAIL ") and f"understood wrongly: turn(s) {bad[0]}" in lines[-1]
    assert any("answer accuracy" in line and "WER after normalising answers" in line for line in lines)
    index = (out / "index.html").read_text()
    assert 'href="doubt__en-gb_130wpm_clean/report.html#misheard"' in index
    # A clean session: nothing marked, and its normalised WER is zero.
    calm = json.loads((out / "calm__en-gb_130wpm_clean" / "report.json").read_text())
    assert calm["metrics"]["mismatched_turns"] == [] and calm["metrics"]["wer_normalised"] == 0.0
    assert 'class="mismatch"' not in (out / "calm__en-gb_130wpm_clean" / "report.html").read_text()


@pytest.mark.slow
def test_index_with_pictures_and_marked_session_pass_axe(reports: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    out, _ = reports
    pages = [out / "index.html", out / "doubt__en-gb_130wpm_clean" / "report.html"]
    result = run_axe(pages)
    assert [page["violations"] for page in result["pages"]] == [[]] * len(pages), result
    assert all(page["passes"] > 10 for page in result["pages"])
