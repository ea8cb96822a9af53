"""A live session: the stages wired together, their task group, and the controller API.

    capture --AudioBlock--> Listener (mic gate, VAD, end of turn, push-to-talk)
            --Utterance--> Transcriber (Whisper in its worker thread, speculation)
            --Request--> respond (one `Reply` at a time: LM -> sentences -> voice -> speaker)

Every stage is a task in one `asyncio.TaskGroup`, joined by bounded channels.
Controller calls (`stop_speaking`, `ptt_start`, `mute`, `stop`, a mode change)
and a barge-in become typed commands on a bounded control channel with its own
task (`control.py`), so they never wait behind audio or text; a `Cancel` there
cuts the reply through `Reply.cut()`, the only code that cancels one.

Models load once, in a thread, before listening starts; every event is
published on an `EventBus` for the terminal, a daemon or a test to watch.

Echo: with `echo.mode: half-duplex` the microphone is ignored while the
pipeline speaks and for `echo.tail_ms` after, so it never answers itself but
cannot be interrupted by voice. With `pulse-aec` (PulseAudio's echo canceller)
or `none` (headphones) the microphone stays live and speech that lasts
`vad.min_speech_ms` during playback interrupts it (barge-in).
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from voiceslm.audio.capture import AudioInput
from voiceslm.audio.playback import AudioOutput, OutputNotice
from voiceslm.config import Config, Mode, is_language_code
from voiceslm.engines.registry import EngineSet
from voiceslm.engines.vad import VoiceActivity
from voiceslm.engines.worker import EngineWorkers
from voiceslm.errors import UserError
from voiceslm.pipeline import startup
from voiceslm.pipeline.channels import DropOldestQueue, LoopHop, Ready, Subscription
from voiceslm.pipeline.control import ControlChannel, Stopped, ending
from voiceslm.pipeline.events import Cancel, ModeChanged
from voiceslm.pipeline.publisher import Publisher
from voiceslm.pipeline.reply import Playback
from voiceslm.pipeline.requests import Request
from voiceslm.pipeline.router import Route, Router, check_route
from voiceslm.pipeline.stages import Channels, Stages, Wiring
from voiceslm.pipeline.transcriber import TranscriptHook

if TYPE_CHECKING:
    from voiceslm.assistant.turns import Assistant

log = logging.getLogger(__name__)


class LiveSession:
    """Listens, understands, replies and speaks until stopped.

    Construct it, then `await session.run()` (or run it as a task and drive it
    with the controller methods). Controller methods may be called from the
    event loop's thread or, for the non-async ones, from any thread.
    """

    def __init__(
        self,
        config: Config,
        *,
        engines: EngineSet | None = None,
        audio_in: AudioInput | None = None,
        audio_out: AudioOutput | None = None,
        mode: Mode | None = None,
        source: str | None = None,
        target: str | None = None,
        push_to_talk: bool = False,
        fail_fast: bool = True,
    ) -> None:
        self.config = config
        self._engines = engines
        self._own_engines = engines is None
        self._audio_in = audio_in
        self._audio_out = audio_out
        self._fail_fast = fail_fast
        configured_source = config.translate.source
        source = source or (None if configured_source == "auto" else configured_source)
        self._route = Route(config, mode or config.live.mode, source, target or config.translate.target)
        check_route(self._route.mode, self._route.source, self._route.target)
        self._push_to_talk = push_to_talk
        self.ready = Ready()
        """Awaitable: models loaded and both devices delivering (or the error that stopped startup)."""
        self._events = Publisher()
        self._ids = itertools.count(1)
        self._channels = Channels(
            audio=DropOldestQueue(config.live.audio_queue_blocks),
            utterances=DropOldestQueue(4),
            requests=DropOldestQueue(16),
        )
        self._workers = EngineWorkers()
        self._vad: VoiceActivity | None = None
        # Engines shared over pipelines (the daemon's, kept over a reload) carry what was warmed on them.
        shared_warm = getattr(engines, "warmed", None)
        self._warmed: set[str] = shared_warm if isinstance(shared_warm, set) else set()
        """What load_models warmed already: a mode switch, or a reload on kept engines, warms only what is new."""
        self._playback = Playback()
        self._history: collections.deque[tuple[str, str]] = collections.deque(maxlen=max(1, config.lm.history_turns))
        self._router = Router(config, self, self._events.publish)
        from voiceslm.assistant.turns import Assistant

        self._assistant = Assistant(config)
        """Tools, the safety policy and the answer cap in front of the assist model; speaks reminders."""
        self._hook: TranscriptHook | None = self._router.route
        self._stages: Stages | None = None
        self._user_quiet = asyncio.Event()
        """Set while the user is not speaking: one fact, set by the listener, waited on by replies."""
        self._hop = LoopHop()
        self._controls = ControlChannel(self._hop)
        self._tg: asyncio.TaskGroup | None = None
        self._state = "starting"

    # Controller API ------------------------------------------------------

    async def run(self) -> None:
        """Load models, open the devices and run until `stop()`, the end of a recording, or cancellation."""
        self._hop.bind()
        try:
            with ending(self.ready):
                self._audio_in, self._audio_out = await startup.open_devices(
                    self.config, self._audio_in, self._audio_out, fail_fast=self._fail_fast
                )
                self._audio_out.buffer.notify = lambda notice: self._hop.call(self._on_notice, notice)
                await self._load()
                async with asyncio.TaskGroup() as tg:
                    self._tg = tg
                    stages = self._wire(self._audio_out)
                    tg.create_task(self._audio_out.run(self._events.publish), name="output")
                    tg.create_task(self._run_input(self._audio_in, self._audio_out, stages), name="capture")
                    tg.create_task(stages.listener.run(), name="listen")
                    tg.create_task(stages.transcriber.run(), name="transcribe")
                    tg.create_task(stages.respond(), name="respond")
                    tg.create_task(self._controls.run(stages), name="control")
                    tg.create_task(self._reminders_when_ready(), name="reminders")
                    tg.create_task(self._announce_ready(self._audio_in, self._audio_out), name="ready")
        finally:
            self._state = "stopped"
            self._tg = None
            self._events.close_all()
            await self._shutdown()

    def stop(self) -> None:
        """End `run()` cleanly: the reply in progress is cut, devices are closed."""
        self._controls.stop()

    async def set_mode(self, mode: Mode, source: str | None = None, target: str | None = None) -> None:
        """Switch to translate, assist, converse or transcribe (cutting any reply); loads what it needs first."""
        check_route(mode, source, target if target is not None else self._route.target)
        previous, self._route = self._route, self._route.changed(mode, source, target)
        try:
            self._vad = await asyncio.to_thread(
                startup.load_models, self._engine_set(), self._route.needs(), self._vad, self._warmed
            )
        except BaseException:
            self._route = previous
            raise
        self._controls.cancel("mode")
        self._history.clear()
        log.info("mode: %s (%s -> %s)", mode, self._route.source or "auto", self._route.target)
        self._events.publish(ModeChanged(mode, self._route.source, self._route.target))

    def mute(self) -> None:
        """Stop listening (the reply in progress still plays)."""
        self._controls.set_muted(True)

    def unmute(self) -> None:
        self._controls.set_muted(False)

    def ptt_start(self) -> None:
        """Push-to-talk pressed: cut any reply and capture everything from now."""
        self._controls.ptt_start()

    def ptt_stop(self) -> None:
        """Push-to-talk released: what was captured becomes one utterance."""
        self._controls.ptt_stop()

    async def say(self, text: str, lang: str) -> int:
        """Speak `text` in language `lang` after the reply in progress; returns its id."""
        text = " ".join(text.split())
        if not text:
            raise UserError("Nothing to say: the text is empty; give some words.")
        if not is_language_code(lang):
            raise UserError(f"Language {lang!r} is not a two-letter code such as en or es; give one.")
        request = Request(next(self._ids), text, lang, "say", lang)
        # Waits for room rather than dropping: text to say was asked for explicitly.
        await self._channels.requests.put(request)
        return request.id

    def stop_speaking(self) -> None:
        """Cut the reply in progress and drop replies waiting to be spoken."""
        self._controls.cancel("stop")

    def status(self) -> dict[str, Any]:
        stages = self._stages
        info: dict[str, Any] = {
            "state": self._state_now(),
            "mode": self._route.mode,
            "source": self._route.source or "auto",
            "target": self._route.target,
            "push_to_talk": self._push_to_talk,
            "ptt_active": stages is not None and stages.listener.ptt_active,
            "muted": self._controls.muted,
            "speaking": self._playback.speaking,
            "echo": self.config.echo.mode,
            "ready": self.ready.is_set(),
            **(stages.counts() if stages is not None else {"utterances": 0, "replies": 0, "barge_ins": 0}),
            **self._channels.status(),
            "device_faults": self._events.device_faults,
        }
        if self._audio_in is not None:
            info.update(self._audio_in.status())
        if self._audio_out is not None:
            info.update(self._audio_out.status())
        if self._events.last_stats is not None:
            info["last_stats"] = self._events.last_stats.as_dict()
        return info

    def subscribe(self, maxsize: int = 512) -> Subscription:
        """Every event from now on; close() the subscription when done."""
        return self._events.subscribe(maxsize)

    @property
    def route(self) -> Route:
        return self._route

    @property
    def assistant(self) -> Assistant:
        return self._assistant

    @property
    def mode(self) -> Mode:
        return self._route.mode

    @property
    def push_to_talk(self) -> bool:
        return self._push_to_talk

    @property
    def transcript_hook(self) -> TranscriptHook | None:
        """Sees each transcript first and returns the text to act on, or None to drop it. The
        default acts on voice commands and the wake word; set None to pass everything through."""
        return self._hook

    @transcript_hook.setter
    def transcript_hook(self, hook: TranscriptHook | None) -> None:
        self._hook = hook
        if self._stages is not None:
            self._stages.transcriber.hook = hook

    @property
    def output(self) -> AudioOutput | None:
        return self._audio_out

    @property
    def input(self) -> AudioInput | None:
        return self._audio_in

    # Start-up and shut-down ---------------------------------------------

    def _engine_set(self) -> EngineSet:
        assert self._engines is not None, "engines are created in _load()"
        return self._engines

    async def _load(self) -> None:
        """Models load once, in a thread, before the first block is listened to."""
        self._state = "loading"
        if self._engines is None:
            from voiceslm.engines.registry import Engines

            self._engines = await asyncio.to_thread(Engines, self.config)
        started, before = time.perf_counter(), set(self._warmed)
        self._vad = await asyncio.to_thread(
            startup.load_models, self._engines, self._route.needs(), self._vad, self._warmed
        )
        warmed = ", ".join(sorted(self._warmed - before)) or "none, all warm from before"
        log.info("models ready in %.1f s (warmed up: %s)", time.perf_counter() - started, warmed)

    def _wire(self, audio_out: AudioOutput) -> Stages:
        assert self._vad is not None, "the VAD is loaded in _load()"
        wiring = Wiring(
            config=self.config,
            engines=self._engine_set(),
            workers=self._workers,
            output=audio_out,
            vad=self._vad,
            route=lambda: self._route,
            publish=self._events.publish,
            post=self._controls.post,
            spawn=self._spawn,
            on_stats=self._events.finish_turn,
            ids=self._ids,
            history=self._history,
            playback=self._playback,
            user_quiet=self._user_quiet,
            push_to_talk=self._push_to_talk,
            say=self.say,
            assistant=self._assistant,
        )
        self._stages = Stages(wiring, self._channels, self._hook)
        self._stages.listener.muted = self._controls.muted
        return self._stages

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        assert self._tg is not None
        return self._tg.create_task(coro, name=name)

    async def _reminders_when_ready(self) -> None:
        # A reminder that came due while nothing was running is said at start: not before
        # the speaker plays, or most of it is lost while the device opens.
        assert self._audio_out is not None and self._audio_in is not None
        await self._audio_out.started.wait()
        await self._audio_in.started.wait()
        await self._assistant.run_reminders(self.say)

    async def _announce_ready(self, audio_in: AudioInput, audio_out: AudioOutput) -> None:
        await audio_out.started.wait()
        await audio_in.started.wait()
        self._state = "listening"
        self.ready.resolve()
        log.info("ready: %s mode, listening on %s", self._route.mode, audio_in.name)

    async def _run_input(self, audio_in: AudioInput, audio_out: AudioOutput, stages: Stages) -> None:
        await audio_out.started.wait()
        await audio_in.run(self._channels.audio.put_nowait, self._events.publish)
        # A recording has ended: finish answering what it said, then stop.
        await stages.until_idle()
        raise Stopped

    async def _shutdown(self) -> None:
        if self._stages is not None:
            # Also what waits and what was started at a pause: cancelled from outside,
            # the session got no Cancel of its own.
            self._stages.cut(Cancel("shutdown", time.monotonic()))
        if self._audio_out is not None:
            try:
                self._audio_out.close()
            except UserError as exc:
                log.error("%s", exc)
        await self._workers.shutdown()
        if self._own_engines and self._engines is not None:
            await asyncio.to_thread(self._engines.close)

    # Events and commands ---------------------------------------------------------

    def _on_notice(self, notice: OutputNotice) -> None:
        if self._stages is not None:
            self._stages.on_notice(notice)

    def _state_now(self) -> str:
        if self._state in ("starting", "loading", "stopped"):
            return self._state
        if self._playback.speaking:
            return "speaking"
        activity = self._stages.activity() if self._stages is not None else None
        return activity or ("muted" if self._controls.muted else "listening")
