"""How long the simulated room takes from the speaker to the microphone, and whether that holds.

Plays a train of short chirps on the virtual speaker, records the speaker's monitor and the
microphone side by side, and finds each chirp in both by matched filter; the difference is the
loop's delay at that moment:

    python -m voiceslm.eval.room_delay [--seconds 300] [--external]

Without --external it starts the room itself (voiceslm.eval.room, default settings); with it, it
measures whatever loop already runs. Both recordings are clocked by the same server, so the delay's
drift is exact; its absolute value carries the error of the streams' latency estimates (~1 ms).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

RATE = 16000
BLOCK = RATE // 100
PERIOD_S = 0.5
"""One chirp every half second: the room's tail (0.3 s) dies before the next."""
CHIRP_S = 0.02


def chirp() -> np.ndarray:
    t = np.arange(round(CHIRP_S * RATE)) / RATE
    sweep = np.sin(2 * np.pi * (500 * t + (3500 - 500) / (2 * CHIRP_S) * t**2))
    return (0.5 * sweep * np.hanning(t.size)).astype(np.float32)


@dataclass(frozen=True)
class DelayReport:
    times_s: tuple[float, ...]
    """When each chirp was played, from the start."""
    delays_ms: tuple[float, ...]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.delays_ms)

    @property
    def spread_ms(self) -> float:
        return max(self.delays_ms) - min(self.delays_ms)

    @property
    def drift_ms_per_min(self) -> float:
        if len(self.delays_ms) < 2:
            return 0.0
        return float(np.polyfit(self.times_s, self.delays_ms, 1)[0] * 60)

    def summary(self) -> str:
        return (
            f"{len(self.delays_ms)} chirps over {self.times_s[-1] - self.times_s[0]:.0f} s: delay median "
            f"{self.median_ms:.2f} ms, min {min(self.delays_ms):.2f}, max {max(self.delays_ms):.2f} "
            f"(spread {self.spread_ms:.2f} ms), drift {self.drift_ms_per_min:+.3f} ms/min"
        )


class _Recorder(threading.Thread):
    """Records `device` into memory and estimates when its first sample was heard (monotonic s)."""

    def __init__(self, device: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.device, self.stop = device, stop
        self.blocks: list[bytes] = []
        self.origins: list[float] = []
        self.error: BaseException | None = None
        self.ready = threading.Event()

    def run(self) -> None:
        from voiceslm.eval.pulse_simple import Stream

        try:
            with Stream(self.device, playback=False, rate=RATE, name="voiceslm-room-delay") as stream:
                self.ready.set()
                while not self.stop.is_set():
                    self.blocks.append(stream.read(BLOCK * 4))
                    now = time.monotonic()
                    self.origins.append(now - stream.latency() - len(self.blocks) * BLOCK / RATE)
        except BaseException as exc:  # reported by measure()
            self.error = exc
            self.ready.set()

    def audio(self) -> tuple[np.ndarray, float]:
        return np.frombuffer(b"".join(self.blocks), dtype="<f4"), statistics.median(self.origins)


def measure(
    seconds: float, *, speaker: str = "vspeaker", monitor: str = "vspeaker.monitor", mic: str = "vmic"
) -> DelayReport:
    """Play chirps on `speaker` for `seconds` and find the delay of each from `monitor` to `mic`."""
    from voiceslm.eval.pulse_simple import Stream

    stop = threading.Event()
    recorders = [_Recorder(monitor, stop), _Recorder(mic, stop)]
    for recorder in recorders:
        recorder.start()
        recorder.ready.wait(10)
    pulse = chirp()
    period = np.zeros(round(PERIOD_S * RATE), dtype=np.float32)
    period[: pulse.size] = pulse
    try:
        with Stream(speaker, playback=True, rate=RATE, name="voiceslm-room-delay", target_s=0.1) as player:
            player.write(bytes(RATE * 4 // 2))  # half a second of silence first
            for _ in range(round(seconds / PERIOD_S)):
                player.write(period.tobytes())
            player.write(bytes(RATE * 4))
            time.sleep(0.5)
    finally:
        stop.set()
        for recorder in recorders:
            recorder.join(5)
    for recorder in recorders:
        if recorder.error:
            raise recorder.error
    (heard, heard_at), (came, came_at) = (r.audio() for r in recorders)
    return _delays(heard, heard_at, came, came_at, pulse)


def _delays(heard: np.ndarray, heard_at: float, came: np.ndarray, came_at: float, pulse: np.ndarray) -> DelayReport:
    matched = np.abs(np.correlate(heard, pulse, mode="valid"))
    threshold = 0.5 * float(np.sum(pulse.astype(np.float64) ** 2))  # half a chirp as the speaker plays it
    times: list[float] = []
    delays: list[float] = []
    position, window = 0, round(PERIOD_S * RATE * 0.9)
    while position < matched.size:
        segment = matched[position : position + window]
        peak = int(np.argmax(segment))
        if segment.size == 0 or segment[peak] < threshold:
            position += window
            continue
        sent = position + peak
        when = heard_at + sent / RATE
        start = round((when - came_at) * RATE)
        if start >= 0 and start + window + pulse.size <= came.size:
            found = np.abs(np.correlate(came[start : start + window + pulse.size], pulse, mode="valid"))
            at = int(np.argmax(found))
            if found[at] > 0.1 * threshold:
                delays.append((at + _parabola(found, at)) / RATE * 1000)
                times.append(sent / RATE)
        position = sent + window
    if not delays:
        raise RuntimeError("no chirp came back through the room")
    return DelayReport(tuple(times), tuple(delays))


def _parabola(values: np.ndarray, at: int) -> float:
    """Sub-sample offset of a peak from its neighbours."""
    if at <= 0 or at >= values.size - 1:
        return 0.0
    a, b, c = values[at - 1], values[at], values[at + 1]
    denominator = a - 2 * b + c
    return float(0.5 * (a - c) / denominator) if denominator else 0.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m voiceslm.eval.room_delay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="how long to measure")
    parser.add_argument("--external", action="store_true", help="measure the loop already running")
    parser.add_argument("--every", type=float, default=30.0, help="print a line of figures every this many seconds")
    args = parser.parse_args(argv)
    from voiceslm.eval import room

    loop = None if args.external else room.start()
    try:
        time.sleep(1.0)
        report = measure(args.seconds)
    finally:
        if loop is not None:
            loop.terminate()
            loop.wait(10)
    times, delays = np.array(report.times_s), np.array(report.delays_ms)
    for start in np.arange(0, times[-1], args.every):
        part = delays[(times >= start) & (times < start + args.every)]
        if part.size:
            span = f"{start:6.0f}-{start + args.every:.0f} s"
            print(f"{span}: median {np.median(part):.2f} ms, min {part.min():.2f}, max {part.max():.2f}")
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
