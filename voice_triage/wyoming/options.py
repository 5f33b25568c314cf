"""``voice-triage serve`` options and their defaults, apart so that the command line can show them
without loading the service (the ``wyoming`` library, numpy)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ..clinical.catalogue import Locale
from ..settings import DEFAULT_SPEECH_RATE

#: Where ``voice-triage serve`` listens: loopback only; 10700 is the usual Wyoming port range.
DEFAULT_URI: Final = "tcp://127.0.0.1:10700"
#: Idle time after which a conversation is ended (s). Home Assistant keeps a conversation id for
#: 5 minutes of silence too; a person in pain may take a while to answer, but an answer given
#: after that to a question they no longer remember should not be read as its answer.
DEFAULT_TIMEOUT_S: Final = 300.0


@dataclass(frozen=True)
class ServeOptions:
    uri: str = DEFAULT_URI
    locale: Locale = Locale.UK
    """the locale of conversations whose transcript names no language (en-US → us, en-GB → uk)"""
    timeout_s: float = DEFAULT_TIMEOUT_S
    """idle time that ends a conversation"""
    asr: str = "auto"
    """recognizer kind (``asr.Kind``)"""
    model: Path | None = None
    """a Vosk model folder; None: the models folder"""
    voice: str | None = None
    """espeak-ng voice for tts; None: the locale's"""
    rate: int = DEFAULT_SPEECH_RATE
    """tts words per minute"""
