"""`voiceslm daemon`: the live pipeline as a long-running, controllable service.

Lifecycle, as systemd (Type=notify) sees it:

- start: one lock per runtime directory (a second daemon refuses politely),
  the control socket (a stale one left by a killed daemon is removed), the
  damaged-model check, then the pipeline; READY=1 only once its models are
  loaded and its audio devices are open.
- run: STATUS= says what it is doing ("translating en->es: listening"),
  WATCHDOG=1 is sent from a task on the event loop, so a stuck loop stops
  the pings and systemd restarts the service.
- SIGHUP or `ctl reload` (`reload`): the configuration is read again; if it is invalid
  the old one stays (the log and STATUS say why); if it is valid, what can
  change in place does, and the pipeline is rebuilt only when its own
  settings changed.
- SIGTERM, SIGINT or `ctl stop`: STOPPING=1, the pipeline is cancelled
  (closing its audio streams), the socket removed, all within two seconds.

Requests on the control socket (`handlers`) are mapped onto the pipeline's
`Controller` (`controller`): set_mode, mute, unmute, ptt_start, ptt_stop, say,
stop_speaking, status. docs/control-protocol.md lists them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any

from voiceslm import __version__
from voiceslm.config import Config, LoadedConfig
from voiceslm.engines.memory import allocator_report
from voiceslm.errors import UserError
from voiceslm.service.control import ControlError, ControlServer
from voiceslm.service.controller import (
    Controller,
    ControllerFactory,
    FreshPipelines,
    LivePipelines,
    PipelineFactory,
    describe,
)
from voiceslm.service.handlers import ControlHandlers
from voiceslm.service.lock import InstanceLock
from voiceslm.service.recorder import start_recorder
from voiceslm.service.reload import Reloader
from voiceslm.service.runner import PipelineRunner
from voiceslm.service.runtime_paths import default_socket_path, ensure_private_dir, runtime_dir
from voiceslm.service.sdnotify import Notifier

log = logging.getLogger(__name__)

STATUS_POLL_SECONDS = 0.5
LOCK_NAME = "daemon.lock"
HUP_SETTLE_SECONDS = 0.25
"""How long a SIGHUP waits for more before its reload starts; all of them are one reload."""


# The daemon ------------------------------------------------------------------


class Daemon:
    def __init__(
        self,
        loaded: LoadedConfig,
        reload_config: Callable[[], LoadedConfig],
        *,
        notifier: Notifier | None = None,
        controller_factory: ControllerFactory | None = None,
        on_config_applied: Callable[[LoadedConfig], None] | None = None,
        verify_models: bool = True,
    ) -> None:
        self.loaded = loaded
        self.notifier = notifier or Notifier()
        self._on_config_applied = on_config_applied
        pipelines: PipelineFactory = (
            LivePipelines() if controller_factory is None else FreshPipelines(controller_factory)
        )
        self._runner = PipelineRunner(pipelines, verify_models=verify_models, set_phase=self._set_phase)
        self._phase = "starting"
        self._stop_requested: asyncio.Event | None = None
        self._reloader = Reloader(self, reload_config)
        self._hup_pending = False
        self._started = time.monotonic()
        self._lock: InstanceLock | None = None
        self._server: ControlServer | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._recorder: asyncio.Task[Any] | None = None
        self.socket_path = default_socket_path(loaded.config.daemon.socket)
        self.handlers = ControlHandlers(self)

    # What the control handlers read ------------------------------------------

    @property
    def ready(self) -> bool:
        """The pipeline is up and may be controlled."""
        return self._runner.ready

    @property
    def controller(self) -> Controller | None:
        return self._runner.controller

    @property
    def phase(self) -> str:
        return self._phase

    @phase.setter
    def phase(self, phase: str) -> None:
        self._phase = phase

    def report(self) -> dict[str, Any]:
        """The daemon's own part of `status`."""
        return {
            "pid": os.getpid(),
            "version": __version__,
            "phase": self._phase,
            "ready": self._runner.ready,
            "uptime_s": round(time.monotonic() - self._started, 1),
            "reloads": self._reloader.count,
            "reload_error": self._reloader.error,
            "engine_loads": self._runner.engine_loads(),
            "memory": allocator_report(),
            "config_layers": list(self.loaded.layers),
            "socket": str(self.socket_path),
            "status_line": self.status_text(),
        }

    # Entry point ---------------------------------------------------------

    async def serve(self) -> int:
        """Run until stopped; returns the exit status (0 on a requested stop)."""
        loop = asyncio.get_running_loop()
        self._stop_requested = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop, signal.Signals(sig).name)
        loop.add_signal_handler(signal.SIGHUP, self._on_sighup)
        try:
            self._claim_runtime_dir()
            self._spawn(self._watchdog())
            self._server = ControlServer(
                self.socket_path, self.handlers.table(), idle_timeout=self.loaded.config.daemon.control_idle_timeout
            )
            await self._server.start()
            await self.start_pipeline(self.loaded.config)
            if self._stop_requested.is_set():
                return 0
            self._spawn(self._status_loop())
            log.info("ready in %.1f s: %s", time.monotonic() - self._started, self.status_text())
            self.notifier.ready(self.status_text())
            return await self._wait_for_end()
        except UserError as exc:
            # Kept as the last STATUS, so `systemctl status` shows why it stopped.
            self._phase = "stopping"
            self.notifier.stopping(f"failed: {exc}")
            raise
        finally:
            await self._shutdown()
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)

    def request_stop(self, reason: str = "stop requested") -> None:
        if self._stop_requested is None or self._stop_requested.is_set():
            return
        log.info("stopping (%s)", reason)
        self._phase = "stopping"
        self.notifier.stopping()
        self._stop_requested.set()

    # Start-up --------------------------------------------------------------

    def _claim_runtime_dir(self) -> None:
        directory = ensure_private_dir(runtime_dir())
        if self.socket_path.parent != directory:
            # A socket placed elsewhere by daemon.socket: create its folder if
            # needed but never change an existing one (it may be /tmp); the
            # socket itself is 0600 and peers are checked.
            try:
                self.socket_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                raise UserError(
                    f"Cannot create {self.socket_path.parent} for the control socket ({exc.strerror}); "
                    "fix daemon.socket."
                ) from exc
        self._lock = InstanceLock(directory / LOCK_NAME)
        self._lock.acquire()

    async def _wait_for_end(self) -> int:
        assert self._stop_requested is not None
        stop = asyncio.ensure_future(self._stop_requested.wait())
        try:
            while True:
                pipeline = self._runner.task
                self._runner.changed.clear()
                changed = asyncio.ensure_future(self._runner.changed.wait())
                waits = {stop, changed} if pipeline is None else {stop, changed, pipeline}
                try:
                    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    changed.cancel()
                if stop.done():
                    return 0
                # A pipeline a reload stopped on purpose is no longer self._pipeline.
                if pipeline is not None and pipeline.done() and pipeline is self._runner.task:
                    await self._runner.recover(pipeline, self.loaded.config, self._stop_requested)
                    self._started_pipeline(self.loaded.config)
                    self.notifier.status(self.status_text())
        finally:
            stop.cancel()

    # Shutdown ---------------------------------------------------------------

    async def _shutdown(self) -> None:
        if self._phase != "stopping":
            self._phase = "stopping"
            self.notifier.stopping()
        # Background work and control connections first (a reload in flight
        # must not start a pipeline after this one is stopped), then the pipeline.
        for task in list(self._background):
            task.cancel()
        if self._server is not None:
            await self._server.close()
            self._server = None
        await self._runner.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        log.info("stopped")

    # The pipeline -------------------------------------------------------------

    async def start_pipeline(self, config: Config) -> None:
        assert self._stop_requested is not None
        if await self._runner.start(config, self._stop_requested):
            self._started_pipeline(config)

    def _started_pipeline(self, config: Config) -> None:
        if self._runner.ready and self._runner.controller is not None:
            self._phase = "running"
            self._restart_recorder(self._runner.controller, config)

    async def stop_pipeline(self) -> None:
        await self._runner.stop()

    def _set_phase(self, phase: str, status_line: str | None = None) -> None:
        self._phase = phase
        self.notifier.status(status_line or self.status_text())

    # Reload -----------------------------------------------------------------

    def _on_sighup(self) -> None:
        # A storm of signals is one reload: one waiting to start already reads the newest file.
        if self._hup_pending:
            log.debug("SIGHUP while a reload is waiting: coalesced")
            return
        self._hup_pending = True
        self._spawn(self._reload_quietly())

    async def _reload_quietly(self) -> None:
        # Signals within this moment join the reload (editors save in several steps, scripts loop).
        await asyncio.sleep(HUP_SETTLE_SECONDS)
        self._hup_pending = False
        with contextlib.suppress(ControlError):
            await self.reload()

    async def reload(self) -> dict[str, Any]:
        """Read the configuration again and apply it; the old one stays if the new one is invalid."""
        return await self._reloader.reload()

    def config_applied(self, new: LoadedConfig, changed: set[str], rebuilt: bool) -> None:
        if self._server is not None:
            self._server.idle_timeout = new.config.daemon.control_idle_timeout
        if "privacy" in changed and not rebuilt and self.controller is not None:
            self._restart_recorder(self.controller, new.config)
        if self._on_config_applied is not None:
            self._on_config_applied(new)

    def _restart_recorder(self, controller: Controller, config: Config) -> None:
        if self._recorder is not None:
            self._recorder.cancel()
            self._recorder = None
        task = start_recorder(controller, config)
        if task is not None:
            self._recorder = task
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    # Background tasks ----------------------------------------------------------

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _watchdog(self) -> None:
        """WATCHDOG=1 from the event loop itself: if the loop stalls, the pings stop."""
        interval = self.notifier.watchdog_interval
        if interval is None:
            return
        log.debug("systemd watchdog: pinging every %.1f s", interval)
        while True:
            self.notifier.watchdog()
            await asyncio.sleep(interval)

    async def _status_loop(self) -> None:
        while True:
            await asyncio.sleep(STATUS_POLL_SECONDS)
            if self._phase == "running":
                self.notifier.status(self.status_text())

    def status_text(self) -> str:
        if self._phase == "running" and self.controller is not None and self._runner.ready:
            try:
                text = describe(self.controller.status())
            except Exception:
                log.exception("the pipeline's status() failed")
                text = "running"
        else:
            text = self._phase
        note = self._reloader.note
        return f"{text} ({note})" if note else text
