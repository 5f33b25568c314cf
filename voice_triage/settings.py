"""Every setting in one place: defaults, limits and the environment variables that change them.

Modules import their defaults from here, so a value is written once (the CLI's help, the voice
session's options and the microphone read the same number). Each constant says its unit and the
trade-off behind it. Nothing here imports the rest of the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

# --- environment ---------------------------------------------------------------------------------

#: Default locale for every command: "uk" or "us".
LOCALE_ENV: Final = "VOICE_TRIAGE_LOCALE"
#: Folder holding Vosk models (default: ``models/`` of a source checkout, else ``./models``).
MODELS_ENV: Final = "VOICE_TRIAGE_MODELS"
#: Moonshine's second listening: "on" (default) or "off" (saves ~300 MB once it would listen).
MOONSHINE_ENV: Final = "VOICE_TRIAGE_MOONSHINE"

# --- audio ---------------------------------------------------------------------------------------

#: Samples per second every recognizer, the voice gate and the microphone path work at (Hz).
SAMPLE_RATE: Final = 16000

#: Silence that ends an answer (ms). Generous: people who speak slowly or pause mid-sentence ("I
#: have... numbness") must not be cut off; the cost is this much extra wait per turn.
DEFAULT_SILENCE_MS: Final = 1200
#: How long to wait for an answer to start before "no input" (s). 8 s is the usual VoiceXML
#: default; older or pained users may need more.
DEFAULT_NO_INPUT_S: Final = 8.0

#: Speech rate (words per minute as heard, audio/speaker.py calibrates espeak-ng to it).
#: Listeners, older ones included, find about 150–175 most comfortable; 150 favours older
#: listeners at the price of longer prompts.
DEFAULT_SPEECH_RATE: Final = 150
#: The espeak-ng voice for each locale when --voice is not given: an American voice for "us".
VOICE_BY_LOCALE: Final = {"uk": "gmw/en", "us": "gmw/en-us"}
#: The --rate every command accepts (words per minute, inclusive), checked once by the CLI parser
#: and again by the speaker: below 80 espeak-ng drags words apart, above 400 even practised
#: screen-reader listeners lose words.
MIN_SPEECH_RATE: Final = 80
MAX_SPEECH_RATE: Final = 400
#: --silence-ms bounds (ms): under 100 every breath ends an answer; over 10 s each turn waits that long.
MIN_SILENCE_MS: Final = 100
MAX_SILENCE_MS: Final = 10_000
#: --no-input-s bounds (s): under 1 s nobody can start answering; over 120 s a dead line holds the session.
MIN_NO_INPUT_S: Final = 1.0
MAX_NO_INPUT_S: Final = 120.0
#: Longest ``serve --timeout`` (s): a day. An idle conversation kept longer only holds memory.
MAX_SERVE_TIMEOUT_S: Final = 86_400.0
#: How long ``espeak-ng --voices`` may take to list its voices (s): it answers in well under a
#: second; the bound keeps a hung binary from hanging the command line.
VOICE_LIST_TIMEOUT_S: Final = 10.0

# --- text ----------------------------------------------------------------------------------------

#: Longest text read as one utterance (characters). A spoken turn rarely exceeds 300 characters;
#: 2000 leaves room for a typed description while a pasted novel cannot stall the conversation.
MAX_TEXT_CHARS: Final = 2000


@dataclass(frozen=True)
class VoiceOptions:
    """How a voice session listens and speaks (``voice-triage session`` options)."""

    asr: str = "auto"
    """recognizer kind: auto, vosk or pocketsphinx (``asr.Kind``)"""
    model: Path | None = None
    """a Vosk model folder; None: the models folder"""
    input_device: int | str | None = None
    """sounddevice input: index or name; None: the default device"""
    output_device: int | str | None = None
    """sounddevice output: index or name; None: the default device"""
    silence_ms: int = DEFAULT_SILENCE_MS
    """ms of silence that end an answer"""
    no_input_s: float = DEFAULT_NO_INPUT_S
    """s to wait for an answer to start"""
    rate: int = DEFAULT_SPEECH_RATE
    """speech rate, words per minute"""
    volume: float = 1.0
    """speech volume, 0.0 to 1.0"""
    voice: str | None = None
    """espeak-ng voice name; None: the locale's voice"""
    locale: str = "uk"
    """uk or us"""
