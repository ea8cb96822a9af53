"""Where the daemon keeps its control socket and lock file, and keeping that place private.

The socket lives in $RUNTIME_DIRECTORY (systemd), else $XDG_RUNTIME_DIR/voiceslm,
else a per-user directory in the temp dir; a client also tries the system
daemon's socket in /run/voiceslm. A socket file left by a daemon that died is
removed before a new daemon binds; one that still answers is refused.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

from voiceslm.errors import UserError

log = logging.getLogger(__name__)

SOCKET_NAME = "control.sock"
SYSTEM_RUNTIME_DIR = Path("/run/voiceslm")

def runtime_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the daemon keeps its socket and lock file.

    $RUNTIME_DIRECTORY when systemd made one for us (RuntimeDirectory=), else
    $XDG_RUNTIME_DIR/voiceslm, else a per-user directory in the temp dir.
    """
    env = os.environ if environ is None else environ
    if value := env.get("RUNTIME_DIRECTORY"):
        # systemd joins several RuntimeDirectory= entries with colons.
        return Path(value.split(":")[0])
    if value := env.get("XDG_RUNTIME_DIR"):
        return Path(value) / "voiceslm"
    return Path(tempfile.gettempdir()) / f"voiceslm-{os.getuid()}"


def default_socket_path(configured: str = "", environ: Mapping[str, str] | None = None) -> Path:
    """The control socket: the `daemon.socket` config key if set, else in `runtime_dir()`."""
    if configured:
        return Path(configured).expanduser()
    return runtime_dir(environ) / SOCKET_NAME


def client_socket_candidates(configured: str = "", environ: Mapping[str, str] | None = None) -> list[Path]:
    """Sockets a client tries, in order: this user's daemon, then the system daemon."""
    candidates = [default_socket_path(configured, environ)]
    system = SYSTEM_RUNTIME_DIR / SOCKET_NAME
    if not configured and system not in candidates:
        candidates.append(system)
    return candidates


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (mode 0700) or check that an existing one is ours and private."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.stat()
    except OSError as exc:
        raise UserError(
            f"Cannot create the runtime directory {path} ({exc.strerror}); set XDG_RUNTIME_DIR to a writable directory."
        ) from exc
    if not stat.S_ISDIR(info.st_mode):
        raise UserError(f"Runtime path {path} is not a directory; remove it or set XDG_RUNTIME_DIR elsewhere.")
    if info.st_uid != os.getuid():
        raise UserError(
            f"Runtime directory {path} belongs to uid {info.st_uid}, not to you (uid {os.getuid()}); "
            "remove it or set XDG_RUNTIME_DIR to a directory of your own."
        )
    if info.st_mode & 0o077:
        path.chmod(0o700)
    return path


def remove_stale_socket(path: Path, probe_timeout: float = 1.0) -> None:
    """Unlink a socket left by a daemon that died; refuse if someone still answers on it."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise UserError(f"{path} exists and is not a socket; remove it or set daemon.socket to another path.")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    probe.settimeout(probe_timeout)
    try:
        probe.connect(str(path))
    except (ConnectionRefusedError, FileNotFoundError):
        log.info("removing stale control socket %s left by a daemon that is gone", path)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    except OSError as exc:
        raise UserError(f"Cannot check the control socket {path} ({exc.strerror}); remove it by hand.") from exc
    finally:
        probe.close()
    raise UserError(f"Another voiceslm daemon answers on {path}; stop it first with `voiceslm ctl stop`.")
