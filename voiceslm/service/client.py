"""The client end of the control socket, for `voiceslm ctl`, `ptt --daemon` and `doctor`."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from voiceslm.errors import UserError
from voiceslm.service.control import MAX_MESSAGE_BYTES, MAX_REPLY_BYTES


class DaemonNotRunningError(UserError):
    """No daemon answers on the control socket."""


class ControlClient:
    """A blocking client for the control socket, one connection for many requests."""

    def __init__(self, path: Path, timeout: float = 10.0) -> None:
        self.path = path
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._buffer = b""
        self._next_id = 1

    def connect(self) -> ControlClient:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        sock.settimeout(self.timeout)
        try:
            sock.connect(str(self.path))
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            sock.close()
            state = "no socket" if isinstance(exc, FileNotFoundError) else "only a stale socket"
            raise DaemonNotRunningError(
                f"No voiceslm daemon is running ({state} at {self.path}); "
                "start it with `systemctl --user start voiceslm` or `voiceslm daemon`."
            ) from exc
        except PermissionError as exc:
            sock.close()
            raise UserError(f"Permission denied on {self.path}; run this as the daemon's user or as root.") from exc
        except OSError as exc:
            sock.close()
            raise UserError(f"Cannot reach the daemon at {self.path} ({exc.strerror or exc}); is it running?") from exc
        self._sock = sock
        return self

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> ControlClient:
        return self.connect() if self._sock is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, cmd: str, args: Mapping[str, Any] | None = None, *, timeout: float | None = None) -> Any:
        """Send one command and return its result; UserError with the daemon's sentence if refused."""
        if self._sock is None:
            self.connect()
        assert self._sock is not None
        request_id = self._next_id
        self._next_id += 1
        line = json.dumps({"id": request_id, "cmd": cmd, "args": dict(args or {})}, ensure_ascii=False).encode() + b"\n"
        if len(line) > MAX_MESSAGE_BYTES + 1:
            raise UserError(f"The {cmd} request is over 64 KiB; shorten it.")
        self._sock.settimeout(timeout if timeout is not None else self.timeout)
        try:
            # The daemon may have refused the connection (permission, too many
            # clients) and closed it: its reason is still there to be read.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._sock.sendall(line)
            reply = self._read_reply()
        except TimeoutError as exc:
            self.close()
            raise UserError(
                f"The daemon did not answer {cmd!r} in time; check `voiceslm ctl status` or its log."
            ) from exc
        except OSError as exc:
            self.close()
            raise UserError(
                f"The connection to the daemon broke during {cmd!r} ({exc.strerror or exc}); retry."
            ) from exc
        if not reply.get("ok"):
            raise UserError(str(reply.get("error") or "The daemon refused the request without saying why."))
        return reply.get("result")

    def stream(self, cmd: str, args: Mapping[str, Any] | None = None, *, timeout: float | None = None) -> Iterator[Any]:
        """Send a streaming command (such as "events") and yield each line that follows its reply.

        `timeout` bounds the wait for each line (None: wait for ever); the
        iteration ends when the daemon closes the stream.
        """
        self.request(cmd, args)
        assert self._sock is not None
        self._sock.settimeout(timeout)
        while True:
            try:
                yield self._read_reply()
            except ConnectionResetError:
                return
            except TimeoutError:
                raise UserError(f"No event from the daemon within {timeout} s.") from None

    def _read_reply(self) -> dict[str, Any]:
        assert self._sock is not None
        while b"\n" not in self._buffer:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("the daemon closed the connection")
            self._buffer += chunk
            if len(self._buffer) > MAX_REPLY_BYTES:
                raise ConnectionResetError("reply too long")
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            reply = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UserError("The daemon sent a reply that is not JSON; check that the socket is voiceslm's.") from exc
        if not isinstance(reply, dict):
            raise UserError("The daemon sent a reply that is not a JSON object; check that the socket is voiceslm's.")
        return reply


def find_socket(candidates: Iterable[Path]) -> Path:
    """The first candidate socket that exists, else the first one (for the error message)."""
    paths = list(candidates)
    for path in paths:
        if path.exists():
            return path
    return paths[0]
