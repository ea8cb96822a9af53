"""What the Wyoming server offers (its `info`), and which voice speaks a `synthesize` request.

Home Assistant lists the voices of a language in the order given and picks
the first, so each language's configured voice (`tts.voices`) comes first,
then every other installed Piper voice, then espeak-ng's voice for each of
its languages. Voice names say the engine and language, so a request naming
a voice needs no language beside it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from voiceslm import __version__
from voiceslm.errors import UserError

if TYPE_CHECKING:
    from wyoming.info import Info

    from voiceslm.engines import Engines
    from voiceslm.tts import TextToSpeech

ESPEAK_VOICE_PREFIX = "espeak-ng-"
PROJECT_URL = "https://github.com/voiceslm/voiceslm"


@dataclass(frozen=True)
class VoiceOffer:
    name: str
    language: str
    """Two-letter language the voice reads text as."""
    description: str
    licence: str
    store_name: str = ""
    """Model store name of a Piper voice; empty for espeak-ng."""


def voice_offers(engines: Engines) -> list[VoiceOffer]:
    """Every voice the server can speak with, each language's configured voice first."""
    from voiceslm import espeak
    from voiceslm.models import catalog
    from voiceslm.tts import PIPER_PREFIX

    config = engines.config
    piper: list[VoiceOffer] = []
    for name in engines.store.installed():
        entry = catalog.get(name)
        if entry.role == "tts":
            piper.append(VoiceOffer(name, entry.languages[0], entry.description, entry.license, store_name=name))
    espeak_languages = sorted(tag for tag in espeak.engine().languages if len(tag) == 2)
    espeak_voices = [
        VoiceOffer(f"{ESPEAK_VOICE_PREFIX}{lang}", lang, f"espeak-ng ({lang})", "GPL-3.0-or-later")
        for lang in espeak_languages
    ]
    preferred: list[VoiceOffer] = []
    for language in dict.fromkeys((*config.stt.languages, config.translate.target, *config.tts.voices)):
        spec = config.tts.voices.get(language, "espeak")
        wanted = (
            spec.removeprefix(PIPER_PREFIX) if spec.startswith(PIPER_PREFIX) else f"{ESPEAK_VOICE_PREFIX}{language}"
        )
        preferred += [v for v in (*piper, *espeak_voices) if v.name == wanted and v.language == language]
    rest = [v for v in (*piper, *espeak_voices) if v not in preferred]
    return preferred + rest


def build_info(engines: Engines, offers: list[VoiceOffer], handle_mode: str) -> Info:
    from wyoming.info import (
        AsrModel,
        AsrProgram,
        Attribution,
        HandleModel,
        HandleProgram,
        Info,
        TtsProgram,
        TtsVoice,
    )

    from voiceslm.models import catalog

    config = engines.config
    ours = Attribution(name="voiceslm", url=PROJECT_URL)
    models = []
    for name in dict.fromkeys(filter(None, (config.stt.model, config.stt.english_model))):
        entry = catalog.get(name)
        languages = list(config.stt.languages) if len(entry.languages) > 1 else list(entry.languages)
        models.append(
            AsrModel(
                name=name,
                description=f"{entry.description} ({entry.license})",
                attribution=Attribution(name="OpenAI Whisper via faster-whisper", url=""),
                installed=engines.store.is_installed(name),
                languages=languages,
                version=None,
            )
        )
    voices = [
        TtsVoice(
            name=v.name,
            description=f"{v.description} ({v.licence})",
            attribution=Attribution(name="Piper" if v.store_name else "espeak-ng", url=""),
            installed=True,
            version=None,
            languages=[v.language],
        )
        for v in offers
    ]
    lm_name = engines.lm_model_name("assist" if handle_mode == "assist" else "translate")
    what = (
        f"answers in the language asked ({lm_name})"
        if handle_mode == "assist"
        else (f"translates into {config.translate.target} ({lm_name})")
    )
    return Info(
        asr=[
            AsrProgram(
                name="voiceslm",
                description="voiceslm speech-to-text: faster-whisper with a hallucination guard",
                attribution=ours,
                installed=True,
                version=__version__,
                models=models,
                supports_transcript_streaming=False,
                requires_external_vad=True,
            )
        ],
        tts=[
            TtsProgram(
                name="voiceslm",
                description="voiceslm text-to-speech: Piper voices, espeak-ng for other languages",
                attribution=ours,
                installed=True,
                version=__version__,
                voices=voices,
                supports_synthesize_streaming=True,
            )
        ],
        handle=[
            HandleProgram(
                name="voiceslm",
                description=f"voiceslm {handle_mode}: {what}",
                attribution=ours,
                installed=True,
                version=__version__,
                models=[
                    HandleModel(
                        name=lm_name,
                        description=catalog.get(lm_name).license,
                        attribution=ours,
                        installed=engines.store.is_installed(lm_name),
                        version=None,
                        languages=list(config.stt.languages),
                    )
                ],
                supports_handled_streaming=False,
            )
        ],
    )


class VoiceChooser:
    """The loaded voice for a request: by name from the offers, else by language."""

    def __init__(self, engines: Engines, offers: list[VoiceOffer]) -> None:
        self._engines = engines
        self._offers = {v.name: v for v in offers}
        self._default = offers[0] if offers else None
        self._lock = threading.Lock()
        self._extra: dict[str, TextToSpeech] = {}

    def resolve(self, name: str | None, language: str | None) -> VoiceOffer:
        """The offer a request means; UserError (one sentence for the client) when none fits."""
        if name:
            if name not in self._offers:
                raise UserError(f"No voice is named {name!r}; ask for one listed in this server's info.")
            return self._offers[name]
        if language:
            base = language.replace("-", "_").split("_")[0].lower()
            for offer in self._offers.values():
                if offer.language == base:
                    return offer
            raise UserError(f"No voice speaks language {language!r}; ask for one listed in this server's info.")
        if self._default is None:
            raise UserError("This server has no voice installed; install one with `voiceslm models install`.")
        return self._default

    def load(self, offer: VoiceOffer) -> TextToSpeech:
        """The voice itself (seconds for a Piper voice the first time): call from a worker thread."""
        from voiceslm.tts import PIPER_PREFIX, EspeakTTS, PiperTTS

        config = self._engines.config.tts
        spec = config.voices.get(offer.language, "espeak")
        configured = spec.removeprefix(PIPER_PREFIX) if spec.startswith(PIPER_PREFIX) else ""
        if offer.store_name == configured:
            return self._engines.voice(offer.language)
        with self._lock:
            if (voice := self._extra.get(offer.name)) is None:
                if offer.store_name:
                    voice = PiperTTS.load(
                        self._engines.store.require(offer.store_name),
                        length_scale=config.length_scale,
                        volume=config.volume,
                        threads=config.threads,
                    )
                else:
                    voice = EspeakTTS(offer.language, length_scale=config.length_scale, volume=config.volume)
                self._extra[offer.name] = voice
            return voice

    def close(self) -> None:
        with self._lock:
            voices, self._extra = list(self._extra.values()), {}
        for voice in voices:
            voice.close()
