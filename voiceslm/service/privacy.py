"""What voiceslm keeps on disk about what it heard: nothing, unless asked.

Audio is never written unless `privacy.save_audio` is on. The transcript
log (`privacy.transcript_log`, off by default) is one JSON object per line
holding text only, in a 0600 file, pruned on open and as it grows to the
configured retention: entries older than `retention_days`, and the oldest
entries beyond `retention_mb`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceslm.errors import UserError

log = logging.getLogger(__name__)

# Pruning rewrites the file; doing it on every line would be wasteful, so the
# size bound may be overshot by at most this fraction between prunes.
_PRUNE_SLACK = 0.1
_PRUNE_EVERY_SECONDS = 3600.0


@dataclass(frozen=True)
class Retention:
    days: float = 0.0
    """Entries older than this many days are removed; 0 keeps them regardless of age."""
    max_bytes: int = 0
    """The oldest entries are removed beyond this size in bytes; 0 means no size bound."""


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """$STATE_DIRECTORY under systemd, else $XDG_STATE_HOME/voiceslm."""
    env = os.environ if environ is None else environ
    if value := env.get("STATE_DIRECTORY"):
        return Path(value.split(":")[0])
    state_home = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state_home) / "voiceslm"


class TranscriptLog:
    """An append-only JSON-lines log of what was heard and said, with retention."""

    def __init__(self, path: Path, retention: Retention, clock: Any = time.time) -> None:
        self.path = path
        self.retention = retention
        self._clock = clock
        self._lock = threading.Lock()
        self._last_prune = 0.0
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            os.close(fd)
        except OSError as exc:
            raise UserError(
                f"Cannot open the transcript log {path} ({exc.strerror}); fix privacy.transcript_path or turn "
                "privacy.transcript_log off."
            ) from exc
        self.prune()

    def append(self, entry: Mapping[str, Any]) -> None:
        """Add one entry (text fields only), stamped with the time, then prune if due."""
        record = {"time": round(self._clock(), 3), **entry}
        for key, value in record.items():
            if isinstance(value, bytes | bytearray | memoryview) or hasattr(value, "__array__"):
                raise TypeError(f"transcript log entries hold text only; {key!r} is {type(value).__name__}")
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        with self._lock:
            with open(self.path, "a", encoding="utf-8") as out:
                out.write(line)
            if self._prune_due():
                self._prune_locked()

    def prune(self) -> int:
        """Apply the retention now; returns how many entries were removed."""
        with self._lock:
            return self._prune_locked()

    def _prune_due(self) -> bool:
        if self._clock() - self._last_prune > _PRUNE_EVERY_SECONDS:
            return True
        if self.retention.max_bytes:
            with contextlib.suppress(OSError):
                return self.path.stat().st_size > self.retention.max_bytes * (1 + _PRUNE_SLACK)
        return False

    def _prune_locked(self) -> int:
        self._last_prune = self._clock()
        try:
            lines = self.path.read_bytes().splitlines(keepends=True)
        except FileNotFoundError:
            return 0
        kept = lines
        if self.retention.days > 0:
            cutoff = self._clock() - self.retention.days * 86400
            kept = [line for line in kept if _entry_time(line) >= cutoff]
        if self.retention.max_bytes:
            total = sum(len(line) for line in kept)
            start = 0
            while start < len(kept) and total > self.retention.max_bytes:
                total -= len(kept[start])
                start += 1
            kept = kept[start:]
        removed = len(lines) - len(kept)
        if removed:
            tmp = self.path.with_name(self.path.name + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.writelines(kept)
            os.replace(tmp, self.path)
            log.info("transcript log: removed %d entries past the retention limit", removed)
        return removed


def _entry_time(line: bytes) -> float:
    """An entry's timestamp; a line that cannot be read counts as oldest."""
    try:
        value = json.loads(line).get("time", 0.0)
        return float(value)
    except (ValueError, AttributeError, TypeError):
        return 0.0


class AudioArchive:
    """Utterance recordings kept as WAV files (only with `privacy.save_audio`), with retention."""

    def __init__(self, directory: Path, retention: Retention, clock: Any = time.time) -> None:
        self.directory = directory
        self.retention = retention
        self._clock = clock
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(
                f"Cannot create the audio directory {directory} ({exc.strerror}); fix privacy.audio_dir or turn "
                "privacy.save_audio off."
            ) from exc
        self.prune()

    def save(self, samples: Any, sample_rate: int, utterance_id: int) -> Path:
        """Write one utterance (float32 mono) and apply the retention; returns the file written."""
        from voiceslm.audio.io import write_wav

        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self._clock()))
        path = self.directory / f"{stamp}-{utterance_id:05d}.wav"
        write_wav(path, samples, sample_rate)  # through mkstemp: mode 0600
        self.prune()
        return path

    def prune(self) -> int:
        """Delete recordings past the age or size limit, oldest first; returns how many."""
        files = []
        for path in self.directory.glob("*.wav"):
            with contextlib.suppress(FileNotFoundError):
                info = path.stat()
                files.append((info.st_mtime, info.st_size, path))
        files.sort()
        doomed = []
        if self.retention.days > 0:
            cutoff = self._clock() - self.retention.days * 86400
            doomed = [f for f in files if f[0] < cutoff]
            files = [f for f in files if f[0] >= cutoff]
        if self.retention.max_bytes:
            total = sum(size for _, size, _ in files)
            while files and total > self.retention.max_bytes:
                oldest = files.pop(0)
                total -= oldest[1]
                doomed.append(oldest)
        for _, _, path in doomed:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        if doomed:
            log.info("saved audio: removed %d recordings past the retention limit", len(doomed))
        return len(doomed)


def retention_of(days: float, megabytes: float) -> Retention:
    return Retention(days=days, max_bytes=int(megabytes * 1_000_000))
