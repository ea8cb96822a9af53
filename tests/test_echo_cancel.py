"""In-process echo cancellation on real speech through a simulated room: the reply's echo is not speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voiceslm.audio.io import load_audio
from voiceslm.engines.vad import FRAME_SAMPLES, SileroVad

pytest.importorskip("pywebrtc_audio", reason="echo cancellation needs pywebrtc-audio (scripts/setup.sh installs it)")

from voiceslm.audio import linear_echo  # noqa: E402
from voiceslm.audio.echo_cancel import ADAPT_S, REFERENCE_LEAD_S, SAMPLE_RATE, EchoPath  # noqa: E402
from voiceslm.audio.recancel import RESIDUAL_DELAY_S, align, echo_delay, steps  # noqa: E402
from voiceslm.audio.recancel import shift as delayed  # noqa: E402

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


def play_and_capture(
    far: np.ndarray, near: np.ndarray, unreported_delay_s: float, path: EchoPath | None = None
) -> np.ndarray:
    """Run the canceller as the live pipeline does: speaker chunks stamped when they reach the air,
    microphone blocks stamped when they were captured, on one clock."""
    path = path or EchoPath.create()
    far_end, canceller = path.far_end, path.canceller
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


def sdr_db(clean: np.ndarray, estimate: np.ndarray) -> float:
    """How much louder `clean` is than what `estimate` gets wrong about it."""
    return 20 * float(np.log10(rms(clean) / rms(estimate[: clean.size] - clean)))


def aligned_sdr_db(clean: np.ndarray, estimate: np.ndarray, search: int = 320) -> float:
    """`sdr_db` at the best of the shifts within `search` samples: how clean, whatever a frame's rounding
    did to where the span was cut."""
    n = clean.size - search
    best = -np.inf
    for shift in range(-search, search + 1):
        a = clean[max(0, -shift) : max(0, -shift) + n]
        b = estimate[max(0, shift) : max(0, shift) + n]
        if b.size == n:
            best = max(best, sdr_db(a, b))
    return best


def test_a_barge_in_cancelled_again_keeps_the_persons_words_from_their_onset() -> None:
    reply, user = load_audio(REPLY), load_audio(USER)
    echo = np.convolve(reply, room(gain=0.5))[: reply.size].astype(np.float32)
    near = echo.copy()
    start = 5 * SAMPLE_RATE
    user = user * (rms(echo[start : start + user.size]) / rms(user))  # 0 dB speech-to-echo, as in the bench
    near[start : start + user.size] += user
    path = EchoPath.create()
    live = play_and_capture(reply, near, 0.06, path)
    # The measured delay is what the stamps missed: the room's 40 ms, the reference's lead, the unreported 60 ms.
    taken = path.canceller.history.take(T0 + 4.0, T0 + 4.5, 3.0)
    assert taken is not None
    delay = echo_delay(taken[0], taken[1])
    assert delay is not None and abs(delay - (0.04 + REFERENCE_LEAD_S + 0.06)) < 0.01, delay
    # Say the listener heard the person 0.4 s late: the span is traced back to where they began.
    end = T0 + 5 + user.size / SAMPLE_RATE + 0.2
    again = path.recancel(live[: 7 * SAMPLE_RATE], T0 + 5.4 - 0.3, end)
    onset = again.size - round((end - (T0 + 5.0)) * SAMPLE_RATE)
    assert abs(onset) <= 0.1 * SAMPLE_RATE, onset / SAMPLE_RATE
    first = SAMPLE_RATE // 2
    recovered = again[max(0, onset) :]
    said = user[max(0, -onset) :]
    # Their first half second comes out 8 dB truer than the live canceller left it (1.6 dB against -6.8 dB;
    # the raw microphone: -11.8 dB): the linear filter keeps what AEC3's suppressor took for echo.
    assert aligned_sdr_db(said[:first], recovered) > sdr_db(user[:first], live[start:]) + 6


def test_each_reply_is_aligned_on_its_own_echo_delay() -> None:
    # Two replies, a second of silence apart, whose output streams put their echoes 150 and 180 ms late.
    reply = load_audio(REPLY)
    first, second = reply[: 3 * SAMPLE_RATE], reply[4 * SAMPLE_RATE : 7 * SAMPLE_RATE]
    gap = np.zeros(SAMPLE_RATE, dtype=np.float32)
    far = np.concatenate([first, gap, second, gap])
    mic = np.zeros_like(far)
    for start, part, delay_s in ((0, first, 0.15), (first.size + gap.size, second, 0.18)):
        echo = np.convolve(part, room(delay_s=delay_s))[: part.size + gap.size]
        mic[start : start + echo.size] += echo
    moved, delays = align(mic, far, far.size)
    assert [round(d, 3) for d in delays] == [0.15, 0.18]
    # Moved to lead each echo by the residual: the echo now comes RESIDUAL_DELAY_S after its reference.
    later = first.size + gap.size
    residual = echo_delay(mic[later:], moved[later:])
    assert residual is not None and abs(residual - RESIDUAL_DELAY_S) < 0.002, residual


def test_levinson_solves_a_symmetric_toeplitz_system() -> None:
    rng = np.random.default_rng(3)
    signal = np.convolve(rng.standard_normal(4000), [1.0, 0.8, 0.3])
    column = np.correlate(signal, signal, "full")[signal.size - 1 : signal.size - 1 + 64]
    rhs = rng.standard_normal(64)
    matrix = column[np.abs(np.arange(64)[:, None] - np.arange(64)[None, :])]
    assert np.allclose(linear_echo.levinson(column, rhs), np.linalg.solve(matrix, rhs), rtol=1e-6, atol=1e-9)


def test_the_reply_is_subtracted_and_the_person_talking_over_it_is_kept() -> None:
    reply, user = load_audio(REPLY), load_audio(USER)
    path = room(gain=0.5, seconds=0.1, delay_s=0.01)  # within the filter's 128 ms
    echo = np.convolve(reply, path)[: reply.size].astype(np.float32)
    start = 5 * SAMPLE_RATE
    said = user * (rms(echo[start : start + user.size]) / rms(user))  # 0 dB speech-to-echo
    mic = echo.copy()
    mic[start : start + said.size] += said
    out = linear_echo.subtract(mic, reply)
    before = slice(SAMPLE_RATE, start)
    assert 10 * np.log10(np.sum(mic[before] ** 2) / np.sum(out[before] ** 2)) > 25  # the echo alone
    assert sdr_db(said, out[start : start + said.size]) > 15  # and the person over it (raw: 0 dB)


def test_each_reply_is_fitted_on_its_own() -> None:
    reply = load_audio(REPLY)
    far = np.concatenate([reply[: 2 * SAMPLE_RATE], np.zeros(SAMPLE_RATE), reply[3 * SAMPLE_RATE : 5 * SAMPLE_RATE]])
    spans = linear_echo.replies(far.astype(np.float32))
    assert len(spans) == 2 and spans[0][1] <= 2 * SAMPLE_RATE <= 3 * SAMPLE_RATE <= spans[1][0] + 160
    # The second reply's echo comes through another path (its own output stream): each is cancelled.
    mic = np.concatenate([0.4 * far[: 3 * SAMPLE_RATE], -0.2 * far[3 * SAMPLE_RATE :]]).astype(np.float32)
    out = linear_echo.subtract(mic, far.astype(np.float32))
    for a, b in spans:
        assert 10 * np.log10(np.sum(mic[a:b] ** 2) / np.sum(out[a:b] ** 2)) > 25


def test_the_toeplitz_solver_inverts_the_matrix() -> None:
    rng = np.random.default_rng(5)
    signal = np.convolve(rng.standard_normal(4000), [1.0, 0.9, 0.4])
    column = np.correlate(signal, signal, "full")[signal.size - 1 : signal.size - 1 + 128]
    rhs = rng.standard_normal(128)
    matrix = column[np.abs(np.arange(128)[:, None] - np.arange(128)[None, :])]
    assert np.allclose(linear_echo.toeplitz_solver(column)(rhs), np.linalg.solve(matrix, rhs), rtol=1e-6, atol=1e-9)


def test_the_reverberant_tail_is_subtracted_when_fitted_on_the_echo_alone() -> None:
    from voiceslm.eval.room import impulse_response

    # The bench's room: a 0.3 s tail as strong as the direct path. The person talks over the reply from 2 s on.
    reply, user = load_audio(REPLY)[: 3 * SAMPLE_RATE], load_audio(USER)
    echo = np.convolve(reply, impulse_response(delay_s=0.005))[: reply.size + SAMPLE_RATE].astype(np.float32)
    far = np.concatenate([reply, np.zeros(SAMPLE_RATE, dtype=np.float32)])
    start = 2 * SAMPLE_RATE
    said = user * (rms(echo[start : start + user.size]) / rms(user))  # 0 dB speech-to-echo
    mic = echo.copy()
    end = min(mic.size, start + said.size)
    mic[start:end] += said[: end - start]
    whole = linear_echo.subtract(mic, far)
    clean = linear_echo.subtract(mic, far, person=start)
    # Fitted on the first 2 s alone, 4,096 taps: 27 dB; on all of it, the person in the fit, 2,048 taps: 17 dB.
    assert sdr_db(said[: end - start], clean[start:end]) > 24
    assert sdr_db(said[: end - start], clean[start:end]) > sdr_db(said[: end - start], whole[start:end]) + 8


def test_a_step_of_the_echos_delay_within_a_reply_is_followed() -> None:
    # Under load the rest of a reply's echo came 10 ms later (an output underrun): the part after is aligned anew.
    reply = load_audio(REPLY)[: 4 * SAMPLE_RATE]
    path = room(delay_s=0.15, seconds=0.1)
    mic = np.convolve(reply, path)[: reply.size].astype(np.float32)
    later = np.convolve(np.concatenate([np.zeros(160, np.float32), reply]), path)[: reply.size]
    step = 2 * SAMPLE_RATE
    mic[step:] = later[step:]
    pieces = steps(mic, reply, 0, reply.size, 0.15)
    assert [round(d, 3) for _, d in pieces] == [0.15, 0.16], pieces
    assert abs(pieces[1][0] - step) <= 0.1 * SAMPLE_RATE, pieces
    moved, _ = align(mic, reply, reply.size)
    after = slice(step + SAMPLE_RATE // 5, reply.size)
    followed = linear_echo.subtract(mic, moved)
    # With one delay for the whole reply, the echo after the step lost 1-4 dB; followed, 13-21 dB.
    unfollowed = linear_echo.subtract(mic, delayed(reply, round((0.15 - RESIDUAL_DELAY_S) * SAMPLE_RATE)))
    kept = [10 * np.log10(np.sum(mic[after] ** 2) / np.sum(out[after] ** 2)) for out in (followed, unfollowed)]
    assert kept[0] > 10 and kept[0] > kept[1] + 6, kept


def test_a_dumped_span_is_kept_whole_and_private(tmp_path: Path) -> None:
    from voiceslm.audio import recancel

    mic = np.linspace(-0.5, 0.5, 1600, dtype=np.float32)
    far = mic[::-1].copy()
    recancel._dump(str(tmp_path / "spans"), mic, far, 160, None)
    (dumped,) = (tmp_path / "spans").iterdir()
    assert dumped.stat().st_mode & 0o777 == 0o600  # what the microphone heard
    with np.load(dumped) as data:
        assert np.array_equal(data["mic"], mic) and np.array_equal(data["far"], far) and int(data["begin"]) == 160
