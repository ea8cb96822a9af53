"""The stock Wyoming servers a Home Assistant user runs, started on voiceslm's own model files.

`wyoming-faster-whisper` and `wyoming-piper` (the `peers` extra) run as
subprocesses on free ports of 127.0.0.1, offline: the whisper model is the
store's CTranslate2 directory, and the Piper voice is linked into a
temporary data directory under a name outside wyoming-piper's catalog, so it
is taken as a custom voice and never downloaded or checked against the hub.
Each is warmed with one request, as a server in use would be.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from voiceslm.errors import UserError

log = logging.getLogger(__name__)

START_TIMEOUT_S = 120.0
PEER_VOICE = "voiceslm-peer-voice"
"""The Piper voice's name in the temporary data directory (not a catalog name: never downloaded)."""


@dataclass(frozen=True)
class PeerSettings:
    whisper_dir: Path
    language: str | None
    beam_size: int
    compute_type: str
    cpu_threads: int
    piper_dir: Path
    """A store directory with model.onnx and model.onnx.json."""


class PeerServers:
    """Both servers: `start()` (blocking: from a worker thread in async code) and `stop()`."""

    def __init__(self, settings: PeerSettings) -> None:
        self.settings = settings
        self.asr_port = 0
        self.tts_port = 0
        self.versions: dict[str, str] = {}
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._processes: list[tuple[str, subprocess.Popen[bytes], Path]] = []

    def start(self) -> PeerServers:
        try:
            self.versions = {name: metadata.version(name) for name in ("wyoming-faster-whisper", "wyoming-piper")}
        except metadata.PackageNotFoundError as exc:
            raise UserError(
                f"{exc.name} is not installed; install the peers with `pip install 'voiceslm[peers]'`."
            ) from exc
        self._dir = tempfile.TemporaryDirectory(prefix="voiceslm-peers-")
        root = Path(self._dir.name)
        voices = root / "piper"
        voices.mkdir()
        (voices / f"{PEER_VOICE}.onnx").symlink_to(self.settings.piper_dir / "model.onnx")
        (voices / f"{PEER_VOICE}.onnx.json").symlink_to(self.settings.piper_dir / "model.onnx.json")
        s = self.settings
        self.asr_port, self.tts_port = _free_port(), _free_port()
        asr = ["-m", "wyoming_faster_whisper", "--uri", f"tcp://127.0.0.1:{self.asr_port}",
               "--model", str(s.whisper_dir), "--data-dir", str(root), "--local-files-only",
               "--stt-library", "faster-whisper", "--language", s.language or "auto",
               "--beam-size", str(s.beam_size), "--compute-type", s.compute_type,
               "--cpu-threads", str(s.cpu_threads)]  # fmt: skip
        tts = ["-m", "wyoming_piper", "--uri", f"tcp://127.0.0.1:{self.tts_port}", "--voice", PEER_VOICE,
               "--data-dir", str(voices), "--download-dir", str(voices)]  # fmt: skip
        try:
            for name, args in (("wyoming-faster-whisper", asr), ("wyoming-piper", tts)):
                self._start(name, args, root)
            for name, port in (("wyoming-faster-whisper", self.asr_port), ("wyoming-piper", self.tts_port)):
                self._wait(name, port)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, name: str, args: list[str], root: Path) -> None:
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
        log_path = root / f"{name}.log"
        with log_path.open("wb") as out:
            process = subprocess.Popen([sys.executable, *args], stdout=out, stderr=out, env=env)
        self._processes.append((name, process, log_path))

    def _wait(self, name: str, port: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        process, log_path = next((p, path) for n, p, path in self._processes if n == name)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = log_path.read_text(errors="replace")[-600:]
                raise UserError(f"{name} stopped at start ({process.returncode}); its log ends: {tail.strip()}")
            if asyncio.run(_describes(port)):
                return
            time.sleep(0.3)
        raise UserError(f"{name} did not answer within {START_TIMEOUT_S:.0f} s; is the machine overloaded?")

    def stop(self) -> None:
        for _, process, _ in self._processes:
            process.terminate()
        for _, process, _ in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes.clear()
        if self._dir is not None:
            shutil.rmtree(self._dir.name, ignore_errors=True)
            self._dir = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _describes(port: int) -> bool:
    from wyoming.client import AsyncTcpClient
    from wyoming.info import Describe

    try:
        async with AsyncTcpClient("127.0.0.1", port, connect_timeout=2, read_timeout=10) as client:
            await client.write_event(Describe().event())
            event: Any = await client.read_event()
    except (OSError, asyncio.TimeoutError):
        return False
    return event is not None and event.type == "info"
