"""Speech recognition: the ``Recognizer`` protocol and its records (``base``), one module per
backend, and the factory that picks them (backends imported lazily, so importing this package
loads no audio library)."""

from .base import Kind, Recognizer, Status, Stopwatch, Transcript, constraint, normalise, phrase_set
from .factory import SecondOpinion, find_vosk_model, open_recognizer

__all__ = [
    "Kind", "Recognizer", "SecondOpinion", "Status", "Stopwatch", "Transcript", "constraint", "find_vosk_model",
    "normalise", "open_recognizer", "phrase_set",
]
