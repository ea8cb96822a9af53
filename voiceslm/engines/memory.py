"""Giving freed model memory back to the system.

The models are native allocations (CTranslate2, ONNX Runtime, Bergamot) made
from several threads, so glibc spreads them over many malloc arenas; freeing a
model leaves those arenas mapped and a process that rebuilds its pipeline grew
by hundreds of megabytes per rebuild (a daemon reload measured 840 -> 1,303 ->
1,572 MB). `malloc_trim` returns the free pages of every arena.

A daemon also fixes glibc's mmap and trim thresholds (`tune_allocator`) and
trims after each reply, off the event loop (`trim_soon`): see `MMAP_THRESHOLD`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_libc: ctypes.CDLL | None = None
_looked = False


def _glibc() -> ctypes.CDLL | None:
    global _libc, _looked
    if not _looked:
        _looked = True
        name = ctypes.util.find_library("c")
        try:
            libc = ctypes.CDLL(name or "libc.so.6")
            libc.malloc_trim.argtypes = [ctypes.c_size_t]
            libc.malloc_trim.restype = ctypes.c_int
            libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
            libc.mallopt.restype = ctypes.c_int
            _libc = libc
        except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
            _libc = None
    return _libc


def release_freed_memory() -> None:
    """Collect cycles, then hand the free pages of every malloc arena back (glibc only)."""
    gc.collect()
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
        log.debug("freed memory handed back to the system")


M_ARENA_MAX = -8
"""glibc's mallopt parameter for the most malloc arenas a process may have."""
ARENAS = 2
"""Arenas for a long-running daemon: glibc's default (8 per core) lets each of the
many model and pipeline threads fill its own arena to a high-water mark, and
RSS crept up by tens of MB with each rebuilt pipeline's new threads."""
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 256 * 1024
"""Allocations from this size on get their own mapping, given back when freed.

glibc starts at 128 KiB but raises the threshold to the size of each mapped
block freed (up to 32 MB): after the models' first big buffers come and go,
later ones of varying size (speech-to-text of each utterance, each reply's
tokens) are carved out of the heap, and the holes they leave keep its pages.
Setting the threshold fixes it and turns that adjustment off."""
TRIM_THRESHOLD = 1024 * 1024
"""Free memory at the top of the heap beyond this goes back at once (glibc's
adjustment would have let it reach 64 MB)."""
TRIM_DELAY_S = 0.5
"""A trim waits this long after it is asked for: the reply's last buffers are
freed by then, and requests close together share one trim."""

_applied: dict[str, int] = {}


def tune_allocator() -> None:
    """For a long-running process: cap the arenas, fix the mmap and trim thresholds, trim after each reply.

    Settings given in the environment (MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_,
    MALLOC_TRIM_THRESHOLD_, GLIBC_TUNABLES) win over these. Call before the
    model and pipeline threads allocate.
    """
    libc = _glibc()
    if libc is None:
        return
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    for name, variable, param, value in (
        ("arena_max", "MALLOC_ARENA_MAX", M_ARENA_MAX, ARENAS),
        ("mmap_threshold", "MALLOC_MMAP_THRESHOLD_", M_MMAP_THRESHOLD, MMAP_THRESHOLD),
        ("trim_threshold", "MALLOC_TRIM_THRESHOLD_", M_TRIM_THRESHOLD, TRIM_THRESHOLD),
    ):
        if os.environ.get(variable) or f"glibc.malloc.{name}" in tunables:
            continue
        if libc.mallopt(param, value) == 1:
            _applied[name] = value
        else:
            log.debug("mallopt(%s) refused; malloc keeps its own", name)
    _TRIMMER.enabled = True


class _Trimmer:
    """One thread that runs `malloc_trim(0)` when asked, counting what it gave back."""

    def __init__(self) -> None:
        self.enabled = False
        self.count = 0
        self.seconds = 0.0
        self.released_mb = 0.0
        self._wanted = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def request(self) -> None:
        if not self.enabled:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="malloc-trim", daemon=True)
                self._thread.start()
        self._wanted.set()

    def _run(self) -> None:
        libc = _glibc()
        while libc is not None:
            self._wanted.wait()
            time.sleep(TRIM_DELAY_S)
            self._wanted.clear()
            before = _rss_mb()
            started = time.perf_counter()
            libc.malloc_trim(0)  # ctypes lets go of the GIL meanwhile
            self.seconds += time.perf_counter() - started
            self.released_mb += max(0.0, before - _rss_mb())
            self.count += 1


_TRIMMER = _Trimmer()


def trim_soon() -> None:
    """Hand freed memory back shortly, in a thread of its own (a daemon only: see `tune_allocator`)."""
    _TRIMMER.request()


def _rss_mb() -> float:
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def allocator_report() -> dict[str, Any]:
    """The allocator settings this process applied and the trims after replies, for `status`."""
    trims = _TRIMMER
    return {
        **_applied,
        "trims": trims.count,
        "trim_ms_mean": round(1000 * trims.seconds / trims.count, 2) if trims.count else None,
        "trimmed_mb": round(trims.released_mb, 1),
    }
