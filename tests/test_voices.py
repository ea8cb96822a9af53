"""SVOX Pico and MBROLA voices with the real engines, the choice of voice per
language, and the fall-back to espeak-ng.

The Debian packages come from scripts/setup.sh; without them these tests skip,
naming the command that installs them.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import jiwer
import numpy as np
import pytest

from voiceslm.audio.io import resample
from voiceslm.config import Config, TtsConfig, load_config
from voiceslm.engines import mbrola, pico, voices
from voiceslm.engines.tts import EspeakTTS, TextToSpeech, VoiceBank
from voiceslm.errors import UserError
from voiceslm.text import normalize_for_scoring

THREE = {
    "es": "El tren sale a las ocho. Compra dos billetes, por favor. Nos vemos en la estación.",
    "pt": "O trem sai às oito. Compre duas passagens, por favor. Nos vemos na estação.",
}


@pytest.fixture(scope="module")
def needs_pico() -> None:
    reason = pico.missing_reason("es-ES") or pico.missing_reason("de-DE")
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def needs_mbrola() -> None:
    reason = mbrola.missing_reason("br1") or mbrola.missing_reason("de6")
    if reason:
        pytest.skip(reason)


def heard_cer(voice: TextToSpeech, text: str, whisper) -> tuple[float, str]:  # noqa: ANN001
    chunks = list(voice.synthesize(text))
    audio = np.concatenate([resample(c.samples, c.sample_rate, 16000) for c in chunks])
    heard = whisper.transcribe(audio, voice.language).text
    return jiwer.cer(normalize_for_scoring(text), normalize_for_scoring(heard)), heard


def mbrola_children() -> set[int]:
    """Process ids of this process's running mbrola children."""
    found = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
            except OSError:
                continue
            if command.endswith(b"mbrola"):
                found.add(int(pid))
    return found


# Intelligibility: whisper base hears what was said. Bounds sit well above the
# dev-set figures (docs/quality.md), so a broken voice fails and a noisy run does not.


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("es", "Mañana por la mañana vamos al mercado a comprar fruta y pan."),
        ("de", "Der Zug nach Berlin hat heute leider zwanzig Minuten Verspätung."),
        ("it", "Questa sera andiamo a cena in un ristorante vicino al porto."),
        ("fr", "Nous avons réservé une chambre pour deux nuits près de la gare."),
    ],
)
def test_pico_is_intelligible(needs_pico, whisper_base, language: str, text: str):
    voice = pico.PicoTTS(language)
    assert voice.sample_rate == 16000 and voice.locale == pico.DEFAULT_LOCALES[language]
    cer, heard = heard_cer(voice, text, whisper_base)
    assert cer <= (0.2 if language == "fr" else 0.12), (cer, heard)


@pytest.mark.parametrize(
    ("language", "name", "text"),
    [
        ("pt", "br1", "O trem para o aeroporto sai daqui a pouco. Hoje o restaurante está fechado para o almoço."),
        ("de", "de6", "Der Zug nach Berlin hat heute leider zwanzig Minuten Verspätung."),
    ],
)
def test_mbrola_is_intelligible(needs_mbrola, whisper_base, language: str, name: str, text: str):
    voice = mbrola.MbrolaTTS(language, name)
    cer, heard = heard_cer(voice, text, whisper_base)
    # MBROLA br1 varies from sentence to sentence (CER 0.06-0.34 on single sentences).
    assert cer <= 0.3, (cer, heard)


def test_mbrola_runs_one_process_for_many_sentences(needs_mbrola):
    voice = mbrola.MbrolaTTS("pt", "br1")
    list(voice.synthesize("Bom dia."))
    before = mbrola_children()
    chunks = list(voice.synthesize("Bom dia. Como vai você? Até amanhã."))
    assert len(chunks) == 3 and all(c.sample_rate == voice.sample_rate for c in chunks)
    assert before and mbrola_children() == before


# Cancel ----------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["pico", "mbrola"])
def test_cancel_mid_text_stops_further_chunks(request: pytest.FixtureRequest, engine: str):
    request.getfixturevalue(f"needs_{engine}")
    voice = pico.PicoTTS("es") if engine == "pico" else mbrola.MbrolaTTS("pt", "br1")
    cancel = threading.Event()
    spoken = []
    for chunk in voice.synthesize(THREE[voice.language], cancel=cancel):
        spoken.append(chunk.text)
        cancel.set()  # as a barge-in would, while this chunk plays
    assert spoken == [THREE[voice.language].split(". ")[0] + "."]


class _CancelInsideTheSentence(threading.Event):
    """A cancel that arrives while Pico is part way through a long sentence: the first
    check is the one before the sentence starts, the second is Pico's first inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.checks = 0

    def is_set(self) -> bool:
        self.checks += 1
        if self.checks == 2:
            self.set()
        return super().is_set()


def test_pico_stops_inside_a_long_sentence_and_starts_the_next_clean(needs_pico):
    voice = pico.PicoTTS("es")
    long_sentence = "Esta es una frase muy larga que sigue y sigue, " * 20 + "y por fin termina."
    cancel = _CancelInsideTheSentence()
    assert list(voice.synthesize(long_sentence, cancel=cancel)) == []
    assert cancel.checks >= 2
    # Nothing of the cancelled sentence is left in the engine: the next one is short.
    (chunk,) = list(voice.synthesize("Hola."))
    assert chunk.duration_s < 2.0


# Choosing the voice ---------------------------------------------------------------


def test_auto_picks_the_measured_best_installed_voice(needs_pico, needs_mbrola, model_store):
    bank = VoiceBank(TtsConfig(), model_store)
    try:
        assert isinstance(bank.for_language("es"), pico.PicoTTS)
        assert isinstance(bank.for_language("pt"), mbrola.MbrolaTTS)
        assert isinstance(bank.for_language("nl"), EspeakTTS)
    finally:
        bank.close()


def test_a_missing_voice_falls_back_to_espeak_with_one_warning(model_store, caplog: pytest.LogCaptureFixture):
    bank = VoiceBank(TtsConfig(voices={"it": "mbrola:zz9", "pt": "pico:pt-PT"}), model_store)
    with caplog.at_level(logging.WARNING):
        voice = bank.for_language("it")
        assert bank.for_language("it") is voice
    assert isinstance(voice, EspeakTTS)
    assert len(list(voice.synthesize("Buongiorno a tutti."))) == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert warnings[0].startswith("tts.voices.it is mbrola:zz9, which cannot speak here")
    assert "sudo apt-get install mbrola libespeak-ng1 espeak-ng-data mbrola-zz9" in warnings[0]
    assert warnings[0].endswith("using espeak-ng.")


def test_say_with_a_missing_voice_speaks_espeak_and_says_so(tmp_path: Path):
    import subprocess
    import sys

    out = tmp_path / "it.wav"
    run = subprocess.run(
        [sys.executable, "-m", "voiceslm", "--set", "tts.voices.it=mbrola:zz9", "say", "Ciao a tutti.",
         "--lang", "it", "-o", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert out.is_file() and out.stat().st_size > 10_000
    notices = [line for line in run.stderr.splitlines() if "mbrola:zz9" in line]
    assert len(notices) == 1 and "using espeak-ng" in notices[0], run.stderr


def test_nonfree_switch_keeps_mbrola_out(needs_mbrola, model_store):
    free = TtsConfig(nonfree_voices=False)
    assert all(spec.kind != "mbrola" for spec in voices.candidates(free, "pt"))
    bank = VoiceBank(free, model_store)
    try:
        assert isinstance(bank.for_language("pt"), EspeakTTS)
    finally:
        bank.close()
    with pytest.raises(UserError, match=r"tts\.voices\.pt must be a free voice while tts\.nonfree_voices is false"):
        load_config(use_system_layers=False, overrides={"tts.nonfree_voices": False, "tts.voices.pt": "mbrola:br1"})


# Bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_is_one_clear_sentence(needs_pico, needs_mbrola, text: str):
    for voice in (pico.PicoTTS("de"), mbrola.MbrolaTTS("pt", "br1")):
        with pytest.raises(UserError, match="no text to speak"):
            voice.synthesize(text)


def test_a_language_pico_does_not_speak_is_one_clear_sentence():
    with pytest.raises(UserError, match=r"^SVOX Pico has no voice for language 'pt' \(it speaks en, de, es, fr, it\)"):
        pico.PicoTTS("pt")
    with pytest.raises(UserError, match=r"tts\.voices\.pt must be a voice for 'pt', and SVOX Pico speaks only"):
        load_config(use_system_layers=False, overrides={"tts.voices.pt": "pico"})
    with pytest.raises(UserError, match=r'tts\.voices\.fr must be "pico" or one of pico:fr-FR'):
        load_config(use_system_layers=False, overrides={"tts.voices.fr": "pico:fr-CA"})
    with pytest.raises(UserError, match=r"tts\.voices\.de must be a voice for 'de', and MBROLA br1 speaks 'pt'"):
        load_config(use_system_layers=False, overrides={"tts.voices.de": "mbrola:br1"})


def test_pico_markup_in_text_is_read_not_obeyed(needs_pico, tmp_path: Path):
    target = tmp_path / "written.wav"
    voice = pico.PicoTTS("en")
    for opener in ("<", "< ", "<GEN"):
        text = f"{opener}genfile file='{target}'>hello</genfile> and 3 < 5."
        assert list(voice.synthesize(text))
    assert not target.exists()


def test_pico_voices_do_not_bleed_into_each_other_across_threads(needs_pico):
    from concurrent.futures import ThreadPoolExecutor

    text = "Pedro y Maria viven en Madrid con tres gatos."
    languages = ["es", "de", "it", "fr"]
    expected = {lang: sum(c.samples.size for c in pico.PicoTTS(lang).synthesize(text)) for lang in languages}
    assert len(set(expected.values())) == len(languages)
    with ThreadPoolExecutor(max_workers=4) as pool:
        sizes = list(
            pool.map(lambda lang: sum(c.samples.size for c in pico.PicoTTS(lang).synthesize(text)), languages * 3)
        )
    assert sizes == [expected[lang] for lang in languages * 3]


def test_default_config_lists_piper_for_english_and_auto_elsewhere():
    config = Config()
    assert config.tts.nonfree_voices is True
    packaged = load_config(use_system_layers=False).config.tts
    assert packaged.voices == {"en": "piper:piper-en_US-joe-medium"}
    assert [str(s) for s in voices.candidates(packaged, "pt")] == [*voices.PREFERENCE["pt"]]


def test_models_list_shows_every_voice_with_its_licence(needs_pico):
    import json
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "voiceslm", "models", "list", "--role", "tts", "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    listed = {m["name"]: m for m in json.loads(run.stdout.strip().splitlines()[-1])["models"]}
    assert {"espeak-ng", "piper-en_US-joe-medium", "pico-es-ES", "pico-it-IT", "mbrola-br4"} <= set(listed)
    assert listed["pico-es-ES"]["state"] == "installed" and listed["pico-es-ES"]["license"].startswith("Apache-2.0")
    assert "non-commercial, non-military" in listed["mbrola-br4"]["license"]
    assert listed["mbrola-br4"]["source"] == "Debian mbrola libespeak-ng1 espeak-ng-data mbrola-br4"


def test_doctor_names_the_command_that_adds_a_clearer_voice():
    from voiceslm.doctor import run_checks

    checks = run_checks(overrides={"tts.voices.it": "mbrola:zz9"}, full_model_check=False)
    (italian,) = [c for c in checks if c.name == "voice" and "tts.voices.it" in c.message]
    assert italian.level == "warn" and "using espeak-ng" in italian.message
    assert italian.fix == "sudo apt-get install mbrola libespeak-ng1 espeak-ng-data mbrola-zz9"
    assert any(c.name == "voice" and c.message.startswith("es: ") for c in checks)
