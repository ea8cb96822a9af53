"""Whether a translation can reach its target language, checked before any work,
and whether what came back is in that language at all.

A small model asked for a language it hardly knows often hands the source back
unchanged ("--to ar" printing the English): that is caught here by the script
the target is written in, and by the share of source words the output repeats.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import TYPE_CHECKING

from voiceslm.engines import prompts
from voiceslm.errors import UserError

if TYPE_CHECKING:
    from voiceslm.engines.registry import Engines

SCRIPTS: dict[str, tuple[str, ...]] = {
    "ar": ("ARABIC",), "fa": ("ARABIC",), "ur": ("ARABIC",),
    "zh": ("CJK",), "ja": ("CJK", "HIRAGANA", "KATAKANA"), "ko": ("HANGUL",),
    "ru": ("CYRILLIC",), "uk": ("CYRILLIC",), "bg": ("CYRILLIC",),
    "he": ("HEBREW",), "hi": ("DEVANAGARI",), "mr": ("DEVANAGARI",), "ne": ("DEVANAGARI",),
    "th": ("THAI",), "el": ("GREEK",),
}  # fmt: skip
"""The scripts each language is written in, as the first word of Unicode character names;
every other language voiceslm translates into is written in Latin letters."""

ECHO_SHARE = 0.8
"""An output repeating at least this share of the source's words (of three or more) is an echo."""

_WORD = re.compile(r"\w+")

FUNCTION_WORDS: dict[str, frozenset[str]] = {
    language: frozenset(words.split())
    for language, words in {
        "en": "the and is are of to that it with for this you was be have not what which from",
        "es": "el los las que y es una por con para está del muy pero como también",
        "de": "der die das und ist nicht ein eine mit den von auf für sich ich auch",
        "fr": "le les des et est une que du pour dans pas qui il sur au avec",
        "it": "il di che è una per non con della sono gli lo anche come nel",
        "pt": "o os que é um uma para com não do da em por mais também",
    }.items()
}
"""Frequent short words of the Latin-script languages voiceslm speaks best: enough to tell English
handed back for Italian (as a small model does) from Italian."""


def check_direction(engines: Engines, source: str | None, target: str, *, speak: bool) -> None:
    """UserError (one sentence with the fix) unless `source` -> `target` can be translated, and
    spoken when `speak`; cheap: loads no model."""
    from voiceslm.engines.routes import parse_route

    router = engines.translation()
    route = router.route(source, target)
    for leg in parse_route(route, source or "", target):
        if leg.engine == "lm":
            if source is not None:
                prompts.language_name(source)
            prompts.language_name(target)
        elif not engines.leg_installed(leg):
            raise UserError(
                f"Translating {leg.source} to {leg.target} needs {leg.engine}, which has no such pair here; "
                f'set translate.engines.{source}-{target} to "lm" or install the pair.'
            )
    if speak and not engines.voices.supports(target):
        raise UserError(
            f"Language {target!r} has no voice (no Piper voice and not in espeak-ng); "
            "choose another --to or add --no-speech."
        )


def script_of(char: str) -> str:
    """The first word of the character's Unicode name ("LATIN", "ARABIC", "CJK", ...), or ""."""
    try:
        return unicodedata.name(char).split(" ", 1)[0]
    except ValueError:
        return ""


def wrong_language(text: str, source_text: str, source: str | None, target: str) -> str | None:
    """Why `text` is not a translation into `target`, or None if it may well be."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return None
    expected = SCRIPTS.get(target, ("LATIN",))
    share = sum(script_of(c) in expected for c in letters) / len(letters)
    if share < 0.5:
        return f"it is not written in {prompts.LANGUAGE_NAMES.get(target, target)} script"
    if (guess := function_word_language(text)) is not None and guess != target and target in FUNCTION_WORDS:
        return f"it reads as {prompts.LANGUAGE_NAMES.get(guess, guess)}"
    if source is not None and source != target:
        words = _WORD.findall(source_text.lower())
        if len(words) >= 3:
            out = set(_WORD.findall(text.lower()))
            repeated = sum(word in out for word in words) / len(words)
            if repeated >= ECHO_SHARE:
                return "it repeats the source words"
    return None


def function_word_language(text: str) -> str | None:
    """The language of FUNCTION_WORDS whose words `text` (six words or more) uses clearly most, or None."""
    words = _WORD.findall(text.lower())
    if len(words) < 6:
        return None
    counts = sorted(((sum(w in vocabulary for w in words), lang) for lang, vocabulary in FUNCTION_WORDS.items()))
    (second, _), (best, language) = counts[-2], counts[-1]
    return language if best >= 3 and best >= 2 * second + 1 else None


def checked(pieces: Iterator[str], source_text: str, source: str | None, target: str) -> Iterator[str]:
    """`pieces` unchanged; at their end, UserError if they are not in `target` (raised before any file
    is written, as the caller writes only after the last piece)."""
    parts: list[str] = []
    for piece in pieces:
        parts.append(piece)
        yield piece
    text = "".join(parts).strip()
    name = prompts.LANGUAGE_NAMES.get(target, target)
    if not text and source_text.strip():
        raise UserError(
            f"The translation into {name} came back empty, so nothing is spoken; "
            f'translate.engines.{source or "auto"}-{target} can name another engine ("lm" is always there).'
        )
    problem = wrong_language(text, source_text, source, target)
    if problem is not None:
        raise UserError(
            f"The translation into {name} came back in another language ({problem}: {text[:60]!r}), "
            f"so it is not spoken; translate.engines.{source or 'auto'}-{target} or lm.translate_model "
            "can name an engine that knows the language."
        )
