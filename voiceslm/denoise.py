"""Noise suppressors for speech in noise (markets, vehicles, wind), measured before they are trusted.

Whisper was trained on noisy speech, and a suppressor's artefacts can cost it
more words than the noise did, so none is applied by default: `voiceslm eval
--noise` measures word error per signal-to-noise ratio with and without each.

- `webrtc`: WebRTC's noise suppressor (pywebrtc-audio, Apache-2.0), 10 ms
  frames at 16 kHz, levels 0-3 (6, 12, 18, 21 dB).
- `rnnoise`: Xiph's RNNoise, a small recurrent network (BSD-3-Clause), from the
  `pyrnnoise` wheel's own library (x86_64 only; installed with --no-deps, its
  Python wrapper's heavy dependencies are not needed), 10 ms frames at 48 kHz.
"""

from __future__ import annotations

import ctypes
import importlib.util
from pathlib import Path
from typing import Protocol

import numpy as np

from voiceslm.errors import UserError

SAMPLE_RATE = 16000
SUPPRESSORS = ("webrtc", "rnnoise")


class Suppressor(Protocol):
    name: str

    def process(self, audio: np.ndarray) -> np.ndarray:
        """16 kHz mono float32 in, the same length out, with less noise."""
        ...


class WebRtcSuppressor:
    def __init__(self, level: int = 1) -> None:
        try:
            from pywebrtc_audio import NoiseSuppressor
        except ImportError as exc:
            raise UserError(
                "The webrtc noise suppressor needs pywebrtc-audio; run: pip install pywebrtc-audio."
            ) from exc
        self.name = f"webrtc-{level}"
        self._suppressor = NoiseSuppressor(sample_rate=SAMPLE_RATE, level=level)

    def process(self, audio: np.ndarray) -> np.ndarray:
        frame = SAMPLE_RATE // 100
        padded = np.pad(np.asarray(audio, dtype=np.float32), (0, -audio.size % frame))
        out = np.concatenate([self._suppressor.process(padded[i : i + frame]) for i in range(0, padded.size, frame)])
        return out[: audio.size]


class RnnoiseSuppressor:
    RATE = 48000
    FRAME = 480

    def __init__(self) -> None:
        self.name = "rnnoise"
        library = _rnnoise_library()
        library.rnnoise_create.restype = ctypes.c_void_p
        library.rnnoise_create.argtypes = [ctypes.c_void_p]
        library.rnnoise_destroy.argtypes = [ctypes.c_void_p]
        library.rnnoise_process_frame.restype = ctypes.c_float
        samples = ctypes.POINTER(ctypes.c_float)
        library.rnnoise_process_frame.argtypes = [ctypes.c_void_p, samples, samples]
        self._library = library

    def process(self, audio: np.ndarray) -> np.ndarray:
        import soxr

        state = self._library.rnnoise_create(None)
        try:
            # RNNoise works on 16-bit-scaled float samples at 48 kHz.
            high = soxr.resample(np.asarray(audio, dtype=np.float32), SAMPLE_RATE, self.RATE) * 32768.0
            high = np.ascontiguousarray(np.pad(high, (0, -high.size % self.FRAME)), dtype=np.float32)
            pointer = ctypes.POINTER(ctypes.c_float)
            for start in range(0, high.size, self.FRAME):
                frame = high[start : start + self.FRAME]
                address = frame.ctypes.data_as(pointer)
                self._library.rnnoise_process_frame(state, address, address)
        finally:
            self._library.rnnoise_destroy(state)
        out = soxr.resample(high / 32768.0, self.RATE, SAMPLE_RATE).astype(np.float32)
        return np.pad(out, (0, max(0, audio.size - out.size)))[: audio.size]


def _rnnoise_library() -> ctypes.CDLL:
    # Found without importing the package, whose __init__ needs its heavy extras.
    spec = importlib.util.find_spec("pyrnnoise")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = Path(location) / "librnnoise.so"
        if path.is_file():
            return ctypes.CDLL(str(path))
    raise UserError("The rnnoise suppressor needs the pyrnnoise wheel; run: pip install --no-deps pyrnnoise==0.4.5.")


def available() -> list[str]:
    """The suppressors this machine has (RNNoise's wheel is x86_64 only)."""
    names = ["webrtc"] if importlib.util.find_spec("pywebrtc_audio") else []
    if importlib.util.find_spec("pyrnnoise"):
        names.append("rnnoise")
    return names


def suppressor(name: str) -> Suppressor:
    """The suppressor called `name` (webrtc, webrtc-0..3, rnnoise); UserError for another name."""
    if name == "rnnoise":
        return RnnoiseSuppressor()
    if name == "webrtc":
        return WebRtcSuppressor()
    if name.startswith("webrtc-") and name[7:] in ("0", "1", "2", "3"):
        return WebRtcSuppressor(int(name[7:]))
    raise UserError(f"Unknown noise suppressor {name!r}; use one of webrtc, webrtc-0..3 or rnnoise.")


def mix(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """`speech` with `noise` (looped or cut to its length) added at `snr_db` decibels below it."""
    reps = -(-speech.size // max(noise.size, 1))
    bed = np.tile(noise, reps)[: speech.size]
    speech_power = float(np.mean(np.square(speech))) or 1e-12
    noise_power = float(np.mean(np.square(bed))) or 1e-12
    scaled = bed * np.sqrt(speech_power / (noise_power * 10 ** (snr_db / 10)))
    return np.clip(speech + scaled, -1.0, 1.0).astype(np.float32)
