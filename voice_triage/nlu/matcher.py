"""Understanding an utterance: an answer or command, a rate change, and findings with polarity.

The input is either a recognizer transcript (lower-case words, no punctuation, sometimes wrong
words) or typed text. It is read as clauses (punctuation, then clause breakers such as "but"),
never matched as a whole:

* Findings come from every clause (``findings.FindingReader``), each with its own polarity from
  negation cues and their scope; present beats absent within one utterance. Polarity comes from
  words, never from fuzzy scores: "I have X" and "I haven't X" score alike.
* The answer comes from answer cues and their scope (``answers.AnswerReader``): a leading or
  trailing yes or no, a subject with an auxiliary, a correction, doubt anywhere, and the findings.
* Whatever kind the reply is (answer, doubt, help, stop), the findings in it are reported.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from ..clinical.catalogue import Tier, load_rulebook
from ..settings import MAX_TEXT_CHARS
from .answers import AnswerReader, spans_of
from .base import Answer, FindingMatch, RateChange, Understanding, able
from .durations import DurationReader
from .findings import INTERJECTIONS, FindingReader, find_seqs
from .grammar import Grammar, Lexicon, Token, load_grammar
from .tense import TenseReader

__all__ = ["Answer", "FindingMatch", "Matcher", "RateChange", "Understanding", "load_matcher"]

#: Text longer than this is not an utterance (a paste or an attack): answer null, no findings.
MAX_INPUT_CHARS: Final = MAX_TEXT_CHARS
#: At most this many words are examined, which caps the work per utterance.
MAX_WORDS: Final = 120

_SENTENCE_RE: Final = re.compile(r"[.;!?\n]+")
#: Single words that change the voice wherever they are said ("yes, but slower").
_COMPARATIVES: Final = frozenset(r.value for r in RateChange)
#: Words that start a new statement after a comma, not a list item: a degree ("..., a bit
#: feverish") or a contrast ("no tingling, just pain down the leg": the pain is not denied).
_NEW_STATEMENT: Final = frozenset({"bit", "abit", "slightly", "quite", "very", "really", "just", "only", "except"})
#: After a leading "know", words that keep it "know" ("know what I mean").
_KNOW_WHAT: Final = frozenset({"what", "how", "if", "when", "why", "whether", "where", "who", "about"})
#: Words that join a new statement on after a comma when a subject follows ("..., and now my ...").
_COMMA_JOINERS: Final = frozenset({"and", "then", "so", "plus"})
#: A reply that starts with one of these and ends with "mean" asks what a word means.
_MEANING_ASKED: Final = frozenset({"what", "whats"})
_MEAN: Final = frozenset({"mean", "means"})
#: Replies that are not statements about the body: the question's organ supplies nothing to them.
_NOT_STATEMENTS: Final = frozenset({Answer.UNSURE, Answer.STOP, Answer.HELP, Answer.REPEAT, Answer.CORRECT})


class Matcher:
    """Maps an utterance to an answer, a rate change and findings (see the module docstring)."""

    def __init__(self, grammar: Grammar, context_ids: frozenset[str] = frozenset(),
                 history_ids: frozenset[str] = frozenset(), emergency_ids: frozenset[str] = frozenset()) -> None:
        self.lex: Lexicon = grammar.lexicon
        self._rates = {self._key(p.text): RateChange(k) for k, ps in grammar.rates.items() for p in ps}
        self._reader = FindingReader(grammar, history_ids)
        self._answers = AnswerReader(grammar, context_ids)
        self._context = context_ids
        # Words that start a clause of their own after a comma (a list item does not).
        self._subjects = grammar.subjects | {"my", "the", "his", "her", "their", "our", "your", "someone",
                                             "somebody", "someones", "people"}
        self._question_words = frozenset(w for q in grammar.question_words for w in self.lex.words(q))
        self._durations = DurationReader.from_doc(self.lex.durations_doc, "negation.yaml")
        st = grammar.structure
        organ_words = self._reader.organ_words
        # The context (back pain, leg pain) is what the person has, whenever it began.
        self._tense = TenseReader(self.lex, st.lasting | context_ids, st.course, organ_words, st.organ_of,
                                  frozenset(w for text in st.possessed_words for w in self.lex.words(text)),
                                  guarded=emergency_ids - st.new_only,
                                  fine=frozenset(w for text in st.fine for w in self.lex.words(text)))
        self._organ_of = st.organ_of
        self._reasons = {f: frozenset(tuple(self.lex.words(t)) for t in texts) for f, texts in st.explained.items()}

    def _key(self, text: str) -> str:
        return " ".join(self.lex.words(text))

    # --- entry point ------------------------------------------------------------------------------

    def understand(self, text: str, topic: Sequence[str] = ()) -> Understanding:
        """``topic``: the findings the question asked about, when there was one. It supplies the
        organ a reply leaves out ("I can't hold it") and makes "no, but <one of them>" a yes."""
        if not text or len(text) > MAX_INPUT_CHARS:
            return Understanding(text, None, (), None)
        clauses: list[list[Token]] = []
        tokens: list[Token] = []
        for sentence in _SENTENCE_RE.split(text):
            parts = sentence.split(",")
            for index, part in enumerate(parts):
                found = self.lex.tokens(part, self._reader.fix)[: MAX_WORDS - len(tokens)]
                if not found:
                    continue
                found = [tok._replace(at=len(tokens) + n) for n, tok in enumerate(found)]
                if not tokens and found[0].word == "know" and (len(found) == 1 or found[1].word not in _KNOW_WHAT):
                    # A transcript's "know its fine": a reply never starts with a bare "know".
                    found[0] = found[0]._replace(word="no")
                tokens.extend(found)
                lone = all(t.word in INTERJECTIONS for t in found)
                # "thankfully no, everything is normal": an answer word before a comma ends its clause.
                answered = bool(clauses) and clauses[-1][-1].word in INTERJECTIONS
                # A list after a comma keeps its negation ("no numbness, tingling or weakness"); a part
                # with its own subject is a new clause ("no fever, it's just my back").
                # So is one that starts with a degree ("not himself, a bit feverish"): a new
                # statement, not the next item of a list. Not "like": "numb when I wee, like I can't
                # tell if anything's happening" goes on with the same statement.
                subject = found[0].word in self._subjects or found[0].word in _NEW_STATEMENT
                # ", and now my lower back hurts": a joiner then a subject is a new statement too.
                subject = subject or (found[0].word in _COMMA_JOINERS and any(
                    t.word in self._subjects or t.word == "my" for t in found[1:3]))
                # A part with a negation of its own starts its own scope ("stiff and achy, no pain
                # down my legs"); "no numbness, tingling or weakness" keeps the list's.
                subject = subject or found[0].word in self.lex.cues
                # A stop on its own after a comma is its own clause ("can't do this now, stop"); a
                # lone "sorry" is an apology there, not "pardon?".
                subject = subject or self._answers.whole.get(tuple(t.word for t in found)) is Answer.STOP
                if clauses and index > 0 and not (lone or answered or subject or self._lone(clauses[-1])):
                    clauses[-1].extend(found)  # a comma inside a list keeps negation scope
                else:
                    clauses.append(found)
        # The answer is read per clause as the finding reader splits them ("no, but ...").
        pieces = [piece for clause in clauses for piece in self._reader.split(clause)]
        implied = self._reader.topic_words(topic)
        marks = self._tense.marks(tokens, pieces, frozenset(topic))
        findings = self._reader.findings(clauses, implied, frozenset(topic), marks.apply)
        findings = marks.improving(self._with_duration(findings, tokens, pieces))
        findings = self._explained(findings, [t.word for t in tokens])
        answer, hedged, derived = self._answers.read(tokens, pieces, findings)
        if answer in (None, Answer.YES) and marks.over_now(findings):
            # "I had a bladder problem years ago but not now", "nothing new there": what was asked
            # about is over, and nothing said of it is present now.
            answer, hedged, derived = Answer.NO, False, True
        words = [t.word for t in tokens]
        rate = self._rate(words)
        denied = [f for f in findings if f.supplied and not f.present]
        if denied:
            findings = tuple(f for f in findings if not (f.supplied and not f.present))
            answer, hedged, derived = self._answers.read(tokens, pieces, findings)
            lead = self._strip_fillers(list(words))[:1]
            if answer in (None, Answer.YES) and marks.over_now(findings):
                answer, hedged, derived = Answer.NO, False, True  # as above: what was asked is over
            elif answer is Answer.YES and not derived and (
                    not spans_of(words, self._answers.cues["yes"]) or not (lead and lead[0] in INTERJECTIONS)):
                # "I can feel it fine" to "have you lost the feeling?": "I can" is no yes here,
                # and a transcript's "can" may be a "can't": ask again rather than guess. So is a
                # yes that agrees with it ("I can feel it, yes"), where a leading yes would answer.
                answer, hedged, derived = None, False, False
            able_to = [f for f in denied if f.id in topic and able(words, f)]
            if answer is None and able_to and not any(f.present and f.id in topic for f in findings):
                # "I can hold it", "I can feel it fine" to a question about not being able to: a
                # no, kept with its plain-form findings (fragile), so that in a transcript, where
                # the "can" may be a misheard "can't", the conversation asks again instead.
                findings = (*findings, *able_to)
                answer, hedged, derived = Answer.NO, False, True
        if any(f.supplied for f in findings):
            said = tuple(f for f in findings if not f.supplied)
            own = self._answers.read(tokens, pieces, said)
            stop_inside = own[0] is Answer.STOP and not self._answers.ends_with_stop(words, set(), pieces)
            # "slower please" is about the voice, not "[pee is] slower".
            if rate is not None or (own[0] in _NOT_STATEMENTS and not own[2] and not stop_inside):
                # "hard to say", "can we stop": the words answer on their own, and the question's
                # organ fills in nothing ("hard [to pee]").
                findings, (answer, hedged, derived) = said, own
        if (answer is Answer.YES and derived and topic
                and not any(f.present and f.id in topic for f in findings)
                and any(not f.present and not f.fragile and f.id in topic for f in findings)):
            # "my waterworks are fine, it's my bowels, I've had an accident" to the bladder
            # question: what was asked about is denied; the other finding is recorded, not a yes.
            answer, hedged, derived = Answer.NO, False, True
        elif (answer is Answer.YES and derived and topic
              and not any(f.present and f.id in topic for f in findings)
              and any(f.id in topic for f in denied)):
            # "I feel it, I just can't get it out" to "have you lost the feeling?": the plain form
            # of what was asked, and another finding of the same organ (recorded). The no rests on
            # a plain form a recognizer may have misheard, so it is hedged: checked once.
            answer, hedged, derived = Answer.NO, True, True
        elif answer is Answer.YES and derived and topic and (
                self._other_organs_only(findings, topic) or self._duration_only(findings, topic)):
            # "the numbness is in my toes" to the saddle question: a finding of another body part
            # is recorded, but it answers nothing about what was asked: asked again, never a no.
            answer, hedged, derived = None, False, False
        if answer is Answer.NO and derived and topic and self._duration_only(findings, topic, present=False) \
                and all(f.own_question_only for f in findings if f.id not in self._context):
            # "about a week" to "have you had a serious accident?": how long the pain has lasted
            # answers only its own question: asked again.
            answer, hedged, derived = None, False, False
        lead = self._strip_fillers([t.word for t in tokens])[:1]
        if (answer is Answer.YES and not derived and topic and not (lead and lead[0] in INTERJECTIONS)
                and not any(f.present and f.id in topic for f in findings)
                and any(not f.present and not f.supplied and f.id in topic for f in findings)):
            # "I know when I need to go, yeah" to "have you lost the feeling?": a yes after the
            # words agrees with their denial of what was asked, where a leading yes would answer.
            # Neither is taken: the question is asked again.
            answer, hedged, derived = None, False, False
        if answer is Answer.NO and derived and topic and any(
                not f.present and f.hedged and f.id in topic for f in findings):
            # "I don't think it's numb down there": a no said with doubt, checked once on an
            # emergency question like "I don't think so".
            hedged = True
        if answer is Answer.UNSURE and topic:
            # "maybe, I wake up all the time, I don't know if it's the back": doubt said anywhere in
            # the reply is about what the question asked.
            findings = tuple(replace(f, hedged=True) if f.present and f.id in topic else f for f in findings)
        if (answer is None or derived) and self._asks_back(text, topic):
            # "does a slip on the stairs count?": what it names is doubt until the question,
            # explained, is answered (recorded unsure, never lost, never certain).
            answer, hedged, derived = Answer.HELP, False, False
            findings = tuple(replace(f, hedged=True) if f.present else f for f in findings)
        if answer is Answer.NO and any(f.present and not f.hedged and f.id in topic for f in findings):
            # "no, but I have to strain": the "no" is about the other parts; the stated one is a
            # yes, and the other parts are then asked one by one (clinical-spec.md, Questions).
            answer, hedged, derived = Answer.YES, False, True
        return Understanding(text, answer, findings, rate, hedged, derived)

    def _explained(self, findings: tuple[FindingMatch, ...], words: list[str]) -> tuple[FindingMatch, ...]:
        """A finding said with its reason ("lost weight, but I've been dieting") is not the
        unexplained finding the spec means: absent for its own question, nothing ruled out elsewhere."""
        if not any(f.present and f.id in self._reasons for f in findings):
            return findings
        def given(fid: str) -> bool:  # "I am not doing a diet" gives no reason
            return any(not self.lex.cues.intersection(words[max(0, s - 3) : s])
                       for s, _ in find_seqs(words, self._reasons[fid]))

        return tuple(replace(f, present=False, hedged=False, own_question_only=True)
                     if f.present and f.id in self._reasons and given(f.id) else f for f in findings)

    def _duration_only(self, findings: tuple[FindingMatch, ...], topic: Sequence[str], present: bool = True) -> bool:
        """The only finding stated (``present``) or ruled out is how long the pain has lasted, on
        another question ("they've been like that for years" about the knees, to the legs question)."""
        said = [f for f in findings if f.present is present and f.id not in self._context]
        finding = self._durations.finding if self._durations is not None else None
        return bool(said) and finding not in topic and all(f.id == finding for f in said)

    def _other_organs_only(self, findings: tuple[FindingMatch, ...], topic: Sequence[str]) -> bool:
        """Every finding stated is of a body part the question is not about (and has one)."""
        asked = {self._organ_of[f] for f in topic if f in self._organ_of}
        said = [f for f in findings if f.present and f.id not in self._context]
        return bool(asked and said) and all(f.id in self._organ_of and self._organ_of[f.id] not in asked
                                            for f in said)

    def _asks_back(self, text: str, topic: Sequence[str] = ()) -> bool:
        """A typed sentence ending in "?" that starts with a question word (answers.yaml), and
        nothing after it that answers ("how long? about eight weeks" answers; "does a slip count?
        I slipped on the last three" still asks)."""
        if "?" not in text:
            # A transcript has no "?": a question about a word's meaning ("what does immune
            # system mean") is one by its shape, a question word first and "mean" last.
            words = self._strip_fillers([t.word for t in self.lex.tokens(text)])
            return len(words) > 2 and words[0] in _MEANING_ASKED and words[-1] in _MEAN
        if not self._question_words:
            return False
        asked = -1
        sentences = re.findall(r"[^.;!?\n]*[.;!?\n]?", text)
        for n, sentence in enumerate(sentences):
            words = self._strip_fillers([t.word for t in self.lex.tokens(sentence)])
            if sentence.rstrip().endswith("?") and words and words[0] in self._question_words:
                asked = n
        if asked < 0:
            return False
        rest = "".join(sentences[asked + 1 :])
        if not self.lex.tokens(rest):
            return True
        after = self.understand(rest, topic)
        return not ((after.answer is not None and not after.derived)
                    or any(f.present and f.id in topic for f in after.findings))

    def _with_duration(self, findings: tuple[FindingMatch, ...], tokens: list[Token],
                       pieces: list[list[Token]]) -> tuple[FindingMatch, ...]:
        """A duration said ("about six weeks") reports its finding; present beats absent. A
        duration in a clause about another finding ("steroids for years") is that finding's."""
        if self._durations is None:
            return findings
        about_others = [f for f in findings if f.id not in self._context and f.id != self._durations.finding]
        elsewhere = frozenset(
            t.at for piece in pieces
            if any(piece[0].at <= f.at[0] <= piece[-1].at for f in about_others) for t in piece)
        said = self._durations.read(tokens, elsewhere)
        if said is None:
            return findings
        old = next((f for f in findings if f.id == said.id), None)
        if old is not None and (old.present or not said.present):
            return findings
        return (*(f for f in findings if f.id != said.id), said)

    @staticmethod
    def _lone(tokens: list[Token]) -> bool:
        return all(t.word in INTERJECTIONS for t in tokens)

    def _strip_fillers(self, words: list[str]) -> list[str]:
        changed = True
        while changed and words:
            changed = False
            for filler in self.lex.fillers:
                n = len(filler)
                if len(words) > n and tuple(words[:n]) == filler:
                    words, changed = words[n:], True
                if len(words) > n and tuple(words[-n:]) == filler:
                    words, changed = words[:-n], True
        return words

    def _rate(self, words: list[str]) -> RateChange | None:
        words = self._strip_fillers(list(words))
        whole = " ".join(words)
        if whole in self._rates:
            return self._rates[whole]
        for key, change in self._rates.items():
            # Multi-word requests anywhere ("yes but slow down please"); single words only alone,
            # except the unambiguous comparatives.
            if (" " in key or key in _COMPARATIVES) and f" {key} " in f" {whole} ":
                # "it's slower to start than normal" describes, it does not ask.
                after = whole.split(f"{key} ", 1)[1].split(" ", 1)[0] if f"{key} " in whole else ""
                if key in _COMPARATIVES and after in ("to", "than"):
                    continue
                return change
        return None


@functools.cache
def load_matcher() -> Matcher:
    """The matcher over the shipped grammars (built once per process)."""
    findings = load_rulebook().findings.values()
    context = frozenset(f.id for f in findings if f.tier is Tier.CONTEXT)
    history = frozenset(f.id for f in findings if f.tier is Tier.RISK)
    emergency = frozenset(f.id for f in findings if f.tier in (Tier.EMERGENCY, Tier.LIFE_THREAT))
    return Matcher(load_grammar(), context, history, emergency)
