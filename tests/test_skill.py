"""The OpenVoiceOS skill (voice_triage/skill/).

Unit tests drive ``TriageSkill`` on ovos-utils' ``FakeBus`` with ``get_response`` and ``speak``
replaced at the seam. The end-to-end tests start the real services on loopback (``ovos-messagebus``
and ``ovos-core``'s skill manager with its intent service, which finds this skill through its
``opm.skill`` entry point), and play the two ends OpenVoiceOS's audio and listener services play:
they answer ``speak`` with ``recognizer_loop:audio_output_start``/``end`` and send each reply as a
``recognizer_loop:utterance``. Nothing leaves loopback: the skill manager's connectivity check is
answered on the bus (no network), and all OpenVoiceOS files go to a temporary XDG tree.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from voice_triage.skill import SKILL_ID

from .conftest import run_cli

TIMEOUT = 90.0
#: get_response's wait for a reply in the end-to-end services (s): silence costs this much once.
RESPONSE_TIMEOUT_S = 6
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
PIPELINE = ["stop_high", "converse", "padacioso_high", "stop_medium", "padacioso_medium", "fallback_low"]


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """OpenVoiceOS's configuration, data, cache and state folders, all under ``tmp_path``."""
    for name in ("CONFIG", "DATA", "CACHE", "STATE"):
        folder = tmp_path / name.lower()
        folder.mkdir()
        monkeypatch.setenv(f"XDG_{name}_HOME", str(folder))
    return tmp_path


def text_session(answers: list[str]) -> list[dict[str, Any]]:
    result = run_cli("session", "--text", "--json", stdin="".join(a + "\n" for a in answers),
                     env={**os.environ, "VOICE_TRIAGE_LOCALE": "uk"})
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def words_of(events: list[dict[str, Any]]) -> str:
    return " ".join(e["text"] for e in events if e["event"] in ("say", "ask"))


def decision_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    (decision,) = [e for e in events if e["event"] == "decision"]
    return decision


# --- vocabulary ----------------------------------------------------------------------------------

def test_the_start_intent_is_generated_from_the_grammar(tmp_path: Path) -> None:
    from padacioso import IntentContainer

    from voice_triage.nlu.grammar import load_grammar
    from voice_triage.skill import vocabulary

    grammar = {" ".join(p.text.split()) for p in load_grammar().findings["back_pain"]}
    assert set(vocabulary.start_phrases()) == grammar  # every phrase, none added by hand
    path = vocabulary.write_intent(tmp_path / "data")
    assert path.stat().st_mode & 0o777 == 0o600 and (tmp_path / "data").stat().st_mode & 0o777 == 0o700
    lines = [x for x in path.read_text().splitlines() if x and not x.startswith("#")]
    assert lines == vocabulary.intent_lines(vocabulary.start_phrases())

    check = [x for x in vocabulary.check_intent().read_text().splitlines() if x and not x.startswith("#")]
    container = IntentContainer()
    container.add_intent("back_pain", lines)
    container.add_intent("check", check)
    for utterance, intent in [("I have back pain", "back_pain"), ("my back hurts", "back_pain"),
                              ("I've hurt my back", "back_pain"), ("backache", "back_pain"),
                              ("check my back", "check"), ("start a back pain check", "check")]:
        assert container.calc_intent(utterance)["name"] == intent, utterance
    for other in ("what time is it", "no", "yes", "stop", "play some music", "my knee hurts"):
        assert container.calc_intent(other)["name"] is None, other


def test_locale_follows_the_assistants_language() -> None:
    from voice_triage.clinical import Locale
    from voice_triage.skill.skill import locale_of

    assert locale_of("en-US", Locale.UK) is Locale.US
    assert locale_of("en-gb", Locale.US) is Locale.UK
    assert locale_of("en-AU", Locale.UK) is Locale.UK and locale_of(None, Locale.US) is Locale.US


# --- the skill on a fake bus -----------------------------------------------------------------------

class Seam:
    """``TriageSkill`` on a FakeBus; ``get_response`` answers from ``replies`` (None: silence),
    calling ``during`` (if any) before the given turn's answer, like a stop arriving meanwhile."""

    def __init__(self, replies: list[str | None], during: dict[int, Callable[[Any], None]] | None = None) -> None:
        from ovos_bus_client.message import Message
        from ovos_utils.fakebus import FakeBus

        from voice_triage.skill.skill import TriageSkill

        self.bus = FakeBus()
        self.decisions: list[dict[str, Any]] = []
        self.bus.on("voice-triage.decision", lambda m: self.decisions.append(json.loads(m)["data"]
                                                                              if isinstance(m, str) else m.data))
        self.skill = TriageSkill(bus=self.bus, skill_id=SKILL_ID)
        self.spoken: list[str] = []
        self.prompts: list[str] = []
        self.replies = list(replies)
        self.during = during or {}
        self.skill.speak = lambda text, *a, **k: self.spoken.append(text)
        self.skill.get_response = self._get_response
        self.message = Message("recognizer_loop:utterance", {"utterance": "my back hurts", "lang": "en-GB"},
                               {"session": {"session_id": "default"}})

    def _get_response(self, dialog: str = "", **kwargs: Any) -> str | None:
        turn = len(self.prompts)
        self.prompts.append(dialog)
        self.spoken.append(dialog)
        assert kwargs["num_retries"] == 0 and kwargs["validator"]("cancel") is True
        if turn in self.during:
            self.during[turn](self.skill)
            return None  # what get_response returns once it is stopped or aborted
        return self.replies.pop(0) if self.replies else None

    def run(self) -> None:
        self.skill.handle_start(self.message)


ANSWERS = ["my lower back aches and it goes down my left leg", "no", "help", "not sure", "I don't know", "no",
           "", "no", "repeat that", "yes", *["no"] * 16]


def test_a_whole_conversation_speaks_what_the_text_session_prints(xdg: Path) -> None:
    typed = text_session(ANSWERS)
    asked = sum(e["event"] == "ask" for e in typed)
    seam = Seam([a or None for a in ANSWERS[:asked]])
    seam.run()
    assert " ".join(seam.spoken) == words_of(typed)
    assert seam.decisions == [decision_of(typed)]
    assert seam.spoken[-1] == decision_of(typed)["safety_net"]
    assert not seam.skill._live  # nothing kept after the end


def test_stop_mid_way_ends_as_stop_typed_and_speaks_the_safety_message(xdg: Path) -> None:
    typed = text_session([ANSWERS[0], "stop"])
    seam = Seam([ANSWERS[0]], during={1: lambda skill: skill.stop_session(type("S", (), {"session_id": "default"}))})
    seam.run()
    assert " ".join(seam.spoken) == words_of(typed)
    assert seam.decisions == [decision_of(typed)] and seam.decisions[0]["end"] == "stopped"
    assert seam.spoken[-1] == decision_of(typed)["safety_net"]


@pytest.mark.parametrize("how", ["abort", "stop_all"])
def test_the_assistant_cancelling_still_speaks_the_safety_message(xdg: Path, how: str) -> None:
    from ovos_bus_client.message import Message

    def cancel(skill: Any) -> None:
        if how == "abort":
            skill._handle_abort(Message("mycroft.skills.abort_question", {"skill_id": SKILL_ID},
                                        {"session": {"session_id": "default"}}))
        else:
            assert skill.can_stop(Message("x")) and skill.stop()

    typed = text_session([ANSWERS[0]])  # then the end of input
    seam = Seam([ANSWERS[0]], during={1: cancel})
    seam.run()
    assert " ".join(seam.spoken) == words_of(typed)
    (decided,) = seam.decisions
    assert decided["end"] == "interrupted" and decided["level"] == decision_of(typed)["level"]
    assert seam.spoken[-1] == decision_of(typed)["safety_net"]


def test_silence_is_no_input_and_cancel_words_reach_the_nlu(xdg: Path) -> None:
    typed = text_session(["", "", "", "cancel"])
    asked = sum(e["event"] == "ask" for e in typed)
    seam = Seam([None, None, None, "cancel"][:asked])
    seam.run()
    assert " ".join(seam.spoken) == words_of(typed)
    assert seam.spoken[-1] == decision_of(typed)["safety_net"]
    assert seam.skill.voc_match("cancel", "cancel") is False  # get_response swallows nothing


def test_shutdown_mid_conversation_speaks_the_safety_message_once(xdg: Path) -> None:
    typed = text_session([ANSWERS[0]])
    seam = Seam([ANSWERS[0]], during={1: lambda skill: skill.shutdown()})
    seam.run()
    assert " ".join(seam.spoken) == words_of(typed)
    assert seam.spoken.count(decision_of(typed)["safety_net"]) == 1


def test_a_bug_in_a_turn_still_ends_with_the_safety_message(xdg: Path) -> None:
    seam = Seam([ANSWERS[0], "no"])
    live: dict[str, Any] = {}

    def explode(skill: Any) -> None:
        live.update(skill._live)
        raise RuntimeError("boom")

    seam.during = {1: explode}
    with pytest.raises(RuntimeError):
        seam.run()
    assert seam.spoken[-1] == live["default"].conversation.decision.safety_net
    assert not seam.skill._live


# --- end to end: the real OpenVoiceOS services on loopback -----------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Ovos:
    """ovos-messagebus and ovos-core on loopback, and a bus client playing the audio service and
    the listener."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = _free_port()
        self.messages: list[Any] = []
        self.changed = threading.Condition()
        self.procs: list[subprocess.Popen[bytes]] = []
        self.client: Any = None

    def config(self) -> dict[str, Any]:
        return {
            "lang": "en-GB",
            "websocket": {"host": "127.0.0.1", "port": self.port, "route": "/core", "ssl": False,
                          "shared_connection": True},
            "intents": {"pipeline": PIPELINE},
            "skills": {"get_response_timeout": RESPONSE_TIMEOUT_S},
            "open_data": {"intent_urls": []},
            "logs": {"path": str(self.root / "logs")},
        }

    def start(self) -> None:
        from ovos_bus_client.client import MessageBusClient

        folder = Path(os.environ["XDG_CONFIG_HOME"]) / "mycroft"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "mycroft.conf").write_text(json.dumps(self.config()))
        env = {**os.environ, "VOICE_TRIAGE_LOCALE": "uk", "PYTHONUNBUFFERED": "1"}
        bindir = Path(sys.executable).parent
        self._spawn([str(bindir / "ovos-messagebus")], env, "bus")
        deadline = time.monotonic() + TIMEOUT
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                break
            assert time.monotonic() < deadline, "ovos-messagebus did not listen"
            assert self.procs[0].poll() is None, self.log("bus")
            time.sleep(0.1)
        self.client = MessageBusClient(host="127.0.0.1", port=self.port, route="/core", ssl=False)
        self.client.on("message", self._record)
        self.client.on("speak", self._speak)
        self.client.on("ovos.PHAL.internet_check", self._offline)
        self.client.on("mycroft.skills.train", self._trained)
        self.client.run_in_thread()
        assert self.client.connected_event.wait(TIMEOUT)
        self._spawn([sys.executable, "-m", "ovos_core", "--disable-installer", "--disable-file-watcher"], env, "core")
        self.wait(lambda m: m["type"] == "mycroft.skill.loaded" and m["data"].get("skill_id") == SKILL_ID, "load")
        self.wait(lambda m: m["type"] == "mycroft.skills.initialized", "initialise")

    def _spawn(self, argv: list[str], env: dict[str, str], name: str) -> None:
        out = open(self.root / f"{name}.log", "wb")  # noqa: SIM115  # closed with the process
        self.procs.append(subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, cwd=self.root))

    def log(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.close()
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    # --- the other services' part ---------------------------------------------------------------

    def _record(self, raw: str) -> None:
        with self.changed:
            self.messages.append(json.loads(raw))
            self.changed.notify_all()

    def _speak(self, message: Any) -> None:
        """As ovos-audio does: the speech starts and ends (a moment later), in the same session."""
        from ovos_bus_client.message import Message

        def play() -> None:
            time.sleep(0.05)
            self.client.emit(Message("recognizer_loop:audio_output_start", {}, dict(message.context)))
            self.client.emit(Message("recognizer_loop:audio_output_end", {}, dict(message.context)))

        threading.Thread(target=play, daemon=True).start()

    def _offline(self, message: Any) -> None:
        """The connectivity plugin's answer: no network (so ovos-core makes no HTTP check)."""
        self.client.emit(message.response({"internet_connected": False, "network_connected": False}))

    def _trained(self, message: Any) -> None:
        """padacioso needs no training and does not answer the skill manager's request to train
        (ovos-core would wait 60 s for an answer): answered here as a trainer would."""
        from ovos_bus_client.message import Message

        self.client.emit(Message("mycroft.skills.trained", {}, dict(message.context)))

    def say(self, text: str) -> int:
        """The listener: a transcript on the bus, as the assistant's STT gives it; returns the index
        of the first message after it."""
        from ovos_bus_client.message import Message

        with self.changed:
            mark = len(self.messages)
        context = {"source": "audio", "destination": ["skills"]}
        self.client.emit(Message("recognizer_loop:record_begin", {}, dict(context)))
        self.client.emit(Message("recognizer_loop:record_end", {}, dict(context)))
        self.client.emit(Message("recognizer_loop:utterance", {"utterances": [text], "lang": "en-GB"}, context))
        return mark

    def wait(self, predicate: Callable[[dict[str, Any]], bool], what: str, start: int = 0,
             timeout: float = TIMEOUT) -> tuple[int, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for i in range(start, len(self.messages)):
                    if predicate(self.messages[i]):
                        return i, self.messages[i]
                left = deadline - time.monotonic()
                if left <= 0 or any(p.poll() is not None for p in self.procs):
                    raise AssertionError(f"no {what} within {timeout:.0f} s\n--- core log:\n{self.log('core')}")
                self.changed.wait(min(left, 1.0))

    def converse(self, opening: str, answers: list[str | None],
                 interrupt: Callable[[], None] | None = None) -> tuple[list[str], list[dict[str, Any]], float]:
        """Start with ``opening`` and reply to each question in turn (None: stay silent until the
        skill's wait ends); ``interrupt`` is called instead of the last reply. Returns the spoken
        words, the decisions on the bus, and the seconds the conversation took."""
        started = time.monotonic()
        mark = self.say(opening)
        index = mark
        for n, answer in enumerate(answers):
            index, _ = self.wait(lambda m: m["type"] == "speak" and m["data"].get("expect_response"),
                                 "question", index)
            # The skill waits for the reply once it reports get_response waiting (its question
            # spoken); a reply before that would reach the intent parser.
            index, _ = self.wait(lambda m: m["type"] == f"{SKILL_ID}.get_response.waiting", "waiting", index)
            index += 1
            if interrupt is not None and n == len(answers) - 1:
                interrupt()
            elif answer is not None:
                self.say(answer)
        # The conversation's own handler ending, after the last reply: another handler's
        # "complete" (ovos-workshop reports several with this skill's id) could come earlier, and
        # the closing words would then be cut off mid-way (seen once in CI).
        self.wait(lambda m: m["type"] == "mycroft.skill.handler.complete"
                  and m["context"].get("skill_id") == SKILL_ID
                  and str(m["data"].get("name", "")).endswith(".handle_start"), "the end of the conversation", index)
        with self.changed:
            after = self.messages[mark:]
        spoken = [m["data"]["utterance"] for m in after if m["type"] == "speak"]
        decisions = [m["data"] for m in after if m["type"] == "voice-triage.decision"]
        return spoken, decisions, time.monotonic() - started


@pytest.fixture(scope="module")
def ovos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ovos]:
    root = tmp_path_factory.mktemp("ovos")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("CONFIG", "DATA", "CACHE", "STATE"):
            (root / name.lower()).mkdir()
            patch.setenv(f"XDG_{name}_HOME", str(root / name.lower()))
        services = Ovos(root)
        try:
            services.start()
            yield services
        finally:
            services.stop()


E2E_ANSWERS = ["my lower back aches and it goes down my left leg", "no", "help", "not sure", "no", "",
               "repeat that", "yes", *["no"] * 16]


@pytest.mark.slow
def test_real_ovos_services_run_a_whole_conversation_and_a_stop(ovos: Ovos) -> None:
    typed = text_session(E2E_ANSWERS)
    asked = sum(e["event"] == "ask" for e in typed)
    answers = [a or None for a in E2E_ANSWERS[:asked]]

    # An utterance on the bus starts the skill; replies on the bus drive it to the decision.
    spoken, decisions, seconds = ovos.converse("I have back pain", answers)
    assert " ".join(spoken) == words_of(typed), "\n".join(spoken)
    assert decisions == [decision_of(typed)]
    assert spoken[-1] == decision_of(typed)["safety_net"]
    print(f"whole conversation: {asked} questions in {seconds:.1f} s (one silence of {RESPONSE_TIMEOUT_S} s)")

    # "stop" mid-way: OpenVoiceOS's stop pipeline stops the skill, which ends as "stop" typed does.
    typed = text_session([E2E_ANSWERS[0], "stop"])
    spoken, decisions, _ = ovos.converse("my back hurts", [E2E_ANSWERS[0], "stop"])
    assert " ".join(spoken) == words_of(typed), "\n".join(spoken)
    assert decisions == [decision_of(typed)] and decisions[0]["end"] == "stopped"
    assert spoken[-1] == decision_of(typed)["safety_net"]


@pytest.mark.slow
def test_real_ovos_services_an_aborted_question_speaks_the_safety_message(ovos: Ovos) -> None:
    from ovos_bus_client.message import Message

    typed = text_session([E2E_ANSWERS[0]])  # then the end of input

    def abort() -> None:
        ovos.client.emit(Message("mycroft.skills.abort_question", {"skill_id": SKILL_ID}))

    spoken, decisions, _ = ovos.converse("check my back", [E2E_ANSWERS[0], None], interrupt=abort)
    assert " ".join(spoken) == words_of(typed), "\n".join(spoken)
    assert [d["end"] for d in decisions] == ["interrupted"]
    assert spoken[-1] == decision_of(typed)["safety_net"]
