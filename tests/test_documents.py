"""Reading documents, the folder index and bad input: real files written by the tests, no model needed."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from document_files import write_docx, write_encrypted_pdf, write_pdf

from voiceslm.assistant import docindex, documents
from voiceslm.assistant.db import open_database
from voiceslm.assistant.readers import read_document
from voiceslm.errors import UserError

LIMITS = (20_000_000, 1_000_000)
REPORT = Path(__file__).resolve().parent.parent / "voiceslm" / "evalsets" / "documents" / "field_report.md"


def read(path: Path):
    return read_document(path, *LIMITS)


def test_pdf_pages_and_sections_are_kept(tmp_path: Path):
    pdf = write_pdf(
        tmp_path / "delivery.pdf",
        [["1. Delivery", "The crane arrives on 4 May.", "Driver: Lena Holt."], ["2. Payment", "Pay 3,200 euros."]],
    )
    document = read(pdf)
    assert document.kind == "pdf"
    body = [b for b in document.blocks if not b.heading]
    assert [(b.section, b.page) for b in body] == [("1. Delivery", 1), ("2. Payment", 2)]
    assert "Lena Holt" in body[0].text
    assert docindex.search(docindex.memory_index(document), "When is the payment?")[0].place == (
        "section 2. Payment, page 2"
    )


def test_docx_headings_open_sections(tmp_path: Path):
    docx = write_docx(
        tmp_path / "lease.docx",
        [("Title", "Flat lease"), ("Heading1", "Rent"), ("", "The rent is 900 euros & due on the 1st.")],
    )
    document = read(docx)
    assert document.kind == "docx"
    assert document.blocks[-1].text == "The rent is 900 euros & due on the 1st."
    assert document.blocks[-1].section == "Rent"


def test_html_markdown_and_text_are_told_apart_by_content(tmp_path: Path):
    html = tmp_path / "page.txt"  # misnamed: the content decides
    html.write_text(
        "<!DOCTYPE html><html><head><style>p{}</style><script>var x=1;</script></head>"
        "<body><h2>Opening hours</h2><p>Open from 9 to 17 &amp; closed on Sundays.</p></body></html>"
    )
    document = read(html)
    assert document.kind == "html"
    assert [(b.text, b.section) for b in document.blocks] == [
        ("Opening hours", "Opening hours"),
        ("Open from 9 to 17 & closed on Sundays.", "Opening hours"),
    ]
    markdown = tmp_path / "notes.md"
    markdown.write_text("# Trip\n\n## Day 1\n\nWe drove to **Lodwar**.\n")
    assert [(b.text, b.section) for b in read(markdown).blocks if not b.heading] == [
        ("We drove to **Lodwar**.", "Day 1")
    ]
    text = tmp_path / "plain.txt"
    text.write_text("1. Costs\n\nThe roof costs 4,000 euros.\n\nA second paragraph.\n", encoding="utf-16")
    assert [(b.text, b.section) for b in read(text).blocks if not b.heading][0] == (
        "The roof costs 4,000 euros.",
        "1. Costs",
    )


def test_text_is_cut_into_chunks_within_sections(tmp_path: Path):
    blocks = read(REPORT).blocks
    chunks = docindex.chunks(blocks)
    assert [section for _, section, _ in chunks][1:] == [
        "1. Summary of the visit",
        "2. Findings",
        "3. Costs",
        "4. Decisions",
        "5. Next steps",
    ]
    assert chunks[3][0].startswith("Field report: Galole water project, October visit, 3. Costs: Replacing the twelve")
    long = tmp_path / "long.txt"
    long.write_text(" ".join(f"Sentence {n} says the gauge read {n * 3} bar." for n in range(400)))
    pieces = docindex.chunks(read(long).blocks)
    assert len(pieces) > 20
    assert all(len(text) <= docindex.CHUNK_CHARS for text, _, _ in pieces)
    assert " ".join(text for text, _, _ in pieces) == read(long).text


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n")
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    huge = tmp_path / "huge.txt"
    huge.write_text("word " * 30_000)
    sheet = tmp_path / "budget.xlsx"
    sheet.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    zipped = tmp_path / "archive.docx"
    shutil.make_archive(str(tmp_path / "archive"), "zip", root_dir=tmp_path, base_dir="empty.txt")
    (tmp_path / "archive.zip").rename(zipped)
    plain = write_pdf(tmp_path / "plain.pdf", [["Secret figures: 12 and 13."]])
    locked = write_encrypted_pdf(tmp_path / "locked.pdf", plain)
    locked_docx = tmp_path / "locked.docx"
    locked_docx.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4)
    folder = tmp_path / "a folder"
    folder.mkdir()
    nuls = tmp_path / "nuls.txt"
    nuls.write_bytes(b"\xff\xfe" + b"\x00" * 40)  # UTF-16 with nothing but NULs
    return {
        "nothing but control characters": (nuls, "has no text to read"),
        "empty": (empty, "is empty"),
        "binary": (binary, "is a binary file"),
        "huge": (huge, "assistant.max_document_chars"),
        "unknown format": (sheet, "a .xlsx file, a format voiceslm does not read"),
        "zip that is no docx": (zipped, "is a zip archive, not a DOCX document"),
        "encrypted": (locked, "is an encrypted PDF"),
        "encrypted docx": (locked_docx, "is an encrypted document"),
        "folder": (folder, "is a folder, not a document"),
        "missing": (tmp_path / "nowhere.pdf", "does not exist"),
    }


@pytest.mark.parametrize("command", ["summarize", "ask"])
def test_bad_documents_end_in_one_sentence_and_write_nothing(tmp_path: Path, command: str):
    cases = _bad_inputs(tmp_path)
    output = tmp_path / "out.wav"
    for name, (path, needle) in cases.items():
        if command == "summarize":
            args = ["summarize", str(path), "-o", str(output)]
        else:
            args = ["ask", "--doc", str(path), "What are the figures?", "-o", str(output)]
        result = _voiceslm("--set", "assistant.max_document_chars=100000", *args, tmp=tmp_path)
        assert result.returncode == 2, (name, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0], (name, result.stderr)
        assert result.stdout == ""
        assert not output.exists()


def test_a_file_over_the_size_limit_is_refused():
    with pytest.raises(UserError, match=r"over the 0.001 MB limit; split it or raise assistant.max_document_mb"):
        read_document(REPORT, 1000, 1_000_000)


def test_an_unreadable_file_is_named(tmp_path: Path):
    locked = tmp_path / "private.txt"
    locked.write_text("The safe code is 4711.")
    locked.chmod(0)
    tmp_path.chmod(0o755)
    prefix: list[str] = []
    if os.geteuid() == 0:  # root reads everything: drop the capabilities that let it
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv")
        caps = "-dac_override,-dac_read_search"
        prefix = ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}"]
    result = subprocess.run(
        [*prefix, sys.executable, "-m", "voiceslm", "summarize", str(locked), "--no-speech"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path),
    )
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"voiceslm: {locked} cannot be read (permission denied); fix its permissions or copy it."
    )


def test_the_folder_index_follows_changes(tmp_path: Path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "pump.md").write_text("# Pump\n\nThe pump at Galole was serviced in June.\n")
    write_docx(folder / "lease.docx", [("Heading1", "Rent"), ("", "The rent is 900 euros a month.")])
    (folder / ".hidden.txt").write_text("a private draft about the pump")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a pdf")
    database = tmp_path / "state" / "assistant.sqlite3"
    connection = open_database(database)
    first = docindex.sync_folder(connection, folder, *LIMITS)
    assert sorted(Path(p).name for p in first.indexed) == ["lease.docx", "pump.md"]
    assert [Path(p).name for p, _ in first.skipped] == ["broken.pdf"]
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert docindex.search(connection, "When was the pump serviced?")[0].file == "pump.md"

    again = docindex.sync_folder(connection, folder, *LIMITS)
    assert again.indexed == () and again.unchanged == 2

    time.sleep(0.01)
    (folder / "pump.md").write_text("# Pump\n\nThe pump at Galole was replaced in September.\n")
    (folder / "lease.docx").unlink()
    os.utime(folder / "pump.md")
    changed = docindex.sync_folder(connection, folder, *LIMITS)
    assert [Path(p).name for p in changed.indexed] == ["pump.md"]
    assert [Path(p).name for p in changed.removed] == ["lease.docx"]
    assert "September" in docindex.search(connection, "pump replaced")[0].text
    assert docindex.search(connection, "rent") == []
    assert [Path(row[0]).name for row in docindex.indexed_files(connection)] == ["pump.md"]
    # Touched but the same bytes: not read again.
    os.utime(folder / "pump.md", (time.time() + 5, time.time() + 5))
    assert docindex.sync_folder(connection, folder, *LIMITS).indexed == ()
    connection.close()
    with sqlite3.connect(database) as raw:
        assert raw.execute("SELECT count(*) FROM doc_chunks").fetchone() == (1,)


def test_docs_index_and_list_commands(tmp_path: Path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "pump.md").write_text("# Pump\n\nThe pump at Galole was serviced in June.\n")
    keys = ["--set", f"assistant.documents={folder}", "--set", f"assistant.database={tmp_path / 'a.sqlite3'}"]
    indexed = _voiceslm(*keys, "docs", "index", tmp=tmp_path)
    assert indexed.returncode == 0, indexed.stderr
    assert "Indexed 1, unchanged 0, removed 0, left out 0; 1 documents in the index." in indexed.stdout
    listed = _voiceslm(*keys, "docs", "list", tmp=tmp_path)
    assert f"{folder / 'pump.md'}  (markdown" in listed.stdout
    unset = _voiceslm("docs", "list", tmp=tmp_path)
    assert unset.returncode == 2
    assert "No documents folder is set; set assistant.documents" in unset.stderr


@pytest.mark.parametrize(
    ("said", "about_documents"),
    [
        ("What does the report say about the pump?", True),
        ("what do my documents say about the rent", True),
        ("According to the minutes, who chairs the board?", True),
        ("Search my files for the invoice.", True),
        ("What does the weather say about tomorrow?", False),
        ("What time is it?", False),
        ("Tell me about the report you wrote.", False),
    ],
)
def test_spoken_document_questions_are_recognised(said: str, about_documents: bool):
    assert (documents.document_topic(said) is not None) == about_documents


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }


def _voiceslm(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    # HOME and XDG_* point into tmp so no user config or state is read or written.
    return subprocess.run(
        [sys.executable, "-m", "voiceslm", *args], capture_output=True, text=True, timeout=120, env=_env(tmp)
    )


def test_the_summary_draws_on_every_section_that_carries_a_fact(tmp_path: Path):
    from voiceslm.assistant import evidence, sections

    path = tmp_path / "status.md"
    costs = " ".join(f"Item {n} of the works cost {1000 + n} euros, paid on {n + 1} March." for n in range(12))
    path.write_text(
        "# Status report\n\n## 1. Costs\n\n" + costs + "\n\n## 2. Problems\n\n"
        "Asbestos was found under the floor of 3 rooms in the east wing. Nobody was hurt.\n\n"
        "## 3. Decisions\n\nThe committee decided to close the east wing until 4 May.\n\n"
        "## 4. Thanks\n\nWe thank everyone for their patience.\n"
    )
    parts, dropped = sections.parts_of(read_document(path, 10**6, 10**6))
    notes = sections.notes_of(parts)
    text = " ".join(notes)
    # The many costs cannot crowd out the problem and the decision; the section without a fact adds nothing.
    assert "Problems: Asbestos was found under the floor of 3 rooms" in text
    assert "decided to close the east wing until 4 May" in text
    assert "patience" not in text and dropped == 0
    assert len(text.split()) <= sections.MAX_WORDS and len(notes) <= sections.MAX_ITEMS
    assert text.index("Item") < text.index("Asbestos") < text.index("decided")
    assert evidence.numbers(text) <= evidence.numbers(path.read_text())


def test_a_long_document_without_headings_is_summarised_end_to_end(tmp_path: Path):
    from voiceslm.assistant import sections

    path = tmp_path / "log.txt"
    days = [f"On day {n} the crew of Anna Berg moved {100 + n} crates to the depot." for n in range(1, 301)]
    path.write_text(" ".join(days))
    parts, _ = sections.parts_of(read_document(path, 10**7, 10**7))
    chosen = sections.choose(parts)
    assert len(parts) <= sections.MAX_ITEMS and len(chosen) >= 5
    assert chosen[0][0] == 0 and chosen[-1][0] == len(parts) - 1  # the first and the last part both speak


def test_a_problem_without_numbers_is_kept_and_long_headings_are_not_spoken(tmp_path: Path):
    from voiceslm.assistant import sections

    path = tmp_path / "minutes.md"
    path.write_text(
        "# Allotment society: committee minutes\n\nWritten by Jo Park on 3 May 2026.\n\n"
        "## Item 1: Report of the treasurer on the accounts for the year ending in March and the fees\n\n"
        "Income was 4,210 euros against a budget of 5,000 euros. Fees rise to 40 euros on 1 June.\n\n"
        "## Item 2: Water\n\nThe main tap by the gate is broken and leaks into the path. "
        "The water meter was read in April.\n\n"
        "## Monday 4 May 2026, Lea Kim to the committee\n\nDear all, the shed roof was repaired by Tom Ash on 2 May.\n"
    )
    notes = sections.notes_of(sections.parts_of(read_document(path, 10**6, 10**6))[0])
    text = " ".join(notes)
    # A problem sentence with no number, name or decision is picked ...
    assert "The main tap by the gate is broken" in text
    # ... a heading longer than LABEL_WORDS once its number is gone is not read out, a date-only part of a
    # heading is left out, and a greeting is not part of the sentence.
    assert "treasurer on the accounts" not in text and "Item" not in text
    assert "Lea Kim to the committee: the shed roof was repaired" in text and "Dear" not in text


def test_a_title_or_byline_answers_only_what_it_says(tmp_path: Path):
    from voiceslm.assistant import evidence

    path = tmp_path / "review.md"
    path.write_text(
        "# Kestrel Bay ferry: review of the engine failure\n\n"
        "Written by Nadia Brennan, operations manager of Kestrel Bay Ferries.\n\n"
        "## 2. Cause\n\nThe engineers of Solent Marine found a cracked injector.\n"
    )
    connection = docindex.memory_index(read_document(path, 10**6, 10**6))
    try:
        passages = {p.section: p for p in docindex.search(connection, "ferry engine cause Nadia", 8)}
    finally:
        connection.close()
    title = "Kestrel Bay ferry: review of the engine failure"
    cause, front = passages["2. Cause"], passages[title]
    # A title with a colon of its own still ends where the section heading does.
    assert (cause.title, cause.body) == (title, "The engineers of Solent Marine found a cracked injector.")
    assert (front.title, front.body) == ("", "Written by Nadia Brennan, operations manager of Kestrel Bay Ferries.")
    byline = front.body
    # The title's words are in every passage: they do not make the byline answer a question.
    assert not evidence.front_matter_answers("Who is the chief engineer of the ferry company?", byline, title)
    assert evidence.front_matter_answers("Who is the operations manager?", byline, title)
    assert evidence.front_matter_answers("Who wrote the review?", byline, title)
    # A PDF's title line runs into its byline: the title ends where the byline starts.
    pdf_line = "Technical note: compressor failures in cold room 2, Oakridge depot Author: Priya Raman, engineer."
    assert not evidence.front_matter_answers("Who is the depot manager?", pdf_line)
    assert evidence.front_matter_answers("Who is the author of the note?", pdf_line)
