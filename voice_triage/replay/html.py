"""Replay reports: one JSON object and one accessible HTML page per session, plus a batch index.

The page is read by testers who may use a screen reader themselves, so it is built for that:
``lang`` on the page, one ``h1`` and nested headings, tables with captions and ``th scope``, every
audio control labelled and followed by its text, and the result always written as "PASS" / "FAIL"
(colour only repeats it). Reports hold health-like data: they are written only when asked
(``--report-dir``), into folders created 0700, as files readable by their owner only (0600).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..files import private_dir, write_text
from .html_page import batch_page, session_page
from .metrics import corpus_wer, latency_summary, mean
from .run import Prompt, ReplayResult


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
    for turn in result.turns:
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
        })
    judged = [turn.correct for turn in result.turns if turn.correct is not None]
    pairs = [(turn.reference, turn.transcript if turn.status == "ok" else "")
             for turn in result.turns if turn.reference is not None]
    return {
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
        },
    }


def write_session_report(result: ReplayResult, folder: Path) -> dict[str, Any]:
    """Write ``report.json`` and ``report.html`` into ``folder``; returns the JSON object."""
    make_private_dir(folder)
    data = session_json(result, folder)
    write_private(folder / "report.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    write_private(folder / "report.html", session_page(data))
    return data


def write_batch_report(summary: dict[str, Any], folder: Path) -> None:
    """Write ``summary.json`` and ``index.html`` (links to each session's page) into ``folder``."""
    make_private_dir(folder)
    write_private(folder / "summary.json", json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    write_private(folder / "index.html", batch_page(summary))


def text_summary(data: dict[str, Any]) -> str:
    """One session in a few plain lines for the terminal (no colour: the words carry the result)."""
    metrics = data["metrics"]
    lines = [f"{data['result']} {data['name']}: expected {data['expected']['level']}, "
             f"got {data['outcome']['level'] or 'no decision'} ({metrics['turns']} turns, "
             f"{metrics['wall_s']:.2f} s for {metrics['audio_s']:.1f} s of audio)"]
    lines += [f"  mismatch: {problem}" for problem in data["mismatches"]]
    if metrics["answer_accuracy"] is not None:
        lines.append(f"  answer accuracy {metrics['answer_accuracy']:.0%}, WER {metrics['wer']:.1%}")
    return "\n".join(lines)

