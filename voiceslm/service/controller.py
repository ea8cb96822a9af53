"""The seam between the daemon and the live pipeline: a typed Protocol, and its status line.

`voiceslm.pipeline.session.LiveSession` implements `Controller` exactly; a test
may hand the daemon anything else that does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from voiceslm.config import Config, Mode

if TYPE_CHECKING:
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


def live_controller(config: Config) -> Controller:
    """The real pipeline, imported only when a daemon starts one.

    fail_fast: a device missing at start fails the start with one sentence
    (systemd retries); once open, a device that goes away is reopened.
    """
    from voiceslm.pipeline.session import LiveSession

    return LiveSession(config, fail_fast=True)


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
