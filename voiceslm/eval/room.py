"""A simulated room between the virtual speaker and the virtual microphone.

What the pipeline plays on `vspeaker` is recorded from its monitor, convolved
with a room impulse response (the direct path after a delay of tens of
milliseconds, attenuated, then a decaying reverberant tail) and played into
`vmic_in`, where it mixes with whatever else is said into the microphone. Run
as its own process, as a real room is not part of the program:

    python -m voiceslm.eval.room [--delay-ms 50] [--gain 0.5] [--reverb-s 0.3] [--lead-ms 30]

One record and one playback stream of libpulse-simple (voiceslm.eval.pulse_simple)
with 10 ms fragments carry the sound, so the delay is fixed like a real room's
(`python -m voiceslm.eval.room_delay` measures it); through parec and pacat
pipes it wandered by 90 ms and jumped at every underrun, which no linear echo
canceller can follow. The server's own buffering (a fragment or two) comes on
top of --delay-ms.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

import numpy as np

SAMPLE_RATE = 16000
CHUNK = SAMPLE_RATE // 100
"""Samples moved at a time (10 ms): the loop adds little delay of its own."""
LEAD_S = 0.03
"""Silence held in the playback stream ahead of the loop: a stall shorter than this costs nothing.
It is part of the room's delay (the direct path's own delay is shortened by it)."""


CREEP = 0.001
"""How fast (s/s) the loop's idea of an on-time read may move later without a stall being seen."""


def impulse_response(
    *, delay_s: float = 0.05, gain: float = 0.5, reverb_s: float = 0.3, drr_db: float = 0.0, seed: int = 7
) -> np.ndarray:
    """The direct path after `delay_s` at `gain`, then a tail decaying by 60 dB over `reverb_s` (RT60)
    that carries as much energy as the direct path less `drr_db` (the direct-to-reverberant ratio)."""
    rng = np.random.default_rng(seed)
    start = round(delay_s * SAMPLE_RATE)
    response = np.zeros(start + round(reverb_s * SAMPLE_RATE) + 1, dtype=np.float64)
    tail = np.arange(1, response.size - start)
    if tail.size:
        shape = rng.standard_normal(tail.size) * np.exp(-6.9 * tail / max(1.0, reverb_s * SAMPLE_RATE))
        response[start + 1 :] = shape * np.sqrt(10 ** (-drr_db / 10) / np.sum(shape**2))
    response[start] = 1.0
    return (response * gain).astype(np.float32)


class Convolver:
    """Streaming overlap-add convolution with a fixed impulse response, by FFT."""

    def __init__(self, response: np.ndarray, chunk: int = CHUNK) -> None:
        self.chunk = chunk
        self.size = 1 << int(np.ceil(np.log2(chunk + response.size - 1)))
        self._spectrum = np.fft.rfft(response, self.size)
        self._tail = np.zeros(self.size - chunk, dtype=np.float64)

    def feed(self, samples: np.ndarray) -> np.ndarray:
        """`chunk` samples in, `chunk` samples of the room's output out."""
        full = np.fft.irfft(np.fft.rfft(samples, self.size) * self._spectrum, self.size)
        full[: self._tail.size] += self._tail
        out = full[: self.chunk]
        self._tail = full[self.chunk :].copy()
        return np.clip(out, -1.0, 1.0).astype(np.float32)


def run(source: str, sink: str, response: np.ndarray, *, lead_s: float = LEAD_S) -> None:
    """Carry `source` into `sink` through the room until stopped (SIGTERM or SIGINT).

    Every 10 ms block recorded is written as exactly one 10 ms block, behind `lead_s` of silence
    written first, so the delay is fixed by sample count. A stall longer than the lead leaves a hole
    the sink fills with silence; the blocks that were late are then dropped (counted as silence),
    never queued, so the delay comes back to where it was rather than growing by the stall.
    """
    from voiceslm.eval.pulse_simple import Stream

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _realtime()
    room = Convolver(response)
    silence = np.zeros(CHUNK, dtype=np.float32)
    lead = bytes(round(lead_s * SAMPLE_RATE) * 4)
    step = CHUNK / SAMPLE_RATE
    with (
        Stream(source, playback=False, rate=SAMPLE_RATE, name="voiceslm-room", fragment_s=step) as rec,
        Stream(sink, playback=True, rate=SAMPLE_RATE, name="voiceslm-room", target_s=lead_s + 0.03) as play,
    ):
        play.write(lead)
        origin = float("inf")  # when block 0 would have been read had no read been late
        peak = dropped = 0.0
        count = starved = 0
        while True:
            data = rec.read(CHUNK * 4)
            now = time.monotonic()
            # Creeping by 1 ms/s, the origin follows a source clock a little slower than this one
            # (which the sink shares, so the delay is not changed by it); a stall is far faster.
            origin = min(origin + step * CREEP, now - count * step)
            count += 1
            # The server's latency estimates wander by tens of milliseconds, so lateness is measured
            # on the clock the null sinks also run on.
            late = now - origin - (count - 1) * step
            if late <= lead_s:
                peak = dropped = 0.0
            else:
                peak = max(peak, late - lead_s)  # the hole the sink has filled with silence
                if dropped + step / 2 < peak:
                    dropped += step
                    room.feed(silence)
                    continue
            if count % 10 == 0:
                starved = starved + 1 if play.latency() < step / 4 else 0
                if starved >= 3:
                    # Nothing ahead of the sink for 0.3 s (the null sink took the lead when the
                    # streams opened, or a stall ran past it): every block lands in time gone.
                    play.write(lead)
                    starved = 0
            play.write(room.feed(np.frombuffer(data, dtype="<f4")).tobytes())


def _realtime() -> None:
    """Real-time scheduling if allowed, so the machine's load does not stall the loop."""
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))


def start(
    *,
    source: str = "vspeaker.monitor",
    sink: str = "vmic_in",
    delay_ms: float = 50,
    gain: float = 0.5,
    reverb_s: float = 0.3,
    drr_db: float = 0.0,
    lead_ms: float = LEAD_S * 1000,
) -> subprocess.Popen[bytes]:
    """The room as a child process (stop it with terminate())."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "voiceslm.eval.room",
            f"--source={source}",
            f"--sink={sink}",
            f"--delay-ms={delay_ms:g}",
            f"--gain={gain:g}",
            f"--reverb-s={reverb_s:g}",
            f"--drr-db={drr_db:g}",
            f"--lead-ms={lead_ms:g}",
        ],
        env=os.environ.copy(),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m voiceslm.eval.room", description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="vspeaker.monitor", help="PulseAudio source to record (the speaker)")
    parser.add_argument("--sink", default="vmic_in", help="PulseAudio sink to play into (behind the microphone)")
    parser.add_argument("--delay-ms", type=float, default=50.0, help="speaker-to-microphone delay of the direct path")
    parser.add_argument("--gain", type=float, default=0.5, help="amplitude of the direct path (0.5 = -6 dB)")
    parser.add_argument("--reverb-s", type=float, default=0.3, help="reverberation time (RT60) of the tail")
    parser.add_argument("--drr-db", type=float, default=0.0, help="direct-to-reverberant energy ratio")
    parser.add_argument(
        "--lead-ms",
        type=float,
        default=LEAD_S * 1000,
        help="silence held ahead in the playback stream against stalls; part of --delay-ms",
    )
    args = parser.parse_args(argv)
    if not (0 <= args.delay_ms <= 1000 and 0 < args.gain <= 4 and 0 <= args.reverb_s <= 3 and -20 <= args.drr_db <= 40):
        parser.error("give --delay-ms 0-1000, --gain above 0 up to 4, --reverb-s 0-3 and --drr-db -20 to 40")
    if not 10 <= args.lead_ms <= 500:
        parser.error("give --lead-ms 10-500")
    lead_ms = min(args.lead_ms, args.delay_ms) if args.delay_ms >= 10 else 10.0
    response = impulse_response(
        delay_s=max(0.0, args.delay_ms - lead_ms) / 1000, gain=args.gain, reverb_s=args.reverb_s, drr_db=args.drr_db
    )
    run(args.source, args.sink, response, lead_s=lead_ms / 1000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
