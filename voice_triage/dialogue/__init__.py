"""The conversation: questions (``grammars/questions.yaml``), the findings ledger and agenda, and
the pure state machine that turns what was heard into events. No audio library is imported here."""

from .book import Question, QuestionBook, QuestionKind
from .conversation import Conversation
from .events import Ask, Decided, End, Event, RateChanged, Say
from .questions import load_questions, question_list

__all__ = [
    "Ask", "Conversation", "Decided", "End", "Event", "Question", "QuestionBook", "QuestionKind", "RateChanged",
    "Say", "load_questions", "question_list",
]
