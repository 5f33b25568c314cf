"""Scripted sessions through the real matcher: the text front end, the JSON-lines protocol and --report.

Each script is what a person might type; the assertions are about what they are told. The text
sessions run in-process (fast); the CLI contracts (exit status, JSON lines, the report file) run
the installed command in a subprocess, as other tools will.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from tests.conftest import cli_command, run_cli
from voice_triage.clinical.catalogue import Level, Locale, load_rulebook
from voice_triage.dialogue.questions import QuestionKind, load_questions
from voice_triage.session.text import run_text_session

BOOK = load_rulebook()
PHRASES = load_questions().phrases
UK, US = Locale.UK, Locale.US
ADVICE = {loc: BOOK.advice[loc] for loc in Locale}


def session(lines: list[str], locale: Locale = UK) -> tuple[int, list[str]]:
    out = io.StringIO()
    status = run_text_session(locale.value, src=io.StringIO("".join(f"{line}\n" for line in lines)), out=out)
    return status, out.getvalue().splitlines()


def count(lines: list[str], text: str) -> int:
    return sum(1 for line in lines if line == text)


# --- every level ----------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", [UK, US])
def test_emergency_volunteered_then_confirmed(locale: Locale) -> None:
    status, lines = session(["My back has been killing me since yesterday and I can't pee properly",
                             "yes that's right"], locale)
    assert status == 0
    assert lines[2].startswith("You said you have new trouble starting to pee") and lines[2].endswith("Is that right?")
    advice = ADVICE[locale].by_level
    assert lines[3] == advice[Level.EMERGENCY]  # emergency advice at once, no more questions
    assert "trouble starting to pee" in lines[4] and lines[5] == ADVICE[locale].safety_net_emergency
    assert lines[-1] == PHRASES.texts["offer_repeat"].get(locale)


def test_emergency_found_by_asking_the_cauda_equina_questions_us() -> None:
    status, lines = session(["my lower back hurts", "nope", "yeah", "yes I can't get it started"], US)
    assert status == 0
    assert "Is it newly hard to start peeing?" in lines[3]
    assert lines[4] == "Is it hard to start peeing, or does nothing come out?"
    assert lines[5].startswith("Go to the emergency room now.")


def test_urgent_asks_only_what_can_still_change_the_advice() -> None:
    answers = ["my back hurts"] + ["no"] * 8 + ["yes", "yes it keeps getting worse"] + ["no"] * 5
    status, lines = session(answers, UK)
    assert status == 0
    assert "Is the pain severe, and getting worse?" in lines
    assert any(line.startswith("Have you ever had cancer") for line in lines)  # a risk factor would make it emergency
    assert not any(line.startswith("Has the pain lasted more than 4 weeks") for line in lines)
    assert ADVICE[UK].by_level[Level.URGENT] in lines
    assert "You told me about severe pain that is getting worse." in lines


def test_soon_and_self_care_in_both_locales() -> None:
    for locale in (UK, US):
        status, lines = session(["it's my lower back"] + ["no"] * 14 + ["yes, for about two months now"], locale)
        assert status == 0
        assert ADVICE[locale].by_level[Level.SOON] in lines
        status, lines = session(["it's my lower back"] + ["no"] * 15 + ["no thanks"], locale)
        assert ADVICE[locale].by_level[Level.SELF_CARE] in lines
        assert lines[-1] == PHRASES.texts["goodbye"].get(locale)
        questions = [line for line in lines if line.endswith("?")]
        assert len(questions) <= 16


# --- every interruption ---------------------------------------------------------------------------


def test_repeat_and_help_in_text() -> None:
    _, lines = session(["my back", "repeat", "help", "no"], UK)
    saddle = lines[2]
    assert count(lines, saddle) == 3  # asked, repeated, asked again after help
    assert any(line.startswith("I am asking about the skin you would sit on") for line in lines)


def test_stop_ends_with_the_safety_message() -> None:
    status, lines = session(["my back", "no", "stop"], US)
    assert status == 0
    assert lines[-2] == PHRASES.texts["stopped"].us and lines[-1] == ADVICE[US].safety_net


def test_silence_then_nonsense_are_reprompted_separately() -> None:
    _, lines = session(["my back", "", "", "blue cheese sandwich", "no"], UK)
    assert f"{PHRASES.no_input[0].uk} {PHRASES.how_to_answer[QuestionKind.YES_NO].uk}" in lines
    assert any(line.startswith(PHRASES.no_input[1].uk) and "For example" in line for line in lines)
    assert any(line.startswith(PHRASES.no_match[0].uk) for line in lines)  # counted apart from silence
    assert lines[-3].startswith("Is it newly hard to start peeing?")  # "no" still answered it


def test_three_silences_on_an_emergency_question_count_as_unsure() -> None:
    status, lines = session(["my back", "", "", ""] + ["no"] * 12, UK)
    assert status == 0
    assert PHRASES.texts["unanswered"].uk in lines
    # Doubt about an emergency symptom: act now, not an appointment (spec rule 3).
    assert any(line.startswith("You were not sure about numbness or tingling between your legs") and
               line.endswith("Call 111 now and tell them.") for line in lines)
    assert not any(line.startswith(ADVICE[UK].by_level[Level.SELF_CARE]) for line in lines)


def test_unsure_twice_is_rephrased_then_treated_as_at_least_urgent() -> None:
    answers = ["my back", "no", "I'm not sure", "I really don't know"] + ["no"] * 10
    status, lines = session(answers, US)
    assert status == 0
    assert PHRASES.texts["retry"].us in lines
    assert "Do you have to strain to pee" in " ".join(lines)
    assert any("You were not sure about" in line and "Call your doctor now" in line for line in lines)


def test_end_of_input_mid_question_ends_safely() -> None:
    status, lines = session(["my back", "no", "no"], UK)
    assert status == 0
    assert lines[-2] == PHRASES.texts["stopped"].uk and lines[-1] == ADVICE[UK].safety_net


def test_repeat_at_the_end_reads_the_advice_again() -> None:
    _, lines = session(["my back"] + ["no"] * 15 + ["repeat"], UK)
    assert count(lines, ADVICE[UK].safety_net) == 2 and lines[-1] == PHRASES.texts["goodbye"].uk


# --- the CLI: piped input, JSON lines, reports ----------------------------------------------------


def test_cli_text_session_with_piped_input_and_odd_bytes() -> None:
    cmd = [*cli_command(), "session", "--text", "--locale", "uk"]
    env = {k: v for k, v in os.environ.items() if k != "VOICE_TRIAGE_LOCALE"}
    data = b"my back \xff\xfe hurts\r\n" + b"x" * 100_000 + b"\n\x00\x1b[2J\n"
    result = subprocess.run(cmd, input=data, capture_output=True, timeout=120, check=False, env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert result.stderr == b"" and "\x1b" not in out
    assert out.splitlines()[-1] == ADVICE[UK].safety_net


def test_json_lines_protocol_reads_one_answer_per_ask() -> None:
    proc = subprocess.Popen([*cli_command(), "session", "--text", "--json", "--locale", "us"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    timer = threading.Timer(120, proc.kill)
    timer.start()
    script = iter(["it's my lower back", "no", "yes", "no", "I think so"])
    events = []
    try:
        assert proc.stdin is not None and proc.stdout is not None
        while True:
            line = proc.stdout.readline()  # would hang here if the protocol read ahead or behind
            assert line, "the session ended without an end event"
            event = json.loads(line)
            events.append(event)
            if event["event"] == "ask":
                proc.stdin.write(next(script) + "\n")
                proc.stdin.flush()
            if event["event"] == "end":
                break
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        timer.cancel()
        proc.kill()
    kinds = [e["event"] for e in events]
    assert kinds[-2:] == ["decision", "end"] and set(kinds) == {"say", "ask", "decision", "end"}
    asks = [e for e in events if e["event"] == "ask"]
    for ask in asks:
        assert set(ask) == {"event", "question", "kind", "asks_about", "text"}
        assert ask["kind"] in {"open", "yes_no", "confirm"} and set(ask["asks_about"]) <= set(BOOK.findings)
    assert [a["question"] for a in asks] == ["open", "saddle", "bladder", "ask_urinary_retention",
                                             "ask_urinary_incontinence"]
    assert asks[3]["kind"] == "confirm" and asks[3]["asks_about"] == ["urinary_retention"]
    decision = events[-2]
    assert {"event", "level", "findings", "reasons", "advice", "safety_net"} <= set(decision)  # keys only added
    assert decision["complete"] is True and decision["end"] == "completed"
    assert decision["level"] == "emergency"
    assert decision["findings"]["present"] == ["urinary_incontinence", "back_pain"]
    assert "urinary_retention" in decision["findings"]["absent"]
    assert decision["reasons"][0]["rule"] == "emergency_finding"
    assert decision["safety_net"] == ADVICE[US].safety_net_emergency and "911" in decision["advice"]


def test_json_end_of_input_still_decides_and_ends() -> None:
    result = run_cli("session", "--text", "--json", stdin="my back\n")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["event"] for e in events[-2:]] == ["decision", "end"]
    assert events[-3] == {"event": "say", "text": ADVICE[UK].safety_net}
    # Spec rule 9: an early end is not complete, says why, and never carries self-care advice.
    assert events[-2]["complete"] is False and events[-2]["end"] == "end_of_input"
    assert events[-1]["reason"] == "end_of_input"
    assert "Most back pain" not in events[-2]["advice"]


def test_report_is_owner_only_and_records_every_turn(tmp_path: Path) -> None:
    report = tmp_path / "session.json"
    report.write_text("old")
    report.chmod(0o644)
    result = run_cli("session", "--text", "--report", str(report),
                     stdin="I can't pee properly\n\nnot sure\nno\nyes\n")
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    data = json.loads(report.read_text())
    assert data["front_end"] == "text" and data["locale"] == "uk" and data["ended"] == "decision"
    turns = data["turns"]
    # The last line is the end of input after the offer to repeat: the decision was already made.
    assert [t["received"] for t in turns] == ["answer", "no_input", "answer", "answer", "answer", "end_of_input"]
    first = turns[0]
    assert first["question"] == "open" and first["prompt"] == "Tell me about your back pain."
    assert first["answer"] == "I can't pee properly"
    assert first["interpretation"]["findings"][0]["id"] == "urinary_retention"
    assert first["answer_wait_s"] >= 0 and first["process_s"] > 0
    assert turns[1]["interpretation"] is None and turns[1]["outcome"].startswith("no input 1")
    assert turns[2]["outcome"].startswith("unsure") and turns[3]["question"] == "confirm_urinary_retention"
    assert turns[4]["question"] == "ask_urinary_retention" and turns[4]["outcome"] == "yes"
    assert data["findings"]["present"] == ["urinary_retention"]
    assert data["decision"]["level"] == "emergency"
    assert data["decision"]["reasons"][0]["findings"] == ["urinary_retention"]
    assert not [p for p in tmp_path.iterdir() if p.name != "session.json"]  # no temporary file left


def test_nothing_is_written_without_report(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "VOICE_TRIAGE_LOCALE"}
    subprocess.run([*cli_command(), "session", "--text"], input="my back\nno\n", capture_output=True, text=True,
                   cwd=tmp_path, env={**env, "HOME": str(tmp_path)}, timeout=120, check=True)
    assert list(tmp_path.iterdir()) == []


def test_a_bad_report_path_fails_before_the_session(tmp_path: Path) -> None:
    result = run_cli("session", "--text", "--report", str(tmp_path / "missing" / "r.json"), stdin="my back\n")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "does not exist" in result.stderr
    result = run_cli("session", "--text", "--report", str(tmp_path), stdin="")
    assert result.returncode == 2 and "is a folder" in result.stderr
