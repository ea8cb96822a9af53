"""A simulated room between the virtual speaker and the virtual microphone.

What the pipeline plays on `vspeaker` is recorded from its monitor (`parec`),
convolved with a room impulse response (the direct path after a delay of
tens of milliseconds, attenuated, then a decaying reverberant tail) and
played into `vmic_in` (`pacat`), where it mixes with whatever else is said
into the microphone. Run as its own process, as a real room is not part of
the program:

    python -m voiceslm.eval.room [--delay-ms 50] [--gain 0.5] [--reverb-s 0.3]

The delays of parec and pacat themselves (10-30 ms) come on top and are
reported by nobody, as a sound server's own buffering is in the field.
"""

from __future__ import annotations

import argparse
import array
import fcntl
import os
import signal
import subprocess
import sys
import termios
from collections.abc import Sequence

import numpy as np

SAMPLE_RATE = 16000
CHUNK = SAMPLE_RATE // 100
"""Samples moved at a time (10 ms): the loop adds little delay of its own."""
BACKLOG_S = 0.03
"""Audio allowed to wait in either pipe. After a stall (pacat's stream underran and waits to
refill, the machine was busy) a pipe would keep up to a second queued for ever, and the room's
delay would grow with every stall; a real room's does not, so the excess is dropped."""


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


def run(source: str, sink: str, response: np.ndarray) -> None:
    """Carry `source` into `sink` through the room until stopped (SIGTERM or SIGINT)."""
    fmt = ["--raw", "--format=float32le", f"--rate={SAMPLE_RATE}", "--channels=1", "--latency-msec=10"]
    recorder = subprocess.Popen(["parec", "-d", source, *fmt], stdout=subprocess.PIPE)
    player = subprocess.Popen(["pacat", "--playback", "-d", sink, *fmt], stdin=subprocess.PIPE)
    assert recorder.stdout is not None and player.stdin is not None

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    room = Convolver(response)
    need = CHUNK * 4
    backlog = round(BACKLOG_S * SAMPLE_RATE) * 4
    try:
        while True:
            data = recorder.stdout.read(need)
            if len(data) < need:
                return
            out = room.feed(np.frombuffer(data, dtype="<f4")).tobytes()
            if _queued(recorder.stdout.fileno()) > backlog:
                continue  # behind the speaker: catch up
            if _queued(player.stdin.fileno()) <= backlog:
                player.stdin.write(out)
                player.stdin.flush()
    except BrokenPipeError:
        return
    finally:
        for child in (recorder, player):
            child.terminate()
        for child in (recorder, player):
            child.wait(5)


def _queued(fd: int) -> int:
    """Bytes waiting in a pipe (either end)."""
    count = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count)
    return count[0]


def start(
    *,
    source: str = "vspeaker.monitor",
    sink: str = "vmic_in",
    delay_ms: float = 50,
    gain: float = 0.5,
    reverb_s: float = 0.3,
    drr_db: float = 0.0,
) -> subprocess.Popen[bytes]:
    """The room as a child process (stop it with terminate(); its parec and pacat end with it)."""
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
    args = parser.parse_args(argv)
    if not (0 <= args.delay_ms <= 1000 and 0 < args.gain <= 4 and 0 <= args.reverb_s <= 3 and -20 <= args.drr_db <= 40):
        parser.error("give --delay-ms 0-1000, --gain above 0 up to 4, --reverb-s 0-3 and --drr-db -20 to 40")
    response = impulse_response(
        delay_s=args.delay_ms / 1000, gain=args.gain, reverb_s=args.reverb_s, drr_db=args.drr_db
    )
    run(args.source, args.sink, response)
    return 0


if __name__ == "__main__":
    sys.exit(main())
