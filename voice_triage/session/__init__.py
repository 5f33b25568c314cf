"""Front ends of one conversation: the typed session (``text``), the voice session (``voice``,
imported by name: it loads the audio libraries), the report, and the one spoken-turn driver."""

from .report import Recorder, check_report_path, write_report
from .text import run_text_session
from .turn import Heard, hear_audio, hear_transcript, open_listener, phrases_for

__all__ = ["Heard", "Recorder", "check_report_path", "hear_audio", "hear_transcript", "open_listener", "phrases_for",
           "run_text_session", "write_report"]
