"""Voice activity on a live stream: the Silero VAD model, one frame at a time.

`SileroVad` runs the Silero VAD model that ships inside faster-whisper's wheel
one 512-sample frame (32 ms at 16 kHz) at a time, carrying the model's LSTM
state and the 64-sample context from frame to frame the way
`faster_whisper.vad.SileroVADModel` does for a whole file, so a frame's
probability depends on everything heard before it.

Turn detection on top of these probabilities is `voiceslm.pipeline.turns`.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np

from voiceslm.errors import UserError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
"""Hertz: the only rate this Silero model is run at here."""
FRAME_SAMPLES = 512
"""Samples per VAD frame (32 ms): the window the 16 kHz model was trained on."""
FRAME_S = FRAME_SAMPLES / SAMPLE_RATE
_CONTEXT_SAMPLES = 64
_STATE_SHAPE = (1, 1, 128)


def silero_model_path() -> Path:
    from faster_whisper.utils import get_assets_path

    return Path(get_assets_path()) / "silero_vad_v6.onnx"


class VoiceActivity(ABC):
    """A streaming voice-activity detector: one probability per 512-sample frame, state carried over."""

    @abstractmethod
    def reset(self) -> None:
        """Forget everything heard so far (a new stream, or audio was skipped)."""

    @abstractmethod
    def probability(self, frame: np.ndarray) -> float:
        """Probability that one 512-sample, 16 kHz frame holds speech."""


def silero_session(model_path: Path | None = None) -> object:
    """The Silero model as an ONNX Runtime session; detectors may share one (each keeps its own state)."""
    import onnxruntime

    path = model_path or silero_model_path()
    if not path.exists():
        raise UserError(
            f"The Silero VAD model {path} is missing; reinstall faster-whisper (pip install faster-whisper)."
        )
    options = onnxruntime.SessionOptions()
    # One frame is ~0.2 ms of work: more threads only add hand-over cost,
    # and the cores are needed by speech-to-text and the language model.
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = 1
    options.enable_cpu_mem_arena = False
    options.log_severity_level = 4
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"], sess_options=options)


class SileroVad(VoiceActivity):
    """Speech probability per 32 ms frame, with state carried across frames."""

    def __init__(self, model_path: Path | None = None, *, session: object | None = None) -> None:
        self._session: Any = session if session is not None else silero_session(model_path)
        self.reset()

    def reset(self) -> None:
        """Forget everything heard so far (a new stream, or audio was skipped)."""
        self._h = np.zeros(_STATE_SHAPE, dtype=np.float32)
        self._c = np.zeros(_STATE_SHAPE, dtype=np.float32)
        self._context = np.zeros(_CONTEXT_SAMPLES, dtype=np.float32)

    def probability(self, frame: np.ndarray) -> float:
        """Probability that one 512-sample, 16 kHz frame holds speech."""
        if frame.shape != (FRAME_SAMPLES,):
            raise ValueError(f"a VAD frame is {FRAME_SAMPLES} samples, not {frame.shape}")
        frame = frame.astype(np.float32, copy=False)
        window = np.concatenate([self._context, frame])[np.newaxis, :]
        output, self._h, self._c = self._session.run(None, {"input": window, "h": self._h, "c": self._c})
        self._context = frame[-_CONTEXT_SAMPLES:].copy()
        return float(np.asarray(output).reshape(-1)[0])
