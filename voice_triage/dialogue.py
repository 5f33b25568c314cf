"""The triage conversation: a pure state machine that any front end can drive.

``Conversation`` takes what the person said (a transcript or a typed line), silence, a rejected
recording or the end of input, and returns events to render: ``Say``, ``Ask``, ``RateChanged``,
``Decided`` and ``End``. It does no I/O and imports no audio library, so the text session, the
voice loop and the recorded-audio replay all drive the same object.

Safety choices, all from the clinical specification: the cauda equina questions are always asked;
an emergency finding is read back once before acting on it, and a "no" to that read-back asks the
direct question again rather than dropping it; doubt (an unsure answer after one rephrased retry,
an emergency question left unanswered, a stop while a "yes" was still being followed up) is kept
as "unsure", which the rules turn into at least "urgent". The level always comes from
``rules.decide`` on the findings collected: the conversation never grades urgency itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final, Protocol

from .clinical import Level, Locale, Rulebook, Tier
from .intent import Answer, FindingMatch, RateChange, Understanding
from .questions import Question, QuestionBook, QuestionKind, Wording, confirm_id, probe_id, probe_kind
from .rules import Decision, decide

#: Tries per question, counted separately for silence and for answers not understood: the first two
#: misses are reprompted (how to answer, then an example), the third gives the question up. More
#: would hold a person in pain on one question; fewer would give up on slow or quiet speakers.
REPROMPT_LIMIT: Final = 3
#: Speech-rate factor per "slower" or "faster" (1.0 is the speaker's own rate), and its bounds:
#: a step big enough to notice at once, bounds that keep speech intelligible.
RATE_STEP: Final = 1.2
RATE_MIN: Final = 0.5
RATE_MAX: Final = 2.0
#: Longest answer passed to the matcher: far beyond any spoken answer, short enough that a pasted
#: novel cannot stall the conversation.
MAX_TEXT: Final = 2000


class Matcher(Protocol):
    """The seam to ``intent.Matcher``: words in, an ``Understanding`` out."""

    def understand(self, text: str) -> Understanding: ...


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Ask:
    question: str
    kind: QuestionKind
    asks_about: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class RateChanged:
    rate: float


@dataclass(frozen=True)
class Decided:
    """The decision; its words come just before as ``Say`` events (advice, why, safety net)."""

    decision: Decision
    present: tuple[str, ...]
    absent: tuple[str, ...]
    unsure: tuple[str, ...]


@dataclass(frozen=True)
class End:
    pass


Event = Say | Ask | RateChanged | Decided | End


class Role(str, Enum):
    OPEN = "open"
    MAIN = "main"  # a yes/no question from the file, often about several findings
    FOLLOW = "follow"  # which finding a "yes" to a group was about
    CONFIRM = "confirm"  # read-back of an emergency finding before acting on it
    RECHECK = "recheck"  # the direct question again, after a "no" to a read-back
    REGROUP = "regroup"  # the group again, after a "yes" then "no" to every part


class Reply(str, Enum):
    YES = "yes"
    NO = "no"
    UNSURE = "unsure"
    UNANSWERED = "unanswered"


class Status(str, Enum):
    ABSENT = "absent"
    UNSURE = "unsure"
    PRESENT = "present"


#: A finding's status only ever moves up this order: doubt never lowers what was affirmed.
_WEIGHT: Final = {Status.ABSENT: 0, Status.UNSURE: 1, Status.PRESENT: 2}


@dataclass(frozen=True)
class Step:
    role: Role
    id: str
    kind: QuestionKind
    asks_about: tuple[str, ...]
    text: str
    retry: str
    help: str
    example: str | None = None


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
        self.decision: Decision | None = None
        self.done = False
        self.asked: list[str] = []  # each question id as it was first put, in order
        self.last_understanding: Understanding | None = None
        self.last_outcome = ""  # what the conversation made of the last input (for reports)
        self._status: dict[str, Status] = {}
        self._agenda: list[Step] = []
        self._front: list[Step] = []  # steps the last answer raised, asked before the agenda
        self._step: Step | None = None
        self._text = ""
        self._no_input = self._no_match = self._unsure = 0
        self._closing = False
        self._ranks: dict[str, int] = {}
        self._levels: dict[tuple[frozenset[str], frozenset[str]], int] = {}  # decide() memo for _raises

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
        self._agenda = [self._question_step(question) for question in self.questions.yes_no]
        return [self._say("intro"), self._put(self._question_step(self.questions.open))]

    def hear(self, text: str) -> list[Event]:
        if self.done or (self._step is None and not self._closing):
            return []
        self.last_understanding = None
        if not text.strip():
            return self.no_input()
        understanding = self.matcher.understand(text[:MAX_TEXT])
        self.last_understanding = understanding
        if self._closing:
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

    def no_match(self, text: str = "") -> list[Event]:
        self.last_understanding = None
        if self._closing:
            return self._close(False)
        return self._miss(no_input=False) if self._step and not self.done else []

    def end_of_input(self) -> list[Event]:
        self.last_understanding = None
        if self.done:
            return []
        if self._closing:
            self._closing = False
            self.done = True
            self.last_outcome = "closed"
            return [End()]
        self.last_outcome = "end of input"
        return self._finish(early=True)

    def findings(self) -> dict[str, tuple[str, ...]]:
        """Findings collected so far, by status, in the rulebook's order."""
        return {status.value: tuple(f for f in self.book.findings if self._status.get(f) is status)
                for status in (Status.PRESENT, Status.ABSENT, Status.UNSURE)}

    # --- steps ----------------------------------------------------------------------------------

    def _w(self, wording: Wording) -> str:
        return wording.get(self.locale)

    def _say(self, key: str) -> Say:
        return Say(self.questions.phrases.say(key, self.locale))

    def _question_step(self, question: Question) -> Step:
        role = Role.OPEN if question.kind is QuestionKind.OPEN else Role.MAIN
        text = self._w(question.text)
        return Step(role, question.id, question.kind, question.asks_about, text,
                    self._w(question.retry) if question.retry else text, self._w(question.help),
                    self._w(question.example) if question.example else None)

    def _probe_step(self, finding: str, role: Role) -> Step:
        probe = self.questions.probes[finding]
        ask, retry = self._w(probe.ask), self._w(probe.retry)
        if role is Role.CONFIRM and probe.confirm is not None:
            return Step(role, confirm_id(finding), QuestionKind.CONFIRM, (finding,), self._w(probe.confirm),
                        ask, ask)
        # Naming one emergency finding after a "yes" (or after a "no" to its read-back) confirms it.
        return Step(role, probe_id(finding), probe_kind(self.book, finding), (finding,), ask, retry, retry)

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
            return self._finish(early=True)
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
        if step.role is Role.MAIN and any(m.present for m in named):
            return Reply.YES  # "no, but it does wake me at night": the named finding wins
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
            return [self._say("unanswered"), *self._resolve(Reply.UNANSWERED, None)]
        phrases = self.questions.phrases
        hint = (phrases.how_to_answer[step.kind].get(self.locale) if count == 1
                else step.example or phrases.example[step.kind].get(self.locale))
        return [Say(f"{pair[count - 1].get(self.locale)} {hint}"), self._reask()]

    def _change_rate(self, change: RateChange) -> list[Event]:
        factor = RATE_STEP if change is RateChange.FASTER else 1 / RATE_STEP
        self.rate = round(min(RATE_MAX, max(RATE_MIN, self.rate * factor)), 3)
        self.last_outcome = f"rate {change.value}"
        return [RateChanged(self.rate), self._say("faster" if change is RateChange.FASTER else "slower")]

    # --- what an answer means -------------------------------------------------------------------

    def _resolve(self, reply: Reply, heard: Understanding | None) -> list[Event]:
        step = self._step
        assert step is not None
        self._step = None
        if not self.last_outcome.endswith("unanswered"):
            self.last_outcome = "described" if step.role is Role.OPEN else reply.value
        findings: tuple[FindingMatch, ...] = heard.findings if heard else ()
        asked = () if step.role is Role.OPEN else step.asks_about
        if step.role is Role.MAIN:
            self._main(step, reply, findings)
        elif step.role is Role.REGROUP:
            if reply is not Reply.NO:
                for f in step.asks_about:
                    if self._raises(f) and (reply is not Reply.UNANSWERED or self._emergency(f)):
                        self._record(f, Status.UNSURE)
        elif step.role is not Role.OPEN:
            self._single(step, reply)
        for match in findings:  # anything else the person mentioned
            if match.id not in asked:
                if match.present:
                    self._affirm(match.id)
                elif match.id not in self._status:
                    self._record(match.id, Status.ABSENT)
        return self._next()

    def _main(self, step: Step, reply: Reply, findings: tuple[FindingMatch, ...]) -> None:
        for match in findings:
            if match.id in step.asks_about and not match.present:
                self._record(match.id, Status.ABSENT)
        named = [m.id for m in findings if m.id in step.asks_about and m.present]
        open_ids = [f for f in step.asks_about if f not in self._status and f not in named]
        if reply is Reply.YES:
            for f in named:
                self._affirm(f)
            if not named and len(open_ids) == 1:
                self._affirm(open_ids[0])
            elif open_ids:
                # Which one? Ask the most urgent first; a follow-up that cannot change the advice
                # is skipped when its turn comes (see _worth).
                for f in sorted(open_ids, key=lambda f: -self._rank(f)):
                    self._front.append(self._probe_step(f, Role.FOLLOW))
                self._front.append(Step(Role.REGROUP, step.id, step.kind, step.asks_about,
                                        f"{self._say('regroup').text} {step.text}", step.retry, step.help))
        elif reply is Reply.NO:
            for f in open_ids:
                self._record(f, Status.ABSENT)
        elif reply is Reply.UNSURE:
            for f in open_ids:
                self._record(f, Status.UNSURE)
        else:  # unanswered: an emergency question left unanswered counts as unsure
            for f in open_ids:
                if self._emergency(f):
                    self._record(f, Status.UNSURE)

    def _single(self, step: Step, reply: Reply) -> None:
        finding = step.asks_about[0]
        if reply is Reply.YES:
            self._record(finding, Status.PRESENT)
        elif reply is Reply.NO:
            if step.role is Role.CONFIRM:
                self._front.append(self._probe_step(finding, Role.RECHECK))  # never drop it silently
            else:
                self._record(finding, Status.ABSENT)
        elif reply is Reply.UNSURE or self._emergency(finding):
            self._record(finding, Status.UNSURE)

    def _affirm(self, finding: str) -> None:
        """A finding said to be present once: emergency ones are read back before acting on them."""
        if self._status.get(finding) is Status.PRESENT:
            return
        if not self._emergency(finding):
            self._record(finding, Status.PRESENT)
        elif not any(s.role in (Role.CONFIRM, Role.RECHECK) and s.asks_about == (finding,)
                     for s in self._front + self._agenda):
            self._front.append(self._probe_step(finding, Role.CONFIRM))

    def _record(self, finding: str, status: Status) -> None:
        old = self._status.get(finding)
        if old is None or _WEIGHT[status] > _WEIGHT[old]:
            self._status[finding] = status

    # --- what to ask next -----------------------------------------------------------------------

    def _emergency(self, finding: str) -> bool:
        return self.book.findings[finding].tier is Tier.EMERGENCY

    def _rank(self, finding: str) -> int:
        """The level this finding alone gives (from the rules, not re-implemented here)."""
        if finding not in self._ranks:
            self._ranks[finding] = decide(self.book, [finding], (), self.locale).level.rank
        return self._ranks[finding]

    def _decide(self) -> Decision:
        found = self.findings()
        return decide(self.book, found["present"], found["unsure"], self.locale)

    def _rank_with(self, extra: frozenset[str]) -> int:
        key = (frozenset(f for f, s in self._status.items() if s is Status.PRESENT) | extra,
               frozenset(f for f, s in self._status.items() if s is Status.UNSURE))
        if key not in self._levels:
            self._levels[key] = decide(self.book, key[0], key[1], self.locale).level.rank
        return self._levels[key]

    def _raises(self, finding: str) -> bool:
        """Could this finding, if present, make the advice more urgent: alone, or together with one
        finding not yet asked about (a risk factor matters with a warning symptom, rule 2)?"""
        if self._rank_with(frozenset((finding,))) > self._rank_with(frozenset()):
            return True
        others = (g for g in self.book.findings if g != finding and g not in self._status)
        return any(self._rank_with(frozenset((finding, g))) > self._rank_with(frozenset((g,))) for g in others)

    def _worth(self, step: Step) -> bool:
        if step.role in (Role.CONFIRM, Role.RECHECK):
            return self._status.get(step.asks_about[0]) is not Status.PRESENT
        if step.role is Role.REGROUP:
            # Only when every part was answered "no": a part skipped because it could not change the
            # advice may be what the "yes" was about.
            every_no = all(self._status.get(f) is Status.ABSENT for f in step.asks_about)
            return every_no and any(self._raises(f) for f in step.asks_about)
        return any(f not in self._status and self._raises(f) for f in step.asks_about)

    def _next(self) -> list[Event]:
        self._agenda[0:0] = self._front
        self._front = []
        if self._decide().level is Level.EMERGENCY:
            return self._finish(early=False)  # stop at once and give the emergency advice
        while self._agenda:
            step = self._agenda.pop(0)
            if self._worth(step):
                return [self._put(step)]
        return self._finish(early=False)

    # --- the end --------------------------------------------------------------------------------

    def _advice(self) -> list[Event]:
        assert self.decision is not None
        return [Say(part) for part in (self.decision.advice, self.decision.why, self.decision.safety_net) if part]

    def _finish(self, early: bool) -> list[Event]:
        if early:
            # A "yes" still being followed up, or a read-back not yet answered, is doubt, not "no".
            pending = ([self._step] if self._step else []) + self._front + self._agenda
            for step in pending:
                if step.role in (Role.FOLLOW, Role.CONFIRM, Role.RECHECK) and self._emergency(step.asks_about[0]):
                    self._record(step.asks_about[0], Status.UNSURE)
            if self._step is not None and self._step.role is Role.MAIN and self._unsure:
                for f in self._step.asks_about:
                    if f not in self._status and self._emergency(f):
                        self._record(f, Status.UNSURE)
        self._step, self._front, self._agenda = None, [], []
        self.decision = self._decide()
        found = self.findings()
        events: list[Event] = [self._say("stopped")] if early else []
        if early and self.decision.level is Level.SELF_CARE:
            # Cut short: "most back pain gets better" would reassure about questions never asked.
            events.append(Say(self.decision.safety_net))
        else:
            events += self._advice()
        events.append(Decided(self.decision, found["present"], found["absent"], found["unsure"]))
        if early or not self.offer_repeat:
            self.done = True
            events.append(End())
        else:
            self._closing = True
            events.append(self._say("offer_repeat"))
        return events

    def _close(self, repeat: bool) -> list[Event]:
        self.last_outcome = "repeat" if repeat else "closed"
        self._closing = False
        self.done = True
        return [*(self._advice() if repeat else []), self._say("goodbye"), End()]
