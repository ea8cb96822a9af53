"""A barge-in's words, cancelled again once the turn is over, with the echo's delay measured.

While the reply still plays, the live canceller (`echo_cancel.EchoCanceller`)
works on a reference whose offset from the echo is only as good as two
streams' latency reports plus a margin, and its nonlinear suppressor (and the
"nearly all echo" gate after it) ate the first 0.5-1.2 s of a person talking
over the reply: "ons 1 and 3 are used" for "today only platforms one and
three are used". Detection does not need those words; the transcript does.
So the canceller keeps what it was given (raw microphone and far end, a few
seconds of each) and, at the end of a turn that interrupted a reply, the span
is cancelled again: the echo's real delay behind the reference is measured on
each reply's whole echo (a cross-correlation, reply by reply: each is its own
output stream), the reference is moved to lead the echo by `RESIDUAL_DELAY_S`,
and each reply's echo is subtracted by a least-squares linear filter fitted to it
(`voiceslm.audio.linear_echo`), which leaves the person whole. The filter is
fitted twice: on the reply's echo before the listener heard the person, which
finds where the person began (`person_start`), then on its echo before that
alone, which the person's voice does not disturb. The span starts where the
person began (`onset`).
"""

from __future__ import annotations

import collections
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable

import numpy as np

from voiceslm.audio import linear_echo

log = logging.getLogger(__name__)

FarWindow = Callable[[float, int], np.ndarray]
"""The far end's samples from a monotonic time, a count of them (`echo_cancel.FarEnd.window`)."""

SAMPLE_RATE = 16000
FRAME = SAMPLE_RATE // 100
KEEP_S = 20.0
"""Seconds of raw microphone and far end kept (a long utterance and the reply before it)."""
WARMUP_S = 6.0
"""Seconds of played sound before the span that a fresh canceller adapts on."""
RESIDUAL_DELAY_S = 0.01
"""How far the moved reference leads the echo: AEC3 finds a delay behind its reference, never one ahead."""
MAX_LAG_S = 0.6
"""The largest delay of the echo behind the reference looked for (either way)."""
SOUNDING = 1e-4
GAP_FRAMES = 30
"""A silence of the far end this long (300 ms) separates two replies, whose echoes' delays may differ."""
STEP_WINDOW_S = 0.5
STEP_HOP_S = 0.1
STEP_MEDIAN = 5
MAX_STEP_S = 0.05
STEP_S = 0.01
"""Window, hop, median length (windows), largest step and the step itself (a 10 ms block) of `steps`: the steps
seen were 10-30 ms; a half-second window of a reply rarely misreads its echo's delay (1 in 20 did, by 60 ms
or more), and a change under half a block is a reading's rounding, not a step."""
LOOKBACK_S = 1.5
"""How much earlier than the listener's onset a barge-in may have begun: the live canceller suppressed up to
1.2 s of a person's first words while the reply played, so the listener's voice detector heard them late."""
PERSON_DB = 10.0
"""A frame the linear filter left this much louder, against its estimate of the echo, than it leaves the reply's
echo alone (measured on the same reply before the person spoke) holds a person."""
PERSON_RMS = 0.01
"""...and is loud enough to be someone talking (a person said into the microphone at 0.09 RMS)."""
ECHO_RMS = 0.003
"""A frame whose estimated echo is quieter than this (RMS) has no echo to judge by: loud enough, it is a person."""
LINEAR_BEFORE_S = 3.0
"""Replies that ended this long before the span are not fitted (their echo is not in what is transcribed)."""
BRIDGE = 20
"""Frames (200 ms) of echo between two words that do not end a person's speech when tracing it back."""
PERSON_RUN = 3
"""Frames (30 ms) in a row that hold a person where they began to talk over a reply (`person_start`)."""
FIT_MARGIN_S = 0.1
"""How much earlier than where a person was found to begin the fit on the reply's echo alone ends: a soft
first sound is below PERSON_RMS, and the person's voice in the fit is noise to it. On 20 bench turns the
person was found 0.3 s early to 0.25 s late against where their recording starts to be loud."""


class History:
    """Raw microphone blocks with the far end the live canceller was given for them, on the capture clock."""

    def __init__(self, keep_s: float = KEEP_S) -> None:
        self._blocks: collections.deque[tuple[float, np.ndarray, np.ndarray]] = collections.deque()
        self._keep_s = keep_s
        self._lock = threading.Lock()

    def add(self, start: float, mic: np.ndarray, far: np.ndarray) -> None:
        if mic.size == 0:
            return
        with self._lock:
            self._blocks.append((start, mic.copy(), far.copy()))
            while self._blocks and self._blocks[0][0] < start - self._keep_s:
                self._blocks.popleft()

    def clear(self) -> None:
        with self._lock:
            self._blocks.clear()

    def take(
        self, start: float, end: float, warmup_s: float, far_window: FarWindow | None = None
    ) -> tuple[np.ndarray, np.ndarray, int] | None:
        """Microphone and far end of [start, end), after the earlier blocks that hold up to `warmup_s` of
        played sound (with the silences between them, which tell one reply from the next); and at which
        sample the span begins. None if the span is no longer (or not) kept."""
        with self._lock:
            blocks = list(self._blocks)
        span = [b for b in blocks if b[0] + b[1].size / SAMPLE_RATE > start and b[0] < end]
        if not span or span[0][0] > start + 0.5:
            return None
        before: list[tuple[float, np.ndarray, np.ndarray]] = []
        sounding = 0.0
        for block in reversed([b for b in blocks if b[0] < span[0][0]]):
            if sounding >= warmup_s:
                break
            before.append(block)
            if np.abs(block[2]).max() > SOUNDING:
                sounding += block[1].size / SAMPLE_RATE
        before.reverse()
        warm = sum(b[1].size for b in before)
        skip = max(0, round((start - span[0][0]) * SAMPLE_RATE))
        mic = np.concatenate([b[1] for b in before + span])
        if far_window is None:
            far = np.concatenate([b[2] for b in before + span])
        else:  # what was played, read again now that all of it has been pushed
            far = np.concatenate([far_window(b[0], b[1].size) for b in before + span])
        return mic, far, warm + skip


def echo_delay(mic: np.ndarray, far: np.ndarray, max_lag_s: float = MAX_LAG_S) -> float | None:
    """Seconds the echo in `mic` lags `far` (negative: it comes before), by a phase-weighted cross-correlation;
    None when there is too little played sound to tell."""
    if mic.size < SAMPLE_RATE // 2 or np.abs(far).max() <= SOUNDING:
        return None
    n = 1 << int(np.ceil(np.log2(mic.size + far.size)))
    spectrum = np.fft.rfft(mic, n) * np.conj(np.fft.rfft(far, n))
    magnitude = np.abs(spectrum)
    spectrum /= magnitude + 0.1 * magnitude.mean() + 1e-12  # whitened, but not where neither has sound
    corr = np.fft.irfft(spectrum, n)
    lags = round(max_lag_s * SAMPLE_RATE)
    window = np.concatenate([corr[-lags:], corr[: lags + 1]])
    best = int(np.argmax(window))
    if window[best] < 4 * float(np.median(np.abs(window))) + 1e-9:
        return None
    return (best - lags) / SAMPLE_RATE


def shift(far: np.ndarray, samples: int) -> np.ndarray:
    """`far` delayed by `samples` (advanced if negative), zero-filled, same length."""
    out = np.zeros_like(far)
    if samples >= 0:
        out[samples:] = far[: far.size - samples]
    else:
        out[:samples] = far[-samples:]
    return out


def align(mic: np.ndarray, far: np.ndarray, known: int) -> tuple[np.ndarray, list[float]]:
    """`far` moved to lead the echo in `mic` by RESIDUAL_DELAY_S, stretch by stretch of played sound: each
    reply is its own output stream, and the echo's delay differed by up to 30 ms from one reply to the next.
    The delay is measured on the first `known` samples only (the rest may hold the person talking);
    a stretch too short to measure takes the one before it. Also returns the delays measured."""
    frames = far.size // FRAME
    sounding = np.abs(far[: frames * FRAME].reshape(frames, FRAME)).max(axis=1) > SOUNDING
    starts = [0]
    silent = 0
    for i in range(frames):
        if sounding[i] and silent >= GAP_FRAMES and i * FRAME > starts[-1]:
            starts.append(i * FRAME)
        silent = 0 if sounding[i] else silent + 1
    bounds = [*starts, far.size]
    moved = np.zeros_like(far)
    delays: list[float] = []
    delay: float | None = None
    for first, last in zip(bounds, bounds[1:], strict=False):
        stop = min(last, known)
        measured = echo_delay(mic[first:stop], far[first:stop]) if stop > first else None
        delay = measured if measured is not None else delay
        if measured is not None:
            delays.append(measured)
        if delay is None:
            continue
        pieces = steps(mic, far, first, stop, delay) if measured is not None else [(first, delay)]
        for (start, piece_delay), (end, _) in zip(pieces, [*pieces[1:], (last, 0.0)], strict=True):
            moved[start:end] = shift(far[first:last], round((piece_delay - RESIDUAL_DELAY_S) * SAMPLE_RATE))[
                start - first : end - first
            ]
    return moved, delays


def steps(mic: np.ndarray, far: np.ndarray, first: int, stop: int, delay: float) -> list[tuple[int, float]]:
    """Where, within one reply's [first, stop), the echo's delay stepped away from the `delay` measured on the
    whole of it, and to what: [(sample, delay), ...] from `first`. Under load an output underrun or a stalled
    room loop moves the rest of a reply's echo by a 10 ms block (155 -> 165 -> 155 -> 145 ms within 4 s in one
    bench turn at load 2.6), and a filter fitted before the step adds echo after it. Measured in windows of
    STEP_WINDOW_S every STEP_HOP_S; a window's reading more than MAX_STEP_S off, or one its neighbours do
    not share (the median of STEP_MEDIAN), is not a step."""
    window, hop = round(STEP_WINDOW_S * SAMPLE_RATE), round(STEP_HOP_S * SAMPLE_RATE)
    centres: list[int] = []
    readings: list[float] = []
    for start in range(first, stop - window + 1, hop):
        found = echo_delay(mic[start : start + window], far[start : start + window], MAX_LAG_S)
        centres.append(start + window // 2)
        readings.append(found if found is not None and abs(found - delay) <= MAX_STEP_S else delay)
    half = STEP_MEDIAN // 2
    # The median of each window and its neighbours, one of their readings (never a mean of two).
    near = [sorted(readings[max(0, i - half) : i + half + 1]) for i in range(len(readings))]
    smooth = [around[len(around) // 2] for around in near]
    pieces = [(first, delay if not smooth or abs(smooth[0] - delay) <= STEP_S / 2 else smooth[0])]
    for i in range(1, len(smooth)):
        if abs(smooth[i] - pieces[-1][1]) > STEP_S / 2:
            pieces.append(((centres[i - 1] + centres[i]) // 2, smooth[i]))
    return pieces


def recancel(
    history: History,
    start: float,
    end: float,
    *,
    noise_suppression: bool = False,
    far_window: FarWindow | None = None,
) -> np.ndarray | None:
    """The microphone's audio of [start, end) with the echo cancelled afresh, aligned by measurement;
    None when the span is not kept or the delay cannot be measured (the live output stands then)."""
    taken = history.take(start - LOOKBACK_S, end, WARMUP_S, far_window)
    if taken is None:
        return None
    mic, far, begin = taken
    out = cancel_span(mic, far, begin, noise_suppression=noise_suppression)
    if directory := os.environ.get(DUMP_ENV):
        _dump(directory, mic, far, begin, out)
    return out


DUMP_ENV = "VOICESLM_RECANCEL_DUMP"
"""A directory: each re-cancelled span is written there as `<pid>-<n>.npz` (raw `mic`, `far` as played, the sample
`begin` the span starts at, the `out` that was transcribed, the monotonic time `at`), to study the echo
offline with `cancel_span`."""
_dumped = itertools.count()


def _dump(directory: str, mic: np.ndarray, far: np.ndarray, begin: int, out: np.ndarray | None) -> None:
    """Write one span, readable by its owner alone (it is what the microphone heard)."""
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        path = os.path.join(directory, f"{os.getpid()}-{next(_dumped):04d}.npz")
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), "wb") as file:
            np.savez_compressed(
                file, mic=mic, far=far, begin=begin, at=time.monotonic(),
                out=np.zeros(0, np.float32) if out is None else out,
            )  # fmt: skip
    except OSError as exc:
        log.warning("could not write the re-cancelled span to %s: %s", directory, exc)


def cancel_span(mic: np.ndarray, far: np.ndarray, begin: int, *, noise_suppression: bool = False) -> np.ndarray | None:
    """`mic` and its far end, from LOOKBACK_S before the span (sample `begin`) and the warm-up before that,
    cancelled afresh and cut to where the person began (see `recancel`); None when no echo delay is found."""
    # The whole of each reply is measured: a person talking over its end does not move the echo's peak.
    moved, delays = align(mic, far, mic.size)
    if not delays:
        log.debug("no echo delay measured before the barge-in; its live cancellation stands")
        return None
    since = max(0, begin - round(LINEAR_BEFORE_S * SAMPLE_RATE))
    heard = begin + round(LOOKBACK_S * SAMPLE_RATE)
    # Each reply fitted on its echo before the listener heard the person, then again before the person began.
    out = linear_echo.subtract(mic, moved, since, person=heard)
    began = person_start(mic, out, moved, heard, residual(mic, out, begin))
    out = linear_echo.subtract(mic, moved, since, person=max(0, began - round(FIT_MARGIN_S * SAMPLE_RATE)))
    first = onset(mic[begin:], out[begin:], round(LOOKBACK_S * SAMPLE_RATE) // FRAME, residual(mic, out, begin))
    if noise_suppression:
        out = _suppress_noise(out)
    log.debug(
        "barge-in re-cancelled: echo %s ms behind the reference, %.1f s warm-up, began %.2f s before its onset",
        "/".join(str(round(d * 1000)) for d in delays),
        begin / SAMPLE_RATE,
        LOOKBACK_S - first * FRAME / SAMPLE_RATE,
    )
    return out[begin + first * FRAME :]


def _suppress_noise(audio: np.ndarray) -> np.ndarray:
    from pywebrtc_audio import AudioProcessor

    processor = AudioProcessor(sample_rate=SAMPLE_RATE, echo_cancellation=False, noise_suppression=True)
    silence = np.zeros(FRAME, dtype=np.float32)
    frames = audio.size // FRAME
    return np.concatenate([processor.process(audio[i * FRAME : (i + 1) * FRAME], silence) for i in range(frames)])


def _energy(audio: np.ndarray, frames: int) -> np.ndarray:
    return np.square(audio[: frames * FRAME].astype(np.float64).reshape(frames, FRAME)).sum(axis=1) + 1e-12


def residual(mic: np.ndarray, out: np.ndarray, before: int) -> float:
    """What the linear filter leaves of the echo (energy ratio of its output to its estimate of the echo, the
    median over frames of echo before sample `before`, where only the reply sounded): 0.1 if too few."""
    frames = min(before, out.size) // FRAME
    echo = _energy(mic[: frames * FRAME] - out[: frames * FRAME], frames)
    sounding = echo > ECHO_RMS**2 * FRAME
    if np.count_nonzero(sounding) < 20:
        return 0.1
    return float(np.median(_energy(out, frames)[sounding] / echo[sounding]))


def _person(mic: np.ndarray, out: np.ndarray, left: float) -> np.ndarray:
    """Per frame: whether it holds a person (see `onset`)."""
    frames = min(mic.size, out.size) // FRAME
    kept = _energy(out, frames)
    echo = _energy(mic[: frames * FRAME] - out[: frames * FRAME], frames)
    louder = (kept > echo * left * 10 ** (PERSON_DB / 10)) | (echo < ECHO_RMS**2 * FRAME)
    return louder & (kept > PERSON_RMS**2 * FRAME)


def person_start(mic: np.ndarray, out: np.ndarray, far: np.ndarray, heard: int, left: float = 0.1) -> int:
    """The sample where a person first talked over the reply that sounded at sample `heard` (where the listener
    heard them), scanning forward from that reply's start: the first PERSON_RUN frames in a row that `onset`
    would call a person's; `heard` if there are none. Tracing back from `heard` stops at a pause between two
    words, which is fine for a transcript's start but not for where the fit on echo alone must end."""
    starts = [start for start, _ in linear_echo.replies(far) if start < heard]
    if not starts:
        return heard
    person = _person(mic[:heard], out[:heard], left)
    first = starts[-1] // FRAME
    for i in range(first, person.size - PERSON_RUN + 1):
        if person[i : i + PERSON_RUN].all():
            return i * FRAME
    return heard


def onset(mic: np.ndarray, out: np.ndarray, heard: int, left: float = 0.1) -> int:
    """The frame where the person's speech began, traced back from frame `heard` (where the listener heard it)
    over frames that hold a person: the linear filter left them PERSON_DB louder against its estimate of the
    echo than the `left` it leaves of an echo alone, or there was no echo in them; and they are loud."""
    person = _person(mic, out, left)
    frames = person.size
    first = min(heard, frames)
    gap = 0
    for i in range(first - 1, -1, -1):
        gap = 0 if person[i] else gap + 1
        if gap > BRIDGE:
            break
        if person[i]:
            first = i
    return first
