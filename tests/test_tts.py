"""Text-to-speech with the real engines: the Piper English voice and espeak-ng."""

from __future__ import annotations

import re
import shutil
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from voiceslm.audio.io import resample
from voiceslm.config import TtsConfig
from voiceslm.engines.tts import EspeakTTS, PiperTTS, SpeechChunk, TextToSpeech, VoiceBank
from voiceslm.errors import ModelMissingError, UserError
from voiceslm.models.store import ModelStore

STT_RATE = 16000
THREE_SENTENCES = "The train leaves at noon. Please buy two tickets. We will meet at the station."


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def words(text: str) -> set[str]:
    """Lower-case words with accents and punctuation removed, for lenient comparison."""
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return set(re.findall(r"[a-z0-9]+", plain))


def speak(voice: TextToSpeech, text: str) -> tuple[np.ndarray, list[SpeechChunk]]:
    chunks = list(voice.synthesize(text))
    return np.concatenate([c.samples for c in chunks]), chunks


def assert_speech(chunk: SpeechChunk, sample_rate: int = 22050) -> None:
    assert chunk.sample_rate == sample_rate
    assert chunk.samples.dtype == np.float32
    assert chunk.samples.ndim == 1
    assert np.abs(chunk.samples).max() <= 1.0
    assert rms(chunk.samples) > 0.02, "speech should not be silent"


@pytest.fixture(scope="module")
def espeak_bank(model_store):
    # "auto" would choose Pico or MBROLA where installed (tests/test_voices.py).
    bank = VoiceBank(TtsConfig(voices=dict.fromkeys(("en", "es", "de", "fr", "it", "pt"), "espeak")), model_store)
    yield bank
    bank.close()


def test_piper_speaks_an_english_sentence(piper_en: TextToSpeech):
    assert isinstance(piper_en, PiperTTS)
    assert piper_en.language == "en"
    chunks = list(piper_en.synthesize("The weather is lovely today, so we will walk to the park."))
    assert len(chunks) == 1
    assert_speech(chunks[0])
    # Twelve words at a natural pace: about three seconds, certainly between 1.5 and 8.
    assert 1.5 < chunks[0].duration_s < 8


def test_one_chunk_per_sentence_in_order(piper_en: TextToSpeech):
    chunks = list(piper_en.synthesize(THREE_SENTENCES))
    assert [c.text for c in chunks] == [
        "The train leaves at noon.",
        "Please buy two tickets.",
        "We will meet at the station.",
    ]
    for chunk in chunks:
        assert_speech(chunk)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("es", "Buenos días, ¿cómo estás? Me gustaría un café con leche."),
        ("de", "Guten Morgen, wie geht es dir? Ich hätte gern einen Kaffee."),
        ("fr", "Bonjour, comment allez-vous ? Je voudrais un café au lait."),
    ],
)
def test_espeak_speaks_each_language(espeak_bank: VoiceBank, language: str, text: str):
    voice = espeak_bank.for_language(language)
    assert isinstance(voice, EspeakTTS)
    assert voice.language == language
    chunks = list(voice.synthesize(text))
    assert len(chunks) == 2
    for chunk in chunks:
        assert_speech(chunk, voice.sample_rate)
        assert 0.5 < chunk.duration_s < 6


def test_espeak_languages_do_not_bleed_into_each_other_across_threads(espeak_bank: VoiceBank):
    """espeak-ng's voice is global state: concurrent callers must each get their own language.

    The same text takes a different, characteristic time in each language; espeak-ng
    jitters it by a few samples between runs, far less than between languages.
    """
    text = "Pedro y Maria viven en Madrid con tres gatos."
    languages = ["es", "de", "fr", "it"]
    expected = {lang: speak(espeak_bank.for_language(lang), text)[0].size for lang in languages}
    assert len({round(size, -3) for size in expected.values()}) == len(languages)
    with ThreadPoolExecutor(max_workers=4) as pool:
        sizes = list(pool.map(lambda lang: speak(espeak_bank.for_language(lang), text)[0].size, languages * 3))
    # A bleed would give another language's length: each must stay nearer its own than any other
    # (under load the jitter reached 0.4%, the closest two languages are 1.7% apart).
    ordered = sorted(expected.values())
    margin = min(b - a for a, b in zip(ordered[:-1], ordered[1:], strict=True)) / 2
    for lang, size in zip(languages * 3, sizes, strict=True):
        assert abs(size - expected[lang]) < margin, (lang, size, expected)


@pytest.mark.parametrize("engine", ["piper", "espeak"])
def test_cancel_stops_after_the_current_sentence(request: pytest.FixtureRequest, engine: str):
    voice = request.getfixturevalue("piper_en") if engine == "piper" else EspeakTTS("en")
    cancel = threading.Event()
    spoken = []
    for chunk in voice.synthesize(THREE_SENTENCES, cancel=cancel):
        spoken.append(chunk.text)
        cancel.set()  # as a barge-in would, while this chunk plays
    assert spoken == ["The train leaves at noon."]


def test_cancel_set_before_the_start_speaks_nothing():
    cancel = threading.Event()
    cancel.set()
    assert list(EspeakTTS("es").synthesize("Hola. Adiós.", cancel=cancel)) == []


class _BargeInDuringSecondSentence(EspeakTTS):
    """The real espeak-ng voice, with a cancel arriving while sentence two is synthesised."""

    def __init__(self, cancel: threading.Event) -> None:
        super().__init__("en")
        self._cancel = cancel
        self.synthesised: list[str] = []

    def _speak(self, sentence: str) -> np.ndarray:
        self.synthesised.append(sentence)
        if len(self.synthesised) == 2:
            self._cancel.set()
        return super()._speak(sentence)


def test_a_sentence_cancelled_while_synthesised_is_not_handed_out():
    cancel = threading.Event()
    voice = _BargeInDuringSecondSentence(cancel)
    spoken = [chunk.text for chunk in voice.synthesize(THREE_SENTENCES, cancel=cancel)]
    assert spoken == ["The train leaves at noon."]
    assert voice.synthesised == ["The train leaves at noon.", "Please buy two tickets."]


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_a_user_error(piper_en: TextToSpeech, text: str):
    for voice in (piper_en, EspeakTTS("es")):
        with pytest.raises(UserError, match="no text to speak"):
            voice.synthesize(text)


def test_unknown_language_is_a_user_error_naming_the_supported_ones(espeak_bank: VoiceBank):
    assert not espeak_bank.supports("xx")
    with pytest.raises(UserError, match=r"'xx'.*use one of .*\bde\b.*\bes\b.*\bfr\b"):
        espeak_bank.for_language("xx")


def test_voice_bank_picks_piper_for_configured_languages_and_espeak_for_the_rest(voice_bank, piper_en):
    assert voice_bank.for_language("en") is piper_en
    assert isinstance(voice_bank.for_language("nl"), EspeakTTS)  # no other voice speaks Dutch
    assert voice_bank.supports("en") and voice_bank.supports("nl")


def test_voice_bank_loads_each_voice_once_across_threads(espeak_bank: VoiceBank):
    with ThreadPoolExecutor(max_workers=4) as pool:
        voices = list(pool.map(espeak_bank.for_language, ["pt"] * 8))
    assert all(v is voices[0] for v in voices)


def test_piper_voice_for_another_language_is_refused_before_loading(model_store):
    bank = VoiceBank(TtsConfig(voices={"de": "piper:piper-en_US-joe-medium"}), model_store)
    with pytest.raises(UserError, match=r"tts\.voices\.de .* language 'en'"):
        bank.for_language("de")


def test_missing_piper_voice_names_the_install_command(tmp_path: Path):
    bank = VoiceBank(TtsConfig(voices={"en": "piper:piper-en_US-joe-medium"}), ModelStore(tmp_path))
    with pytest.raises(ModelMissingError, match="voiceslm models install piper-en_US-joe-medium"):
        bank.for_language("en")


def test_broken_piper_voice_files_are_a_user_error(model_store, tmp_path: Path):
    with pytest.raises(UserError, match="model.onnx is missing"):
        PiperTTS.load(tmp_path)
    real = model_store.require("piper-en_US-joe-medium")
    shutil.copy(real / "model.onnx.json", tmp_path / "model.onnx.json")
    (tmp_path / "model.onnx").write_bytes(b"not an onnx model")
    with pytest.raises(UserError, match="cannot be loaded"):
        PiperTTS.load(tmp_path)
    (tmp_path / "model.onnx.json").write_text("{truncated", encoding="utf-8")
    with pytest.raises(UserError, match="unreadable"):
        PiperTTS.load(tmp_path)


def test_length_scale_and_volume_are_applied():
    text = "Hablamos despacio para entender mejor."
    normal = speak(EspeakTTS("es"), text)[0]
    slow = speak(EspeakTTS("es", length_scale=2.0), text)[0]
    quiet = speak(EspeakTTS("es", volume=0.5), text)[0]
    assert slow.size > 1.5 * normal.size
    assert 0.4 < rms(quiet) / rms(normal) < 0.6


def test_piper_english_is_intelligible(piper_en: TextToSpeech, whisper_tiny_en):
    text = "The weather is lovely today, so we will walk to the park."
    audio, _ = speak(piper_en, text)
    heard = whisper_tiny_en.transcribe(resample(audio, piper_en.sample_rate, STT_RATE), language="en")
    key_words = {"weather", "lovely", "today", "walk", "park"}
    assert key_words <= words(heard.text), heard.text


def test_espeak_spanish_is_intelligible(espeak_bank: VoiceBank, whisper_base):
    voice = espeak_bank.for_language("es")
    audio, _ = speak(voice, "Hoy hace mucho calor en la ciudad. ¿Dónde está la estación de tren?")
    heard = whisper_base.transcribe(resample(audio, voice.sample_rate, STT_RATE), language="es")
    key_words = {"hoy", "hace", "mucho", "calor", "ciudad", "donde", "esta", "estacion"}
    # espeak-ng is robotic and varies slightly from run to run: whisper base got all
    # eight words back 18 times in 20 and six the other two.
    assert len(key_words & words(heard.text)) >= 6, heard.text


def _rss_mb() -> float:
    import ctypes

    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 1e6


def test_a_long_sentence_leaves_no_piper_memory_behind(piper_en: TextToSpeech):
    # onnxruntime's arena grows to the longest sentence spoken and keeps it:
    # a 90-word sentence after a short one held about 380 MB more, for good.
    list(piper_en.synthesize("A short sentence first."))
    before = _rss_mb()
    clause = "the quick brown fox jumps over the lazy dog near the river bank"
    audio, _ = speak(piper_en, ", and ".join([clause] * 7).capitalize() + ".")
    assert len(audio) / 22050 > 20, "the long sentence should be spoken whole"
    del audio
    assert _rss_mb() - before < 150
