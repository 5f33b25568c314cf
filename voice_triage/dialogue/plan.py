"""What the answers mean and what to ask next: the findings ledger and the question agenda.

``Plan`` keeps each finding's status (absent < unsure < present, only ever raised), the questions
still to ask, and the steps an answer raised (which finding a "yes" was about, the read-back of an
emergency finding, the direct question again after a "no" to a read-back). Whether a question is
still worth asking comes from ``rules.decide`` on the findings so far, never from a table of its
own. ``dialogue.Conversation`` does the turn-taking around it (prompts, reprompts, commands).
"""

from __future__ import annotations

from ..clinical.catalogue import Level, Locale, Rulebook, Tier
from ..clinical.rules import Decision, Findings, decide
from ..nlu.matcher import FindingMatch
from .events import WEIGHT, Reply, Role, Status, Step
from .questions import Question, QuestionBook, QuestionKind, Wording, confirm_id, probe_id, probe_kind


class Plan:
    """The findings collected so far and the steps still to take (see the module docstring)."""

    def __init__(self, book: Rulebook, questions: QuestionBook, locale: Locale) -> None:
        self.book = book
        self.questions = questions
        self.locale = locale
        self.status: dict[str, Status] = {}
        self.agenda: list[Step] = []
        self.front: list[Step] = []  # steps the last answer raised, asked before the agenda
        self._ranks: dict[str, int] = {}
        self._levels: dict[tuple[frozenset[str], frozenset[str]], int] = {}  # decide() memo for raises

    # --- steps ----------------------------------------------------------------------------------

    def _w(self, wording: Wording) -> str:
        return wording.get(self.locale)

    def question_step(self, question: Question) -> Step:
        role = Role.OPEN if question.kind is QuestionKind.OPEN else Role.MAIN
        text = self._w(question.text)
        return Step(role, question.id, question.kind, question.asks_about, text,
                    self._w(question.retry) if question.retry else text, self._w(question.help),
                    self._w(question.example) if question.example else None)

    def probe_step(self, finding: str, role: Role) -> Step:
        probe = self.questions.probes[finding]
        ask, retry = self._w(probe.ask), self._w(probe.retry)
        if role is Role.CONFIRM and probe.confirm is not None:
            return Step(role, confirm_id(finding), QuestionKind.CONFIRM, (finding,), self._w(probe.confirm),
                        ask, ask)
        # Naming one emergency finding after a "yes" (or after a "no" to its read-back) confirms it.
        return Step(role, probe_id(finding), probe_kind(self.book, finding), (finding,), ask, retry, retry)

    def start(self) -> Step:
        """Every yes/no question on the agenda; the open question to put first."""
        self.agenda = [self.question_step(question) for question in self.questions.yes_no]
        return self.question_step(self.questions.open)

    # --- the findings ---------------------------------------------------------------------------

    def findings(self) -> Findings:
        """Findings collected so far, by status, in the rulebook's order."""
        def of(status: Status) -> tuple[str, ...]:
            return tuple(f for f in self.book.findings if self.status.get(f) is status)

        return Findings(of(Status.PRESENT), of(Status.ABSENT), of(Status.UNSURE))

    def record(self, finding: str, status: Status) -> None:
        old = self.status.get(finding)
        if old is None or WEIGHT[status] > WEIGHT[old]:
            self.status[finding] = status

    def emergency(self, finding: str) -> bool:
        return self.book.findings[finding].tier is Tier.EMERGENCY

    def decide(self) -> Decision:
        found = self.findings()
        return decide(self.book, found.present, found.unsure, self.locale, found.absent)

    # --- what an answer means -------------------------------------------------------------------

    def life_threat(self) -> bool:
        return any(s is Status.PRESENT and self._tier(f) is Tier.LIFE_THREAT for f, s in self.status.items())

    def resolve_findings(self, step: Step, findings: tuple[FindingMatch, ...]) -> None:
        """The findings of a reply that does not answer ``step`` yet (a hedged "no" being checked)."""
        for match in findings:
            if match.present and match.hedged:
                self.record(match.id, Status.UNSURE)
            elif match.present:
                self._affirm(match.id)
            elif match.id not in step.asks_about and match.id not in self.status:
                self.record(match.id, Status.ABSENT)  # a denial of the asked parts waits for the check

    def resolve(self, step: Step, reply: Reply, findings: tuple[FindingMatch, ...]) -> None:
        """Record what ``reply`` to ``step`` and the findings the person mentioned mean."""
        asked = () if step.role is Role.OPEN else step.asks_about
        if step.role in (Role.MAIN, Role.CHECK):
            self._main(step, reply, findings)
        elif step.role is Role.READBACK:
            for f in step.asks_about:
                if reply is Reply.YES:
                    self.record(f, Status.PRESENT)
                elif reply is Reply.UNSURE:
                    self.record(f, Status.UNSURE)
                elif reply is Reply.UNANSWERED:
                    self.record(f, Status.PRESENT)  # stated, and its read-back never answered (rule 9)
                # "no": not what they meant; its own question is still on the agenda
        elif step.role is Role.REGROUP:
            if reply is not Reply.NO:
                for f in step.asks_about:
                    if self.raises(f) and (reply is not Reply.UNANSWERED or self.emergency(f)):
                        self.record(f, Status.UNSURE)
        elif step.role is not Role.OPEN:
            self._single(step, reply)
        heard_open: list[str] = []
        for match in findings:  # anything else the person mentioned
            if match.id not in asked:
                if match.present and match.hedged:
                    self.record(match.id, Status.UNSURE)  # "I might have had a fever"
                elif match.present and step.role is Role.OPEN and self._tier(match.id) not in (
                        Tier.EMERGENCY, Tier.LIFE_THREAT):
                    heard_open.append(match.id)
                elif match.present:
                    self._affirm(match.id)
                elif match.id not in self.status and not match.own_question_only and not (
                        step.role is Role.OPEN and match.fragile):
                    # A description's plain form of a negative phrase ("I figured it would go
                    # away", "I can pee") is no denial: its question is still asked.
                    self.record(match.id, Status.ABSENT)
        readback = [f for f in heard_open if self._tier(f) is not Tier.CONTEXT]
        for f in heard_open:
            if self._tier(f) is Tier.CONTEXT:
                self.record(f, Status.PRESENT)
        if readback:
            # Non-emergency findings from the description are read back in one sentence before
            # they raise the level or skip a question (clinical-spec.md, Questions).
            self.front.append(self.readback_step(tuple(readback)))

    def _tier(self, finding: str) -> Tier:
        return self.book.findings[finding].tier

    def readback_step(self, findings: tuple[str, ...]) -> Step:
        plain = [self.book.findings[f].plain for f in findings]
        said = plain[0] if len(plain) == 1 else ", ".join(plain[:-1]) + " and " + plain[-1]
        text = self.questions.phrases.say("readback", self.locale).format(findings=said)
        how = self.questions.phrases.how_to_answer[QuestionKind.CONFIRM].get(self.locale)
        return Step(Role.READBACK, "readback", QuestionKind.CONFIRM, findings, text, text, how)

    def check_step(self, step: Step) -> Step:
        """A hedged "no" to an emergency question, asked once more ("yes" still means present)."""
        text = f"{self.questions.phrases.say('check', self.locale)} {step.retry}"
        return Step(Role.CHECK, step.id, step.kind, step.asks_about, text, step.retry, step.help, step.example)

    def forget(self, findings: tuple[str, ...]) -> None:
        """A correction: the person takes back a "no". Only denials are forgotten (never a finding
        stated present or unsure), so asking again can only raise the level."""
        for f in findings:
            if self.status.get(f) is Status.ABSENT:
                del self.status[f]

    def _main(self, step: Step, reply: Reply, findings: tuple[FindingMatch, ...]) -> None:
        for match in findings:
            if match.id in step.asks_about and not match.present:
                if match.fragile and reply is Reply.YES:
                    # "yes, only a little comes out": the plain form of a negative phrase ("won't
                    # come out") inside a "yes" is no denial of that part: it stays open, asked.
                    continue
                self.record(match.id, Status.ABSENT)
            elif match.id in step.asks_about and match.hedged:
                self.record(match.id, Status.UNSURE)
        named = [m.id for m in findings if m.id in step.asks_about and m.present and not m.hedged]
        # Still open: not yet known, or only doubted (a "yes" can still make a doubt certain).
        open_ids = [f for f in step.asks_about
                    if self.status.get(f) in (None, Status.UNSURE) and f not in named]
        for f in named:  # a finding the person stated is kept whatever the answer word was
            self._affirm(f)  # ("no, but I have to strain")
        if reply is Reply.YES:
            # One part left open and none of the question's parts already known present: the
            # "yes" is that part. If another part is already known ("I heard: pain down one leg"),
            # the yes may be about it, so the open part is asked on its own.
            known = any(self.status.get(f) is Status.PRESENT for f in step.asks_about if f not in named)
            if not named and len(open_ids) == 1 and not known:
                self._affirm(open_ids[0])
            elif open_ids:
                # Which one? Ask the most urgent first; a follow-up that cannot change the advice
                # is skipped when its turn comes (see _worth).
                for f in sorted(open_ids, key=lambda f: -self._rank(f)):
                    self.front.append(self.probe_step(f, Role.FOLLOW))
                regroup = self.questions.phrases.say("regroup", self.locale)
                self.front.append(Step(Role.REGROUP, step.id, step.kind, step.asks_about,
                                       f"{regroup} {step.text}", step.retry, step.help))
        elif reply is Reply.NO:
            for f in open_ids:
                self.record(f, Status.ABSENT)
        elif reply is Reply.UNSURE:
            for f in open_ids:
                self.record(f, Status.UNSURE)
        else:  # unanswered: a warning sign or risk factor left unanswered counts as unsure (rules 3, 4)
            for f in open_ids:
                if self._tier(f) in (Tier.EMERGENCY, Tier.URGENT, Tier.RISK):
                    self.record(f, Status.UNSURE)

    def _single(self, step: Step, reply: Reply) -> None:
        finding = step.asks_about[0]
        if reply is Reply.YES:
            self.record(finding, Status.PRESENT)
        elif reply is Reply.NO:
            if step.role is Role.CONFIRM:
                self.front.append(self.probe_step(finding, Role.RECHECK))  # never drop it silently
            else:
                self.record(finding, Status.ABSENT)
        elif reply is Reply.UNANSWERED and step.role in (Role.CONFIRM, Role.READBACK):
            self.record(finding, Status.PRESENT)  # stated, and its read-back never answered (rule 9)
        elif reply is Reply.UNSURE or self.emergency(finding):
            self.record(finding, Status.UNSURE)

    def _affirm(self, finding: str) -> None:
        """A finding said to be present once: emergency ones are read back before acting on them."""
        if self.status.get(finding) is Status.PRESENT:
            return
        if self._tier(finding) is Tier.LIFE_THREAT:
            self.record(finding, Status.PRESENT)  # acted on at once: never read back first
        elif not self.emergency(finding):
            self.record(finding, Status.PRESENT)
        elif not any(s.role in (Role.CONFIRM, Role.RECHECK) and s.asks_about == (finding,)
                     for s in self.front + self.agenda):
            self.front.append(self.probe_step(finding, Role.CONFIRM))

    # --- what to ask next -----------------------------------------------------------------------

    def _rank(self, finding: str) -> int:
        """The level this finding alone gives (from the rules, not re-implemented here)."""
        if finding not in self._ranks:
            self._ranks[finding] = decide(self.book, [finding], (), self.locale).level.rank
        return self._ranks[finding]

    def _rank_with(self, extra: frozenset[str]) -> int:
        key = (frozenset(f for f, s in self.status.items() if s is Status.PRESENT) | extra,
               frozenset(f for f, s in self.status.items() if s is Status.UNSURE))
        if key not in self._levels:
            self._levels[key] = decide(self.book, key[0], key[1], self.locale).level.rank
        return self._levels[key]

    def raises(self, finding: str) -> bool:
        """Could this finding, if present, make the advice more urgent: alone, or together with one
        finding not yet asked about (a risk factor matters with a warning symptom, rule 2)?"""
        if self._rank_with(frozenset((finding,))) > self._rank_with(frozenset()):
            return True
        others = (g for g in self.book.findings if g != finding and g not in self.status)
        return any(self._rank_with(frozenset((finding, g))) > self._rank_with(frozenset((g,))) for g in others)

    def _worth(self, step: Step) -> bool:
        if step.role in (Role.CONFIRM, Role.RECHECK):
            return self.status.get(step.asks_about[0]) is not Status.PRESENT
        if step.role is Role.READBACK:
            return any(self.status.get(f) is not Status.PRESENT for f in step.asks_about)
        if step.role is Role.REGROUP:
            # Only when every part was answered "no": a part skipped because it could not change the
            # advice may be what the "yes" was about.
            every_no = all(self.status.get(f) is Status.ABSENT for f in step.asks_about)
            return every_no and any(self.raises(f) for f in step.asks_about)
        return any(self.status.get(f) in (None, Status.UNSURE) and self.raises(f) for f in step.asks_about)

    def next_step(self) -> Step | None:
        """The next step worth taking; None when it is time to decide (at once on an emergency)."""
        self.agenda[0:0] = self.front
        self.front = []
        if self.decide().level is Level.EMERGENCY:
            return None  # stop at once and give the emergency advice
        while self.agenda:
            step = self.agenda.pop(0)
            if self._worth(step):
                return step
        return None

    def cut_short(self, current: Step | None, unsure_once: bool) -> None:
        """The conversation ends early (stop, hang-up). What the person said with certainty is never
        lost (rule 9): a finding they stated stays present though its read-back is not answered, and
        so do the emergency findings of a question they answered "yes" while it was being followed up
        (a yes means at least one of them). Other parts of a "yes" still being followed up are doubt,
        as is an emergency question already answered "unsure" once. Then nothing is left to ask."""
        pending = ([current] if current else []) + self.front + self.agenda
        for step in pending:
            if step.role in (Role.CONFIRM, Role.RECHECK, Role.READBACK):
                for f in step.asks_about:
                    self.record(f, Status.PRESENT)
            elif step.role is Role.FOLLOW:
                finding = step.asks_about[0]
                self.record(finding, Status.PRESENT if self.emergency(finding) else Status.UNSURE)
        if current is not None and current.role is Role.MAIN and unsure_once:
            for f in current.asks_about:
                if f not in self.status and self.emergency(f):
                    self.record(f, Status.UNSURE)
        self.clear()

    def clear(self) -> None:
        self.front, self.agenda = [], []
