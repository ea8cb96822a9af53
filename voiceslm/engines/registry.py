"""The set of loaded engines, shared by one-shot commands and the live pipeline.

Each model is loaded at most once per process, on first use or by `preload`
(which callers run in a worker thread before the first utterance). Loading is
guarded by a lock so two threads asking for the same model share one copy.
`reconfigure` moves the set to a new configuration and keeps every engine whose
own settings and model files did not change (a daemon's reload).
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from voiceslm.config import Config
from voiceslm.engines.reuse import Built, built, files_state
from voiceslm.engines.translation_set import TranslationEngines
from voiceslm.models.needs import LmRole, lm_model_name, stt_model_name, voice_model_name

if TYPE_CHECKING:
    from voiceslm.engines.apertium import ApertiumTranslator
    from voiceslm.engines.routes import TranslationRouter
    from voiceslm.engines.smart_turn import SmartTurn, TurnModel
    from voiceslm.engines.stt import SpeechToText, WhisperSTT
    from voiceslm.engines.text_model import LanguageModel
    from voiceslm.engines.tts import TextToSpeech, VoiceBank
    from voiceslm.engines.vad import VoiceActivity
    from voiceslm.models.store import ModelStore

log = logging.getLogger(__name__)


class EngineSet(Protocol):
    """What the live pipeline needs from its engines: `Engines`, or a test's scripted fakes.

    Every method may block (a model loads on first use): call them in a worker thread.
    """

    def stt(self, language: str | None = None) -> SpeechToText: ...
    def lm(self, role: LmRole) -> LanguageModel: ...
    def voice(self, language: str) -> TextToSpeech: ...
    def translation(self) -> TranslationRouter:
        """The translation engine per direction (back-translation uses it directly)."""
        ...

    def new_vad(self) -> VoiceActivity:
        """A fresh detector for one audio stream (it carries state from frame to frame)."""
        ...

    def check_installed(
        self,
        *,
        stt_languages: Iterable[str | None] = (),
        lm_roles: Iterable[LmRole] = (),
        voice_languages: Iterable[str] = (),
        directions: Iterable[tuple[str | None, str]] = (),
    ) -> None: ...
    def preload(
        self,
        *,
        stt_languages: Iterable[str | None] = (),
        lm_roles: Iterable[LmRole] = (),
        voice_languages: Iterable[str] = (),
        directions: Iterable[tuple[str | None, str]] = (),
    ) -> None: ...
    def turn_model(self) -> TurnModel | None:
        """The end-of-turn model, or None when it is off or not installed (turns end on silence alone)."""
        ...

    def close(self) -> None: ...


class Engines(TranslationEngines):
    def __init__(self, config: Config, store: ModelStore | None = None) -> None:
        if store is None:
            from voiceslm.models.store import ModelStore

            store = ModelStore(config.model_store())
        self.config = config
        self.store = store
        self._lock = threading.RLock()
        self._stt: dict[str, WhisperSTT] = {}
        self._lm: dict[str, LanguageModel] = {}
        self._router: TranslationRouter | None = None
        self._apertium: ApertiumTranslator | None = None
        self._voices: VoiceBank | None = None
        self._voice_seen: dict[str, object] = {}
        self._vad_session: object | None = None
        self._built: dict[str, Built] = {}
        """What each loaded engine ("stt:whisper-base", "lm:...", "voices") was built from."""
        self.loads: collections.Counter[str] = collections.Counter()
        """How many times each model was loaded ("stt:whisper-base", "lm:gemma3-270m", "voice:es"): once
        each, unless the set was closed, or reconfigured with a change to that model, in between."""
        self._turn: SmartTurn | None = None
        self._turn_checked = False
        self.warmed: set[str] = set()
        """What a pipeline warmed up on these engines ("stt:en", "lm:assist", "voice:es", "turn"): a
        pipeline built again on them (a reload) skips that, until reconfigure() closes the engine."""

    # Speech-to-text -------------------------------------------------------

    def stt_model_name(self, language: str | None) -> str:
        return stt_model_name(self.config, language)

    def stt(self, language: str | None = None) -> WhisperSTT:
        name = self.stt_model_name(language)
        with self._lock:
            if name not in self._stt:
                from voiceslm.engines.stt import WhisperSTT

                self._stt[name] = WhisperSTT.load(self.store.require(name), self.config.stt, name)
                self._built[f"stt:{name}"] = built(
                    lambda c: (c.stt, files_state(self.store.require(name))), self.config
                )
                self.loads[f"stt:{name}"] += 1
            return self._stt[name]

    # Language models ------------------------------------------------------

    def lm_model_name(self, role: LmRole) -> str:
        return lm_model_name(self.config, role)

    def lm(self, role: LmRole) -> LanguageModel:
        """The assistant's language model, or for "translate" the router that picks an engine per direction."""
        if role == "translate":
            return self.translation()
        return self._language_model(self.lm_model_name(role))

    def _language_model(self, name: str) -> LanguageModel:
        with self._lock:
            if name not in self._lm:
                from voiceslm.engines.lm import load_language_model

                path = self.store.require(name)
                self._lm[name] = load_language_model(path, self.store.entry(name).family, self.config.lm)
                self._built[f"lm:{name}"] = built(lambda c: (c.lm, files_state(self.store.require(name))), self.config)
                self.loads[f"lm:{name}"] += 1
            return self._lm[name]

    # Text-to-speech -------------------------------------------------------

    @property
    def voices(self) -> VoiceBank:
        with self._lock:
            if self._voices is None:
                from voiceslm.engines.tts import VoiceBank

                self._voices = VoiceBank(self.config.tts, self.store)
            return self._voices

    def voice(self, language: str) -> TextToSpeech:
        voice = self.voices.for_language(language)
        with self._lock:
            if self._voice_seen.get(language) is not voice:
                self._voice_seen[language] = voice
                self.loads[f"voice:{language}"] += 1
                languages = tuple(sorted(self._voice_seen))
                self._built["voices"] = built(lambda c: (c.tts, self._voice_files(c, languages)), self.config)
        return voice

    def _voice_files(self, config: Config, languages: tuple[str, ...]) -> tuple[object, ...]:
        names = (voice_model_name(config, language) for language in languages)
        return tuple(files_state(self.store.model_dir(name)) for name in names if name)

    # Voice activity -------------------------------------------------------

    def new_vad(self) -> VoiceActivity:
        from voiceslm.engines.vad import SileroVad, silero_session

        # One ONNX session for every detector: each stream keeps its own state.
        with self._lock:
            if self._vad_session is None:
                self._vad_session = silero_session()
            session = self._vad_session
        return SileroVad(session=session)

    # End of turn ----------------------------------------------------------

    def turn_model(self) -> SmartTurn | None:
        name = self.config.vad.turn_model
        with self._lock:
            if self._turn is None and name and not self._turn_checked:
                self._turn_checked = True
                if not self.store.is_installed(name):
                    log.warning(
                        "the turn model %s is not installed, so a turn ends after vad.min_silence_ms of silence; "
                        "run: voiceslm models install %s",
                        name,
                        name,
                    )
                    return None
                from voiceslm.engines.smart_turn import SmartTurn

                self._turn = SmartTurn.load(self.store.require(name))
            return self._turn

    # Lifecycle ------------------------------------------------------------

    def preload(
        self,
        *,
        stt_languages: Iterable[str | None] = (),
        lm_roles: Iterable[LmRole] = (),
        voice_languages: Iterable[str] = (),
        directions: Iterable[tuple[str | None, str]] = (),
    ) -> None:
        """Load what the first utterance will need, so it does not pay for it.

        Translation loads the engines of `directions` (default: the configured
        one) and nothing else: English to Spanish through Apertium never loads
        the language model, which a later mode or direction loads on first use.
        """
        for language in stt_languages:
            self.stt(language)
        for role in lm_roles:
            if role == "translate":
                for source, target in tuple(directions) or (self._configured_direction(),):
                    self._preload_translation(source, target)
            else:
                self.lm(role)
        for language in voice_languages:
            self.voice(language)

    def check_installed(
        self,
        *,
        stt_languages: Iterable[str | None] = (),
        lm_roles: Iterable[LmRole] = (),
        voice_languages: Iterable[str] = (),
        directions: Iterable[tuple[str | None, str]] = (),
    ) -> None:
        """Fail fast, before any work, if a needed model is missing."""
        for language in stt_languages:
            self.store.require(self.stt_model_name(language))
        directions = tuple(directions) or (self._configured_direction(),)
        for role in lm_roles:
            if role == "translate" and all(self._translates_without_lm(s, t) for s, t in directions):
                continue
            self.store.require(self.lm_model_name(role))
        for language in voice_languages:
            if name := voice_model_name(self.config, language):
                self.store.require(name)

    def reconfigure(self, config: Config) -> list[str]:
        """Follow `config`, keeping each loaded engine whose settings and model files are unchanged.

        Speech-to-text depends on `stt.*`, language models on `lm.*`, voices on `tts.*`, each also
        on its model files (path, size, mtime, inode); the VAD and Apertium on nothing configurable.
        Changed ones are closed (and load again on next use). Returns what was dropped. Call it
        while nothing uses the engines (between two pipelines).
        """
        if config.model_store() != self.store.root:
            from voiceslm.models.store import ModelStore

            dropped = sorted(self._built)
            self.close()  # forgets what was warmed too
            self.store = ModelStore(config.model_store())
            self.config = config
            return dropped
        with self._lock:
            dropped = sorted(label for label, b in self._built.items() if not b.still_valid(config))
            for label in dropped:
                self._drop(label)
            self._router = None  # its choice of route per direction follows translate.* and what is installed
            if config.vad.turn_model != self.config.vad.turn_model:
                if self._turn is not None:
                    self._turn.close()
                    dropped.append(f"turn:{self.config.vad.turn_model}")
                self._turn = None
                self._turn_checked = False
            self.warmed = still_warm(self.warmed, dropped, self.config, config)
            self.config = config
        # What the pipeline before this one freed (its buffers, its threads' arenas) goes back too.
        from voiceslm.engines.memory import release_freed_memory

        release_freed_memory()
        log.info("engines kept: %s; closed: %s", ", ".join(sorted(self._built)) or "none", ", ".join(dropped) or "none")
        return dropped

    def _drop(self, label: str) -> None:
        del self._built[label]
        kind, _, name = label.partition(":")
        if kind == "stt":
            self._stt.pop(name).close()
        elif kind == "lm":
            self._lm.pop(name).close()
        elif kind == "voices" and self._voices is not None:
            self._voices.close()
            self._voices = None
            self._voice_seen.clear()

    def close(self) -> None:
        with self._lock:
            # CTranslate2 generators must be freed before interpreter exit
            # (one crashed at exit otherwise).
            for model in self._lm.values():
                model.close()
            for stt in self._stt.values():
                stt.close()
            if self._voices is not None:
                self._voices.close()
            if self._apertium is not None:
                self._apertium.close()
            if self._turn is not None:
                self._turn.close()
            self._turn = None
            self._turn_checked = False
            self._apertium = None
            self._router = None
            self._lm.clear()
            self._stt.clear()
            self._voices = None
            self._voice_seen.clear()
            self._vad_session = None
            self._built.clear()
            self.warmed.clear()
        from voiceslm.engines.memory import release_freed_memory

        release_freed_memory()

    def __enter__(self) -> Engines:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def still_warm(warmed: set[str], dropped: list[str], old: Config, new: Config) -> set[str]:
    """The warm-up marks that hold for `new`: an engine kept, and nothing it warmed with changed.

    Speech-to-text follows `stt.*`, voices `tts.*`, the language models (and the
    translation route the "lm:translate" mark stands for) `lm.*`, `translate.*` and
    `models.*`, the turn model `vad.turn_model`; a closed engine of a kind clears
    every mark of that kind.
    """
    kinds = {label.partition(":")[0] for label in dropped}
    same = {
        "stt": old.stt == new.stt and "stt" not in kinds,
        "voice": old.tts == new.tts and "voices" not in kinds,
        "lm": (old.lm, old.translate, old.models) == (new.lm, new.translate, new.models) and "lm" not in kinds,
        "turn": old.vad.turn_model == new.vad.turn_model and "turn" not in kinds,
    }
    return {mark for mark in warmed if same.get(mark.partition(":")[0], False)}
