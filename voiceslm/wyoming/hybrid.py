"""What a satellite's engine sets share: speech-to-text and voices elsewhere, every other model here.

`SatelliteEngines` (stock Wyoming servers) and `HomeAssistantEngines` (Home
Assistant driving the satellite) differ only in where speech is heard and
spoken; the language models, translators, VAD and turn model stay local.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from voiceslm.config import Config
from voiceslm.engines.stt import SpeechToText
from voiceslm.models.needs import LmRole

if TYPE_CHECKING:
    from voiceslm.engines.registry import Engines
    from voiceslm.engines.routes import TranslationRouter
    from voiceslm.engines.smart_turn import TurnModel
    from voiceslm.engines.text_model import LanguageModel
    from voiceslm.engines.vad import VoiceActivity


class HybridEngines:
    """The local half of an `EngineSet`; a subclass gives `stt` its remote engine and defines `voice`."""

    def __init__(self, config: Config, stt: SpeechToText, local: Engines | None = None) -> None:
        if local is None:
            from voiceslm.engines.registry import Engines

            local = Engines(config)
        self.config = config
        self._local = local
        self._stt = stt
        self._lock = threading.Lock()

    def stt(self, language: str | None = None) -> SpeechToText:
        return self._stt

    def lm(self, role: LmRole) -> LanguageModel:
        return self._local.lm(role)

    def translation(self) -> TranslationRouter:
        return self._local.translation()

    def new_vad(self) -> VoiceActivity:
        return self._local.new_vad()

    def turn_model(self) -> TurnModel | None:
        """The local end-of-turn model: turns are ended here, where the microphone is."""
        return self._local.turn_model()

    def check_installed(
        self,
        *,
        stt_languages: Iterable[str | None] = (),
        lm_roles: Iterable[LmRole] = (),
        voice_languages: Iterable[str] = (),
        directions: Iterable[tuple[str | None, str]] = (),
    ) -> None:
        """The mode's own models must be here; speech-to-text and the voices are the other side's business."""
        self._local.check_installed(lm_roles=lm_roles, directions=directions)

    def preload(
        self,
        *,
        stt_languages: Iterable[str | None] = (),
        lm_roles: Iterable[LmRole] = (),
        voice_languages: Iterable[str] = (),
        directions: Iterable[tuple[str | None, str]] = (),
    ) -> None:
        """`before_preload`, then load the local models."""
        self.before_preload(tuple(stt_languages))
        self._local.preload(lm_roles=lm_roles, directions=directions)

    def before_preload(self, stt_languages: tuple[str | None, ...]) -> None:
        """A subclass's check of the other side before models load (nothing here)."""

    def close(self) -> None:
        self._local.close()
