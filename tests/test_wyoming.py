"""The Wyoming service (voice_triage/wyoming/), driven by the ``wyoming`` library's own client over
loopback against a server started here: describe, handle, tts, asr, errors, expiry, the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import re
import signal
import subprocess
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event, async_read_event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe, Info
from wyoming.ping import Ping, Pong
from wyoming.tts import Synthesize, SynthesizeVoice

from voice_triage.asr import Status
from voice_triage.asr import Transcript as AsrTranscript
from voice_triage.clinical import Locale
from voice_triage.wyoming import protocol
from voice_triage.wyoming.options import ServeOptions
from voice_triage.wyoming.server import TriageService, run_server

from .conftest import REPO, cli_command, run_cli

WAV = REPO / "tests" / "wav"
TIMEOUT = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextlib.asynccontextmanager
async def running(service: TriageService) -> AsyncIterator[int]:
    """The server on a free loopback port, for the duration of the block; yields the port."""
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()
    task = asyncio.create_task(run_server(service, "tcp://127.0.0.1:0", ready.set_result, stop))
    done, _ = await asyncio.wait({ready, task}, timeout=TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        task.result()  # raises what stopped it
    try:
        yield int(ready.result().rsplit(":", 1)[1])
    finally:
        stop.set()
        await asyncio.wait_for(task, TIMEOUT)


def client(port: int) -> AsyncTcpClient:
    return AsyncTcpClient("127.0.0.1", port, connect_timeout=10, read_timeout=TIMEOUT)


async def ask(port: int, event: Event) -> Event:
    """One request on a new connection, the way Home Assistant opens one per utterance."""
    async with client(port) as c:
        await c.write_event(event)
        reply = await c.read_event()
    assert reply is not None
    return reply


async def say(port: int, text: str, cid: str | None, language: str | None = "en-GB") -> Handled:
    context = {"conversation_id": cid} if cid is not None else None
    reply = await ask(port, Transcript(text, context=context, language=language).event())
    assert Handled.is_type(reply.type), reply
    return Handled.from_event(reply)


def decision_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    (decision,) = [e for e in events if e["event"] == "decision"]
    return decision


def questions_after(utterances: list[str]) -> list[str | None]:
    """The question each utterance leads to, from the conversation itself (no server): what a
    server's replies must show, whatever the question file holds today."""
    from voice_triage.clinical import Locale
    from voice_triage.wyoming.conversations import take_turn

    conversation = TriageService().new_conversation(Locale.UK)
    out = []
    for text in utterances:
        reply = take_turn(conversation, text)
        out.append(reply.question.question if reply.question else None)
    return out


def text_session(answers: list[str]) -> list[dict[str, Any]]:
    result = run_cli("session", "--text", "--json", stdin="".join(a + "\n" for a in answers))
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def pcm_of(path: Path) -> tuple[bytes, int, int, int]:
    with wave.open(str(path), "rb") as w:
        return w.readframes(w.getnframes()), w.getframerate(), w.getsampwidth(), w.getnchannels()


async def recognize(port: int, path: Path, context: dict[str, Any] | None = None) -> Transcript:
    audio, rate, width, channels = pcm_of(path)
    async with client(port) as c:
        await c.write_event(Transcribe(language="en", context=context).event())
        await c.write_event(AudioStart(rate, width, channels, timestamp=0).event())
        step = 1024 * width * channels
        for start in range(0, len(audio), step):
            await c.write_event(AudioChunk(rate, width, channels, audio[start : start + step]).event())
        await c.write_event(AudioStop().event())
        reply = await c.read_event()
    assert reply is not None and Transcript.is_type(reply.type), reply
    return Transcript.from_event(reply)


# --- describe ------------------------------------------------------------------------------------

def test_describe_offers_handle_tts_and_asr() -> None:
    async def go() -> Info:
        async with running(TriageService()) as port:
            return Info.from_event(await ask(port, Describe().event()))

    info = asyncio.run(go())
    (handle,) = info.handle
    assert handle.name == "voice-triage" and handle.installed
    assert {"en", "en-GB", "en-US"} <= set(handle.models[0].languages)
    assert not handle.supports_home_control
    assert [v.name for v in info.tts[0].voices] == ["gmw/en", "gmw/en-US"]
    assert info.asr[0].installed and "en" in info.asr[0].models[0].languages


# --- handle --------------------------------------------------------------------------------------

# A whole conversation with emergency, unsure and steering answers in it.
ANSWERS = [
    "my lower back aches and it goes down my left leg",
    "no", "help", "not sure", "I don't know", "no", "no", "repeat that",
    "yes", "no", "no", "no", "no", "no", "no", "no", "no", "no", "no", "no", "no", "no", "no", "no", "no",
]


def test_whole_conversation_through_handle_decides_as_the_text_session() -> None:
    async def go() -> tuple[list[Handled], list[str], int]:
        service = TriageService()
        async with running(service) as port:
            replies = [await say(port, "I've hurt my back", "conv-1")]  # the opening starts it
            used: list[str] = []
            for answer in ANSWERS:
                if replies[-1].context and replies[-1].context["done"]:
                    break
                used.append(answer)
                replies.append(await say(port, answer, "conv-1"))
            return replies, used, len(service.conversations)

    replies, used, live = asyncio.run(go())
    assert replies[-1].context is not None and replies[-1].context["done"], "ran out of answers"
    assert live == 0  # an ended conversation is not kept
    assert replies[0].context is not None and replies[0].context["question"] == "open"
    events = [e for r in replies for e in (r.context or {})["events"]]
    assert all(r.context and r.context["conversation_id"] == "conv-1" for r in replies)

    typed = text_session(used)
    assert decision_of(events) == decision_of(typed)
    assert events == typed  # every prompt, in order: the same conversation
    # The last thing said is the safety message.
    assert replies[-1].text and replies[-1].text.endswith(decision_of(typed)["safety_net"])


def test_a_transcript_without_an_id_is_the_connections_own_conversation() -> None:
    async def go() -> tuple[list[Handled], Handled]:
        async with running(TriageService()) as port:
            async with client(port) as c:
                replies = []
                for text in ("hello", "my back hurts", "no"):
                    await c.write_event(Transcript(text).event())
                    event = await c.read_event()
                    assert event is not None
                    replies.append(Handled.from_event(event))
            other = await say(port, "no", None)  # a new connection: a new conversation
            return replies, other

    replies, other = asyncio.run(go())
    assert [(r.context or {})["question"] for r in replies] == questions_after(["hello", "my back hurts", "no"])
    assert "conversation_id" not in (replies[0].context or {})
    assert (other.context or {})["question"] == "open"


def test_a_dropped_connection_ends_its_own_conversation(caplog: pytest.LogCaptureFixture) -> None:
    async def go() -> None:
        async with running(TriageService()) as port:
            async with client(port) as c:
                for text in ("hello", "my back hurts"):
                    await c.write_event(Transcript(text).event())
                    assert await c.read_event() is not None
            for _ in range(100):  # the server notices the close
                if "conversation ended" in caplog.text:
                    return
                await asyncio.sleep(0.02)

    with caplog.at_level("INFO", logger="voice_triage.wyoming"):
        asyncio.run(go())
    assert "connection closed mid-conversation: conversation ended" in caplog.text


def test_too_many_conversations_is_busy_not_a_crash() -> None:
    async def go() -> tuple[Event, Handled]:
        service = TriageService()
        service.conversations.limit = 1
        async with running(service) as port:
            await say(port, "hello", "one")
            busy = await ask(port, Transcript("hello", context={"conversation_id": "two"}).event())
            still = await say(port, "my back hurts", "one")
            return busy, still

    busy, still = asyncio.run(go())
    assert Error.is_type(busy.type) and Error.from_event(busy).code == protocol.BUSY
    assert (still.context or {})["question"] == questions_after(["hello", "my back hurts"])[-1]


def test_two_conversations_at_once_are_kept_apart() -> None:
    first = ["my back hurts", "no", "no", "no"]
    second = ["I can't feel my bum", "yes"]  # an emergency (read back, if the conversation asks, then decided)

    async def run(port: int, cid: str, answers: list[str]) -> list[Handled]:
        out = [await say(port, "start", cid)]
        for answer in answers:
            if (out[-1].context or {})["done"]:
                break
            await asyncio.sleep(0)  # let the other conversation take its turn in between
            out.append(await say(port, answer, cid))
        return out

    async def go() -> tuple[list[Handled], list[Handled], int]:
        service = TriageService()
        async with running(service) as port:
            a, b = await asyncio.gather(run(port, "kitchen", first), run(port, "bedroom", second))
            return a, b, len(service.conversations)

    a, b, live = asyncio.run(go())
    assert [(r.context or {})["question"] for r in a] == questions_after(["start", *first])
    assert all((r.context or {})["conversation_id"] == "kitchen" for r in a)
    used = second[: len(b) - 1]
    assert [(r.context or {})["question"] for r in b] == questions_after(["start", *used])
    assert (b[-1].context or {})["done"] and not (a[-1].context or {})["done"]
    assert all((r.context or {})["conversation_id"] == "bedroom" for r in b)
    decided = decision_of((b[-1].context or {})["events"])
    assert decided["level"] == "emergency" and decided["findings"]["present"] == ["saddle_numbness"]
    assert live == 1  # the kitchen's is still open, the bedroom's ended with its decision
    # The same answers typed give the same decision.
    assert decision_of(text_session(used)) == decided


def test_an_expired_conversation_ends_with_the_safety_message() -> None:
    clock = Clock()

    async def go() -> tuple[Handled, Handled, Handled, int]:
        service = TriageService(ServeOptions(timeout_s=60), clock=clock)
        async with running(service) as port:
            await say(port, "hello", "c")
            await say(port, "my back hurts", "c")
            clock.now += 61
            late = await say(port, "yes", "c")  # to a question asked over a minute ago
            live = len(service.conversations)
            again = await say(port, "hello", "c")
            clock.now += 200  # a conversation that expired and nobody came back to: forgotten
            await say(port, "no", "other")
            clock.now += 61
            service.conversations.expire()
            clock.now += 61
            service.conversations.expire()
            gone = await say(port, "anything", "other")
            return late, again, gone, live

    late, again, gone, live = asyncio.run(go())
    assert late.context is not None and late.context["expired"] and late.context["done"]
    decided = decision_of(late.context["events"])
    assert late.text and late.text.endswith(decided["safety_net"])
    # Expiry ends it as the end of typed input does, after the same answers: the same words.
    typed = text_session(["my back hurts"])
    last_ask = max(i for i, e in enumerate(typed) if e["event"] == "ask")
    assert late.context["events"] == typed[last_ask + 1 :]
    assert late.text == " ".join(e["text"] for e in typed[last_ask + 1 :] if e["event"] == "say")
    assert live == 0
    assert (again.context or {})["question"] == "open"  # then a fresh start
    assert (gone.context or {})["question"] == "open" and not (gone.context or {}).get("expired")


def test_a_language_other_than_english_is_not_handled() -> None:
    async def go() -> Event:
        async with running(TriageService()) as port:
            return await ask(port, Transcript("hallo", context={"conversation_id": "x"}, language="de").event())

    reply = asyncio.run(go())
    assert NotHandled.is_type(reply.type)


def test_the_us_locale_follows_the_transcripts_language() -> None:
    async def go() -> list[Handled]:
        async with running(TriageService()) as port:
            out = []
            for text in ("hello", "I can't feel my bum", "yes"):
                reply = await ask(port, Transcript(text, context={"conversation_id": "us"}, language="en-US").event())
                out.append(Handled.from_event(reply))
            return out

    replies = asyncio.run(go())
    assert "911" in (replies[-1].text or "") and "999" not in (replies[-1].text or "")


# --- tts -----------------------------------------------------------------------------------------

def test_tts_streams_valid_16_bit_pcm() -> None:
    text = "Tell me about your back pain."

    async def go() -> list[Event]:
        async with running(TriageService()) as port, client(port) as c:
            await c.write_event(Synthesize(text, voice=SynthesizeVoice(name="gmw/en-US")).event())
            events = []
            while True:
                event = await c.read_event()
                assert event is not None
                events.append(event)
                if AudioStop.is_type(event.type):
                    break
            await c.write_event(Describe().event())  # the connection is still usable
            after = await c.read_event()
            assert after is not None and Info.is_type(after.type)
            return events

    events = asyncio.run(go())
    start = AudioStart.from_event(events[0])
    chunks = [AudioChunk.from_event(e) for e in events[1:-1]]
    assert AudioStart.is_type(events[0].type) and AudioStop.is_type(events[-1].type) and chunks
    assert (start.width, start.channels) == (2, 1) and 8000 <= start.rate <= 48000
    assert all((c.rate, c.width, c.channels) == (start.rate, 2, 1) for c in chunks)
    stamps = [c.timestamp for c in chunks]
    assert stamps == sorted(stamps) and stamps[0] == 0
    audio = b"".join(c.audio for c in chunks)
    assert len(audio) % 2 == 0
    seconds = len(audio) / 2 / start.rate
    assert 1.0 < seconds < 6.0, seconds
    # It is a readable WAV once framed, and it is speech, not silence.
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(start.rate)
        w.writeframes(audio)
    buffer.seek(0)
    with wave.open(buffer, "rb") as w:
        frames = w.readframes(w.getnframes())
    import numpy as np

    samples = np.frombuffer(frames, dtype="<i2")
    assert int(np.abs(samples).max()) > 3000
    assert float(np.mean(np.abs(samples) > 500)) > 0.2


def test_tts_refuses_an_unknown_voice_and_empty_text() -> None:
    async def go() -> list[Event]:
        async with running(TriageService()) as port, client(port) as c:
            out = []
            for event in (Synthesize("hello", voice=SynthesizeVoice(name="no-such-voice")).event(),
                          Event("synthesize", {"text": ""}),
                          Synthesize("hello", voice=SynthesizeVoice(language="fr")).event()):
                await c.write_event(event)
                reply = await c.read_event()
                assert reply is not None
                out.append(reply)
            return out

    replies = asyncio.run(go())
    assert [Error.from_event(r).code for r in replies] == [protocol.UNKNOWN_VOICE, protocol.MALFORMED,
                                                          protocol.UNKNOWN_VOICE]


# --- asr -----------------------------------------------------------------------------------------

@pytest.mark.slow
def test_asr_on_recorded_answers_follows_the_named_conversation() -> None:
    async def go() -> tuple[Transcript, Handled, Transcript, Transcript]:
        async with running(TriageService(ServeOptions(asr="pocketsphinx"))) as port:
            await say(port, "hello", "asr")
            asked = await say(port, "my back hurts", "asr")
            assert (asked.context or {})["question"] not in (None, "open")  # a yes/no question
            heard = await recognize(port, WAV / "en-gb_m_s150" / "no i haven't.wav", {"conversation_id": "asr"})
            # The transcript goes to handle as Home Assistant would send it: the answer moves on.
            moved = await say(port, heard.text, "asr")
            unsure = await recognize(port, WAV / "en-us_m_s175" / "i'm not sure.wav", {"conversation_id": "asr"})
            free = await recognize(port, WAV / "en-gb_m_s150" / "stop.wav")  # no context: free dictation
            return heard, moved, unsure, free

    heard, moved, unsure, free = asyncio.run(go())
    asked, after = questions_after(["hello", "my back hurts", heard.text])[1:]
    from voice_triage.nlu.matcher import load_matcher

    matcher = load_matcher()
    assert heard.context is not None and heard.context["status"] == "ok" and heard.context["question"] == asked
    assert matcher.understand(heard.text).answer is not None
    assert matcher.understand(heard.text).answer.value == "no"
    assert (moved.context or {})["question"] == after != asked
    assert unsure.context is not None and unsure.context["question"] == after
    assert matcher.understand(unsure.text).answer is not None
    assert matcher.understand(unsure.text).answer.value == "unsure"
    assert free.context is not None and free.context["question"] is None and "conversation_id" not in free.context
    assert free.context["status"] in ("ok", "no_input", "no_match")


class OpenReply:
    """A recognizer at the seam: no phrase matched, Moonshine's open reply written beside it."""

    name = "pocketsphinx"

    def __init__(self, open_text: str) -> None:
        self.open_text = open_text

    def transcribe(self, samples: object, phrases: object) -> AsrTranscript:
        return AsrTranscript("", Status.NO_MATCH, 0.0, self.name, 1.0, 0.0, self.open_text)


def test_asr_reads_the_open_reply_as_a_session_does_and_handle_checks_its_no() -> None:
    async def go(forward: bool) -> tuple[Transcript, Handled]:
        service = TriageService(ServeOptions(asr="pocketsphinx"))
        service._recognizer = OpenReply("no not at all")  # the seam: no model is loaded
        async with running(service) as port:
            await say(port, "hello", "open")
            asked = await say(port, "my back hurts", "open")
            assert (asked.context or {})["question"] == "saddle"  # an emergency question
            heard = await recognize(port, WAV / "en-gb_m_s150" / "no.wav", {"conversation_id": "open"})
            context = dict(heard.context or {}) if forward else {"conversation_id": "open"}
            reply = await ask(port, Transcript(heard.text, context=context, language="en-GB").event())
            return heard, Handled.from_event(reply)

    heard, checked = asyncio.run(go(forward=True))
    assert heard.text == "no not at all" and heard.context is not None
    assert heard.context["status"] == "ok" and heard.context["from_open"] is True
    check = TriageService().questions.phrases.say("check", Locale.UK)
    assert (checked.context or {})["question"] == "saddle" and checked.text.startswith(check)
    # Without the flag (a client that drops the context) the words are taken as typed: no check.
    _, taken = asyncio.run(go(forward=False))
    assert (taken.context or {})["question"] != "saddle"


@pytest.mark.slow
def test_asr_of_silence_is_an_empty_transcript() -> None:
    async def go() -> tuple[Transcript, Event]:
        async with running(TriageService(ServeOptions(asr="pocketsphinx"))) as port:
            heard = await recognize(port, WAV / "reject" / "digital silence.wav")
            async with client(port) as c:  # audio-stop with no audio at all
                await c.write_event(AudioStart(16000, 2, 1).event())
                await c.write_event(AudioStop().event())
                empty = await c.read_event()
            assert empty is not None
            return heard, empty

    heard, empty = asyncio.run(go())
    assert heard.text == "" and heard.context is not None and heard.context["status"] == "no_input"
    assert Transcript.is_type(empty.type) and Transcript.from_event(empty).text == ""


def test_bad_audio_is_refused_once_and_the_connection_kept() -> None:
    async def go() -> list[Event]:
        async with running(TriageService()) as port, client(port) as c:
            sent = [
                AudioChunk(16000, 2, 1, b"\0\0").event(),  # before audio-start
                AudioStop().event(),  # before audio-start
                AudioStart(16000, 4, 1).event(),  # 32-bit: refused
                AudioChunk(16000, 4, 1, b"\0" * 8).event(),  # the rest of that stream: dropped silently
                AudioStop().event(),
                AudioStart(16000, 2, 1).event(),
                AudioChunk(8000, 2, 1, b"\0\0").event(),  # changes format mid-stream
                AudioStop().event(),
                Ping(text="still there?").event(),
            ]
            for event in sent:
                await c.write_event(event)
            out = []
            while True:
                reply = await c.read_event()
                assert reply is not None
                out.append(reply)
                if Pong.is_type(reply.type):
                    return out

    replies = asyncio.run(go())
    assert [r.type for r in replies] == ["error"] * 4 + ["pong"]
    assert {Error.from_event(r).code for r in replies[:4]} == {protocol.BAD_AUDIO}
    assert Pong.from_event(replies[-1]).text == "still there?"


# --- errors --------------------------------------------------------------------------------------

def test_malformed_and_unknown_events_get_an_error_and_the_connection_stays() -> None:
    raw = [
        b"this is not json\n",
        b"[1, 2, 3]\n",
        b'{"data": {}}\n',  # no type
        b'{"type": "transcript", "data": {}}\n',  # no text
        b'{"type": "transcript", "data": {"text": 5}}\n',
        b'{"type": "transcript", "data": {"text": "hi", "context": {"conversation_id": ["x"]}}}\n',
        b'{"type": "transcript", "data_length": 5}\nnope!',  # a data block that is not JSON
        b'{"type": "audio-chunk", "data_length": -1}\n',
        b'{"type": "frobnicate"}\n',
        b'{"type": "select-program", "data": {"name": "someone-else"}}\n',
        b"x" * (protocol.MAX_LINE + 10) + b"\n",  # an over-long line
        b'{"type": "audio-chunk", "payload_length": %d}\n' % (protocol.MAX_PAYLOAD + 1)
        + b"\0" * (protocol.MAX_PAYLOAD + 1),  # an over-long payload, skipped whole
    ]
    expected = [protocol.MALFORMED] * 5 + [protocol.BAD_CONTEXT, protocol.MALFORMED, protocol.MALFORMED,
                                          protocol.UNKNOWN, protocol.UNKNOWN_PROGRAM, protocol.MALFORMED,
                                          protocol.MALFORMED]

    async def go() -> tuple[list[Error], Event]:
        async with running(TriageService()) as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            errors = []
            for data in raw:
                writer.write(data)
                await writer.drain()
                event = await asyncio.wait_for(async_read_event(reader), TIMEOUT)
                assert event is not None and Error.is_type(event.type), (data[:60], event)
                errors.append(Error.from_event(event))
            writer.close()
            # The library's client on one connection: unknown event, then real work.
            async with client(port) as c:
                await c.write_event(Event("frobnicate", {"x": 1}, payload=b"abc"))
                unknown = await c.read_event()
                assert unknown is not None
                errors.append(Error.from_event(unknown))
                await c.write_event(Transcript("hello", context={"conversation_id": "e"}).event())
                handled = await c.read_event()
                assert handled is not None
                return errors, handled

    errors, handled = asyncio.run(go())
    assert [e.code for e in errors] == [*expected, protocol.UNKNOWN]
    assert all(e.text for e in errors)
    assert Handled.is_type(handled.type) and (Handled.from_event(handled).context or {})["question"] == "open"


def test_the_reader_reads_what_the_library_writes_split_anywhere() -> None:
    from wyoming.event import write_event

    sent = [Describe().event(), Transcript("yes", context={"conversation_id": "x"}).event(),
            AudioChunk(16000, 2, 1, bytes(range(256)) * 4).event(), AudioStop().event()]
    buffer = io.BytesIO()
    for event in sent:
        write_event(event, buffer)  # the library's own framing (data_length, payload_length)
    data = buffer.getvalue() + b'{"type": "audio-stop"}'  # and a last line with no line end

    async def go() -> list[Any]:
        reader = asyncio.StreamReader()
        for i in range(0, len(data), 7):  # arriving a few bytes at a time
            reader.feed_data(data[i : i + 7])
        reader.feed_eof()
        events = protocol.EventReader(reader)
        out = []
        while (event := await events.read()) is not None:
            out.append(event)
        return out

    got = asyncio.run(go())
    assert [(e.type, e.data, e.payload) for e in got] == [
        *[(e.type, e.data, e.payload) for e in sent[:2]],
        ("audio-chunk", sent[2].data, sent[2].payload), ("audio-stop", {"timestamp": None}, None),
        ("audio-stop", {}, None)]


# --- the command line ----------------------------------------------------------------------------

@pytest.mark.slow
def test_serve_command_answers_and_stops_on_sigterm() -> None:
    env = dict(os.environ)
    env.pop("VOICE_TRIAGE_LOCALE", None)
    proc = subprocess.Popen([*cli_command(), "serve", "--uri", "tcp://127.0.0.1:0", "--locale", "us"],
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"tcp://127\.0\.0\.1:(\d+)", line)
        assert match, line
        port = int(match.group(1))

        async def go() -> tuple[Info, list[Handled]]:
            info = Info.from_event(await ask(port, Describe().event()))
            replies = []
            for text in ("hello", "I can't feel my bum", "yes"):  # no language: the server's --locale
                replies.append(await say(port, text, "cli", language=None))
            return info, replies

        info, replies = asyncio.run(go())
        assert info.handle[0].name == "voice-triage"
        assert "911" in (replies[-1].text or "")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_refuses_a_bad_uri_and_timeout(cli: Any) -> None:
    bad_uri = cli("serve", "--uri", "http://example.org")
    assert bad_uri.returncode == 2 and "--uri" in bad_uri.stderr and "Traceback" not in bad_uri.stderr
    bad_timeout = cli("serve", "--timeout", "0")
    assert bad_timeout.returncode == 2 and "--timeout" in bad_timeout.stderr
    bad_voice = cli("serve", "--voice", "no-such-voice")
    assert bad_voice.returncode == 2 and "--voice" in bad_voice.stderr
