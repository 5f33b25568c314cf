"""Voice benchmark: ``python -m tests.bench.bench_voice`` (``make bench-voice``).

One function per section; each prints a table and returns its numbers, so more sections (turn
latency, session memory) can be added to ``SECTIONS`` without touching the others.

- espeak: the committed espeak-ng answers in tests/wav (>= 4 voices, clean and 10 dB SNR) through
  each backend and the matcher: accuracy, yes↔no swaps, reject cases, real-time factor;
- human: the speech-commands clips in ../shared (yes, no, stop, other words, noise), split by file
  order into a tuning half (even positions, used while choosing thresholds) and a held-out half
  (odd positions): accuracy for yes/no/stop, share of other words and of noise returned as yes or
  no, confusion matrix, real-time factor;
- spoken: the held-out sets of scripts/make_spoken_sets.py (reports/spoken-sets; skipped when not
  generated): finding recall/precision on spoken descriptions and answer accuracy on spoken answers,
  before (pocketsphinx dictation, the phrase list alone) and after (Moonshine's dictation and open
  replies), for the chains with Moonshine.

Backends: pocketsphinx with the answer spotter and Moonshine's second listening (what ships),
without Moonshine, and pocketsphinx alone, always; Vosk (with Moonshine) when a model is installed
(else the reason is printed).
Real-time factor is CPU time of this process over audio time (one core), so other load on the
machine does not distort it.
"""

from __future__ import annotations

import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from voice_triage.asr import Recognizer, Status
from voice_triage.audio.wav import read_wav
from voice_triage.errors import TriageError
from voice_triage.nlu.grammar import load_grammar
from voice_triage.nlu.matcher import load_matcher
from voice_triage.session.turn import open_listener

REPO = Path(__file__).resolve().parents[2]
WAV_DIR = REPO / "tests" / "wav"
SPEECH_COMMANDS = REPO.parent / "shared" / "audio" / "speech-commands"
HUMAN_LABELS = ("yes", "no", "stop", "_unknown_", "_silence_")
OUTCOMES = ("yes", "no", "unsure", "stop", "repeat", "help", "other", "no_match", "no_input")


def outcome(rec: Recognizer, path: Path, phrases: tuple[str, ...]) -> tuple[str, float, float]:
    """(what the assistant made of the clip, audio seconds, CPU seconds): the transcript read as the
    turn driver reads it (``session.turn.open_reading``: Moonshine's open reply included)."""
    from voice_triage.session.turn import open_reading

    audio = read_wav(path)
    start = time.process_time()
    transcript = open_reading(rec.transcribe(audio.samples, phrases), load_matcher())
    cpu = time.process_time() - start
    if transcript.status is not Status.OK:
        return transcript.status.value, audio.duration_s, cpu
    answer = load_matcher().understand(transcript.text).answer
    return (answer.value if answer else "other"), audio.duration_s, cpu


def expected_answer(text: str) -> str:
    answer = load_matcher().understand(text).answer
    return answer.value if answer else "other"


def confusion(rows: list[tuple[str, str]], labels: tuple[str, ...]) -> None:
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for truth, got in rows:
        table[truth][got] += 1
    print("    " + "truth \\ got".ljust(12) + "".join(o[:8].rjust(9) for o in OUTCOMES))
    for truth in labels:
        if table[truth]:
            print("    " + truth.ljust(12) + "".join(str(table[truth][o]).rjust(9) for o in OUTCOMES))


def section_espeak(name: str, rec: Recognizer) -> dict[str, Any]:
    phrases = load_grammar().phrases_for("yes_no", ())
    folders = sorted(p for p in WAV_DIR.iterdir() if p.is_dir() and p.name not in ("reject", "symptoms"))
    rows: list[tuple[str, str]] = []
    audio_s = cpu_s = 0.0
    by_noise: dict[str, list[bool]] = defaultdict(list)
    swaps = 0
    for folder in folders:
        for wav in sorted(folder.glob("*.wav")):
            truth = expected_answer(wav.stem)
            got, a, c = outcome(rec, wav, phrases)
            audio_s, cpu_s = audio_s + a, cpu_s + c
            rows.append((truth, got))
            if truth in ("yes", "no", "unsure"):
                by_noise["snr10" if "snr" in folder.name else "clean"].append(got == truth)
            swaps += {truth, got} == {"yes", "no"}
    rejects = [(w.stem, outcome(rec, w, phrases)[0]) for w in sorted((WAV_DIR / "reject").glob("*.wav"))]
    print(f"\n[espeak] {name}: {len(folders)} voice/noise folders, {len(rows)} clips")
    for cond, hits in sorted(by_noise.items()):
        print(f"  yes/no/unsure correct, {cond}: {sum(hits)}/{len(hits)} = {sum(hits) / len(hits):.1%}")
    print(f"  yes<->no swaps: {swaps}")
    print(f"  reject cases (must not be yes/no): {', '.join(f'{s}→{g}' for s, g in rejects)}")
    print(f"  real-time factor (CPU/audio): {cpu_s / audio_s:.3f}  ({audio_s / cpu_s:.1f}x faster than real time)")
    confusion(rows, ("yes", "no", "unsure", "stop", "repeat", "help", "other"))
    all_hits = [h for hits in by_noise.values() for h in hits]
    return {"accuracy": sum(all_hits) / len(all_hits), "swaps": swaps, "rtf": cpu_s / audio_s,
            "rejects_as_yes_no": sum(g in ("yes", "no") for _, g in rejects)}


def human_split(files: list[Path], part: str) -> list[Path]:
    return files[0::2] if part == "tuning" else files[1::2]


def section_human(name: str, rec: Recognizer) -> dict[str, Any]:
    if not SPEECH_COMMANDS.is_dir():
        print(f"\n[human] skipped: {SPEECH_COMMANDS} is absent")
        return {}
    phrases = load_grammar().phrases_for("yes_no", ())
    results: dict[str, Any] = {}
    for part in ("tuning", "held-out", "all"):
        rows: list[tuple[str, str]] = []
        audio_s = cpu_s = 0.0
        for label in HUMAN_LABELS:
            files = sorted((SPEECH_COMMANDS / label).glob("*.wav"))
            for wav in files if part == "all" else human_split(files, part):
                got, a, c = outcome(rec, wav, phrases)
                rows.append((label, got))
                audio_s, cpu_s = audio_s + a, cpu_s + c
            if part == "all":
                break  # "all" is summarised from the two halves below, not decoded again
        if part == "all":
            continue
        results[part] = rows
        print(f"\n[human] {name}, {part} half: {len(rows)} clips, real-time factor {cpu_s / audio_s:.3f}")
        summarise_human(rows)
        confusion(rows, HUMAN_LABELS)
    both = results["tuning"] + results["held-out"]
    print(f"\n[human] {name}, both halves: {len(both)} clips")
    return summarise_human(both)


def summarise_human(rows: list[tuple[str, str]]) -> dict[str, Any]:
    def share(label: str, wanted: Callable[[str], bool]) -> float:
        got = [g for t, g in rows if t == label]
        return sum(map(wanted, got)) / max(len(got), 1)

    yes_no = [(t, g) for t, g in rows if t in ("yes", "no")]
    numbers = {
        "yes": share("yes", lambda g: g == "yes"),
        "no": share("no", lambda g: g == "no"),
        "yes/no": sum(t == g for t, g in yes_no) / max(len(yes_no), 1),
        "swaps": sum({t, g} == {"yes", "no"} for t, g in yes_no),
        "stop": share("stop", lambda g: g == "stop"),
        "other→yes/no": share("_unknown_", lambda g: g in ("yes", "no")),
        "noise→yes/no": share("_silence_", lambda g: g in ("yes", "no")),
    }
    print("  " + "  ".join(f"{k} {v:.1%}" if isinstance(v, float) else f"{k} {v}" for k, v in numbers.items()))
    return numbers


SECTIONS: list[Callable[[str, Recognizer], dict[str, Any]]] = [section_espeak, section_human]

SPOKEN_SETS = REPO / "reports" / "spoken-sets"
#: Answers that count for a set label: a hedged no heard as doubt is the safe side (see
#: tests/test_recognition.py); words that answer nothing are right when nothing is decided.
RIGHT_FOR: dict[str, set[str]] = {"none": {"no_match", "no_input", "other", "repeat", "help"}}


def _findings(text: str) -> tuple[set[str], set[str]]:
    """(present, absent) finding ids the NLU reads in ``text``, context findings left out."""
    from voice_triage.clinical.catalogue import Tier, load_rulebook

    context = {f.id for f in load_rulebook().findings.values() if f.tier is Tier.CONTEXT}
    heard = load_matcher().understand(text).findings
    return ({f.id for f in heard if f.present and f.id not in context},
            {f.id for f in heard if not f.present and f.id not in context})


def _finding_scores(rows: list[tuple[dict[str, Any], str]]) -> dict[str, float]:
    """Recall over the labelled findings (context findings as well when labelled), precision over
    the non-context findings read, negation errors (a labelled finding read with the other polarity)."""
    from voice_triage.clinical.catalogue import Tier, load_rulebook

    context = {f.id for f in load_rulebook().findings.values() if f.tier is Tier.CONTEXT}
    found = wanted = read = right = flipped = 0
    for item, text in rows:
        heard = load_matcher().understand(text).findings
        present = {f.id for f in heard if f.present}
        absent = {f.id for f in heard if not f.present}
        want = set(item["present"])
        found += len(want & present)
        wanted += len(want)
        read += len(present - context)
        right += len((present - context) & want)
        flipped += len(want & absent - present) + len(set(item["absent"]) & present)
    return {"recall": found / max(wanted, 1), "precision": right / max(read, 1), "negation errors": float(flipped)}


def section_spoken(name: str, rec: Recognizer) -> dict[str, Any]:
    """Held-out spoken sets (scripts/make_spoken_sets.py): voices and sentences never tuned on.

    Descriptions: finding recall and precision before (pocketsphinx dictation, the first backend
    of the chain) and after (Moonshine's dictation). Answers: answer accuracy before (the phrase
    list only, Moonshine's exact-phrase rule included) and after (the open reply read by the NLU,
    ``session.turn.open_reading``), both from the same decoding of each clip."""
    import json

    from voice_triage.asr import SecondOpinion
    from voice_triage.session.turn import open_reading

    index = SPOKEN_SETS / "sets.json"
    if not index.is_file():
        print(f"\n[spoken] skipped: run scripts/make_spoken_sets.py (no {index})")
        return {}
    if not isinstance(rec, SecondOpinion):
        print(f"\n[spoken] {name}: skipped (no open-vocabulary recognizer in this chain)")
        return {}
    sets = json.loads(index.read_text())
    typed = _finding_scores([(item, item["text"]) for item in sets["descriptions"]])
    results: dict[str, Any] = {"typed": typed}
    print(f"\n[spoken] {name}: {len(sets['descriptions'])} descriptions, {len(sets['answers'])} answers, "
          f"voices {', '.join(sets['voices'])}")
    print("  descriptions typed: " + "  ".join(f"{k} {v:.2f}" for k, v in typed.items()))
    for voice in sets["voices"]:
        before: list[tuple[dict[str, Any], str]] = []
        after: list[tuple[dict[str, Any], str]] = []
        audio_s = cpu_before = cpu_after = 0.0
        for item in sets["descriptions"]:
            samples = read_wav(SPOKEN_SETS / item["files"][voice]).samples
            audio_s += len(samples) / 16000
            start = time.process_time()
            old = rec.first.transcribe(samples, None)
            cpu_before += time.process_time() - start
            start = time.process_time()
            new = rec.transcribe(samples, None)
            cpu_after += time.process_time() - start
            before.append((item, old.text if old.status is Status.OK else ""))
            after.append((item, new.text if new.status is Status.OK else ""))
        b, a = _finding_scores(before), _finding_scores(after)
        print(f"  descriptions, {voice}: before " + "  ".join(f"{k} {v:.2f}" for k, v in b.items())
              + " | after " + "  ".join(f"{k} {v:.2f}" for k, v in a.items())
              + f" | CPU/audio {cpu_before / audio_s:.2f} → {cpu_after / audio_s:.2f}")
        results[f"descriptions {voice}"] = {"before": b, "after": a, "rtf_after": cpu_after / audio_s}
    phrases = load_grammar().phrases_for("yes_no", ())
    rows: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for voice in sets["voices"]:
        for item in sets["answers"]:
            samples = read_wav(SPOKEN_SETS / item["files"][voice]).samples
            heard = rec.transcribe(samples, phrases)
            got = []
            for transcript in (heard, open_reading(heard, load_matcher())):
                if transcript.status is not Status.OK:
                    got.append(transcript.status.value)
                else:
                    answer = load_matcher().understand(transcript.text).answer
                    got.append(answer.value if answer else "other")
            rows[voice].append((item["answer"], got[0], got[1]))
    typed_right = sum(expected_answer(i["text"]) in RIGHT_FOR.get(i["answer"], {i["answer"]}) | (
        {"unsure"} if i["answer"] == "no" and load_matcher().understand(i["text"]).hedged else set())
        for i in sets["answers"])
    print(f"  answers typed: {typed_right}/{len(sets['answers'])} = {typed_right / len(sets['answers']):.1%}")
    every: list[tuple[str, str, str]] = []
    for voice, got_rows in rows.items():
        every += got_rows
        _answer_line(voice, got_rows)
    results["answers"] = _answer_line("all voices", every)
    return results


def _answer_line(label: str, rows: list[tuple[str, str, str]]) -> dict[str, Any]:
    numbers: dict[str, Any] = {}
    for when, at in (("before", 1), ("after", 2)):
        right = sum(r[at] in RIGHT_FOR.get(r[0], {r[0]}) for r in rows)
        swaps = sum({r[0], r[at]} == {"yes", "no"} for r in rows)
        nothing = [r for r in rows if r[0] == "none"]
        leaked = sum(r[at] in ("yes", "no") for r in nothing)
        numbers[when] = {"accuracy": right / len(rows), "swaps": swaps, "none→yes/no": leaked}
    print(f"  answers, {label}: " + " | ".join(
        f"{w} {n['accuracy']:.1%} right, {n['swaps']} yes↔no swaps, {n['none→yes/no']} non-answers as yes/no"
        for w, n in numbers.items()))
    wrong = Counter((r[0], r[2]) for r in rows if r[2] not in RIGHT_FOR.get(r[0], {r[0]}))
    if wrong:
        print("    after, wrong (said → got): " + ", ".join(f"{t}→{g} x{n}" for (t, g), n in wrong.most_common()))
    return numbers


def backends() -> list[tuple[str, Recognizer]]:
    # The shipped fallback (pocketsphinx + answer spotter, Moonshine listening again) and, for
    # comparison, without Moonshine, and pocketsphinx alone.
    found: list[tuple[str, Recognizer]] = [
        ("pocketsphinx+spotter+moonshine", open_listener("pocketsphinx", moonshine=True)),
        ("pocketsphinx+spotter", open_listener("pocketsphinx", moonshine=False)),
        ("pocketsphinx alone", open_listener("pocketsphinx", spotter=False, moonshine=False)),
    ]
    try:
        found.append(("vosk", open_listener("vosk")))
    except TriageError as exc:
        print(f"vosk: skipped ({exc})")
    return found


def bench_session() -> None:
    """Turn latency and peak memory of whole voice sessions (tests/bench/voice_session_bench.py)."""
    from tests.bench.voice_session_bench import bench_latency, bench_memory, report

    report(bench_latency(), bench_memory())


def main() -> int:
    for name, rec in backends():
        for section in SECTIONS:
            section(name, rec)
        section_spoken(name, rec)
    bench_session()
    return 0


if __name__ == "__main__":
    sys.exit(main())
