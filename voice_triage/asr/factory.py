"""Speech recognition: one interface, two backends, and the choice between them.

A recognizer turns one utterance (16 kHz mono int16) into a ``Transcript``. It is constrained to
the phrases the current question accepts, and it must say so when it did not hear speech
(``no_input``) or heard speech that does not fit those phrases (``no_match``): a recognizer that
forces noise onto "no" can hide an emergency. Backends are imported lazily so that the text path
never loads an audio library.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ..errors import ContentError, ModelError, RecognizerError, UsageError
from ..settings import MOONSHINE_ENV
from .base import CROSS_CHECK_BELOW, Kind, Recognizer, Status, Transcript, collapse, constraint, normalise

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


#: An utterance with more loud 10 ms frames than this (``vad.detect``) is longer than one word, and
#: the open-vocabulary recognizer hears it whatever the constrained one heard: a constrained decoder
#: forces a sentence onto a phrase with full confidence ("no but I've been leaking" → "no i don't"
#: at 1.0). Single words ran to 83 frames (real people's slow "yes"/"no"); replies of three words
#: or more from 86. Lower: more one-word answers pay Moonshine's 0.1-0.3 s; higher: more sentences
#: are taken as the phrase they were forced onto.
ONE_WORD_LOUD_FRAMES: Final = 85


def longer_than_a_word(samples: npt.NDArray[np.int16]) -> bool:
    """Whether ``samples`` hold more speech than one word (``ONE_WORD_LOUD_FRAMES``)."""
    from ..audio import vad

    return vad.detect(samples).loud_frames > ONE_WORD_LOUD_FRAMES


class SecondOpinion:
    """A fast grammar-constrained backend, and a slower open-vocabulary one for what it could not use.

    The second recognizer (``asr/moonshine.py``) writes the open question's free dictation
    (``phrases`` None): pocketsphinx's dictation is mostly wrong words, which would become wrong
    findings. The first backend dictates only when the second is unavailable.

    For a phrase list, the second listens again when the first heard speech but no phrase
    (no-match), and when the first heard one of the ``recheck`` phrases: the ones that steer the
    conversation (repeat, help, stop, slower, faster), onto which a constrained decoder forces
    unclear answers. It writes the whole reply in any words (``Transcript.open_text``, for the turn
    driver to read with the NLU); the status changes to ok only when those words are exactly one of
    the question's phrases, and a recheck changes the result only when they are a different phrase.
    After one of the ``annotate`` phrases (the doubt phrases: a constrained decoder forces "definitely
    not" or "I want to stop now" onto "not sure") it only writes the open reply beside the phrase,
    whatever it heard: the turn driver decides, and never turns doubt into yes or no.
    A yes or no the first heard (the ``crosscheck`` phrases) is second-guessed only when the first
    gave it a confidence below ``CROSS_CHECK_BELOW``: the open reply is written beside it, as for
    doubt, and the turn driver asks again when the two disagree. The common turn stays as fast as the
    first backend. An answer longer than one word (``longer_than_a_word``) is heard by the second
    whatever the first heard, its open reply written beside the phrase the same way; so is one in
    which the first found no word at all (a no-match then, never a no input). The transcript
    keeps the first backend's name: the JSON names the backend chosen.
    """

    def __init__(self, first: Recognizer, second: Recognizer, recheck: frozenset[str] = frozenset(),
                 annotate: frozenset[str] = frozenset(), crosscheck: frozenset[str] = frozenset()) -> None:
        self.first = first
        self.second: Recognizer | None = second
        self.recheck = frozenset(normalise(p) for p in recheck)
        self.annotate = frozenset(normalise(p) for p in annotate)
        self.crosscheck = frozenset(normalise(p) for p in crosscheck)
        self.name = first.name

    def transcribe(self, samples: npt.NDArray[np.int16], phrases: Sequence[str] | None) -> Transcript:
        if phrases is None:
            written = self._open(samples)
            if written is None:
                return self.first.transcribe(samples, None)
            return replace(written, recognizer=self.name)
        heard = self.first.transcribe(samples, phrases)
        if heard.status is Status.NO_INPUT and self.second is not None and longer_than_a_word(samples):
            # The phrase search found no word in more than a word's worth of sound ("yes around
            # my bottom" in a neural voice): speech outside the list, not silence. The second
            # writes it; with nothing written it stays no input.
            again = self._open(samples)
            if again is not None and again.status is Status.OK and again.text:
                return replace(heard, status=Status.NO_MATCH, decode_s=heard.decode_s + again.decode_s,
                               open_text=again.text)
            return heard
        doubtful = heard.text in self.crosscheck and heard.confidence < CROSS_CHECK_BELOW
        long = heard.status is Status.OK and longer_than_a_word(samples)
        annotate = heard.status is Status.OK and (heard.text in self.annotate or doubtful or long)
        if self.second is None or not (annotate or heard.status is Status.NO_MATCH or (
                heard.status is Status.OK and heard.text in self.recheck)):
            return heard
        again = self._open(samples)
        if again is None:
            return heard
        spent = heard.decode_s + again.decode_s
        if again.status is not Status.OK:
            if doubtful and heard.status is Status.OK:
                return replace(heard, status=Status.NO_MATCH, decode_s=spent)  # a doubtful yes/no unconfirmed
            return replace(heard, decode_s=spent)
        said = collapse(again.text)
        if not annotate and said in (constraint(phrases) or ()):
            return replace(heard, status=Status.OK, text=said, confidence=again.confidence, decode_s=spent,
                           open_text=again.text)
        return replace(heard, decode_s=spent, open_text=again.text)

    def _open(self, samples: npt.NDArray[np.int16]) -> Transcript | None:
        """The second recognizer's open-vocabulary transcript, or None when it is unavailable."""
        if self.second is None:
            return None
        try:
            return self.second.transcribe(samples, None)
        except RecognizerError as exc:  # e.g. a model file that fails to load on first use
            logging.getLogger(__name__).warning("second recognizer failed, %s alone from now on: %s", self.name, exc)
            self.second = None
            return None


def find_vosk_model(model: Path | None = None) -> Path | None:
    """The Vosk model to use: ``model`` if given (it must be valid), else one in the models folder.

    ``model`` may be the model folder itself or a folder holding model folders. A given path that
    holds no model is an error: the person asked for it, so silently falling back would mislead.
    """
    from . import models

    if model is not None:
        path = models.expand_user(model, "--model")
        if not models.structure_problems(path):
            return path
        inside = _first_model_in(path)
        if inside is None:
            raise ModelError(
                f"--model {path}: no Vosk model there (expected am/final.mdl, graph/ and conf/); "
                "get one with 'voice-triage models download'"
            )
        return inside
    found = models.find_model()
    return found if found is not None else _first_model_in(models.models_dir())


def _first_model_in(folder: Path) -> Path | None:
    from . import models

    if not folder.is_dir():
        return None
    candidates = sorted(p for p in folder.iterdir() if p.is_dir() and not models.structure_problems(p))
    # Prefer the small English model the project pins (grammars work only with small/lgraph models).
    candidates.sort(key=lambda p: (p.name != models.DEFAULT_MODEL, "small" not in p.name, p.name))
    return candidates[0] if candidates else None


def _sphinx(spotter: bool) -> Recognizer:
    """pocketsphinx, with the answer spotter's second opinion (asr/spotter.py) unless turned off.
    A broken spotter install costs accuracy, not the session: say so and go on without it."""
    from .sphinx import SphinxRecognizer

    backend = SphinxRecognizer()
    if not spotter:
        return backend
    from .spotter import SpottedRecognizer, Spotter

    try:
        return SpottedRecognizer(backend, Spotter())
    except (RecognizerError, ContentError) as exc:
        logging.getLogger(__name__).warning("answer spotter unavailable, pocketsphinx alone: %s", exc)
        return backend


def _with_moonshine(first: Recognizer, moonshine: bool | None, recheck: Collection[str],
                    annotate: Collection[str] = (), crosscheck: Collection[str] = ()) -> Recognizer:
    """``first`` with Moonshine's second listening (asr/moonshine.py), unless turned off by the
    argument or, when that is None, by ``$VOICE_TRIAGE_MOONSHINE=off`` (it costs ~250 MB of memory
    once used). Like the spotter, a broken install costs accuracy, not the session."""
    if moonshine is None:
        setting = os.environ.get(MOONSHINE_ENV, "on").strip().lower()
        if setting not in ("on", "off"):
            raise UsageError(f"${MOONSHINE_ENV}={setting!r}: use on or off")
        moonshine = setting == "on"
    if not moonshine:
        return first
    from .moonshine import OnFirstUse

    try:
        return SecondOpinion(first, OnFirstUse(), frozenset(recheck), frozenset(annotate), frozenset(crosscheck))
    except RecognizerError as exc:
        logging.getLogger(__name__).warning("Moonshine unavailable, %s alone: %s", first.name, exc)
        return first


def open_recognizer(kind: str = "auto", model: Path | None = None, spotter: bool = True,
                    moonshine: bool | None = None, recheck: Collection[str] = (),
                    annotate: Collection[str] = (), crosscheck: Collection[str] = ()) -> Recognizer:
    """Open a backend: ``vosk`` needs a model; ``auto`` picks Vosk when one is found, else pocketsphinx
    (with the answer spotter, whose thresholds were tuned for pocketsphinx only). A model ``auto``
    found in the models folder that fails to load is a one-line warning and pocketsphinx; with
    ``--asr vosk`` or ``--model PATH`` it is an error (``ModelError``, one line). Either way
    Moonshine writes the open question's dictation, and listens again to what the backend could
    not match (``SecondOpinion``) and to the
    ``recheck`` phrases (the grammar's steering phrases: the caller passes them, the recognizer
    layer knows no grammar), and writes its open reply beside the ``annotate`` ones (doubt) and
    beside a ``crosscheck`` one (yes, no) heard with little confidence."""
    return _with_moonshine(_open(kind, model, spotter), moonshine, recheck, annotate, crosscheck)


def _open(kind: str, model: Path | None, spotter: bool) -> Recognizer:
    try:
        chosen = Kind(kind)
    except ValueError:
        raise UsageError(f"--asr {kind!r}: use {', '.join(k.value for k in Kind)}") from None
    if chosen is Kind.POCKETSPHINX:
        return _sphinx(spotter)
    path = find_vosk_model(model)
    if path is None:
        if chosen is Kind.VOSK:
            from . import models

            raise ModelError(
                f"no Vosk model found in {models.models_dir()}; get one with 'voice-triage models download' "
                f"or pass --model PATH (or use --asr pocketsphinx)"
            )
        return _sphinx(spotter)
    try:
        from .vosk import VoskRecognizer

        return VoskRecognizer(path)
    except RecognizerError as exc:  # ModelError included: a damaged or foreign model, a broken vosk
        if chosen is Kind.VOSK or model is not None:
            raise  # the person asked for Vosk or for this model: falling back would mislead
        logging.getLogger(__name__).warning(
            "%s; using pocketsphinx instead", " ".join(str(exc).split()))
        return _sphinx(spotter)
