"""The seam between the daemon and the live pipeline: a typed Protocol, and its status line.

`voiceslm.pipeline.session.LiveSession` implements `Controller` exactly; a test
may hand the daemon anything else that does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from voiceslm.config import Config, Mode

if TYPE_CHECKING:
    from voiceslm.engines.registry import Engines
    from voiceslm.pipeline.channels import Subscription


class Controller(Protocol):
    """What the daemon needs from the live pipeline."""

    @property
    def ready(self) -> Awaitable[None]:
        """Resolves once the models are loaded and the devices deliver (raises the start-up error)."""
        ...

    async def run(self) -> None: ...
    def stop(self) -> None: ...
    async def set_mode(self, mode: Mode, source: str | None = None, target: str | None = None) -> None: ...
    def mute(self) -> None: ...
    def unmute(self) -> None: ...
    def ptt_start(self) -> None: ...
    def ptt_stop(self) -> None: ...
    async def say(self, text: str, lang: str) -> int: ...
    def stop_speaking(self) -> None: ...
    def status(self) -> dict[str, Any]: ...
    def subscribe(self, maxsize: int = 512) -> Subscription: ...


ControllerFactory = Callable[[Config], Controller]


class PipelineFactory(Protocol):
    """Builds the daemon's pipelines; what they load may outlive one of them."""

    async def build(self, config: Config) -> Controller: ...

    def engine_loads(self) -> dict[str, int]:
        """How many times each model was loaded so far (shown by `status`)."""
        ...

    async def close(self) -> None:
        """Release what the pipelines shared; the next build starts afresh."""
        ...


class FreshPipelines:
    """Each pipeline from `factory` alone: nothing is shared (a test's controllers)."""

    def __init__(self, factory: ControllerFactory) -> None:
        self._factory = factory

    async def build(self, config: Config) -> Controller:
        return self._factory(config)

    def engine_loads(self) -> dict[str, int]:
        return {}

    async def close(self) -> None:
        return None


class LivePipelines:
    """The real pipeline on one set of engines kept across rebuilds, imported only when a daemon starts one.

    A rebuild (a reload that changed pipeline settings) keeps every engine whose settings and
    model files did not change: reloading them all cost memory that was never given back.
    fail_fast: a device missing at start fails the start with one sentence (systemd retries);
    once open, a device that goes away is reopened.
    """

    def __init__(self) -> None:
        self._engines: Engines | None = None

    async def build(self, config: Config) -> Controller:
        from voiceslm.pipeline.session import LiveSession

        if self._engines is None:
            from voiceslm.engines.registry import Engines

            self._engines = await asyncio.to_thread(Engines, config)
        else:
            await asyncio.to_thread(self._engines.reconfigure, config)
        return LiveSession(config, engines=self._engines, fail_fast=True)

    def engine_loads(self) -> dict[str, int]:
        return dict(self._engines.loads) if self._engines is not None else {}

    async def close(self) -> None:
        engines, self._engines = self._engines, None
        if engines is not None:
            await asyncio.to_thread(engines.close)


def describe(status: Mapping[str, Any]) -> str:
    """One short line for systemd's STATUS= from the controller's status()."""
    mode = str(status.get("mode") or "")
    source = status.get("source") or "auto"
    target = status.get("target") or ""
    if mode == "translate":
        what = f"translating {source}->{target}" if target else "translating"
    elif mode == "assist":
        what = "assisting"
    elif mode == "transcribe":
        what = "transcribing"
    else:
        what = mode or "running"
    state = status.get("state") or status.get("activity") or ""
    if status.get("muted"):
        state = "muted"
    return f"{what}: {state}" if state else what
