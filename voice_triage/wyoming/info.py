"""The ``info`` this service answers ``describe`` with: a handle, a tts and an asr program."""

from __future__ import annotations

from typing import Final

from wyoming.info import (
    AsrModel,
    AsrProgram,
    Attribution,
    HandleModel,
    HandleProgram,
    Info,
    TtsProgram,
    TtsVoice,
)

from .. import __version__
from ..clinical.catalogue import Locale

#: The project has no public address yet: the url stays empty rather than invented.
ATTRIBUTION: Final = Attribution(name="voice_triage", url="")
ESPEAK: Final = Attribution(name="eSpeak NG", url="https://github.com/espeak-ng/espeak-ng")
HANDLE_NAME: Final = "voice-triage"
TTS_NAME: Final = "voice-triage-tts"
ASR_NAME: Final = "voice-triage-asr"
#: Languages the conversation speaks. Home Assistant offers an agent for a pipeline whose
#: language is in this list; "en" covers a pipeline set to plain English.
LANGUAGES: Final = ("en", "en-GB", "en-US")
#: espeak-ng voices offered, by locale: the ones the voice session uses.
VOICES: Final = {Locale.UK: "gmw/en", Locale.US: "gmw/en-US"}
VOICE_LANGUAGES: Final = {Locale.UK: "en-GB", Locale.US: "en-US"}


def locale_of(language: str | None, default: Locale) -> Locale:
    """``en-US`` / ``en_us`` → us, ``en-GB`` → uk, anything else English → ``default``."""
    tag = (language or "").strip().lower().replace("_", "-")
    if tag in ("en-us", "us"):
        return Locale.US
    if tag in ("en-gb", "en-uk", "uk"):
        return Locale.UK
    return default


def is_english(language: str | None) -> bool:
    tag = (language or "en").strip().lower()
    return tag == "" or tag == "en" or tag.startswith(("en-", "en_"))


def build_info(recognizer: str) -> Info:
    """``recognizer``: the recognizer kind the asr program uses (auto, vosk or pocketsphinx)."""
    return Info(
        handle=[HandleProgram(
            name=HANDLE_NAME, attribution=ATTRIBUTION, installed=True, version=__version__,
            description="Back-pain triage: asks questions, then says how urgently to get care (not a diagnosis)",
            models=[HandleModel(name="back-pain-triage", attribution=ATTRIBUTION, installed=True,
                                description="Rule-based triage with cited clinical sources", version=__version__,
                                languages=list(LANGUAGES))],
            supports_handled_streaming=False, supports_home_control=False,
        )],
        tts=[TtsProgram(
            name=TTS_NAME, attribution=ATTRIBUTION, installed=True, version=__version__,
            description="espeak-ng through pyttsx3",
            voices=[TtsVoice(name=voice, attribution=ESPEAK, installed=True, description=f"espeak-ng {voice}",
                             version=None, languages=[VOICE_LANGUAGES[locale]])
                    for locale, voice in VOICES.items()],
            supports_synthesize_streaming=False,
        )],
        asr=[AsrProgram(
            name=ASR_NAME, attribution=ATTRIBUTION, installed=True, version=__version__,
            description="Triage answers: held to the current question's phrases when the context names a conversation",
            models=[AsrModel(name=recognizer, attribution=ATTRIBUTION, installed=True,
                             description=f"recognizer chain ({recognizer})", version=None, languages=["en"])],
            supports_transcript_streaming=False,
        )],
    )
