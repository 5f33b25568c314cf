"""The decision: finding ids, levels, rules and advice (``grammars/``), and ``decide``.

The lowest core layer: finding ids are the contract every other stage speaks.
"""

from .catalogue import Advice, Finding, Level, Locale, Rule, Rulebook, RuleKind, Tier, load_rulebook
from .rules import Decision, Findings, Reason, decide

__all__ = [
    "Advice", "Decision", "Finding", "Findings", "Level", "Locale", "Reason", "Rule", "RuleKind", "Rulebook", "Tier",
    "decide",
    "load_rulebook",
]
