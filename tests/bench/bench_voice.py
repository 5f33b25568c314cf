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
  replies), for the chains with Moonshine;
- replies (``REPLY_SETS``): replies to a given question (topic, reply, answer), spoken at bench time
  by two espeak-ng voices and hibari-tts at the project's default rate into a temporary folder, and
  heard through the voice session's own path for that question (``session.turn.hear_audio`` on a
  ``Conversation`` whose current question is the row's topic): what the conversation did with each.
  ``tests/voice_sets/spoken-18-heldout`` and ``spoken-21b-heldout`` were written blind by people who
  never saw the project and are only ever measured (never tuned on); the development sets are
  ``spoken-21-tuned`` and the typed blind NLU set ``tests/nlu_sets/blind-5-tuned`` (already tuned
  typed, so a voice miss there is the recognizers'). Rows labelled ``other`` are phrases that answer
  nothing: right unless heard as yes or no, and counted apart as the rejection figure.

``python -m tests.bench.bench_voice --only replies [--keep DIR]`` runs the reply sets alone (``--keep``
keeps the rendered clips in DIR and reuses them).

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


VOICE_SETS = REPO / "tests" / "voice_sets"
#: (label, file of topic/reply/answer rows, held out: measured only, never tuned on).
REPLY_SETS: list[tuple[str, Path, bool]] = [
    ("spoken-18 (held out)", VOICE_SETS / "spoken-18-heldout" / "answers.tsv", True),
    ("spoken-21 (development)", VOICE_SETS / "spoken-21-tuned" / "answers.tsv", False),
    ("spoken-21b (held out)", VOICE_SETS / "spoken-21b-heldout" / "answers.tsv", True),
    ("blind-5 replies (development)", REPO / "tests" / "nlu_sets" / "blind-5-tuned" / "replies.tsv", False),
]
#: The voices replies are spoken in, at the project's default rate: (name, espeak-ng voice, pitch),
#: the two espeak-ng voices of the spoken sets (not those of tests/wav), and hibari-tts's bundled one.
REPLY_ESPEAK: list[tuple[str, str, int]] = [("espeak-wmids_m4", "en-gb-x-gbcwmd+m4", 45),
                                            ("espeak-us_f4", "en-us+f4", 65)]
REPLY_HIBARI = ("hibari-heart", "heart")
#: The finding a read-back row (topic ``confirm``) is asked about: a non-emergency finding from a
#: description, read back before it counts.
READBACK_OF = ("sciatica",)
#: What the conversation did (``Conversation.last_outcome``) as the answer a row is labelled with.
OUTCOME_OF: dict[str, str] = {"hedged no: checked once": "no", "unsure: asked again in other words": "unsure"}


def _run(cmd: list[str]) -> None:
    import subprocess

    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def render_replies(texts: list[tuple[str, str]], folder: Path) -> dict[str, list[Path]]:
    """Each (text, answer) spoken by every reply voice into ``folder/<voice>/<n>-<answer>.wav``
    (16 kHz mono 16-bit); a file already there is reused. hibari-tts missing: espeak-ng alone."""
    from voice_triage.settings import DEFAULT_SPEECH_RATE

    renderers: dict[str, Callable[[str, Path], None]] = {}
    for name, voice, pitch in REPLY_ESPEAK:
        def espeak(text: str, out: Path, v: str = voice, p: int = pitch) -> None:
            raw = out.with_suffix(".raw.wav")
            _run(["espeak-ng", "-v", v, "-s", str(DEFAULT_SPEECH_RATE), "-p", str(p), "-w", str(raw), text])
            _run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out)])
            raw.unlink()
        renderers[name] = espeak
    tts: Any = None
    try:
        from hibari import Hibari  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError as exc:
        print(f"  hibari-tts unavailable ({exc}): espeak-ng voices only")
    else:
        def neural(text: str, out: Path) -> None:
            nonlocal tts
            tts = tts or Hibari(REPLY_HIBARI[1])
            raw = out.with_suffix(".raw.wav")
            tts.save(text, str(raw), speed=1.0, seed=0)
            _run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out)])
            raw.unlink()
        renderers[REPLY_HIBARI[0]] = neural
    files: dict[str, list[Path]] = {}
    for name, render in renderers.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        files[name] = []
        for index, (text, answer) in enumerate(texts):
            out = folder / name / f"{index:03d}-{answer}.wav"
            if not out.is_file():
                render(text, out)
            files[name].append(out)
    return files


def conversation_at(topic: str) -> Any:
    """A conversation whose current question is ``topic``: a question id of questions.yaml, a
    follow-up ``ask_<finding>``, or ``confirm`` (a read-back of ``READBACK_OF``)."""
    from voice_triage.clinical.catalogue import load_rulebook
    from voice_triage.dialogue.conversation import Conversation, Role
    from voice_triage.dialogue.questions import load_questions

    questions = load_questions()
    conversation = Conversation(load_rulebook(), load_matcher(), questions, "uk")
    conversation.start()
    plan = conversation._plan
    if topic == "confirm":
        step = plan.readback_step(READBACK_OF)
    elif topic.startswith("ask_"):
        step = plan.probe_step(topic.removeprefix("ask_"), Role.FOLLOW)
    else:
        step = plan.question_step(next(q for q in questions.yes_no if q.id == topic))
    conversation._put(step)
    return conversation


def session_outcome(conversation: Any, transcript: Any = None, typed: str | None = None) -> str:
    """What the conversation at a question did with a spoken turn (``transcript``, through
    ``session.turn.hear_transcript`` as the voice session does) or a typed line: yes, no, unsure,
    repeat, help, stop, emergency, correct, no_match, no_input, or other (a rate change)."""
    from voice_triage.session.turn import hear_transcript

    if typed is not None:
        conversation.hear(typed)
    else:
        heard = hear_transcript(conversation, transcript)
        if heard.transcript.status is not Status.OK:
            return str(heard.transcript.status.value)
    done = str(conversation.last_outcome)
    if done.startswith("not understood"):
        return "no_match"
    if done.startswith("no input"):
        return "no_input"
    return OUTCOME_OF.get(done, done if done in ANSWER_KINDS else "other")


ANSWER_KINDS = ("yes", "no", "unsure", "repeat", "help", "stop", "emergency", "correct")


#: A row labelled this is a phrase that answers nothing ("go back", "hello", "louder"): anything
#: but yes or no is right for it (asked again, help, a rate change), the rejection guarantee.
NOT_AN_ANSWER = "other"


def _right(topic: str, want: str, got: str) -> bool:
    """A read-back's "correct" in a set written blind is the person confirming it ("yes that's
    right" → correct) or taking an answer back ("go back a question"): either is right there."""
    if want == NOT_AN_ANSWER:
        return got not in ("yes", "no")
    return got == want or (topic == "confirm" and want == "correct" and got == "yes")


def _reply_rows(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [r for r in rows if r["answer"].strip() in (*ANSWER_KINDS, NOT_AN_ANSWER)]


def section_replies(name: str, rec: Recognizer, keep: Path | None = None, only: str | None = None) -> dict[str, Any]:
    """Every ``REPLY_SETS`` set spoken and heard at its row's question (see the module docstring):
    right per voice, yes↔no swaps, a no to an emergency question heard as yes (and the reverse),
    replies heard with Moonshine's open transcript, and decode time."""
    import statistics
    import tempfile

    from voice_triage.dialogue.questions import load_questions
    from voice_triage.session.turn import phrases_for

    emergency_topics = {q.id for q in load_questions().yes_no
                        if any(conversation_at(q.id).is_emergency(f) for f in q.asks_about)}
    results: dict[str, Any] = {}
    for label, path, _held_out in REPLY_SETS:
        if only is not None and not label.startswith(only):
            continue
        if not path.is_file():
            print(f"\n[replies] {label}: skipped (no {path})")
            continue
        rows = _reply_rows(path)
        with tempfile.TemporaryDirectory(prefix="bench-replies-") as tmp:
            folder = (keep / path.parent.name) if keep is not None else Path(tmp)
            files = render_replies([(r["reply"], r["answer"].strip()) for r in rows], folder)
            typed = [session_outcome(conversation_at(r["topic"]), typed=r["reply"]) for r in rows]
            typed_right = sum(_right(r["topic"], r["answer"].strip(), g) for r, g in zip(rows, typed, strict=True))
            print(f"\n[replies] {name}, {label}: {len(rows)} replies; typed {typed_right / len(rows):.1%} right")
            every: list[tuple[str, str, str]] = []
            for voice, clips in files.items():
                got: list[tuple[str, str, str]] = []
                decode: list[float] = []
                opened = 0
                for row, clip in zip(rows, clips, strict=True):
                    conversation = conversation_at(row["topic"])
                    samples = read_wav(clip).samples
                    transcript = rec.transcribe(samples, phrases_for(conversation.current))
                    decode.append(transcript.decode_s)
                    opened += bool(transcript.open_text)
                    got.append((row["topic"], row["answer"].strip(), session_outcome(conversation, transcript)))
                every += got
                results[f"{label} {voice}"] = _reply_line(voice, got, emergency_topics)
                print(f"    decode median {statistics.median(decode) * 1000:.0f} ms, p90 "
                      f"{sorted(decode)[int(len(decode) * 0.9)] * 1000:.0f} ms; Moonshine heard {opened}")
            results[label] = _reply_line("all voices", every, emergency_topics)
    return results


def _reply_line(voice: str, got: list[tuple[str, str, str]], emergency_topics: set[str]) -> dict[str, Any]:
    right = sum(_right(t, w, g) for t, w, g in got)
    swaps = sum({w, g} == {"yes", "no"} for _, w, g in got)
    urgent_swaps = sum({w, g} == {"yes", "no"} and t in emergency_topics for t, w, g in got)
    asked_again = sum(g in ("no_match", "no_input") for _, _, g in got)
    others = [g for _, w, g in got if w == NOT_AN_ANSWER]
    taken = sum(g in ("yes", "no") for g in others)
    numbers = {"right": right / len(got), "swaps": swaps, "emergency swaps": urgent_swaps, "asked again": asked_again,
               "other→yes/no": taken / len(others) if others else 0.0}
    print(f"  {voice}: {right}/{len(got)} = {right / len(got):.1%} right, {swaps} yes↔no swaps "
          f"({urgent_swaps} on emergency questions), {asked_again} not understood (asked again)"
          + (f"; non-answers taken as yes/no {taken}/{len(others)}" if others else ""))
    wrong = Counter((w, g) for t, w, g in got if not _right(t, w, g))
    if wrong:
        print("    wrong (label → got): " + ", ".join(f"{w}→{g} x{n}" for (w, g), n in wrong.most_common()))
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


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=("replies",), help="run only this section, with the shipped chain")
    parser.add_argument("--keep", type=Path, help="keep the rendered reply clips in this folder (and reuse them)")
    parser.add_argument("--set", dest="only_set", metavar="NAME",
                        help="with --only replies: the reply sets whose label starts with NAME (e.g. spoken-21b)")
    args = parser.parse_args(argv)
    if args.only == "replies":
        section_replies("shipped", open_listener("pocketsphinx", moonshine=True), args.keep, args.only_set)
        return 0
    for index, (name, rec) in enumerate(backends()):
        for section in SECTIONS:
            section(name, rec)
        section_spoken(name, rec)
        if index == 0:
            section_replies(name, rec, args.keep)
    bench_session()
    return 0


if __name__ == "__main__":
    sys.exit(main())
