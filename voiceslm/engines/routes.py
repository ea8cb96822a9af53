"""Which engine translates each direction, with pivots and fallbacks.

A route is one engine ("bergamot", "apertium", or "lm": the model named by
`lm.translate_model`, a language model or a Marian/NLLB one), or a chain
through other languages written engine>language>engine, such as
"bergamot>pt>apertium" for English to Spanish: Bergamot en->pt, then Apertium
pt->es.

`translate.engine: auto` (the default) takes, for each direction, the first
route of `AUTO_ROUTES` whose engines are all installed, ending with the
language model. The order comes from `voiceslm eval --routes` on the
development set (docs/quality.md has the table and the rule).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from voiceslm.engines.text_model import GenerationStats, LanguageModel, StopReason
from voiceslm.errors import UserError
from voiceslm.text import split_sentences

if TYPE_CHECKING:
    from voiceslm.engines.translation_set import TranslationEngines

log = logging.getLogger(__name__)

ENGINE_NAMES = ("bergamot", "apertium", "lm")

# Best first, ending with "lm". Chosen on the first half of each development file: the
# everyday sentences (Tatoeba; the phrasebook for Portuguese) decide, and where two routes
# are within 1 chrF there, the news sentences (FLORES) do, or else the shorter route.
AUTO_ROUTES: dict[tuple[str, str], tuple[str, ...]] = {
    ("en", "es"): ("bergamot>pt>apertium", "apertium", "lm"),
    ("es", "en"): ("apertium>pt>bergamot", "apertium", "lm"),
    ("en", "pt"): ("bergamot", "apertium>es>apertium", "lm"),
    ("pt", "en"): ("bergamot", "lm"),
    ("es", "pt"): ("apertium", "lm"),
    ("pt", "es"): ("apertium", "lm"),
    ("en", "fr"): ("bergamot>pt>apertium>es>apertium", "apertium>es>apertium", "lm"),
    # Gemma beat every chain on everyday French (chains win on news text).
    ("fr", "en"): ("lm",),
}
# Directions not measured: a dedicated engine for the direction itself, then the language model.
_UNMEASURED = ("bergamot", "apertium", "lm")

_ROUTE = re.compile(r"^[a-z]+(?:>[a-z]{2,3}>[a-z]+)*$")


@dataclass(frozen=True)
class Leg:
    engine: str
    source: str
    target: str


def parse_route(route: str, source: str, target: str) -> tuple[Leg, ...]:
    """The legs of `route` from `source` to `target`; ValueError if it is not a route."""
    if not _ROUTE.match(route):
        raise ValueError(route)
    parts = route.split(">")
    engines, pivots = parts[0::2], parts[1::2]
    if any(engine not in ENGINE_NAMES for engine in engines):
        raise ValueError(route)
    languages = [source, *pivots, target]
    return tuple(Leg(e, languages[i], languages[i + 1]) for i, e in enumerate(engines))


def route_problem(value: str) -> str | None:
    """Why a config value is not "auto" or a route, or None if it is fine."""
    if value == "auto":
        return None
    try:
        parse_route(value, "xx", "yy")
    except ValueError:
        return f'"auto", one of {", ".join(ENGINE_NAMES)}, or a chain such as "bergamot>pt>apertium"'
    return None


def candidates(source: str, target: str, configured: str) -> tuple[str, ...]:
    """Routes to try in order for a direction, given its configured value."""
    if configured != "auto":
        return (configured,)
    return AUTO_ROUTES.get((source, target), _UNMEASURED)


class TranslationRouter(LanguageModel):
    """Translates each call along the best installed route for its direction."""

    def __init__(self, engines: TranslationEngines) -> None:
        self._engines = engines
        self._chosen: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self.last_stats = None

    def configured(self, source: str, target: str) -> str:
        translate = self._engines.config.translate
        return translate.engines.get(f"{source}-{target}", translate.engine)

    def route(self, source: str | None, target: str) -> str:
        """The route a direction takes (a dedicated engine needs a known source)."""
        if source in (None, "", "auto"):
            return "lm"
        with self._lock:
            if (source, target) in self._chosen:
                return self._chosen[(source, target)]
        configured = self.configured(source, target)
        routes = candidates(source, target, configured)
        for route in routes:
            legs = parse_route(route, source, target)
            if configured != "auto" or route == "lm" or all(self._engines.leg_installed(leg) for leg in legs):
                break
            log.debug("%s-%s: route %s is not installed, trying the next", source, target, route)
        with self._lock:
            self._chosen[(source, target)] = route
        log.info("translating %s to %s with %s", source, target, route)
        return route

    def translate(
        self, text: str, source: str | None, target: str, *, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        if not text or not text.strip():
            raise UserError("Text to translate is empty; give some words to translate.")
        route = self.route(source, target)
        if route == "lm":
            model = self._engines.translate_lm()
            return self._lm_stream(model, model.translate(text, source, target, cancel=cancel))
        legs = parse_route(route, source or "", target)
        # Load every engine now, so a missing one is one clear error before any piece.
        models = [self._engines.leg_engine(leg) for leg in legs]
        return self._stream(text, legs, models, cancel)

    def answer(
        self, question: str, history: Sequence[tuple[str, str]] = (), *, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        return self._engines.translate_lm().answer(question, history, cancel=cancel)

    def _lm_stream(self, model: LanguageModel, stream: Iterator[str]) -> Iterator[str]:
        try:
            yield from stream
        finally:
            self.last_stats = model.last_stats

    def _stream(
        self, text: str, legs: tuple[Leg, ...], models: list[LanguageModel], cancel: threading.Event | None
    ) -> Iterator[str]:
        started = time.perf_counter()
        first_at: float | None = None
        written: list[str] = []
        reason: StopReason = "end"
        # Sentence by sentence, so the first is spoken while the next is translated.
        for sentence in split_sentences(text):
            for leg, model in zip(legs[:-1], models[:-1], strict=True):
                sentence = "".join(model.translate(sentence, leg.source, leg.target, cancel=cancel)).strip()
                if not sentence:
                    break
            if cancel is not None and cancel.is_set():
                reason = "cancelled"
                break
            if not sentence:
                continue
            separator = " " if written else ""
            last = legs[-1]
            for piece in models[-1].translate(sentence, last.source, last.target, cancel=cancel):
                first_at = first_at or time.perf_counter()
                written.append(separator + piece)
                yield separator + piece
                separator = ""
        self.last_stats = GenerationStats(
            prompt_tokens=0, generated_tokens=0,
            first_token_s=None if first_at is None else first_at - started,
            total_s=time.perf_counter() - started, tokens_per_s=None, stop_reason=reason, raw_text="".join(written),
        )  # fmt: skip
