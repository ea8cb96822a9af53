"""The daemon's control socket: JSON lines over a private Unix socket.

One request per line, ``{"id": 1, "cmd": "mode", "args": {"mode": "translate"}}``,
answered by one line, ``{"id": 1, "ok": true, "result": {...}}`` or
``{"id": 1, "ok": false, "error": "One sentence."}``. docs/control-protocol.md
is the reference.

The server is built to be hard to break: lines are read with a bound
(`MAX_MESSAGE_BYTES`), every read and write has a timeout, the number of
connections is capped, malformed input gets an error reply rather than an
exception, and only the daemon's own user (or root) may connect, checked
with SO_PEERCRED on top of the socket's 0600 mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from voiceslm.errors import UserError
from voiceslm.service.runtime_paths import remove_stale_socket

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024
"""Longest request line accepted, newline excluded."""
MAX_REPLY_BYTES = 4 * 1024 * 1024
"""Longest reply line the client accepts."""
IDLE_TIMEOUT = 60.0
"""Seconds a connection may wait between requests (or take to send one) before it is closed."""
WRITE_TIMEOUT = 5.0
"""Seconds a reply may take to be taken up by a slow reader before the connection is closed."""
MAX_CONNECTIONS = 32
Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class ControlError(Exception):
    """A request the daemon refuses; its message (one sentence) is the reply's error."""


class Stream:
    """A handler's result that is followed by more lines: the reply, then one line per item.

    The stream ends when `items` ends, when the client closes its end or sends
    anything, or when a line cannot be delivered within the write timeout.
    """

    def __init__(self, result: Any, items: AsyncIterator[dict[str, Any]]) -> None:
        self.result = result
        self.items = items


# Server ------------------------------------------------------------------


def peer_credentials(sock: socket.socket) -> tuple[int, int, int]:
    """(pid, uid, gid) of the process at the other end of a Unix socket."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, gid = struct.unpack("3i", raw)
    return pid, uid, gid


class ControlServer:
    """Serves JSON-line requests on a Unix socket, dispatching to `handlers` by "cmd"."""

    def __init__(
        self,
        path: Path,
        handlers: Mapping[str, Handler],
        *,
        allowed_uids: Iterable[int] | None = None,
        idle_timeout: float = IDLE_TIMEOUT,
        write_timeout: float = WRITE_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.path = path
        self.handlers = dict(handlers)
        self.allowed_uids = frozenset(allowed_uids if allowed_uids is not None else {os.getuid(), 0})
        self.idle_timeout = idle_timeout
        self.write_timeout = write_timeout
        self.max_connections = max_connections
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._closing = False
        self.requests_served = 0
        self.requests_refused = 0

    async def start(self) -> None:
        remove_stale_socket(self.path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        # The umask makes the socket 0600 from its first instant (no window
        # between bind and chmod); the directory is 0700 besides.
        old_umask = os.umask(0o177)
        try:
            sock.bind(str(self.path))
        except OSError as exc:
            sock.close()
            raise UserError(
                f"Cannot create the control socket {self.path} ({exc.strerror}); check that directory."
            ) from exc
        finally:
            os.umask(old_umask)
        os.chmod(self.path, 0o600)
        sock.listen(self.max_connections)
        sock.setblocking(False)
        self._server = await asyncio.start_unix_server(self._accept, sock=sock, limit=MAX_MESSAGE_BYTES + 1)
        log.info("control socket listening on %s", self.path)

    async def close(self) -> None:
        self._closing = True
        if self._server is not None:
            self._server.close()
            self._server = None
            # Connections accepted just now have their task scheduled but not
            # yet running: let them register so they are closed too.
            await asyncio.sleep(0)
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.wait(self._connections, timeout=0.5)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve(reader, writer)
        except asyncio.CancelledError:
            # Cancelled by close() itself: end quietly, because Python 3.11's
            # stream callback logs a cancelled connection task as an error.
            if not self._closing:
                raise
        except TimeoutError:
            log.warning("dropped a control client that did not read its replies within %.0f s", self.write_timeout)
        except ConnectionError:
            pass
        except Exception:
            # One broken connection must never take the server down.
            log.exception("control connection failed")
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 0.2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        pid, uid, _gid = peer_credentials(sock)
        if uid not in self.allowed_uids:
            log.warning("refused a control connection from pid %d, uid %d: not the daemon's user or root", pid, uid)
            self.requests_refused += 1
            await self._reply(writer, _error(None, "Permission denied: only the daemon's user or root may control it."))
            return
        if len(self._connections) > self.max_connections:
            self.requests_refused += 1
            await self._reply(writer, _error(None, "Too many control connections are open; close some and retry."))
            return
        while True:
            try:
                line = await asyncio.wait_for(reader.readuntil(b"\n"), self.idle_timeout)
            except asyncio.IncompleteReadError as exc:
                # EOF: a last request without its newline is still answered.
                if exc.partial.strip():
                    await self._reply(writer, await self.handle_line(exc.partial))
                return
            except asyncio.LimitOverrunError:
                self.requests_refused += 1
                log.warning("refused a control message over %d bytes and closed its connection", MAX_MESSAGE_BYTES)
                await self._reply(
                    writer,
                    _error(
                        None,
                        f"Message is over {MAX_MESSAGE_BYTES} bytes; send one JSON object of at most 64 KiB per line.",
                    ),
                )
                return
            except TimeoutError:
                log.debug("closing a control connection idle for %.0f s", self.idle_timeout)
                return
            if not line.strip():
                self.requests_refused += 1
                await self._reply(
                    writer, _error(None, 'Message is empty; send one JSON object per line like {"cmd": "ping"}.')
                )
                continue
            reply, stream = await self._dispatch(line)
            await self._reply(writer, reply)
            if stream is not None:
                await self._stream(reader, writer, stream)
                return

    async def _reply(self, writer: asyncio.StreamWriter, reply: dict[str, Any]) -> None:
        writer.write(json.dumps(reply, ensure_ascii=False, default=str).encode() + b"\n")
        await asyncio.wait_for(writer.drain(), self.write_timeout)

    async def _stream(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, stream: Stream) -> None:
        """Send the stream's items until it ends or the client hangs up (or writes anything)."""
        items = stream.items.__aiter__()
        hang_up = asyncio.ensure_future(reader.read(1))
        try:
            while True:
                following = asyncio.ensure_future(items.__anext__())
                await asyncio.wait({following, hang_up}, return_when=asyncio.FIRST_COMPLETED)
                if not following.done():
                    following.cancel()
                    return
                try:
                    item = following.result()
                except StopAsyncIteration:
                    return
                await self._reply(writer, item)
        finally:
            hang_up.cancel()
            close = getattr(items, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()

    async def handle_line(self, line: bytes) -> dict[str, Any]:
        """The reply to one raw request line; never raises for bad input."""
        reply, stream = await self._dispatch(line)
        if stream is not None:
            close = getattr(stream.items, "aclose", None)
            if close is not None:
                await close()
        return reply

    async def _dispatch(self, line: bytes) -> tuple[dict[str, Any], Stream | None]:
        reply = await self._handle(line)
        if reply.get("ok") and isinstance(reply.get("result"), Stream):
            stream: Stream = reply["result"]
            return {**reply, "result": stream.result}, stream
        return reply, None

    async def _handle(self, line: bytes) -> dict[str, Any]:
        if len(line.rstrip(b"\r\n")) > MAX_MESSAGE_BYTES:
            self.requests_refused += 1
            return _error(None, f"Message is over {MAX_MESSAGE_BYTES} bytes; send at most 64 KiB per line.")
        try:
            request = json.loads(line.decode("utf-8"), parse_constant=_refuse_constant)
        except UnicodeDecodeError:
            self.requests_refused += 1
            return _error(None, "Message is not UTF-8 text; send one JSON object per line.")
        except RecursionError:
            self.requests_refused += 1
            return _error(None, "Message is nested too deeply; send a flat JSON object.")
        except json.JSONDecodeError as exc:
            self.requests_refused += 1
            return _error(
                None, f"Message is not valid JSON ({exc.msg} at column {exc.colno}); send one JSON object per line."
            )
        except ValueError as exc:  # NaN/Infinity, or an integer of thousands of digits
            self.requests_refused += 1
            return _error(None, f"Message is not valid JSON ({exc}); send plain numbers and strings.")
        if not isinstance(request, dict):
            self.requests_refused += 1
            return _error(None, 'Message must be a JSON object like {"id": 1, "cmd": "status"}.')
        request_id = request.get("id")
        if not _valid_id(request_id):
            self.requests_refused += 1
            return _error(
                None, '"id" must be a string of at most 200 characters, a number of at most 15 digits or null.'
            )
        cmd, args = request.get("cmd"), request.get("args", {})
        if not isinstance(cmd, str) or not cmd:
            self.requests_refused += 1
            return _error(request_id, f'"cmd" must name a command: one of {", ".join(sorted(self.handlers))}.')
        if args is None:
            args = {}
        if not isinstance(args, dict):
            self.requests_refused += 1
            return _error(request_id, '"args" must be a JSON object (or left out).')
        handler = self.handlers.get(cmd)
        if handler is None:
            self.requests_refused += 1
            return _error(
                request_id, f"Unknown command {cmd[:40]!r}; expected one of {', '.join(sorted(self.handlers))}."
            )
        try:
            result = await handler(args)
        except asyncio.CancelledError:
            raise
        except (ControlError, UserError) as exc:
            self.requests_refused += 1
            return _error(request_id, str(exc))
        except Exception as exc:
            log.exception("control command %r failed", cmd)
            return _error(
                request_id, f"The {cmd} command failed inside the daemon ({type(exc).__name__}); see its log."
            )
        self.requests_served += 1
        return {"id": request_id, "ok": True, "result": result}


MAX_ID_CHARS = 200
MAX_EXACT_ID = 10**15


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _valid_id(request_id: Any) -> bool:
    """Whether an id can be echoed back as the same valid JSON; reply lines stay short."""
    if request_id is None:
        return True
    if isinstance(request_id, bool):
        return False
    if isinstance(request_id, str):
        return len(request_id) <= MAX_ID_CHARS
    if isinstance(request_id, int):
        return abs(request_id) < MAX_EXACT_ID
    if isinstance(request_id, float):
        return math.isfinite(request_id) and abs(request_id) < MAX_EXACT_ID
    return False


def _error(request_id: Any, message: str) -> dict[str, Any]:
    return {"id": request_id, "ok": False, "error": message}
