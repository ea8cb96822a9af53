"""Voice commands and the wake word, recognised from transcripts."""

from __future__ import annotations

import pytest

from voiceslm.intents import VoiceCommand, parse_command, strip_wake_word

LANGS = ("en", "es", "de", "fr", "it", "pt")


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("Stop.", VoiceCommand("stop", heard_in="en")),
        ("Stop!", VoiceCommand("stop", heard_in="en")),
        ("Be quiet", VoiceCommand("stop", heard_in="en")),
        ("¡Silencio!", VoiceCommand("stop", heard_in="es")),
        ("Arrête.", VoiceCommand("stop", heard_in="fr")),
        ("Repeat that, please", None),
        ("Repeat that.", VoiceCommand("repeat", heard_in="en")),
        ("Noch einmal.", VoiceCommand("repeat", heard_in="de")),
        ("Répète.", VoiceCommand("repeat", heard_in="fr")),
        ("Switch to German.", VoiceCommand("language", language="de", heard_in="en")),
        ("Translate into French", VoiceCommand("language", language="fr", heard_in="en")),
        ("Cambia a inglés.", VoiceCommand("language", language="en", heard_in="es")),
        ("Auf Deutsch!", VoiceCommand("language", language="de", heard_in="de")),
        ("Passe en italien.", VoiceCommand("language", language="it", heard_in="fr")),
        ("Translate mode.", VoiceCommand("mode", mode="translate", heard_in="en")),
        ("Assistant mode", VoiceCommand("mode", mode="assist", heard_in="en")),
        ("Modo asistente.", VoiceCommand("mode", mode="assist", heard_in="es")),
        ("Modalità traduzione", VoiceCommand("mode", mode="translate", heard_in="it")),
        ("Conversation mode.", VoiceCommand("mode", mode="converse", heard_in="en")),
        # Sentences that contain a command word are sentences, not commands.
        ("Stop the car at the station, please.", None),
        ("Where is the German embassy?", None),
        ("I want to repeat the course next year.", None),
        ("", None),
    ],
)
def test_commands_in_configured_languages(said: str, expected: VoiceCommand | None) -> None:
    assert parse_command(said, LANGS) == expected


def test_only_the_conversation_languages_count() -> None:
    # Spanish "para" is a command in a Spanish conversation only.
    assert parse_command("Para.", ["es", "en"]) == VoiceCommand("stop", heard_in="es")
    assert parse_command("Para.", ["en", "de"]) is None
    assert parse_command("Stopp!", ["en", "es"]) is None


def test_wake_word() -> None:
    assert strip_wake_word("Computer, what time is it?", "computer") == "what time is it?"
    assert strip_wake_word("computer", "Computer") == ""
    assert strip_wake_word("What time is it?", "computer") is None
    assert strip_wake_word("Hey Jarvis. Capital of France?", "hey jarvis") == "Capital of France?"
    assert strip_wake_word("Anything at all", "") == "Anything at all"
