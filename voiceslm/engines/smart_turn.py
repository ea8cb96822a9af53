"""End of turn from the voice itself: the Smart Turn v3 model.

A fixed silence cannot tell "one ... two ... three" from "one.": both stop for
the same half second. Smart Turn reads the last 8 s of raw audio (Whisper's
log-mel features, so pitch and pace as well as words) and gives the
probability that the speaker has finished. Asked at a short pause, it lets a
finished turn end at once and an unfinished one wait longer.

The model is an 8.7 MB ONNX file (BSD-2-Clause) taken from the pipecat-ai
wheel into the model store; it runs on onnxruntime, already a dependency, in
about 10-70 ms a call on one CPU thread.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from pathlib import Path
from typing import Protocol

import numpy as np

from voiceslm.errors import ModelMissingError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
"""Hertz of the audio the model reads."""
WINDOW_S = 8
"""Seconds of audio the model reads: the end of the turn, zero-padded in front when shorter."""
MODEL_FILE = "model.onnx"
_N_MELS = 80
# Whisper's feature extractor normalises the waveform to zero mean and unit
# variance first (transformers' do_normalize=True), as the model was trained.
_VARIANCE_EPS = 1e-7


def features(audio: np.ndarray) -> np.ndarray:
    """The model's input for `audio` (16 kHz mono float32): float32 [1, 80, 800]."""
    samples = WINDOW_S * SAMPLE_RATE
    window = np.asarray(audio, dtype=np.float32)[-samples:]
    if window.size < samples:
        window = np.pad(window, (samples - window.size, 0))
    window = (window - window.mean()) / np.sqrt(window.var() + _VARIANCE_EPS)
    mel = _feature_extractor()(window, padding=0)
    return np.ascontiguousarray(mel[np.newaxis, :, : WINDOW_S * 100], dtype=np.float32)


@functools.cache
def _feature_extractor():  # noqa: ANN202 - faster_whisper's FeatureExtractor, imported lazily
    from faster_whisper.feature_extractor import FeatureExtractor

    return FeatureExtractor(feature_size=_N_MELS, sampling_rate=SAMPLE_RATE, chunk_length=WINDOW_S)


class TurnModel(Protocol):
    """What the listener asks at a pause: `SmartTurn`, or a test's scripted stand-in."""

    def probability(self, audio: np.ndarray) -> float: ...


class SmartTurn:
    """Probability that a turn is complete, from its audio; thread-safe."""

    def __init__(self, session: object) -> None:
        self._session = session
        self._lock = threading.Lock()

    @classmethod
    def load(cls, model_dir: Path, threads: int = 1) -> SmartTurn:
        """Load the model from its store directory (call from a worker thread)."""
        import onnxruntime

        path = Path(model_dir) / MODEL_FILE
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Basic optimisations only: the extended ones fuse the model's quantised
        # layers into int8 kernels whose result depends on the CPU. On AVX2
        # without VNNI they scored finished dev sentences well below the model's
        # own answer (JFK 0.41 against 0.70, a LibriVox line 0.15 against 0.45),
        # so the same turn ended on one machine and waited on another; unfused
        # a call costs about 130 ms instead of 75 ms on one x86_64 core.
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
        # Called a few times a turn: idle threads must not spin on the cores
        # speech-to-text needs right after.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            session = onnxruntime.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own unrelated types for a bad file
            raise ModelMissingError(
                f"The turn model {path} cannot be loaded ({str(exc).splitlines()[0]}); "
                f"run: voiceslm models install --force {Path(model_dir).name}"
            ) from exc
        return cls(session)

    def probability(self, audio: np.ndarray) -> float:
        """How likely the speaker has finished, given the turn's audio up to now."""
        started = time.perf_counter()
        inputs = {"input_features": features(audio)}
        with self._lock:
            if self._session is None:
                raise RuntimeError("the turn model is closed")
            (output,) = self._session.run(None, inputs)  # type: ignore[attr-defined]
        probability = float(np.asarray(output).reshape(-1)[0])
        log.debug("turn model: p(complete)=%.2f in %.0f ms", probability, (time.perf_counter() - started) * 1000)
        return probability

    def close(self) -> None:
        with self._lock:
            self._session = None
