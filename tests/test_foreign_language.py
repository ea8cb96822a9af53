"""Speech in a language outside stt.languages is reported, never mistranscribed as one of them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from voiceslm.audio import load_audio
from voiceslm.foreign import is_foreign, notice

DATA = Path(__file__).resolve().parent / "data"
SPANISH = DATA / "es_cheetah_homenaje.wav"  # the dev set's least certain Spanish clip
GERMAN = DATA / "de_cheetah_werbung.wav"  # "Die Werbung vermittelt einen falschen Eindruck."


def voiceslm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voiceslm", *args], capture_output=True, text=True, timeout=300)


def test_a_clear_winner_outside_the_set_is_foreign_and_a_doubtful_one_is_not() -> None:
    allowed = ("en", "es")
    assert is_foreign([("ja", 0.91), ("en", 0.05), ("es", 0.01)], allowed) == ("ja", 0.91)
    # The configured languages together still hold a fair share: identification is only unsure.
    assert is_foreign([("el", 0.55), ("es", 0.2), ("en", 0.1)], allowed) is None
    assert is_foreign([("el", 0.22), ("hi", 0.19), ("es", 0.17)], allowed) is None
    assert is_foreign([("en", 0.9)], allowed) is None


def test_notices_are_in_the_users_language() -> None:
    assert notice("ja", "en") == ("I heard Japanese, which is not one of your languages.", "en")
    assert notice("ja", "es") == ("He oído japonés, que no es uno de tus idiomas.", "es")
    assert notice("en", "fr") == ("J'ai entendu de l'anglais, qui n'est pas une de vos langues.", "fr")
    # A language with no name in the user's language is still reported, unnamed.
    assert notice("sw", "de") == ("Ich habe eine fremde Sprache gehört.", "de")
    assert notice("ja", "xx")[1] == "en"


def test_german_speech_for_a_user_of_other_languages_is_refused_in_one_sentence(tmp_path: Path) -> None:
    result = voiceslm("--set", "stt.languages=[en, es, fr]", "transcribe", str(GERMAN))
    assert result.returncode == 2, result.stdout
    assert result.stderr.strip() == (
        "voiceslm: The recording sounds like German (de), which is not one of your languages (en, es, fr); "
        "add de to stt.languages to transcribe it, or give the language with --lang."
    )
    out = tmp_path / "out.wav"
    translated = voiceslm("--set", "stt.languages=[en, fr]", "translate", str(GERMAN), "--to", "es", "-o", str(out))
    assert translated.returncode == 2 and "sounds like German" in translated.stderr and not out.exists()
    # Adding the language is the one change that makes it work.
    heard = voiceslm("--set", "stt.languages=[en, es, fr, de]", "transcribe", str(GERMAN), "--json")
    assert heard.returncode == 0, heard.stderr
    assert "werbung" in json.loads(heard.stdout.strip().splitlines()[-1])["text"].lower()


def test_a_hard_clip_of_a_configured_language_is_still_transcribed() -> None:
    result = voiceslm("transcribe", str(SPANISH), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["language"] == "es"


def test_live_mode_says_so_in_the_users_language(tmp_path: Path, whisper_base) -> None:
    out = tmp_path / "session.wav"
    result = voiceslm(
        "--set",
        "stt.languages=[en, es]",
        "run",
        "--mode",
        "transcribe",
        "--input",
        str(GERMAN),
        "--output",
        str(out),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    heard = [e for e in events if e["event"] == "TranscriptReady"]
    assert [(e["text"], e["foreign_language"]) for e in heard] == [("", "de")]
    spoken = whisper_base.transcribe(load_audio(out), "en").text.lower()
    assert "german" in spoken and "languages" in spoken
