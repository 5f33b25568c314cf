"""One spoken turn, the same for every front end: audio → transcript → conversation → events.

The voice session, replay and ``understand --audio`` all call this, so the phrase list a question
holds the recognizer to, and what a status means for the conversation, are decided in one place.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..asr.base import Recognizer, Status, Transcript
from ..dialogue.conversation import Ask, Conversation, Event
from ..nlu.grammar import Grammar, load_grammar
from ..nlu.matcher import Understanding

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


@dataclass(frozen=True)
class Heard:
    """What one spoken turn gave: the transcript, the conversation's reading of it, its events."""

    transcript: Transcript
    understanding: Understanding | None
    events: list[Event]

    @property
    def received(self) -> str:
        """The turn's kind as reports name it: answer, no_input or no_match."""
        return "answer" if self.transcript.status is Status.OK else self.transcript.status.value


def steering_phrases(grammar: Grammar | None = None) -> frozenset[str]:
    """The phrases a second recognizer re-checks (repeat, help, stop, slower, faster)."""
    return frozenset((grammar or load_grammar()).steering_phrases())


def open_listener(kind: str = "auto", model: Path | None = None, *, spotter: bool = True,
                  moonshine: bool | None = None, recheck: Collection[str] | None = None) -> Recognizer:
    """The recognizer for a conversation: the factory's choice, told the grammar's steering phrases."""
    from ..asr.factory import open_recognizer

    return open_recognizer(kind, model, spotter, moonshine, steering_phrases() if recheck is None else recheck)


def phrases_for(ask: Ask | None, grammar: Grammar | None = None) -> tuple[str, ...] | None:
    """The phrase list the recognizer is held to while ``ask`` is open. While the conversation is
    closing ("shall I repeat that?") no question is open: the yes/no answers."""
    kind, about = (ask.kind.value, tuple(ask.asks_about)) if ask is not None else ("yes_no", ())
    return (grammar or load_grammar()).constraint_for(kind, about)


def hear_audio(conversation: Conversation, recognizer: Recognizer, samples: npt.NDArray[np.int16],
               grammar: Grammar | None = None) -> Heard:
    """Recognize one answer to the open question and hand it to the conversation."""
    transcript = recognizer.transcribe(samples, phrases_for(conversation.current, grammar))
    return hear_transcript(conversation, transcript)


def hear_transcript(conversation: Conversation, transcript: Transcript) -> Heard:
    """What a status means for the conversation: ok → the words, no_input → silence, no_match →
    not understood (reprompted, never guessed)."""
    if transcript.status is Status.OK:
        events = conversation.hear(transcript.text, spoken=True)
    elif transcript.status is Status.NO_INPUT:
        events = conversation.no_input()
    else:
        events = conversation.no_match()
    return Heard(transcript, conversation.last_understanding, events)
