"""The translation half of `Engines`: the router, Apertium, Bergamot and the language model as legs of a route."""

from __future__ import annotations

import collections
import threading
from typing import TYPE_CHECKING

from voiceslm.config import Config
from voiceslm.engines.reuse import Built, built, files_state

if TYPE_CHECKING:
    from voiceslm.engines.apertium import ApertiumTranslator
    from voiceslm.engines.routes import Leg, TranslationRouter
    from voiceslm.engines.text_model import LanguageModel
    from voiceslm.models.store import ModelStore


class TranslationEngines:
    """Translation engines, loaded once each; `Engines` holds the state this reads and writes."""

    config: Config
    store: ModelStore
    loads: collections.Counter[str]
    _lock: threading.RLock
    _lm: dict[str, LanguageModel]
    _built: dict[str, Built]
    _router: TranslationRouter | None
    _apertium: ApertiumTranslator | None

    def _language_model(self, name: str) -> LanguageModel:
        raise NotImplementedError

    def translate_lm(self) -> LanguageModel:
        """The model named by lm.translate_model (a language model, or Marian/NLLB)."""
        return self._language_model(self.config.lm.translate_model)

    # Dedicated translation engines ------------------------------------------

    def translation(self) -> TranslationRouter:
        with self._lock:
            if self._router is None:
                from voiceslm.engines.routes import TranslationRouter

                self._router = TranslationRouter(self)
            return self._router

    def apertium(self) -> ApertiumTranslator:
        with self._lock:
            if self._apertium is None:
                from voiceslm.engines.apertium import ApertiumTranslator

                self._apertium = ApertiumTranslator()
            return self._apertium

    def leg_installed(self, leg: Leg) -> bool:
        """Whether one step of a translation route can run here without installing anything."""
        if leg.engine == "apertium":
            return self.apertium().supports(leg.source, leg.target)
        if leg.engine == "bergamot":
            from voiceslm.engines import bergamot
            from voiceslm.models import catalog

            name = bergamot.model_name(leg.source, leg.target)
            return catalog.find(name) is not None and bergamot.engine_available() and self.store.is_installed(name)
        return self.store.is_installed(self.config.lm.translate_model)

    def leg_engine(self, leg: Leg) -> LanguageModel:
        """The loaded engine for one step of a route (ModelMissingError naming the fix if it is not installed)."""
        if leg.engine == "apertium":
            engine = self.apertium()
            if not engine.supports(leg.source, leg.target):
                from voiceslm.engines.apertium import no_pair_error

                raise no_pair_error(leg.source, leg.target)
            return engine
        if leg.engine == "lm":
            return self.translate_lm()
        from voiceslm.engines import bergamot

        name = bergamot.model_name(leg.source, leg.target)
        with self._lock:
            if name not in self._lm:
                from voiceslm.models import catalog

                if catalog.find(name) is None:
                    raise bergamot.no_model_error(leg.source, leg.target)
                self._lm[name] = bergamot.BergamotTranslator.load(self.store, leg.source, leg.target)
                self._built[f"lm:{name}"] = built(lambda c: files_state(self.store.model_dir(name)), self.config)
                self.loads[f"lm:{name}"] += 1
            return self._lm[name]

    def _configured_direction(self) -> tuple[str | None, str]:
        source = self.config.translate.source
        return (None if source == "auto" else source), self.config.translate.target

    def _preload_translation(self, source: str | None, target: str) -> None:
        """Load the engines of one direction (others load on first use)."""
        from voiceslm.engines.routes import parse_route

        if source is None:
            self.translate_lm()
            return
        for leg in parse_route(self.translation().route(source, target), source, target):
            self.leg_engine(leg)
            if leg.engine == "apertium":
                self.apertium().warm(leg.source, leg.target)

    def _translates_without_lm(self, source: str | None, target: str) -> bool:
        """Whether a direction goes along a route without the language model."""
        if source is None:
            return False
        from voiceslm.engines.routes import parse_route

        route = self.translation().route(source, target)
        return all(leg.engine != "lm" for leg in parse_route(route, source, target))
