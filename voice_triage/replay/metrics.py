"""Measures for replayed sessions: word error rate, answer accuracy, latency percentiles.

Kept apart from the replay loop so the arithmetic can be tested on its own and reused by the batch
summary and the reports. No audio library is imported here.
"""

from __future__ import annotations

import functools
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


#: Answers that stand for the whole of an answer turn: a yes/no or read-back question answered with
#: one of these is scored on the answer understood, one token each side.
ANSWER_VALUES: Final = frozenset({"yes", "no", "unsure", "repeat", "help", "stop", "correct", "emergency"})


def normalised_words(text: str) -> list[str]:
    """The words as the NLU reads them: its lexicon's normalisation (contractions, word forms,
    rewrites), then each word that the NLU alone reads as an answer replaced by that answer ("nah",
    "nope" → no; "yeah", "aye" → yes; "dunno" → unsure). So "nah" recognized as "no" is no error,
    and the words stay those the grammar files define: no table of its own to drift from them."""
    from ..nlu.matcher import load_matcher

    return [_lone_answer(token.word) or token.word for token in load_matcher().lex.tokens(text)]


@functools.lru_cache(maxsize=4096)
def _lone_answer(word: str) -> str | None:
    """The answer (of ``ANSWER_VALUES``) the NLU reads ``word`` alone as, else None."""
    from ..nlu.matcher import load_matcher

    answer = load_matcher().understand(word).answer
    value = None if answer is None else str(getattr(answer, "value", answer))
    return value if value in ANSWER_VALUES else None


def answer_tokens(kind: str, reference: str, hypothesis: str, reference_answer: str | None,
                  heard_answer: str | None) -> tuple[list[str], list[str]]:
    """The two token lists a normalised WER compares for one turn.

    A yes/no or read-back turn whose reference means an answer is one token: the answer the
    reference text means against the answer understood (none understood: a deletion). Other
    turns (the open question, answers that name findings) are their words as the NLU reads them
    (``normalised_words``)."""
    if kind != "open" and reference_answer in ANSWER_VALUES:
        return [reference_answer], [heard_answer] if heard_answer else []
    return normalised_words(reference), normalised_words(hypothesis)


def turn_tokens(turn: dict[str, Any]) -> tuple[list[str], list[str]] | None:
    """``answer_tokens`` of one turn of a JSON report (None without reference text)."""
    if turn.get("reference") is None:
        return None
    return answer_tokens(str(turn["kind"]), str(turn["reference"]),
                         str(turn["transcript"]) if turn["status"] == "ok" else "",
                         turn.get("reference_answer"), (turn.get("interpretation") or {}).get("answer"))


def token_wer(pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> float | None:
    """Corpus WER over already-tokenised pairs: total edits / total reference tokens."""
    edits = total = 0
    for ref, hyp in pairs:
        edits += Levenshtein.distance(list(ref), list(hyp))
        total += len(ref)
    return round(edits / total, 4) if total else None


#: A ``synth`` manifest is ``OUT/<persona>/<voice>_<rate>wpm_<clean|snrN>[_wN].yaml`` (``_wN``: the
#: wording of a factorial suite): the groups of a report.
_VARIANT: Final = re.compile(
    r"^(?P<voice>[a-z0-9-]+)_(?P<rate>\d+)wpm_(?P<noise>clean|snr-?[0-9.]+)(?:_w(?P<wording>\d+))?$")


def variant_of(path: str | None) -> dict[str, str] | None:
    """``{persona, voice, rate, noise}`` (and ``wording`` in a factorial suite) of a synthesized
    manifest's path, else ``None``."""
    if not path:
        return None
    parts = path.replace("\\", "/").rsplit("/", 2)
    stem = parts[-1].rsplit(".", 1)[0]
    found = _VARIANT.match(stem)
    if found is None or len(parts) < 2:
        return None
    groups = {"persona": parts[-2], "voice": found["voice"], "rate": f"{found['rate']} wpm",
              "noise": "clean" if found["noise"] == "clean" else f"SNR {found['noise'][3:]} dB"}
    if found["wording"] is not None:
        groups["wording"] = f"wording {found['wording']}"
    return groups


#: What a transcript's confidence means, per recognizer (the name a transcript carries). The
#: numbers are not comparable between recognizers; pocketsphinx has no graded score at all.
CONFIDENCE_MEANS: Final = {
    "pocketsphinx": "not a graded score: 1.00 means a phrase of the question's list matched (or the "
                    "open question's dictation gave words); when the check against a free decode runs, "
                    "the share of the phrase's words that decode confirmed",
    "vosk": "the lowest word confidence of the transcript (Vosk's MBR word posterior, 0 to 1); "
            "answers under the rejection threshold are no-match",
    "moonshine": "the lowest token probability of the transcript (0 to 1)",
    "read-back": "a test double: 1.00 whenever text was given",
}


def confidence_meaning(recognizer: str) -> str | None:
    """What ``confidence`` means for ``recognizer``, or ``None`` when unknown (then it is not shown)."""
    name = recognizer.lower()
    for key, meaning in CONFIDENCE_MEANS.items():
        if name.startswith(key):
            return meaning
    return None
