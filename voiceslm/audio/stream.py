"""One supervisor for both audio devices: open, first block, watch, back off, reopen.

A device that fails to open, disappears or stalls is reported once as a
`DeviceFault` with one sentence, then retried quietly with growing waits, so a
pulled USB headset or a restarted sound server does not end the pipeline.
The microphone (`capture`) and the speaker (`playback`) each say how to open,
watch and close themselves (`Supervised`); `supervise` does the rest.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from voiceslm.audio.devices import DeviceChoice, pulse_devices, quiet_stderr
from voiceslm.errors import DeviceError
from voiceslm.pipeline.events import DeviceFault, DeviceKind, DeviceReady, Event

log = logging.getLogger(__name__)

Publish = Callable[[Event], None]

FIRST_CALLBACK_TIMEOUT_S = 6.0
"""A new PortAudio stream on PulseAudio takes 1-2 s to deliver its first block."""
STALL_TIMEOUT_S = 3.0
"""No block for this long from a running stream means the device is gone. PulseAudio
streams pause 1-2 s when they start and again after recovering from an underrun."""
STEADY_S = 0.3
"""A stream counts as running once its callbacks have kept coming this long: on PulseAudio
the first callback is followed by a pause of 1-2 s before the steady flow starts."""
_CLOSE_TIMEOUT_S = 3.0


async def close_stream(stream: Any, kind: str) -> None:
    """Abort and close a PortAudio stream in a worker thread, whatever state its device is in."""

    def close() -> None:
        with quiet_stderr():
            try:
                stream.abort(ignore_errors=True)
                stream.close(ignore_errors=True)
            except Exception as exc:  # noqa: BLE001 - a vanished device fails in many ways; it is gone either way
                log.debug("closing the %s stream: %s", kind, exc)

    # A stream whose server went away can hang in close; never let that
    # hold the pipeline (the worker thread is abandoned after the timeout).
    try:
        await asyncio.wait_for(asyncio.to_thread(close), _CLOSE_TIMEOUT_S)
    except TimeoutError:
        log.warning("the old %s stream did not close within %.0f s; leaving it behind", kind, _CLOSE_TIMEOUT_S)


class Supervised(Protocol):
    """A device `supervise` can keep open."""

    kind: DeviceKind
    fail_fast: bool
    """Raise the first failure to open instead of retrying (cleared once the device has worked)."""
    backoff: Backoff
    faults: int

    async def start_stream(self) -> None:
        """Open the stream and wait until it delivers; raises DeviceError."""

    def ready(self, recovered: bool) -> DeviceReady:
        """Log that the device works, and say so as an event."""

    def lost(self) -> None:
        """The device failed: drop what can no longer be played in time."""

    async def watch(self) -> DeviceError:
        """Return (the reason) when the open stream stops working."""

    async def stop_stream(self) -> None: ...


async def supervise(device: Supervised, publish: Publish) -> None:
    """Keep `device` open until cancelled, reopening it whenever it fails."""
    recovering = False
    faults = FaultReporter(device.kind, device.backoff, publish)
    try:
        while True:
            try:
                await device.start_stream()
            except DeviceError as exc:
                await device.stop_stream()
                if device.fail_fast and not recovering:
                    raise
                recovering = True
                device.lost()
                await faults.report(exc)
                continue
            publish(device.ready(recovering))
            faults.clear()
            device.fail_fast = False
            recovering = True
            fault = await device.watch()
            await device.stop_stream()
            device.faults += 1
            device.lost()
            await faults.report(fault)
    finally:
        await device.stop_stream()


async def wait_until_flowing(callback_times: Callable[[], tuple[float, float]]) -> bool:
    """True once a stream's callbacks have kept coming for STEADY_S; False after FIRST_CALLBACK_TIMEOUT_S.

    `callback_times` gives the (first, last) callback times, 0.0 before any.
    """
    deadline = time.monotonic() + FIRST_CALLBACK_TIMEOUT_S
    while time.monotonic() < deadline:
        first, last = callback_times()
        if first and last - first >= STEADY_S:
            return True
        await asyncio.sleep(0.02)
    return False


class PresenceCheck:
    """Whether a PulseAudio device still exists, asked about once a second.

    PulseAudio moves a stream whose source or sink disappears to the default
    one, so the stream keeps running, on the wrong device; only the server can
    say that the device asked for is gone.
    """

    INTERVAL_S = 1.0

    def __init__(self, choice: DeviceChoice) -> None:
        self.choice = choice
        self._next = time.monotonic() + self.INTERVAL_S

    async def still_there(self) -> bool:
        if self.choice.pulse_name is None or time.monotonic() < self._next:
            return True
        self._next = time.monotonic() + self.INTERVAL_S
        names = await asyncio.to_thread(pulse_devices, self.choice.kind)
        # An empty list means the server did not answer: no verdict.
        return not names or any(d.name == self.choice.pulse_name for d in names)


class Backoff:
    """Waits of 0.25 s, doubling up to `limit`, for reopening a failed device."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.reset()

    def reset(self) -> None:
        self.wait = 0.25

    def next(self) -> float:
        wait = self.wait
        self.wait = min(self.wait * 2, self.limit)
        return wait


class FaultReporter:
    """Says once what is wrong with a device, then retries quietly with growing waits.

    The journal gets one line per outage: a device taken away fails first as
    "removed", then as "no device matches" on every retry, and that second
    sentence is news to the event stream (and `status`), not to the journal.
    """

    def __init__(self, kind: DeviceKind, backoff: Backoff, publish: Publish) -> None:
        self.kind = kind
        self.backoff = backoff
        self.publish = publish
        self._last = ""

    async def report(self, fault: DeviceError) -> None:
        wait = self.backoff.next()
        message = str(fault)
        if message != self._last:
            if self._last:
                log.debug("%s device now failing with: %s", self.kind, message)
            else:
                log.warning("%s Retrying until it is back.", message)
            self.publish(DeviceFault(self.kind, message, time.monotonic(), wait))
            self._last = message
        else:
            log.debug("%s device still failing; next try in %.1f s", self.kind, wait)
        await asyncio.sleep(wait)

    def clear(self) -> None:
        self._last = ""
        self.backoff.reset()
