"""Moonshine: an open-vocabulary recognizer whose model ships in a pip package, as a second opinion.

pocketsphinx (``sphinx.py``) is fast and grammar-constrained, but its acoustic model is old:
a real "yes" from a quiet or accented speaker often matches nothing and the person is asked again.
Moonshine base (Moonshine AI, MIT licence; the English model's files ship in the ``moonshine-cpp``
wheel) is a modern encoder-decoder trained on far more real speech. It writes what it heard, in
any words, so it cannot be forced onto the grammar: "six" comes back as "Six.", noise as nothing.

This module runs those model files with onnxruntime's Python package (not ``moonshine-cpp``'s own
library, which peaks at about 600 MB) and greedy decoding. A
transcript is accepted only when the words it heard, normalised, are exactly one of the question's
phrases (a word said twice, "stop, stop", counts once); anything else is no-match. No threshold
is tuned here: the acceptance rule is the phrase list itself.

The files keep their weights 8-bit and expand them to floats inside the graph; as shipped, every
decoder step expanded all of them (~165 MB) before using any. ``ort_model`` rebuilds each file in
memory so that a weight is expanded only where it is used, one at a time, with the file's own
arithmetic: the same logits to the bit and the same transcripts (every clip under ``tests/wav``).
Measured on this 2-core machine, ``understand --audio --question open`` on espeak-ng speech peaks
at 243 MB for 3 s, 259 MB for 10 s, 260 MB for 46 s and 266 MB for 110 s (as shipped: 464, 493, 502
and 504 MB); the models hold ~100 MB once loaded and ~80 MB more while decoding. A decoder step
takes 20-22 ms on one core (as shipped: 36-38 ms; an utterance's first step 25 ms instead of 46 ms);
loading takes 0.35 s instead of 0.17 s (the rebuild, in Python). Should the rebuild fail, the files
run as shipped, with a warning that says why.

Decoding stops as soon as the words so far cannot begin any phrase, and never runs past
``TOKENS_PER_S`` steps a second of audio. ``SecondOpinion`` in ``factory.py`` calls it for the open
question (free dictation: ``phrases`` None, the whole text) and when the fast path heard nothing
it could use.

Long dictation is decoded in pieces of at most ``MAX_PIECE_S`` seconds, cut at the quietest moment
near the end of each: the encoder's memory grows with the audio (a 114 s answer peaked at 1.17 GB
decoded whole), and the model was trained on utterances of a few seconds to half a minute. The
peak then no longer grows with the answer (the figures above; ``tests/hostile/test_memory.py``
holds a long answer within 40 MB of a short one, and both under 300 MB).
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ..audio import vad
from ..errors import RecognizerError
from . import ort_model
from .base import Status, Stopwatch, Transcript, collapse, constraint, normalise

__all__ = ["MoonshineRecognizer", "OnFirstUse", "collapse", "could_begin", "load_tokens", "model_dir", "pieces",
           "shared"]

NAME: Final = "moonshine"
PACKAGE: Final = "moonshine_cpp"
MODEL_SUBDIR: Final = "models/base-en"
MODEL_FILES: Final = ("encoder_model.ort", "decoder_model_merged.ort")
#: onnxruntime's session setting for the folder a model loaded from bytes names its external data
#: in (the rebuilt models' placeholders name the ``.ort`` files themselves).
EXTERNAL_FOLDER_KEY: Final = "session.model_external_initializers_file_folder_path"
#: Token ids fixed by the model's tokenizer: start of transcript and end of transcript.
BOS: Final = 1
EOS: Final = 2
#: Decoder steps allowed per second of audio, plus a few. Moonshine's authors bound generation at
#: about 6.5 tokens a second to stop a hallucination loop; answers are far shorter than that.
TOKENS_PER_S: Final = 6.5
EXTRA_TOKENS: Final = 4
#: A token that ends a sentence: once the words so far are a whole phrase, decoding stops there
#: rather than spending one more step to hear the end-of-transcript token.
SENTENCE_END: Final = frozenset({".", "?", "!"})
#: Sentencepiece marks a word start with this character.
WORD_START: Final = "\u2581"
SENTENCE_END_BYTES: Final = frozenset(mark.encode() for mark in SENTENCE_END)
#: onnxruntime's switch for its telemetry (read when it is imported).
ORT_TELEMETRY_ENV: Final = "ORT_DISABLE_TELEMETRY"
#: Dictation longer than this is decoded in pieces (see the module docstring). Longer pieces keep
#: more context per piece (fewer words cut at a seam) and cost more memory. Measured on one core on a
#: 114 s neural-voice dictation, with the model files as shipped: 15 s pieces peaked at 510 MB for the
#: process and lost 25 of its 307 words (the model drops words late in a long piece); 8 s pieces
#: peaked at 494 MB and wrote 307.
MAX_PIECE_S: Final = 8.0
#: A piece is cut at the quietest ``CUT_FRAME_S`` window in its last ``CUT_SEARCH_S`` seconds.
CUT_SEARCH_S: Final = 5.0
CUT_FRAME_S: Final = 0.05


def model_dir() -> Path:
    """The folder of the English model inside the installed ``moonshine-cpp`` package. Found without
    importing it: importing loads that package's own runtime library, which this module does not use."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RecognizerError(f"the Moonshine model is missing (pip install moonshine-cpp): no {PACKAGE} package")
    folder = Path(next(iter(spec.submodule_search_locations))) / MODEL_SUBDIR
    for name in (*MODEL_FILES, "tokenizer.bin"):
        if not (folder / name).is_file():
            raise RecognizerError(f"the Moonshine model is incomplete: {folder / name} is missing; "
                                  "reinstall moonshine-cpp")
    return folder


def import_onnxruntime() -> Any:
    """onnxruntime with its telemetry off, before any session exists.

    Left on, importing onnxruntime writes ``~/.cache/Microsoft/DeveloperTools/.onnxruntime/deviceid``
    and an ``onnxruntime.db`` of queued events (OS, CPU, Python path); health software writes
    nothing unasked. ``ORT_DISABLE_TELEMETRY`` must be set before the import (the events start
    there); ``disable_telemetry_events()`` then covers a build that ignores the variable."""
    os.environ[ORT_TELEMETRY_ENV] = "1"
    try:
        import onnxruntime as ort
    except ImportError as exc:  # pragma: no cover - a broken install
        raise RecognizerError(f"onnxruntime is not installed: {exc}") from exc
    disable = getattr(ort, "disable_telemetry_events", None)
    if callable(disable):
        disable()
    return ort


def load_tokens(path: Path) -> tuple[bytes, ...]:
    """The tokenizer's pieces: each is one length byte followed by that many bytes of UTF-8."""
    raw = path.read_bytes()
    pieces: list[bytes] = []
    at = 0
    while at < len(raw):
        size = raw[at]
        if at + 1 + size > len(raw):
            raise RecognizerError(f"{path} is truncated at byte {at}: reinstall moonshine-cpp")
        pieces.append(raw[at + 1 : at + 1 + size])
        at += 1 + size
    if len(pieces) <= EOS:
        raise RecognizerError(f"{path} holds {len(pieces)} tokens: not a Moonshine tokenizer")
    return tuple(pieces)


def pieces(samples: npt.NDArray[np.int16], max_s: float = MAX_PIECE_S) -> list[npt.NDArray[np.int16]]:
    """``samples`` cut into pieces of at most ``max_s`` seconds, each cut at the quietest short
    window of its last ``CUT_SEARCH_S`` seconds (a pause between words, where one can be found)."""
    longest = int(max_s * vad.RATE)
    frame = max(int(CUT_FRAME_S * vad.RATE), 1)
    search = min(int(CUT_SEARCH_S * vad.RATE), longest // 2)
    out: list[npt.NDArray[np.int16]] = []
    rest = samples
    while len(rest) > longest:
        window = rest[longest - search : longest].astype(np.float64)
        frames = len(window) // frame
        energy = (window[: frames * frame].reshape(frames, frame) ** 2).mean(axis=1)
        cut = longest - search + int(energy.argmin()) * frame + frame // 2
        out.append(rest[:cut])
        rest = rest[cut:]
    out.append(rest)
    return out


def could_begin(words: str, allowed: Sequence[str]) -> bool:
    """Whether the words decoded so far (the last one maybe unfinished) can still become a phrase."""
    prefix = collapse(words)
    return any(phrase.startswith(prefix) for phrase in allowed)


class MoonshineRecognizer:
    """Moonshine base over onnxruntime; text accepted only when it is one of the phrases."""

    name = NAME

    def __init__(self, folder: Path | None = None, rebuild: bool = True) -> None:
        """``rebuild``: run the models rebuilt by ``ort_model`` (False: the files as shipped, the
        reference the tests compare the rebuilt ones with)."""
        ort = import_onnxruntime()
        folder = folder or model_dir()
        self.tokens = load_tokens(folder / "tokenizer.bin")
        #: Arrays onnxruntime reads the weights from (``ort_model.Rebuilt.initializers``): kept while
        #: the sessions live.
        self._held: list[Any] = []
        #: Why the original model files run instead of the rebuilt ones (empty when they do not).
        self.fallback = self.open_rebuilt(ort, folder) if rebuild else "the original model files were asked for"
        if self.fallback:
            if rebuild:
                logging.getLogger(__name__).warning(
                    "Moonshine runs its original model files (about 200 MB more while it decodes): %s",
                    self.fallback)
            self._encoder, self._decoder = (self.original_session(ort, folder / name) for name in MODEL_FILES)
        self._past = [i.name for i in self._decoder.get_inputs() if i.name.startswith("past_key_values.")]
        self._present = [o.name for o in self._decoder.get_outputs()][1:]
        if len(self._past) != len(self._present):
            raise RecognizerError(f"the Moonshine decoder in {folder} has an unexpected layout")

    def open_rebuilt(self, ort: Any, folder: Path) -> str:
        """Opens the rebuilt models' sessions; returns why they could not be opened, or nothing."""
        try:
            self._encoder, self._decoder = (self.rebuilt_session(ort, folder / name) for name in MODEL_FILES)
        except ort_model.Unsupported as exc:
            reason = str(exc)
        except Exception as exc:  # onnxruntime raises its own exception types for a model it refuses
            reason = f"onnxruntime refused the rebuilt model: {exc}"
        else:
            return ""
        self._held = []
        return reason

    @staticmethod
    def options(ort: Any) -> Any:
        options = ort.SessionOptions()
        # One thread: the pipeline already runs audio capture and playback beside it.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        return options

    def rebuilt_session(self, ort: Any, path: Path) -> Any:
        """A session of the model rebuilt so that its 8-bit weights are expanded only where each is
        used (``ort_model``), from bytes in memory; its results are the file's to the bit."""
        rebuilt = ort_model.int8_model(path)
        options = self.options(ort)
        # No graph optimisation: constant folding would expand every weight once at load and keep
        # the floats (measured: ``understand`` peaked at 1.31 GB). The file was optimised when written, and
        # with no pass run the kernels are the file's own, which keeps the results the same to the bit.
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        # Priority-based order runs each weight's expansion just before its product, so one weight's
        # floats are alive at a time; the default order expanded many ahead of their use (measured,
        # ``understand`` on a 46 s answer: 323 MB instead of 264 MB, and 8.8 s instead of 6.1 s).
        options.execution_order = ort.ExecutionOrder.PRIORITY_BASED
        # No memory arena: each weight's floats go back to the system after its product (measured,
        # ``understand`` on a 46 s answer: a 260 MB peak instead of 293 MB, for a step about 7%
        # slower, 21-22 ms instead of 20-21 ms). No memory pattern either: with the arena it planned
        # one block for a whole run's tensors at once (32 MB more).
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        options.add_session_config_entry(EXTERNAL_FOLDER_KEY, str(rebuilt.folder))
        for name, array in rebuilt.initializers.items():
            value = ort.OrtValue.ortvalue_from_numpy(array)
            options.add_initializer(name, value)
            self._held.append(value)
        self._held.append(rebuilt.initializers)
        return ort.InferenceSession(rebuilt.onnx, options, providers=["CPUExecutionProvider"])

    def original_session(self, ort: Any, path: Path) -> Any:
        """A session of the model file as shipped, which expands all its 8-bit weights at every run."""
        options = self.options(ort)
        # The memory arena stays on: without it every decoder step returns its ~170 MB of
        # dequantised weights to the system and faults them back in (measured, 50 steps after 8 s
        # of speech: 0.14 s a step and a 515 MB peak without the arena, 0.034 s and 407 MB with it).
        # No memory pattern: it would plan one block for a whole step's tensors at once (~200 MB more).
        options.enable_mem_pattern = False
        try:
            return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for a bad file
            raise RecognizerError(f"the Moonshine model {path} could not be loaded: {exc}") from exc

    def text(self, samples: npt.NDArray[np.int16], allowed: Sequence[str] | None = None) -> tuple[str, float]:
        """What Moonshine heard, normalised, and the lowest probability it gave a token of it. With
        ``allowed``, decoding stops early once the words cannot begin any of those phrases (the
        partial text returned then fits none of them). Without, long audio is decoded in pieces."""
        if allowed is None and len(samples) > MAX_PIECE_S * vad.RATE:
            heard = [self.piece_text(piece, None) for piece in pieces(samples)]
            return " ".join(t for t, _ in heard if t), min(c for _, c in heard)
        return self.piece_text(samples, allowed)

    def piece_text(self, samples: npt.NDArray[np.int16], allowed: Sequence[str] | None) -> tuple[str, float]:
        """``text`` for one piece of audio: at most ``TOKENS_PER_S`` decoder steps a second of it."""
        hidden = self.encode(samples)
        past: dict[str, npt.NDArray[np.float32]] = {}
        ids = [BOS]
        confidence = 1.0
        limit = int(len(samples) / vad.RATE * TOKENS_PER_S) + EXTRA_TOKENS
        for index in range(limit):
            logits = self.step(ids[-1], hidden, past).astype(np.float64)
            if index == 0:
                # Never end before the first word: speech the voice gate passed is never "nothing".
                # Moonshine ended at once on about half of espeak-ng's American replies (0.12-0.98
                # likely) and on some real "yes"/"stop"; the words it writes instead were mostly
                # right. What it writes for noise ("you", "so") answers nothing (turn.py's rules).
                logits[EOS] = -np.inf
            token = int(logits.argmax())
            confidence = min(confidence, 1.0 / float(np.exp(logits - logits[token]).sum()))
            if token == EOS:
                break
            ids.append(token)
            if allowed is not None:
                words = collapse(self.decode(ids[1:]))
                if not could_begin(words, allowed) or (self.tokens[token] in SENTENCE_END_BYTES and words in allowed):
                    break
        return self.decode(ids[1:]), confidence

    def encode(self, samples: npt.NDArray[np.int16]) -> npt.NDArray[np.float32]:
        """The encoder's hidden states for one piece of audio."""
        audio = (samples.astype(np.float32) / 32768.0)[None, :]
        hidden: npt.NDArray[np.float32] = self._encoder.run(None, {"input_values": audio})[0]
        return hidden

    def step(self, token: int, hidden: npt.NDArray[np.float32],
             past: dict[str, npt.NDArray[np.float32]]) -> npt.NDArray[np.float32]:
        """One decoder step after ``token``: the logits of the next token. ``past`` holds the attention
        caches (empty before the first step) and is updated."""
        first = not past
        if first:
            past.update({name: np.zeros((1, 8, 0, 52), dtype=np.float32) for name in self._past})
        out = self._decoder.run(None, {"input_ids": np.array([[token]], dtype=np.int64),
                                       "encoder_hidden_states": hidden, "use_cache_branch": np.array([not first]),
                                       **past})
        for name, value in zip(self._present, out[1:], strict=True):
            # The cross-attention cache is computed at the first step only; later steps return
            # placeholders for it, so keep the first.
            if first or ".encoder." not in name:
                past[name.replace("present.", "past_key_values.")] = value
        logits: npt.NDArray[np.float32] = out[0][0, -1]
        return logits

    def decode(self, ids: Sequence[int]) -> str:
        pieces = b"".join(self.tokens[i] for i in ids if 0 <= i < len(self.tokens) and i > EOS)
        return normalise(pieces.decode("utf-8", errors="replace").replace(WORD_START, " "))

    def transcribe(self, samples: npt.NDArray[np.int16], phrases: Sequence[str] | None) -> Transcript:
        result = Stopwatch(NAME, len(samples) / vad.RATE)
        allowed = constraint(phrases)
        # The whole utterance, not just its loud part: trimming to the voice gate's span (+0.3 s)
        # saved a little time but cost words ("no i haven't" → "no i am", "wow" → "no").
        if not vad.detect(samples).speech:
            return result(Status.NO_INPUT)
        words, confidence = self.text(samples, allowed)
        if allowed is None:  # dictation: every word as written ("no no" is kept)
            return result(Status.OK, words, confidence) if words else result(Status.NO_MATCH, confidence=confidence)
        heard = collapse(words)
        if not heard or heard not in allowed:
            return result(Status.NO_MATCH, confidence=confidence)
        return result(Status.OK, heard, confidence)


@functools.cache
def shared() -> MoonshineRecognizer:
    """One loaded model per process: loading takes about 0.35 s and ~100 MB."""
    return MoonshineRecognizer()


class OnFirstUse:
    """Moonshine, loaded the first time it is needed: a session whose answers pocketsphinx all
    understands never pays its memory (~100 MB loaded, ~80 MB more while decoding) or load time. The
    files are checked at once, so a broken install is reported when the recognizer is opened."""

    name = NAME

    def __init__(self) -> None:
        model_dir()
        if importlib.util.find_spec("onnxruntime") is None:
            raise RecognizerError("onnxruntime is not installed (pip install onnxruntime)")

    def transcribe(self, samples: npt.NDArray[np.int16], phrases: Sequence[str] | None) -> Transcript:
        return shared().transcribe(samples, phrases)
