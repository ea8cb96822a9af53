"""One daemon per runtime directory: an flock'd pid file the kernel releases when the process dies."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path

from voiceslm.errors import UserError


class InstanceLock:
    """An flock'd pid file: one daemon per runtime directory, released by the kernel on death."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise UserError(f"Cannot lock {self.path} ({exc.strerror}); check the runtime directory.") from exc
            who = f" (pid {holder})" if holder.isdigit() else ""
            raise UserError(
                f"Another voiceslm daemon{who} is already running for this user; "
                "control it with `voiceslm ctl`, or stop it with `voiceslm ctl stop` before starting a new one."
            ) from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        # The file stays: unlinking a lock others may be opening would let two
        # daemons each lock a different inode.
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None
