"""The daemon's allocator settings, read back from glibc in a fresh process, and the trim after a reply."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="the settings are glibc's"
)

# A block of 2 MB is mapped of its own; once it is freed, glibc's adjustable threshold
# rises above 2 MB and the next such block comes from the heap. mallinfo2's hblks
# counts the mapped blocks: it tells which happened.
PROBE = """
import ctypes, json, sys, time
from voiceslm.engines import memory

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "tuned":
    memory.tune_allocator()
libc.free(libc.malloc(2 << 20))
before = libc.mallinfo2().hblks
block = libc.malloc(2 << 20)
mapped = libc.mallinfo2().hblks - before
memory.trim_soon()
memory.trim_soon()  # asked twice at once: one trim
time.sleep(memory.TRIM_DELAY_S + 1.0)
print(json.dumps({"mapped": mapped, "report": memory.allocator_report()}))
"""


def probe(mode: str, **env: str) -> dict[str, object]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    environ.update(PYTHONPATH=str(ROOT), **env)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], env=environ, capture_output=True, text=True, timeout=60, check=True
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_tuned_allocator_keeps_mapping_big_blocks_and_trims_once_when_asked() -> None:
    untuned, tuned = probe("untuned"), probe("tuned")
    assert untuned["mapped"] == 0, untuned  # glibc's own adjustment moved the second block into the heap
    assert tuned["mapped"] == 1, tuned
    report = tuned["report"]
    assert isinstance(report, dict)
    assert report["mmap_threshold"] == 256 * 1024 and report["trim_threshold"] == 1024 * 1024
    assert report["arena_max"] == 2
    assert report["trims"] == 1 and report["trim_ms_mean"] is not None
    assert untuned["report"] == {"trims": 0, "trim_ms_mean": None, "trimmed_mb": 0.0}  # only a daemon trims


def test_settings_from_the_environment_win() -> None:
    tuned = probe("tuned", MALLOC_MMAP_THRESHOLD_="4194304", MALLOC_ARENA_MAX="4")
    report = tuned["report"]
    assert isinstance(report, dict)
    assert "mmap_threshold" not in report and "arena_max" not in report
    assert report["trim_threshold"] == 1024 * 1024
    assert tuned["mapped"] == 0  # 2 MB is under the threshold the environment set
