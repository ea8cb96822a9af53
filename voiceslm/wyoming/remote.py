"""Speech-to-text and voices on Wyoming servers, behind the engine interfaces the live pipeline uses.

`SatelliteEngines` is an `EngineSet`: the live session runs unchanged (its
capture, turn detection, echo guard, barge-in and playback), but each
utterance is transcribed by a Wyoming `asr` server and each sentence spoken
by a Wyoming `tts` server, such as Home Assistant's wyoming-faster-whisper
and wyoming-piper, or another voiceslm (`voiceslm wyoming`). What the mode
does with a transcript (translate, answer) and the VAD stay on this machine.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from voiceslm.audio.io import STT_SAMPLE_RATE, to_int16
from voiceslm.config import Config
from voiceslm.engines.stt import SpeechToText, Transcript
from voiceslm.engines.stt import _phrase_key as phrase_key
from voiceslm.engines.tts import TextToSpeech
from voiceslm.errors import UserError
from voiceslm.wyoming.client import RemoteError, WyomingClient
from voiceslm.wyoming.hybrid import HybridEngines
from voiceslm.wyoming.pcm import audio_format, to_float_mono
from voiceslm.wyoming.wire import ProtocolError

if TYPE_CHECKING:
    from wyoming.event import Event

    from voiceslm.engines.registry import Engines, EngineSet

log = logging.getLogger(__name__)

SAMPLES_PER_CHUNK = 1024
"""Samples per audio-chunk sent (what wyoming-satellite sends: 64 ms at 16 kHz)."""


class RemoteStt(SpeechToText):
    """An `asr` server. It may not say which language it heard: then the one asked for, or the first configured."""

    def __init__(self, client: WyomingClient, config: Config) -> None:
        self._client = client
        self.languages = tuple(config.stt.languages)
        self._phantoms = {phrase_key(p) for p in config.stt.phantom_phrases}

    def transcribe(
        self,
        audio: np.ndarray,
        language: str | None = None,
        languages: Sequence[str] | None = None,
        *,
        full_window: bool = False,  # the server decodes in its own window
    ) -> Transcript:
        from wyoming.asr import Transcribe
        from wyoming.asr import Transcript as WyomingTranscript
        from wyoming.audio import AudioChunk, AudioStart, AudioStop

        started = time.perf_counter()
        pcm = to_int16(audio).tobytes()
        step = SAMPLES_PER_CHUNK * 2
        events = [
            Transcribe(language=language).event(),
            AudioStart(rate=STT_SAMPLE_RATE, width=2, channels=1).event(),
            *(AudioChunk(STT_SAMPLE_RATE, 2, 1, pcm[i : i + step]).event() for i in range(0, len(pcm), step)),
            AudioStop().event(),
        ]
        answers: list[WyomingTranscript] = []

        def take(event: Event) -> bool:
            if WyomingTranscript.is_type(event.type):
                answers.append(WyomingTranscript.from_event(event))
            return bool(answers)

        self._client.exchange(events, take)
        text = " ".join(answers[0].text.split())
        if text and phrase_key(text) in self._phantoms:
            log.debug("dropped phantom transcript %r from %s", text, self._client)
            text = ""
        heard = (answers[0].language or language or (languages or self.languages)[0]).split("-")[0].split("_")[0]
        duration = audio.size / STT_SAMPLE_RATE
        elapsed = time.perf_counter() - started
        log.debug("%s transcribed %.2f s of audio in %.3f s: %r", self._client, duration, elapsed, text)
        return Transcript(text, heard.lower(), 1.0, duration, not text, elapsed_s=elapsed)


class RemoteVoice(TextToSpeech):
    """A `tts` server's voice for one language, one `synthesize` request per sentence."""

    def __init__(self, client: WyomingClient, language: str, name: str, max_seconds: float) -> None:
        self._client = client
        self._language = language
        self._name = name
        self._max_seconds = max_seconds
        self._rate = 22050
        """The rate of the last sentence heard (each chunk carries its own)."""

    @property
    def sample_rate(self) -> int:
        return self._rate

    @property
    def language(self) -> str:
        return self._language

    def _speak(self, sentence: str) -> np.ndarray:
        return self._speak_until(sentence, None)

    def _speak_until(self, sentence: str, cancel: threading.Event | None) -> np.ndarray:
        from wyoming.tts import Synthesize, SynthesizeVoice

        voice = SynthesizeVoice(name=self._name or None, language=self._language)
        parts: list[np.ndarray] = []
        rate = 0
        seconds = 0.0

        def take(event: Event) -> bool:
            nonlocal rate, seconds
            if event.type == "audio-start":
                rate = audio_format(event)[0]
            elif event.type == "audio-chunk":
                chunk_rate, width, channels = audio_format(event)
                if rate and chunk_rate != rate:
                    raise ProtocolError("An audio-chunk's rate differs from its audio-start's.")
                samples = to_float_mono(event.payload or b"", width, channels)
                rate = chunk_rate
                seconds += samples.size / rate
                if seconds > self._max_seconds:
                    raise ProtocolError(f"A sentence came back longer than {self._max_seconds:g} s.")
                parts.append(samples)
            return event.type == "audio-stop"

        try:
            self._client.exchange([Synthesize(text=sentence, voice=voice).event()], take, cancel)
        except ProtocolError as exc:
            raise RemoteError(f"The Wyoming server at {self._client} broke the protocol: {exc}") from exc
        if rate:
            self._rate = rate
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)


class SatelliteEngines(HybridEngines):
    """An `EngineSet` whose speech-to-text and voices are Wyoming servers; the rest is local `Engines`."""

    def __init__(self, config: Config, asr: WyomingClient, tts: WyomingClient, local: Engines | None = None) -> None:
        super().__init__(config, RemoteStt(asr, config), local)
        self.asr = asr
        self.tts = tts
        self._voices: dict[str, RemoteVoice] = {}
        self._checked = False

    def voice(self, language: str) -> TextToSpeech:
        with self._lock:
            if language not in self._voices:
                name = self.config.satellite.voices.get(language, "")
                limit = self.config.limits.max_audio_seconds
                self._voices[language] = RemoteVoice(self.tts, language, name, limit)
            return self._voices[language]

    def before_preload(self, stt_languages: tuple[str | None, ...]) -> None:
        """Check the servers (unless done already)."""
        if not self._checked:
            self.check_servers()

    def check_servers(self) -> None:
        """Ask each server what it offers; UserError in one sentence if one cannot be reached or cannot help."""
        asr = self.asr.describe()
        if not any(program.installed for program in asr.asr):
            raise UserError(
                f"The Wyoming server at {self.asr} offers no speech-to-text; set {self.asr.key} to one that does "
                "(wyoming-faster-whisper, or `voiceslm wyoming`)."
            )
        tts = asr if self.tts.address == self.asr.address else self.tts.describe()
        if not any(program.installed for program in tts.tts):
            raise UserError(
                f"The Wyoming server at {self.tts} offers no text-to-speech; set {self.tts.key} to one that does "
                "(wyoming-piper, or `voiceslm wyoming`)."
            )
        log.info("speech-to-text on %s, voices on %s", self.asr, self.tts)
        self._checked = True


if TYPE_CHECKING:

    def _is_an_engine_set(engines: SatelliteEngines) -> EngineSet:
        """mypy checks here that the satellite's engines are what the live pipeline expects."""
        return engines
