"""Scores the NLU and whole conversations on sets written by people who never saw grammars/.

A set is a folder with ``replies.tsv`` (topic, reply, answer, hedged, present, absent),
``descriptions.tsv`` (text, present, absent) and ``conversations.yaml`` (personas: an opening, the
findings that are truly present or unsure, how they say yes / no / not sure, how the talk ends,
and the level the spec gives). Conversations go through the JSON-lines protocol of
``session --text --json`` in-process (the same ``Conversation`` and event serialiser), answered
by a simulated person: yes when a question asks about a finding they have, not sure when unsure,
no otherwise; deterministic.

    python -m tests.bench.bench_sets DIR [DIR ...] [--verbose]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from voice_triage.clinical import Level, Tier, load_rulebook
from voice_triage.dialogue import Conversation, load_questions
from voice_triage.nlu import load_matcher
from voice_triage.session.text import event_json

RANK = {Level.SELF_CARE.value: 0, Level.SOON.value: 1, Level.URGENT.value: 2, Level.EMERGENCY.value: 3}
ANSWERS = ("yes", "no", "unsure", "repeat", "help", "stop", "emergency", "correct")
MAX_TURNS = 80
CONTEXT = "back_pain"


def _ids(cell: str | None) -> set[str]:
    return {part.strip() for part in (cell or "").split(",") if part.strip()}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@dataclass
class Score:
    total: int = 0
    correct: int = 0
    swaps: int = 0
    misses: list[str] = field(default_factory=list)

    def pct(self) -> float:
        return 100.0 * self.correct / self.total if self.total else 0.0


def score_replies(path: Path, verbose: bool) -> dict[str, Any]:
    matcher = load_matcher()
    emergency = {f.id for f in load_rulebook().findings.values() if f.tier is Tier.EMERGENCY}
    answers, findings = Score(), Score()
    lost_emergency: list[str] = []
    confusion: Counter[tuple[str, str]] = Counter()
    asks = {q.id: q.asks_about for q in load_questions().questions}
    for row in _rows(path):
        u = matcher.understand(row["reply"], asks.get(row["topic"], ()))
        got = u.answer.value if u.answer is not None else "none"
        want = row["answer"].strip()
        answers.total += 1
        confusion[(want, got)] += 1
        if got == want:
            answers.correct += 1
        else:
            answers.misses.append(f"{want}→{got}: {row['reply']}")
            if {want, got} == {"yes", "no"}:
                answers.swaps += 1
        present = {f.id for f in u.findings if f.present}
        absent = {f.id for f in u.findings if not f.present}
        for fid in _ids(row.get("present")):
            findings.total += 1
            if fid in present:
                findings.correct += 1
            else:
                findings.misses.append(f"lost {fid}: {row['reply']}")
                if fid in emergency:
                    lost_emergency.append(f"{fid}: {row['reply']}")
        for fid in _ids(row.get("absent")):
            findings.total += 1
            findings.correct += fid in absent
    if verbose:
        for miss in answers.misses + findings.misses:
            print("   ", miss)
    return {"answers": answers, "findings": findings, "lost_emergency": lost_emergency}


def score_descriptions(path: Path, verbose: bool) -> dict[str, Any]:
    matcher = load_matcher()
    emergency = {f.id for f in load_rulebook().findings.values() if f.tier is Tier.EMERGENCY}
    tp = fp = fn = 0
    negation_errors: list[str] = []
    missed_emergency: list[str] = []
    notes: list[str] = []
    rows = _rows(path)
    # Some writers never label the context finding back_pain (every description is about back
    # pain): such a set is scored without it, else each description counts one false positive.
    unlabelled = {CONTEXT} - set().union(*(_ids(r.get("present")) | _ids(r.get("absent")) for r in rows))
    for row in rows:
        u = matcher.understand(row["text"])
        present = {f.id for f in u.findings if f.present} - unlabelled
        absent = {f.id for f in u.findings if not f.present} - present - unlabelled
        want_p, want_a = _ids(row.get("present")), _ids(row.get("absent"))
        tp += len(present & want_p)
        fp += len(present - want_p)
        fn += len(want_p - present)
        # Absent findings: a stated denial that was found counts; a wrong "absent" is a negation error.
        tp += len(absent & want_a)
        fn += len(want_a - absent - present)
        fp += len(absent - want_a - want_p)
        for fid in (want_p & absent) | (want_a & present):
            negation_errors.append(f"{fid}: {row['text']}")
        for fid in (want_p & emergency) - present:
            missed_emergency.append(f"{fid}: {row['text']}")
        if present ^ want_p or (absent - want_a):
            notes.append(f"want +{sorted(want_p)} -{sorted(want_a)} got +{sorted(present)} -{sorted(absent)}: "
                         f"{row['text']}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    if verbose:
        for note in notes:
            print("   ", note)
    return {"f1": f1, "precision": precision, "recall": recall, "negation_errors": negation_errors,
            "missed_emergency": missed_emergency}


class Person:
    """Answers the questions of one conversation as the persona would."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.present = set(spec.get("present") or [])
        self.unsure = set(spec.get("unsure") or [])
        self.counts: Counter[str] = Counter()
        self.used_specific: set[str] = set()
        ends = str(spec.get("ends") or "complete")
        self.limit: int | None = None
        self.ending = "complete"
        if ends == "stop_after_opening":
            self.ending, self.limit = "stop", 0
        elif ":" in ends:
            kind, _, n = ends.partition(":")
            self.ending, self.limit = ("stop" if "stop" in kind else "eof"), int(n)
        self.replies = 0

    def _pick(self, key: str, fallback: str) -> str:
        # YAML 1.1 reads an unquoted yes: / no: key as true / false.
        bool_key = {"yes": True, "no": False}.get(key)
        pool = (self.spec.get(key) or (self.spec.get(bool_key) if bool_key is not None else None)
                or self.spec.get(key.replace("_replies", "")) or [fallback])
        choice = str(pool[self.counts[key] % len(pool)])
        self.counts[key] += 1
        return choice

    def answer(self, ask: dict[str, Any]) -> str | None:
        """The reply to ``ask``, or None to hang up."""
        if ask["kind"] == "open":
            return str(self.spec.get("opening", ""))
        if self.limit is not None and self.replies >= self.limit:
            return None if self.ending == "eof" else str(self.spec.get("stop_phrase") or "stop")
        self.replies += 1
        about = list(ask.get("asks_about") or [])
        have = [fid for fid in about if fid in self.present]
        if have:
            specific = self.spec.get("specific") or {}
            for fid in have:
                if fid in specific and fid not in self.used_specific and ask["kind"] != "confirm":
                    self.used_specific.add(fid)
                    return str(specific[fid])
            return self._pick("yes", "yes")
        if any(fid in self.unsure for fid in about):
            return self._pick("unsure_replies", "I'm not sure")
        return self._pick("no", "no")


def run_conversation(spec: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]], list[tuple[str, str]]]:
    """Play one persona through the JSON-lines protocol; returns the level, the events, the talk."""
    conversation = Conversation(load_rulebook(), load_matcher(), load_questions(), spec.get("locale", "uk"),
                                offer_repeat=False)
    person = Person(spec)
    events = [e for e in (event_json(ev) for ev in conversation.start()) if e]
    talk: list[tuple[str, str]] = []
    for _ in range(MAX_TURNS):
        if conversation.done:
            break
        asks = [e for e in events if e["event"] == "ask"]
        ask = asks[-1] if asks else {"kind": "yes_no", "asks_about": []}
        reply = person.answer(ask)
        talk.append((ask.get("text", ""), "<hang up>" if reply is None else reply))
        new = conversation.end_of_input() if reply is None else conversation.hear(reply)
        events += [e for e in (event_json(ev) for ev in new) if e]
    decisions = [e for e in events if e["event"] == "decision"]
    return (decisions[-1]["level"] if decisions else None), events, talk


def score_conversations(path: Path, verbose: bool) -> dict[str, Any]:
    specs = yaml.safe_load(path.read_text(encoding="utf-8"))
    right = under = over = 0
    problems: list[str] = []
    for spec in specs:
        level, _events, talk = run_conversation(spec)
        want = spec["expected_level"]
        got_rank = RANK.get(level or "", -1)
        if level == want:
            right += 1
            continue
        if got_rank < RANK[want]:
            under += 1
            tag = "UNDER"
        else:
            over += 1
            tag = "over"
        problems.append(f"{tag} {spec['id']}: want {want}, got {level}")
        if verbose:
            problems.extend(f"      Q: {q[:70]}\n      A: {a}" for q, a in talk)
    if verbose:
        for p in problems:
            print("   ", p)
    else:
        for p in problems:
            print("   ", p)
    return {"total": len(specs), "right": right, "under": under, "over": over}


def report(folder: Path, verbose: bool) -> None:
    print(f"== {folder}")
    if (folder / "replies.tsv").exists():
        r = score_replies(folder / "replies.tsv", verbose)
        a, f = r["answers"], r["findings"]
        print(f"  replies: answers {a.pct():.1f}% of {a.total} ({a.swaps} yes<->no swaps); "
              f"findings in replies {f.pct():.1f}% of {f.total}; emergency findings lost {len(r['lost_emergency'])}")
    if (folder / "descriptions.tsv").exists():
        d = score_descriptions(folder / "descriptions.tsv", verbose)
        print(f"  descriptions: F1 {d['f1']:.3f} (P {d['precision']:.3f} R {d['recall']:.3f}); "
              f"negation errors {len(d['negation_errors'])}; missed emergency {len(d['missed_emergency'])}")
        if not verbose:
            for m in d["missed_emergency"] + d["negation_errors"]:
                print("    !", m)
    if (folder / "conversations.yaml").exists():
        c = score_conversations(folder / "conversations.yaml", verbose)
        print(f"  conversations: {c['right']}/{c['total']} at the spec's level "
              f"({100 * c['right'] / c['total']:.0f}%); under-triaged {c['under']}; over {c['over']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)
    for folder in args.sets:
        report(folder, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
