"""Audio out: a speaker kept open for the whole session, or a WAV file.

Reply audio waits in an `OutputBuffer` that the output pulls from: PortAudio's
callback for a speaker, a real-time-paced task for a file. The stream stays
open and plays silence between replies, because reopening it costs 1-2 s and
a fresh PulseAudio stream cut the first 0.2-0.35 s of what it played. A
barge-in flushes the buffer; what the device already holds (its latency) is
all the listener still hears.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from voiceslm.audio.devices import DeviceChoice, open_error, pulse_target, quiet_stderr, resolve, sounddevice
from voiceslm.audio.stream import (
    STALL_TIMEOUT_S,
    Backoff,
    PresenceCheck,
    Publish,
    close_stream,
    supervise,
    wait_until_flowing,
)
from voiceslm.errors import DeviceError
from voiceslm.pipeline.events import DeviceKind, DeviceReady

if TYPE_CHECKING:
    from voiceslm.audio.echo_cancel import EchoPath

log = logging.getLogger(__name__)

FILE_SAMPLE_RATE = 22050
"""Hertz of a WAV written by --output (the voices' own rate: no resampling)."""


@dataclass(frozen=True)
class OutputNotice:
    """What the output did with a tagged piece of audio."""

    kind: Literal["started", "drained"]
    tag: int
    """The utterance the audio answers."""
    at: float
    """Monotonic seconds when the listener hears it (device latency included)."""


class OutputBuffer:
    """Reply audio waiting to be played; filled on the loop, drained by the device thread."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._lock = threading.Lock()
        self._chunks: collections.deque[tuple[np.ndarray, int]] = collections.deque()
        self._queued = 0
        self._playing_tag: int | None = None
        self.notify: Callable[[OutputNotice], None] = lambda notice: None
        """Called (from the pulling thread) when a tag starts playing or the buffer runs dry."""
        self.last_audio_at = 0.0
        """Monotonic seconds when the last reply sample is heard."""

    def push(self, samples: np.ndarray, tag: int) -> None:
        if samples.size == 0:
            return
        with self._lock:
            self._chunks.append((np.asarray(samples, dtype=np.float32), tag))
            self._queued += samples.size

    def pull(self, frames: int, latency: float) -> np.ndarray:
        """`frames` samples to play now: reply audio, then silence."""
        out = np.zeros(frames, dtype=np.float32)
        notices = []
        now = time.monotonic()
        with self._lock:
            filled = 0
            while filled < frames and self._chunks:
                samples, tag = self._chunks[0]
                if tag != self._playing_tag:
                    self._playing_tag = tag
                    notices.append(OutputNotice("started", tag, now + latency + filled / self.sample_rate))
                take = min(frames - filled, samples.size)
                out[filled : filled + take] = samples[:take]
                filled += take
                self._queued -= take
                if take == samples.size:
                    self._chunks.popleft()
                else:
                    self._chunks[0] = (samples[take:], tag)
            if filled:
                self.last_audio_at = now + latency + filled / self.sample_rate
                if not self._chunks and self._playing_tag is not None:
                    notices.append(OutputNotice("drained", self._playing_tag, self.last_audio_at))
                    self._playing_tag = None
        for notice in notices:
            self.notify(notice)
        return out

    def flush(self) -> float:
        """Drop everything not yet handed to the device; returns the seconds dropped.

        Whoever waits for the dropped audio to finish playing hears that it has
        (a "drained" notice), so a reply cut by a device fault never hangs.
        """
        with self._lock:
            dropped = self._queued / self.sample_rate
            tags = {tag for _, tag in self._chunks}
            if self._playing_tag is not None:
                tags.add(self._playing_tag)
            self._chunks.clear()
            self._queued = 0
            self._playing_tag = None
        now = time.monotonic()
        for tag in sorted(tags):
            self.notify(OutputNotice("drained", tag, max(now, self.last_audio_at)))
        return dropped

    @property
    def queued_s(self) -> float:
        return self._queued / self.sample_rate


class AudioOutput(ABC):
    """Where reply audio goes."""

    def __init__(self, sample_rate: int) -> None:
        self.buffer = OutputBuffer(sample_rate)
        self.started = asyncio.Event()
        """Set once the output is open and being pulled."""
        self.latency = 0.0
        """Seconds between handing a sample over and the listener hearing it."""
        self.name = ""
        self.echo: EchoPath | None = None
        """With `echo.mode: aec`: every block played is also the canceller's far-end reference."""

    @property
    def sample_rate(self) -> int:
        return self.buffer.sample_rate

    @abstractmethod
    async def run(self, publish: Publish) -> None:
        """Play until cancelled."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Finish what the output holds (a file output writes its WAV here)."""

    def status(self) -> dict[str, Any]:
        return {"output": self.name, "output_rate": self.sample_rate}


class SpeakerOutput(AudioOutput):
    """A PortAudio output stream that plays silence between replies."""

    def __init__(
        self,
        spec: str,
        *,
        sample_rate: int = 0,
        latency: float = 0.1,
        reopen_max_s: float = 5.0,
        fail_fast: bool = True,
    ) -> None:
        self.spec = spec
        self.requested_latency = latency
        self.fail_fast = fail_fast
        self.backoff = Backoff(reopen_max_s)
        self.kind: DeviceKind = "output"
        self.choice = resolve(spec, "output", sample_rate)
        super().__init__(self.choice.sample_rate)
        self.name = self.choice.label
        self.underflows = 0
        self.faults = 0
        self._stream: Any = None
        self._last_callback = 0.0

    async def run(self, publish: Publish) -> None:
        await supervise(self, publish)

    # Supervised --------------------------------------------------------------

    async def start_stream(self) -> None:
        await self._open()
        await self._wait_first_callback()

    def ready(self, recovered: bool) -> DeviceReady:
        log.info("speaking on %s at %d Hz, %.0f ms latency", self.name, self.sample_rate, self.latency * 1000)
        return DeviceReady("output", self.name, self.sample_rate, time.monotonic(), recovered=recovered)

    def lost(self) -> None:
        # What was queued would play late, out of context, once the device is back.
        self.buffer.flush()

    async def watch(self) -> DeviceError:
        return await self._watch()

    async def stop_stream(self) -> None:
        await self._close()

    async def _open(self) -> None:
        # Re-resolve: the device may have come back under another index. The
        # rate stays the one the buffer holds audio at.
        choice: DeviceChoice = await asyncio.to_thread(resolve, self.spec, "output", self.sample_rate)
        self.choice = choice
        sd = sounddevice()
        self._last_callback = 0.0
        self._first_callback = 0.0
        echo = self.echo
        if echo is not None:
            echo.far_end.clear()  # stamps of the old stream mean nothing; the canceller starts afresh

        def callback(outdata: np.ndarray, frames: int, stream_time: Any, status: Any) -> None:
            now = time.monotonic()
            self._last_callback = now
            self._first_callback = self._first_callback or now
            if status.output_underflow:
                self.underflows += 1
            ahead = stream_time.outputBufferDacTime - stream_time.currentTime
            ahead = ahead if 0.0 <= ahead <= 2.0 else self.latency
            samples = self.buffer.pull(frames, ahead)
            outdata[:] = samples[:, np.newaxis]
            if echo is not None:
                # Silence too: it keeps the reference's resampler continuous, and an
                # underrun's gap stays a gap because every block carries its own time.
                echo.far_end.push(samples, self.sample_rate, now + ahead)

        def open_stream() -> Any:
            with pulse_target(choice), quiet_stderr():
                stream = sd.OutputStream(
                    device=choice.index,
                    channels=1,
                    samplerate=self.sample_rate,
                    dtype="float32",
                    latency=self.requested_latency or "low",
                    callback=callback,
                )
                stream.start()
            return stream

        try:
            self._stream = await asyncio.to_thread(open_stream)
        except (sd.PortAudioError, ValueError) as exc:
            raise open_error(choice, exc) from exc
        self.latency = float(self._stream.latency)

    async def _wait_first_callback(self) -> None:
        if not await wait_until_flowing(lambda: (self._first_callback, self._last_callback)):
            raise DeviceError(
                f"Speaker {self.name} opened but does not play; "
                "check that it is not suspended, or choose another with --output-device."
            )
        self.started.set()

    async def _watch(self) -> DeviceError:
        present = PresenceCheck(self.choice)
        while True:
            await asyncio.sleep(0.25)
            if not await present.still_there():
                return DeviceError(f"Speaker {self.name} was removed; plug it back in or choose another.")
            stream = self._stream
            if stream is None or not stream.active or time.monotonic() - self._last_callback > STALL_TIMEOUT_S:
                return DeviceError(f"Speaker {self.name} stopped playing; it may have been unplugged or removed.")

    async def _close(self) -> None:
        stream, self._stream = self._stream, None
        self.started.clear()
        if stream is None:
            return

        await close_stream(stream, "output")

    def status(self) -> dict[str, Any]:
        return {
            "output": self.name,
            "output_rate": self.sample_rate,
            "output_open": self._stream is not None and self.started.is_set(),
            "output_latency_s": round(self.latency, 3),
            "output_underflows": self.underflows,
            "output_faults": self.faults,
        }


class FileOutput(AudioOutput):
    """Everything a speaker would have played, silence included, written as one WAV.

    Pulled at real-time pace, so the file lines up with the input recording and
    a barge-in cuts the reply exactly where it would have been cut aloud.
    `path=None` plays to nowhere (benchmarks).
    """

    def __init__(self, path: Path | None, *, sample_rate: int = FILE_SAMPLE_RATE, block_ms: int = 20) -> None:
        super().__init__(sample_rate)
        self.path = path
        self.name = str(path) if path else "nowhere"
        self.block = max(1, round(sample_rate * block_ms / 1000))
        self._written: list[np.ndarray] = []

    async def run(self, publish: Publish) -> None:
        block_s = self.block / self.sample_rate
        publish(DeviceReady("output", self.name, self.sample_rate, time.monotonic()))
        self.started.set()
        next_at = time.monotonic()
        while True:
            samples = self.buffer.pull(self.block, 0.0)
            if self.path is not None:
                self._written.append(samples)
            next_at += block_s
            delay = next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -1.0:
                next_at = time.monotonic()

    def close(self) -> None:
        if self.path is None:
            return
        from voiceslm.audio.io import write_wav

        audio = np.concatenate(self._written) if self._written else np.zeros(0, dtype=np.float32)
        write_wav(self.path, audio, self.sample_rate)
        log.info("wrote %.1f s of output to %s", audio.size / self.sample_rate, self.path)

    def status(self) -> dict[str, Any]:
        return {"output": self.name, "output_rate": self.sample_rate, "output_open": self.started.is_set()}
