"""In-process echo cancellation on real speech through a simulated room: the reply's echo is not speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voiceslm.audio import load_audio
from voiceslm.vad import FRAME_SAMPLES, SileroVad

pytest.importorskip("pywebrtc_audio", reason="echo cancellation needs pywebrtc-audio (scripts/setup.sh installs it)")

from voiceslm.echo_cancel import ADAPT_S, SAMPLE_RATE, EchoCanceller, FarEnd  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
REPLY = DATA / "en_jfk_inaugural_16k.wav"  # what the speaker plays (11 s)
USER = DATA / "en_pocketsphinx_goforward.wav"  # "go forward ten meters", said over it
T0 = 1000.0  # monotonic time the reply reaches the air


def room(seconds: float = 0.3, delay_s: float = 0.04, gain: float = 0.3) -> np.ndarray:
    """A room impulse response: the direct path after `delay_s`, then a decaying reverberant tail."""
    rng = np.random.default_rng(7)
    response = np.zeros(int(seconds * SAMPLE_RATE) + int(delay_s * SAMPLE_RATE), dtype=np.float32)
    start = int(delay_s * SAMPLE_RATE)
    tail = np.arange(response.size - start)
    response[start:] = rng.standard_normal(tail.size) * np.exp(-6.9 * tail / (seconds * SAMPLE_RATE)) * 0.2
    response[start] = 1.0
    return response * gain


def play_and_capture(far: np.ndarray, near: np.ndarray, unreported_delay_s: float) -> np.ndarray:
    """Run the canceller as the live pipeline does: speaker chunks stamped when they reach the air,
    microphone blocks stamped when they were captured, on one clock."""
    far_end = FarEnd()
    canceller = EchoCanceller(far_end)
    out = []
    chunk = SAMPLE_RATE // 50  # the speaker callback hands over 20 ms at a time
    pushed = 0
    for start in range(0, near.size - FRAME_SAMPLES + 1, FRAME_SAMPLES):
        captured_at = T0 + start / SAMPLE_RATE
        # The speaker runs ahead of the microphone by its buffer; the sound server adds a delay nobody reports.
        while pushed < far.size and pushed / SAMPLE_RATE < start / SAMPLE_RATE + 0.2:
            far_end.push(far[pushed : pushed + chunk], SAMPLE_RATE, T0 + pushed / SAMPLE_RATE - unreported_delay_s)
            pushed += chunk
        samples, _ = canceller.process(near[start : start + FRAME_SAMPLES], captured_at)
        out.append(samples)
    return np.concatenate(out)


def voiced_runs(audio: np.ndarray) -> list[tuple[float, int]]:
    """(start second, frames) of each run of frames Silero calls speech."""
    vad = SileroVad()
    runs: list[tuple[float, int]] = []
    for index in range(audio.size // FRAME_SAMPLES):
        voiced = vad.probability(audio[index * FRAME_SAMPLES : (index + 1) * FRAME_SAMPLES]) >= 0.5
        if (
            voiced
            and runs
            and runs[-1][0] + runs[-1][1] * FRAME_SAMPLES / SAMPLE_RATE >= index * FRAME_SAMPLES / SAMPLE_RATE - 1e-9
        ):
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        elif voiced:
            runs.append((index * FRAME_SAMPLES / SAMPLE_RATE, 1))
    return runs


def rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio))) + 1e-9)


@pytest.mark.parametrize("unreported_delay_s", [0.0, 0.06])
def test_a_replys_own_echo_never_counts_as_speech(unreported_delay_s: float) -> None:
    reply = load_audio(REPLY)
    echo = np.convolve(reply, room())[: reply.size].astype(np.float32)
    assert max(frames for _, frames in voiced_runs(echo)) >= 10  # unguarded, the echo is plainly speech
    cleaned = play_and_capture(reply, echo, unreported_delay_s)
    # Once adapted (ADAPT_S of reply, while the pipeline still guards the microphone) the echo is gone:
    # no run of speech reaches the 96 ms it takes to barge in.
    late = [(at, frames) for at, frames in voiced_runs(cleaned) if at > ADAPT_S]
    assert all(frames < 3 for _, frames in late), late
    adapted = round(ADAPT_S * SAMPLE_RATE)
    assert rms(echo[adapted:]) / rms(cleaned[adapted:]) > 5  # over 14 dB less echo


def test_the_user_talking_over_the_reply_is_still_heard() -> None:
    reply, user = load_audio(REPLY), load_audio(USER)
    echo = np.convolve(reply, room(gain=0.15))[: reply.size].astype(np.float32)
    near = echo.copy()
    start = 4 * SAMPLE_RATE
    near[start : start + user.size] += user
    cleaned = play_and_capture(reply, near, 0.03)
    during = [(at, frames) for at, frames in voiced_runs(cleaned) if 4.0 <= at <= 4.0 + user.size / SAMPLE_RATE]
    assert max((frames for _, frames in during), default=0) >= 3, during  # enough to barge in
