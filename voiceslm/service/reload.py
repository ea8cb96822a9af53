"""Reading the configuration again and applying it to a running daemon.

SIGHUP or `ctl reload`: if the new configuration is invalid the old one stays
(the log and STATUS say why); if it is valid, what can change in place does
(log, daemon, privacy), a new translation direction goes through
`set_mode`, and the pipeline is rebuilt only when its own settings changed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from typing import Any, Protocol

from voiceslm.config import Config, LoadedConfig
from voiceslm.errors import UserError
from voiceslm.service.control import ControlError
from voiceslm.service.controller import Controller
from voiceslm.service.sdnotify import Notifier

log = logging.getLogger(__name__)

REBUILD_WATCHDOG_SECONDS = 300.0
"""Watchdog timeout while a reload rebuilds the pipeline (it loads models)."""

# Sections a reload applies without touching the pipeline.
_IN_PLACE_SECTIONS = {"log", "daemon", "privacy"}
# Sections a reload applies through set_mode() when nothing else changed.
_MODE_SECTIONS = {"translate"}


class Reloadable(Protocol):
    """What a reload reads and changes of the daemon it reloads."""

    loaded: LoadedConfig
    phase: str
    notifier: Notifier

    @property
    def controller(self) -> Controller | None: ...

    def status_text(self) -> str: ...

    async def start_pipeline(self, config: Config) -> None: ...

    async def stop_pipeline(self) -> None: ...

    def config_applied(self, new: LoadedConfig, changed: set[str], rebuilt: bool) -> None:
        """The daemon's own settings (timeouts, the recorder) follow `new`; the pipeline already has."""


class Reloader:
    """One reload at a time; counts them and keeps why the last one failed."""

    def __init__(self, daemon: Reloadable, read_config: Callable[[], LoadedConfig]) -> None:
        self._daemon = daemon
        self._read_config = read_config
        self._lock = asyncio.Lock()
        self.count = 0
        self.note = ""
        """"reload failed: why" until a reload succeeds; shown after the status line."""

    @property
    def error(self) -> str | None:
        return self.note.removeprefix("reload failed: ") or None

    async def reload(self) -> dict[str, Any]:
        """Read the configuration again and apply it; the old one stays if the new one is invalid."""
        daemon = self._daemon
        async with self._lock:
            previous_phase = daemon.phase
            daemon.phase = "reloading"
            daemon.notifier.reloading(daemon.status_text())
            try:
                new = await asyncio.to_thread(self._read_config)
            except UserError as exc:
                daemon.phase = previous_phase
                self.note = f"reload failed: {exc}"
                log.error("reload refused, keeping the previous configuration: %s", exc)
                daemon.notifier.ready(daemon.status_text())
                raise ControlError(f"Reload refused, the previous configuration stays: {exc}") from exc
            try:
                result = await self._apply(new)
            except UserError as exc:
                self.note = f"reload failed: {exc}"
                log.error("reload failed, keeping the previous configuration: %s", exc)
                raise ControlError(f"Reload failed, the previous configuration stays: {exc}") from exc
            finally:
                if daemon.phase == "reloading":
                    daemon.phase = previous_phase if previous_phase != "reloading" else "running"
                daemon.notifier.ready(daemon.status_text())
            self.count += 1
            self.note = ""
            log.info("configuration reloaded: %s", ", ".join(result["changed"]) or "nothing changed")
            return result

    async def _apply(self, new: LoadedConfig) -> dict[str, Any]:
        daemon = self._daemon
        old = daemon.loaded.config
        changed = changed_sections(old, new.config)
        if new.config.daemon.socket != old.daemon.socket:
            log.warning("daemon.socket changed: the new path takes effect at the next start")
        pipeline_sections = changed - _IN_PLACE_SECTIONS
        rebuilt = False
        if pipeline_sections and pipeline_sections <= _MODE_SECTIONS and daemon.controller is not None:
            status = daemon.controller.status()
            translate = new.config.translate
            await daemon.controller.set_mode(
                status.get("mode") or new.config.live.mode,
                None if translate.source == "auto" else translate.source,
                translate.target,
            )
        elif pipeline_sections:
            await self._rebuild(new.config)
            rebuilt = True
        daemon.loaded = new
        daemon.config_applied(new, changed, rebuilt)
        return {"changed": sorted(changed), "pipeline_restarted": rebuilt}

    async def _rebuild(self, config: Config) -> None:
        """Swap in a pipeline built from `config`; put the old config back if it cannot start."""
        daemon = self._daemon
        muted = bool(daemon.controller and daemon.controller.status().get("muted"))
        log.info("settings of the live pipeline changed: restarting it")
        # Loading models can hold the interpreter for a while; give the
        # watchdog the start-up allowance meanwhile, then the usual one back.
        daemon.notifier.extend_watchdog(REBUILD_WATCHDOG_SECONDS)
        try:
            await daemon.stop_pipeline()
            try:
                await daemon.start_pipeline(config)
            except UserError:
                log.error("the new settings do not start; restarting with the previous ones")
                await daemon.stop_pipeline()
                await daemon.start_pipeline(daemon.loaded.config)
                raise
        finally:
            daemon.notifier.restore_watchdog()
        if muted and daemon.controller is not None:
            daemon.controller.mute()


def changed_sections(old: Config, new: Config) -> set[str]:
    return {f.name for f in dataclasses.fields(Config) if getattr(old, f.name) != getattr(new, f.name)}
