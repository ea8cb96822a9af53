"""The documents index: chunks of text in SQLite's FTS5, searched with BM25.

One file (`ask --doc`) is indexed into a private in-memory database and
forgotten; the documents folder (`assistant.documents`) is kept in the
assistant's database and brought up to date before each search: a file whose
size and modification time are unchanged is skipped, a changed one is hashed and
read again only if its content changed, and files that are gone are dropped.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from voiceslm.assistant.readers import Block, Document, place, read_document
from voiceslm.errors import UserError

log = logging.getLogger(__name__)

CHUNK_CHARS = 700
"""About a paragraph or two: small enough for the model's prompt, big enough to hold an answer."""
SUFFIXES = {".txt", ".text", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS doc_files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    kind TEXT NOT NULL,
    chunks INTEGER NOT NULL,
    indexed_at REAL NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS doc_chunks USING fts5(
    text, section UNINDEXED, page UNINDEXED, file_id UNINDEXED, ord UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
"""

# Words that carry no topic, left out of the search so BM25 ranks on the rest.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "do",
        "does",
        "did",
        "done",
        "have",
        "has",
        "had",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "that",
        "this",
        "these",
        "those",
        "it",
        "its",
        "there",
        "their",
        "they",
        "them",
        "we",
        "our",
        "you",
        "your",
        "i",
        "me",
        "my",
        "he",
        "she",
        "his",
        "her",
        "not",
        "no",
        "yes",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "about",
        "into",
        "over",
        "under",
        "than",
        "then",
        "so",
        "such",
        "also",
        "any",
        "all",
        "some",
        "each",
        "tell",
        "say",
        "says",
        "said",
        "document",
        "report",
        "file",
        "text",
        "please",
        "know",
        "give",
        "me",
        "us",
        "much",
        "many",
    ]
)


@dataclass(frozen=True)
class Passage:
    """A chunk of a document found for a question."""

    file: str
    text: str
    section: str
    page: int
    rank: float
    """BM25 from FTS5: lower is a better match."""

    @property
    def place(self) -> str:
        return place(self.section, self.page)

    @property
    def head(self) -> str:
        """The title and section heading the text starts with ("Title, 3. Budget: "), or ""."""
        if self.section:
            at = self.text.find(f"{self.section}: ")
            # A title may hold ": " of its own ("Kestrel Bay ferry: review of ..."): the head
            # ends at the section heading, not at the first colon.
            if at == 0 or (at > 0 and self.text[:at].endswith(", ")):
                return self.text[: at + len(self.section) + 2]
        return ""

    @property
    def body(self) -> str:
        """The text without the title and section heading it starts with."""
        return self.text[len(self.head) :]

    @property
    def title(self) -> str:
        """The document's title the text starts with, when the passage's section is not the title itself."""
        head = self.head
        return head[: -len(self.section) - 4] if head and head != f"{self.section}: " else ""


@dataclass(frozen=True)
class SyncReport:
    indexed: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]
    """(path, the reason it could not be read)."""


def prepare(connection: sqlite3.Connection) -> sqlite3.Connection:
    connection.executescript(_SCHEMA)
    return connection


def memory_index(document: Document) -> sqlite3.Connection:
    """An in-memory index of one document (nothing of it is written to disk)."""
    connection = prepare(sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None))
    _store(connection, document, size=0, mtime_ns=0, sha256="")
    return connection


def chunks(blocks: Iterable[Block]) -> list[tuple[str, str, int]]:
    """(text, section, page) chunks: paragraphs of one section and page joined up to CHUNK_CHARS.

    Each chunk starts with the document's title (a heading that opens it) and its
    section heading, so a question naming either finds it ("the rent for flat 3B"
    in a lease titled "Lease for flat 3B" whose section is "Rent").
    """
    from voiceslm.text import split_sentences

    blocks = list(blocks)
    title = blocks[0].text if blocks and blocks[0].heading else ""
    out: list[tuple[str, str, int]] = []
    current: list[str] = []
    key: tuple[str, int] | None = None

    def flush() -> None:
        if current and key is not None:
            section = key[0]
            head = ", ".join(dict.fromkeys(part for part in (title, section) if part))
            head = f"{head}: " if head else ""
            out.append((head + " ".join(current), key[0], key[1]))
        current.clear()

    for block in blocks:
        if block.heading:
            continue
        pieces = [block.text] if len(block.text) <= CHUNK_CHARS else split_sentences(block.text)
        for piece in pieces:
            if key != (block.section, block.page) or sum(len(p) + 1 for p in current) + len(piece) > CHUNK_CHARS:
                flush()
                key = (block.section, block.page)
            current.append(piece)
    flush()
    return out


def _store(connection: sqlite3.Connection, document: Document, *, size: int, mtime_ns: int, sha256: str) -> int:
    parts = chunks(document.blocks)
    with connection:
        connection.execute("BEGIN")
        row = connection.execute("SELECT id FROM doc_files WHERE path = ?", (str(document.path),)).fetchone()
        if row:
            connection.execute("DELETE FROM doc_chunks WHERE file_id = ?", (row[0],))
            connection.execute("DELETE FROM doc_files WHERE id = ?", (row[0],))
        cursor = connection.execute(
            "INSERT INTO doc_files (path, size, mtime_ns, sha256, kind, chunks, indexed_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (str(document.path), size, mtime_ns, sha256, document.kind, len(parts), time.time()),
        )
        file_id = cursor.lastrowid
        connection.executemany(
            "INSERT INTO doc_chunks (text, section, page, file_id, ord) VALUES (?, ?, ?, ?, ?)",
            [(text, section, page, file_id, n) for n, (text, section, page) in enumerate(parts)],
        )
    return int(file_id or 0)


def sync_folder(connection: sqlite3.Connection, folder: Path, max_bytes: int, max_chars: int) -> SyncReport:
    """Bring the index up to date with `folder` (recursively; hidden files left out)."""
    folder = folder.expanduser()
    if folder.exists() and not folder.is_dir():
        raise UserError(f"The documents folder {folder} is a file, not a folder; set assistant.documents to a folder.")
    if not folder.is_dir():
        raise UserError(f"The documents folder {folder} does not exist; create it or fix assistant.documents.")
    prepare(connection)
    known = {row[0]: row[1:] for row in connection.execute("SELECT path, size, mtime_ns, sha256 FROM doc_files")}
    seen: set[str] = set()
    indexed: list[str] = []
    skipped: list[tuple[str, str]] = []
    unchanged = 0
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or path.suffix.lower() not in SUFFIXES:
            continue
        if not path.is_file():
            continue
        key = str(path)
        seen.add(key)
        try:
            stat = path.stat()
            before = known.get(key)
            if before and before[0] == stat.st_size and before[1] == stat.st_mtime_ns:
                unchanged += 1
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if stat.st_size <= max_bytes else ""
            if before and digest and before[2] == digest:
                connection.execute(
                    "UPDATE doc_files SET size = ?, mtime_ns = ? WHERE path = ?", (stat.st_size, stat.st_mtime_ns, key)
                )
                unchanged += 1
                continue
            document = read_document(path, max_bytes, max_chars)
        except (UserError, OSError) as exc:
            log.warning("documents: left out %s", exc)
            skipped.append((key, str(exc)))
            _drop(connection, key)
            continue
        _store(connection, document, size=stat.st_size, mtime_ns=stat.st_mtime_ns, sha256=digest)
        indexed.append(key)
    removed = [path for path in known if path not in seen]
    for path in removed:
        _drop(connection, path)
    if indexed or removed:
        log.info("documents: %d indexed, %d unchanged, %d removed", len(indexed), unchanged, len(removed))
    return SyncReport(tuple(indexed), unchanged, tuple(removed), tuple(skipped))


def _drop(connection: sqlite3.Connection, path: str) -> None:
    with connection:
        connection.execute("BEGIN")
        row = connection.execute("SELECT id FROM doc_files WHERE path = ?", (path,)).fetchone()
        if row:
            connection.execute("DELETE FROM doc_chunks WHERE file_id = ?", (row[0],))
            connection.execute("DELETE FROM doc_files WHERE id = ?", (row[0],))


def indexed_files(connection: sqlite3.Connection) -> list[tuple[str, str, int, int]]:
    """(path, kind, size in bytes, chunks) of every indexed file."""
    prepare(connection)
    return [tuple(row) for row in connection.execute("SELECT path, kind, size, chunks FROM doc_files ORDER BY path")]


def is_stopword(word: str) -> bool:
    """Whether a lower-case word carries no topic: a stop word, or the plural of one.

    "What do the reports say about the crane?" asks about the crane as "what does the report
    say" does; with "reports" taken as a topic word, half the question's topic was missing
    from the passage about the crane, and the document "did not say".
    """
    return word in STOPWORDS or (len(word) > 3 and word.endswith("s") and word[:-1] in STOPWORDS)


def query_terms(question: str) -> list[str]:
    """The words of a question worth searching for, in order, without repeats."""
    words = re.findall(r"\w+", question.lower())
    return list(dict.fromkeys(w for w in words if not is_stopword(w) and (len(w) > 1 or w.isdigit())))


def search(connection: sqlite3.Connection, question: str, limit: int = 4) -> list[Passage]:
    """The chunks that best match `question`, best first (BM25 over the question's words)."""
    terms = query_terms(question)
    if not terms:
        return []
    match = " OR ".join('"' + term.replace('"', "") + '"' for term in terms)
    rows = connection.execute(
        "SELECT f.path, c.text, c.section, c.page, bm25(doc_chunks) AS rank FROM doc_chunks AS c "
        "JOIN doc_files AS f ON f.id = c.file_id WHERE doc_chunks MATCH ? ORDER BY rank LIMIT ?",
        (match, limit),
    ).fetchall()
    return [Passage(Path(path).name, text, section, int(page), float(rank)) for path, text, section, page, rank in rows]
