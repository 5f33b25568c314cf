"""Regression floors on the sets written by people who never saw grammars/ (tests/nlu_sets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.bench_sets import score_conversations, score_descriptions, score_replies

#: Floors per set (answers %, description F1, conversations at level): what each set reached when
#: it was last tuned on, less a margin, so a change that loses ground on any of them fails. Every
#: set: no conversation under-triaged. blind-3 and blind-4 are below the issue's targets
#: (tests/nlu_sets/README.md): these are floors, not the targets.
FLOORS = {
    "blind-1-tuned": (92.0, 0.90, 0.95),
    "blind-2-measured": (90.0, 0.91, 0.95),
    "blind-3-measured": (81.0, 0.86, 0.90),
    "blind-4-tuned": (86.0, 0.84, 0.95),
    "blind-5-tuned": (92.0, 0.85, 0.95),
    "blind-6-tuned": (82.0, 0.83, 0.94),
    "blind-7-measured": (82.0, 0.85, 0.95),
    "blind-8-tuned": (90.0, 0.86, 0.94),
    "blind-9-tuned": (84.0, 0.78, 0.92),
    "blind-10-tuned": (86.0, 0.85, 0.92),
    "blind-11-tuned": (86.0, 0.83, 0.97),
    "blind-12-tuned": (88.0, 0.86, 0.94),
    "blind-13-tuned": (90.0, 0.85, 0.97),
    "blind-14-tuned": (90.0, 0.89, 0.92),
    "blind-15-tuned": (90.0, 0.88, 0.97),
    "blind-16-measured": (84.0, 0.84, 0.94),
    "blind-17-tuned": (82.0, 0.87, 0.92),
    "blind-19-tuned": (89.0, 0.78, 0.97),
    "blind-22-tuned": (88.0, 0.83, 0.95),
    "blind-23-measured": (91.0, 0.85, 0.95),
}
#: Negation errors allowed in a set's descriptions: one, except in a set only measured, never tuned
#: on, which keeps what it had when measured blind (its errors are the next session's to fix).
NEGATION_ERRORS = {"blind-13-tuned": 2, "blind-15-tuned": 2}
SETS = [Path(__file__).parent / "nlu_sets" / name for name in FLOORS]


@pytest.mark.parametrize("folder", SETS, ids=[p.name for p in SETS])
def test_no_conversation_is_under_triaged(folder: Path) -> None:
    result = score_conversations(folder / "conversations.yaml", verbose=False)
    assert result["under"] == 0 and result["right"] / result["total"] >= FLOORS[folder.name][2]


@pytest.mark.parametrize("folder", SETS, ids=[p.name for p in SETS])
def test_descriptions_and_replies_keep_their_floor(folder: Path) -> None:
    answers, f1, _ = FLOORS[folder.name]
    described = score_descriptions(folder / "descriptions.tsv", verbose=False)
    assert described["f1"] >= f1 and len(described["negation_errors"]) <= NEGATION_ERRORS.get(folder.name, 1)
    replies = score_replies(folder / "replies.tsv", verbose=False)
    assert replies["answers"].pct() >= answers
