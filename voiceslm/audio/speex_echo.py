"""A linear echo canceller: SpeexDSP's multidelay block frequency-domain filter (MDF), through ctypes.

AEC3 follows its linear filter with a residual-echo suppressor that, while a
person talks over the reply, takes much of their voice for echo and removes
it. MDF is an adaptive linear filter only: it subtracts its estimate of the
echo and leaves everything else, so a person's words come through double
talk whole (with some echo left under them, which Whisper hears past). Its
step size follows the residual-to-echo ratio, which keeps it from learning
the person's voice as echo. The library is Debian's `libspeexdsp1`
(BSD-3-Clause, on every architecture Debian builds; `scripts/setup.sh`
installs it); no Python package binds it without a compiler.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import numpy as np

from voiceslm.errors import UserError

SET_SAMPLING_RATE = 24
"""SPEEX_ECHO_SET_SAMPLING_RATE in speex_echo.h."""


@functools.cache
def _library() -> ctypes.CDLL:
    name = ctypes.util.find_library("speexdsp") or "libspeexdsp.so.1"
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:
        raise UserError(
            "The linear echo canceller needs SpeexDSP; run: apt-get install libspeexdsp1 (scripts/setup.sh does)."
        ) from exc
    lib.speex_echo_state_init.restype = ctypes.c_void_p
    lib.speex_echo_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.speex_echo_state_destroy.argtypes = [ctypes.c_void_p]
    lib.speex_echo_cancellation.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    lib.speex_echo_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    return lib


def available() -> bool:
    try:
        _library()
    except UserError:
        return False
    return True


class LinearCanceller:
    """Microphone and far end (float32 at `sample_rate`, aligned so the echo lags the far end a little)
    in, the microphone less the filter's estimate of the echo out. Not thread-safe."""

    def __init__(self, sample_rate: int = 16000, frame: int = 160, filter_s: float = 0.256) -> None:
        lib = _library()
        self.frame = frame
        self._lib = lib
        self._state = lib.speex_echo_state_init(frame, round(filter_s * sample_rate))
        if not self._state:
            raise UserError("SpeexDSP could not make an echo canceller; check libspeexdsp1 is installed whole.")
        rate = ctypes.c_int(sample_rate)
        lib.speex_echo_ctl(self._state, SET_SAMPLING_RATE, ctypes.byref(rate))

    def process(self, mic: np.ndarray, far: np.ndarray) -> np.ndarray:
        """Whole frames of `mic` and `far` (the same length) in, as many samples out."""
        frames = min(mic.size, far.size) // self.frame
        n = frames * self.frame
        rec = _int16(mic[:n])
        play = _int16(far[:n])
        out = np.empty(n, dtype=np.int16)
        step = self.frame * 2
        rec_at, play_at, out_at = rec.ctypes.data, play.ctypes.data, out.ctypes.data
        for i in range(frames):
            self._lib.speex_echo_cancellation(self._state, rec_at + i * step, play_at + i * step, out_at + i * step)
        return out.astype(np.float32) / 32768.0

    def close(self) -> None:
        if self._state:
            self._lib.speex_echo_state_destroy(self._state)
            self._state = None

    def __del__(self) -> None:
        self.close()


def _int16(samples: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.clip(np.round(samples * 32768.0), -32768, 32767).astype(np.int16))
