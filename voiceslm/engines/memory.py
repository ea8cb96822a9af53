"""Giving freed model memory back to the system.

The models are native allocations (CTranslate2, ONNX Runtime, Bergamot) made
from several threads, so glibc spreads them over many malloc arenas; freeing a
model leaves those arenas mapped and a process that rebuilds its pipeline grew
by hundreds of megabytes per rebuild (a daemon reload measured 840 -> 1,303 ->
1,572 MB). `malloc_trim` returns the free pages of every arena.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os

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


def limit_arenas(count: int = ARENAS) -> None:
    """Cap the malloc arenas at `count` (glibc only), unless MALLOC_ARENA_MAX already says how many."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return
    libc = _glibc()
    if libc is not None and libc.mallopt(M_ARENA_MAX, count) != 1:
        log.debug("mallopt(M_ARENA_MAX) refused; malloc keeps its default arenas")
