"""The control socket, the sd_notify client and the network guard, on real sockets and processes."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from voiceslm.errors import UserError
from voiceslm.service.client import ControlClient, DaemonNotRunningError
from voiceslm.service.control import MAX_MESSAGE_BYTES, ControlError, ControlServer, Stream
from voiceslm.service.runtime_paths import client_socket_candidates, default_socket_path, runtime_dir
from voiceslm.service.sdnotify import Notifier, socket_address


class ServerThread:
    """A ControlServer on its own event loop in a thread, so blocking clients can talk to it."""

    def __init__(self, path: Path, **options: Any) -> None:
        self.path = path
        self.options = options
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.loop = asyncio.new_event_loop()
        self.server: ControlServer | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def handlers(self) -> dict[str, Any]:
        async def echo(args: dict[str, Any]) -> dict[str, Any]:
            self.calls.append(("echo", args))
            return {"echo": args}

        async def refuse(args: dict[str, Any]) -> None:
            raise ControlError("That is refused, on purpose.")

        async def crash(args: dict[str, Any]) -> None:
            raise RuntimeError("boom")

        async def count(args: dict[str, Any]) -> Stream:
            async def items() -> AsyncIterator[dict[str, Any]]:
                for number in range(int(args.get("to", 3))):
                    yield {"event": "Number", "n": number}

            return Stream({"counting": True}, items())

        async def forever(args: dict[str, Any]) -> Stream:
            async def items() -> AsyncIterator[dict[str, Any]]:
                while True:
                    await asyncio.sleep(0.05)
                    yield {"event": "Tick"}

            return Stream({"ticking": True}, items())

        return {"echo": echo, "refuse": refuse, "crash": crash, "count": count, "forever": forever}

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.server = ControlServer(self.path, self.handlers(), **self.options)
            self.loop.run_until_complete(self.server.start())
        except BaseException as exc:
            self._error = exc
            self._started.set()
            return
        self._started.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.server.close())
        leftovers = asyncio.all_tasks(self.loop)
        for task in leftovers:
            task.cancel()
        if leftovers:
            self.loop.run_until_complete(asyncio.wait(leftovers, timeout=2))
        self.loop.close()

    def start(self) -> ServerThread:
        self._thread.start()
        self._started.wait(10)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerThread]:
    running = ServerThread(tmp_path / "control.sock").start()
    yield running
    running.stop()


def raw_exchange(path: Path, payload: bytes, timeout: float = 5.0) -> list[dict[str, Any]]:
    """Send raw bytes, half-close, and read every reply line until the server closes."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return [json.loads(line) for line in data.splitlines() if line.strip()]


# The server --------------------------------------------------------------------


def test_request_and_reply_round_trip_with_ids(server: ServerThread) -> None:
    with ControlClient(server.path) as client:
        assert client.request("echo", {"text": "hola"}) == {"echo": {"text": "hola"}}
        assert client.request("echo") == {"echo": {}}
    replies = raw_exchange(server.path, b'{"id": "abc", "cmd": "echo", "args": {"x": 1}}\n{"id": 7, "cmd": "echo"}\n')
    assert replies == [
        {"id": "abc", "ok": True, "result": {"echo": {"x": 1}}},
        {"id": 7, "ok": True, "result": {"echo": {}}},
    ]


def test_socket_is_private(server: ServerThread) -> None:
    mode = stat.S_IMODE(server.path.stat().st_mode)
    assert stat.S_ISSOCK(server.path.stat().st_mode)
    assert mode == 0o600


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (b"this is not json", "not valid JSON"),
        (b"[1, 2, 3]", "must be a JSON object"),
        (b'{"cmd": 5}', '"cmd" must name a command'),
        (b'{"id": 1}', '"cmd" must name a command'),
        (b'{"id": {"a": 1}, "cmd": "echo"}', '"id" must be'),
        (b'{"cmd": "echo", "args": [1]}', '"args" must be a JSON object'),
        (b'{"cmd": "launch_missiles"}', "Unknown command 'launch_missiles'"),
        (b'{"cmd": "refuse"}', "That is refused, on purpose."),
        (b'{"cmd": "crash"}', "The crash command failed inside the daemon (RuntimeError)"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 50000, "nested too deeply"),
        (b'{"id": ' + b"7" * 5000 + b', "cmd": "echo"}', "not valid JSON"),
        (b'{"id": 1e999, "cmd": "echo"}', '"id" must be'),
        (b'{"id": NaN, "cmd": "echo"}', "NaN is not a JSON number"),
        (b'{"id": "' + b"i" * 300 + b'", "cmd": "echo"}', '"id" must be'),
        (b"   ", "Message is empty"),
    ],
)
def test_malformed_requests_get_one_sentence_and_the_connection_keeps_serving(
    server: ServerThread, line: bytes, fragment: str
) -> None:
    replies = raw_exchange(server.path, line + b'\n{"id": 2, "cmd": "echo"}\n')
    # Every reply is strict JSON (no NaN or Infinity echoed back).
    assert all(json.loads(json.dumps(reply, allow_nan=False)) == reply for reply in replies)
    assert len(replies) == 2
    assert replies[0]["ok"] is False
    assert fragment in replies[0]["error"]
    assert replies[0]["error"].endswith(".")
    assert replies[1] == {"id": 2, "ok": True, "result": {"echo": {}}}


def test_oversized_message_is_refused_and_the_server_keeps_serving(server: ServerThread) -> None:
    big = json.dumps({"cmd": "echo", "args": {"text": "x" * (MAX_MESSAGE_BYTES + 1000)}}).encode() + b"\n"
    replies = raw_exchange(server.path, big)
    assert len(replies) == 1
    assert replies[0]["ok"] is False
    assert "over 65536 bytes" in replies[0]["error"]
    # An endless line with no newline at all is cut off the same way.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(server.path))
        try:
            for _ in range(40):
                sock.sendall(b"y" * 8192)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert b"over 65536 bytes" in sock.recv(65536)
    with ControlClient(server.path) as client:
        assert client.request("echo", {"after": True}) == {"echo": {"after": True}}
    # A request at the limit still goes through.
    text = "z" * (MAX_MESSAGE_BYTES - 100)
    with ControlClient(server.path) as client:
        assert client.request("echo", {"t": text})["echo"]["t"] == text


def test_a_silent_connection_is_closed_after_the_idle_timeout(tmp_path: Path) -> None:
    running = ServerThread(tmp_path / "c.sock", idle_timeout=0.3).start()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(running.path))
            sock.sendall(b'{"cmd": "ec')  # half a request, then nothing
            assert sock.recv(100) == b""  # closed by the server
        with ControlClient(running.path) as client:
            assert client.request("echo") == {"echo": {}}
    finally:
        running.stop()


def test_peers_of_another_uid_are_refused(tmp_path: Path) -> None:
    running = ServerThread(tmp_path / "c.sock", allowed_uids={os.getuid() + 4242}).start()
    try:
        with ControlClient(running.path) as client, pytest.raises(UserError, match="Permission denied"):
            client.request("echo")
        assert running.calls == []
    finally:
        running.stop()


def test_too_many_connections_are_refused_politely(tmp_path: Path) -> None:
    running = ServerThread(tmp_path / "c.sock", max_connections=3).start()
    held = []
    try:
        for _ in range(3):
            client = ControlClient(running.path).connect()
            client.request("echo")
            held.append(client)
        with ControlClient(running.path) as extra, pytest.raises(UserError, match="Too many control connections"):
            extra.request("echo")
        held.pop().close()
        time.sleep(0.2)
        with ControlClient(running.path) as client:
            assert client.request("echo") == {"echo": {}}
    finally:
        for client in held:
            client.close()
        running.stop()


def test_streams_send_items_after_the_reply_and_end(server: ServerThread) -> None:
    with ControlClient(server.path) as client:
        assert list(client.stream("count", {"to": 4}, timeout=5)) == [{"event": "Number", "n": n} for n in range(4)]
    # A client that hangs up ends an endless stream without harming the server.
    client = ControlClient(server.path).connect()
    ticks = client.stream("forever", timeout=5)
    assert next(ticks) == {"event": "Tick"}
    client.close()
    with ControlClient(server.path) as client:
        assert client.request("echo") == {"echo": {}}


# Socket lifecycle ----------------------------------------------------------------


def test_a_stale_socket_is_removed_and_a_live_one_refuses_a_second_server(tmp_path: Path) -> None:
    path = tmp_path / "control.sock"
    # What a daemon killed with SIGKILL leaves behind: a socket file nobody listens on.
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()
    assert path.exists()
    with pytest.raises(DaemonNotRunningError, match="stale socket"):
        ControlClient(path).connect()
    running = ServerThread(path).start()
    try:
        with ControlClient(path) as client:
            assert client.request("echo") == {"echo": {}}
        with pytest.raises(UserError, match="Another voiceslm daemon answers"):
            ServerThread(path).start()
    finally:
        running.stop()
    assert not path.exists()


def test_a_path_that_is_not_a_socket_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "control.sock"
    path.write_text("precious")
    with pytest.raises(UserError, match="is not a socket"):
        ServerThread(path).start()
    assert path.read_text() == "precious"


def test_client_without_daemon_says_how_to_start_one(tmp_path: Path) -> None:
    with pytest.raises(DaemonNotRunningError) as error:
        ControlClient(tmp_path / "none.sock").connect()
    message = str(error.value)
    assert "No voiceslm daemon is running" in message
    assert "systemctl --user start voiceslm" in message


def test_ctl_follows_a_socket_given_with_set(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.sock"
    result = subprocess.run(
        [sys.executable, "-m", "voiceslm", "--set", f"daemon.socket={path}", "ctl", "ping"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert f"no socket at {path}" in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_socket_paths_follow_systemd_then_xdg() -> None:
    assert runtime_dir({"RUNTIME_DIRECTORY": "/run/voiceslm", "XDG_RUNTIME_DIR": "/run/user/7"}) == Path(
        "/run/voiceslm"
    )
    assert runtime_dir({"XDG_RUNTIME_DIR": "/run/user/7"}) == Path("/run/user/7/voiceslm")
    assert str(runtime_dir({})).endswith(f"voiceslm-{os.getuid()}")
    assert default_socket_path("", {"XDG_RUNTIME_DIR": "/run/user/7"}) == Path("/run/user/7/voiceslm/control.sock")
    assert default_socket_path("/srv/v.sock") == Path("/srv/v.sock")
    assert client_socket_candidates("", {"XDG_RUNTIME_DIR": "/run/user/7"}) == [
        Path("/run/user/7/voiceslm/control.sock"),
        Path("/run/voiceslm/control.sock"),
    ]


# sd_notify -----------------------------------------------------------------------------


def _receiver(address: str | bytes) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(5)
    return sock


@pytest.mark.parametrize("abstract", [False, True])
def test_notifier_sends_datagrams_to_path_and_abstract_sockets(tmp_path: Path, abstract: bool) -> None:
    name = f"@voiceslm-test-{os.getpid()}" if abstract else str(tmp_path / "notify.sock")
    receiver = _receiver(socket_address(name))
    notifier = Notifier(environ={"NOTIFY_SOCKET": name})
    try:
        assert notifier.enabled
        assert notifier.ready("listening")
        assert receiver.recv(4096) == b"READY=1\nSTATUS=listening"
        assert notifier.status("translating en->es:\nlistening")  # a newline must not start a new key
        assert receiver.recv(4096) == b"STATUS=translating en->es: listening"
        notifier.status("translating en->es: listening")  # unchanged: nothing sent
        notifier.watchdog()
        assert receiver.recv(4096) == b"WATCHDOG=1"
        notifier.reloading()
        message = receiver.recv(4096).decode()
        assert message.startswith("RELOADING=1\nMONOTONIC_USEC=") and message.endswith("STATUS=reloading")
        notifier.stopping()
        assert receiver.recv(4096) == b"STOPPING=1\nSTATUS=stopping"
    finally:
        notifier.close()
        receiver.close()


def test_notifier_is_a_no_op_outside_systemd_and_honours_the_watchdog_variables() -> None:
    quiet = Notifier(environ={})
    assert not quiet.enabled and not quiet.ready() and quiet.watchdog_interval is None
    assert Notifier(environ={"WATCHDOG_USEC": "30000000"}).watchdog_interval == 15.0
    mine = {"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": str(os.getpid())}
    assert Notifier(environ=mine).watchdog_interval == 2.0
    assert Notifier(environ={"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "1"}).watchdog_interval is None
    assert Notifier(environ={"WATCHDOG_USEC": "soon"}).watchdog_interval is None


# The network guard -------------------------------------------------------------------

GUARD_SCRIPT = """
import json, os, socket
from voiceslm.service import netguard
assert netguard.install() and not netguard.install()
results = {}
for name, attempt in {
    "inet": lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM),
    "inet6": lambda: socket.socket(socket.AF_INET6, socket.SOCK_DGRAM),
    "dns": lambda: socket.getaddrinfo("example.org", 443),
    "create_connection": lambda: socket.create_connection(("127.0.0.1", 9), timeout=1),
}.items():
    try:
        attempt()
        results[name] = "allowed"
    except netguard.NetworkBlockedError as exc:
        results[name] = "blocked: " + str(exc)
a, b = socket.socketpair()
a.sendall(b"local is fine")
results["unix"] = b.recv(100).decode()
results["blocked_attempts"] = netguard.blocked_attempts
results["ort"] = os.environ.get("ORT_DISABLE_TELEMETRY")
print(json.dumps(results))
"""


def test_network_guard_blocks_network_sockets_but_not_local_ones() -> None:
    result = subprocess.run(
        [sys.executable, "-c", GUARD_SCRIPT], capture_output=True, text=True, timeout=60, check=True
    )
    results = json.loads(result.stdout.strip().splitlines()[-1])
    for name in ("inet", "inet6", "dns", "create_connection"):
        assert results[name].startswith("blocked: ") and "network access is disabled" in results[name], name
    assert results["unix"] == "local is fine"
    assert results["blocked_attempts"] >= 4
    assert results["ort"] == "1"
    assert "blocked socket.__new__ (creating an AF_INET socket)" in result.stderr


def test_closing_the_server_ends_open_streams_quietly(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    running = ServerThread(tmp_path / "c.sock").start()
    client = ControlClient(running.path).connect()
    ticks = client.stream("forever", timeout=5)
    assert next(ticks) == {"event": "Tick"}
    running.stop()
    assert list(ticks)[-1:] in ([], [{"event": "Tick"}])  # the stream simply ends
    client.close()
    assert not running.path.exists()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
