"""Sentence splitting for streamed text, and text normalisation for scoring.

Text-to-speech sounds best a sentence at a time, and the first sentence should
start playing while the language model is still writing the second, so the
splitter releases each sentence as soon as its end is certain.
"""

from __future__ import annotations

import re
import unicodedata

# Western sentence ends need a following space to count (so "3.5" and "wait...what"
# stay whole); the CJK full-width ends are followed directly by the next sentence.
_WESTERN_END = re.compile(r"(?:[.!?\u2026]+)([\"'\u201d\u2019\u00bb)\]]*)(\s+)(\S)")
_CJK_CLOSERS = "\u300d\u300f\uff09\u201d\u2019\"'"
_CJK_END = re.compile(f"[\u3002\uff01\uff1f]+[{_CJK_CLOSERS}]*(?=[^{_CJK_CLOSERS}])")

# Words ending in a full stop that rarely end a sentence, lower-cased, in the
# languages voiceslm speaks.
ABBREVIATIONS = frozenset(
    {
        "mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "sr.", "jr.", "mt.", "vs.", "etc.", "approx.", "inc.", "ltd.",
        "co.", "corp.", "fig.", "gen.", "gov.", "sen.", "rep.", "rev.", "capt.", "lt.", "col.", "sgt.", "ave.",
        "jan.", "feb.", "mar.", "apr.", "jun.", "jul.", "aug.", "sep.", "sept.", "oct.", "nov.", "dec.",
        "sra.", "srta.", "dra.", "ud.", "uds.", "pág.", "av.", "mme.", "mlle.", "hr.", "fr.", "nr.", "bzw.",
        "usw.", "ca.", "sig.", "dott.", "ecc.",
    }
)  # fmt: skip
# Dotted initialisms: e.g. i.e. U.S. z.B.
_DOTTED_INITIALS = re.compile(r"^(?:\w\.){2,}$")


class SentenceSplitter:
    """Collects streamed text pieces and hands back complete sentences.

    A sentence ends at . ! ? or an ellipsis followed by a space and then a
    character that is not a lower-case letter, at 。！？, or at a line break.
    Abbreviations (Mr., e.g.), initials (J. Smith) and decimals (3.5) do not end a
    sentence. Deciding needs one character of look-ahead, so a sentence is
    released when the first character of the next one arrives, or by `flush()`.
    """

    def __init__(self) -> None:
        self._buffer = ""

    def feed(self, piece: str) -> list[str]:
        """Add a piece of text; return the sentences it completed, stripped."""
        self._buffer += piece
        sentences: list[str] = []
        while (end := _first_sentence_end(self._buffer)) is not None:
            sentence = self._buffer[:end].strip()
            self._buffer = self._buffer[end:]
            if sentence:
                sentences.append(sentence)
        return sentences

    def flush(self) -> list[str]:
        """Return whatever is left as a last sentence (the stream has ended)."""
        rest, self._buffer = self._buffer.strip(), ""
        return [rest] if rest else []


def split_sentences(text: str) -> list[str]:
    """Split a whole text into sentences with the same rules as `SentenceSplitter`."""
    splitter = SentenceSplitter()
    return splitter.feed(text) + splitter.flush()


def _first_sentence_end(buffer: str) -> int | None:
    """Index just past the first certain sentence end in `buffer`, or None."""
    candidates: list[int] = []
    newline = buffer.find("\n")
    if newline >= 0:
        candidates.append(newline + 1)
    search_limit = newline if newline >= 0 else len(buffer)
    for match in _WESTERN_END.finditer(buffer, 0, len(buffer)):
        if match.start() >= search_limit:
            break
        if match.group(3).islower() or _is_abbreviation(buffer, match.start(), match.group(0)):
            continue
        candidates.append(match.start(2))
        break
    cjk = _CJK_END.search(buffer, 0, search_limit)
    if cjk:
        candidates.append(cjk.end())
    return min(candidates) if candidates else None


def _is_abbreviation(buffer: str, end_start: int, end_text: str) -> bool:
    if not end_text.startswith(".") or end_text.startswith(".."):
        return False
    word_match = re.search(r"\S+$", buffer[:end_start])
    if not word_match:
        return False
    word = word_match.group(0).lstrip("\"'(\u201c\u2018\u00ab[¿¡").lower() + "."
    if word in ABBREVIATIONS or _DOTTED_INITIALS.match(word):
        return True
    # A single capital letter is an initial: "J. R. R. Tolkien".
    original = word_match.group(0).lstrip("\"'(\u201c\u2018\u00ab[")
    return len(original) == 1 and original.isupper()


def normalize_for_scoring(text: str) -> str:
    """Lower-case, drop punctuation and symbols, collapse spaces: for WER/CER.

    Letters of every script are kept, accents included ("Está" -> "está").
    Apostrophes inside words are removed rather than split on ("don't" ->
    "dont"), so both spellings of a contraction score the same.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"(?<=\w)['\u2019](?=\w)", "", text)
    kept = [" " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in text]
    return " ".join("".join(kept).split())


# Terminal control sequences (colour, cursor moves, window titles) and other
# control characters: typed or sent text is read aloud and echoed to a
# terminal, and neither should act on them.
_ESCAPE_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


def strip_control(text: str) -> str:
    """`text` without terminal escape sequences and control characters (NUL included); whitespace kept."""
    text = _ESCAPE_SEQUENCE.sub("", text)
    return "".join(
        " " if unicodedata.category(ch) == "Cc" and ch.isspace() else ch
        for ch in text
        if unicodedata.category(ch) != "Cc" or ch.isspace()
    )
