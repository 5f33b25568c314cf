"""A second listener for the short answers: speech embeddings and a small classifier.

pocketsphinx's grammar decoding (``asr_sphinx.py``) and this classifier fail on different clips:
the decoder loses a real "yes" to a competitor word such as "use", the classifier was never fooled
by that clip; the decoder forces a stray "go" onto "no", the classifier is sure it was something
else. ``SpottedRecognizer`` wraps a backend and combines the two:

- rescue: the backend heard no answer (no-match), the classifier is confident of one answer class
  (log-odds against other words and noise above ``RESCUE_LOG_ODDS``, ``RESCUE_MARGIN`` above every
  other answer class) and the question accepts that answer → that answer;
- veto: the backend heard yes or no in an utterance short enough for the classifier to judge, and
  the classifier finds that class very unlikely (log-odds below ``VETO_LOG_ODDS``) or is confident
  of another answer → no-match, and the person is asked again. A veto never turns yes into
  no: it only withholds.

The classifier (``voice_triage/data/spotter.npz``, 6 classes from grammars/spotter.yaml) is two
two-layer networks over Google's speech embeddings (``embedding.py``), each trained by
``scripts/train_spotter.py`` on its own draw of espeak-ng speech (never on recordings of real
people), their probabilities averaged.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from ..audio import vad
from ..content import check_keys, get_str, get_str_list, load_data_file, where
from ..errors import ContentError, RecognizerError
from .base import Recognizer, Status, Transcript, constraint

WEIGHTS: Final = Path(__file__).resolve().parents[1] / "data" / "spotter.npz"
#: Utterances are padded to this length with their own noise floor: the classifier was trained on
#: 1.6 s clips, and the embedding of a word near a clip edge is weaker than of one in the middle.
CLIP_S: Final = 1.6
#: Rescue threshold (log-odds of one answer against other words + noise). Lower rescues more real
#: answers and passes more other words as answers; measured on the speech-commands clips (make
#: bench-voice, with the margin and veto below): -1 → real yes/no 95%/90%, no other word or noise
#: clip as yes/no; 0 → 95%/88%, 1.8% of other words. (Lower also makes contradictions count sooner.)
RESCUE_LOG_ODDS: Final = -1.0
#: A rescue also needs the best answer to beat the runner-up by this much: a classifier torn
#: between two answers (espeak's "banana": no -0.7, yes -2.1) heard neither. 2 to 4 cost no real
#: answer on the speech-commands clips.
RESCUE_MARGIN: Final = 3.0
#: Veto threshold: a yes or no the backend heard is withheld when the classifier's log-odds for it
#: fall below this. Real answers the backend accepted scored -10.4 (one clip), then -5.3 and above;
#: the other words it forced onto yes/no scored -11.1 and -7.7 (the rest were contradicted by
#: another answer). -6 withholds those two and costs that one real answer (asked again, never
#: swapped); -8 let "no i don't" through for a spoken "nine".
VETO_LOG_ODDS: Final = -6.0
#: The veto judges only utterances about as long as the classifier's training phrases: at most
#: this many loud 10 ms frames (vad.py). Longer answers ("no, not at all": 103 frames) dilute its
#: pooled embedding, so their low scores say nothing; there the backend's multi-word match stands.
#: Real one-second clips have at most 83 loud frames, so every false accept measured is judged.
VETO_MAX_LOUD_FRAMES: Final = 90
#: The answers a veto guards: the two a red-flag question turns on.
VETOED: Final = frozenset({"yes", "no"})
#: The answers a rescue may produce. Not "stop": it ends the conversation at once, so a guessed
#: stop (espeak's "help" scored stop 1.4) would cost the person the rest of the triage; the stop
#: class still counts as a contradiction.
RESCUED: Final = frozenset({"yes", "no", "unsure"})


@dataclass(frozen=True)
class SpotClass:
    name: str
    phrases: tuple[str, ...]
    answer: str | None  # None: a class the answers are scored against (other words, noise)


@functools.cache
def load_classes(file: str = "spotter.yaml") -> tuple[SpotClass, ...]:
    doc = load_data_file(file)
    check_keys(doc, file, "", ["classes", "other_words"])
    get_str(doc, "other_words", file, "")
    classes = doc["classes"]
    if not isinstance(classes, Mapping) or not classes:
        raise ContentError(file, where(doc, "classes"), "expected a mapping of class names")
    out = []
    for name, body in classes.items():
        prefix = f"classes.{name}"
        check_keys(body, file, prefix, ["phrases"], ["answer"])
        answer = get_str(body, "answer", file, prefix) if "answer" in body else None
        phrases = get_str_list(body, "phrases", file, prefix) if body["phrases"] else ()
        if answer is not None and not phrases:
            raise ContentError(file, where(body, "phrases", prefix), "an answer class needs phrases")
        out.append(SpotClass(str(name), phrases, answer))
    if not any(c.answer for c in out) or all(c.answer for c in out):
        raise ContentError(file, "classes", "need answer classes and at least one class to score them against")
    return tuple(out)


def fit_length(samples: npt.NDArray[np.int16], seconds: float = CLIP_S) -> npt.NDArray[np.int16]:
    """Pad short audio on both sides to ``seconds`` with noise at its own quietest 25 ms level."""
    n = int(seconds * 16000)
    if len(samples) >= n:
        return samples
    frames = samples[: len(samples) // 400 * 400].reshape(-1, 400).astype(np.float64)
    floor = float(np.sqrt((frames**2).mean(axis=1)).min()) if len(frames) else 0.0
    noise = np.random.default_rng(0).standard_normal(n - len(samples)) * max(floor, 3.0)
    half = len(noise) // 2
    return np.concatenate([noise[:half], samples, noise[half:]]).clip(-32768, 32767).astype(np.int16)


class Spotter:
    """Scores an utterance for each answer class: log P(class) - log P(non-answer classes)."""

    def __init__(self, weights: Path = WEIGHTS) -> None:
        from .embedding import SpeechEmbedder

        self.classes = load_classes()
        name = str(weights)
        try:
            with np.load(weights, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
        except (OSError, ValueError) as exc:
            raise RecognizerError(f"cannot read the spotter weights {name}: {exc}") from exc
        for key in ("labels", "mu", "sd", "w1", "b1", "w2", "b2"):
            if key not in arrays:
                raise ContentError(name, key, "missing array: retrain with scripts/train_spotter.py")
        labels = tuple(str(x) for x in arrays["labels"])
        if labels != tuple(c.name for c in self.classes):
            raise ContentError(name, "labels", f"{labels} differ from grammars/spotter.yaml: retrain")
        nets = {k: np.asarray(arrays[k], dtype=np.float64) for k in ("mu", "sd", "w1", "b1", "w2", "b2")}
        if nets["w1"].ndim == 2:  # one network: give every array the ensemble's leading axis
            nets = {k: v[None] for k, v in nets.items()}
        count, features = nets["w1"].shape[:2]
        if nets["mu"].shape != (count, features) or nets["w2"].shape[2] != len(self.classes):
            raise ContentError(name, "w1", f"shapes {nets['w1'].shape} / {nets['w2'].shape} do not fit "
                               "the features and classes")
        self._mu, self._sd, self._w1, self._b1, self._w2, self._b2 = (
            nets[k] for k in ("mu", "sd", "w1", "b1", "w2", "b2"))
        self._embed = SpeechEmbedder()

    def probabilities(self, samples: npt.NDArray[np.int16]) -> npt.NDArray[np.float64]:
        """Class probabilities, averaged over the networks of the ensemble (leading axis)."""
        windows = self._embed(fit_length(samples)).astype(np.float64)
        pooled = np.concatenate([windows.max(axis=0), windows.mean(axis=0)])
        z = (pooled - self._mu) / self._sd  # (networks, features): each network its own scaling
        hidden = np.maximum(np.einsum("kf,kfh->kh", z, self._w1) + self._b1, 0.0)
        logits = np.einsum("kh,khc->kc", hidden, self._w2) + self._b2
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        return np.asarray((p / p.sum(axis=1, keepdims=True)).mean(axis=0), dtype=np.float64)

    def scores(self, samples: npt.NDArray[np.int16]) -> dict[str, float]:
        p = self.probabilities(samples)
        rest = sum(float(p[i]) for i, c in enumerate(self.classes) if c.answer is None)
        return {c.name: float(np.log(p[i] + 1e-12) - np.log(rest + 1e-12))
                for i, c in enumerate(self.classes) if c.answer is not None}

    def class_of(self, text: str) -> SpotClass | None:
        """The answer class a recognized phrase belongs to, by its first word."""
        first = text.split()[0] if text.split() else ""
        for c in self.classes:
            if c.answer is not None and first in {p.split()[0] for p in c.phrases}:
                return c
        return None


class SpottedRecognizer:
    """A backend with the spotter's second opinion on yes/no questions (see the module doc)."""

    def __init__(self, backend: Recognizer, spotter: Spotter,
                 rescue: float = RESCUE_LOG_ODDS, veto: float = VETO_LOG_ODDS, margin: float = RESCUE_MARGIN) -> None:
        self.backend = backend
        self.spotter = spotter
        self.name = backend.name
        self.rescue = rescue
        self.veto = veto
        self.margin = margin

    def transcribe(self, samples: npt.NDArray[np.int16], phrases: Sequence[str] | None) -> Transcript:
        heard = self.backend.transcribe(samples, phrases)
        allowed = constraint(phrases)
        if heard.status is Status.NO_INPUT or allowed is None:
            return heard  # no speech, or free dictation: nothing for a short-answer classifier
        if not any(c.answer in allowed for c in self.spotter.classes):
            return heard
        claimed = self.spotter.class_of(heard.text) if heard.status is Status.OK else None
        if heard.status is Status.OK and (claimed is None or claimed.name not in VETOED):
            return heard  # "not sure", "repeat", ...: nothing to veto, so no need to listen again
        start = time.perf_counter()
        scores = self.spotter.scores(samples)
        # Only a veto needs the length (the backend's voice gate measured it too; 4 ms again).
        judged = heard.status is not Status.OK or vad.detect(samples).loud_frames <= VETO_MAX_LOUD_FRAMES
        combined = self.combine(heard, scores, allowed, judged)
        return replace(combined, decode_s=heard.decode_s + time.perf_counter() - start)

    def combine(self, heard: Transcript, scores: dict[str, float], allowed: Sequence[str],
                judged: bool = True) -> Transcript:
        """The backend's transcript after the spotter's rescue or veto (pure: see the module doc).
        ``judged``: the utterance is short enough for a veto (``VETO_MAX_LOUD_FRAMES``)."""
        answers = {c.name: c.answer for c in self.spotter.classes if c.answer is not None and c.answer in allowed}
        scores = {name: score for name, score in scores.items() if name in answers}
        if not scores or heard.status is Status.NO_INPUT:
            return heard
        if heard.status is Status.OK:
            claimed = self.spotter.class_of(heard.text)
            if not judged or claimed is None or claimed.name not in VETOED or claimed.name not in scores:
                return heard
            own = scores[claimed.name]
            # Any other answer counts: "stop" heard as "no" is as wrong as "yes" heard as "no".
            opposite = max((s for name, s in scores.items() if name != claimed.name), default=-np.inf)
            # A contradiction counts only when the opposite answer would itself have been rescued.
            if own < self.veto or (opposite > own and opposite > self.rescue):
                return replace(heard, status=Status.NO_MATCH, text="", confidence=0.0)
            return heard
        ranked = sorted(scores.values(), reverse=True)
        best = max(scores, key=lambda name: scores[name])
        if best not in RESCUED:
            return heard
        runner_up = ranked[1] if len(ranked) > 1 else -np.inf
        if scores[best] > self.rescue and scores[best] - runner_up >= self.margin:
            probability = 1.0 / (1.0 + float(np.exp(-scores[best])))
            return replace(heard, status=Status.OK, text=answers[best] or "", confidence=probability)
        return heard
