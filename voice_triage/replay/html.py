"""Replay reports: one JSON object and one accessible HTML page per session, plus a batch index.

The page is read by testers who may use a screen reader themselves, so it is built for that:
``lang`` on the page, one ``h1`` and nested headings, tables with captions and ``th scope``, every
audio control labelled and followed by its text, and the result always written as "PASS" / "FAIL"
(colour only repeats it). Reports hold health-like data: they are written only when asked
(``--report-dir``), into folders created 0700, as files readable by their owner only (0600).
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any, Final

from ..errors import ReportError
from ..files import private_dir, write_bytes, write_text
from .html_page import batch_page, session_page
from .metrics import answer_tokens, confidence_meaning, corpus_wer, latency_summary, mean, token_wer, variant_of
from .run import Prompt, ReplayResult

#: Format names of the replay JSON (``report.json`` and ``--json`` of one manifest; the batch's
#: ``summary.json``), schemas in docs/. Keys are only ever added; bump the number when a key is
#: removed or changes meaning, so a reader can refuse what it does not understand.
REPORT_FORMAT: Final = "voice-triage-replay/1"
SUMMARY_FORMAT: Final = "voice-triage-replay-batch/1"


def make_private_dir(path: Path) -> Path:
    """``path`` (and parents) as a 0700 folder; an existing one is tightened to 0700, a link refused."""
    return private_dir(path, "--report-dir")


def write_private(path: Path, text: str) -> None:
    """Write ``text`` atomically to a file readable by its owner only (never through a link)."""
    write_text(path, text, "cannot write the report")


def _link(path: Path | None, base: Path | None) -> str | None:
    if path is None:
        return None
    return os.path.relpath(path, base) if base is not None else str(path)


def _prompt_json(prompt: Prompt, base: Path | None) -> dict[str, Any]:
    return {"text": prompt.text, "audio": _link(prompt.audio, base), "audio_s": round(prompt.duration_s, 3),
            "render_s": round(prompt.render_s, 4)}


def session_json(result: ReplayResult, base: Path | None = None) -> dict[str, Any]:
    """The report object; paths are relative to ``base`` (the report folder) when given."""
    manifest, outcome = result.manifest, result.outcome
    turns = []
    normalised: list[tuple[list[str], list[str]]] = []
    for turn in result.turns:
        said, tokens = _reference_answer(turn.reference), None
        if turn.reference is not None:
            tokens = answer_tokens(turn.kind, turn.reference, turn.transcript if turn.status == "ok" else "",
                                   said, (turn.interpretation or {}).get("answer"))
            normalised.append(tokens)
        turns.append({
            "index": turn.index, "question": turn.question, "kind": turn.kind,
            "prompt": _prompt_json(turn.prompt, base),
            "recording": _link(turn.recording, base), "reference": turn.reference,
            "transcript": turn.transcript, "status": turn.status, "confidence": round(turn.confidence, 3),
            "recognizer": turn.recognizer, "interpretation": turn.interpretation,
            "wer": None if turn.wer is None else round(turn.wer, 4), "correct": turn.correct,
            "timings": {"answer_s": round(turn.answer_s, 3), "render_s": round(turn.prompt.render_s, 4),
                        "decode_s": round(turn.decode_s, 4), "dialogue_s": round(turn.dialogue_s, 4),
                        "latency_s": round(turn.latency_s, 4)},
            "reference_answer": said,
            "wer_normalised": None if tokens is None else token_wer([tokens]),
        })
    judged = [turn.correct for turn in result.turns if turn.correct is not None]
    pairs = [(turn.reference, turn.transcript if turn.status == "ok" else "")
             for turn in result.turns if turn.reference is not None]
    return {
        "format": REPORT_FORMAT,
        "manifest": _link(manifest.path, base), "name": manifest.name, "description": manifest.description,
        "locale": manifest.locale.value, "recognizer": result.recognizer,
        "passed": result.passed, "result": "PASS" if result.passed else "FAIL",
        "expected": {"level": manifest.expect.level.value, "present": list(manifest.expect.present),
                     "absent": list(manifest.expect.absent), "unsure": list(manifest.expect.unsure)},
        "outcome": {"level": outcome.level, "present": list(outcome.present), "absent": list(outcome.absent),
                    "unsure": list(outcome.unsure)},
        "mismatches": list(result.mismatches),
        "decision": result.decision, "reasons": list(result.reasons),
        "turns": turns,
        "closing": _prompt_json(result.closing, base) if result.closing else None,
        "metrics": {
            "turns": len(result.turns),
            "answer_accuracy": mean([1.0 if ok else 0.0 for ok in judged]),
            "wer": corpus_wer(pairs),
            "audio_s": round(result.audio_s, 3), "wall_s": round(result.wall_s, 3),
            "speedup": round(result.audio_s / result.wall_s, 2) if result.wall_s > 0 else None,
            "latency_s": latency_summary([turn.latency_s for turn in result.turns]),
            "wer_normalised": token_wer(normalised),
            "level_matched": outcome.level == manifest.expect.level.value,
            "mismatched_turns": [turn.index for turn in result.turns if turn.correct is False],
        },
        "variant": variant_of(str(manifest.path)),
        "prompts": {"voice": manifest.prompt_voice, "rate": manifest.prompt_rate},
        "confidence_means": confidence_meaning(result.recognizer),
    }


def _reference_answer(reference: str | None) -> str | None:
    """The answer (yes, no, unsure, ...) the reference text means to the NLU, if any."""
    if reference is None:
        return None
    from ..nlu.matcher import load_matcher

    answer = load_matcher().understand(reference).answer
    return None if answer is None else str(getattr(answer, "value", answer))


def copy_recordings(result: ReplayResult, folder: Path) -> ReplayResult:
    """Each recording the session heard copied into ``folder/recordings/`` (owner-only, atomically,
    never through a link), and the result pointing at the copies: a report folder that is moved,
    archived or sent on still plays every answer. Numbered so that two recordings with the same
    name in different folders stay apart."""
    target = make_private_dir(folder / "recordings")
    copies: dict[Path, Path] = {}

    def copied(path: Path) -> Path:
        if path not in copies:
            copy = target / f"{len(copies) + 1:02d}-{path.name}"
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise ReportError(f"cannot copy the recording {path} into the report: "
                                  f"{exc.strerror or exc}") from None
            write_bytes(copy, data, "cannot write the report")
            copies[path] = copy
        return copies[path]

    turns = tuple(dataclasses.replace(turn, recording=copied(turn.recording)) for turn in result.turns)
    return dataclasses.replace(result, turns=turns)


def write_session_report(result: ReplayResult, folder: Path, copy_audio: bool = False) -> dict[str, Any]:
    """Write ``report.json`` and ``report.html`` into ``folder`` (with ``copy_audio``, the recordings
    too: ``copy_recordings``); returns the JSON object."""
    make_private_dir(folder)
    if copy_audio:
        result = copy_recordings(result, folder)
    data = session_json(result, folder)
    write_private(folder / "report.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    write_private(folder / "report.html", session_page(data))
    return data


def write_batch_report(summary: dict[str, Any], folder: Path) -> None:
    """Write ``summary.json`` and ``index.html`` (links to each session's page) into ``folder``."""
    make_private_dir(folder)
    write_private(folder / "summary.json", json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    sessions = _session_reports(summary, folder)
    write_private(folder / "index.html", batch_page(summary, sessions))
    for row in summary["sessions"]:  # each session page links back to the index
        data = sessions.get(row["name"])
        page = folder / str(row.get("report") or "")
        if data is not None and page.name == "report.html":
            write_private(page, session_page(data, os.path.relpath(folder / "index.html", page.parent)))


def _session_reports(summary: dict[str, Any], folder: Path) -> dict[str, dict[str, Any]]:
    """Each session's ``report.json`` beside its page (for the index's groups and pictures)."""
    found: dict[str, dict[str, Any]] = {}
    for row in summary["sessions"]:
        report = row.get("report")
        if not report or row.get("result") not in ("PASS", "FAIL"):
            continue
        path = (folder / str(report)).with_name("report.json")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a row without its report: the index still lists it, without pictures
        if isinstance(data, dict) and isinstance(data.get("turns"), list):
            found[row["name"]] = data
    return found


def text_summary(data: dict[str, Any]) -> str:
    """One session in a few plain lines for the terminal (no colour: the words carry the result)."""
    metrics = data["metrics"]
    lines = [f"{data['result']} {data['name']}: expected {data['expected']['level']}, "
             f"got {data['outcome']['level'] or 'no decision'} ({metrics['turns']} turns, "
             f"{metrics['wall_s']:.2f} s for {metrics['audio_s']:.1f} s of audio)"]
    lines += [f"  mismatch: {problem}" for problem in data["mismatches"]]
    if metrics["answer_accuracy"] is not None:
        normalised = metrics.get("wer_normalised")
        after = "n/a" if normalised is None else f"{normalised:.1%}"
        lines.append(f"  answer accuracy {metrics['answer_accuracy']:.0%}, WER after normalising answers {after} "
                     f"(as written {metrics['wer']:.1%})")
    if metrics.get("mismatched_turns"):
        lines.append(f"  understood wrongly: turn(s) {', '.join(map(str, metrics['mismatched_turns']))}")
    return "\n".join(lines)

