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
voice is not correlated with the reply), it only adds noise to it, which the
fit's length and its regularisation keep small. Numpy only: the normal equations
are a symmetric Toeplitz system, solved by Levinson's recursion.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16000
FRAME = SAMPLE_RATE // 100
TAPS = 2048
"""Length of the fitted echo path (128 ms after the reference's lead): longer fits of 2 s of reply were noisier
(4,096 taps: 6 of 15 barge-ins transcribed right against 7, on the same recordings)."""
LOAD = 1e-2
"""Diagonal loading of the normal equations (a fraction of the reply's energy): keeps the fit from chasing
the person's voice and the reply's quiet bands."""
TAIL_S = 0.35
"""How long after a reply's last sound its echo is still subtracted (the room's reverberant tail)."""
SOUNDING = 1e-4
GAP_FRAMES = 30
"""A silence of the far end this long (300 ms) ends a reply: each one is fitted on its own."""


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


def subtract(mic: np.ndarray, far: np.ndarray, since: int = 0) -> np.ndarray:
    """`mic` less each reply's echo, `far` aligned to lead the echo; only replies sounding after sample
    `since` are fitted (the earlier audio is returned as it was)."""
    out = np.asarray(mic, dtype=np.float32).copy()
    for start, end in replies(far):
        if end <= since:
            continue
        stop = min(mic.size, end + round(TAIL_S * SAMPLE_RATE))
        x = far[start:stop].astype(np.float64)
        y = mic[start:stop].astype(np.float64)
        if not np.any(x):
            continue
        taps = min(TAPS, x.size // 4)
        echo = np.convolve(x, fit(x, y, taps))[: y.size]
        out[start:stop] = (y - echo).astype(np.float32)
    return out
