"""The control socket's commands, each checked and mapped onto the daemon or its pipeline.

docs/control-protocol.md lists them. Arguments are checked here, before the
pipeline sees them, so a bad request gets one sentence and changes nothing.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from voiceslm import __version__
from voiceslm.config import MODES, Config, is_language_code
from voiceslm.pipeline.events import EVENT_NAMES, to_dict
from voiceslm.service.control import ControlError, Stream
from voiceslm.service.controller import Controller
from voiceslm.text import strip_control

if TYPE_CHECKING:
    from voiceslm.service.daemon import Daemon

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class ControlHandlers:
    """One coroutine per command; `table()` is what the control server dispatches on."""

    def __init__(self, daemon: Daemon) -> None:
        self._daemon = daemon

    def table(self) -> dict[str, Handler]:
        return {
            "ping": self.ping,
            "status": self.status,
            "mode": self.mode,
            "mute": self._simple("mute", lambda c: c.mute()),
            "unmute": self._simple("unmute", lambda c: c.unmute()),
            "ptt_start": self._simple("ptt_start", lambda c: c.ptt_start()),
            "ptt_stop": self._simple("ptt_stop", lambda c: c.ptt_stop()),
            "stop_speaking": self._simple("stop_speaking", lambda c: c.stop_speaking()),
            "say": self.say,
            "reload": self.reload,
            "stop": self.stop,
            "events": self.events,
        }

    async def ping(self, args: dict[str, Any]) -> dict[str, Any]:
        _no_args("ping", args)
        return {"pong": True, "pid": os.getpid(), "version": __version__}

    async def status(self, args: dict[str, Any]) -> dict[str, Any]:
        _no_args("status", args)
        daemon = self._daemon
        result: dict[str, Any] = {}
        if daemon.controller is not None and daemon.ready:
            result.update(daemon.controller.status())
        result["daemon"] = daemon.report()
        return result

    async def mode(self, args: dict[str, Any]) -> dict[str, Any]:
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
        await controller.set_mode(mode, source, target)
        return self._brief_status(controller)

    async def say(self, args: dict[str, Any]) -> dict[str, Any]:
        _only_args("say", args, {"text", "lang"})
        text, lang = args.get("text"), args.get("lang", "en")
        if not isinstance(text, str) or not strip_control(text).strip():
            raise ControlError("say needs some text in args.text.")
        text = " ".join(strip_control(text).split())
        limit = self._daemon.loaded.config.limits.max_text_chars
        if len(text) > limit:
            raise ControlError(f"The text is {len(text)} characters, over the {limit} limit (limits.max_text_chars).")
        if not isinstance(lang, str) or not is_language_code(lang):
            raise ControlError(f"lang must be a two-letter language code such as en, not {lang!r}.")
        controller = self._controller()
        # Checked here because a language nobody speaks would otherwise fail
        # inside the pipeline, after the request was accepted.
        if not await asyncio.to_thread(speakable, self._daemon.loaded.config, lang):
            raise ControlError(f"No voice speaks language {lang!r}; add one to tts.voices or choose another language.")
        said = await controller.say(text, lang)
        result = self._brief_status(controller)
        result["said"] = said
        return result

    async def events(self, args: dict[str, Any]) -> Stream:
        _only_args("events", args, {"types"})
        types = args.get("types")
        if types is not None and (not isinstance(types, list) or not all(isinstance(t, str) for t in types)):
            raise ControlError('types must be a list of event names, such as ["TranscriptReady", "ReplyText"].')
        wanted = set(types or ())
        unknown = wanted - EVENT_NAMES
        if unknown:
            raise ControlError(f"Unknown event type {sorted(unknown)[0]!r}; known: {', '.join(sorted(EVENT_NAMES))}.")
        subscription = self._controller().subscribe()

        async def items() -> AsyncIterator[dict[str, Any]]:
            try:
                async for event in subscription:
                    if not wanted or type(event).__name__ in wanted:
                        yield to_dict(event)
            finally:
                subscription.close()

        return Stream({"events": sorted(wanted) or "all"}, items())

    async def reload(self, args: dict[str, Any]) -> dict[str, Any]:
        _no_args("reload", args)
        return await self._daemon.reload()

    async def stop(self, args: dict[str, Any]) -> dict[str, Any]:
        _no_args("stop", args)
        # Reply first; the stop starts once this handler has returned.
        asyncio.get_running_loop().call_soon(self._daemon.request_stop, "stop requested over the control socket")
        return {"stopping": True}

    def _simple(self, name: str, act: Callable[[Controller], None]) -> Handler:
        async def handler(args: dict[str, Any]) -> dict[str, Any]:
            _no_args(name, args)
            controller = self._controller()
            act(controller)
            return self._brief_status(controller)

        return handler

    def _controller(self) -> Controller:
        daemon = self._daemon
        if daemon.controller is None or not daemon.ready:
            raise ControlError(f"The daemon is {daemon.phase}, not ready yet; retry in a few seconds.")
        return daemon.controller

    def _brief_status(self, controller: Controller) -> dict[str, Any]:
        status = dict(controller.status())
        status["status_line"] = self._daemon.status_text()
        return status


def speakable(config: Config, language: str) -> bool:
    """Whether a Piper voice is configured for `language` or espeak-ng speaks it."""
    if config.tts.voices.get(language, "").startswith("piper:"):
        return True
    from voiceslm.engines import espeak

    return bool(espeak.engine().supports(language))


def _no_args(cmd: str, args: Mapping[str, Any]) -> None:
    if args:
        raise ControlError(f"{cmd} takes no arguments, got {', '.join(sorted(args))}.")


def _only_args(cmd: str, args: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = set(args) - allowed
    if unknown:
        raise ControlError(f"{cmd} does not take {', '.join(sorted(unknown))}; it takes {', '.join(sorted(allowed))}.")
