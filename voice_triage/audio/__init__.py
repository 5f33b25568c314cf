"""Audio in and out: WAV files, the voice gate, the microphone (sounddevice) and the speaker
(pyttsx3 / espeak-ng). sounddevice and pyttsx3 are imported when a device is opened."""

from .wav import Audio, read_wav

__all__ = ["Audio", "read_wav"]
