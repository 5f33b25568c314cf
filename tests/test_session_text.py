"""Scripted sessions through the real matcher: the text front end, the JSON-lines protocol and --report.

Each script is what a person might type; the assertions are about what they are told. The text
sessions run in-process (fast); the CLI contracts (exit status, JSON lines, the report file) run
the installed command in a subprocess, as other tools will.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from tests.conftest import cli_command, run_cli
from voice_triage.clinical.catalogue import Level, Locale, load_rulebook
from voice_triage.dialogue.questions import QuestionKind, load_questions
from voice_triage.session.text import NO_VOICE_IN_TEXT, run_text_session, sentences, urgency_line

BOOK = load_rulebook()
PHRASES = load_questions().phrases
UK, US = Locale.UK, Locale.US
ADVICE = {loc: BOOK.advice[loc] for loc in Locale}


def session(lines: list[str], locale: Locale = UK) -> tuple[int, list[str]]:
    out = io.StringIO()
    status = run_text_session(locale.value, src=io.StringIO("".join(f"{line}\n" for line in lines)), out=out)
    return status, out.getvalue().splitlines()


def block(text: str) -> str:
    """``text`` as text mode prints it: one sentence a line."""
    return "\n".join(sentences(text))


def count(lines: list[str], text: str) -> int:
    """How often ``text`` was said, as whole lines (each of its sentences a line)."""
    return f"\n{chr(10).join(lines)}\n".count(f"\n{block(text)}\n")


def said(lines: list[str], text: str) -> bool:
    return count(lines, text) > 0


def ends(lines: list[str], *texts: str) -> bool:
    """The session ended with ``texts`` said in this order, then its Urgency line."""
    expected = [line for text in texts for line in sentences(text)]
    return lines[-len(expected) - 1:-1] == expected and lines[-1].startswith("Urgency: ")


# --- every level ----------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", [UK, US])
def test_emergency_volunteered_then_confirmed(locale: Locale) -> None:
    status, lines = session(["My back has been killing me since yesterday and I can't pee properly",
                             "yes that's right"], locale)
    assert status == 0
    readback = next(i for i, line in enumerate(lines) if line.startswith("You said you have new trouble starting"))
    assert lines[readback + 1] == "Is that right?"
    advice = ADVICE[locale].by_level
    after = "\n".join(lines[readback + 2:])
    assert after.startswith(block(advice[Level.EMERGENCY]))  # emergency advice at once, no more questions
    why = lines[readback + 2 + len(sentences(advice[Level.EMERGENCY]))]
    assert "trouble starting to pee" in why
    assert ends(lines, ADVICE[locale].safety_net_emergency, PHRASES.texts["offer_repeat"].get(locale))
    assert lines[-1] == "Urgency: emergency."


def test_emergency_found_by_asking_the_cauda_equina_questions_us() -> None:
    status, lines = session(["my lower back hurts", "nope", "yeah", "yes I can't get it started"], US)
    assert status == 0
    asked = lines.index("Is it newly hard to start peeing?")
    assert lines[asked + 1:asked + 3] == ["Or are you leaking pee?",
                                          "Is it hard to start peeing, or does nothing come out?"]
    assert lines[asked + 3] == "Go to the emergency room now."
    assert lines[-1] == "Urgency: emergency."


def test_urgent_asks_only_what_can_still_change_the_advice() -> None:
    answers = ["my back hurts"] + ["no"] * 8 + ["yes", "yes it keeps getting worse"] + ["no"] * 5
    status, lines = session(answers, UK)
    assert status == 0
    assert "Is the pain severe, and getting worse?" in lines
    assert any(line.startswith("Have you ever had cancer") for line in lines)  # a risk factor would make it emergency
    assert not any(line.startswith("Has the pain lasted more than 4 weeks") for line in lines)
    assert said(lines, ADVICE[UK].by_level[Level.URGENT])
    assert "You told me about severe pain that is getting worse." in lines
    assert lines[-1] == "Urgency: urgent."


def test_soon_and_self_care_in_both_locales() -> None:
    for locale in (UK, US):
        status, lines = session(["it's my lower back"] + ["no"] * 14 + ["yes, for about two months now"], locale)
        assert status == 0
        assert said(lines, ADVICE[locale].by_level[Level.SOON])
        assert lines[-1] == "Urgency: soon."
        status, lines = session(["it's my lower back"] + ["no"] * 15 + ["no thanks"], locale)
        assert said(lines, ADVICE[locale].by_level[Level.SELF_CARE])
        assert ends(lines, PHRASES.texts["goodbye"].get(locale))
        assert lines[-1] == "Urgency: self care."
        questions = [line for line in lines if line.endswith("?") and not line.startswith("Or ")]
        assert len(questions) <= 16


# --- every interruption ---------------------------------------------------------------------------


def test_repeat_and_help_in_text() -> None:
    _, lines = session(["my back", "repeat", "help", "no"], UK)
    saddle = lines[3]
    assert saddle.startswith("Is there numbness or tingling between your legs")
    assert count(lines, saddle) == 3  # asked, repeated, asked again after help
    assert any(line.startswith("I am asking about the skin you would sit on") for line in lines)


def test_stop_ends_with_the_safety_message() -> None:
    status, lines = session(["my back", "no", "stop"], US)
    assert status == 0
    assert ends(lines, PHRASES.texts["stopped"].us, ADVICE[US].safety_net)


def test_silence_then_nonsense_are_reprompted_separately() -> None:
    _, lines = session(["my back", "", "", "blue cheese sandwich", "no"], UK)
    assert said(lines, f"{PHRASES.no_input[0].uk} {PHRASES.how_to_answer[QuestionKind.YES_NO].uk}")
    second = sentences(PHRASES.no_input[1].uk)
    at = lines.index(second[0])
    assert lines[at + len(second)].startswith("For example")
    assert any(line.startswith(sentences(PHRASES.no_match[0].uk)[0]) for line in lines)  # counted apart from silence
    asked = lines.index("Is it newly hard to start peeing?")  # "no" still answered it
    assert lines[asked + 2] == sentences(PHRASES.texts["stopped"].uk)[0]


def test_three_silences_on_an_emergency_question_count_as_unsure() -> None:
    status, lines = session(["my back", "", "", ""] + ["no"] * 12, UK)
    assert status == 0
    assert said(lines, PHRASES.texts["unanswered"].uk)
    # Doubt about an emergency symptom: act now, not an appointment (spec rule 3).
    doubt = next(i for i, line in enumerate(lines)
                 if line.startswith("You were not sure about numbness or tingling between your legs"))
    assert lines[doubt + 1] == "Call 111 now and tell them."
    assert not said(lines, ADVICE[UK].by_level[Level.SELF_CARE])
    assert lines[-1] == "Urgency: urgent."


def test_unsure_twice_is_rephrased_then_treated_as_at_least_urgent() -> None:
    answers = ["my back", "no", "I'm not sure", "I really don't know"] + ["no"] * 10
    status, lines = session(answers, US)
    assert status == 0
    assert said(lines, PHRASES.texts["retry"].us)
    assert "Do you have to strain to pee" in " ".join(lines)
    doubt = next(i for i, line in enumerate(lines) if "You were not sure about" in line)
    assert "Call your doctor now" in lines[doubt + 1]


def test_end_of_input_mid_question_ends_safely() -> None:
    status, lines = session(["my back", "no", "no"], UK)
    assert status == 0
    assert ends(lines, PHRASES.texts["stopped"].uk, ADVICE[UK].safety_net)
    assert lines[-1] == "Urgency: self care."


def test_repeat_at_the_end_reads_the_advice_again() -> None:
    _, lines = session(["my back"] + ["no"] * 15 + ["repeat"], UK)
    assert count(lines, ADVICE[UK].safety_net) == 2 and ends(lines, PHRASES.texts["goodbye"].uk)
    assert lines.count("Urgency: self care.") == 1  # once, at the very end


# --- what a screen-reader or braille user meets -----------------------------------------------------


def test_every_line_is_one_sentence() -> None:
    _, lines = session(["my back"] + ["no"] * 15 + ["repeat"], UK)
    for line in lines:
        assert line == line.strip() and line
        assert not re.search(r"[.?!] +[A-Z]", line), line  # no second sentence on the line
    assert "Is there numbness or tingling between your legs or around your bottom?" in lines
    assert "Or does it feel different when you wipe?" in lines


def test_sentences_keeps_what_is_not_a_sentence_end() -> None:
    assert sentences("Take 1.5 tablets, e.g. paracetamol. Then rest! Is it \"bad\"? Yes.") == [
        "Take 1.5 tablets, e.g. paracetamol.", "Then rest!", 'Is it "bad"?', "Yes."]


def test_the_urgency_line_is_the_one_triage_prints() -> None:
    for level, findings in ((Level.EMERGENCY, "saddle_numbness"), (Level.SELF_CARE, "")):
        triage = run_cli("triage", "--findings", findings)
        assert triage.stdout.splitlines()[0] == urgency_line(level)
    assert urgency_line(Level.SELF_CARE) == "Urgency: self care."


@pytest.mark.parametrize("word", ["slower", "faster", "speak more slowly"])
def test_slower_and_faster_do_not_promise_a_voice(word: str) -> None:
    _, lines = session(["my back", word, "stop"], UK)
    assert NO_VOICE_IN_TEXT in lines
    assert not [line for line in lines if "speak" in line.lower() and "slow" in line.lower()]
    assert PHRASES.texts["slower"].uk not in lines and PHRASES.texts["faster"].uk not in lines
    at = lines.index(NO_VOICE_IN_TEXT)
    assert lines[at + 1] == lines[at - 2]  # then the question again (its first sentence)


def test_json_mode_is_unchanged_by_the_text_layout() -> None:
    result = run_cli("session", "--text", "--json", stdin="my back\nslower\nstop\n")
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[0] == {"event": "say", "text": PHRASES.texts["intro"].uk}  # two sentences, one event
    assert {"event": "say", "text": PHRASES.texts["slower"].uk} in events
    assert not any("Urgency" in json.dumps(event) for event in events)
    assert events[-2]["level"] == "self_care"


# --- the CLI: piped input, JSON lines, reports ----------------------------------------------------


def test_cli_text_session_with_piped_input_and_odd_bytes() -> None:
    cmd = [*cli_command(), "session", "--text", "--locale", "uk"]
    env = {k: v for k, v in os.environ.items() if k != "VOICE_TRIAGE_LOCALE"}
    data = b"my back \xff\xfe hurts\r\n" + b"x" * 100_000 + b"\n\x00\x1b[2J\n"
    result = subprocess.run(cmd, input=data, capture_output=True, timeout=120, check=False, env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert result.stderr == b"" and "\x1b" not in out
    assert out.splitlines()[-2:] == [sentences(ADVICE[UK].safety_net)[-1], "Urgency: self care."]


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


# --- line editing on a terminal -------------------------------------------------------------------


def _run_on_terminal(keys: bytes, timeout: float = 30, interrupt: bool = False) -> tuple[int | None, str]:
    """The CLI with stdin, stdout and stderr on a pseudo-terminal; ``keys`` typed once the first
    question is shown. Returns the exit status (None: still waiting for input) and what it showed."""
    import pty
    import select
    import time

    master, slave = pty.openpty()
    env = {**{k: v for k, v in os.environ.items() if k != "VOICE_TRIAGE_LOCALE"}, "TERM": "xterm"}
    proc = subprocess.Popen([*cli_command(), "session", "--text"], stdin=slave, stdout=slave, stderr=slave,
                            env=env, close_fds=True)
    os.close(slave)
    shown, typed = b"", False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
            if not typed and b"Tell me about your back pain." in shown:
                time.sleep(0.3)  # let input() start reading
                os.write(master, keys)
                if interrupt:
                    time.sleep(0.3)
                    proc.send_signal(signal.SIGINT)
                typed = True
            if typed and proc.poll() is not None and not ready:
                break
        try:
            status: int | None = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            status = None  # still waiting for an answer: the keys did not make "stop"
        return status, shown.decode(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        os.close(master)


def test_arrow_keys_edit_the_answer_on_a_terminal() -> None:
    # "top", three times the left arrow, then "s": "stop" only if readline edits the line.
    status, shown = _run_on_terminal(b"top\x1b[D\x1b[D\x1b[Ds\r")
    assert status == 0, shown
    assert PHRASES.texts["stopped"].uk.split(".")[0] in shown
    assert sentences(PHRASES.no_match[0].uk)[0] not in shown  # "top^[[D..." would not be understood
    assert "Urgency: self care." in shown


def test_ctrl_c_while_editing_still_ends_with_the_safety_message() -> None:
    status, shown = _run_on_terminal(b"my ba", interrupt=True)
    assert status == 130, shown
    assert sentences(ADVICE[UK].safety_net)[-1] in shown and "Urgency: self care." in shown
    assert "Traceback" not in shown


def test_a_piped_session_never_loads_readline() -> None:
    code = ("import sys; from voice_triage.cli.app import main; status = main(['session', '--text']); "
            "sys.stderr.write('readline loaded' if 'readline' in sys.modules else 'no readline'); "
            "raise SystemExit(status)")
    import sys

    result = subprocess.run([sys.executable, "-c", code], input="my back\nstop\n", capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "no readline"
    assert "\x1b" not in result.stdout
