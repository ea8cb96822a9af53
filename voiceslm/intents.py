"""Voice commands, recognised from the transcript before any language model runs.

A command is a short utterance that is, as a whole, one of a few phrases in one
of the configured languages: "stop", "repeat", "switch to German", "translate
mode", "assistant mode". Matching the whole utterance (not a substring) is what
keeps "stop the car at the station" a sentence to translate and "stop" a
command. Matching happens on normalised text, so "Stop!" and "stop." are equal.

The optional wake word works the same way: an utterance that begins with it is
for the assistant; anything else is ignored while the wake word is required.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

CommandKind = Literal["stop", "repeat", "language", "mode"]
Mode = Literal["translate", "assist", "transcribe", "converse"]

MAX_COMMAND_WORDS = 6


@dataclass(frozen=True)
class VoiceCommand:
    kind: CommandKind
    mode: Mode | None = None
    """For kind "mode": the mode to switch to."""
    language: str | None = None
    """For kind "language": the ISO 639-1 code to translate into."""
    heard_in: str = ""
    """Language whose phrase matched."""


def normalize(text: str) -> str:
    """Lower case, no punctuation, no accents, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    no_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s]", " ", no_accents).split())


# Phrases per language; each is matched against the whole normalised utterance.
_STOP = {
    "en": [
        "stop",
        "stop it",
        "stop talking",
        "be quiet",
        "quiet",
        "silence",
        "shut up",
        "cancel",
        "enough",
        "that's enough",
    ],
    "es": ["para", "parar", "detente", "alto", "silencio", "basta", "callate", "cancelar", "stop"],
    "de": ["stopp", "stop", "halt", "ruhe", "sei still", "genug", "abbrechen", "aufhoren"],
    "fr": ["arrete", "arretez", "stop", "silence", "tais toi", "ca suffit", "annuler"],
    "it": ["basta", "fermati", "stop", "silenzio", "zitto", "annulla"],
    "pt": ["pare", "para", "chega", "silencio", "stop", "cancelar"],
}
_REPEAT = {
    "en": [
        "repeat",
        "repeat that",
        "repeat please",
        "please repeat",
        "say that again",
        "again",
        "say it again",
        "come again",
    ],
    "es": ["repite", "repitelo", "repite por favor", "otra vez", "de nuevo", "repetir"],
    "de": ["wiederholen", "wiederhole", "wiederhol das", "noch einmal", "nochmal", "bitte wiederholen"],
    "fr": ["repete", "repetez", "repete s il te plait", "encore une fois", "encore", "repeter"],
    "it": ["ripeti", "ripetere", "ancora", "ancora una volta", "di nuovo"],
    "pt": ["repita", "repete", "de novo", "outra vez", "repetir"],
}
_MODES: dict[Mode, dict[str, list[str]]] = {
    "translate": {
        "en": ["translate mode", "translation mode", "translator mode", "switch to translation", "translate"],
        "es": ["modo traduccion", "modo traductor", "modo de traduccion"],
        "de": ["ubersetzungsmodus", "ubersetzer modus", "ubersetzermodus", "ubersetzungs modus"],
        "fr": ["mode traduction", "mode traducteur", "mode de traduction"],
        "it": ["modalita traduzione", "modo traduzione", "modalita traduttore"],
        "pt": ["modo traducao", "modo tradutor", "modo de traducao"],
    },
    "assist": {
        "en": ["assistant mode", "assist mode", "assistant", "switch to assistant"],
        "es": ["modo asistente", "modo de asistente"],
        "de": ["assistentenmodus", "assistent modus", "assistenten modus"],
        "fr": ["mode assistant"],
        "it": ["modalita assistente", "modo assistente"],
        "pt": ["modo assistente"],
    },
    "transcribe": {
        "en": ["transcription mode", "transcribe mode", "dictation mode"],
        "es": ["modo transcripcion", "modo dictado"],
        "de": ["transkriptionsmodus", "diktiermodus", "diktat modus"],
        "fr": ["mode transcription", "mode dictee"],
        "it": ["modalita trascrizione", "modalita dettatura"],
        "pt": ["modo transcricao", "modo ditado"],
    },
    "converse": {
        "en": ["conversation mode", "converse mode", "interpreter mode"],
        "es": ["modo conversacion", "modo interprete"],
        "de": ["gesprachsmodus", "dolmetschermodus", "konversationsmodus"],
        "fr": ["mode conversation", "mode interprete"],
        "it": ["modalita conversazione", "modalita interprete"],
        "pt": ["modo conversa", "modo conversacao", "modo interprete"],
    },
}
# "switch to {language}" in each language; {x} is a language name.
_SWITCH = {
    "en": [
        "switch to {x}",
        "change to {x}",
        "translate to {x}",
        "translate into {x}",
        "change language to {x}",
        "{x} please",
        "in {x}",
        "speak {x}",
        "{x}",
    ],
    "es": ["cambia a {x}", "cambiar a {x}", "traduce al {x}", "traduce a {x}", "en {x}", "habla {x}", "{x}"],
    "de": [
        "wechsle zu {x}",
        "wechsel zu {x}",
        "auf {x}",
        "ubersetze ins {x}",
        "ubersetze auf {x}",
        "ins {x}",
        "sprich {x}",
        "{x}",
    ],
    "fr": ["passe en {x}", "passe a {x}", "traduis en {x}", "en {x}", "parle {x}", "{x}"],
    "it": ["passa al {x}", "passa a {x}", "traduci in {x}", "in {x}", "parla {x}", "{x}"],
    "pt": ["mude para {x}", "muda para {x}", "traduza para o {x}", "traduza para {x}", "em {x}", "fala {x}", "{x}"],
}
# Language names as they are said in each supported language (normalised).
LANGUAGE_NAMES: dict[str, list[str]] = {
    "en": ["english", "ingles", "englisch", "anglais", "inglese"],
    "es": ["spanish", "espanol", "castellano", "spanisch", "espagnol", "spagnolo", "espanhol"],
    "de": ["german", "aleman", "deutsch", "allemand", "tedesco", "alemao"],
    "fr": ["french", "frances", "franzosisch", "francais", "francese"],
    "it": ["italian", "italiano", "italienisch", "italien"],
    "pt": ["portuguese", "portugues", "portugiesisch", "portugais", "portoghese"],
    "nl": ["dutch", "neerlandes", "niederlandisch", "neerlandais", "olandese", "holandes"],
    "pl": ["polish", "polaco", "polnisch", "polonais", "polacco", "polones"],
    "ru": ["russian", "ruso", "russisch", "russe", "russo"],
    "tr": ["turkish", "turco", "turkisch", "turc"],
    "uk": ["ukrainian", "ucraniano", "ukrainisch", "ukrainien", "ucraino"],
    "ar": ["arabic", "arabe", "arabisch", "arabo"],
    "zh": ["chinese", "chino", "chinesisch", "chinois", "cinese", "chines"],
    "ja": ["japanese", "japones", "japanisch", "japonais", "giapponese"],
}


def _table(phrases: dict[str, list[str]]) -> dict[str, list[str]]:
    """Normalised phrase -> the languages it is a command in ("stop" is in several)."""
    table: dict[str, list[str]] = {}
    for lang, items in phrases.items():
        for phrase in items:
            table.setdefault(normalize(phrase), []).append(lang)
    return table


def _first_allowed(table: dict[str, list[str]], said: str, allowed: list[str]) -> str | None:
    """The first conversation language in which `said` is in `table`."""
    langs = table.get(said, [])
    return next((lang for lang in allowed if lang in langs), None)


_STOP_TABLE = _table(_STOP)
_REPEAT_TABLE = _table(_REPEAT)
_MODE_TABLES = {mode: _table(phrases) for mode, phrases in _MODES.items()}


_NAME_TO_CODE = {normalize(name): code for code, items in LANGUAGE_NAMES.items() for name in items}
_NAME_ALTERNATION = "|".join(sorted((re.escape(n) for n in _NAME_TO_CODE), key=len, reverse=True))
_SWITCH_PATTERNS = [
    (
        re.compile(
            "^"
            + re.escape(normalize(t.replace("{x}", "xlangx"))).replace("xlangx", f"(?P<x>{_NAME_ALTERNATION})")
            + "$"
        ),
        lang,
    )
    for lang, templates in _SWITCH.items()
    for t in templates
]


def parse_command(text: str, languages: Iterable[str]) -> VoiceCommand | None:
    """The voice command `text` is, said in one of `languages`, or None.

    `languages` are the conversation's languages: only their phrases count, so
    a Spanish "para" is not a command in an English/German conversation.
    """
    said = normalize(text)
    allowed = list(languages)
    if not said or len(said.split()) > MAX_COMMAND_WORDS:
        return None
    if lang := _first_allowed(_STOP_TABLE, said, allowed):
        return VoiceCommand("stop", heard_in=lang)
    if lang := _first_allowed(_REPEAT_TABLE, said, allowed):
        return VoiceCommand("repeat", heard_in=lang)
    for mode, table in _MODE_TABLES.items():
        if lang := _first_allowed(table, said, allowed):
            return VoiceCommand("mode", mode=mode, heard_in=lang)
    for pattern, lang in _SWITCH_PATTERNS:
        match = pattern.match(said) if lang in allowed else None
        if match:
            return VoiceCommand("language", language=_NAME_TO_CODE[match.group("x")], heard_in=lang)
    return None


def strip_wake_word(text: str, wake_word: str) -> str | None:
    """The request after the wake word, "" for the wake word alone, None without it.

    "Computer, what time is it?" with wake word "computer" gives "what time is
    it?"; "what time is it" gives None.
    """
    wake = normalize(wake_word)
    if not wake:
        return text
    words = text.split()
    wake_len = len(wake.split())
    if normalize(" ".join(words[:wake_len])) != wake:
        return None
    rest = " ".join(words[wake_len:])
    return rest.lstrip(" ,.!?;:").strip()
