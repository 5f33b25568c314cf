"""One error hierarchy for the whole assistant.

Every failure a person or a tester can meet is a ``TriageError`` with a message that names the
thing at fault (a file and key, an option, a device). The CLI turns these into one line on stderr
and an exit status; nothing else should escape as a traceback.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final


class ExitStatus(IntEnum):
    """Every exit status of ``voice-triage``, written once: the code, ``--help`` and the README
    all come from here (``meaning``)."""

    OK = 0
    NOT_AS_EXPECTED = 1
    USAGE = 2
    UNAVAILABLE = 3
    INTERNAL = 70  # EX_SOFTWARE of sysexits.h
    INTERRUPTED = 130  # 128 + SIGINT; SIGTERM and SIGHUP give 128 + their number (143, 129)

    @property
    def meaning(self) -> str:
        """What the status tells a person or a script, as ``--help`` lists it."""
        return _MEANINGS[self]


_MEANINGS: Final = {
    ExitStatus.OK: "ok",
    ExitStatus.NOT_AS_EXPECTED: "the outcome was not as expected (a replay that failed)",
    ExitStatus.USAGE: "bad input: an unknown id, a bad option or value, an unreadable file",
    ExitStatus.UNAVAILABLE: "a component cannot run: no model, no audio device, no espeak-ng, stdout closed",
    ExitStatus.INTERNAL: "an internal error (a bug; VOICE_TRIAGE_TRACEBACK=1 shows it)",
    ExitStatus.INTERRUPTED: "interrupted by Ctrl-C (SIGTERM: 143, SIGHUP: 129)",
}

#: Exit status for bad input: an unknown id, a bad option, an unreadable file.
EXIT_USAGE: Final = ExitStatus.USAGE
#: Exit status when the assistant itself cannot run (missing model, no audio device).
EXIT_UNAVAILABLE: Final = ExitStatus.UNAVAILABLE


class TriageError(Exception):
    """Base of every error the assistant reports to a person."""

    exit_status: int = EXIT_USAGE


class ContentError(TriageError):
    """A data file (rules, grammars, questions) is malformed: names the file and key or line."""

    def __init__(self, path: str, where: str, problem: str) -> None:
        self.path = path
        self.where = where
        self.problem = problem
        super().__init__(f"{path}: {where}: {problem}")


class UnknownIdError(TriageError):
    """An id given by a person or another tool is not in the clinical specification."""


class UsageError(TriageError):
    """A command-line option or argument is invalid."""


class AudioError(TriageError):
    """Audio could not be read, captured or played."""


class AudioFileError(AudioError):
    """A WAV file is missing, corrupt, truncated or in an unsupported format."""


class DeviceError(AudioError):
    """No usable audio device (microphone or speaker)."""

    exit_status = EXIT_UNAVAILABLE


class RecognizerError(TriageError):
    """Speech recognition is unavailable or misconfigured."""

    exit_status = EXIT_UNAVAILABLE


class ModelError(RecognizerError):
    """A speech model is missing, incomplete, or failed its checksum."""


class SpeechError(TriageError):
    """Speech synthesis failed (the text is still shown)."""

    exit_status = EXIT_UNAVAILABLE


class ManifestError(TriageError):
    """A replay manifest or persona file is malformed or refers to missing files."""


class ReportError(TriageError):
    """A ``--report`` file could not be written (the session itself has already ended safely)."""


class FileWriteError(ReportError):
    """A report, prompt WAV or other output file could not be written safely: names the file.

    Nothing partial is left behind: the temporary file is removed before this is raised."""

    def __init__(self, path: object, what: str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{what} {self.path}: {problem}" if what else f"{self.path}: {problem}")


class OutputError(TriageError):
    """Standard output is closed or full: the result could not be shown. ``pipe_closed``: the
    reader went away (``| head``), which is not an error of ours."""

    exit_status = EXIT_UNAVAILABLE

    def __init__(self, message: str, pipe_closed: bool = False) -> None:
        self.pipe_closed = pipe_closed
        super().__init__(message)
