"""Offline by construction: refuse every network socket inside this process.

voiceslm never needs the network at run time, so the daemon and `run` call
`install()` first thing. It adds an audit hook (PEP 578) that refuses, with
a logged warning, any attempt from Python code to create a socket of a
family other than AF_UNIX, to connect, bind or send on one, or to resolve a
host name. Local AF_UNIX sockets (the control socket, systemd's notify
socket, the audio server) are untouched.

The hook sees Python code only; native libraries are kept offline by the
systemd units (PrivateNetwork=yes, RestrictAddressFamilies=AF_UNIX), and a
test runs the whole daemon under strace to check that no network socket is
created at all. An audit hook cannot be removed, so installing is for good.

One command serves on the network by choice: `voiceslm wyoming` calls
`allow_listening(host)` for the address it was told to listen on. Then IP
sockets may be created, bound to that address or to loopback only, and
answer on connections that were accepted; connecting out, sending to an
address and resolving any other name stay refused.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import sys
import threading
import traceback
from typing import Any

log = logging.getLogger(__name__)

_ALLOWED_FAMILIES = {int(socket.AF_UNIX), -1}  # -1: wrapping an existing descriptor, checked on use
_IP_FAMILIES = {int(socket.AF_INET), int(socket.AF_INET6)}
_ADDRESS_EVENTS = {"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"}
_NAME_EVENTS = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo"}

TELEMETRY_OPT_OUTS = {
    "ORT_DISABLE_TELEMETRY": "1",  # onnxruntime >= 1.29 (under Piper and Silero VAD)
    "ORT_TELEMETRY_DISABLED": "1",  # its newer spelling
    "HF_HUB_DISABLE_TELEMETRY": "1",  # huggingface_hub, imported by faster-whisper
    "DO_NOT_TRACK": "1",
}
"""Environment that turns off the libraries' own phone-home. onnxruntime
otherwise writes a device id under ~/.cache and sends usage events to
Microsoft a few seconds after import, from native code the audit hook cannot
see; it must be set before onnxruntime loads. `voiceslm.cli.main` sets it for
every command."""

OFFLINE_ENV = {**TELEMETRY_OPT_OUTS, "HF_HUB_OFFLINE": "1"}
"""What `install()` adds: no library may even try to reach a model hub."""

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
_listen_hosts: set[str] = set()
_connect_hosts: set[str] = set()
_connect_targets: set[tuple[str, int]] = set()
_installed = False
_install_lock = threading.Lock()
_inside = threading.local()
blocked_attempts = 0
"""How many network operations the guard refused in this process."""


class NetworkBlockedError(PermissionError):
    """A network operation was refused: voiceslm runs offline."""


def install() -> bool:
    """Install the guard once per process; returns False if it already was."""
    global _installed
    with _install_lock:
        if _installed:
            return False
        os.environ.update(OFFLINE_ENV)
        sys.addaudithook(_hook)
        _installed = True
    log.debug("network guard installed: only AF_UNIX sockets are allowed")
    return True


def installed() -> bool:
    return _installed


def allow_listening(host: str) -> None:
    """Let this process listen on `host` (and on loopback): bind there and answer accepted connections.

    Call it before `install()` or after; it never allows connecting out.
    """
    with _install_lock:
        _listen_hosts.update({host, *LOOPBACK_HOSTS})
    # A host name binds to the addresses it stands for (a local name: no network needed).
    try:
        resolved = {info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
    except OSError:
        resolved = set()
    with _install_lock:
        _listen_hosts.update(str(address) for address in resolved)
    log.debug("network guard: listening on %s (and loopback) is allowed", host)


def allow_connecting(host: str, port: int) -> None:
    """Let this process connect to `host`:`port` (each address the name stands for), and to nothing else.

    Call it before `install()`: the name is resolved here, once.
    """
    try:
        resolved = {str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except OSError:
        resolved = set()
    with _install_lock:
        _connect_hosts.add(host)
        _connect_targets.update((address, port) for address in {host, *resolved})
    log.debug("network guard: connecting to %s:%d is allowed", host, port)


def _bind_allowed(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) and address else None
    return isinstance(host, str) and host in _listen_hosts


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not event.startswith("socket."):
        return
    if event == "socket.__new__":
        family = args[1]
        ip_allowed = bool(_listen_hosts or _connect_targets) and int(family) in _IP_FAMILIES
        if int(family) not in _ALLOWED_FAMILIES and not ip_allowed:
            _refuse(event, f"creating an {_family_name(family)} socket")
    elif event in _ADDRESS_EVENTS:
        sock = args[0]
        family = getattr(sock, "family", socket.AF_UNIX)
        if int(family) == socket.AF_UNIX or _listener_may(event, args[1]) or _connect_may(event, args[1]):
            return
        _refuse(event, f"{_family_name(family)} address {args[1]!r}")
    elif event in _NAME_EVENTS and not (
        event == "socket.getaddrinfo" and (args[0] in _listen_hosts or args[0] in _connect_hosts)
    ):
        _refuse(event, f"a name lookup of {args[0]!r}")


def _listener_may(event: str, address: Any) -> bool:
    """Binding to the allowed address, or answering on an accepted connection (no address given)."""
    if not _listen_hosts:
        return False
    if event == "socket.bind":
        return _bind_allowed(address)
    return event == "socket.sendmsg" and address is None


def _connect_may(event: str, address: Any) -> bool:
    """Connecting to one of the allowed servers (an IPv6 address tuple has four parts; host and port lead)."""
    if event != "socket.connect" or not isinstance(address, tuple) or len(address) < 2:
        return False
    return (address[0], address[1]) in _connect_targets


def _refuse(event: str, what: str) -> None:
    global blocked_attempts
    blocked_attempts += 1
    # Logging could itself end up here; never recurse.
    if not getattr(_inside, "active", False):
        _inside.active = True
        try:
            caller = "".join(traceback.format_stack(limit=6)[:-2]).strip().splitlines()
            log.warning(
                "blocked %s (%s): voiceslm runs offline and opens no network connection; called from %s",
                event,
                what,
                caller[-2].strip() if len(caller) >= 2 else "unknown",
            )
        finally:
            _inside.active = False
    raise NetworkBlockedError(errno.EACCES, f"network access is disabled: voiceslm runs offline ({event}, {what})")


def _family_name(family: Any) -> str:
    try:
        return socket.AddressFamily(int(family)).name
    except ValueError:
        return f"family {family}"
