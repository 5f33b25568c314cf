"""Measures for replayed sessions: word error rate, answer accuracy, latency percentiles.

Kept apart from the replay loop so the arithmetic can be tested on its own and reused by the batch
summary and the reports. No audio library is imported here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any, Final

from rapidfuzz.distance import Levenshtein

#: Words are compared lower-case with punctuation dropped (recognizers emit neither), keeping the
#: apostrophe so "can't" and "cant" stay one word each as a recognizer's vocabulary spells them.
_WORD: Final = re.compile(r"[a-z0-9']+")
#: Latency percentiles shown in summaries: the median and the slow tail a person would notice.
PERCENTILES: Final = (50, 90, 95)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words; 0 for two empty texts."""
    ref, hyp = words(reference), words(hypothesis)
    if not ref:
        return 0.0 if not hyp else float(len(hyp))
    return Levenshtein.distance(ref, hyp) / len(ref)


def understanding_json(heard: Any) -> dict[str, Any]:
    """An ``intent.Understanding`` as plain data (``{}`` when nothing was understood)."""
    if heard is None:
        return {}
    answer = getattr(heard, "answer", None)
    rate = getattr(heard, "rate", None)
    return {
        "answer": getattr(answer, "value", answer),
        "findings": [
            {"id": match.id, "present": bool(match.present), "score": round(float(match.score), 1),
             "span": match.span}
            for match in getattr(heard, "findings", ())
        ],
        "rate": getattr(rate, "value", rate),
    }


def same_understanding(expected: Any, heard: Any) -> bool:
    """The same answer and the same findings with the same polarity (scores and spans may differ)."""
    def key(item: Any) -> tuple[Any, frozenset[tuple[str, bool]]]:
        return item.answer, frozenset((match.id, bool(match.present)) for match in item.findings)

    return key(expected) == key(heard)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (a value that occurred; no interpolation); NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(values: Sequence[float]) -> dict[str, float | None]:
    return {f"p{pct}": _round(percentile(values, pct)) for pct in PERCENTILES} | {
        "max": _round(max(values)) if values else None
    }


def _round(value: float, digits: int = 3) -> float | None:
    return None if math.isnan(value) else round(value, digits)


def mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def corpus_wer(pairs: Sequence[tuple[str, str]]) -> float | None:
    """WER over many utterances: total edits / total reference words (not a mean of ratios)."""
    edits = total = 0
    for reference, hypothesis in pairs:
        ref = words(reference)
        edits += Levenshtein.distance(ref, words(hypothesis))
        total += len(ref)
    return round(edits / total, 4) if total else None
