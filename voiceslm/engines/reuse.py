"""What a loaded engine was built from, so a rebuilt pipeline keeps the engines that did not change.

Freeing a model does not give all of its memory back: CTranslate2 and ONNX
Runtime allocate from many threads, glibc keeps the arenas, and a daemon that
loaded every model again on each reload grew by ~200 MB on the first and a few
more on every later one (836 -> 1,034 -> 1,172 MB over 20 reloads). So a
reload keeps each engine whose key is unchanged: the configuration section it
was built from and the state of its model files (path, size, mtime, inode).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path

from voiceslm.config import Config
from voiceslm.errors import UserError

Files = tuple[tuple[str, int, int, int], ...]


def files_state(path: Path) -> tuple[str, Files]:
    """The model folder (or file) and, for each file under it, its size, mtime and inode."""
    path = Path(path)
    found = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    state = []
    for file in found:
        stat = os.stat(file)
        name = file.name if file == path else str(file.relative_to(path))
        state.append((name, stat.st_size, stat.st_mtime_ns, stat.st_ino))
    return str(path), tuple(state)


@dataclass(frozen=True)
class Built:
    """How one loaded engine's key is computed again for a new configuration."""

    key_of: Callable[[Config], Hashable]
    """The key for a configuration; raising UserError (a model gone or damaged) counts as a change."""
    key: Hashable

    def still_valid(self, config: Config) -> bool:
        try:
            return self.key_of(config) == self.key
        except (UserError, OSError):
            return False


def built(key_of: Callable[[Config], Hashable], config: Config) -> Built:
    return Built(key_of, key_of(config))
