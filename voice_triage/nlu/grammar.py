"""The phrase grammars: ``grammars/{answers,symptoms,negation}.yaml`` → phrase lists and a lexicon.

One template source serves two consumers: recognizers get the expanded phrases they are constrained
to (``Grammar.phrases_for``), and the matcher (intent.py) gets the same phrases with the finding or
answer each one stands for. Loading is strict: an unknown finding id, a malformed template, or one
phrase claimed by two findings is a ``ContentError`` naming the file and line.

This module builds the recognizer constraints and is the import point; the work is split by job:
``grammar_lexicon`` (word normalisation) and ``grammar_phrases`` (files → expanded phrases).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Final

from .base import ANSWER_KINDS, RATE_KINDS, Answer, QuestionKind
from .lexicon import Lexicon, Token
from .phrases import (
    ANSWERS_FILE,
    CUE_KINDS,
    NEGATION_FILE,
    SYMPTOMS_FILE,
    AnswerPhrases,
    Phrase,
    Structure,
    load_answers,
    load_lexicon,
    load_structure,
    load_symptoms,
)

__all__ = [
    "ANSWERS_FILE",
    "ANSWER_KINDS",
    "CUE_KINDS",
    "NEGATION_FILE",
    "QUESTION_KINDS",
    "RATE_KINDS",
    "SYMPTOMS_FILE",
    "AnswerPhrases",
    "Grammar",
    "Lexicon",
    "Phrase",
    "Structure",
    "Token",
    "load_answers",
    "load_grammar",
    "load_lexicon",
    "load_structure",
    "load_symptoms",
]

#: The question kinds a recognizer constraint is built for.
QUESTION_KINDS: Final = tuple(k.value for k in QuestionKind)


#: The answers a question turns on; every other spoken kind steers the conversation.
REPLY_KINDS: Final = tuple(a.value for a in (Answer.YES, Answer.NO, Answer.UNSURE))


class Grammar:
    """Expanded phrases per answer, rate change and finding, plus the lexicon."""

    def __init__(
        self,
        answers: dict[str, tuple[Phrase, ...]],
        misheard: dict[str, tuple[str, ...]],
        rates: dict[str, tuple[Phrase, ...]],
        findings: dict[str, tuple[Phrase, ...]],
        absent_only: dict[str, tuple[Phrase, ...]],
        lexicon: Lexicon,
        spoken: dict[str, tuple[str, ...]] | None = None,
        normal: dict[str, tuple[Phrase, ...]] | None = None,
        hedged_no: tuple[str, ...] = (),
        cues: dict[str, tuple[str, ...]] | None = None,
        generic: tuple[str, ...] = (),
        subjects: frozenset[str] = frozenset(),
        auxiliaries: frozenset[str] = frozenset(),
        structure: Structure | None = None,
        question_words: frozenset[str] = frozenset(),
    ) -> None:
        self.question_words = question_words  # "what like a belt?": a typed question asks for help
        self.structure = structure or Structure({}, {})  # body sites, awareness, both legs
        self.subjects = subjects  # "it does", "we haven't": a subject and an auxiliary answer
        self.auxiliaries = auxiliaries
        self.spoken = spoken or {}
        self.normal = normal or {}  # phrases saying a body part is normal: the finding is absent
        self.hedged_no = hedged_no  # conventional negatives: "no", hedged
        self.cues = cues or {}  # answer cues read anywhere, by kind (CUE_KINDS)
        self.generic = generic  # "any of that": what was asked about, after a pronoun + auxiliary
        self.answers = answers
        self.misheard = misheard
        self.rates = rates
        self.findings = findings
        self.absent_only = absent_only
        self.lexicon = lexicon

    def steering_phrases(self) -> frozenset[str]:
        """The spoken phrases that steer the conversation (repeat, help, stop, slower, faster)
        rather than answer it: a recognizer may double-check these (recognizer.SecondOpinion)."""
        return frozenset(text for kind, group in self.spoken.items() if kind not in REPLY_KINDS for text in group)

    def constraint_for(self, kind: str, asks_about: Sequence[str] = ()) -> tuple[str, ...] | None:
        """What a recognizer is given for a question: the short phrase list for yes/no and confirm
        questions, None (free dictation) for the open question. Thousands of symptom phrases make a
        constrained decoder slow and force free speech onto the nearest phrase; the general model's
        words, matched by intent.py, keep what the person actually said."""
        return None if kind == "open" else self.phrases_for(kind, asks_about)

    def phrases_for(self, kind: str, asks_about: Sequence[str] = ()) -> tuple[str, ...]:
        """The phrase list a recognizer is constrained to for a question of ``kind``.

        yes_no / confirm: answers, commands and rate changes (small, so recognition stays sharp).
        open: the phrases of the findings asked about (all findings when none) plus the above.
        """
        if kind not in QUESTION_KINDS:
            raise ValueError(f"unknown question kind {kind!r} (use {', '.join(QUESTION_KINDS)})")
        # The short spoken forms (answers.yaml `spoken`), not every phrase the matcher knows: a
        # constrained recognizer forces any sound onto its list, so a short list rejects better.
        texts = [text for group in self.spoken.values() for text in group]
        if not texts:
            texts = [p.text for group in [*self.answers.values(), *self.rates.values()] for p in group]
        if kind == "open":
            ids = list(asks_about) or list(self.findings)
            texts = [p.text for i in ids if i in self.findings for p in self.findings[i]] + texts
        return tuple(dict.fromkeys(texts))


@functools.cache
def load_grammar() -> Grammar:
    """Load, expand and validate every grammar file (once per process)."""
    from ..clinical.catalogue import load_rulebook

    loaded = load_answers()
    ids = load_rulebook().findings
    findings, absent_only, normal = load_symptoms(ids)
    return Grammar(
        answers=loaded.answers,
        misheard={k: tuple(p.text for p in v) for k, v in loaded.misheard.items()},
        rates=loaded.rates,
        findings=findings,
        absent_only=absent_only,
        lexicon=load_lexicon(),
        spoken={k: tuple(p.text for p in v) for k, v in loaded.spoken.items()},
        normal=normal,
        hedged_no=tuple(p.text for p in loaded.hedged_no),
        cues={k: tuple(p.text for p in v) for k, v in loaded.cues.items()},
        generic=tuple(p.text for p in loaded.generic),
        subjects=loaded.subjects,
        auxiliaries=loaded.auxiliaries,
        structure=load_structure(ids),
        question_words=loaded.question_words,
    )
