"""The live session's engines when Home Assistant drives the satellite (`voiceslm satellite --listen`).

Speech-to-text sends the utterance through the `HomeAssistantLink` and
returns Home Assistant's transcript; the voice plays the audio Home Assistant
sent for a reply, and speaks anything else (a notice) with the local voice.
The VAD and any local model stay on this machine.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from voiceslm.audio.io import STT_SAMPLE_RATE
from voiceslm.config import Config
from voiceslm.engines.stt import SpeechToText, Transcript
from voiceslm.engines.tts import SpeechChunk, TextToSpeech
from voiceslm.wyoming.hybrid import HybridEngines
from voiceslm.wyoming.satellite import HomeAssistantLink

if TYPE_CHECKING:
    from voiceslm.engines.registry import Engines, EngineSet


class HomeAssistantStt(SpeechToText):
    def __init__(self, link: HomeAssistantLink, config: Config) -> None:
        self._link = link
        self._timeout_s = config.satellite.timeout_s
        self._language = config.stt.languages[0]
        self.languages = tuple(config.stt.languages)
        self.warm_ups = 0
        """Calls to let pass without Home Assistant: the start-up warm-up that follows each preload."""

    def transcribe(
        self,
        audio: np.ndarray,
        language: str | None = None,
        languages: Sequence[str] | None = None,
        *,
        full_window: bool = False,  # the server decodes in its own window
    ) -> Transcript:
        if self.warm_ups > 0:
            # Warming up is for local models; sent to Home Assistant it would be answered aloud.
            self.warm_ups -= 1
            return Transcript("", language or self._language, 1.0, audio.size / STT_SAMPLE_RATE, True)
        text = " ".join(self._link.transcribe(audio, self._timeout_s).split())
        return Transcript(text, language or self._language, 1.0, audio.size / STT_SAMPLE_RATE, not text)


class RelayVoice(TextToSpeech):
    """Plays the audio Home Assistant sent for a reply; any other text is spoken by the local voice."""

    def __init__(self, link: HomeAssistantLink, language: str, local: TextToSpeech) -> None:
        self._link = link
        self._language = language
        self._local = local
        self._owed = 0
        """Characters of the reply being played still to come as sentences (they were played already)."""

    @property
    def sample_rate(self) -> int:
        return self._local.sample_rate

    @property
    def language(self) -> str:
        return self._language

    def _speak(self, sentence: str) -> np.ndarray:
        return self._local._speak(sentence)

    def synthesize(self, text: str, *, cancel: threading.Event | None = None) -> Iterator[SpeechChunk]:
        size = len("".join(text.split()))
        if self._owed > 0:
            # The rest of a reply whose audio went out with its first sentence.
            self._owed = max(0, self._owed - size)
            return iter(())
        if self._link.replies and self._link.replies[0].language == self._language:
            reply = self._link.replies.popleft()
            self._owed = max(0, len("".join(reply.text.split())) - size)
            return iter([SpeechChunk(samples=reply.samples, sample_rate=reply.rate, text=reply.text)])
        return self._local.synthesize(text, cancel=cancel)


class HomeAssistantEngines(HybridEngines):
    """An `EngineSet` for the Home Assistant satellite: speech-to-text and replies through the link."""

    def __init__(self, config: Config, link: HomeAssistantLink, local: Engines | None = None) -> None:
        self._ha_stt = HomeAssistantStt(link, config)
        super().__init__(config, self._ha_stt, local)
        self._link = link
        self._voices: dict[str, RelayVoice] = {}

    def voice(self, language: str) -> TextToSpeech:
        with self._lock:
            if language not in self._voices:
                self._voices[language] = RelayVoice(self._link, language, self._local.voice(language))
            return self._voices[language]

    def before_preload(self, stt_languages: tuple[str | None, ...]) -> None:
        """The start-up warm-up that follows does not reach Home Assistant."""
        self._ha_stt.warm_ups = len(stt_languages)

if TYPE_CHECKING:

    def _is_an_engine_set(engines: HomeAssistantEngines) -> EngineSet:
        """mypy checks here that these engines are what the live pipeline expects."""
        return engines
