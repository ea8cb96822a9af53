"""The stages of one running session, wired to each other: listener -> transcriber -> replies.

`LiveSession` builds a `Stages` once its devices are open and its models
loaded, runs each stage as a task of its task group, and sends it what the
control channel carries. The respond loop runs one `Reply` at a time.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from voiceslm.audio.playback import AudioOutput, OutputNotice
from voiceslm.config import Config
from voiceslm.engines.memory import trim_soon
from voiceslm.engines.registry import EngineSet
from voiceslm.engines.vad import VoiceActivity
from voiceslm.engines.worker import EngineWorkers
from voiceslm.pipeline.channels import DropOldestQueue
from voiceslm.pipeline.echo_guard import EchoGuard
from voiceslm.pipeline.events import AudioBlock, Cancel, Command, Event, PushToTalk, SetMuted, Utterance
from voiceslm.pipeline.listener import Listener
from voiceslm.pipeline.reply import Playback, Reply, ReplyContext, start_generation
from voiceslm.pipeline.requests import Request, TurnTimes
from voiceslm.pipeline.router import Route
from voiceslm.pipeline.transcriber import Transcriber, TranscriptHook

if TYPE_CHECKING:
    from voiceslm.assistant.turns import Assistant

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Channels:
    """The bounded queues between the stages (they exist before the stages do: `say` may come first)."""

    audio: DropOldestQueue[AudioBlock]
    utterances: DropOldestQueue[Utterance]
    requests: DropOldestQueue[Request]

    def status(self) -> dict[str, Any]:
        """What was dropped and what waits now, for the session's status."""
        return {
            "dropped_audio_blocks": self.audio.dropped,
            "dropped_utterances": self.utterances.dropped,
            "queued": {
                "audio_blocks": self.audio.qsize(),
                "utterances": self.utterances.qsize(),
                "requests": self.requests.qsize(),
            },
        }


@dataclass(frozen=True)
class Wiring:
    """What the session lends its stages."""

    config: Config
    engines: EngineSet
    workers: EngineWorkers
    output: AudioOutput
    vad: VoiceActivity
    route: Callable[[], Route]
    publish: Callable[[Event], None]
    post: Callable[[Command], None]
    spawn: Callable[[Coroutine[Any, Any, None], str], asyncio.Task[None]]
    on_stats: Callable[[int, TurnTimes], None]
    ids: itertools.count[int]
    history: collections.deque[tuple[str, str]]
    playback: Playback
    user_quiet: asyncio.Event
    push_to_talk: bool
    say: Callable[[str, str], Awaitable[int]]
    assistant: Assistant


class Stages:
    def __init__(self, wiring: Wiring, channels: Channels, hook: TranscriptHook | None) -> None:
        self.channels = channels
        self.progress = asyncio.Event()
        """Set whenever a stage finished a piece of work (the end of a recording waits on it)."""
        self.reply: Reply | None = None
        self.ctx = ReplyContext(
            engines=wiring.engines,
            lm=wiring.workers.lm,
            tts=wiring.workers.tts,
            output=wiring.output,
            playback=wiring.playback,
            publish=wiring.publish,
            user_quiet=wiring.user_quiet,
            on_stats=wiring.on_stats,
            history=wiring.history,
            assistant=wiring.assistant,
            config=wiring.config,
        )
        ctx = self.ctx
        guard = EchoGuard(wiring.config, wiring.output, wiring.playback)
        self.transcriber = Transcriber(
            engines=wiring.engines,
            stt=wiring.workers.stt,
            utterances=channels.utterances,
            requests=channels.requests,
            route=wiring.route,
            generate=lambda request, cancel: start_generation(ctx, request, cancel),
            publish=wiring.publish,
            on_stats=wiring.on_stats,
            spawn=wiring.spawn,
            on_progress=self.progress.set,
            say=wiring.say,
            recancel=guard.recancel,
            # A tool request has effects (a timer, a note): never guessed at a pause.
            may_speculate=lambda request: not (
                request.kind == "assist" and wiring.assistant.is_tool(request.text, request.language)
            ),
        )
        self.transcriber.hook = hook
        self.listener = Listener(
            wiring.config,
            audio=channels.audio,
            utterances=channels.utterances,
            vad=wiring.workers.vad,
            turn=wiring.workers.turn,
            engines=wiring.engines,
            playback=wiring.playback,
            guard=guard,
            speculator=self.transcriber,
            publish=wiring.publish,
            post=wiring.post,
            ids=wiring.ids,
            push_to_talk=wiring.push_to_talk,
            quiet=wiring.user_quiet,
            on_progress=self.progress.set,
        )
        self.listener.vad = wiring.vad

    async def respond(self) -> None:
        """One reply at a time, in the order asked."""
        while True:
            request = await self.channels.requests.get()
            reply = Reply(request, self.ctx)
            self.reply = reply
            try:
                await reply.run()
            finally:
                self.reply = None
                self.progress.set()
                trim_soon()  # what the turn freed goes back to the system (in a daemon)

    def cut(self, cancel: Cancel) -> None:
        """Cut the reply in progress; a stop, a mode change or shutdown also drops what waits."""
        if cancel.reason in ("stop", "mode", "shutdown"):
            for request in self.channels.requests.clear():
                request.drop_generation()
            self.transcriber.drop_speculation()
        if self.reply is not None:
            self.reply.cut(cancel.reason, cancel.speech_at)

    def apply(self, command: Cancel | PushToTalk | SetMuted) -> None:
        """A command from the control channel."""
        if isinstance(command, Cancel):
            self.cut(command)
        elif isinstance(command, PushToTalk):
            if command.pressed:
                self.listener.press(command.at)
            else:
                self.listener.release(command.at)
        else:
            self.listener.muted = command.muted
            log.info("microphone %s", "muted" if command.muted else "live")

    def counts(self) -> dict[str, int]:
        return {
            "utterances": self.listener.utterance_count,
            "replies": self.ctx.counts["replies"],
            "barge_ins": self.ctx.counts["barge-in"],
        }

    def on_notice(self, notice: OutputNotice) -> None:
        if self.reply is not None:
            self.reply.on_notice(notice)

    def idle(self) -> bool:
        """Nothing heard is still waiting for an answer."""
        channels = self.channels
        return (
            channels.audio.empty()
            and channels.utterances.empty()
            and not self.transcriber.busy
            and channels.requests.empty()
            and self.reply is None
            and not self.listener.user_speaking
        )

    async def until_idle(self) -> None:
        while not self.idle():
            self.progress.clear()
            await self.progress.wait()

    def activity(self) -> str | None:
        """thinking, hearing, or None (listening)."""
        if self.reply is not None or self.transcriber.busy:
            return "thinking"
        if self.listener.ptt_active or self.listener.user_speaking:
            return "hearing"
        return None
