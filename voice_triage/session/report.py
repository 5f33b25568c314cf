"""The session record behind ``--report FILE.json``: every turn, the findings, the decision and why.

It is health data, so nothing is written unless a person asks for it, and the file is readable by
its owner only from the moment it exists: it is written to a temporary file created with mode 0600
in the same folder and then renamed into place, so no reader ever sees a partial or open file.
The path is checked before the session starts, so a bad path fails before anyone answers.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from ..dialogue.conversation import Ask, Conversation
from ..errors import UsageError
from ..files import check_target, write_text

#: The report's format name; bump the number when a key changes meaning.
FORMAT: Final = "voice-triage-session/1"

def check_report_path(path: Path) -> Path:
    """Fail before the session if the report could not be written there (a link, a device, a
    folder, a missing folder, an empty or over-long name)."""
    if not str(path):
        raise UsageError("--report: no file name given")
    check_target(path, "--report")
    return path


class Recorder:
    """Collects turns as a front end drives a ``Conversation``; times are measured by the caller."""

    def __init__(self, front_end: str, locale: str) -> None:
        self.front_end = front_end
        self.locale = locale
        self.started = datetime.now(UTC).isoformat(timespec="seconds")
        self.turns: list[dict[str, Any]] = []
        self._prompted_at = time.monotonic()
        self.ended = "decision"

    def prompted(self) -> None:
        """The question is now in front of the person: their answer time starts here."""
        self._prompted_at = time.monotonic()

    def turn(self, ask: Ask | None, answer: str | None, received: str, conversation: Conversation,
             process_s: float, extra: dict[str, Any] | None = None) -> None:
        """One input: ``received`` is answer | no_input | no_match | end_of_input."""
        heard = conversation.last_understanding
        if conversation.last_outcome == "end of input":
            self.ended = "end_of_input"
        elif conversation.last_outcome == "stop":
            self.ended = "stopped"
        self.turns.append({
            "n": len(self.turns) + 1,
            "question": ask.question if ask else None,
            "kind": ask.kind.value if ask else None,
            "prompt": ask.text if ask else None,
            "answer": answer,
            "received": received,
            "interpretation": heard.as_json() if heard is not None else None,
            "outcome": conversation.last_outcome,
            "answer_wait_s": round(time.monotonic() - self._prompted_at - process_s, 3),
            "process_s": round(process_s, 6),
            **(extra or {}),
        })

    def record(self, conversation: Conversation) -> dict[str, Any]:
        decision = conversation.decision
        return {
            "format": FORMAT,
            "front_end": self.front_end,
            "locale": self.locale,
            "started": self.started,
            "ended": self.ended if decision is not None else "incomplete",
            "questions_asked": len(conversation.asked),
            "turns": self.turns,
            "findings": conversation.findings().as_json(),
            "decision": None if decision is None else decision.as_json(detail=True),
        }


def write_report(path: Path, record: dict[str, Any]) -> None:
    """Write ``record`` as JSON, owner-only from creation, replacing ``path`` atomically."""
    text = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
    write_text(path, text, "--report")
