"""The simulated room between the virtual speaker and microphone holds a fixed delay, as a real room does."""

from __future__ import annotations

import time

import numpy as np
import pytest

from voiceslm.eval import room, room_delay


def test_the_loop_delay_holds_within_a_few_milliseconds(pulse) -> None:
    loop = room.start(delay_ms=50, gain=0.5, reverb_s=0.3)
    try:
        time.sleep(3.0)  # the loop settles its lead in its first seconds (see voiceslm.eval.room.run)
        report = room_delay.measure(10)
    finally:
        loop.terminate()
        loop.wait(10)
    assert len(report.delays_ms) >= 15, report.summary()
    # Through parec and pacat the delay wandered over tens of milliseconds and jumped at underruns.
    # Here it holds; a chirp that came during a stall of the loop may lose its direct path (late
    # input is dropped) and be found on the tail instead, which moves that one chirp only.
    near = [d for d in report.delays_ms if abs(d - report.median_ms) < 3.0]
    assert len(near) >= 0.8 * len(report.delays_ms), report.summary()
    half = len(report.delays_ms) // 2
    first, second = np.median(report.delays_ms[:half]), np.median(report.delays_ms[half:])
    assert abs(first - second) < 1.0, report.summary()
    # The lead is part of --delay-ms; how much of it the sink has taken when the streams start
    # differs from one start to the next (29-46 ms measured for 50), fixed from then on.
    assert 20 <= report.median_ms <= 70, report.summary()


def test_a_delay_found_in_synthetic_recordings_is_the_one_put_in() -> None:
    pulse_shape = room_delay.chirp()
    heard = np.zeros(room_delay.RATE * 4, dtype=np.float32)
    for start in range(8000, heard.size - 8000, 8000):
        heard[start : start + pulse_shape.size] = pulse_shape
    came = np.concatenate([np.zeros(1234, dtype=np.float32), 0.5 * heard])[: heard.size]
    report = room_delay._delays(heard, 10.0, came, 10.0, pulse_shape)
    assert report.median_ms == pytest.approx(1234 / 16, abs=0.1)
    assert report.spread_ms < 0.1


def test_the_room_refuses_a_lead_out_of_range() -> None:
    with pytest.raises(SystemExit):
        room.main(["--lead-ms", "5"])
