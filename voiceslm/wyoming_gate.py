"""A bounded queue in front of each shared engine: served in turn, or told at once that the server is busy.

On a 2-core board two decodes at once only slow each other down, so each
engine runs one request at a time, in a worker thread, off the event loop.
Up to `depth` more wait their turn; one more is refused with `BusyError`
(sent to the client as an `error` event) rather than left waiting behind
everyone else while its user hears nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from voiceslm.errors import UserError

log = logging.getLogger(__name__)

T = TypeVar("T")


class BusyError(UserError):
    """Every place in an engine's queue is taken."""

    code = "busy"


class EngineGate:
    def __init__(self, name: str, depth: int) -> None:
        self.name = name
        self.depth = depth
        self._turn = asyncio.Lock()
        self._waiting = 0

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in a worker thread once this engine is free; BusyError when the queue is full."""
        if self._turn.locked() and self._waiting >= self.depth:
            log.info("%s queue full (%d waiting): request refused", self.name, self._waiting)
            raise BusyError(
                f"The server is busy: {self._waiting} requests already wait for its {self.name} engine; "
                "try again in a moment."
            )
        self._waiting += 1
        try:
            await self._turn.acquire()
        finally:
            self._waiting -= 1
        work = asyncio.ensure_future(asyncio.to_thread(fn, *args))
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            # The thread cannot be stopped; the engine stays taken until it ends.
            work.add_done_callback(lambda _: self._turn.release())
            raise
        finally:
            if not work.cancelled() and work.done():
                self._turn.release()


@dataclass(frozen=True)
class Gates:
    stt: EngineGate
    tts: EngineGate
    lm: EngineGate

    @classmethod
    def create(cls, depth: int) -> Gates:
        return cls(
            EngineGate("speech-to-text", depth),
            EngineGate("text-to-speech", depth),
            EngineGate("language model", depth),
        )
