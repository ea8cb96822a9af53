"""A small ctypes binding to libpulse-simple: one blocking record or playback stream.

parec and pacat talk to the server through pipes whose fill nobody controls, so the delay of a
loop built from them wanders (75-162 ms over five minutes) and jumps when a pipe underruns. A
stream of our own, with fixed buffer attributes and no pipe, holds its delay.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

PA_STREAM_PLAYBACK = 1
PA_STREAM_RECORD = 2
PA_SAMPLE_FLOAT32LE = 5


class SampleSpec(ctypes.Structure):
    _fields_ = [("format", ctypes.c_int), ("rate", ctypes.c_uint32), ("channels", ctypes.c_uint8)]


class BufferAttr(ctypes.Structure):
    _fields_ = [
        ("maxlength", ctypes.c_uint32),
        ("tlength", ctypes.c_uint32),
        ("prebuf", ctypes.c_uint32),
        ("minreq", ctypes.c_uint32),
        ("fragsize", ctypes.c_uint32),
    ]


UNSET = 0xFFFFFFFF
"""(uint32_t) -1: the server's default for a buffer attribute."""


class PulseError(RuntimeError):
    """A libpulse-simple call failed."""


@cache
def _library() -> ctypes.CDLL:
    name = ctypes.util.find_library("pulse-simple") or "libpulse-simple.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:
        raise PulseError(f"libpulse-simple is not installed ({exc}); run: apt-get install -y libpulse0") from exc
    pa = ctypes.CDLL(ctypes.util.find_library("pulse") or "libpulse.so.0")
    lib.pa_simple_new.restype = ctypes.c_void_p
    lib.pa_simple_new.argtypes = [
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.POINTER(SampleSpec),
        ctypes.c_void_p,
        ctypes.POINTER(BufferAttr),
        ctypes.POINTER(ctypes.c_int),
    ]
    lib.pa_simple_read.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_int)]
    lib.pa_simple_write.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_int)]
    lib.pa_simple_get_latency.restype = ctypes.c_uint64
    lib.pa_simple_get_latency.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
    lib.pa_simple_flush.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
    lib.pa_simple_free.argtypes = [ctypes.c_void_p]
    pa.pa_strerror.restype = ctypes.c_char_p
    pa.pa_strerror.argtypes = [ctypes.c_int]
    lib.strerror = pa.pa_strerror  # type: ignore[attr-defined]
    return lib


def _check(ok: bool, error: ctypes.c_int, what: str) -> None:
    if not ok:
        message = _library().strerror(error.value)  # type: ignore[attr-defined]
        raise PulseError(f"{what}: {message.decode(errors='replace') if message else error.value}")


class Stream:
    """One mono float32 stream at `rate` on `device` (a source to record, a sink to play into)."""

    def __init__(
        self,
        device: str | None,
        *,
        playback: bool,
        rate: int = 16000,
        name: str = "voiceslm",
        fragment_s: float = 0.01,
        target_s: float = 0.05,
    ) -> None:
        lib = _library()
        self.rate = rate
        spec = SampleSpec(PA_SAMPLE_FLOAT32LE, rate, 1)
        block = round(fragment_s * rate) * 4
        if playback:
            # prebuf 0: the stream never stops to refill after an underrun; what comes late plays into
            # the time already gone (dropped), so the delay of what follows stays where it was.
            attr = BufferAttr(UNSET, round(target_s * rate) * 4, 0, block, UNSET)
        else:
            attr = BufferAttr(UNSET, UNSET, UNSET, UNSET, block)
        error = ctypes.c_int(0)
        handle = lib.pa_simple_new(
            None,
            name.encode(),
            PA_STREAM_PLAYBACK if playback else PA_STREAM_RECORD,
            device.encode() if device else None,
            (name + (" out" if playback else " in")).encode(),
            ctypes.byref(spec),
            None,
            ctypes.byref(attr),
            ctypes.byref(error),
        )
        _check(bool(handle), error, f"cannot open {'playback to' if playback else 'recording from'} {device}")
        self._handle: int | None = handle

    def read(self, size: int) -> bytes:
        """Exactly `size` bytes, blocking until they are recorded."""
        buffer = ctypes.create_string_buffer(size)
        error = ctypes.c_int(0)
        _check(_library().pa_simple_read(self._live(), buffer, size, ctypes.byref(error)) == 0, error, "read")
        return buffer.raw

    def write(self, data: bytes) -> None:
        """Queue `data` for playback, blocking while the buffer is full."""
        error = ctypes.c_int(0)
        _check(_library().pa_simple_write(self._live(), data, len(data), ctypes.byref(error)) == 0, error, "write")

    def latency(self) -> float:
        """Seconds between now and the moment a sample written now plays (or a sample read now was heard)."""
        error = ctypes.c_int(0)
        value = _library().pa_simple_get_latency(self._live(), ctypes.byref(error))
        _check(value != 2**64 - 1, error, "latency")
        return value / 1e6

    def close(self) -> None:
        if self._handle is not None:
            _library().pa_simple_free(self._handle)
            self._handle = None

    def _live(self) -> int:
        if self._handle is None:
            raise PulseError("the stream is closed")
        return self._handle

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
