"""What every text model shares: the `LanguageModel` interface, generation stats, model-file checks.

Both the chat language models (`lm`) and the dedicated translators (`mt`)
build on this module, so neither imports the other's internals and a third
kind of text engine has one place to start from.
"""

from __future__ import annotations

import atexit
import json
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from voiceslm.errors import ModelMissingError

StopReason = Literal["end", "stop_string", "max_tokens", "cancelled", "closed"]
"""Why generation ended; "closed": the reader stopped early (say, the translation was complete)."""


@dataclass(frozen=True)
class GenerationStats:
    """Timings of one generation, for the latency log."""

    prompt_tokens: int
    generated_tokens: int
    first_token_s: float | None
    """Seconds from the call to the first generated token (prompt processing included); None if none came."""
    total_s: float
    """Seconds from the call to the end of generation."""
    tokens_per_s: float | None
    """Decoding speed after the first token; None with fewer than two tokens."""
    stop_reason: StopReason
    raw_text: str
    """What the model wrote, before cleaning (cut at a stop string)."""

    @classmethod
    def measure(
        cls,
        started: float,
        first_at: float | None,
        last_at: float,
        prompt_tokens: int,
        generated: int,
        reason: StopReason,
        raw_text: str,
    ) -> GenerationStats:
        """Stats from `time.perf_counter()` readings: the call, the first token and the last one."""
        decode_s = last_at - first_at if first_at is not None else 0.0
        return cls(
            prompt_tokens=prompt_tokens,
            generated_tokens=generated,
            first_token_s=None if first_at is None else first_at - started,
            total_s=time.perf_counter() - started,
            tokens_per_s=(generated - 1) / decode_s if generated > 1 and decode_s > 0 else None,
            stop_reason=reason,
            raw_text=raw_text,
        )


class LanguageModel(ABC):
    """Translates or answers, yielding cleaned text pieces as they are generated.

    Both methods check their arguments when called (raising `UserError`), then
    return an iterator that does the work as it is consumed. Setting `cancel`
    stops the generation after the current token; no more pieces follow.
    Close the iterator (or consume it fully) so the model is free for the next call.
    """

    last_stats: GenerationStats | None = None

    @abstractmethod
    def translate(
        self, text: str, source: str | None, target: str, *, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        """Stream the translation of `text` from `source` (None or "auto": unknown) into `target`."""

    @abstractmethod
    def answer(
        self,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        *,
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        """Stream an answer to `question`; `history` holds earlier (question, answer) pairs, oldest first."""

    def close(self) -> None:  # noqa: B027 - engines without resources need nothing here
        """Release the model."""

    def __enter__(self) -> LanguageModel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def require_files(model_dir: Path, files: Iterable[Path], what: str) -> None:
    """Refuse a model directory that lacks one of `files`, naming the reinstall command."""
    for required in files:
        if not required.is_file():
            raise ModelMissingError(
                f"{what} {model_dir.name} in {model_dir} is incomplete (no {required.name}); "
                f"reinstall it with `voiceslm models install {model_dir.name}`."
            )


def read_model_json(path: Path) -> dict[str, Any]:
    """A model's JSON side file: {} when it has none, a clear error when it is unreadable."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelMissingError(
            f"{path} cannot be read ({exc}); reinstall the model with `voiceslm models install {path.parent.name}`."
        ) from exc
    return data if isinstance(data, dict) else {}


# CTranslate2 models left for interpreter teardown to free aborted the process
# at exit (a Gemma generator about one time in three); every model still open
# is closed before teardown instead.
_OPEN_MODELS: weakref.WeakSet[LanguageModel] = weakref.WeakSet()


def track_open(model: LanguageModel) -> None:
    _OPEN_MODELS.add(model)


def untrack(model: LanguageModel) -> None:
    _OPEN_MODELS.discard(model)


@atexit.register
def _close_open_models() -> None:
    for model in list(_OPEN_MODELS):
        model.close()
