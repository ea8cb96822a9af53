"""`voiceslm wyoming`: speech-to-text, text-to-speech and translation for Home Assistant and satellites.

One server on `tcp://HOST:PORT` or `unix://PATH`, speaking the Wyoming
protocol. Models load once, in a worker thread, before the server listens;
every connection shares them through one bounded queue per engine. The
network guard stays on: the process may listen on its own address (and on
loopback) and answer the connections it accepted, and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from voiceslm.config import Config
from voiceslm.errors import UserError
from voiceslm.wyoming.wire import WireLimits

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 64
"""Connections served at once; one more is told the server is busy and closed."""


@dataclass(frozen=True)
class ListenAddress:
    host: str = ""
    port: int = 0
    path: str = ""
    """Unix socket path (then host and port are unused)."""

    def __str__(self) -> str:
        return f"unix://{self.path}" if self.path else f"tcp://{self.host}:{self.port}"


def parse_uri(uri: str, key: str = "--uri") -> ListenAddress:
    """tcp://HOST:PORT or unix://PATH; UserError naming the right form (and `key`, where it was given) otherwise."""
    parsed = urlparse(uri)
    if parsed.scheme == "unix" and (parsed.path or parsed.netloc):
        return ListenAddress(path=(parsed.netloc + parsed.path) if parsed.netloc else parsed.path)
    if parsed.scheme == "tcp":
        try:
            port = parsed.port
        except ValueError:
            port = None
        if parsed.hostname and port is not None and 0 < port < 65536:
            return ListenAddress(host=parsed.hostname, port=port)
    raise UserError(f"{key} {uri!r} is not tcp://HOST:PORT or unix://PATH; write e.g. tcp://0.0.0.0:10300.")


async def serve(
    config: Config, address: ListenAddress, *, engines: object = None, limits: WireLimits | None = None
) -> None:
    """Load the models, listen, and serve until SIGTERM or SIGINT."""
    from voiceslm.engines.registry import Engines
    from voiceslm.wyoming.gate import Gates
    from voiceslm.wyoming.info import VoiceChooser, build_info, voice_offers
    from voiceslm.wyoming.session import Service

    mode = config.wyoming.handle
    own = engines is None
    shared = Engines(config) if engines is None else engines
    assert isinstance(shared, Engines)
    try:
        await asyncio.to_thread(_preload, shared, mode)
        offers = await asyncio.to_thread(voice_offers, shared)
        voices = VoiceChooser(shared, offers)
        service = Service(
            engines=shared,
            gates=Gates.create(config.wyoming.queue),
            voices=voices,
            info=build_info(shared, offers, mode).event(),
            handle_mode=mode,
            limits=limits or WireLimits(),
        )
        await _listen(service, address)
        voices.close()
    finally:
        if own:
            shared.close()


def _preload(engines: object, mode: str) -> None:
    from voiceslm.engines.registry import Engines

    assert isinstance(engines, Engines)
    config = engines.config
    stt_languages: list[str | None] = [None]
    if config.stt.english_model and "en" in config.stt.languages:
        stt_languages.append("en")
    engines.check_installed(stt_languages=stt_languages, lm_roles=[_role(mode)])
    engines.preload(
        stt_languages=stt_languages,
        lm_roles=[_role(mode)],
        voice_languages=[
            lang for lang in config.tts.voices if lang in config.stt.languages or lang == config.translate.target
        ],
    )


def _role(mode: str):  # noqa: ANN202 - LmRole
    return "assist" if mode == "assist" else "translate"


async def _listen(service: object, address: ListenAddress) -> None:
    from voiceslm.wyoming.session import Session

    sessions: set[asyncio.Task[None]] = set()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(sessions) >= MAX_CONNECTIONS:
            await _refuse_connection(writer)
            return
        task = asyncio.current_task()
        assert task is not None
        sessions.add(task)
        try:
            await Session(service, reader, writer).run()  # type: ignore[arg-type]
        finally:
            sessions.discard(task)

    limit = WireLimits().max_line_bytes
    if address.path:
        _clear_socket_path(address.path)
        server = await asyncio.start_unix_server(accept, path=address.path, limit=limit)
    else:
        try:
            server = await asyncio.start_server(accept, host=address.host, port=address.port, limit=limit)
        except OSError as exc:
            raise UserError(
                f"Cannot listen on {address} ({exc.strerror or exc}); choose a free port or an address of this machine."
            ) from exc
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # The one line a supervisor or a test waits for.
    print(f"voiceslm wyoming: listening on {address}", file=sys.stderr, flush=True)
    _notify_ready(address)
    try:
        async with server:
            await stop.wait()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        for task in list(sessions):
            task.cancel()
        await asyncio.gather(*sessions, return_exceptions=True)
        if address.path:
            _clear_socket_path(address.path)


def _clear_socket_path(value: str) -> None:
    """Remove a socket left by an earlier run; refuse to remove anything else."""
    path = Path(value)
    if path.exists() and not path.is_socket():
        raise UserError(f"{path} exists and is not a socket; give --uri unix:// a free path.")
    path.unlink(missing_ok=True)


async def _refuse_connection(writer: asyncio.StreamWriter) -> None:
    from wyoming.error import Error
    from wyoming.event import async_write_event

    with contextlib.suppress(ConnectionError):
        busy = f"The server is busy: {MAX_CONNECTIONS} connections are open; try again in a moment."
        await async_write_event(Error(text=busy, code="busy").event(), writer)
    writer.close()


def _notify_ready(address: ListenAddress) -> None:
    from voiceslm.service.sdnotify import Notifier

    notifier = Notifier()
    notifier.ready(f"serving Wyoming on {address}")
    notifier.close()
