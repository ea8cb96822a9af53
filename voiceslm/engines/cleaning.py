"""Cleaning what the models write back, as it streams.

The cleaners run on the streamed output, so what reaches text-to-speech is the
translation or the answer alone: no "Here is the translation:", no quotes, no
notes, no markdown.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from voiceslm.engines.prompts import LANGUAGE_NAMES, one_line

logger = logging.getLogger(__name__)

# Both cleaners are pure functions of everything the model has written so far.
# While streaming, `StreamCleaner` emits only the part that can no longer change
# (the "settled" prefix); the final text is the same function with final=True,
# so the streamed pieces always join to exactly the batch result.

_DOUBLE_QUOTES = '"\u201c\u201d\u00ab\u00bb\u201e\u300c\u300d'
_QUOTES = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e\u300c\u300d`"
_LABEL_NAMES = "|".join(
    sorted({*LANGUAGE_NAMES.values(), "Español", "Deutsch", "Français", "Italiano", "Português", "Nederlands"})
)
# A label before the translation: "Spanish:", "Translation:", "Here is the
# translation:", "Sure! Here's the Spanish translation of the text:".
_LEADING_LABEL = re.compile(
    r"^(?:(?:sure|certainly|of course|okay|ok)\s*[!.,]\s*)?"
    r"(?:(?:here\s+is|here's)[^:\n]{0,80}"
    r"|[^:\n]{0,60}\b(?:translat|traduc|übersetz)\w*[^:\n]{0,60}"
    rf"|(?:{_LABEL_NAMES}))\s*:\s*",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^\s*(?:->|=>|=|:|-|\u2013|\u2014|\u2192)?\s*")
# The start of a note after the translation: "(Note: ...", " Note: ...", "(Literally ...".
_NOTE_START = re.compile(
    r"\s*[(\[]\s*(?:note|nota|notes|explanation|literally|lit\.|translation|translated|in \w+)\b"
    r"|\s+(?:note|nota|notes|explanation)\s*:",
    re.IGNORECASE,
)
# A closing quote at the very end, perhaps before the final punctuation.
_CLOSING_QUOTE = re.compile(f"\\s*[{re.escape(_QUOTES)}]+(?=[.!?\u2026]*\\s*$)")
# How long a first line without a colon must be before it cannot be a label any
# more: short for ordinary text, longer when it reads like the start of one.
_LABEL_MIN_CHARS = 64
_LABEL_MAX_CHARS = 120
_LABEL_LIKE = re.compile(
    r"^(?:(?:sure|certainly|of course|okay|ok)\b|(?:here|the|this|below)\b)|translat|traduc|übersetz", re.IGNORECASE
)


def clean_translation(raw: str, source_text: str) -> str:
    """The translation alone, from a model's whole output."""
    return _translation_state(raw, one_line(source_text), final=True)[0]


def _translation_state(raw: str, source: str, *, final: bool) -> tuple[str, bool]:
    """(settled cleaned text, whether the translation is complete) for the output so far."""
    text = raw.lstrip()
    if not final and not _head_settled(text, source):
        return "", False
    body = _strip_head(text, source)
    done = final
    newline = body.find("\n")
    if newline >= 0:
        body, done = body[:newline], True
    note = _NOTE_START.search(body)
    if note:
        body, done = body[: note.start()], True
    # Quotes around the whole translation are the model's, unless the source was quoted too.
    opened_quote = body[:1] in _QUOTES and source[:1] not in _QUOTES if body else False
    if opened_quote:
        double = body[0] in _DOUBLE_QUOTES
        body = body.lstrip(_QUOTES + " ")
        if double:
            # Its partner goes too, wherever it is: '"Hola", dijo' -> 'Hola, dijo'.
            body = re.sub(f"[{_DOUBLE_QUOTES}]", "", body, count=1)
    if not done:
        return body[: _settled_end(body, source)], False
    body = body.rstrip()
    if "(" not in source:
        body = re.sub(r"\s*[(\[][^()\[\]]*[)\]][\s.]*$", "", body)
    if opened_quote:
        body = _CLOSING_QUOTE.sub("", body)
    return body.rstrip(), True


def _head_settled(text: str, source: str) -> bool:
    """Whether the start of the output can no longer turn out to be a label or the source repeated."""
    rest = _strip_head(text, source)
    bare = rest.lstrip(_QUOTES).lower()
    if source:
        lowered_source = source.lower()
        if lowered_source.startswith(bare.rstrip()):
            return False
        if bare.startswith(lowered_source) and not _SEPARATOR.sub("", bare[len(lowered_source) :].lstrip(_QUOTES)):
            return False
    if "\n" in rest or ":" in rest:
        return True
    limit = _LABEL_MAX_CHARS if _LABEL_LIKE.search(rest) else _LABEL_MIN_CHARS
    return len(rest) >= limit


def _strip_head(text: str, source: str) -> str:
    for _ in range(4):
        before = text
        bare = text.lstrip(_QUOTES)
        if source and bare.lower().startswith(source.lower()):
            rest = _SEPARATOR.sub("", bare[len(source) :].lstrip(_QUOTES), count=1)
            if rest.strip():
                text = rest
        label = _LEADING_LABEL.match(text)
        if label and label.end() <= _LABEL_MAX_CHARS:
            text = text[label.end() :]
        text = text.lstrip()
        if text == before:
            break
    return text


def _settled_end(body: str, source: str) -> int:
    """How much of an unfinished translation can be emitted.

    The last word is held back (it may be the "Note" of " Note:", or end in a
    closing quote), and so is a parenthesis that may yet turn out to close the
    line, since a trailing parenthetical is an explanation.
    """
    end = re.search(r"\s*\S*$", body).start()  # type: ignore[union-attr]
    open_paren = max(body.rfind("("), body.rfind("["))
    if open_paren >= 0 and "(" not in source:
        after = body[open_paren:]
        closed = re.search(r"[)\]]", after)
        if not closed or not re.search(r"\w", after[closed.end() :]):
            end = min(end, len(body[:open_paren].rstrip()))
    return end


_EMOJI = re.compile(
    "[ \t]*[\U0001f000-\U0001faff\U0001f1e6-\U0001f1ff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\ufe0f\u200d\u20e3]+"
)
_BULLET = re.compile(r"^[ \t]*(?:[-*+\u2022]|\d{1,3}[.)]|#{1,6})(?=\s|$)[ \t]*", re.MULTILINE)


def clean_answer(raw: str) -> str:
    """An answer ready to be read aloud: no markdown, no emoji, tidy spaces."""
    text = _BULLET.sub("", raw)
    text = re.sub(r"```\w*|[*`#]|__", "", text)
    text = _EMOJI.sub("", text)
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" *\n[\n ]*", "\n", text)
    return text.strip()


def _answer_state(raw: str, *, final: bool) -> tuple[str, bool]:
    if final:
        return clean_answer(raw), True
    # Hold back the last word: it may be half of "**" or of a list marker.
    return clean_answer(raw[: re.search(r"\s*\S*$", raw).start()]), False  # type: ignore[union-attr]


class StreamCleaner:
    """Turns raw streamed model text into cleaned pieces.

    `feed()` returns the newly settled cleaned text; `finish()` returns the rest
    once the model has stopped. `done` becomes True when the output is complete
    (a translation's line has ended): generation can stop early.
    """

    def __init__(self, state: Callable[[str, bool], tuple[str, bool]]) -> None:
        self._state = state
        self._raw = ""
        self._emitted = ""
        self.done = False

    @classmethod
    def for_translation(cls, source_text: str) -> StreamCleaner:
        source = one_line(source_text)
        return cls(lambda raw, final: _translation_state(raw, source, final=final))

    @classmethod
    def for_answer(cls) -> StreamCleaner:
        return cls(lambda raw, final: _answer_state(raw, final=final))

    @property
    def raw(self) -> str:
        """Everything the model wrote, before cleaning."""
        return self._raw

    def feed(self, piece: str) -> str:
        if self.done:
            return ""
        self._raw += piece
        settled, self.done = self._state(self._raw, False)
        return self._advance(settled)

    def finish(self) -> str:
        settled, _ = self._state(self._raw, True)
        self.done = True
        return self._advance(settled)

    def _advance(self, settled: str) -> str:
        # The settled text only ever grows; a rule that broke that would show
        # here, and nothing already spoken can be taken back.
        if not settled.startswith(self._emitted):
            logger.debug("cleaned text changed after it was emitted: %r -> %r", self._emitted, settled)
            return ""
        new, self._emitted = settled[len(self._emitted) :], settled
        return new
