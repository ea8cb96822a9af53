"""Scripted engines for the turn-taking and cancel tests: no model is loaded.

Each fake subclasses the real engine interface (SpeechToText, LanguageModel,
TextToSpeech, VoiceActivity, TurnModel) and the set implements `EngineSet`, so the live
session runs exactly the code it runs with real models; only what the engines
say and how long they take is scripted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from voiceslm.engines.smart_turn import TurnModel
from voiceslm.engines.stt import SpeechToText, Transcript
from voiceslm.engines.text_model import LanguageModel
from voiceslm.engines.tts import TextToSpeech
from voiceslm.engines.vad import VoiceActivity
from voiceslm.models.needs import LmRole

RATE = 16000


def tone(seconds: float, amplitude: float = 0.5) -> np.ndarray:
    """A loud 220 Hz tone: what the fake VAD hears as speech."""
    t = np.arange(round(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * RATE), dtype=np.float32)


class LoudnessVad(VoiceActivity):
    """Speech is any frame louder than a whisper."""

    def reset(self) -> None:
        pass

    def probability(self, frame: np.ndarray) -> float:
        return 1.0 if float(np.sqrt(np.mean(frame**2))) > 0.05 else 0.0


class ScriptedStt(SpeechToText):
    """Hears `text` in anything with sound in it; counts its calls."""

    languages = ("en", "es")

    def __init__(self, text: str, language: str = "en", seconds: float = 0.05) -> None:
        self.text = text
        self.language = language
        self.seconds = seconds
        self.calls = 0

    def transcribe(
        self,
        audio: np.ndarray,
        language: str | None = None,
        languages: Sequence[str] | None = None,
        *,
        full_window: bool = False,
    ) -> Transcript:
        self.calls += 1
        time.sleep(self.seconds)
        heard = self.text if audio.size and float(np.abs(audio).max()) > 0.05 else ""
        duration = audio.size / RATE
        return Transcript(heard, language or self.language, 1.0, duration, not heard)


class ScriptedLm(LanguageModel):
    """Replies word by word, `seconds_per_word` apart; `fail_after` words, then a model fault."""

    def __init__(self, reply: str, seconds_per_word: float = 0.01, fail_after: int | None = None) -> None:
        self.reply = reply
        self.seconds_per_word = seconds_per_word
        self.fail_after = fail_after
        self.cancelled = threading.Event()

    def translate(
        self, text: str, source: str | None, target: str, *, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        return self._words(cancel)

    def answer(
        self, question: str, history: Sequence[tuple[str, str]] = (), *, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        return self._words(cancel)

    def _words(self, cancel: threading.Event | None) -> Iterator[str]:
        for count, word in enumerate(self.reply.split(" ")):
            if cancel is not None and cancel.is_set():
                self.cancelled.set()
                return
            if self.fail_after is not None and count == self.fail_after:
                self.fail_after = None  # one fault, then the model works again
                raise RuntimeError("scripted model fault")
            time.sleep(self.seconds_per_word)
            yield word if count == 0 else " " + word


class ToneVoice(TextToSpeech):
    """Speaks `seconds_per_char` of a quiet tone per character."""

    def __init__(self, language: str, seconds_per_char: float = 0.05) -> None:
        self._language = language
        self.seconds_per_char = seconds_per_char

    @property
    def sample_rate(self) -> int:
        return RATE

    @property
    def language(self) -> str:
        return self._language

    def _speak(self, sentence: str) -> np.ndarray:
        return tone(len(sentence) * self.seconds_per_char, amplitude=0.01)


@dataclass
class FakeEngines:
    """An `EngineSet` of scripted engines."""

    stt_engine: ScriptedStt = field(default_factory=lambda: ScriptedStt("go forward ten meters"))
    lm_engine: ScriptedLm = field(default_factory=lambda: ScriptedLm("Avanza diez metros. Y luego para."))
    voice_seconds_per_char: float = 0.05
    turn_engine: TurnModel | None = None
    """None: turns end on silence alone, as when no turn model is installed."""
    closed: bool = False

    def stt(self, language: str | None = None) -> SpeechToText:
        return self.stt_engine

    def lm(self, role: LmRole) -> LanguageModel:
        return self.lm_engine

    def voice(self, language: str) -> TextToSpeech:
        return ToneVoice(language, self.voice_seconds_per_char)

    def new_vad(self) -> VoiceActivity:
        return LoudnessVad()

    def turn_model(self) -> TurnModel | None:
        return self.turn_engine

    def check_installed(self, **needs: object) -> None:
        pass

    def preload(self, **needs: object) -> None:
        pass

    def close(self) -> None:
        self.closed = True
