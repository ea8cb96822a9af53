"""A small sd_notify(3) client: tell systemd we are ready, what we do, that we live.

The protocol is one datagram of newline-separated ``KEY=VALUE`` lines sent to
the AF_UNIX socket named by $NOTIFY_SOCKET; a leading ``@`` names a socket in
the abstract namespace (the path then starts with a NUL byte). Written out
here rather than pulled in as a dependency: it is twenty lines, and the
daemon must not fail to start over a missing extra package.

Outside systemd (no $NOTIFY_SOCKET) every call is a silent no-op, so the
daemon runs unchanged from a terminal.
"""

from __future__ import annotations

import logging
import os
import socket
import time

log = logging.getLogger(__name__)

# systemd reads at most this much of a notification; STATUS texts are cut to fit.
MAX_STATUS_CHARS = 400


def socket_address(value: str) -> str | bytes:
    """The address to send to for a $NOTIFY_SOCKET value ("@name" is abstract)."""
    if value.startswith("@"):
        return b"\0" + value[1:].encode()
    return value


def _status_text(text: str) -> str:
    # One line only: a newline would start a new KEY=VALUE assignment.
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_STATUS_CHARS else flat[: MAX_STATUS_CHARS - 1] + "…"


class Notifier:
    """Sends notifications to systemd's service manager, if there is one."""

    def __init__(self, notify_socket: str | None = None, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        value = notify_socket if notify_socket is not None else env.get("NOTIFY_SOCKET", "")
        self._address: str | bytes | None = None
        self._sock: socket.socket | None = None
        if value and (value.startswith("/") or value.startswith("@")):
            self._address = socket_address(value)
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        elif value:
            log.warning("NOTIFY_SOCKET=%r is neither a path nor an @abstract name; not notifying systemd", value)
        self._watchdog_usec = _watchdog_usec(env)
        self.last_status = ""

    @property
    def enabled(self) -> bool:
        return self._sock is not None

    @property
    def watchdog_interval(self) -> float | None:
        """Seconds between WATCHDOG=1 pings (half of WatchdogSec), or None when off."""
        if not self._watchdog_usec:
            return None
        return self._watchdog_usec / 2_000_000

    def send(self, **fields: str | int) -> bool:
        """Send one notification: ``send(READY=1, STATUS="listening")``.

        Returns whether it was delivered. A failure is logged, never raised:
        losing a status line must not take the daemon down.
        """
        if self._sock is None or self._address is None:
            return False
        message = "\n".join(f"{key}={value}" for key, value in fields.items()).encode()
        try:
            self._sock.sendto(message, self._address)
        except OSError as exc:
            log.warning("could not notify systemd at %r: %s", self._address, exc)
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        fields: dict[str, str | int] = {"READY": 1}
        if status is not None:
            fields["STATUS"] = self._remember(status)
        return self.send(**fields)

    def status(self, text: str) -> bool:
        """Send STATUS= only when it changed, so a polling caller stays quiet."""
        text = _status_text(text)
        if text == self.last_status:
            return True
        return self.send(STATUS=self._remember(text))

    def reloading(self, status: str = "reloading") -> bool:
        # MONOTONIC_USEC lets systemd >= 253 tie this reload to its clock.
        return self.send(
            RELOADING=1,
            MONOTONIC_USEC=time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000,
            STATUS=self._remember(status),
        )

    def stopping(self, status: str = "stopping") -> bool:
        return self.send(STOPPING=1, STATUS=self._remember(status))

    def watchdog(self) -> bool:
        return self.send(WATCHDOG=1)

    def extend_watchdog(self, seconds: float) -> bool:
        """Lengthen the watchdog timeout for a while (never shorten it); `restore_watchdog` ends it."""
        if not self._watchdog_usec or seconds * 1_000_000 <= self._watchdog_usec:
            return False
        return self.send(WATCHDOG_USEC=int(seconds * 1_000_000), WATCHDOG=1)

    def restore_watchdog(self) -> bool:
        if not self._watchdog_usec:
            return False
        return self.send(WATCHDOG_USEC=self._watchdog_usec, WATCHDOG=1)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _remember(self, text: str) -> str:
        self.last_status = _status_text(text)
        return self.last_status


def _watchdog_usec(env: os._Environ[str] | dict[str, str]) -> int | None:
    """$WATCHDOG_USEC when it is meant for this process (sd_watchdog_enabled(3))."""
    raw = env.get("WATCHDOG_USEC", "")
    if not raw:
        return None
    try:
        usec = int(raw)
    except ValueError:
        log.warning("ignoring WATCHDOG_USEC=%r: not a whole number of microseconds", raw)
        return None
    pid = env.get("WATCHDOG_PID", "")
    if pid and pid != str(os.getpid()):
        return None
    return usec if usec > 0 else None
