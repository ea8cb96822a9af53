"""A live session: the stages wired together, their task group, and the controller API.

    capture --AudioBlock--> Listener (mic gate, VAD, end of turn, push-to-talk)
            --Utterance--> Transcriber (Whisper in its worker thread, speculation)
            --Request--> respond (one `Reply` at a time: LM -> sentences -> voice -> speaker)

Every stage is a task in one `asyncio.TaskGroup`, joined by bounded channels.
Controller calls (`stop_speaking`, `ptt_start`, `mute`, `stop`, a mode change)
and a barge-in become typed commands on a bounded control channel with its own
task, so they never wait behind audio or text; a `Cancel` there cuts the reply
through `Reply.cut()`, the only code that cancels one.

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
import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Coroutine
from typing import Any

from voiceslm.audio.capture import AudioInput, MicrophoneInput
from voiceslm.audio.playback import AudioOutput, OutputNotice
from voiceslm.config import Config, Mode, is_language_code
from voiceslm.engines.registry import EngineSet
from voiceslm.engines.vad import VoiceActivity
from voiceslm.engines.worker import EngineWorker
from voiceslm.errors import UserError
from voiceslm.pipeline import startup
from voiceslm.pipeline.channels import DropOldestQueue, EventBus, Ready, Subscription
from voiceslm.pipeline.events import (
    AudioBlock,
    Cancel,
    Command,
    DeviceFault,
    Event,
    ModeChanged,
    PushToTalk,
    SetMuted,
    Stop,
    Utterance,
    UtteranceStats,
)
from voiceslm.pipeline.listener import Listener
from voiceslm.pipeline.reply import Playback, Reply, ReplyContext, start_generation
from voiceslm.pipeline.requests import Request, TurnTimes
from voiceslm.pipeline.router import Route, Router, check_route
from voiceslm.pipeline.transcriber import Transcriber, TranscriptHook

log = logging.getLogger(__name__)

CONTROL_BACKLOG = 64
"""Commands waiting for the control task; it handles each in microseconds, so this is never reached."""


class _Stopped(Exception):
    """Raised inside the task group to end the pipeline cleanly."""


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
        self._bus = EventBus()
        self._ids = itertools.count(1)
        self._audio_q: DropOldestQueue[AudioBlock] = DropOldestQueue(config.live.audio_queue_blocks)
        self._utterance_q: DropOldestQueue[Utterance] = DropOldestQueue(4)
        self._request_q: DropOldestQueue[Request] = DropOldestQueue(16)
        self._control_q: DropOldestQueue[Command] = DropOldestQueue(CONTROL_BACKLOG)
        self._workers = {name: EngineWorker(name) for name in ("stt", "lm", "tts", "vad")}
        self._vad: VoiceActivity | None = None
        self._playback = Playback()
        self._history: collections.deque[tuple[str, str]] = collections.deque(maxlen=max(1, config.lm.history_turns))
        self._router = Router(config, self, self._publish)
        self._hook: TranscriptHook | None = self._router.route
        self._reply: Reply | None = None
        self._ctx: ReplyContext | None = None
        self._listener: Listener | None = None
        self._transcriber: Transcriber | None = None
        self._progress = asyncio.Event()
        self._user_quiet = asyncio.Event()
        """Set while the user is not speaking: one fact, set by the listener, waited on by replies."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._tg: asyncio.TaskGroup | None = None
        self._state = "starting"
        self._muted = False
        self.counts = collections.Counter[str]()
        self.last_stats: UtteranceStats | None = None

    # Controller API ------------------------------------------------------

    async def run(self) -> None:
        """Load models, open the devices and run until `stop()`, the end of a recording, or cancellation."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        try:
            # Devices are looked up first: a mistyped name fails in a second, not after the models load.
            if self._audio_in is None:
                self._audio_in = startup.open_microphone(self.config, fail_fast=self._fail_fast)
            if isinstance(self._audio_in, MicrophoneInput):
                await asyncio.to_thread(self._audio_in.check)
            if self._audio_out is None:
                self._audio_out = await asyncio.to_thread(startup.open_speaker, self.config, fail_fast=self._fail_fast)
            self._audio_out.buffer.notify = self._notice_threadsafe
            await self._load()
            async with asyncio.TaskGroup() as tg:
                self._tg = tg
                self._wire(self._audio_in, self._audio_out)
                assert self._listener is not None and self._transcriber is not None
                tg.create_task(self._audio_out.run(self._publish), name="output")
                tg.create_task(self._run_input(self._audio_in, self._audio_out), name="capture")
                tg.create_task(self._listener.run(), name="listen")
                tg.create_task(self._transcriber.run(), name="transcribe")
                tg.create_task(self._respond(), name="respond")
                tg.create_task(self._control(), name="control")
                tg.create_task(self._announce_ready(self._audio_in, self._audio_out), name="ready")
        except BaseExceptionGroup as group:
            if is_stopped(group):
                self.ready.resolve(RuntimeError("the live pipeline stopped before it was ready"))
                return
            error = _first_user_error(group)
            self.ready.resolve(error or RuntimeError("the live pipeline stopped"))
            if error is not None:
                raise error from None
            raise
        except BaseException as exc:
            self.ready.resolve(exc if isinstance(exc, Exception) else RuntimeError("the live pipeline was cancelled"))
            raise
        finally:
            self._state = "stopped"
            self._tg = None
            self._bus.close_all()
            await self._shutdown()

    def stop(self) -> None:
        """End `run()` cleanly: the reply in progress is cut, devices are closed."""
        self._post(Cancel("shutdown", time.monotonic()))
        self._post(Stop())

    async def set_mode(self, mode: Mode, source: str | None = None, target: str | None = None) -> None:
        """Switch to translate, assist, converse or transcribe (cutting any reply); loads what it needs first."""
        check_route(mode, source, target if target is not None else self._route.target)
        previous, self._route = self._route, self._route.changed(mode, source, target)
        try:
            self._vad = await asyncio.to_thread(startup.load_models, self._engine_set(), self._route.needs(), self._vad)
        except BaseException:
            self._route = previous
            raise
        self._post(Cancel("mode", time.monotonic()))
        self._history.clear()
        log.info("mode: %s (%s -> %s)", mode, self._route.source or "auto", self._route.target)
        self._publish(ModeChanged(mode, self._route.source, self._route.target))

    def mute(self) -> None:
        """Stop listening (the reply in progress still plays)."""
        self._post(SetMuted(True))

    def unmute(self) -> None:
        self._post(SetMuted(False))

    def ptt_start(self) -> None:
        """Push-to-talk pressed: cut any reply and capture everything from now."""
        now = time.monotonic()
        self._post(Cancel("ptt", now))
        self._post(PushToTalk(True, now))

    def ptt_stop(self) -> None:
        """Push-to-talk released: what was captured becomes one utterance."""
        self._post(PushToTalk(False, time.monotonic()))

    async def say(self, text: str, lang: str) -> int:
        """Speak `text` in language `lang` after the reply in progress; returns its id."""
        text = " ".join(text.split())
        if not text:
            raise UserError("Nothing to say: the text is empty; give some words.")
        if not is_language_code(lang):
            raise UserError(f"Language {lang!r} is not a two-letter code such as en or es; give one.")
        request = Request(next(self._ids), text, lang, "say", lang)
        # Waits for room rather than dropping: text to say was asked for explicitly.
        await self._request_q.put(request)
        return request.id

    def stop_speaking(self) -> None:
        """Cut the reply in progress and drop replies waiting to be spoken."""
        self._post(Cancel("stop", time.monotonic()))

    def status(self) -> dict[str, Any]:
        listener = self._listener
        info: dict[str, Any] = {
            "state": self._state_now(),
            "mode": self._route.mode,
            "source": self._route.source or "auto",
            "target": self._route.target,
            "push_to_talk": self._push_to_talk,
            "ptt_active": listener.ptt_active if listener is not None else False,
            "muted": self._muted,
            "speaking": self._playback.speaking,
            "echo": self.config.echo.mode,
            "ready": self.ready.is_set(),
            "utterances": listener.utterance_count if listener is not None else 0,
            "replies": self._ctx.counts["replies"] if self._ctx is not None else 0,
            "barge_ins": self._ctx.counts["barge-in"] if self._ctx is not None else 0,
            "dropped_audio_blocks": self._audio_q.dropped,
            "dropped_utterances": self._utterance_q.dropped,
            "device_faults": self.counts["faults"],
        }
        if self._audio_in is not None:
            info.update(self._audio_in.status())
        if self._audio_out is not None:
            info.update(self._audio_out.status())
        if self.last_stats is not None:
            info["last_stats"] = self.last_stats.as_dict()
        return info

    def subscribe(self, maxsize: int = 512) -> Subscription:
        """Every event from now on; close() the subscription when done."""
        return self._bus.subscribe(maxsize)

    @property
    def route(self) -> Route:
        return self._route

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
        if self._transcriber is not None:
            self._transcriber.hook = hook

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
        started = time.perf_counter()
        self._vad = await asyncio.to_thread(startup.load_models, self._engines, self._route.needs(), self._vad)
        log.info("models ready in %.1f s", time.perf_counter() - started)

    def _wire(self, audio_in: AudioInput, audio_out: AudioOutput) -> None:
        engines = self._engine_set()
        self._ctx = ReplyContext(
            engines=engines,
            lm=self._workers["lm"],
            tts=self._workers["tts"],
            output=audio_out,
            playback=self._playback,
            publish=self._publish,
            user_quiet=self._user_quiet,
            on_stats=self._finish_stats,
            history=self._history,
        )
        ctx = self._ctx
        self._transcriber = Transcriber(
            engines=engines,
            stt=self._workers["stt"],
            utterances=self._utterance_q,
            requests=self._request_q,
            route=lambda: self._route,
            generate=lambda request, cancel: start_generation(ctx, request, cancel),
            publish=self._publish,
            on_stats=self._finish_stats,
            spawn=self._spawn,
            on_progress=self._progress.set,
        )
        self._transcriber.hook = self._hook
        self._listener = Listener(
            self.config,
            audio=self._audio_q,
            utterances=self._utterance_q,
            vad=self._workers["vad"],
            output=audio_out,
            playback=self._playback,
            speculator=self._transcriber,
            publish=self._publish,
            post=self._post,
            ids=self._ids,
            push_to_talk=self._push_to_talk,
            quiet=self._user_quiet,
            on_progress=self._progress.set,
        )
        self._listener.vad = self._vad
        self._listener.muted = self._muted

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        assert self._tg is not None
        return self._tg.create_task(coro, name=name)

    async def _announce_ready(self, audio_in: AudioInput, audio_out: AudioOutput) -> None:
        await audio_out.started.wait()
        await audio_in.started.wait()
        self._state = "listening"
        self.ready.resolve()
        log.info("ready: %s mode, listening on %s", self._route.mode, audio_in.name)

    async def _run_input(self, audio_in: AudioInput, audio_out: AudioOutput) -> None:
        await audio_out.started.wait()
        await audio_in.run(self._audio_q.put_nowait, self._publish)
        # A recording has ended: finish answering what it said, then stop.
        await self._finish_input()

    async def _finish_input(self) -> None:
        """The recording ended: wait until everything it said has been answered, then stop."""
        while not self._idle():
            self._progress.clear()
            await self._progress.wait()
        raise _Stopped

    def _idle(self) -> bool:
        listener, transcriber = self._listener, self._transcriber
        return (
            self._audio_q.empty()
            and self._utterance_q.empty()
            and not (transcriber is not None and transcriber.busy)
            and self._request_q.empty()
            and self._reply is None
            and not (listener is not None and listener.user_speaking)
        )

    async def _shutdown(self) -> None:
        if self._reply is not None:
            self._reply.cut("shutdown")
        if self._audio_out is not None:
            try:
                self._audio_out.close()
            except UserError as exc:
                log.error("%s", exc)
        # Let a generation thread that is finishing its last token end before the
        # models are freed (its cancel event is set, so this is one token's time).
        await asyncio.to_thread(self._workers["lm"].shutdown, wait=True)
        for name in ("stt", "tts", "vad"):
            self._workers[name].shutdown(wait=False)
        if self._own_engines and self._engines is not None:
            await asyncio.to_thread(self._engines.close)

    # Events and commands ---------------------------------------------------------

    def _publish(self, event: Event) -> None:
        if isinstance(event, DeviceFault):
            self.counts["faults"] += 1
        self._bus.publish(event)

    def _post(self, command: Command) -> None:
        loop = self._loop
        if loop is None or threading.get_ident() == self._loop_thread:
            # Before run(), commands wait for the control task.
            self._control_q.put_nowait(command)
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._control_q.put_nowait, command)

    async def _control(self) -> None:
        while True:
            command = await self._control_q.get()
            if isinstance(command, Cancel):
                self._cut(command)
            elif isinstance(command, PushToTalk):
                assert self._listener is not None
                if command.pressed:
                    self._listener.press(command.at)
                else:
                    self._listener.release(command.at)
            elif isinstance(command, SetMuted):
                self._muted = command.muted
                if self._listener is not None:
                    self._listener.muted = command.muted
                log.info("microphone %s", "muted" if command.muted else "live")
            elif isinstance(command, Stop):
                raise _Stopped

    def _cut(self, cancel: Cancel) -> None:
        """Cut the reply in progress; a stop, a mode change or shutdown also drops what waits."""
        if cancel.reason in ("stop", "mode", "shutdown"):
            for request in self._request_q.clear():
                request.drop_generation()
            if self._transcriber is not None:
                self._transcriber.drop_speculation()
        if self._reply is not None:
            self._reply.cut(cancel.reason, cancel.speech_at)

    # Replying --------------------------------------------------------------------

    async def _respond(self) -> None:
        assert self._ctx is not None
        while True:
            request = await self._request_q.get()
            reply = Reply(request, self._ctx)
            self._reply = reply
            try:
                await reply.run()
            finally:
                self._reply = None
                self._progress.set()

    def _notice_threadsafe(self, notice: OutputNotice) -> None:
        loop = self._loop
        if loop is None:
            return
        if threading.get_ident() == self._loop_thread:
            self._on_notice(notice)
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._on_notice, notice)

    def _on_notice(self, notice: OutputNotice) -> None:
        if self._reply is not None:
            self._reply.on_notice(notice)

    def _finish_stats(self, utterance_id: int, times: TurnTimes) -> None:
        stats = times.stats(utterance_id)
        self.last_stats = stats
        log.debug("utterance %d timings: %s", utterance_id, stats.as_dict())
        self._publish(stats)

    def _state_now(self) -> str:
        if self._state in ("starting", "loading", "stopped"):
            return self._state
        if self._playback.speaking:
            return "speaking"
        if self._reply is not None or (self._transcriber is not None and self._transcriber.busy):
            return "thinking"
        listener = self._listener
        if listener is not None and (listener.ptt_active or listener.user_speaking):
            return "hearing"
        return "muted" if self._muted else "listening"


def _first_user_error(group: BaseExceptionGroup) -> UserError | None:
    for exc in group.exceptions:
        if isinstance(exc, UserError):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            found = _first_user_error(exc)
            if found is not None:
                return found
    return None


def is_stopped(group: BaseExceptionGroup) -> bool:
    return all(
        isinstance(e, _Stopped) or (isinstance(e, BaseExceptionGroup) and is_stopped(e)) for e in group.exceptions
    )
