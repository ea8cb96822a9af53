"""The daemon's live pipeline: started and awaited until ready, stopped, restarted after a crash."""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Awaitable, Callable

from voiceslm.config import Config
from voiceslm.errors import UserError
from voiceslm.service.controller import Controller, PipelineFactory

# The daemon's story is one logger in the journal.
log = logging.getLogger("voiceslm.service.daemon")

STOP_GRACE_SECONDS = 1.2
"""How long the pipeline gets to close its streams on stop; the whole stop stays under 2 s."""
MAX_RESTARTS = 3
"""Unexpected pipeline failures restarted in process within `RESTART_WINDOW_SECONDS`; one more exits."""
RESTART_WINDOW_SECONDS = 600.0


class PipelineRunner:
    """Owns the one pipeline task and its controller; the daemon asks it to start, stop or recover."""

    def __init__(self, factory: PipelineFactory, *, verify_models: bool, set_phase: Callable[..., None]) -> None:
        self._factory = factory
        self._verify_models = verify_models
        self._set_phase = set_phase
        """set_phase(phase, status_line=None): the daemon's phase, told to systemd."""
        self.controller: Controller | None = None
        self.task: asyncio.Task[None] | None = None
        self.ready = False
        self.changed = asyncio.Event()
        """Set whenever `task` is replaced (the daemon's wait starts over on the new one)."""
        self._restarts: collections.deque[float] = collections.deque(maxlen=MAX_RESTARTS)

    async def start(self, config: Config, stop_requested: asyncio.Event) -> bool:
        """Build the pipeline and wait until it is ready; False if a stop was asked meanwhile."""
        self.ready = False
        if stop_requested.is_set():
            return False
        if self._verify_models:
            self._set_phase("checking models")
            await asyncio.to_thread(check_models, config)
            if stop_requested.is_set():
                return False
        self._set_phase("loading models")
        controller = await self._factory.build(config)
        self.controller = controller
        self.task = asyncio.ensure_future(controller.run())
        self.changed.set()
        ready = asyncio.ensure_future(_wait(controller.ready))
        stop = asyncio.ensure_future(stop_requested.wait())
        try:
            await asyncio.wait({ready, self.task, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if not self.task.done() and ready.done() and ready.exception() is not None:
            # The pipeline reported its start-up error; let it finish unwinding.
            await asyncio.wait({self.task}, timeout=STOP_GRACE_SECONDS)
        if self.task.done():
            ready.cancel()
            self.raise_end(self.task, during_start=True)
        if stop.done() and not ready.done():
            ready.cancel()
            return False
        ready.result()
        self.ready = True
        return True

    async def recover(self, pipeline: asyncio.Task[None], config: Config, stop_requested: asyncio.Event) -> bool:
        """Restart a pipeline that died of an unexpected error, a few times; then give up loudly."""
        error = None if pipeline.cancelled() else pipeline.exception()
        now = time.monotonic()
        recent = [t for t in self._restarts if now - t < RESTART_WINDOW_SECONDS]
        if len(recent) >= MAX_RESTARTS:
            # A crash loop: exit non-zero and let systemd's restart policy and the log speak.
            log.error("the live pipeline failed %d times in %.0f s; giving up", len(recent) + 1, RESTART_WINDOW_SECONDS)
            self.raise_end(pipeline, during_start=False)
        if isinstance(error, UserError):
            log.error("the live pipeline stopped: %s; restarting it", error)
        else:
            log.error("the live pipeline failed; restarting it", exc_info=error)
        self._restarts.append(now)
        self._set_phase("restarting after an error", f"restarting after an error: {type(error).__name__}: {error}")
        await self.stop()
        # After a failure nothing of the old pipeline is trusted: its engines load afresh.
        await self._factory.close()
        return await self.start(config, stop_requested)

    async def stop(self) -> None:
        pipeline, self.task = self.task, None
        controller, self.controller = self.controller, None
        self.ready = False
        self.changed.set()
        if pipeline is None or pipeline.done():
            return
        # A clean stop first (it cuts the reply and closes the streams), then
        # cancellation if that does not end it in time.
        if controller is not None:
            controller.stop()
            await asyncio.wait({pipeline}, timeout=STOP_GRACE_SECONDS / 2)
        if not pipeline.done():
            pipeline.cancel()
            await asyncio.wait({pipeline}, timeout=STOP_GRACE_SECONDS / 2)
        if not pipeline.done():
            log.warning("the live pipeline did not stop within %.1f s; going on without it", STOP_GRACE_SECONDS)
        elif not pipeline.cancelled() and pipeline.exception() is not None:
            log.debug("the live pipeline ended with %r while stopping", pipeline.exception())

    def engine_loads(self) -> dict[str, int]:
        return self._factory.engine_loads()

    async def close(self) -> None:
        """Stop the pipeline and release the engines it shared with earlier ones."""
        await self.stop()
        await self._factory.close()

    @staticmethod
    def raise_end(task: asyncio.Task[None], *, during_start: bool) -> None:
        """Say, as a UserError, how a pipeline that should be running ended."""
        when = "while starting" if during_start else "unexpectedly"
        if task.cancelled():
            raise UserError(f"The live pipeline was cancelled {when}; see the log above.")
        exc = task.exception()
        if exc is None:
            raise UserError(f"The live pipeline ended {when}; see the log above.")
        if isinstance(exc, UserError):
            raise exc
        log.error("the live pipeline failed %s", when, exc_info=exc)
        raise UserError(f"The live pipeline failed {when} ({type(exc).__name__}: {exc}); see the log above.")



def check_models(config: Config) -> None:
    """Fail fast on a damaged model (sha256 of every file); a missing one is the pipeline's call.

    Missing models are left alone because a mode that is never used need not
    have its model installed; the pipeline names the install command if it does.
    """
    from voiceslm.models.needs import configured_models
    from voiceslm.models.store import ModelStore

    store = ModelStore(config.model_store())
    for name in configured_models(config):
        if store.status(name).state == "missing":
            log.debug("model %s is not installed", name)
            continue
        started = time.perf_counter()
        store.verify(name)
        log.debug("model %s verified in %.2f s", name, time.perf_counter() - started)


async def _wait(ready: Awaitable[None]) -> None:
    await ready
