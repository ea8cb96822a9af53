"""One thread per engine: calls run there in order, streams come back through a bounded queue.

The event loop never runs model code. A call is `await worker.call(fn, ...)`;
a streaming call (the language model's tokens) is `worker.stream(produce, cancel)`,
whose items arrive through a bounded queue: a producer that gets ahead of its
reader waits, and stops for good once `cancel` is set.

Whatever the engine raises other than a `UserError` comes back as an
`EngineError`, so the pipeline can tell "the model failed on this input" (log
it, go on with the next utterance) from a fault in its own code (fail loudly).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Generic, TypeVar

from voiceslm.errors import UserError

T = TypeVar("T")
_HAND_OFF_POLL_S = 0.1
"""How often a producer waiting for room in its queue checks whether it was cancelled."""


class EngineError(Exception):
    """An engine failed while serving a call; the original error is the cause."""


class _End:
    """Marks the end of a stream."""


_END = _End()


class EngineWorker:
    """A single worker thread for one engine (speech-to-text, language model, voice, VAD)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"voiceslm-{name}")
        self._closing = threading.Event()
        """Set at shutdown: a producer waiting for a reader that is gone gives up."""

    async def call(self, fn: Callable[..., T], *args: object) -> T:
        """Run `fn(*args)` in the worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(_guarded, fn, *args))

    def stream(self, produce: Callable[[], Iterator[T]], cancel: threading.Event, maxsize: int = 64) -> Stream[T]:
        """Start iterating `produce()` in the worker thread now; read the items with `async for`."""
        loop = asyncio.get_running_loop()
        stream: Stream[T] = Stream(maxsize, cancel, self._closing)
        stream.future = loop.run_in_executor(self._executor, stream.produce, produce, loop)
        return stream

    def shutdown(self, *, wait: bool) -> None:
        self._closing.set()
        self._executor.shutdown(wait=wait, cancel_futures=True)


class EngineWorkers:
    """The session's workers: speech-to-text, language model, voice, VAD and the turn model."""

    def __init__(self) -> None:
        self.stt = EngineWorker("stt")
        self.lm = EngineWorker("lm")
        self.tts = EngineWorker("tts")
        self.vad = EngineWorker("vad")
        self.turn = EngineWorker("turn")

    async def shutdown(self) -> None:
        # Let a generation that is finishing its last token end before the models
        # are freed (its cancel event is set, so this is one token's time).
        await asyncio.to_thread(self.lm.shutdown, wait=True)
        for worker in (self.stt, self.tts, self.vad, self.turn):
            worker.shutdown(wait=False)


def _guarded(fn: Callable[..., T], *args: object) -> T:
    try:
        return fn(*args)
    except UserError:
        raise
    except Exception as exc:
        raise EngineError(f"{type(exc).__name__}: {exc}") from exc


class Stream(Generic[T]):
    """Items produced in a worker thread, read on the event loop; ends early once `cancel` is set."""

    def __init__(self, maxsize: int, cancel: threading.Event, closing: threading.Event) -> None:
        self.cancel = cancel
        self._closing = closing
        self.future: asyncio.Future[None] | None = None
        self._queue: asyncio.Queue[T | _End | BaseException] = asyncio.Queue(maxsize)

    def produce(self, produce: Callable[[], Iterator[T]], loop: asyncio.AbstractEventLoop) -> None:
        """Worker thread: iterate the engine and hand each item to the loop, waiting for room."""
        try:
            if self.cancel.is_set():
                return
            for item in produce():
                if self.cancel.is_set() or not self._hand(loop, item):
                    return
        except UserError as exc:
            self._hand(loop, exc)
        except Exception as exc:
            error = EngineError(f"{type(exc).__name__}: {exc}")
            error.__cause__ = exc
            self._hand(loop, error)
        finally:
            self._hand(loop, _END)

    def _hand(self, loop: asyncio.AbstractEventLoop, item: T | _End | BaseException) -> bool:
        """Put `item` in the queue; False if the stream was cancelled or the loop closed meanwhile."""
        try:
            handed = asyncio.run_coroutine_threadsafe(self._queue.put(item), loop)
        except RuntimeError:  # the loop has closed: nobody is reading
            return False
        while True:
            try:
                handed.result(_HAND_OFF_POLL_S)
                return True
            except concurrent.futures.TimeoutError:
                # Cancelled: whoever read this stream has stopped reading, so even
                # the end marker may be dropped rather than wait for room forever.
                if self.cancel.is_set() or self._closing.is_set() or loop.is_closed():
                    handed.cancel()
                    return False
            except concurrent.futures.CancelledError:
                return False

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    async def _items(self) -> AsyncIterator[T]:
        while not isinstance(item := await self._queue.get(), _End):
            if isinstance(item, BaseException):
                raise item
            yield item
        if self.future is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.future
