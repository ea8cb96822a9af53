"""Where a transcript goes: a voice command, the wake word, or a translate or assist request.

`Route` is the pipeline's current mode and languages (replaced whole on a mode
change); `Router` turns each transcript into an action or a `Request`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from voiceslm.config import MODES, Config, Mode, is_language_code
from voiceslm.errors import UserError
from voiceslm.models import needs
from voiceslm.pipeline.events import Event, TranscriptReady, VoiceCommandHeard
from voiceslm.pipeline.requests import Request, TurnTimes

log = logging.getLogger(__name__)


def check_route(mode: str, source: str | None, target: str | None) -> None:
    """Refuse an impossible mode or language pair in one sentence."""
    if mode not in MODES:
        raise UserError(f"Mode {mode!r} is not one of {', '.join(MODES)}; choose one of those.")
    for name, code in (("source", source), ("target", target)):
        if code is not None and code != "auto" and not is_language_code(code):
            raise UserError(f"The {name} language {code!r} is not a two-letter code such as en or es; give one.")
    if mode in ("translate", "converse") and source is not None and source == target:
        raise UserError(f"Source and target are both {source!r}; choose two different languages to translate.")
    if mode == "converse" and (source in (None, "auto") or target is None):
        raise UserError("Conversation mode needs its two languages; give them as --langs en,es.")


@dataclass(frozen=True)
class Route:
    """The mode and languages the pipeline works in now."""

    config: Config
    mode: Mode
    source: str | None
    """None: detected per utterance."""
    target: str

    @property
    def two_way(self) -> bool:
        return needs.two_way(self.config, self.mode, self.source)

    @property
    def stt_language(self) -> str | None:
        return needs.stt_language(self.config, self.mode, self.source)

    @property
    def stt_candidates(self) -> tuple[str, str] | None:
        """A conversation's language is identified within its pair only, not among all 99."""
        if self.stt_language is None and self.two_way and self.source:
            return (self.source, self.target)
        return None

    @property
    def languages(self) -> list[str]:
        """The languages people speak to the pipeline in (for voice commands)."""
        if self.source:
            return [self.source, self.target]
        return list(self.config.stt.languages)

    def needs(self) -> needs.Needs:
        return needs.needs_for(self.config, self.mode, self.source, self.target)

    def changed(self, mode: Mode, source: str | None, target: str | None) -> Route:
        """This route with `mode`, and `source` ("auto": detect) and `target` where given."""
        new_source = self.source if source is None else (None if source == "auto" else source)
        return Route(self.config, mode, new_source, self.target if target is None else target)

    def request_for(
        self, utterance_id: int, text: str, language: str, times: TurnTimes | None, *, quiet: bool = False
    ) -> Request | None:
        """What to do with `text` heard in `language`; None when there is nothing to translate."""
        if self.mode == "assist":
            return Request(utterance_id, text, language, "assist", language, times)
        target = self.target
        if self.two_way and language == self.target:
            target = self.source or target
        if language == target:
            if not quiet:
                log.info("utterance %d is already in %s; nothing to translate", utterance_id, target)
            return None
        return Request(utterance_id, text, language, "translate", target, times)


class Actions(Protocol):
    """What a voice command can make the pipeline do."""

    @property
    def route(self) -> Route: ...
    @property
    def push_to_talk(self) -> bool: ...
    def stop_speaking(self) -> None: ...
    async def say(self, text: str, lang: str) -> int: ...
    async def set_mode(self, mode: Mode, source: str | None = None, target: str | None = None) -> None: ...


class Router:
    """Acts on voice commands and the wake word before any language model sees the text."""

    def __init__(self, config: Config, actions: Actions, publish: Callable[[Event], None]) -> None:
        self.config = config
        self._actions = actions
        self._publish = publish
        self.last_reply: tuple[str, str] | None = None
        """(text, language) of the last reply, for "repeat"."""

    async def route(self, event: TranscriptReady) -> str | None:
        """The text to act on, or None when the transcript was a command or lacked the wake word."""
        from voiceslm.intents import parse_command, strip_wake_word

        route = self._actions.route
        if self.config.live.voice_commands:
            command = parse_command(event.text, route.languages)
            if command is not None:
                log.info("utterance %d: voice command %s", event.utterance_id, command)
                self._publish(VoiceCommandHeard(event.utterance_id, command.kind, command.mode, command.language))
                if command.kind == "stop":
                    self._actions.stop_speaking()
                elif command.kind == "repeat" and self.last_reply is not None:
                    await self._actions.say(*self.last_reply)
                elif command.kind == "mode" and command.mode is not None:
                    await self._switch_mode(command.mode)
                elif command.kind == "language" and command.language is not None:
                    await self._switch_language(command.language)
                return None
        wake_word = self.config.live.wake_word
        if wake_word and route.mode == "assist" and not self._actions.push_to_talk:
            request = strip_wake_word(event.text, wake_word)
            if not request:
                log.info("utterance %d: no wake word, ignored", event.utterance_id)
                return None
            return request
        return event.text

    async def _switch_mode(self, mode: Mode) -> None:
        route = self._actions.route
        if mode == "converse" and not route.source:
            log.warning("conversation mode needs two languages (--langs en,es); staying in %s mode", route.mode)
            return
        try:
            await self._actions.set_mode(mode)
        except UserError as exc:
            log.warning("%s", exc)

    async def _switch_language(self, language: str) -> None:
        """\"Switch to German\": translate into it (into the pair's other language in a conversation)."""
        route = self._actions.route
        mode: Mode = route.mode if route.mode in ("translate", "converse") else "translate"
        source = route.source
        if language == source:
            source = route.target if mode == "converse" else None
        try:
            await self._actions.set_mode(mode, source or "auto", language)
        except UserError as exc:
            log.warning("%s", exc)
