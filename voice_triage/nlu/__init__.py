"""Understanding: words → an answer (yes, no, not sure, commands) and findings with polarity.

``grammars/answers.yaml``, ``symptoms.yaml`` and ``negation.yaml`` are the vocabulary (hassil
templates); ``matcher`` reads an utterance with it. No audio library is imported here.
"""

from .base import FindingMatch
from .grammar import Grammar, load_grammar
from .matcher import Answer, Matcher, RateChange, Understanding, load_matcher

__all__ = [
    "Answer", "FindingMatch", "Grammar", "Matcher", "RateChange", "Understanding", "load_grammar", "load_matcher",
]
