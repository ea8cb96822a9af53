"""A reply's echo subtracted by a linear filter fitted to it: the words a person said over the reply kept.

AEC3 removes an echo well but its residual-echo suppressor, during double talk,
takes a person's first words for echo and removes them too ("these days go on
forever" for "feels like these days go on forever"). A linear filter only
subtracts its estimate of the echo and leaves everything else. An adaptive one
(SpeexDSP's MDF) never converged on the looped-back virtual speaker: the echo's
delay behind the reference steps by a 10 ms block whenever the output
underruns or the input overruns, several times a minute under load, and with
every step an adapted filter is wrong again. So the filter here is fitted
afresh, by least squares, to each reply alone, once that reply is over: a few
seconds of one output stream, whose delay was measured on it (`recancel.align`),
rarely hold a step. A person talking over part of it does not bias the fit (their
voice is not correlated with the reply), but it adds noise to it, the more the
more taps are fitted; so where the person began is known (`recancel.person_start`)
the reply is fitted on its echo before then alone (`fit_before`), long enough for
the room's reverberant tail (TAPS). Numpy only: the normal equations are a
symmetric Toeplitz system, solved by Levinson's recursion, or nearly one, solved
by conjugate gradients with that Toeplitz system as the preconditioner.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SAMPLE_RATE = 16000
FRAME = SAMPLE_RATE // 100
TAPS = 4096
"""Length of the fitted echo path (256 ms after the reference's lead). The room's reverberant tail decays about
3 dB every 16 ms (RT60 0.3 s) and carries as much energy as the direct path, so 2,048 taps (128 ms) left the
tail's last 25 dB unfitted: a fit on the true echo of a bench turn took 27 dB off with 2,048 taps and 50 dB with
4,096. Fitted over a person's words, 4,096 taps were worse than 2,048 (their voice is noise to the fit, and more
taps fit more of it); fitted on the reply's echo alone (`subtract`'s `person`), they are not."""
LOAD = 1e-2
"""Diagonal loading of the normal equations (a fraction of the reply's energy) for a fit that may hold a
person's voice: keeps the fit from chasing it and the reply's quiet bands."""
CLEAN_LOAD = 1e-4
"""The same for a fit on echo alone: no voice to chase, only the quiet bands to keep bounded. On 20 bench turns
(the true echo known) it took a median 41 dB of echo off where 1e-3 took 38 and 1e-2 25."""
FULL_TAPS = 2048
"""Taps of a fit over a whole reply, a person's voice perhaps in it (see TAPS)."""
CLEAN_S = 0.5
"""Echo alone needed before the person for a reply to be fitted on it alone; with less, on all of it."""
TAIL_S = 0.35
"""How long after a reply's last sound its echo is still subtracted (the room's reverberant tail)."""
SOUNDING = 1e-4
GAP_FRAMES = 30
"""A silence of the far end this long (300 ms) ends a reply: each one is fitted on its own."""
ITERATIONS = 30
"""At most this many conjugate-gradient steps for `fit_before` (it met its 1e-4 tolerance within them)."""


def levinson(first_column: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """x with T x = rhs, T the symmetric Toeplitz matrix whose first column is `first_column`."""
    r = np.asarray(first_column, dtype=np.float64)
    b = np.asarray(rhs, dtype=np.float64)
    n = r.size
    x = np.zeros(n)
    forward = np.zeros(n)  # solves T_k forward = e_1 for the leading k-by-k block
    forward[0] = 1.0 / r[0]
    x[0] = b[0] / r[0]
    grown = np.zeros(n)
    mirrored = np.zeros(n)
    for k in range(1, n):
        error = float(np.dot(r[k:0:-1], forward[:k]))
        grown[:k] = forward[:k]
        grown[k] = 0.0
        mirrored[0] = 0.0
        mirrored[1 : k + 1] = forward[:k][::-1]
        forward[: k + 1] = (grown[: k + 1] - error * mirrored[: k + 1]) / (1.0 - error * error)
        miss = b[k] - float(np.dot(r[k:0:-1], x[:k]))
        x[: k + 1] += miss * forward[: k + 1][::-1]
    return x


def toeplitz_solver(first_column: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """v -> T^-1 v for the symmetric Toeplitz T whose first column is given, in O(n log n) per call after one
    Levinson solve (the Gohberg-Semencul formula: T^-1 from its own first column, as two triangular products)."""
    n = first_column.size
    unit = np.zeros(n)
    unit[0] = 1.0
    a = levinson(first_column, unit)
    b = np.concatenate([[0.0], a[:0:-1]])
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spectra = (np.fft.rfft(a, size), np.fft.rfft(b, size))

    def solve(v: np.ndarray) -> np.ndarray:
        out = np.zeros(n)
        for sign, spectrum in zip((1.0, -1.0), spectra, strict=True):
            upper = np.fft.irfft(np.conj(spectrum) * np.fft.rfft(v, size), size)[:n]
            out += sign * np.fft.irfft(spectrum * np.fft.rfft(upper, size), size)[:n]
        return out / a[0]

    return solve


def fit_before(far: np.ndarray, mic: np.ndarray, clean: int, taps: int = TAPS, load: float = CLEAN_LOAD) -> np.ndarray:
    """The FIR filter of `taps` that best turns `far` into `mic` over the first `clean` samples of `mic` only (the
    reply's echo before a person spoke), `far` from the same start, silent before it.

    Exact least squares (the covariance method), by conjugate gradients preconditioned with the Toeplitz
    approximation `fit` makes: that approximation counts the products of the `taps` samples of `far` after
    `clean` as if their echo were fitted too, which for a fit ending 1-2 s into a reply cost much of the
    echo reduction (20 bench turns, the load at 1e-3: a median 23 dB off against 38)."""
    x = far.astype(np.float64)
    weight = np.zeros(x.size)
    weight[:clean] = 1.0
    size = 1 << int(np.ceil(np.log2(x.size + taps)))
    spectrum = np.fft.rfft(x, size)

    def correlate(z: np.ndarray) -> np.ndarray:
        return np.fft.irfft(np.fft.rfft(z, size) * np.conj(spectrum), size)[:taps]

    auto = correlate(x * weight)
    loading = load * auto[0] + 1e-12
    auto[0] += loading
    precondition = toeplitz_solver(auto)

    def normal(v: np.ndarray) -> np.ndarray:
        return correlate(weight * np.fft.irfft(spectrum * np.fft.rfft(v, size), size)[: x.size]) + loading * v

    rhs = correlate(weight * mic.astype(np.float64))
    h = precondition(rhs)
    r = rhs - normal(h)
    z = precondition(r)
    p = z.copy()
    rz = float(r @ z)
    bound = 1e-4 * float(np.linalg.norm(rhs))
    for _ in range(ITERATIONS):
        if float(np.linalg.norm(r)) <= bound or rz <= 0:
            break
        step = normal(p)
        alpha = rz / float(p @ step)
        h += alpha * p
        r -= alpha * step
        z = precondition(r)
        rz, previous = float(r @ z), rz
        p = z + (rz / previous) * p
    return h


def fit(far: np.ndarray, mic: np.ndarray, taps: int = TAPS, load: float = LOAD) -> np.ndarray:
    """The FIR filter of `taps` that best turns `far` into `mic` (least squares), by FFT correlations."""
    size = 1 << int(np.ceil(np.log2(far.size + taps)))
    far_spectrum = np.fft.rfft(far.astype(np.float64), size)
    mic_spectrum = np.fft.rfft(mic.astype(np.float64), size)
    auto = np.fft.irfft(far_spectrum * np.conj(far_spectrum), size)[:taps]
    cross = np.fft.irfft(mic_spectrum * np.conj(far_spectrum), size)[:taps]
    auto[0] = auto[0] * (1.0 + load) + 1e-12
    return levinson(auto, cross)


def replies(far: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) samples of each stretch of played sound, stretches parted by GAP_FRAMES of silence."""
    frames = far.size // FRAME
    sounding = np.abs(far[: frames * FRAME].reshape(frames, FRAME)).max(axis=1) > SOUNDING
    spans: list[tuple[int, int]] = []
    for i in np.flatnonzero(sounding).tolist():
        if spans and i - spans[-1][1] // FRAME < GAP_FRAMES:
            spans[-1] = (spans[-1][0], (i + 1) * FRAME)
        else:
            spans.append((i * FRAME, (i + 1) * FRAME))
    return spans


def subtract(mic: np.ndarray, far: np.ndarray, since: int = 0, person: int | None = None) -> np.ndarray:
    """`mic` less each reply's echo, `far` aligned to lead the echo; only replies sounding after sample
    `since` are fitted (the earlier audio is returned as it was). A reply that sounds at sample `person`
    (where a person began to talk over it) is fitted on its echo before then alone, if it played CLEAN_S
    before; any other reply on all of it."""
    out = np.asarray(mic, dtype=np.float32).copy()
    for start, end in replies(far):
        if end <= since:
            continue
        stop = min(mic.size, end + round(TAIL_S * SAMPLE_RATE))
        x = far[start:stop].astype(np.float64)
        y = mic[start:stop].astype(np.float64)
        if not np.any(x):
            continue
        clean = stop - start if person is None or not start < person < stop else person - start
        if clean < stop - start and clean >= CLEAN_S * SAMPLE_RATE:
            h = fit_before(x, y, clean, min(TAPS, clean // 4))
        else:
            h = fit(x, y, min(FULL_TAPS, x.size // 4))
        out[start:stop] = (y - np.convolve(x, h)[: y.size]).astype(np.float32)
    return out
