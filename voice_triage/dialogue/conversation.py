"""The triage conversation: a pure state machine that any front end can drive.

``Conversation`` takes what the person said (a transcript or a typed line), silence, a rejected
recording or the end of input, and returns events to render: ``Say``, ``Ask``, ``RateChanged``,
``Decided`` and ``End``. It does no I/O and imports no audio library, so the text session, the
voice loop and the recorded-audio replay all drive the same object.

Safety choices, all from the clinical specification: the cauda equina questions are always asked;
an emergency finding is read back once before acting on it, and a "no" to that read-back asks the
direct question again rather than dropping it; a threat to life or a request for emergency help
ends the conversation at once with the 999 / 911 advice; what the person stated is never lost when
they stop or hang up (rule 9); doubt (an unsure answer after one rephrased retry, an
emergency question left unanswered) is kept as "unsure", which the rules turn into at least
"urgent"; a hedged "no" to an emergency question is checked once; a correction asks the
previous question again. An early end never gives the self-care advice and its decision says it
is not complete. The level always comes from ``rules.decide`` on the findings collected: the
conversation never grades urgency itself.
The records (events, steps) are in ``events.py`` and what answers mean for the findings, with the
agenda of questions, in ``plan.py``; this module does the turn-taking.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from ..clinical.catalogue import Level, Locale, Rulebook
from ..clinical.rules import Decision, Findings
from ..nlu.matcher import Answer, RateChange, Understanding
from ..settings import MAX_TEXT_CHARS
from .events import (
    Ask,
    Decided,
    End,
    EndReason,
    Event,
    Matcher,
    RateChanged,
    Reply,
    Role,
    Say,
    Status,
    Step,
)
from .plan import Plan
from .questions import QuestionBook

__all__ = [
    "RATE_MAX", "RATE_MIN", "RATE_STEP", "REPROMPT_LIMIT", "Ask", "Conversation", "Decided",
    "End", "EndReason", "Event", "Matcher", "RateChanged", "Reply", "Role", "Say", "Status", "Step",
]

#: Tries per question, counted separately for silence and for answers not understood: the first two
#: misses are reprompted (how to answer, then an example), the third gives the question up. More
#: would hold a person in pain on one question; fewer would give up on slow or quiet speakers.
REPROMPT_LIMIT: Final = 3
#: Speech-rate factor per "slower" or "faster" (1.0 is the speaker's own rate), and its bounds:
#: a step big enough to notice at once, bounds that keep speech intelligible.
RATE_STEP: Final = 1.2
RATE_MIN: Final = 0.5
RATE_MAX: Final = 2.0
#: "quieter"/"louder" scale the loudness by this step, never below VOLUME_MIN of the start (a
#: voice too quiet to hear is worse than one a little loud) and never above the start.
VOLUME_STEP: Final = 1.4
VOLUME_MIN: Final = 0.25


class Conversation:
    """One triage conversation (see the module docstring for the events and the safety rules)."""

    def __init__(self, book: Rulebook, matcher: Matcher, questions: QuestionBook,
                 locale: Locale | str = Locale.UK, *, offer_repeat: bool = True) -> None:
        self.book = book
        self.matcher = matcher
        self.questions = questions
        self.locale = Locale(locale)
        self.offer_repeat = offer_repeat  # the JSON-lines protocol ends right after the decision
        self.rate = 1.0
        self.volume = 1.0  # a fraction of the starting loudness (RateChanged)
        self.decision: Decision | None = None
        self.done = False
        self.asked: list[str] = []  # each question id as it was first put, in order
        self.last_understanding: Understanding | None = None
        self.last_outcome = ""  # what the conversation made of the last input (for reports)
        self._plan = Plan(book, questions, self.locale)
        self._step: Step | None = None
        self._text = ""
        self._no_input = self._no_match = self._unsure = 0
        self._closing = False
        self._previous: Step | None = None  # the step answered last, for a correction
        self._unanswered = False  # a question was given up: the advice cannot be complete (rule 9)
        self.end_reason: EndReason | None = None

    # --- the public API -------------------------------------------------------------------------

    @property
    def current(self) -> Ask | None:
        """The question waiting for an answer (None before start, while closing, and when done)."""
        if self._step is None or self.done or self._closing:
            return None
        return Ask(self._step.id, self._step.kind, self._step.asks_about, self._text)

    def start(self) -> list[Event]:
        if self._step is not None or self.done:
            return []
        first = self._plan.start()
        return [self._say("intro"), self._put(first)]

    def hear(self, text: str, spoken: bool = False, *, doubted: bool = False) -> list[Event]:
        """A typed line or a transcript. ``spoken``: a recognizer's transcript, where "can" and
        "can't", "have" and "haven't" are easily confused, so a finding ruled out only by a missing
        "n't" ("i can feel it when i wipe") is not recorded absent: its question is still asked.
        ``doubted``: words an open-vocabulary recognizer wrote, not a phrase of the list: read as
        hedged, so a "no" to an emergency question is checked once (a "yes" is read back anyway)."""
        if self.done or (self._step is None and not self._closing):
            return []
        self.last_understanding = None
        if not text.strip():
            return self.no_input()
        step = self._step
        topic = step.asks_about if step is not None and step.role is not Role.OPEN else ()
        understanding = self.matcher.understand(text[:MAX_TEXT_CHARS], topic)
        if spoken and any(f.fragile for f in understanding.findings):
            kept = tuple(f for f in understanding.findings if not f.fragile)
            # An answer read from those findings alone goes with them: the question is asked again.
            answer = None if understanding.derived else understanding.answer
            understanding = replace(understanding, findings=kept, answer=answer)
        if spoken and understanding.answer is Answer.NO and any(
                f.contracted for f in understanding.findings if f.id in topic):
            # "i haven't" may be a misheard "i have": a no resting on it is checked once on an
            # emergency question, like a hedged no (clinical-spec.md, Understanding what people say).
            doubted = True
        if doubted:
            understanding = replace(understanding, hedged=True)
        self.last_understanding = understanding
        if self._closing:
            if understanding.answer is Answer.EMERGENCY:
                return self._emergency()
            return self._close(understanding.answer in (Answer.REPEAT, Answer.YES))
        events: list[Event] = self._change_rate(understanding.rate) if understanding.rate else []
        step = self._step
        assert step is not None
        if step.role is Role.OPEN and understanding.findings:
            return events + self._resolve(Reply.YES, understanding)  # "my back won't stop hurting"
        command = self._command(understanding.answer)
        if command is not None:
            return events + command
        if step.role is Role.OPEN:  # any description is an answer, even one with no findings
            if understanding.rate and understanding.answer is None:
                return [*events, self._reask()]
            return events + self._resolve(Reply.YES, understanding)
        reply = self._reply(understanding, step)
        if reply is None:
            return events + ([self._reask()] if understanding.rate else self._miss(no_input=False))
        if (reply is Reply.NO and understanding.hedged and step.role is Role.MAIN
                and any(self._plan.emergency(f) for f in step.asks_about)):
            # "Not really" to an emergency question: checked once, "yes" still meaning present.
            self.last_outcome = "hedged no: checked once"
            self._plan.resolve_findings(step, understanding.findings)
            check = self._plan.check_step(step)
            self._step, self._text = check, check.text
            return [*events, self._reask()]
        if reply is Reply.UNSURE and not self._unsure:
            self._unsure = 1
            self._text = step.retry
            self.last_outcome = "unsure: asked again in other words"
            return [*events, self._say("retry"), self._reask()]
        return events + self._resolve(reply, understanding)

    def no_input(self) -> list[Event]:
        self.last_understanding = None
        if self._closing:
            return self._close(False)
        return self._miss(no_input=True) if self._step and not self.done else []

    def no_match(self) -> list[Event]:
        self.last_understanding = None
        if self._closing:
            return self._close(False)
        return self._miss(no_input=False) if self._step and not self.done else []

    def end_of_input(self, reason: EndReason = EndReason.END_OF_INPUT) -> list[Event]:
        """Hang-up, a closed stream (END_OF_INPUT) or a signal (INTERRUPTED): the safety message,
        and a decision that keeps everything the person said."""
        self.last_understanding = None
        if self.done:
            return []
        if self._closing:
            self._closing = False
            self.done = True
            self.last_outcome = "closed"
            return [End(self.end_reason or EndReason.COMPLETED)]
        self.last_outcome = "end of input"
        return self._finish(reason)

    def checks_doubted_no(self) -> bool:
        """Whether a doubted or hedged "no" to the current question is checked once before it
        counts (a main question about an emergency finding), rather than taken as it is."""
        step = self._step
        return (step is not None and not self.done and not self._closing and step.role is Role.MAIN
                and any(self._plan.emergency(f) for f in step.asks_about))

    def is_emergency(self, finding: str) -> bool:
        """Whether ``finding`` is an emergency (cauda equina) finding: its "no" is never rushed."""
        return self._plan.emergency(finding)

    def findings(self) -> Findings:
        """Findings collected so far, by status, in the rulebook's order."""
        return self._plan.findings()

    # --- prompts --------------------------------------------------------------------------------

    def _say(self, key: str) -> Say:
        return Say(self.questions.phrases.say(key, self.locale))

    def _put(self, step: Step) -> Ask:
        self._step, self._text = step, step.text
        self._no_input = self._no_match = self._unsure = 0
        self.asked.append(step.id)
        return Ask(step.id, step.kind, step.asks_about, step.text)

    def _reask(self) -> Ask:
        assert self._step is not None
        return Ask(self._step.id, self._step.kind, self._step.asks_about, self._text)

    # --- reading an answer ----------------------------------------------------------------------

    def _command(self, answer: Answer | None) -> list[Event] | None:
        assert self._step is not None
        if answer is Answer.STOP:
            self.last_outcome = "stop"
            if self.last_understanding is not None and self.last_understanding.findings:
                # "my bum's gone numb, I need to stop now": what was said with the stop is kept
                # (rule 9), an emergency finding as stated though its read-back never comes.
                self._plan.resolve_findings(self._step, self.last_understanding.findings)
            return self._finish(EndReason.STOPPED)
        if answer is Answer.EMERGENCY:
            return self._emergency()
        if answer is Answer.CORRECT:
            return self._go_back()
        if answer is Answer.REPEAT:
            self.last_outcome = "repeat"
            return [self._reask()]
        if answer is Answer.HELP:
            self.last_outcome = "help"
            how = self.questions.phrases.how_to_answer[self._step.kind].get(self.locale)
            return [Say(f"{self._step.help} {how}"), self._reask()]
        return None

    def _reply(self, heard: Understanding, step: Step) -> Reply | None:
        named = [m for m in heard.findings if m.id in step.asks_about]
        if (step.role in (Role.MAIN, Role.CHECK) and any(m.present and not m.hedged for m in named)
                and heard.answer not in (Answer.NO, Answer.UNSURE)):
            return Reply.YES  # "it does wake me at night": the named finding answers
        if step.role in (Role.MAIN, Role.CHECK) and named and heard.answer in (Answer.NO, Answer.UNSURE):
            return Reply.NO if heard.answer is Answer.NO else Reply.UNSURE  # "no, but I have to strain"
        polar = {m.present for m in named}
        answers = {Answer.YES: Reply.YES, Answer.NO: Reply.NO, Answer.UNSURE: Reply.UNSURE}
        if heard.answer in answers:
            reply = answers[heard.answer]
            # "yes, I don't have that" (or the reverse) about one finding: doubt, so ask again.
            if len(step.asks_about) == 1 and polar and (True in polar) != (reply is Reply.YES):
                return Reply.UNSURE
            return reply
        if polar:
            return Reply.YES if True in polar else Reply.NO
        return None

    def _miss(self, no_input: bool) -> list[Event]:
        step = self._step
        assert step is not None
        if no_input:
            self._no_input += 1
            count, pair = self._no_input, self.questions.phrases.no_input
        else:
            self._no_match += 1
            count, pair = self._no_match, self.questions.phrases.no_match
        self.last_outcome = f"{'no input' if no_input else 'not understood'} {count}"
        if count >= REPROMPT_LIMIT:
            self.last_outcome += ": unanswered"
            # The description is an invitation; a yes/no question left unanswered leaves the advice
            # incomplete.
            self._unanswered = self._unanswered or step.role is not Role.OPEN
            return [self._say("unanswered"), *self._resolve(Reply.UNANSWERED, None)]
        phrases = self.questions.phrases
        hint = (phrases.how_to_answer[step.kind].get(self.locale) if count == 1
                else step.example or phrases.example[step.kind].get(self.locale))
        return [Say(f"{pair[count - 1].get(self.locale)} {hint}"), self._reask()]

    def _change_rate(self, change: RateChange) -> list[Event]:
        self.last_outcome = f"rate {change.value}"
        if change in (RateChange.LOUDER, RateChange.QUIETER):
            if change is RateChange.LOUDER and self.volume >= 1.0:
                # The start is as loud as the voice goes (the event still tells a text session
                # that the voice was asked about).
                return [RateChanged(self.rate, self.volume), self._say("loudest")]
            factor = VOLUME_STEP if change is RateChange.LOUDER else 1 / VOLUME_STEP
            self.volume = round(min(1.0, max(VOLUME_MIN, self.volume * factor)), 3)
            return [RateChanged(self.rate, self.volume), self._say(change.value)]
        factor = RATE_STEP if change is RateChange.FASTER else 1 / RATE_STEP
        self.rate = round(min(RATE_MAX, max(RATE_MIN, self.rate * factor)), 3)
        return [RateChanged(self.rate, self.volume), self._say(change.value)]

    # --- what an answer means, and what comes next -----------------------------------------------

    def _emergency(self) -> list[Event]:
        """Rule 8: a request for emergency help gets the emergency advice at once."""
        self.last_outcome = "emergency"
        self._plan.record("emergency_request", Status.PRESENT)
        self._closing = False
        return self._finish(EndReason.EMERGENCY)

    def _go_back(self) -> list[Event]:
        """A correction: ask the previous question again (its denials forgotten), then this one."""
        current = self._step
        assert current is not None
        self.last_outcome = "correct"
        previous = self._previous
        if previous is None or previous.role is Role.OPEN:
            return [self._say("go_back"), self._reask()]
        self._plan.forget(previous.asks_about)
        self._plan.front.insert(0, current)
        self._previous = None
        return [self._say("go_back"), self._put(previous)]

    def _resolve(self, reply: Reply, heard: Understanding | None) -> list[Event]:
        step = self._step
        assert step is not None
        self._previous = step
        self._step = None
        if not self.last_outcome.endswith("unanswered"):
            self.last_outcome = "described" if step.role is Role.OPEN else reply.value
        self._plan.resolve(step, reply, heard.findings if heard else ())
        step = self._plan.next_step()
        if step is not None:
            return [self._put(step)]
        reason = EndReason.EMERGENCY if self._plan.life_threat() else EndReason.COMPLETED
        return self._finish(reason)

    # --- the end --------------------------------------------------------------------------------

    def _advice(self) -> list[Event]:
        assert self.decision is not None
        return [Say(part) for part in (self.decision.advice, self.decision.why, self.decision.safety_net) if part]

    def _finish(self, reason: EndReason) -> list[Event]:
        early = reason is not EndReason.COMPLETED
        if early:
            self._plan.cut_short(self._step, bool(self._unsure))
        self._step = None
        self._plan.clear()
        self.decision = self._plan.decide()
        self.end_reason = reason
        found = self.findings()
        events: list[Event] = []
        if reason in (EndReason.STOPPED, EndReason.END_OF_INPUT, EndReason.INTERRUPTED):
            events.append(self._say("stopped"))
        complete = not early and not self._unanswered
        if not complete and self.decision.level is Level.SELF_CARE:
            # Cut short, or a question never answered: "most back pain gets better" would reassure
            # about what was never said (rule 9).
            if not early:
                events.append(self._say("incomplete"))
            spoken = self.questions.phrases.say("stopped" if early else "incomplete", self.locale)
            events.append(Say(self.decision.safety_net))
        else:
            spoken = self.decision.advice
            events += self._advice()
        events.append(Decided(self.decision, found, complete=complete, spoken=spoken, reason=reason))
        if early or not self.offer_repeat:
            self.done = True
            events.append(End(reason))
        else:
            self._closing = True
            events.append(self._say("offer_repeat"))
        return events

    def _close(self, repeat: bool) -> list[Event]:
        self.last_outcome = "repeat" if repeat else "closed"
        self._closing = False
        self.done = True
        reason = self.end_reason or EndReason.COMPLETED
        return [*(self._advice() if repeat else []), self._say("goodbye"), End(reason)]
