"""Reading a private document into plain text blocks, each with where it came from.

Plain text, Markdown, PDF, DOCX and HTML are told apart by their content first
(the `%PDF-` signature, a zip holding `word/document.xml`, HTML tags) and by the
suffix second, so a misnamed file is still read right and a binary is refused.
PDF goes through pypdf (pure Python, BSD); DOCX is a zip of XML read with the
standard library; HTML with the standard library's parser. Every block keeps its
place ("page 2", "section 3. Budget") so an answer can name the part it used.

Bad input ends in one UserError sentence: unreadable, empty, encrypted, too
large, an unknown format, a folder, a binary file.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

from voiceslm.errors import UserError

KINDS = ("text", "markdown", "pdf", "docx", "html")
_MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown", ".mkd"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
# Suffixes of formats that are not documents voiceslm reads, named in the error.
_OTHER_FORMATS = {".doc", ".odt", ".rtf", ".xlsx", ".xls", ".pptx", ".ppt", ".epub", ".pages", ".ods", ".odp"}
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_NUMBERED_HEADING = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*\.?|[A-Z]\.)\s+\S.{0,70}$")


@dataclass(frozen=True)
class Block:
    """One paragraph (or heading) of a document."""

    text: str
    section: str = ""
    """The heading it sits under ("3. Budget"); empty before the first heading."""
    page: int = 0
    """Its page, counting from 1, in a PDF; 0 where a format has no pages."""
    heading: bool = False


@dataclass(frozen=True)
class Document:
    path: Path
    kind: str
    """One of KINDS."""
    blocks: tuple[Block, ...]

    @property
    def text(self) -> str:
        return "\n\n".join(block.text for block in self.blocks)


def place(section: str, page: int) -> str:
    """A part of a document as a person names it: "section 3. Budget, page 2"."""
    parts = [f"section {section}" if section else "", f"page {page}" if page else ""]
    return ", ".join(p for p in parts if p) or "the text"


def read_document(path: str | Path, max_bytes: int, max_chars: int) -> Document:
    """Read `path` into blocks, or raise UserError with one sentence naming the fix."""
    path = Path(path).expanduser()
    data = _read_bytes(path, max_bytes)
    kind = detect_kind(path, data)
    if kind == "pdf":
        blocks = _pdf_blocks(path, data)
    elif kind == "docx":
        blocks = _docx_blocks(path, data)
    else:
        text = _decode(path, data)
        blocks = _html_blocks(text) if kind == "html" else _text_blocks(text, markdown=kind == "markdown")
    # Text of only control characters or punctuation (a UTF-16 file of NULs) has nothing to read either.
    blocks = [b for b in blocks if any(ch.isalnum() for ch in b.text)]
    if not blocks:
        raise UserError(f"{path} has no text to read; give a document with some words in it.")
    chars = sum(len(b.text) for b in blocks)
    if chars > max_chars:
        raise UserError(
            f"{path} has {chars} characters of text, over the {max_chars} limit; "
            "split it or raise assistant.max_document_chars."
        )
    return Document(path, kind, tuple(blocks))


def detect_kind(path: Path, data: bytes) -> str:
    suffix = path.suffix.lower()
    if data.lstrip()[:5] == b"%PDF-":
        return "pdf"
    if data[:8] == _OLE_SIGNATURE and suffix == ".docx":
        # Word keeps a password-protected DOCX in an OLE container, not a zip.
        raise UserError(f"{path} is an encrypted document; save an unlocked copy and give that.")
    if data[:4] == b"PK\x03\x04":
        if suffix in _OTHER_FORMATS:
            raise _unknown(path, suffix)
        return "docx"
    if _looks_binary(data):
        if suffix in _OTHER_FORMATS:
            raise _unknown(path, suffix)
        raise UserError(f"{path} is a binary file, not a document; give a text, Markdown, PDF, DOCX or HTML file.")
    if suffix in _OTHER_FORMATS:
        raise _unknown(path, suffix)
    head = data[:2048].lstrip().lower()
    if suffix in _HTML_SUFFIXES or head.startswith((b"<!doctype html", b"<html")):
        return "html"
    return "markdown" if suffix in _MARKDOWN_SUFFIXES else "text"


def _unknown(path: Path, suffix: str) -> UserError:
    return UserError(
        f"{path} is a {suffix} file, a format voiceslm does not read; save it as PDF, DOCX, HTML, Markdown or text."
    )


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    if path.is_dir():
        raise UserError(
            f"{path} is a folder, not a document; give one file (or set assistant.documents to the folder)."
        )
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise UserError(
                f"{path} is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit; "
                "split it or raise assistant.max_document_mb."
            )
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise UserError(f"{path} does not exist; check the path.") from exc
    except PermissionError as exc:
        raise UserError(f"{path} cannot be read (permission denied); fix its permissions or copy it.") from exc
    except OSError as exc:
        raise UserError(f"{path} cannot be read ({exc.strerror or exc}); check the file.") from exc
    if not data.strip():
        raise UserError(f"{path} is empty; give a document with some words in it.")
    return data


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text carries NULs
    if b"\x00" in head:
        return True
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13))
    return controls > len(head) // 20


def _decode(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older files are often Windows-1252; Latin-1 never fails and reads them near enough.
        return data.decode("cp1252", errors="replace")


def _clean(text: str) -> str:
    return " ".join(text.split())


# ------------------------------------------------------------------ plain text and Markdown


def _text_blocks(text: str, *, markdown: bool, line_headings: bool = False) -> list[Block]:
    """Paragraphs split on blank lines; Markdown `#` headings and numbered heading lines open sections.

    A numbered line counts as a heading when it stands alone (so a numbered list is
    not taken for headings), or anywhere with `line_headings`: PDF text has no blank
    lines between a heading and its paragraph.
    """
    blocks: list[Block] = []
    section = ""
    for paragraph in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        lines = [line.strip() for line in paragraph.strip().splitlines()]
        lines = [line for line in lines if line and not re.fullmatch(r"[-=*_#\s]{3,}", line)]
        body: list[str] = []
        for line in lines:
            heading = _heading_text(line, markdown, alone=line_headings or len(lines) == 1)
            if heading is not None:
                if body:
                    blocks.append(Block(_clean(" ".join(body)), section))
                    body = []
                section = heading
                blocks.append(Block(heading, section, heading=True))
            else:
                body.append(line)
        if body:
            blocks.append(Block(_clean(" ".join(body)), section))
    return blocks


def _heading_text(line: str, markdown: bool, *, alone: bool) -> str | None:
    marked = re.match(r"^#{1,6}\s+(.+?)\s*#*$", line)
    if marked:
        return _clean(marked.group(1).strip("*_ "))
    if alone and not line.endswith((".", ",", ";", ":", "!", "?")) and _NUMBERED_HEADING.match(line):
        return _clean(line)
    return None


# ------------------------------------------------------------------ PDF


def _pdf_blocks(path: Path, data: bytes) -> list[Block]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            # An owner-password-only PDF opens with the empty user password.
            try:
                opened = bool(reader.decrypt(""))
            except Exception:  # noqa: BLE001 - pypdf raises its own and dependency errors here
                opened = False
            if not opened:
                raise UserError(f"{path} is an encrypted PDF; save an unlocked copy and give that.")
        blocks: list[Block] = []
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            blocks.extend(
                Block(b.text, b.section, number, b.heading)
                for b in _text_blocks(text, markdown=False, line_headings=True)
            )
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{path} is a damaged PDF ({exc}); save it again from its program and retry.") from exc
    if not blocks:
        raise UserError(f"{path} is a PDF with no text in it (a scan?); give a PDF with a text layer.")
    return _carry_sections(blocks)


def _carry_sections(blocks: list[Block]) -> list[Block]:
    """Pages restart section detection; a section goes on across a page break until the next heading."""
    section = ""
    out = []
    for block in blocks:
        if block.heading:
            section = block.section
        out.append(Block(block.text, block.section or section, block.page, block.heading))
    return out


# ------------------------------------------------------------------ DOCX


def _docx_blocks(path: Path, data: bytes) -> list[Block]:
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" not in names:
                raise UserError(
                    f"{path} is a zip archive, not a DOCX document; give a PDF, DOCX, HTML, Markdown or text file."
                )
            root = ElementTree.fromstring(archive.read("word/document.xml"))
    except (zipfile.BadZipFile, ElementTree.ParseError, OSError) as exc:
        raise UserError(f"{path} is a damaged DOCX file ({exc}); save it again from its program and retry.") from exc
    blocks: list[Block] = []
    section = ""
    for paragraph in root.iter(f"{_W}p"):
        text = _clean("".join(node.text or "" for node in paragraph.iter() if node.tag in (f"{_W}t", f"{_W}tab")))
        if not text:
            continue
        style = paragraph.find(f"{_W}pPr/{_W}pStyle")
        style_name = (style.get(f"{_W}val") or "") if style is not None else ""
        is_heading = style_name.lower().startswith(("heading", "title"))
        if is_heading:
            section = text
        blocks.append(Block(text, section, heading=is_heading))
    return blocks


# ------------------------------------------------------------------ HTML


class _HtmlText(HTMLParser):
    _BLOCK = {"p", "div", "li", "tr", "br", "section", "article", "blockquote", "pre", "table", "ul", "ol", "dd", "dt"}
    _HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
    _SKIP = {"script", "style", "head", "noscript", "template", "svg"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._parts: list[str] = []
        self._section = ""
        self._skipping = 0
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK or tag in self._HEADINGS:
            self._flush()
            self._in_heading = tag in self._HEADINGS

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCK or tag in self._HEADINGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._parts.append(data)

    def _flush(self) -> None:
        text = _clean("".join(self._parts))
        self._parts = []
        if text:
            if self._in_heading:
                self._section = text
            self.blocks.append(Block(text, self._section, heading=self._in_heading))
        self._in_heading = False

    def close(self) -> None:
        super().close()
        self._flush()


def _html_blocks(text: str) -> list[Block]:
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    return parser.blocks
