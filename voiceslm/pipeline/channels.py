"""The bounded channels between stages, the event bus subscribers read, and `ready`.

Every queue in the pipeline is bounded. Audio and event queues drop their
oldest item when full and count the drops: a stalled reader must not make the
pipeline fall further and further behind the room, nor grow without limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable, Generator
from typing import Any, TypeVar

from voiceslm.pipeline.events import Event

log = logging.getLogger(__name__)

_T = TypeVar("_T")


class DropOldestQueue(asyncio.Queue[_T]):
    """A bounded queue that makes room by dropping its oldest item, and counts the drops."""

    def __init__(self, maxsize: int) -> None:
        if maxsize <= 0:
            raise ValueError("a DropOldestQueue needs a bound")
        super().__init__(maxsize)
        self.dropped = 0

    def put_nowait(self, item: _T) -> None:
        if self.full():
            self.get_nowait()
            self.dropped += 1
        super().put_nowait(item)

    def clear(self) -> list[_T]:
        """Empty the queue; returns what it held."""
        items = []
        while not self.empty():
            items.append(self.get_nowait())
        return items


class Subscription:
    """An async iterator over the pipeline's events; the oldest are dropped if it lags."""

    def __init__(self, bus: EventBus, maxsize: int) -> None:
        self._bus = bus
        self.queue: DropOldestQueue[Event | None] = DropOldestQueue(maxsize)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while (event := await self.queue.get()) is not None:
            yield event

    async def next(self, timeout: float | None = None) -> Event | None:  # noqa: ASYNC109 - a wait for one event
        """The next event, or None at the end of the stream or after `timeout` seconds."""
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None

    def close(self) -> None:
        self._bus.unsubscribe(self)
        self.queue.put_nowait(None)


class EventBus:
    """Hands every published event to every subscription, never waiting for one."""

    def __init__(self) -> None:
        self._subscribers: set[Subscription] = set()

    def subscribe(self, maxsize: int = 512) -> Subscription:
        subscription = Subscription(self, maxsize)
        self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    def publish(self, event: Event) -> None:
        for subscription in list(self._subscribers):
            subscription.queue.put_nowait(event)

    def close_all(self) -> None:
        for subscription in list(self._subscribers):
            subscription.close()


class LoopHop:
    """Runs a callback on the session's event loop, from its own thread or any other."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None

    def bind(self) -> None:
        """Called on the loop the session runs on."""
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()

    @property
    def bound(self) -> bool:
        return self._loop is not None

    def call(self, callback: Callable[[_T], None], argument: _T) -> None:
        loop = self._loop
        if loop is None or threading.get_ident() == self._thread:
            callback(argument)
        else:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening
                loop.call_soon_threadsafe(callback, argument)


class Ready:
    """`await pipeline.ready`: models loaded and devices delivering, or the startup error.

    Awaitable from any event loop, and resolved from the pipeline's.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._error: BaseException | None = None
        self._lock = threading.Lock()

    def __await__(self) -> Generator[Any, None, None]:
        return self._wait().__await__()

    async def _wait(self) -> None:
        future: asyncio.Future[None] | None = None
        with self._lock:
            if not self._event.is_set():
                loop = asyncio.get_running_loop()
                future = loop.create_future()
                self._waiters.append((loop, future))
        if future is not None:
            await future
        if self._error is not None:
            raise self._error

    def is_set(self) -> bool:
        return self._event.is_set() and self._error is None

    def resolve(self, error: BaseException | None = None) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self._error = error
            self._event.set()
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_set_if_pending, future)


def _set_if_pending(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
