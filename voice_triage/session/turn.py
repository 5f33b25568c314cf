"""One spoken turn, the same for every front end: audio → transcript → conversation → events.

The voice session, replay and ``understand --audio`` all call this, so the phrase list a question
holds the recognizer to, and what a status means for the conversation, are decided in one place.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ..asr.base import CROSS_CHECK_BELOW, Recognizer, Status, Transcript, collapse
from ..dialogue.conversation import Ask, Conversation, Event, Matcher
from ..nlu.base import Answer
from ..nlu.grammar import Grammar, load_grammar
from ..nlu.matcher import Understanding

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


#: Answers an open transcript gives only from two words or more. One word that the NLU reads as
#: yes, no or stop ("right" → yes, "know" → no) is as likely another word heard right ("right" is
#: one of the speech-commands words) as an answer outside the phrase list; and the one-word answers
#: people give are in the phrase list already, which the recognizer matches exactly. The other
#: readings of one word only ask again, help, doubt, go back or call for help: "pardon", "louder".
DECISIVE: Final = frozenset({Answer.YES, Answer.NO, Answer.STOP})
#: How many more words the open reply may have than a confident phrase the list heard, for that
#: phrase to stand against an open reply that answers nothing (``accounts_for``). Higher: more
#: sentences forced onto a short phrase are taken as it; lower: more right phrases are asked again
#: because Moonshine misheard them ("yes i have" as "u s i com").
PHRASE_WORD_SLACK: Final = 1


#: Words that negate, and the contracted ones whose positive is not the word without "n't".
#: Recognizers drop and add exactly these ("it does" written "it's not", "absolutely not" written
#: "absolutely"), so an answer whose polarity one of them decides alone is not taken from an open reply.
NEGATORS: Final = frozenset({"not", "never"})
UNCONTRACTED: Final = {"can't": "can", "won't": "will", "shan't": "shall"}
#: Replies up to this many words are also tried with a "not" put in at every place (one NLU reading
#: each, well under a millisecond); longer ones only with each negation taken out.
FLIP_WORDS: Final = 12


def one_negation_apart(said: str, keep: Collection[str] = ()) -> Iterator[str]:
    """``said`` with one negation taken out ("it's not" → "it's", "i don't" → "i do") or, for a
    short reply, one "not" put in anywhere ("absolutely" → "absolutely not") or written for one
    word not in ``keep`` ("absolutely hard" → "absolutely not": a recognizer's other word for it)."""
    words = said.split()
    for i, word in enumerate(words):
        if word in NEGATORS:
            yield " ".join(words[:i] + words[i + 1 :])
        elif word.endswith("n't"):
            yield " ".join([*words[:i], UNCONTRACTED.get(word, word[:-3]), *words[i + 1 :]])
    if len(words) <= FLIP_WORDS:
        for i in range(len(words) + 1):
            if i < len(words) and words[i] in keep:
                continue  # "not yeah ...": no recognizer drops a "not" before an answer word
            yield " ".join([*words[:i], "not", *words[i:]])
        for i, word in enumerate(words):
            if word not in keep and word not in NEGATORS and not word.endswith("n't"):
                yield " ".join([*words[:i], "not", *words[i + 1 :]])


def polarity_steady(said: str, answer: Answer, matcher: Matcher, topic: Sequence[str] = ()) -> bool:
    """False when ``said`` (read as yes or no) reads as the opposite answer with one negation word
    added, removed or heard as another word: its polarity rests on the word a recognizer most often
    gets wrong (spec: Understanding what people say), so the open reply does not decide it. A word
    that is an answer by itself ("yes", "absolutely") is never taken for a misheard "not".
    "no, not at all" and "yes it does" are steady; "i have actually", "it's not", "absolutely not"
    and "absolutely hard" are not."""
    other = Answer.NO if answer is Answer.YES else Answer.YES
    answers = {w for w in set(said.split()) if matcher.understand(w).answer is not None}
    return all(matcher.understand(variant, topic).answer is not other
               for variant in one_negation_apart(said, answers))


def open_reading(transcript: Transcript, matcher: Matcher, topic: Sequence[str] = (),
                 no_is_checked: bool = False) -> Transcript:
    """The transcript a turn is heard as: ``transcript``, or the open-vocabulary reply written
    beside it (``Transcript.open_text``: after a no-match, a steering or doubt phrase, a doubtful
    yes or no, or any answer longer than a word) when the NLU, reading it as a whole reply to the
    question about ``topic`` (as the conversation will), finds an answer, a rate change or a
    finding. "no, not at all", "yes please", "I haven't", "pardon", "go back" and "I have to strain
    a bit" then work by voice as typed. A yes, no or stop needs two words or more (``DECISIVE``);
    findings alone too. A finding of the question read alone answers it (present: yes). An
    ambulance request the phrase list heard stands unless the open reply shares none of its words
    ("I haven't" forced onto "ambulance"). A yes or no the phrase list heard and the open reply
    contradicts, or answers nothing in two words or more, is asked again; a yes or no whose
    polarity one negation word decides (``polarity_steady``) is not taken, and the phrase heard is
    not either (asked again). A yes or no that is taken is marked ``from_open``: the conversation
    checks it (``Conversation.hear``'s ``doubted``). Doubt the phrase list heard is replaced by
    the open reply's steady answer (a sentence forced onto "i don't know" at full confidence).
    Noise never reaches here (no-input is never heard again)."""
    said = transcript.open_text
    if not said or transcript.status not in (Status.OK, Status.NO_MATCH) or collapse(said) == transcript.text:
        return transcript
    first = matcher.understand(transcript.text, topic).answer if transcript.status is Status.OK else None
    reading = matcher.understand(said, topic)
    words = len(set(said.split()))
    if first is Answer.EMERGENCY and set(said.split()) & set(transcript.text.split()):
        return transcript  # "call them ambulance": the call for help was heard twice, it stands
    answer = reading.answer
    named = [f for f in reading.findings if f.id in topic]
    if answer is None and named:
        answer = Answer.YES if any(f.present for f in named) else Answer.NO
    if first in (Answer.YES, Answer.NO) and answer in (Answer.YES, Answer.NO) and answer is not first:
        # The phrase list heard one answer, the open reply the other ("yes, that's right" as "no").
        return replace(transcript, status=Status.NO_MATCH)
    if answer is not None and answer is first:
        return transcript  # both heard the same answer
    if answer in (Answer.YES, Answer.NO) and not polarity_steady(said, answer, matcher, topic):
        if words >= 2 and (answer is Answer.YES or no_is_checked):
            # "it does feel funny when i wipe" could be a misheard "it doesn't": taken, as the safe
            # way to be wrong. The conversation checks it: a yes to an emergency question is read
            # back or followed up part by part before it ends anything, and a "no" then undoes it.
            # A no ("i haven't", maybe "i have") is taken only where the conversation checks it
            # once ("So that's a no?", ``no_is_checked``); elsewhere it is asked again.
            return replace(transcript, status=Status.OK, text=said, from_open=True)
        # One "not" more or less would be the other answer: a no is asked again, or doubt the
        # list heard kept ("i don't think so" as "i don't know": asked again in other words).
        # Another phrase the list heard is not kept: it was forced onto it ("i haven't" as "ambulance").
        return transcript if first is Answer.UNSURE else replace(transcript, status=Status.NO_MATCH)
    if answer is not None:
        counts = answer not in DECISIVE or words >= 2
    else:
        counts = reading.rate is not None or (bool(reading.findings) and words >= 2)
    if counts:
        return replace(transcript, status=Status.OK, text=said, from_open=True)
    if first in (Answer.YES, Answer.NO) and len(said.split()) >= 2 and not accounts_for(transcript, said):
        # Words that answer nothing ("the cat is outside" forced onto "yes").
        return replace(transcript, status=Status.NO_MATCH)
    if first is Answer.NO and transcript.confidence < CROSS_CHECK_BELOW:
        # A doubtful no the open reply does not confirm ("ring" for "ring nine nine nine" heard as
        # a doubtful "no"): the second opinion was asked for, and it disagrees. (A doubtful yes
        # stays: it is checked, and the safe way to be wrong.)
        return replace(transcript, status=Status.NO_MATCH)
    if first is Answer.EMERGENCY and len(transcript.text.split()) + PHRASE_WORD_SLACK < len(said.split()):
        # An ambulance request the open reply shares no word with, in more words that answer
        # nothing ("kilden to tell you" forced onto "ambulance"): asked again, never guessed.
        return replace(transcript, status=Status.NO_MATCH)
    return transcript


def accounts_for(transcript: Transcript, said: str) -> bool:
    """Whether the phrase the list heard, confidently, is about as long as the open reply: then
    an open reply that answers nothing misheard the phrase ("yes I have" written "u s i com" by
    Moonshine from espeak-ng), rather than the phrase being forced onto a longer sentence ("the cat
    is outside" heard as "yes"). One word of slack: the two split words differently."""
    return (transcript.confidence >= CROSS_CHECK_BELOW
            and len(transcript.text.split()) + PHRASE_WORD_SLACK >= len(said.split()))


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
    """The recognizer for a conversation: the factory's choice, told the grammar's steering phrases
    (re-checked) and its doubt phrases (an open reply written beside them, read by ``open_reading``)."""
    from ..asr.factory import open_recognizer

    return open_recognizer(kind, model, spotter, moonshine, steering_phrases() if recheck is None else recheck,
                           doubt_phrases(), polar_phrases())


def doubt_phrases(grammar: Grammar | None = None) -> frozenset[str]:
    """The spoken phrases of doubt ("not sure", "I don't know"): a constrained decoder forces other
    replies onto them ("definitely not", "I want to stop now"), so Moonshine writes what it heard."""
    return frozenset((grammar or load_grammar()).spoken.get(Answer.UNSURE.value, ()))


def polar_phrases(grammar: Grammar | None = None) -> frozenset[str]:
    """The spoken yes and no phrases: one heard with little confidence is heard again (factory)."""
    spoken = (grammar or load_grammar()).spoken
    return frozenset(spoken.get(Answer.YES.value, ())) | frozenset(spoken.get(Answer.NO.value, ()))


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
    not understood (reprompted, never guessed). An open-vocabulary reply beside the transcript is
    read first (``open_reading``); the ``Heard`` carries the transcript as heard."""
    ask = conversation.current
    topic = tuple(ask.asks_about) if ask is not None and ask.kind.value != "open" else ()
    transcript = open_reading(transcript, conversation.matcher, topic, conversation.checks_doubted_no())
    if transcript.status is Status.OK:
        events = conversation.hear(transcript.text, spoken=True, doubted=transcript.from_open)
    elif transcript.status is Status.NO_INPUT:
        events = conversation.no_input()
    else:
        events = conversation.no_match()
    return Heard(transcript, conversation.last_understanding, events)
