"""Timers, reminders and notes in the assistant's database.

Times are wall-clock seconds (`time.time()`), so a reminder set before a restart
is still due at the same moment after it. A reminder is marked fired before it
is spoken: at most once, even if the speaker fails. Fired reminders are kept
only as long as `privacy.retention_days` allows; notes stay until deleted, or
for `assistant.notes_days` when that is set.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from voiceslm.assistant.db import open_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reminders (
    id INTEGER PRIMARY KEY,
    created REAL NOT NULL,
    due REAL NOT NULL,
    kind TEXT NOT NULL,          -- 'timer' or 'reminder'
    text TEXT NOT NULL,          -- what to remind of; empty for a timer
    duration REAL NOT NULL,      -- seconds asked for, to say "your 5 minute timer"
    language TEXT NOT NULL,
    fired REAL                   -- when it was spoken; NULL while pending
);
CREATE INDEX IF NOT EXISTS reminders_due ON reminders (fired, due);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY,
    created REAL NOT NULL,
    text TEXT NOT NULL,
    language TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Reminder:
    id: int
    created: float
    due: float
    kind: str
    text: str
    duration: float
    language: str


@dataclass(frozen=True)
class Note:
    id: int
    created: float
    text: str


class AssistantStore:
    """The reminders and notes tables; safe to share between threads."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        self._lock = threading.Lock()
        with self._lock:
            self._db.executescript(_SCHEMA)

    @classmethod
    def open(cls, path: Path) -> AssistantStore:
        return cls(open_database(path))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add_reminder(self, *, now: float, seconds: float, kind: str, text: str, language: str) -> Reminder:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO reminders (created, due, kind, text, duration, language) VALUES (?, ?, ?, ?, ?, ?)",
                (now, now + seconds, kind, text, seconds, language),
            )
        return Reminder(int(cursor.lastrowid or 0), now, now + seconds, kind, text, seconds, language)

    def pending(self) -> list[Reminder]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, created, due, kind, text, duration, language FROM reminders "
                "WHERE fired IS NULL ORDER BY due"
            ).fetchall()
        return [Reminder(*row) for row in rows]

    def claim_due(self, now: float) -> list[Reminder]:
        """The reminders due by `now`, marked fired in the same transaction (each is claimed once)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                rows = self._db.execute(
                    "SELECT id, created, due, kind, text, duration, language FROM reminders "
                    "WHERE fired IS NULL AND due <= ? ORDER BY due",
                    (now,),
                ).fetchall()
                self._db.executemany("UPDATE reminders SET fired = ? WHERE id = ?", [(now, row[0]) for row in rows])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return [Reminder(*row) for row in rows]

    def cancel(self, kind: str | None = None, matching: str = "") -> int:
        """Delete pending reminders (of `kind` if given, whose text contains `matching`); how many."""
        query = "DELETE FROM reminders WHERE fired IS NULL"
        args: list[object] = []
        if kind is not None:
            query += " AND kind = ?"
            args.append(kind)
        if matching:
            query += " AND instr(lower(text), lower(?)) > 0"
            args.append(matching)
        with self._lock:
            return self._db.execute(query, args).rowcount

    def add_note(self, text: str, *, now: float, language: str) -> Note:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO notes (created, text, language) VALUES (?, ?, ?)", (now, text, language)
            )
        return Note(int(cursor.lastrowid or 0), now, text)

    def notes(self) -> list[Note]:
        with self._lock:
            rows = self._db.execute("SELECT id, created, text FROM notes ORDER BY created, id").fetchall()
        return [Note(*row) for row in rows]

    def delete_notes(self, ids: list[int] | None = None) -> int:
        """Delete the notes with these ids, or all of them; how many."""
        with self._lock:
            if ids is None:
                return self._db.execute("DELETE FROM notes").rowcount
            return self._db.executemany("DELETE FROM notes WHERE id = ?", [(i,) for i in ids]).rowcount

    def prune(self, *, now: float, retention_days: float, notes_days: float) -> int:
        """Apply the retention: fired reminders past `retention_days`, notes past `notes_days` (0: no limit)."""
        removed = 0
        with self._lock:
            if retention_days > 0:
                cutoff = now - retention_days * 86400
                removed += self._db.execute("DELETE FROM reminders WHERE fired < ?", (cutoff,)).rowcount
            if notes_days > 0:
                cutoff = now - notes_days * 86400
                removed += self._db.execute("DELETE FROM notes WHERE created < ?", (cutoff,)).rowcount
        return removed
