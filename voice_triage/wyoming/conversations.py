"""Live triage conversations, one per Wyoming ``conversation_id``, and how they end.

Home Assistant's Wyoming conversation agent opens a new connection for every utterance and names
the conversation in the transcript's context, so a conversation outlives its connections and is
kept here by id. An idle conversation expires after ``timeout_s``: it is ended the way the text
session ends at the end of input (the decision on what was said, "we stopped before the end", the
safety message). Those closing events (the words and the decision, not the conversation) wait in
memory one more ``timeout_s`` for the person to come back, and the next utterance under that id
hears them; then they are dropped. A transcript with no id gets a conversation of its own
connection (``handler.TriageHandler.own``), ended when the connection drops, with nobody left to
hear its closing words. Nothing is written anywhere: the answers are health data.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from ..clinical.catalogue import Locale
from ..dialogue.conversation import Ask, Conversation, Event, Say
from ..session.text import event_json
from .options import DEFAULT_TIMEOUT_S

#: Live conversations at once: a home has a handful of satellites; the bound keeps a client that
#: invents ids from exhausting memory.
MAX_CONVERSATIONS: Final = 64
#: Longest conversation id accepted (Home Assistant sends 26-character ULIDs).
MAX_ID_CHARS: Final = 128

log = logging.getLogger(__name__)


class Busy(Exception):
    """Too many live conversations to start another."""


@dataclass(frozen=True)
class Reply:
    """What one turn gave: the words to say, the conversation's events, and where it stands."""

    events: tuple[Event, ...]
    question: Ask | None
    done: bool
    expired: bool = False

    @property
    def text(self) -> str:
        return " ".join(e.text for e in self.events if isinstance(e, Say | Ask))

    def context(self, conversation_id: str | None) -> dict[str, Any]:
        """The ``handled`` event's context: the protocol's JSON events (``session --text --json``)."""
        context: dict[str, Any] = {
            "question": self.question.question if self.question else None,
            "done": self.done,
            "events": [obj for obj in map(event_json, self.events) if obj is not None],
        }
        if self.expired:
            context["expired"] = True
        if conversation_id is not None:
            context["conversation_id"] = conversation_id
        return context


def take_turn(conversation: Conversation, text: str, no_match: bool = False, doubted: bool = False) -> Reply:
    """One utterance to ``conversation``. The utterance that opens a conversation ("I've hurt my
    back") starts it and is not taken as an answer; an empty one is silence (a reprompt).
    ``doubted``: the words are an open-vocabulary reply, not a phrase of the list (the asr
    program's ``from_open``): checked before they are trusted, as in a voice session."""
    if not conversation.asked and not conversation.done:
        events = conversation.start()
    elif no_match:
        events = conversation.no_match()
    elif not text.strip():
        events = conversation.no_input()
    else:
        events = conversation.hear(text, spoken=True, doubted=doubted)  # a speech recognizer's transcript
    return Reply(tuple(events), conversation.current, conversation.done)


def end(conversation: Conversation) -> Reply:
    """End ``conversation`` now (expiry, dropped connection, shutdown): decision and safety message."""
    events = conversation.end_of_input()
    return Reply(tuple(events), None, True)


@dataclass
class _Live:
    conversation: Conversation
    last: float


@dataclass(frozen=True)
class _Closed:
    reply: Reply
    until: float


class Conversations:
    """Conversations by id, with expiry (``clock`` is injectable for tests)."""

    def __init__(self, make: Callable[[Locale], Conversation], timeout_s: float = DEFAULT_TIMEOUT_S,
                 clock: Callable[[], float] = time.monotonic, limit: int = MAX_CONVERSATIONS) -> None:
        self.make = make
        self.timeout_s = timeout_s
        self.clock = clock
        self.limit = limit
        self._live: dict[str, _Live] = {}
        self._closed: dict[str, _Closed] = {}

    def __len__(self) -> int:
        return len(self._live)

    def expire(self) -> int:
        """End every conversation idle for ``timeout_s``; forget closing words past their time."""
        now = self.clock()
        self._closed = {cid: c for cid, c in self._closed.items() if c.until > now}
        stale = [cid for cid, live in self._live.items() if now - live.last >= self.timeout_s]
        for cid in stale:
            reply = end(self._live.pop(cid).conversation)
            self._closed[cid] = _Closed(Reply(reply.events, None, True, expired=True), now + self.timeout_s)
            log.info("conversation %s expired after %.0f s idle", cid, self.timeout_s)
        return len(stale)

    def turn(self, cid: str, text: str, locale: Locale, no_match: bool = False, doubted: bool = False) -> Reply:
        self.expire()
        closed = self._closed.pop(cid, None)
        if closed is not None:  # it timed out: the closing words first, then a fresh start next time
            return closed.reply
        live = self._live.get(cid)
        if live is None:
            if len(self._live) >= self.limit:
                raise Busy(f"{self.limit} conversations are open; try again later")
            live = self._live[cid] = _Live(self.make(locale), self.clock())
            log.info("conversation %s started", cid)
        reply = take_turn(live.conversation, text, no_match, doubted)
        live.last = self.clock()
        if reply.done:
            del self._live[cid]
            log.info("conversation %s ended", cid)
        return reply

    def current(self, cid: str) -> Ask | None:
        """The question conversation ``cid`` is waiting on (None: unknown, not started or ended)."""
        live = self._live.get(cid)
        return live.conversation.current if live is not None else None

    def close_all(self) -> list[Reply]:
        """End every live conversation (the server is stopping); nothing is kept."""
        replies = [end(live.conversation) for live in self._live.values()]
        self._live.clear()
        self._closed.clear()
        return replies
