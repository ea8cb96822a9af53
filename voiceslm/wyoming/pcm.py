"""PCM as the Wyoming protocol carries it: the format on each audio event, and samples as float32 mono."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from voiceslm.wyoming.wire import ProtocolError

if TYPE_CHECKING:
    from wyoming.event import Event

MAX_RATE = 384_000
MAX_CHANNELS = 16


def audio_format(event: Event) -> tuple[int, int, int]:
    values = []
    for key, low, high in (("rate", 1000, MAX_RATE), ("width", 1, 4), ("channels", 1, MAX_CHANNELS)):
        value = event.data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ProtocolError(f"Event {event.type!r} has {key} {value!r}; it must be a whole number {low}-{high}.")
        values.append(value)
    return values[0], values[1], values[2]


def to_float_mono(payload: bytes, width: int, channels: int) -> np.ndarray:
    """PCM as Wyoming sends it (little-endian; 8-bit unsigned, wider signed) -> float32 mono in [-1, 1]."""
    raw = np.frombuffer(payload, dtype=np.uint8)
    if width == 1:
        samples = (raw.astype(np.float32) - 128.0) / 128.0
    elif width == 3:
        triples = raw.reshape(-1, 3).astype(np.int32)
        value = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        samples = np.where(value >= 1 << 23, value - (1 << 24), value).astype(np.float32) / float(1 << 23)
    else:
        dtype = np.dtype("<i2") if width == 2 else np.dtype("<i4")
        samples = np.frombuffer(payload, dtype=dtype).astype(np.float32) / float(2 ** (8 * width - 1))
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return np.ascontiguousarray(samples, dtype=np.float32)
