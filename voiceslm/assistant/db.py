"""The assistant's one embedded database: documents index, notes, timers and reminders.

Everything the assistant keeps lives in one SQLite file in the state directory
(`assistant.database`, default `assistant.sqlite3` beside the transcript log),
created with mode 0600 in a 0700 directory, so nothing of it is readable by
another user and nothing of it leaves the device. Each part creates its own
tables with `CREATE TABLE IF NOT EXISTS` when it opens the database.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from voiceslm.errors import UserError

DATABASE_NAME = "assistant.sqlite3"


def database_path(configured: str, state_dir: Path) -> Path:
    """The configured database file, or `assistant.sqlite3` in the state directory."""
    return Path(configured).expanduser() if configured else state_dir / DATABASE_NAME


def open_database(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the database at `path`, private to this user.

    The connection may be used from any thread (callers serialise their own use).
    Raises UserError naming the fix when the file cannot be created or read.
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Created by hand first so SQLite never makes it with the umask's mode.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
        os.chmod(path, 0o600)
        connection = sqlite3.connect(path, timeout=10, check_same_thread=False, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA foreign_keys=ON")
    except (OSError, sqlite3.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UserError(
            f"Cannot open the assistant database {path} ({reason}); fix assistant.database or the permissions "
            "of its folder."
        ) from exc
    return connection
