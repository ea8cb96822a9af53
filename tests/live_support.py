"""Helpers for the live pipeline tests: a shared engine set and an event recorder."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voiceslm.config import Config, load_config
from voiceslm.errors import ModelMissingError

DATA = Path(__file__).parent / "data"
TRANSLATE_MODELS = ("gemma3-270m", "smollm2-135m")
"""Translation models for the live tests, best first: whichever is installed."""


def live_config(**overrides: Any) -> Config:
    """The packaged defaults with `overrides` (dotted keys), validated like a user's file."""
    return load_config(use_system_layers=False, overrides=overrides).config


def installed(name: str) -> bool:
    from voiceslm.models.store import ModelStore

    try:
        ModelStore(live_config().model_store()).require(name)
    except ModelMissingError:
        return False
    return True


def translate_model() -> str:
    """The best installed translation model (the first of TRANSLATE_MODELS if none is)."""
    return next((name for name in TRANSLATE_MODELS if installed(name)), TRANSLATE_MODELS[0])


def with_policy_cache(state_home: Path) -> Path:
    """`state_home` (an XDG_STATE_HOME) given the policy layers' weights this session trained, as a user's
    state directory holds them: a command started on it loads them rather than trains."""
    from voiceslm.eval.soak import copy_policy_cache

    copy_policy_cache(state_home / "voiceslm" / "cache")
    return state_home


def require_models(*names: str) -> None:
    for name in names:
        if not installed(name):
            pytest.skip(f"model {name} is not installed; run `voiceslm models install {name}`")


class Events:
    """Records a pipeline's events and waits for the ones a test expects."""

    def __init__(self, pipeline: Any) -> None:
        self.subscription = pipeline.subscribe(maxsize=100_000)
        self.seen: list[Any] = []
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        async for event in self.subscription:
            self.seen.append(event)
            self._changed.set()

    def of(self, kind: type, **fields: Any) -> list[Any]:
        return [e for e in self.seen if isinstance(e, kind) and all(getattr(e, k) == v for k, v in fields.items())]

    async def wait_for(
        self,
        kind: type,
        timeout: float = 30.0,  # noqa: ASYNC109 - a deadline for one expected event
        where: Callable[[Any], bool] = lambda e: True,
        after: int = 0,
    ) -> Any:
        """The first event of `kind` (from index `after` on) for which `where` holds."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.seen[after:]:
                if isinstance(event, kind) and where(event):
                    return event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                names = [
                    f"{type(e).__name__}({e.text!r})" if hasattr(e, "text") else type(e).__name__
                    for e in self.seen[-30:]
                ]
                raise AssertionError(f"no {kind.__name__} within {timeout} s; last events: {names}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def close(self) -> None:
        self.subscription.close()
        await self._task


@contextlib.asynccontextmanager
async def running(
    pipeline: Any,
    timeout: float = 60.0,  # noqa: ASYNC109 - how long start-up may take
) -> AsyncIterator[Events]:
    """Run `pipeline` in a task until the block ends; yields its events once it is ready."""
    events = Events(pipeline)
    task = asyncio.create_task(pipeline.run())
    waiter = asyncio.ensure_future(pipeline.ready)
    done, _ = await asyncio.wait({task, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        waiter.cancel()
        task.result()
    assert waiter in done, "the pipeline did not become ready"
    waiter.result()
    try:
        yield events
    finally:
        pipeline.stop()
        try:
            await asyncio.wait_for(task, 20)
        finally:
            await events.close()


def read_raw(path: Path) -> np.ndarray:
    """A parec recording (16 kHz mono s16le) as float32."""
    return np.frombuffer(path.read_bytes(), dtype=np.int16).astype(np.float32) / 32768.0


def async_test(function: Callable[..., Any]) -> Callable[..., Any]:
    """Run an async test body in a fresh event loop (no asyncio plugin needed)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return asyncio.run(function(*args, **kwargs))

    return wrapper
