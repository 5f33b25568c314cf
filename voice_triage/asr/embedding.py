"""Speech embeddings: Google's speech-embedding network, run by TensorFlow Lite, no download.

The ``pyopen-wakeword`` wheel (Apache-2.0) carries two small TensorFlow Lite models and the TFLite C
runtime: a mel filterbank (32 bands, 10 ms hop) and Google's speech-embedding network, which turns
each 775 ms window of mel frames into 96 numbers, every 80 ms. The network was trained on a large
amount of real speech to tell words apart, which is what makes a tiny classifier on top of it
(``asr_spotter.py``) hold up on voices it never heard. This module only loads the files from that
wheel and runs them through ``ctypes``; it knows nothing about answers.
"""

from __future__ import annotations

import ctypes
import functools
import os
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ..errors import RecognizerError
from ..settings import SAMPLE_RATE

RATE: Final = SAMPLE_RATE
MEL_BANDS: Final = 32
#: Mel frames per embedding window (775 ms) and the step between windows (80 ms): fixed by the
#: embedding network, which was trained on exactly these shapes.
WINDOW_FRAMES: Final = 76
STEP_FRAMES: Final = 8
FEATURES: Final = 96


def _package_dir() -> Path:
    try:
        import pyopen_wakeword
    except ImportError as exc:
        raise RecognizerError(f"the speech-embedding models are missing (pip install pyopen-wakeword): {exc}") from exc
    return Path(pyopen_wakeword.__file__).parent


class _TfLite:
    """One TensorFlow Lite interpreter over a model file, input resized to each call's shape."""

    def __init__(self, lib: Any, model: Path) -> None:
        self._lib = lib
        self._model = lib.TfLiteModelCreateFromFile(str(model).encode())
        if not self._model:
            raise RecognizerError(f"TensorFlow Lite could not load {model}")
        self._interpreter = lib.TfLiteInterpreterCreate(self._model, None)
        self._shape: tuple[int, ...] = ()

    def __call__(self, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        lib, interp = self._lib, self._interpreter
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.shape != self._shape:  # resizing re-plans memory: only when the shape changes
            dims = (ctypes.c_int32 * x.ndim)(*x.shape)
            if lib.TfLiteInterpreterResizeInputTensor(interp, 0, dims, x.ndim) != 0 or \
                    lib.TfLiteInterpreterAllocateTensors(interp) != 0:
                raise RecognizerError(f"TensorFlow Lite refused an input of shape {x.shape}")
            self._shape = x.shape
        tensor = lib.TfLiteInterpreterGetInputTensor(interp, 0)
        lib.TfLiteTensorCopyFromBuffer(tensor, x.ctypes.data_as(ctypes.c_void_p), x.nbytes)
        if lib.TfLiteInterpreterInvoke(interp) != 0:
            raise RecognizerError("TensorFlow Lite failed to run the speech-embedding model")
        out = lib.TfLiteInterpreterGetOutputTensor(interp, 0)
        y = np.empty(lib.TfLiteTensorByteSize(out) // 4, dtype=np.float32)
        lib.TfLiteTensorCopyToBuffer(out, y.ctypes.data_as(ctypes.c_void_p), y.nbytes)
        return y


@functools.cache
def _library(path: Path) -> Any:
    lib = ctypes.CDLL(str(path), mode=os.RTLD_GLOBAL)
    p, i32, size = ctypes.c_void_p, ctypes.c_int32, ctypes.c_size_t
    signatures: dict[str, tuple[list[Any], Any]] = {
        "TfLiteModelCreateFromFile": ([ctypes.c_char_p], p),
        "TfLiteInterpreterCreate": ([p, p], p),
        "TfLiteInterpreterResizeInputTensor": ([p, i32, ctypes.POINTER(i32), i32], ctypes.c_int),
        "TfLiteInterpreterAllocateTensors": ([p], ctypes.c_int),
        "TfLiteInterpreterInvoke": ([p], ctypes.c_int),
        "TfLiteInterpreterGetInputTensor": ([p, i32], p),
        "TfLiteInterpreterGetOutputTensor": ([p, i32], p),
        "TfLiteTensorByteSize": ([p], size),
        "TfLiteTensorCopyFromBuffer": ([p, p, size], ctypes.c_int),
        "TfLiteTensorCopyToBuffer": ([p, p, size], ctypes.c_int),
    }
    for name, (args, result) in signatures.items():
        function = getattr(lib, name)
        function.argtypes, function.restype = args, result
    return lib


class SpeechEmbedder:
    """Audio (16 kHz int16) → one 96-number embedding per 80 ms step (at least one)."""

    def __init__(self) -> None:
        root = _package_dir()
        libs = sorted((root / "lib").glob("*tensorflowlite_c*"))
        if not libs:
            raise RecognizerError(f"no TensorFlow Lite runtime in {root / 'lib'}")
        try:
            lib = _library(libs[0])
        except OSError as exc:
            raise RecognizerError(f"could not load the TensorFlow Lite runtime {libs[0]}: {exc}") from exc
        self._mel = _TfLite(lib, root / "models" / "melspectrogram.tflite")
        self._embed = _TfLite(lib, root / "models" / "embedding_model.tflite")

    def mel(self, samples: npt.NDArray[np.int16]) -> npt.NDArray[np.float32]:
        """Mel frames (n, 32), scaled the way the embedding network was trained (x / 10 + 2)."""
        frames = self._mel(samples.astype(np.float32)[None, :]).reshape(-1, MEL_BANDS)
        return frames / 10.0 + 2.0

    def __call__(self, samples: npt.NDArray[np.int16]) -> npt.NDArray[np.float32]:
        mels = self.mel(samples)
        if len(mels) < WINDOW_FRAMES:  # shorter than one window: pad with its quietest frame
            fill = mels.min(axis=0, keepdims=True) if len(mels) else np.zeros((1, MEL_BANDS), np.float32)
            mels = np.concatenate([np.repeat(fill, WINDOW_FRAMES - len(mels), axis=0), mels])
        starts = range(0, len(mels) - WINDOW_FRAMES + 1, STEP_FRAMES)
        batch = np.stack([mels[s:s + WINDOW_FRAMES] for s in starts])[..., None]
        return self._embed(batch).reshape(len(batch), FEATURES)
