"""Speech in a language the user did not configure: say so instead of mistranscribing it.

Whisper asked to choose among `stt.languages` always picks one of them, and
decoding Japanese as English invents fluent nonsense that the translator then
translates. Identification already scores all of whisper's languages, so a
language outside the set that wins clearly is reported instead: in one
sentence on the command line, on the event stream, and spoken in live modes in
the user's own language.
"""

from __future__ import annotations

from collections.abc import Sequence

from voiceslm.engines.prompts import LANGUAGE_NAMES

FOREIGN_MIN_PROBABILITY = 0.8
"""A language outside the set must have at least this probability over all of whisper's languages ..."""
ALLOWED_MAX_PROBABILITY = 0.1
"""... and the configured languages together at most this. The dev set's hardest clip of a configured language
(a Spanish one) gave no other language above 0.23 from the file, but cut live by the VAD it once gave another
language over 0.5 with the configured pair under 0.25: only a clear winner counts."""

# Names of the languages most often heard, in each language a notice may be spoken in.
_NAMES: dict[str, dict[str, str]] = {
    "es": {
        "en": "inglés", "es": "español", "de": "alemán", "fr": "francés", "it": "italiano", "pt": "portugués",
        "ja": "japonés", "zh": "chino", "ko": "coreano", "ru": "ruso", "ar": "árabe", "hi": "hindi",
        "tr": "turco", "nl": "neerlandés", "pl": "polaco", "uk": "ucraniano", "el": "griego", "sv": "sueco",
        "vi": "vietnamita", "th": "tailandés", "fa": "persa", "he": "hebreo", "id": "indonesio",
    },
    "de": {
        "en": "Englisch", "es": "Spanisch", "de": "Deutsch", "fr": "Französisch", "it": "Italienisch",
        "pt": "Portugiesisch", "ja": "Japanisch", "zh": "Chinesisch", "ko": "Koreanisch", "ru": "Russisch",
        "ar": "Arabisch", "hi": "Hindi", "tr": "Türkisch", "nl": "Niederländisch", "pl": "Polnisch",
        "uk": "Ukrainisch", "el": "Griechisch", "sv": "Schwedisch", "vi": "Vietnamesisch", "th": "Thailändisch",
        "fa": "Persisch", "he": "Hebräisch", "id": "Indonesisch",
    },
    "fr": {
        "en": "anglais", "es": "espagnol", "de": "allemand", "fr": "français", "it": "italien", "pt": "portugais",
        "ja": "japonais", "zh": "chinois", "ko": "coréen", "ru": "russe", "ar": "arabe", "hi": "hindi",
        "tr": "turc", "nl": "néerlandais", "pl": "polonais", "uk": "ukrainien", "el": "grec", "sv": "suédois",
        "vi": "vietnamien", "th": "thaï", "fa": "persan", "he": "hébreu", "id": "indonésien",
    },
    "it": {
        "en": "inglese", "es": "spagnolo", "de": "tedesco", "fr": "francese", "it": "italiano", "pt": "portoghese",
        "ja": "giapponese", "zh": "cinese", "ko": "coreano", "ru": "russo", "ar": "arabo", "hi": "hindi",
        "tr": "turco", "nl": "olandese", "pl": "polacco", "uk": "ucraino", "el": "greco", "sv": "svedese",
        "vi": "vietnamita", "th": "thailandese", "fa": "persiano", "he": "ebraico", "id": "indonesiano",
    },
    "pt": {
        "en": "inglês", "es": "espanhol", "de": "alemão", "fr": "francês", "it": "italiano", "pt": "português",
        "ja": "japonês", "zh": "chinês", "ko": "coreano", "ru": "russo", "ar": "árabe", "hi": "hindi",
        "tr": "turco", "nl": "neerlandês", "pl": "polaco", "uk": "ucraniano", "el": "grego", "sv": "sueco",
        "vi": "vietnamita", "th": "tailandês", "fa": "persa", "he": "hebraico", "id": "indonésio",
    },
}  # fmt: skip

_NOTICE = {
    "en": ("I heard {name}, which is not one of your languages.", "I heard a language that is not one of yours."),
    "es": ("He oído {name}, que no es uno de tus idiomas.", "He oído un idioma que no es uno de los tuyos."),
    "de": ("Ich habe {name} gehört, das ist keine deiner Sprachen.", "Ich habe eine fremde Sprache gehört."),
    "fr": ("J'ai entendu du {name}, qui n'est pas une de vos langues.", "J'ai entendu une langue inconnue."),
    "it": ("Ho sentito {name}, che non è una delle tue lingue.", "Ho sentito una lingua che non è una delle tue."),
    "pt": ("Ouvi {name}, que não é uma das suas línguas.", "Ouvi uma língua que não é uma das suas."),
}  # fmt: skip


def is_foreign(ranked: Sequence[tuple[str, float]], allowed: Sequence[str]) -> tuple[str, float] | None:
    """(language, probability) when one outside `allowed` clearly wins whisper's identification, else None.

    `ranked` is every language with its probability, as faster-whisper's `detect_language` gives them.
    """
    if not ranked:
        return None
    best, best_probability = max(ranked, key=lambda item: item[1])
    if best in allowed or best_probability < FOREIGN_MIN_PROBABILITY:
        return None
    if sum(probability for language, probability in ranked if language in allowed) > ALLOWED_MAX_PROBABILITY:
        return None
    return best, best_probability


def english_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def refusal(code: str, allowed: Sequence[str]) -> str:
    """The one sentence a command ends in when the recording is in a language outside `allowed`."""
    return (
        f"The recording sounds like {english_name(code)} ({code}), which is not one of your languages "
        f"({', '.join(allowed)}); add {code} to stt.languages to transcribe it, or give the language with --lang."
    )


def notice(code: str, language: str) -> tuple[str, str]:
    """What to say, and in which language, when speech in `code` was heard by a user who speaks `language`."""
    if language not in _NOTICE:
        language = "en"
    named, unnamed = _NOTICE[language]
    name = english_name(code) if language == "en" else _NAMES[language].get(code, "")
    if not name or name == code:
        return unnamed, language
    if language == "fr" and name[0] in "aeiouéh":
        # French elides the partitive before a vowel: "de l'anglais".
        return named.replace("du {name}", "de l'{name}").format(name=name), language
    return named.format(name=name), language
