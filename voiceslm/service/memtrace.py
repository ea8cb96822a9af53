"""`VOICESLM_TRACEMALLOC=FILE`: where the daemon's Python memory grows, written to FILE every minute.

For a memory report: with the variable set, the daemon starts `tracemalloc`
(which slows Python's allocations, so leave it unset in normal use) and a
thread rewrites FILE every `EVERY_S` seconds with the traced total and the
allocation sites that grew most since the first minute. Memory that grows in
RSS but not here is native (the models' libraries, malloc's arenas).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import tracemalloc
from pathlib import Path

log = logging.getLogger(__name__)

ENV = "VOICESLM_TRACEMALLOC"
EVERY_S = 60.0
TOP = 25


def start_from_env() -> None:
    target = os.environ.get(ENV)
    if not target:
        return
    tracemalloc.start(8)
    threading.Thread(target=_write_every, args=(Path(target),), name="memtrace", daemon=True).start()
    log.info("tracing Python allocations into %s every %.0f s (%s is set)", target, EVERY_S, ENV)


def _write_every(path: Path) -> None:
    started = time.monotonic()
    time.sleep(EVERY_S)
    first = tracemalloc.take_snapshot()
    while True:
        time.sleep(EVERY_S)
        snapshot = tracemalloc.take_snapshot()
        current, peak = tracemalloc.get_traced_memory()
        lines = [f"{time.monotonic() - started:.0f} s: traced {current / 2**20:.1f} MB (peak {peak / 2**20:.1f} MB)"]
        for stat in snapshot.compare_to(first, "traceback")[:TOP]:
            grew = f"{stat.size_diff / 2**10:+10.1f} KiB {stat.count_diff:+7d} blocks"
            lines.append(f"{grew}  now {stat.size / 2**10:.1f} KiB")
            lines.extend(f"      {frame}" for frame in stat.traceback.format()[-6:])
        try:
            with path.open("a") as out:
                out.write("\n".join(lines) + "\n\n")
        except OSError as exc:
            log.warning("cannot write the allocation trace to %s (%s); tracing goes on", path, exc)
