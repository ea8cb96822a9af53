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
import functools
import logging
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from voiceslm.audio.recancel import History, recancel
from voiceslm.errors import UserError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
"""Hertz of both the microphone audio and the far-end reference given to the canceller."""
FRAME = SAMPLE_RATE // 100
"""Samples in one 10 ms frame, the unit WebRTC's audio processing works in."""
KEEP_S = 3.0
"""Seconds of played audio kept for the microphone to catch up with."""
PLAYED_S = 20.0
"""Seconds of played audio kept for a barge-in's words to be cancelled again (`recancel.KEEP_S`)."""
ADAPT_S = 2.5
"""Seconds of reply a new canceller needs before its output can be trusted: on speech through a simulated
room (40-190 ms of delay, a reverberant tail, -16 to -4 dB) echo leaked as runs of speech up to 2.1 s in,
never after (tests/test_echo_cancel.py). Until then the microphone is guarded as in half-duplex."""
REFERENCE_LEAD_S = 0.1
"""The far end is filed this much before the stamps say it reaches the air. AEC3 finds any delay of the
echo behind its reference, never one ahead of it, and the stamps of two PulseAudio streams were off by
up to 80 ms between runs: a margin keeps the echo behind the reference."""
SOUNDING = 1e-4
"""A far-end frame louder than this (peak) counts as sound the canceller adapts on; silence teaches it nothing."""
TRUSTED_ERLE_DB = 15.0
"""Echo reduction, over the last second of played sound, that a canceller must reach before the microphone
is live during playback. A fixed time alone was not enough on the looped-back virtual speaker: a canceller
at 8-13 dB after 2.5 s let a reply's echo through as speech in 2 of 4 replies."""
ECHO_GATE_DB = 18.0
"""A 10 ms frame the canceller made this much quieter than the microphone heard it was nearly all echo,
and what is left of it is silenced. Silero VAD judges the shape of a sound more than its level, and now
and then took a trusted canceller's residual echo (16-21 dB down on some PulseAudio servers) for speech.
A person talking over the reply is not cancelled: at 0 dB speech-to-echo their frames lose a few dB."""
QUIET_ECHO = 1e-6
"""Mean energy per sample of the microphone while sound plays below which there is no echo to cancel
(headphones, a muted speaker): nothing to wait for."""


class Timeline:
    """Where each block of one stream sits on the monotonic clock, continuous from block to block.

    A callback's stamp jitters by milliseconds (it is computed when the callback
    runs); placing every block at its own stamp would shift the reference against
    the microphone a little at every block, an echo path that never holds still,
    and AEC3 would never converge (6 dB instead of 15-20). So a block follows the
    previous one exactly, and the stamps only re-anchor the line when they
    disagree with it for `patience` blocks running (an underrun, a stall, drift
    between two devices' clocks) or by more than `jump_s` at once.
    """

    def __init__(self, tolerance_s: float = 0.06, patience: int = 20, jump_s: float = 0.25) -> None:
        self.tolerance_s = tolerance_s
        self.patience = patience
        self.jump_s = jump_s
        self._next: float | None = None
        self._misses = 0
        self.anchors = 0
        """How often the line was re-anchored to the stamps (the first block included)."""

    def place(self, stamp: float, seconds: float) -> float:
        """The time to use for a block stamped `stamp` lasting `seconds`."""
        at = self._next
        if at is None or abs(stamp - at) > self.jump_s:
            at = self._anchor(stamp)
        elif abs(stamp - at) > self.tolerance_s:
            self._misses += 1
            if self._misses >= self.patience:
                at = self._anchor(stamp)
        else:
            self._misses = 0
        self._next = at + seconds
        return at

    def _anchor(self, stamp: float) -> float:
        log.debug("timeline re-anchored by %+.3f s", stamp - self._next if self._next is not None else 0.0)
        self._misses = 0
        self.anchors += 1
        return stamp

    def reset(self) -> None:
        self._next = None
        self._misses = 0


class FarEnd:
    """What the speaker played, at 16 kHz, each chunk stamped with when it reached the air.

    `push` is called from the output stream's callback (cheap: a resample and an
    append under a lock); `window` from the capture side's worker.
    """

    def __init__(self, keep_s: float = KEEP_S) -> None:
        self._chunks: collections.deque[tuple[float, np.ndarray]] = collections.deque()
        self._played: collections.deque[tuple[float, np.ndarray]] = collections.deque()
        """The same chunks for PLAYED_S: by the end of a turn every one has been pushed, while the microphone,
        asking for the newest, can be ahead of a speaker that was late to push them (holes in its reference)."""
        self._keep_s = keep_s
        self._lock = threading.Lock()
        self._resampler: Any = None  # a soxr.ResampleStream, imported when first needed
        self._resampler_rate = 0
        self.generation = 0
        """Counts `clear` calls: a canceller that sees it change starts adapting afresh."""
        self.timeline = Timeline()

    def push(self, samples: np.ndarray, sample_rate: int, reaches_air_at: float) -> None:
        """Record `samples` (float32 mono at `sample_rate`) as heard from monotonic `reaches_air_at` on."""
        if samples.size == 0:
            return
        mono = np.asarray(samples, dtype=np.float32)
        if sample_rate != SAMPLE_RATE:
            mono = self._resample(mono, sample_rate)
        if mono.size == 0:  # the resampler holds the first few samples back
            return
        with self._lock:
            at = self.timeline.place(reaches_air_at - REFERENCE_LEAD_S, mono.size / SAMPLE_RATE)
            self._chunks.append((at, mono))
            while self._chunks and self._chunks[0][0] < at - self._keep_s:
                self._chunks.popleft()
            self._played.append((at, mono))
            while self._played and self._played[0][0] < at - PLAYED_S:
                self._played.popleft()

    def _resample(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        import soxr

        if self._resampler is None or self._resampler_rate != sample_rate:
            self._resampler = soxr.ResampleStream(sample_rate, SAMPLE_RATE, 1, dtype="float32")
            self._resampler_rate = sample_rate
        return self._resampler.resample_chunk(samples)

    def window(self, start: float, count: int, *, played: bool = False) -> np.ndarray:
        """The `count` samples heard from monotonic `start` on; silence where nothing was playing.
        `played`: from the last PLAYED_S rather than the last few seconds."""
        out = np.zeros(count, dtype=np.float32)
        end = start + count / SAMPLE_RATE
        with self._lock:
            chunks = [
                (at, samples)
                for at, samples in (self._played if played else self._chunks)
                if at < end and at + samples.size / SAMPLE_RATE > start
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
            self._played.clear()
            self._resampler = None
            self.timeline.reset()
            self.generation += 1


class EchoCanceller:
    """Microphone audio in, the same audio without the speaker's echo out (16 kHz mono float32).

    Optionally also WebRTC's noise suppressor and its digital gain control
    (AGC2), which adjusts the samples only: the system's microphone volume is
    never touched. Not thread-safe: one capture worker calls `process`.
    """

    def __init__(
        self,
        far_end: FarEnd,
        *,
        adapt_s: float = ADAPT_S,
        noise_suppression: bool = False,
        gain_control: bool = False,
    ) -> None:
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
        self.noise_suppression = noise_suppression
        self.history = History()
        """Raw microphone and far end of the last seconds, for `EchoPath.recancel`."""
        self._generation = far_end.generation
        self._pending = np.zeros(0, dtype=np.float32)
        self._timeline = Timeline()
        self.adapt_s = adapt_s
        self.adapted_s = 0.0
        """Seconds of far-end sound processed since the last reset (what the canceller has adapted on)."""
        self.resets = 0
        self._reset_requested = False
        self._recent: collections.deque[tuple[float, float]] = collections.deque(maxlen=SAMPLE_RATE // FRAME)
        self._trusted = False
        self._anchors: int | None = None
        self.moves = 0
        """How often the echo path's delay moved (a stream re-anchored) while the canceller was trusted."""

    @property
    def adapting(self) -> bool:
        """True until a fresh canceller has heard `adapt_s` of played sound and removes TRUSTED_ERLE_DB of
        its echo: until then echo may leak through as speech. Once trusted it stays so until a reset
        (double talk lowers the measured reduction, and must not deafen the microphone)."""
        return not self._trusted

    @property
    def erle_db(self) -> float:
        """Echo reduction over the last second of played sound (0 before any)."""
        mic = sum(m for m, _ in self._recent)
        out = sum(o for _, o in self._recent)
        return 10 * float(np.log10((mic + 1e-12) / (out + 1e-12))) if self._recent else 0.0

    def request_reset(self) -> None:
        """Reset before the next block (safe from any thread: `process` does it in its own)."""
        self._reset_requested = True

    def process(self, samples: np.ndarray, captured_at: float) -> tuple[np.ndarray, float]:
        """Cancel the echo in one capture block captured from monotonic `captured_at`.

        Returns the processed samples and the capture time of their first one:
        whole 10 ms frames only, so a block's last few samples come out with the next.
        """
        if self._reset_requested or self._generation != self._far_end.generation:
            self.reset()
        self._watch_delay()
        samples = np.asarray(samples, dtype=np.float32)
        at = self._timeline.place(captured_at, samples.size / SAMPLE_RATE)
        start = at - self._pending.size / SAMPLE_RATE
        data = np.concatenate([self._pending, samples]) if self._pending.size else samples
        frames = data.size // FRAME
        out = np.empty(frames * FRAME, dtype=np.float32)
        far = self._far_end.window(start, frames * FRAME)
        self.history.add(start, data[: frames * FRAME], far)
        for i in range(frames):
            part = slice(i * FRAME, (i + 1) * FRAME)
            out[part] = self._processor.process(data[part], far[part])
        if frames:
            if not self._trusted:
                self._measure(data[: frames * FRAME], far, out, frames)
            self._gate(data[: frames * FRAME], out, frames)
        self._pending = data[frames * FRAME :].copy()
        return out, start

    def _measure(self, mic: np.ndarray, far: np.ndarray, out: np.ndarray, frames: int) -> None:
        sounding = np.abs(far.reshape(frames, FRAME)).max(axis=1) > SOUNDING
        if not sounding.any():
            return
        mic_energy = np.square(mic.reshape(frames, FRAME)).sum(axis=1)[sounding]
        out_energy = np.square(out.reshape(frames, FRAME)).sum(axis=1)[sounding]
        self._recent.extend(zip(mic_energy.tolist(), out_energy.tolist(), strict=True))
        self.adapted_s += float(np.count_nonzero(sounding)) * FRAME / SAMPLE_RATE
        if self.adapted_s < self.adapt_s or len(self._recent) < SAMPLE_RATE // FRAME // 2:
            return
        quiet = sum(m for m, _ in self._recent) / (len(self._recent) * FRAME) < QUIET_ECHO
        if quiet or self.erle_db >= TRUSTED_ERLE_DB:
            self._trusted = True
            log.debug("echo canceller trusted after %.1f s of played sound (%.0f dB)", self.adapted_s, self.erle_db)

    def _watch_delay(self) -> None:
        """A stream's timeline re-anchored: the echo's delay moved (PulseAudio grew a buffer after an underrun,
        a callback stalled). AEC3 finds the new delay by itself but lets echo through meanwhile (7 of 8
        self-triggers on a fresh server came after one), so the microphone is guarded until it has
        measured TRUSTED_ERLE_DB again on new sound; the canceller keeps what it learnt."""
        anchors = self._far_end.timeline.anchors + self._timeline.anchors
        if self._anchors is None or anchors == self._anchors:
            self._anchors = anchors
            return
        self._anchors = anchors
        if self._trusted:
            self._trusted = False
            self._recent.clear()
            self.moves += 1
            log.debug("echo path delay moved; guarding until the canceller has caught up")

    @staticmethod
    def _gate(mic: np.ndarray, out: np.ndarray, frames: int) -> None:
        mic_energy = np.square(mic.reshape(frames, FRAME)).sum(axis=1)
        out_frames = out.reshape(frames, FRAME)
        echo_only = np.square(out_frames).sum(axis=1) * 10 ** (ECHO_GATE_DB / 10) < mic_energy
        out_frames[echo_only] = 0.0

    def reset(self) -> None:
        """Start adapting afresh (the echo path changed: another device, a reopened stream)."""
        self._processor.reset()
        self._pending = np.zeros(0, dtype=np.float32)
        self._timeline.reset()
        self._generation = self._far_end.generation
        self._reset_requested = False
        self.adapted_s = 0.0
        self._recent.clear()
        self._trusted = False
        self._anchors = None
        self.history.clear()
        self.resets += 1
        log.debug("echo canceller reset; adapting on the next %.1f s of played sound", self.adapt_s)


@dataclass
class EchoPath:
    """The far-end reference the speaker fills and the canceller the microphone runs, made together."""

    far_end: FarEnd
    canceller: EchoCanceller

    @classmethod
    def create(cls, *, adapt_s: float = ADAPT_S, noise_suppression: bool = False) -> EchoPath:
        far_end = FarEnd()
        return cls(far_end, EchoCanceller(far_end, adapt_s=adapt_s, noise_suppression=noise_suppression))

    def recancel(self, audio: np.ndarray, start: float, end: float) -> np.ndarray:
        """`audio` (the live output of [start, end) on the capture clock) cancelled afresh, the echo's delay
        measured (`voiceslm.audio.recancel`); `audio` itself when that span cannot be redone."""
        canceller = self.canceller
        again = recancel(
            canceller.history,
            start,
            end,
            noise_suppression=canceller.noise_suppression,
            far_window=functools.partial(self.far_end.window, played=True),
        )
        return audio if again is None else again
