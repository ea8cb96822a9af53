"""Acoustic echo cancellation in process: WebRTC's AEC3 with what voiceslm itself plays.

On open speakers the microphone hears the reply, and without a canceller the
reply interrupts itself. AEC3 (through `pywebrtc-audio`, Apache-2.0) removes
the echo of a known far-end signal from the microphone: it needs, for every
10 ms of microphone audio, the 10 ms that the speaker played at the same
moment. The speaker path records each chunk it hands to the device with the
monotonic time it reaches the air (`FarEnd.push`, from the output stream's
own latency report); the capture path asks for the far-end audio of the same
time (the input stream's latency already taken off its stamps), so both are
aligned on one clock. What the clocks miss (the room, a sound server's own
buffering) is within what AEC3's delay estimator finds by itself, and a gap
in playback (an underrun, a reopened device) is silence in the reference,
not a shift of everything after it.
"""

from __future__ import annotations

import collections
import logging
import threading

import numpy as np

from voiceslm.errors import UserError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
"""Hertz of both the microphone audio and the far-end reference given to the canceller."""
FRAME = SAMPLE_RATE // 100
"""Samples in one 10 ms frame, the unit WebRTC's audio processing works in."""
KEEP_S = 3.0
"""Seconds of played audio kept for the microphone to catch up with."""
ADAPT_S = 2.5
"""Seconds of reply a new canceller needs before its output can be trusted: on speech through a simulated
room (40-190 ms of delay, a reverberant tail, -16 to -4 dB) echo leaked as runs of speech up to 2.1 s in,
never after (tests/test_echo_cancel.py). Until then the microphone is guarded as in half-duplex."""


class FarEnd:
    """What the speaker played, at 16 kHz, each chunk stamped with when it reached the air.

    `push` is called from the output stream's callback (cheap: a resample and an
    append under a lock); `window` from the capture side's worker.
    """

    def __init__(self, keep_s: float = KEEP_S) -> None:
        self._chunks: collections.deque[tuple[float, np.ndarray]] = collections.deque()
        self._keep_s = keep_s
        self._lock = threading.Lock()
        self._resampler: object | None = None
        self._resampler_rate = 0

    def push(self, samples: np.ndarray, sample_rate: int, reaches_air_at: float) -> None:
        """Record `samples` (float32 mono at `sample_rate`) as heard from monotonic `reaches_air_at` on."""
        if samples.size == 0:
            return
        mono = np.asarray(samples, dtype=np.float32)
        if sample_rate != SAMPLE_RATE:
            mono = self._resample(mono, sample_rate)
        with self._lock:
            self._chunks.append((reaches_air_at, mono))
            while self._chunks and self._chunks[0][0] < reaches_air_at - self._keep_s:
                self._chunks.popleft()

    def _resample(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        import soxr

        if self._resampler is None or self._resampler_rate != sample_rate:
            self._resampler = soxr.ResampleStream(sample_rate, SAMPLE_RATE, 1, dtype="float32")
            self._resampler_rate = sample_rate
        return self._resampler.resample_chunk(samples)  # type: ignore[attr-defined]

    def window(self, start: float, count: int) -> np.ndarray:
        """The `count` samples heard from monotonic `start` on; silence where nothing was playing."""
        out = np.zeros(count, dtype=np.float32)
        end = start + count / SAMPLE_RATE
        with self._lock:
            chunks = [
                (at, samples) for at, samples in self._chunks if at < end and at + samples.size / SAMPLE_RATE > start
            ]
        for at, samples in chunks:
            offset = round((at - start) * SAMPLE_RATE)
            first = max(0, -offset)
            last = min(samples.size, count - offset)
            if last > first:
                out[offset + first : offset + last] = samples[first:last]
        return out

    def clear(self) -> None:
        """Forget what was played (after a reopened device the old stamps mean nothing)."""
        with self._lock:
            self._chunks.clear()


class EchoCanceller:
    """Microphone audio in, the same audio without the speaker's echo out (16 kHz mono float32).

    Optionally also WebRTC's noise suppressor and its digital gain control
    (AGC2), which adjusts the samples only: the system's microphone volume is
    never touched. Not thread-safe: one capture worker calls `process`.
    """

    def __init__(self, far_end: FarEnd, *, noise_suppression: bool = False, gain_control: bool = False) -> None:
        try:
            from pywebrtc_audio import AudioProcessor
        except ImportError as exc:
            raise UserError(
                "Echo cancellation needs the pywebrtc-audio package; run: pip install pywebrtc-audio==0.2.0 "
                "(or set echo.mode to half-duplex)."
            ) from exc
        self._processor = AudioProcessor(
            sample_rate=SAMPLE_RATE,
            echo_cancellation=True,
            noise_suppression=noise_suppression,
            auto_gain_control=gain_control,
        )
        self._far_end = far_end
        self._pending = np.zeros(0, dtype=np.float32)
        self._pending_at = 0.0

    def process(self, samples: np.ndarray, captured_at: float) -> tuple[np.ndarray, float]:
        """Cancel the echo in one capture block captured from monotonic `captured_at`.

        Returns the processed samples and the capture time of their first one:
        whole 10 ms frames only, so a block's last few samples come out with the next.
        """
        if self._pending.size:
            start = self._pending_at
            data = np.concatenate([self._pending, np.asarray(samples, dtype=np.float32)])
        else:
            start = captured_at
            data = np.asarray(samples, dtype=np.float32)
        frames = data.size // FRAME
        out = np.empty(frames * FRAME, dtype=np.float32)
        far = self._far_end.window(start, frames * FRAME)
        for i in range(frames):
            part = slice(i * FRAME, (i + 1) * FRAME)
            out[part] = self._processor.process(data[part], far[part])
        self._pending = data[frames * FRAME :].copy()
        self._pending_at = start + frames * FRAME / SAMPLE_RATE
        return out, start

    def reset(self) -> None:
        """Start adapting afresh (the echo path changed: another device, a reopened stream)."""
        self._processor.reset()
        self._pending = np.zeros(0, dtype=np.float32)
