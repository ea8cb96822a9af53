"""A Wyoming server reached as a client: one connection per request, every event read strictly.

`voiceslm satellite` sends each utterance to a speech-to-text server and each
sentence to a text-to-speech server. A request opens its own connection, as
Home Assistant does, so a server that restarts costs one utterance, not the
satellite. Calls block (they run in an engine's worker thread, each in a
short event loop of its own); whatever goes wrong is a `RemoteError` with
one sentence naming the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from voiceslm.errors import UserError
from voiceslm.wyoming.server import ListenAddress, parse_uri
from voiceslm.wyoming.wire import ProtocolError, WireLimits, read_event

if TYPE_CHECKING:
    from wyoming.event import Event
    from wyoming.info import Info


class RemoteError(Exception):
    """The server could not be reached, failed on the request, or broke the protocol."""


class WyomingClient:
    def __init__(self, uri: str, key: str, timeout_s: float, limits: WireLimits | None = None) -> None:
        self.uri = uri
        self.key = key
        """The config key the address came from, named in errors."""
        self.address: ListenAddress = parse_uri(uri, key)
        self.timeout_s = timeout_s
        self._limits = limits or WireLimits()

    def __str__(self) -> str:
        return str(self.address)

    def exchange(
        self,
        events: Sequence[Event],
        on_event: Callable[[Event], bool],
        cancel: threading.Event | None = None,
    ) -> None:
        """Send `events` on a new connection, then hand each event read to `on_event` until it returns True.

        Blocks: call it from a worker thread. Returns early, with the connection
        closed, once `cancel` is set.
        """
        asyncio.run(self._exchange(events, on_event, cancel))

    def describe(self) -> Info:
        """The server's `info`; UserError naming the fix when it cannot be reached."""
        from wyoming.info import Describe, Info

        answers: list[Event] = []

        def take(event: Event) -> bool:
            if Info.is_type(event.type):
                answers.append(event)
            return bool(answers)

        try:
            self.exchange([Describe().event()], take)
        except RemoteError as exc:
            raise UserError(f"{exc} Start it, or set {self.key} to where it listens.") from exc
        return Info.from_event(answers[0])

    async def _exchange(
        self, events: Sequence[Event], on_event: Callable[[Event], bool], cancel: threading.Event | None
    ) -> None:
        from wyoming.event import async_write_event

        reader, writer = await self._open()
        try:
            for event in events:
                await async_write_event(event, writer)
            while cancel is None or not cancel.is_set():
                received = await asyncio.wait_for(read_event(reader, self._limits), self.timeout_s)
                if received is None:
                    raise RemoteError(f"The Wyoming server at {self} closed the connection before answering.")
                if received.type == "error":
                    text = received.data.get("text") or received.data.get("code") or "no reason given"
                    raise RemoteError(f"The Wyoming server at {self} refused the request: {text}")
                if on_event(received):
                    return
        except TimeoutError as exc:
            raise RemoteError(f"The Wyoming server at {self} sent nothing for {self.timeout_s:g} s.") from exc
        except ProtocolError as exc:
            raise RemoteError(f"The Wyoming server at {self} broke the protocol: {exc}") from exc
        except (ConnectionError, OSError) as exc:
            raise RemoteError(f"The connection to the Wyoming server at {self} failed ({exc}).") from exc
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        limit = self._limits.max_line_bytes
        address = self.address
        try:
            if address.path:
                opening = asyncio.open_unix_connection(address.path, limit=limit)
            else:
                opening = asyncio.open_connection(address.host, address.port, limit=limit)
            return await asyncio.wait_for(opening, self.timeout_s)
        except TimeoutError as exc:
            raise RemoteError(
                f"The Wyoming server at {self} did not accept a connection in {self.timeout_s:g} s."
            ) from exc
        except OSError as exc:
            raise RemoteError(f"Cannot reach the Wyoming server at {self} ({exc.strerror or exc}).") from exc
