"""One assistant turn: tools first, then the safety policy, then the model with its output checked and capped.

`Assistant.respond` is what the `ask` command and the live pipeline's assist
mode call instead of the model's `answer`: it yields the reply to speak. A
tool request ("what time is it", "remind me in 20 minutes to ...") is answered
from the tools without the model; a request the policy declines gets its
refusal or support answer without the model; anything else streams from the
model through the output check, and only the first `assistant.max_spoken_sentences`
sentences are spoken. The rest is kept, and "tell me more" speaks the next part.
`run_reminders` speaks timers and reminders when they come due.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from voiceslm.assistant import policy, replies, tools
from voiceslm.assistant.store import AssistantStore, Reminder
from voiceslm.config import Config
from voiceslm.errors import UserError
from voiceslm.text import SentenceSplitter

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
PRUNE_SECONDS = 3600.0
LATE_SECONDS = 5.0
"""A reminder claimed this long after it was due was due while nothing was running to say it."""


class Assistant:
    """The assistant's state across turns: its store, and the part of the last answer not yet spoken."""

    def __init__(self, config: Config, *, database: Path | None = None, clock: Callable[[], float] = time.time) -> None:
        from voiceslm.assistant.db import database_path
        from voiceslm.service.privacy import default_data_dir

        self.config = config
        configure_policy(config)
        self.max_sentences = config.assistant.max_spoken_sentences
        self.database = database or database_path(config.assistant.database, default_data_dir())
        self._clock = clock
        self._store: AssistantStore | None = None
        self._lock = threading.Lock()
        self.rest: list[str] = []
        """Sentences of the last answer past the cap, for "tell me more"."""
        self._rest_language = "en"

    def store(self) -> AssistantStore:
        """The open store (opened on first use); UserError naming the fix if it cannot be."""
        with self._lock:
            if self._store is None:
                self._store = AssistantStore.open(self.database)
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    @staticmethod
    def is_tool(text: str, language: str) -> bool:
        """Whether `text` is a tool request (answered at once, with effects: never worth guessing at a pause)."""
        return tools.parse(text, language) is not None

    @staticmethod
    def needs_model(text: str, language: str) -> bool:
        """Whether answering `text` takes the language model (not a tool, not declined by the policy)."""
        return tools.parse(text, language) is None and policy.classify(text, language).action == "answer"

    def instant(self, text: str, language: str) -> tuple[str, str] | None:
        """(answer, language) for a tool request or a declined one, without any model; None otherwise."""
        request = tools.parse(text, language)
        if request is not None:
            return self._run_tool(request), request.language
        verdict = policy.classify(text, language)
        if verdict.action != "answer":
            log.info("policy: %s (%s)", verdict.action, verdict.category)
            self.rest = []
            return verdict.message, verdict.language
        return None

    def respond(
        self,
        text: str,
        language: str,
        history: Sequence[tuple[str, str]],
        model: Callable[[], Any],
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        """The reply to speak, as sentences (each followed by a space); `model()` is called only if one is needed."""
        instant = self.instant(text, language)
        if instant is not None:
            yield instant[0]
            return
        self.rest = []
        self._rest_language = language
        spoken = 0
        for sentence in policy.guard_sentences(_sentences(model().answer(text, history, cancel=cancel)), language):
            if self.max_sentences and spoken >= self.max_sentences:
                self.rest.append(sentence)
                continue
            spoken += 1
            yield sentence + " "

    def _run_tool(self, request: tools.ToolRequest) -> str:
        if request.kind == "more":
            return self._more(request.language)
        self.rest = []
        try:
            store = self.store() if request.kind in tools.STORED else None
            return tools.Tools(store, self._clock).run(request)
        except UserError as exc:
            return replies.say("no_database", request.language, reason=str(exc))

    def _more(self, language: str) -> str:
        if not self.rest:
            return replies.say("no_more", language)
        count = self.max_sentences or len(self.rest)
        part, self.rest = self.rest[:count], self.rest[count:]
        return " ".join(part)

    async def run_reminders(self, say: Callable[[str, str], Awaitable[Any]]) -> None:
        """Speak each timer and reminder as it comes due (those due while stopped, at once); runs until cancelled."""
        try:
            store = await asyncio.to_thread(self.store)
        except UserError as exc:
            log.warning("timers and reminders are off: %s", exc)
            return
        try:
            await self._speak_when_due(store, say)
        finally:
            # The pipeline is ending; a later turn would open the database again.
            self.close()

    async def _speak_when_due(self, store: AssistantStore, say: Callable[[str, str], Awaitable[Any]]) -> None:
        started = self._clock()
        last_prune = 0.0
        while True:
            now = self._clock()
            if now - last_prune >= PRUNE_SECONDS:
                privacy = self.config.privacy
                await asyncio.to_thread(
                    store.prune,
                    now=now,
                    retention_days=privacy.retention_days,
                    notes_days=self.config.assistant.notes_days,
                )
                last_prune = now
            for reminder in await asyncio.to_thread(store.claim_due, now):
                log.info("reminder %d is due", reminder.id)
                await say(due_sentence(reminder, late=reminder.due < started - LATE_SECONDS), reminder.language)
            await asyncio.sleep(POLL_SECONDS)


def due_sentence(reminder: Reminder, *, late: bool) -> str:
    """What is said when `reminder` comes due; `late` if it came due while nothing was running."""
    lang = reminder.language
    if reminder.kind == "timer":
        text = replies.say("timer_due", lang, duration=tools.say_duration(reminder.duration, lang))
    else:
        text = replies.say("reminder_due", lang, what=reminder.text)
    if late:
        text = replies.say("late", lang, time=replies.clock(datetime.fromtimestamp(reminder.due))) + text
    return text


def configure_policy(config: Config) -> None:
    """The safety policy's learned layers as `config` sets them, for this process."""
    assistant = config.assistant
    policy.configure(
        assistant.policy_classifier,
        assistant.policy_threshold,
        assistant.policy_encoder,
        assistant.policy_encoder_threshold,
        config.model_store(),
        assistant.policy_combined_threshold,
    )


def safe_answer(text: str, language: str, model: Callable[[], Any]) -> Iterator[str]:
    """The answer to `text` under the safety policy alone (no tools, no cap), as sentences.

    For callers that answer on behalf of another device (a Wyoming client): a
    timer set there could not be spoken back, but harm is declined everywhere.
    """
    verdict = policy.classify(text, language)
    if verdict.action != "answer":
        log.info("policy: %s (%s)", verdict.action, verdict.category)
        yield verdict.message
        return
    yield from policy.guard_sentences(_sentences(model().answer(text)), language)


def _sentences(pieces: Iterator[str]) -> Iterator[str]:
    """Streamed text as whole sentences; closing this closes `pieces` (which stops the model)."""
    splitter = SentenceSplitter()
    try:
        for piece in pieces:
            yield from splitter.feed(piece)
        yield from splitter.flush()
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()
