"""Audio in: a live microphone, or a recording played at real-time pace.

Both hand `AudioBlock`s (16 kHz mono float32, stamped with when their first
sample was heard) to a `deliver` callback on the event loop. The microphone's
PortAudio callback runs in PortAudio's thread and does only the cheap work
(down-mix, resample, stamp), then hops onto the loop with
`loop.call_soon_threadsafe`; it never waits on anything.

A microphone that fails to open, disappears or stalls is reported as a
`DeviceFault` with one sentence and reopened with growing waits, so a pulled
USB headset or a restarted sound server does not end the pipeline; the
supervision is `voiceslm.audio.stream.supervise`, shared with the speaker.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

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
from voiceslm.pipeline.events import AudioBlock, DeviceKind, DeviceReady

if TYPE_CHECKING:
    from voiceslm.audio.echo_cancel import EchoPath

log = logging.getLogger(__name__)

PIPELINE_RATE = 16000
"""Hertz of every block handed to the pipeline."""
Deliver = Callable[[AudioBlock], None]


class AudioInput(ABC):
    """Where the pipeline's audio comes from."""

    finite: bool = False
    """True when the input ends by itself (a recording), False for a live device."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        """Set once the first block has been delivered: audio from now on is heard."""
        self.name = ""
        self.echo: EchoPath | None = None
        """With `echo.mode: aec`: each block goes through its canceller before anyone hears it."""

    @abstractmethod
    async def run(self, deliver: Deliver, publish: Publish) -> None:
        """Deliver blocks until cancelled (a live device) or the input ends."""

    def status(self) -> dict[str, Any]:
        return {"input": self.name}


class MicrophoneInput(AudioInput):
    """A PortAudio input stream, resampled to 16 kHz mono."""

    def __init__(
        self,
        spec: str,
        *,
        sample_rate: int = 0,
        block_ms: int = 32,
        reopen_max_s: float = 5.0,
        fail_fast: bool = True,
    ) -> None:
        super().__init__()
        self.spec = spec
        self.requested_rate = sample_rate
        self.block_ms = block_ms
        self.fail_fast = fail_fast
        self.backoff = Backoff(reopen_max_s)
        self.kind: DeviceKind = "input"
        self._deliver: Deliver = lambda block: None
        self.overflows = 0
        """Blocks PortAudio reported it lost because we read too late."""
        self.faults = 0
        self.choice: DeviceChoice | None = None
        self._last_callback = 0.0
        self._stream: Any = None
        self._resampler: Any = None

    def check(self) -> DeviceChoice:
        """Resolve the configured device now (raises DeviceError if none matches)."""
        self.choice = resolve(self.spec, "input", self.requested_rate)
        self.name = self.choice.label
        return self.choice

    async def run(self, deliver: Deliver, publish: Publish) -> None:
        self._deliver = deliver
        await supervise(self, publish)

    # Supervised --------------------------------------------------------------

    async def start_stream(self) -> None:
        await self._open(asyncio.get_running_loop(), self._deliver)
        await self._wait_first_block()

    def ready(self, recovered: bool) -> DeviceReady:
        assert self.choice is not None
        log.info("listening on %s at %d Hz", self.choice.label, self.choice.sample_rate)
        return DeviceReady("input", self.choice.label, self.choice.sample_rate, time.monotonic(), recovered=recovered)

    def lost(self) -> None:
        """Nothing to drop: blocks already delivered were heard when they were captured."""

    async def watch(self) -> DeviceError:
        return await self._watch()

    async def stop_stream(self) -> None:
        await self._close()

    async def _open(self, loop: asyncio.AbstractEventLoop, deliver: Deliver) -> None:
        choice = await asyncio.to_thread(self.check)
        sd = sounddevice()
        import soxr

        rate = choice.sample_rate
        self._resampler = (
            soxr.ResampleStream(rate, PIPELINE_RATE, 1, dtype="float32") if rate != PIPELINE_RATE else None
        )
        blocksize = max(1, round(rate * self.block_ms / 1000))
        self._last_callback = 0.0
        self._first_callback = 0.0
        echo = self.echo
        if echo is not None:
            echo.canceller.request_reset()  # a new stream: the old echo path means nothing

        def callback(indata: np.ndarray, frames: int, stream_time: Any, status: Any) -> None:
            now = time.monotonic()
            self._last_callback = now
            self._first_callback = self._first_callback or now
            if status.input_overflow:
                self.overflows += 1
            mono = indata[:, 0] if indata.shape[1] == 1 else indata.mean(axis=1)
            mono = np.array(mono, dtype=np.float32)
            if self._resampler is not None:
                mono = self._resampler.resample_chunk(mono)
            # PortAudio says how long ago the block's first sample was captured;
            # stamping with that, not the callback time, keeps latency figures honest.
            age = stream_time.currentTime - stream_time.inputBufferAdcTime
            if not 0.0 <= age <= 1.0:
                age = frames / rate
            captured_at = now - age
            if echo is not None:
                # Here, before the VAD: AEC3 takes 0.2 ms a 10 ms frame, and the speaker's
                # reference for this moment was stamped a device latency ago.
                mono, captured_at = echo.canceller.process(mono, captured_at)
            block = AudioBlock(mono, PIPELINE_RATE, captured_at)
            with contextlib.suppress(RuntimeError):  # the loop closed while the stream ran down
                loop.call_soon_threadsafe(deliver, block)

        def open_stream() -> Any:
            with pulse_target(choice), quiet_stderr():
                stream = sd.InputStream(
                    device=choice.index,
                    channels=1,
                    samplerate=rate,
                    blocksize=blocksize,
                    dtype="float32",
                    callback=callback,
                )
                stream.start()
            return stream

        try:
            self._stream = await asyncio.to_thread(open_stream)
        except (sd.PortAudioError, ValueError) as exc:
            raise open_error(choice, exc) from exc

    async def _wait_first_block(self) -> None:
        if not await wait_until_flowing(lambda: (self._first_callback, self._last_callback)):
            assert self.choice is not None
            raise DeviceError(
                f"Microphone {self.choice.label} opened but delivers no audio; "
                "check that it is not muted or suspended, or choose another with --input-device."
            )
        self.started.set()

    async def _watch(self) -> DeviceError:
        """Return when the stream has stopped delivering."""
        assert self.choice is not None
        present = PresenceCheck(self.choice)
        while True:
            await asyncio.sleep(0.25)
            stream = self._stream
            if not await present.still_there():
                return DeviceError(f"Microphone {self.choice.label} was removed; plug it back in or choose another.")
            if stream is None or not stream.active:
                return DeviceError(f"Microphone {self.choice.label} stopped; it may have been unplugged or taken away.")
            if time.monotonic() - self._last_callback > STALL_TIMEOUT_S:
                return DeviceError(
                    f"Microphone {self.choice.label} stopped delivering audio; it may have been unplugged or removed."
                )

    async def _close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return

        await close_stream(stream, "input")

    def status(self) -> dict[str, Any]:
        return {
            "input": self.name or self.spec or "default",
            "input_rate": self.choice.sample_rate if self.choice else None,
            "input_open": self._stream is not None and self.started.is_set(),
            "input_overflows": self.overflows,
            "input_faults": self.faults,
        }


class RecordingInput(AudioInput):
    """Recordings played at real-time pace, as a microphone would hear them.

    Clips queued with `play` are heard in order; between them (and after the
    last) the input is silent, which is what lets the detector end a turn.
    With `end_after_s` set, the input ends that many seconds after the last
    clip, once `close` was called.
    """

    finite = True

    def __init__(self, *, block_ms: int = 32, name: str = "recording", lead_in_s: float = 0.3) -> None:
        super().__init__()
        self.name = name
        self.block = max(1, round(PIPELINE_RATE * block_ms / 1000))
        self._clips: collections.deque[tuple[np.ndarray, asyncio.Future[tuple[float, float]] | None]] = (
            collections.deque()
        )
        self._current = np.zeros(0, dtype=np.float32)
        self._current_done: asyncio.Future[tuple[float, float]] | None = None
        self._closed = False
        self._end_after_s = 0.0
        self._silence_left = round(lead_in_s * PIPELINE_RATE)

    def play(self, samples: np.ndarray) -> asyncio.Future[tuple[float, float]]:
        """Queue a 16 kHz clip; the future gives (first sample, last sample) monotonic times once heard."""
        done: asyncio.Future[tuple[float, float]] = asyncio.get_running_loop().create_future()
        self._clips.append((np.asarray(samples, dtype=np.float32), done))
        return done

    def queue(self, samples: np.ndarray) -> None:
        """Queue a 16 kHz clip without tracking when it is heard."""
        self._clips.append((np.asarray(samples, dtype=np.float32), None))

    def close(self, end_after_s: float) -> None:
        """End the input `end_after_s` seconds of silence after the last queued clip."""
        self._closed = True
        self._end_after_s = end_after_s

    @property
    def idle(self) -> bool:
        return not self._clips and self._current.size == 0

    async def run(self, deliver: Deliver, publish: Publish) -> None:
        block_s = self.block / PIPELINE_RATE
        next_at = time.monotonic() + block_s
        trailing = None
        starts: dict[int, float] = {}
        publish(DeviceReady("input", self.name, PIPELINE_RATE, time.monotonic()))
        while True:
            samples, marks = self._next_block()
            if self.idle and self._closed:
                if trailing is None:
                    trailing = round(self._end_after_s * PIPELINE_RATE)
                trailing -= samples.size
                if trailing < 0:
                    return
            # Pace on absolute times so scheduling jitter does not accumulate.
            delay = next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -1.0:
                next_at = time.monotonic()  # the loop was blocked: do not burst-feed seconds of audio
            captured_at = next_at - block_s
            deliver(AudioBlock(samples, PIPELINE_RATE, captured_at))
            self.started.set()
            for kind, offset, done in marks:
                at = captured_at + offset / PIPELINE_RATE
                if kind == "start":
                    starts[id(done)] = at
                elif not done.done():
                    done.set_result((starts.pop(id(done), at), at))
            next_at += block_s

    def _next_block(self) -> tuple[np.ndarray, list[tuple[str, int, asyncio.Future[tuple[float, float]]]]]:
        """The next block of samples, and where clips start and end inside it."""
        out = np.zeros(self.block, dtype=np.float32)
        marks: list[tuple[str, int, asyncio.Future[tuple[float, float]]]] = []
        filled = 0
        if self._silence_left > 0:
            filled = min(self._silence_left, self.block)
            self._silence_left -= filled
        while filled < self.block:
            if self._current.size == 0:
                if not self._clips:
                    break
                self._current, self._current_done = self._clips.popleft()
                if self._current_done is not None:
                    marks.append(("start", filled, self._current_done))
            take = min(self.block - filled, self._current.size)
            out[filled : filled + take] = self._current[:take]
            self._current = self._current[take:]
            filled += take
            if self._current.size == 0:
                if self._current_done is not None:
                    marks.append(("end", filled, self._current_done))
                self._current_done = None
                # Clips queued back to back stay separate turns only if the
                # caller queues silence between them; nothing is inserted here.
        return out, marks

    def status(self) -> dict[str, Any]:
        return {"input": self.name, "input_rate": PIPELINE_RATE, "input_open": True}
