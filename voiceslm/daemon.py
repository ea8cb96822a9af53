"""`voiceslm daemon`: the live pipeline as a long-running, controllable service.

Lifecycle, as systemd (Type=notify) sees it:

- start: one lock per runtime directory (a second daemon refuses politely),
  the control socket (a stale one left by a killed daemon is removed), the
  damaged-model check, then the pipeline; READY=1 only once its models are
  loaded and its audio devices are open.
- run: STATUS= says what it is doing ("translating en->es: listening"),
  WATCHDOG=1 is sent from a task on the event loop, so a stuck loop stops
  the pings and systemd restarts the service.
- SIGHUP or `ctl reload`: the configuration is read again; if it is invalid
  the old one stays (the log and STATUS say why); if it is valid, what can
  change in place does, and the pipeline is rebuilt only when its own
  settings changed.
- SIGTERM, SIGINT or `ctl stop`: STOPPING=1, the pipeline is cancelled
  (closing its audio streams), the socket removed, all within two seconds.

Requests on the control socket are mapped onto the pipeline's controller
(`voiceslm.live`): set_mode, mute, unmute, ptt_start, ptt_stop, say,
stop_speaking, status. docs/control-protocol.md lists them.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import errno
import fcntl
import inspect
import logging
import os
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from voiceslm import __version__
from voiceslm.config import MODES, Config, LoadedConfig, is_language_code
from voiceslm.control import (
    ControlError,
    ControlServer,
    Stream,
    default_socket_path,
    ensure_private_dir,
    runtime_dir,
)
from voiceslm.errors import UserError
from voiceslm.sdnotify import Notifier
from voiceslm.text import strip_control

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 1.2
"""How long the pipeline gets to close its streams on stop; the whole stop stays under 2 s."""
STATUS_POLL_SECONDS = 0.5
LOCK_NAME = "daemon.lock"
MAX_RESTARTS = 3
"""Unexpected pipeline failures restarted in process within `RESTART_WINDOW_SECONDS`; one more exits."""
RESTART_WINDOW_SECONDS = 600.0
REBUILD_WATCHDOG_SECONDS = 300.0
PRUNE_INTERVAL_SECONDS = 3600.0
"""How often the transcript log and saved audio are pruned even when nothing new is kept."""
"""Watchdog timeout while a reload rebuilds the pipeline (it loads models)."""

# Sections a reload applies without touching the pipeline.
_IN_PLACE_SECTIONS = {"log", "daemon", "privacy"}
# Sections a reload applies through set_mode() when nothing else changed.
_MODE_SECTIONS = {"translate"}


class Controller(Protocol):
    """What the daemon needs from the live pipeline (voiceslm.live)."""

    ready: Awaitable[Any]

    def set_mode(self, mode: str, source: str | None = None, target: str | None = None) -> Any: ...
    def mute(self) -> Any: ...
    def unmute(self) -> Any: ...
    def ptt_start(self) -> Any: ...
    def ptt_stop(self) -> Any: ...
    def say(self, text: str, lang: str) -> Any: ...
    def stop_speaking(self) -> Any: ...
    def status(self) -> dict[str, Any]: ...
    async def run(self) -> Any: ...


ControllerFactory = Callable[[Config], Controller]


def live_controller(config: Config) -> Controller:
    """The real pipeline, imported only when a daemon starts one.

    fail_fast: a device missing at start fails the start with one sentence
    (systemd retries); once open, a device that goes away is reopened.
    """
    from voiceslm import live

    return live.LivePipeline(config, fail_fast=True)  # type: ignore[return-value]


# Single instance -----------------------------------------------------------


class InstanceLock:
    """An flock'd pid file: one daemon per runtime directory, released by the kernel on death."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise UserError(f"Cannot lock {self.path} ({exc.strerror}); check the runtime directory.") from exc
            who = f" (pid {holder})" if holder.isdigit() else ""
            raise UserError(
                f"Another voiceslm daemon{who} is already running for this user; "
                "control it with `voiceslm ctl`, or stop it with `voiceslm ctl stop` before starting a new one."
            ) from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        # The file stays: unlinking a lock others may be opening would let two
        # daemons each lock a different inode.
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None


# Status text ---------------------------------------------------------------


def describe(status: Mapping[str, Any]) -> str:
    """One short line for systemd's STATUS= from the controller's status()."""
    mode = str(status.get("mode") or "")
    source = status.get("source") or "auto"
    target = status.get("target") or ""
    if mode == "translate":
        what = f"translating {source}->{target}" if target else "translating"
    elif mode == "assist":
        what = "assisting"
    elif mode == "transcribe":
        what = "transcribing"
    else:
        what = mode or "running"
    state = status.get("state") or status.get("activity") or ""
    if status.get("muted"):
        state = "muted"
    return f"{what}: {state}" if state else what


# The daemon ------------------------------------------------------------------


class Daemon:
    def __init__(
        self,
        loaded: LoadedConfig,
        reload_config: Callable[[], LoadedConfig],
        *,
        notifier: Notifier | None = None,
        controller_factory: ControllerFactory = live_controller,
        on_config_applied: Callable[[LoadedConfig], None] | None = None,
        verify_models: bool = True,
    ) -> None:
        self.loaded = loaded
        self._reload_config = reload_config
        self.notifier = notifier or Notifier()
        self._factory = controller_factory
        self._on_config_applied = on_config_applied
        self._verify_models = verify_models
        self.controller: Controller | None = None
        self._pipeline: asyncio.Task[Any] | None = None
        self._ready = False
        self._phase = "starting"
        self._stop_requested: asyncio.Event | None = None
        self._reload_lock: asyncio.Lock | None = None
        self._reload_note = ""
        self._started = time.monotonic()
        self._reloads = 0
        self._lock: InstanceLock | None = None
        self._server: ControlServer | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._restarts: collections.deque[float] = collections.deque(maxlen=MAX_RESTARTS)
        self._recorder: asyncio.Task[Any] | None = None
        self._pipeline_changed = asyncio.Event()
        self.socket_path = default_socket_path(loaded.config.daemon.socket)

    # Entry point ---------------------------------------------------------

    async def serve(self) -> int:
        """Run until stopped; returns the exit status (0 on a requested stop)."""
        loop = asyncio.get_running_loop()
        self._stop_requested = asyncio.Event()
        self._reload_lock = asyncio.Lock()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop, signal.Signals(sig).name)
        loop.add_signal_handler(signal.SIGHUP, self._on_sighup)
        try:
            self._claim_runtime_dir()
            self._spawn(self._watchdog())
            self._server = ControlServer(
                self.socket_path, self._handlers(), idle_timeout=self.loaded.config.daemon.control_idle_timeout
            )
            await self._server.start()
            await self._start_pipeline(self.loaded.config)
            if self._stop_requested.is_set():
                return 0
            self._spawn(self._status_loop())
            log.info("ready in %.1f s: %s", time.monotonic() - self._started, self._status_text())
            self.notifier.ready(self._status_text())
            return await self._wait_for_end()
        except UserError as exc:
            # Kept as the last STATUS, so `systemctl status` shows why it stopped.
            self._phase = "stopping"
            self.notifier.stopping(f"failed: {exc}")
            raise
        finally:
            await self._shutdown()
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)

    def request_stop(self, reason: str = "stop requested") -> None:
        if self._stop_requested is None or self._stop_requested.is_set():
            return
        log.info("stopping (%s)", reason)
        self._phase = "stopping"
        self.notifier.stopping()
        self._stop_requested.set()

    # Start-up --------------------------------------------------------------

    def _claim_runtime_dir(self) -> None:
        directory = ensure_private_dir(runtime_dir())
        if self.socket_path.parent != directory:
            # A socket placed elsewhere by daemon.socket: create its folder if
            # needed but never change an existing one (it may be /tmp); the
            # socket itself is 0600 and peers are checked.
            try:
                self.socket_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                raise UserError(
                    f"Cannot create {self.socket_path.parent} for the control socket ({exc.strerror}); "
                    "fix daemon.socket."
                ) from exc
        self._lock = InstanceLock(directory / LOCK_NAME)
        self._lock.acquire()

    async def _start_pipeline(self, config: Config) -> None:
        """Build the pipeline and wait until it is ready (or stop was asked, or it failed)."""
        assert self._stop_requested is not None
        self._ready = False
        if self._stop_requested.is_set():
            return
        if self._verify_models:
            self._phase = "checking models"
            self.notifier.status(self._status_text())
            await asyncio.to_thread(check_models, config)
            if self._stop_requested.is_set():
                return
        self._phase = "loading models"
        self.notifier.status(self._status_text())
        controller = self._factory(config)
        self.controller = controller
        self._pipeline = asyncio.ensure_future(controller.run())
        self._pipeline_changed.set()
        ready = asyncio.ensure_future(_as_awaitable(controller.ready))
        stop = asyncio.ensure_future(self._stop_requested.wait())
        try:
            await asyncio.wait({ready, self._pipeline, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if not self._pipeline.done() and ready.done() and ready.exception() is not None:
            # The pipeline reported its start-up error; let it finish unwinding.
            await asyncio.wait({self._pipeline}, timeout=STOP_GRACE_SECONDS)
        if self._pipeline.done():
            ready.cancel()
            self._raise_pipeline_end(self._pipeline, during_start=True)
        if stop.done() and not ready.done():
            ready.cancel()
            return
        ready.result()
        self._ready = True
        self._phase = "running"
        self._start_recorder(controller, config)

    def _raise_pipeline_end(self, task: asyncio.Task[Any], *, during_start: bool) -> None:
        when = "while starting" if during_start else "unexpectedly"
        if task.cancelled():
            raise UserError(f"The live pipeline was cancelled {when}; see the log above.")
        exc = task.exception()
        if exc is None:
            raise UserError(f"The live pipeline ended {when}; see the log above.")
        if isinstance(exc, UserError):
            raise exc
        log.error("the live pipeline failed %s", when, exc_info=exc)
        raise UserError(f"The live pipeline failed {when} ({type(exc).__name__}: {exc}); see the log above.")

    async def _wait_for_end(self) -> int:
        assert self._stop_requested is not None
        stop = asyncio.ensure_future(self._stop_requested.wait())
        try:
            while True:
                pipeline = self._pipeline
                self._pipeline_changed.clear()
                changed = asyncio.ensure_future(self._pipeline_changed.wait())
                waits = {stop, changed} if pipeline is None else {stop, changed, pipeline}
                try:
                    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    changed.cancel()
                if stop.done():
                    return 0
                # A pipeline a reload stopped on purpose is no longer self._pipeline.
                if pipeline is not None and pipeline.done() and pipeline is self._pipeline:
                    await self._recover(pipeline)
        finally:
            stop.cancel()

    async def _recover(self, pipeline: asyncio.Task[Any]) -> None:
        """Restart a pipeline that died of an unexpected error, a few times; then give up loudly."""
        error = None if pipeline.cancelled() else pipeline.exception()
        now = time.monotonic()
        recent = [t for t in self._restarts if now - t < RESTART_WINDOW_SECONDS]
        if len(recent) >= MAX_RESTARTS:
            # A crash loop: exit non-zero and let systemd's restart policy and the log speak.
            log.error("the live pipeline failed %d times in %.0f s; giving up", len(recent) + 1, RESTART_WINDOW_SECONDS)
            self._raise_pipeline_end(pipeline, during_start=False)
        if isinstance(error, UserError):
            log.error("the live pipeline stopped: %s; restarting it", error)
        else:
            log.error("the live pipeline failed; restarting it", exc_info=error)
        self._restarts.append(now)
        self._phase = "restarting after an error"
        self.notifier.status(f"restarting after an error: {type(error).__name__}: {error}")
        await self._stop_pipeline()
        await self._start_pipeline(self.loaded.config)
        self.notifier.status(self._status_text())

    # Shutdown ---------------------------------------------------------------

    async def _shutdown(self) -> None:
        if self._phase != "stopping":
            self._phase = "stopping"
            self.notifier.stopping()
        # Background work and control connections first (a reload in flight
        # must not start a pipeline after this one is stopped), then the pipeline.
        for task in list(self._background):
            task.cancel()
        if self._server is not None:
            await self._server.close()
            self._server = None
        await self._stop_pipeline()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        log.info("stopped")

    async def _stop_pipeline(self) -> None:
        pipeline, self._pipeline = self._pipeline, None
        controller, self.controller = self.controller, None
        self._ready = False
        self._pipeline_changed.set()
        if pipeline is None or pipeline.done():
            return
        # A clean stop first (it cuts the reply and closes the streams), then
        # cancellation if that does not end it in time.
        stop = getattr(controller, "stop", None)
        if callable(stop):
            stop()
            await asyncio.wait({pipeline}, timeout=STOP_GRACE_SECONDS / 2)
        if not pipeline.done():
            pipeline.cancel()
            await asyncio.wait({pipeline}, timeout=STOP_GRACE_SECONDS / 2)
        if not pipeline.done():
            log.warning("the live pipeline did not stop within %.1f s; going on without it", STOP_GRACE_SECONDS)
        elif not pipeline.cancelled() and pipeline.exception() is not None:
            log.debug("the live pipeline ended with %r while stopping", pipeline.exception())

    # Reload -----------------------------------------------------------------

    def _on_sighup(self) -> None:
        self._spawn(self._reload_quietly())

    async def _reload_quietly(self) -> None:
        with contextlib.suppress(ControlError):
            await self.reload()

    async def reload(self) -> dict[str, Any]:
        """Read the configuration again and apply it; the old one stays if the new one is invalid."""
        assert self._reload_lock is not None
        async with self._reload_lock:
            previous_phase = self._phase
            self._phase = "reloading"
            self.notifier.reloading(self._status_text())
            try:
                new = await asyncio.to_thread(self._reload_config)
            except UserError as exc:
                self._phase = previous_phase
                self._reload_note = f"reload failed: {exc}"
                log.error("reload refused, keeping the previous configuration: %s", exc)
                self.notifier.ready(self._status_text())
                raise ControlError(f"Reload refused, the previous configuration stays: {exc}") from exc
            try:
                result = await self._apply(new)
            except UserError as exc:
                self._reload_note = f"reload failed: {exc}"
                log.error("reload failed, keeping the previous configuration: %s", exc)
                raise ControlError(f"Reload failed, the previous configuration stays: {exc}") from exc
            finally:
                if self._phase == "reloading":
                    self._phase = previous_phase if previous_phase != "reloading" else "running"
                self.notifier.ready(self._status_text())
            self._reloads += 1
            self._reload_note = ""
            log.info("configuration reloaded: %s", ", ".join(result["changed"]) or "nothing changed")
            return result

    async def _apply(self, new: LoadedConfig) -> dict[str, Any]:
        old = self.loaded.config
        changed = changed_sections(old, new.config)
        if new.config.daemon.socket != old.daemon.socket:
            log.warning("daemon.socket changed: the new path takes effect at the next start")
        pipeline_sections = changed - _IN_PLACE_SECTIONS
        rebuilt = False
        if pipeline_sections and pipeline_sections <= _MODE_SECTIONS and self.controller is not None:
            status = self.controller.status()
            translate = new.config.translate
            await _call(
                self.controller.set_mode,
                str(status.get("mode") or new.config.live.mode),
                None if translate.source == "auto" else translate.source,
                translate.target,
            )
        elif pipeline_sections:
            await self._rebuild(new.config)
            rebuilt = True
        self.loaded = new
        if self._server is not None:
            self._server.idle_timeout = new.config.daemon.control_idle_timeout
        if "privacy" in changed and not rebuilt and self.controller is not None:
            if self._recorder is not None:
                self._recorder.cancel()
                self._recorder = None
            self._start_recorder(self.controller, new.config)
        if self._on_config_applied is not None:
            self._on_config_applied(new)
        return {"changed": sorted(changed), "pipeline_restarted": rebuilt}

    async def _rebuild(self, config: Config) -> None:
        """Swap in a pipeline built from `config`; put the old config back if it cannot start."""
        muted = bool(self.controller and self.controller.status().get("muted"))
        log.info("settings of the live pipeline changed: restarting it")
        # Loading models can hold the interpreter for a while; give the
        # watchdog the start-up allowance meanwhile, then the usual one back.
        self.notifier.extend_watchdog(REBUILD_WATCHDOG_SECONDS)
        try:
            await self._stop_pipeline()
            try:
                await self._start_pipeline(config)
            except UserError:
                log.error("the new settings do not start; restarting with the previous ones")
                await self._stop_pipeline()
                await self._start_pipeline(self.loaded.config)
                raise
        finally:
            self.notifier.restore_watchdog()
        if muted and self.controller is not None:
            await _call(self.controller.mute)

    # Control commands --------------------------------------------------------

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[Any]]]:
        return {
            "ping": self._cmd_ping,
            "status": self._cmd_status,
            "mode": self._cmd_mode,
            "mute": self._simple("mute"),
            "unmute": self._simple("unmute"),
            "ptt_start": self._simple("ptt_start"),
            "ptt_stop": self._simple("ptt_stop"),
            "stop_speaking": self._simple("stop_speaking"),
            "say": self._cmd_say,
            "reload": self._cmd_reload,
            "stop": self._cmd_stop,
            "events": self._cmd_events,
        }

    async def _cmd_ping(self, args: dict[str, Any]) -> dict[str, Any]:
        _no_args("ping", args)
        return {"pong": True, "pid": os.getpid(), "version": __version__}

    async def _cmd_status(self, args: dict[str, Any]) -> dict[str, Any]:
        _no_args("status", args)
        result: dict[str, Any] = {}
        if self.controller is not None and self._ready:
            result.update(self.controller.status())
        result.update(
            {
                "daemon": {
                    "pid": os.getpid(),
                    "version": __version__,
                    "phase": self._phase,
                    "ready": self._ready,
                    "uptime_s": round(time.monotonic() - self._started, 1),
                    "reloads": self._reloads,
                    "reload_error": self._reload_note.removeprefix("reload failed: ") or None,
                    "config_layers": list(self.loaded.layers),
                    "socket": str(self.socket_path),
                    "status_line": self._status_text(),
                }
            }
        )
        return result

    async def _cmd_mode(self, args: dict[str, Any]) -> dict[str, Any]:
        _only_args("mode", args, {"mode", "source", "target"})
        mode = args.get("mode")
        if mode not in MODES:
            raise ControlError(f"mode must be one of {', '.join(MODES)}, not {mode!r}.")
        source, target = args.get("source"), args.get("target")
        if source is not None and not (source == "auto" or (isinstance(source, str) and is_language_code(source))):
            raise ControlError(f'source must be a two-letter language code or "auto", not {source!r}.')
        if target is not None and not (isinstance(target, str) and is_language_code(target)):
            raise ControlError(f"target must be a two-letter language code such as de, not {target!r}.")
        controller = self._controller()
        await _call(controller.set_mode, mode, source, target)
        return self._brief_status(controller)

    async def _cmd_say(self, args: dict[str, Any]) -> dict[str, Any]:
        _only_args("say", args, {"text", "lang"})
        text, lang = args.get("text"), args.get("lang", "en")
        if not isinstance(text, str) or not strip_control(text).strip():
            raise ControlError("say needs some text in args.text.")
        text = " ".join(strip_control(text).split())
        limit = self.loaded.config.limits.max_text_chars
        if len(text) > limit:
            raise ControlError(f"The text is {len(text)} characters, over the {limit} limit (limits.max_text_chars).")
        if not isinstance(lang, str) or not is_language_code(lang):
            raise ControlError(f"lang must be a two-letter language code such as en, not {lang!r}.")
        controller = self._controller()
        # Checked here because a language nobody speaks would otherwise fail
        # inside the pipeline, after the request was accepted.
        if not await asyncio.to_thread(speakable, self.loaded.config, lang):
            raise ControlError(f"No voice speaks language {lang!r}; add one to tts.voices or choose another language.")
        said = await _call(controller.say, text, lang)
        result = self._brief_status(controller)
        if isinstance(said, int):
            result["said"] = said
        return result

    async def _cmd_events(self, args: dict[str, Any]) -> Stream:
        _only_args("events", args, {"types"})
        types = args.get("types")
        if types is not None and (not isinstance(types, list) or not all(isinstance(t, str) for t in types)):
            raise ControlError('types must be a list of event names, such as ["TranscriptReady", "ReplyText"].')
        wanted = set(types or ())
        unknown = wanted - EVENT_NAMES
        if unknown:
            raise ControlError(f"Unknown event type {sorted(unknown)[0]!r}; known: {', '.join(sorted(EVENT_NAMES))}.")
        subscribe = getattr(self._controller(), "subscribe", None)
        if subscribe is None:
            raise ControlError("This pipeline publishes no events.")
        subscription = subscribe()

        async def items() -> AsyncIterator[dict[str, Any]]:
            try:
                async for event in subscription:
                    if not wanted or type(event).__name__ in wanted:
                        yield event_to_dict(event)
            finally:
                subscription.close()

        return Stream({"events": sorted(wanted) or "all"}, items())

    async def _cmd_reload(self, args: dict[str, Any]) -> dict[str, Any]:
        _no_args("reload", args)
        return await self.reload()

    async def _cmd_stop(self, args: dict[str, Any]) -> dict[str, Any]:
        _no_args("stop", args)
        # Reply first; the stop starts once this handler has returned.
        asyncio.get_running_loop().call_soon(self.request_stop, "stop requested over the control socket")
        return {"stopping": True}

    def _simple(self, name: str) -> Callable[[dict[str, Any]], Awaitable[Any]]:
        async def handler(args: dict[str, Any]) -> dict[str, Any]:
            _no_args(name, args)
            controller = self._controller()
            await _call(getattr(controller, name))
            return self._brief_status(controller)

        return handler

    def _controller(self) -> Controller:
        if self.controller is None or not self._ready:
            raise ControlError(f"The daemon is {self._phase}, not ready yet; retry in a few seconds.")
        return self.controller

    def _brief_status(self, controller: Controller) -> dict[str, Any]:
        status = dict(controller.status())
        status["status_line"] = self._status_text()
        return status

    # What is kept on disk (only when the user turned it on) ---------------------

    def _start_recorder(self, controller: Controller, config: Config) -> None:
        privacy = config.privacy
        subscribe = getattr(controller, "subscribe", None)
        if not (privacy.transcript_log or privacy.save_audio) or subscribe is None:
            return
        from voiceslm.privacy import AudioArchive, TranscriptLog, default_data_dir, retention_of

        retention = retention_of(privacy.retention_days, privacy.retention_mb)
        data_dir = default_data_dir()
        transcripts = None
        if privacy.transcript_log:
            path = Path(privacy.transcript_path).expanduser() if privacy.transcript_path else None
            transcripts = TranscriptLog(path or data_dir / "transcripts.jsonl", retention)
            log.info("transcript log on: %s", transcripts.path)
        archive = None
        if privacy.save_audio:
            directory = Path(privacy.audio_dir).expanduser() if privacy.audio_dir else data_dir / "audio"
            archive = AudioArchive(directory, retention)
            log.info("saving utterance audio to %s", directory)
        if self._recorder is not None:
            self._recorder.cancel()
        self._recorder = self._spawn(self._record(subscribe(), transcripts, archive))

    async def _record(self, subscription: Any, transcripts: Any, archive: Any) -> None:
        """Write transcripts and audio as the pipeline publishes them; errors are logged, not fatal."""
        from voiceslm.events import ReplyText, TranscriptReady, Utterance

        # Retention also applies while nothing is said: prune on a timer too.
        pruner = asyncio.ensure_future(self._prune_periodically([transcripts, archive]))
        try:
            async for event in subscription:
                try:
                    if transcripts is not None and isinstance(event, TranscriptReady) and event.text:
                        entry = {"utterance": event.utterance_id, "heard": event.text, "language": event.language}
                        await asyncio.to_thread(transcripts.append, entry)
                    elif transcripts is not None and isinstance(event, ReplyText) and event.final and event.text:
                        entry = {"utterance": event.utterance_id, "reply": event.text, "language": event.language}
                        await asyncio.to_thread(transcripts.append, entry)
                    elif archive is not None and isinstance(event, Utterance):
                        await asyncio.to_thread(archive.save, event.audio, event.sample_rate, event.id)
                except (OSError, UserError) as exc:
                    log.error("could not keep utterance data on disk: %s", exc)
        finally:
            pruner.cancel()
            subscription.close()

    @staticmethod
    async def _prune_periodically(stores: list[Any]) -> None:
        while True:
            await asyncio.sleep(PRUNE_INTERVAL_SECONDS)
            for store in stores:
                if store is None:
                    continue
                try:
                    await asyncio.to_thread(store.prune)
                except OSError as exc:
                    log.error("could not apply the retention limit: %s", exc)

    # Background tasks ----------------------------------------------------------

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _watchdog(self) -> None:
        """WATCHDOG=1 from the event loop itself: if the loop stalls, the pings stop."""
        interval = self.notifier.watchdog_interval
        if interval is None:
            return
        log.debug("systemd watchdog: pinging every %.1f s", interval)
        while True:
            self.notifier.watchdog()
            await asyncio.sleep(interval)

    async def _status_loop(self) -> None:
        while True:
            await asyncio.sleep(STATUS_POLL_SECONDS)
            if self._phase == "running":
                self.notifier.status(self._status_text())

    def _status_text(self) -> str:
        if self._phase == "running" and self.controller is not None and self._ready:
            try:
                text = describe(self.controller.status())
            except Exception:
                log.exception("the pipeline's status() failed")
                text = "running"
        else:
            text = self._phase
        return f"{text} ({self._reload_note})" if self._reload_note else text


# Helpers ---------------------------------------------------------------------


EVENT_NAMES = frozenset(
    {
        "SpeechStarted",
        "Utterance",
        "TranscriptReady",
        "ReplyText",
        "ReplySentence",
        "PlaybackStarted",
        "PlaybackStopped",
        "Cancel",
        "DeviceFault",
        "DeviceReady",
        "ModeChanged",
        "UtteranceStats",
    }
)


def event_to_dict(event: Any) -> dict[str, Any]:
    """A pipeline event as JSON-ready data; audio samples are never included."""
    data: dict[str, Any] = {"event": type(event).__name__}
    if dataclasses.is_dataclass(event):
        for f in dataclasses.fields(event):
            value = getattr(event, f.name)
            if hasattr(value, "__array__") or isinstance(value, bytes | bytearray):
                continue
            data[f.name] = round(value, 3) if isinstance(value, float) else value
    duration = getattr(event, "duration_s", None)
    if isinstance(duration, float):
        data["duration_s"] = round(duration, 3)
    return data


def speakable(config: Config, language: str) -> bool:
    """Whether a Piper voice is configured for `language` or espeak-ng speaks it."""
    if config.tts.voices.get(language, "").startswith("piper:"):
        return True
    from voiceslm import espeak

    return bool(espeak.engine().supports(language))


def changed_sections(old: Config, new: Config) -> set[str]:
    return {f.name for f in dataclasses.fields(Config) if getattr(old, f.name) != getattr(new, f.name)}


def needed_models(config: Config) -> list[str]:
    """Every model the configuration names (some may be needed only in some modes)."""
    names = [config.stt.model, config.stt.english_model, config.lm.translate_model, config.lm.assist_model]
    names += [voice.removeprefix("piper:") for voice in config.tts.voices.values() if voice.startswith("piper:")]
    return list(dict.fromkeys(name for name in names if name))


def check_models(config: Config) -> None:
    """Fail fast on a damaged model (sha256 of every file); a missing one is the pipeline's call.

    Missing models are left alone because a mode that is never used need not
    have its model installed; the pipeline names the install command if it does.
    """
    from voiceslm.models.store import ModelStore

    store = ModelStore(config.model_store())
    for name in needed_models(config):
        if store.status(name).state == "missing":
            log.debug("model %s is not installed", name)
            continue
        started = time.perf_counter()
        store.verify(name)
        log.debug("model %s verified in %.2f s", name, time.perf_counter() - started)


async def _call(method: Callable[..., Any], *args: Any) -> Any:
    result = method(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


async def _as_awaitable(value: Any) -> Any:
    """`ready` as a future, a coroutine function or an asyncio.Event."""
    if isinstance(value, asyncio.Event):
        return await value.wait()
    if callable(value) and not inspect.isawaitable(value):
        value = value()
    return await value


def _no_args(cmd: str, args: Mapping[str, Any]) -> None:
    if args:
        raise ControlError(f"{cmd} takes no arguments, got {', '.join(sorted(args))}.")


def _only_args(cmd: str, args: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = set(args) - allowed
    if unknown:
        raise ControlError(f"{cmd} does not take {', '.join(sorted(unknown))}; it takes {', '.join(sorted(allowed))}.")
