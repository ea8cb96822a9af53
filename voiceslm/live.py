"""The live pipeline: microphone to speaker in real time, and its controller API.

Stages, each a task in one `asyncio.TaskGroup`, joined by bounded queues:

    capture --AudioBlock--> listen (Silero VAD, end of turn, echo guard, push-to-talk)
            --Utterance--> transcribe (Whisper, in a worker thread)
            --transcript--> respond (one reply at a time: LM pieces -> sentences -> TTS -> output)

The audio queue drops the oldest block when full (and counts it): a stalled
stage must not make the pipeline fall further and further behind the room.
Cancels (barge-in, push-to-talk, stop) go through a separate control queue
with its own task, so they never wait behind audio or text. A reply is a task
of its own with a `threading.Event` that the language model and the voice
check between tokens and sentences: a cancel sets the event, flushes the
output buffer and cancels the reply's tasks.

Every model call runs in a worker thread; models are loaded once, in a
thread, before listening starts. Everything that happens is published as a
typed event (`voiceslm.events`) to subscribers: the terminal, a daemon, tests.

Echo: with `echo.mode: half-duplex` the microphone is ignored while the
pipeline speaks and for `echo.tail_ms` after, so it never answers itself but
cannot be interrupted by voice. With `pulse-aec` (PulseAudio's echo
canceller) or `none` (headphones) the microphone stays live and speech that
lasts `vad.min_speech_ms` during playback interrupts it (barge-in).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import itertools
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from voiceslm import foreign
from voiceslm.capture import AudioInput, MicrophoneInput, RecordingInput
from voiceslm.config import MODES, Config, is_language_code
from voiceslm.errors import UserError
from voiceslm.events import (
    AudioBlock,
    BackTranslation,
    Cancel,
    CancelReason,
    DeviceFault,
    Event,
    Mode,
    ModeChanged,
    PlaybackStarted,
    PlaybackStopped,
    ReplySentence,
    ReplyText,
    SpeechStarted,
    TranscriptReady,
    Utterance,
    UtteranceStats,
    VoiceCommandHeard,
)
from voiceslm.playback import AudioOutput, FileOutput, OutputNotice, SpeakerOutput

log = logging.getLogger(__name__)

AEC_ADAPT_S = 5.0
"""Seconds of speech played before PulseAudio's echo canceller is trusted with a live microphone."""
# A builtin from Python 3.11, which asyncio.TaskGroup needs anyway; ruff's
# target version is still 3.10.
_ExceptionGroup = BaseExceptionGroup  # noqa: F821
_T = TypeVar("_T")


class DropOldestQueue(asyncio.Queue[_T]):
    """A bounded queue that makes room by dropping its oldest item, and counts the drops."""

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize)
        self.dropped = 0

    def put_nowait(self, item: _T) -> None:
        if self.full():
            self.get_nowait()
            self.dropped += 1
        super().put_nowait(item)

    def clear(self) -> list[_T]:
        """Empty the queue; returns what it held."""
        items = []
        while not self.empty():
            items.append(self.get_nowait())
        return items


class Subscription:
    """An async iterator over the pipeline's events; the oldest are dropped if it lags."""

    def __init__(self, pipeline: LivePipeline, maxsize: int) -> None:
        self._pipeline = pipeline
        self.queue: DropOldestQueue[Event | None] = DropOldestQueue(maxsize)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while (event := await self.queue.get()) is not None:
            yield event

    async def next(self, timeout: float | None = None) -> Event | None:
        """The next event, or None at the end of the stream or after `timeout` seconds."""
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None

    def close(self) -> None:
        self._pipeline._subscribers.discard(self)
        self.queue.put_nowait(None)


@dataclass
class _TurnTimes:
    """Monotonic timestamps of one utterance's way through the pipeline."""

    speech_end: float
    detected_at: float
    audio_s: float
    transcript_at: float | None = None
    stt_seconds: float = 0.0
    first_token_at: float | None = None
    first_sentence_at: float | None = None
    first_audio_at: float | None = None
    last_audio_at: float | None = None
    synth_seconds: float = 0.0
    synth_audio_s: float = 0.0
    interrupted: bool = False

    def stats(self, utterance_id: int) -> UtteranceStats:
        def since(at: float | None) -> float | None:
            return None if at is None else at - self.speech_end

        out_s = None
        if self.first_audio_at is not None and self.last_audio_at is not None:
            out_s = self.last_audio_at - self.first_audio_at
        return UtteranceStats(
            utterance_id=utterance_id,
            audio_s=self.audio_s,
            to_transcript=since(self.transcript_at),
            to_first_token=since(self.first_token_at),
            to_first_sentence=since(self.first_sentence_at),
            to_first_audio=since(self.first_audio_at),
            audio_out_s=out_s,
            stt_rtf=self.stt_seconds / self.audio_s if self.audio_s > 0 and self.transcript_at else None,
            tts_rtf=self.synth_seconds / self.synth_audio_s if self.synth_audio_s > 0 else None,
            endpoint_s=self.detected_at - self.speech_end,
            interrupted=self.interrupted,
        )


@dataclass
class _Request:
    """Something to reply to: a transcript, or text to say as it is."""

    id: int
    text: str
    language: str
    kind: str  # "translate" | "assist" | "say"
    target: str
    times: _TurnTimes | None = None
    started: _Generation | None = None
    """Generation already under way (started speculatively before the turn ended)."""


@dataclass
class _Generation:
    """A language-model stream running in the LM worker thread."""

    pieces: asyncio.Queue[Any]
    future: asyncio.Future[None]
    cancel: threading.Event


@dataclass
class _Speculation:
    """Work started when the speaker paused, kept only if the pause becomes the end of the turn."""

    speech_start: float
    speech_end: float
    cancel: threading.Event
    transcript: asyncio.Future[tuple[Any, float]]
    task: asyncio.Task[None] | None = None
    request: _Request | None = None

    def matches(self, utterance: Utterance) -> bool:
        return (
            self.speech_start == utterance.speech_start
            and self.speech_end == utterance.speech_end
            and not self.cancel.is_set()
        )

    def drop(self) -> None:
        self.cancel.set()
        if self.task is not None and not self.task.done():
            self.task.cancel()
        if not self.transcript.done():
            self.transcript.cancel()


@dataclass
class _Turn:
    request: _Request
    cancel: threading.Event = field(default_factory=threading.Event)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    pushed_all: bool = False
    pushed_any: bool = False
    play_started_at: float = 0.0
    completed: bool = False
    playing: bool = False
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    reply_parts: list[str] = field(default_factory=list)


class _Ready:
    """`await pipeline.ready`: models loaded and devices delivering, or the startup error."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._error: BaseException | None = None
        self._lock = threading.Lock()

    def __await__(self) -> Generator[Any, None, None]:
        return self._wait().__await__()

    async def _wait(self) -> None:
        with self._lock:
            if not self._event.is_set():
                future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                self._waiters.append((asyncio.get_running_loop(), future))
            else:
                future = None  # type: ignore[assignment]
        if future is not None:
            await future
        if self._error is not None:
            raise self._error

    def is_set(self) -> bool:
        return self._event.is_set() and self._error is None

    def _resolve(self, error: BaseException | None = None) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self._error = error
            self._event.set()
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_set_if_pending, future)


def _set_if_pending(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _Stopped(Exception):
    """Raised inside the task group to end the pipeline cleanly."""


class LivePipeline:
    """Listens, understands, replies and speaks until stopped.

    Construct it, then `await pipeline.run()` (or run it as a task and drive it
    with the controller methods). Controller methods may be called from the
    event loop's thread or, for the non-async ones, from any thread.
    """

    def __init__(
        self,
        config: Config,
        *,
        engines: Any = None,
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
        self._mode: Mode = mode or config.live.mode
        configured_source = config.translate.source
        self._source = source or (None if configured_source == "auto" else configured_source)
        self._target = target or config.translate.target
        self._check_mode(self._mode, self._source, self._target)
        self.push_to_talk = push_to_talk
        self.ready = _Ready()
        """Awaitable: models loaded and both devices delivering (or the error that stopped startup)."""
        self.transcript_hook: Callable[[TranscriptReady], Awaitable[str | None]] | None = self._voice_commands
        """Sees each transcript first and returns the text to act on, or None to drop it. The
        default acts on voice commands and the wake word; set None to pass everything through."""
        self._last_reply: tuple[str, str] | None = None
        from voiceslm.assistant.turns import Assistant

        self._assistant = Assistant(config)
        """Tools, the safety policy and the answer cap in front of the assist model; speaks reminders."""

        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._tg: asyncio.TaskGroup | None = None
        self._subscribers: set[Subscription] = set()
        self._ids = itertools.count(1)
        self._audio_q: DropOldestQueue[AudioBlock] = DropOldestQueue(config.live.audio_queue_blocks)
        self._utterance_q: DropOldestQueue[Utterance] = DropOldestQueue(4)
        self._request_q: DropOldestQueue[_Request] = DropOldestQueue(16)
        self._control_q: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._lm_executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="voiceslm-lm")
        self._vad_executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="voiceslm-vad")
        self._vad: Any = None
        self._turn: _Turn | None = None
        self._speculation: _Speculation | None = None
        self._speaking = False
        self._played_s = 0.0
        self._muted = False
        self._ptt_active = False
        self._ptt_started_at = 0.0
        self._ptt_stopped_at: float | None = None
        self._user_speaking = False
        self._user_quiet = asyncio.Event()
        self._user_quiet.set()
        self._history: collections.deque[tuple[str, str]] = collections.deque(maxlen=max(1, config.lm.history_turns))
        self._stages: list[asyncio.Task[Any]] = []
        self._state = "starting"
        self._stt_busy = False
        self._stopping = False
        self.counts = collections.Counter[str]()
        self.last_stats: UtteranceStats | None = None

    # Controller API ------------------------------------------------------

    async def run(self) -> None:
        """Load models, open the devices and run until `stop()`, the end of a recording, or cancellation."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        try:
            # Devices are looked up first: a mistyped name fails in a second, not after the models load.
            self._audio_in = self._audio_in or MicrophoneInput(
                self._input_spec(),
                sample_rate=self.config.audio.input_sample_rate,
                block_ms=self.config.audio.block_ms,
                reopen_max_s=self.config.audio.reopen_max_s,
                fail_fast=self._fail_fast,
            )
            if isinstance(self._audio_in, MicrophoneInput):
                await asyncio.to_thread(self._audio_in.check)
            if self._audio_out is None:
                self._audio_out = await asyncio.to_thread(self._open_speaker)
            self._audio_out.buffer.notify = self._notice_threadsafe
            await self._load()
            async with asyncio.TaskGroup() as tg:
                self._tg = tg
                self._stages = [
                    tg.create_task(self._audio_out.run(self._publish), name="output"),
                    tg.create_task(self._run_input(), name="capture"),
                    tg.create_task(self._listen(), name="listen"),
                    tg.create_task(self._transcribe_loop(), name="transcribe"),
                    tg.create_task(self._respond_loop(), name="respond"),
                    tg.create_task(self._control_loop(), name="control"),
                    tg.create_task(self._assistant.run_reminders(self.say), name="reminders"),
                ]
                tg.create_task(self._announce_ready(), name="ready")
        except _ExceptionGroup as group:
            if is_stopped(group):
                self.ready._resolve(RuntimeError("the live pipeline stopped before it was ready"))
                return
            error = _first_user_error(group)
            self.ready._resolve(error or RuntimeError("the live pipeline stopped"))
            if error is not None:
                raise error from None
            raise
        except BaseException as exc:
            self.ready._resolve(exc if isinstance(exc, Exception) else RuntimeError("the live pipeline was cancelled"))
            raise
        finally:
            self._state = "stopped"
            self._tg = None
            for subscription in list(self._subscribers):
                subscription.close()
            await self._shutdown()

    def stop(self) -> None:
        """End `run()` cleanly: the reply in progress is cut, devices are closed."""
        self._post("stop", None)

    async def set_mode(self, mode: Mode, source: str | None = None, target: str | None = None) -> None:
        """Switch to translate, assist or transcribe (cutting any reply); loads what the mode needs first."""
        self._check_mode(mode, source, target if target is not None else self._target)
        await self._set_mode(mode, source, target)

    def mute(self) -> None:
        """Stop listening (the reply in progress still plays)."""
        self._post("mute", True)

    def unmute(self) -> None:
        self._post("mute", False)

    def ptt_start(self) -> None:
        """Push-to-talk pressed: cut any reply and capture everything from now."""
        self._post("ptt_start", time.monotonic())

    def ptt_stop(self) -> None:
        """Push-to-talk released: what was captured becomes one utterance."""
        self._post("ptt_stop", time.monotonic())

    async def say(self, text: str, lang: str) -> int:
        """Speak `text` in language `lang` after the reply in progress; returns its id."""
        text = " ".join(text.split())
        if not text:
            raise UserError("Nothing to say: the text is empty; give some words.")
        if not is_language_code(lang):
            raise UserError(f"Language {lang!r} is not a two-letter code such as en or es; give one.")
        request = _Request(next(self._ids), text, lang, "say", lang)
        # Waits for room rather than dropping: text to say was asked for explicitly.
        await self._request_q.put(request)
        return request.id

    def stop_speaking(self) -> None:
        """Cut the reply in progress and drop replies waiting to be spoken."""
        self._post("cancel", ("stop", None))

    def status(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "state": self._state_now(),
            "mode": self._mode,
            "source": self._source or "auto",
            "target": self._target,
            "push_to_talk": self.push_to_talk,
            "ptt_active": self._ptt_active,
            "muted": self._muted,
            "speaking": self._speaking,
            "echo": self.config.echo.mode,
            "ready": self.ready.is_set(),
            "utterances": self.counts["utterances"],
            "replies": self.counts["replies"],
            "barge_ins": self.counts["barge-in"],
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
        subscription = Subscription(self, maxsize)
        self._subscribers.add(subscription)
        return subscription

    @property
    def mode(self) -> Mode:
        return self._mode

    @property
    def output(self) -> AudioOutput | None:
        return self._audio_out

    @property
    def input(self) -> AudioInput | None:
        return self._audio_in

    # Start-up and shut-down ---------------------------------------------

    def _check_mode(self, mode: str, source: str | None, target: str | None) -> None:
        if mode not in MODES:
            raise UserError(f"Mode {mode!r} is not one of {', '.join(MODES)}; choose one of those.")
        for name, code in (("source", source), ("target", target)):
            if code is not None and code != "auto" and not is_language_code(code):
                raise UserError(f"The {name} language {code!r} is not a two-letter code such as en or es; give one.")
        if mode in ("translate", "converse") and source is not None and source == target:
            raise UserError(f"Source and target are both {source!r}; choose two different languages to translate.")
        if mode == "converse" and (source in (None, "auto") or target is None):
            raise UserError("Conversation mode needs its two languages; give them as --langs en,es.")

    def _two_way(self) -> bool:
        """Each utterance is in one of two languages and goes into the other."""
        if not self._source:
            return False
        return self._mode == "converse" or (self._mode == "translate" and self.config.live.two_way)

    def _languages(self) -> list[str]:
        """The languages people speak to the pipeline in (for voice commands)."""
        if self._source:
            return [self._source, self._target]
        return list(self.config.stt.languages)

    def _stt_language(self) -> str | None:
        """The language to transcribe as, or None to detect it."""
        if self._two_way():
            return None
        return self._source

    def _needs(self) -> dict[str, Any]:
        stt_language = self._stt_language()
        needs: dict[str, Any] = {"stt_languages": [stt_language], "lm_roles": [], "voice_languages": []}
        if self._mode in ("translate", "converse"):
            needs["lm_roles"] = ["translate"]
            needs["voice_languages"] = [self._target] + ([self._source] if self._two_way() else [])
        elif self._mode == "assist":
            needs["lm_roles"] = ["assist"]
            needs["voice_languages"] = [self._source or "en"]
        return needs

    async def _load(self) -> None:
        """Models load once, in a thread, before the first block is listened to."""
        self._state = "loading"
        if self._engines is None:
            from voiceslm.engines import Engines

            self._engines = Engines(self.config)
        needs = self._needs()
        started = time.perf_counter()
        await asyncio.to_thread(self._engines.check_installed, **needs)
        await asyncio.to_thread(self._load_models, needs)
        log.info("models ready in %.1f s", time.perf_counter() - started)

    def _load_models(self, needs: dict[str, Any]) -> None:
        from voiceslm.vad import SileroVad

        if self._vad is None:
            self._vad = SileroVad()
        self._engines.preload(**needs)
        # The first call into each engine pays for lazy set-up (CTranslate2
        # allocations, ONNX sessions); pay it now rather than on the first turn.
        # Silence would be skipped by Whisper's own VAD, so warm up on speech.
        speech = _warm_up_speech()
        for language in needs["stt_languages"]:
            self._engines.stt(language).transcribe(speech, language)
        warm = threading.Event()
        for role in needs["lm_roles"]:
            model = self._engines.lm(role)
            stream = (
                model.answer("Hi.", cancel=warm)
                if role == "assist"
                else model.translate("Hi.", "en", "es", cancel=warm)
            )
            next(iter(stream), None)
            warm.set()
            for _ in stream:
                pass
            warm.clear()
        for language in needs["voice_languages"]:
            for _ in self._engines.voice(language).synthesize("OK."):
                pass

    def _input_spec(self) -> str:
        if self.config.echo.mode == "pulse-aec":
            from voiceslm.devices import find_echo_cancel

            return "pulse:" + (self.config.echo.aec_source or find_echo_cancel("input"))
        return self.config.audio.input_device

    def _open_speaker(self) -> SpeakerOutput:
        spec = self.config.audio.output_device
        if self.config.echo.mode == "pulse-aec":
            from voiceslm.devices import find_echo_cancel

            spec = "pulse:" + (self.config.echo.aec_sink or find_echo_cancel("output"))
        return SpeakerOutput(
            spec,
            sample_rate=self.config.audio.output_sample_rate,
            latency=self.config.audio.output_latency,
            reopen_max_s=self.config.audio.reopen_max_s,
            fail_fast=self._fail_fast,
        )

    async def _announce_ready(self) -> None:
        assert self._audio_in is not None and self._audio_out is not None
        await self._audio_out.started.wait()
        await self._audio_in.started.wait()
        self._state = "listening"
        self.ready._resolve()
        log.info("ready: %s mode, listening on %s", self._mode, self._audio_in.name)

    async def _run_input(self) -> None:
        assert self._audio_in is not None
        await self._audio_out.started.wait()  # type: ignore[union-attr]
        await self._audio_in.run(self._audio_q.put_nowait, self._publish)
        # A recording has ended: finish answering what it said, then stop.
        await self._finish_input()

    async def _shutdown(self) -> None:
        if self._turn is not None:
            self._turn.cancel.set()
        if self._audio_out is not None:
            try:
                self._audio_out.close()
            except UserError as exc:
                log.error("%s", exc)
        # Let a generation thread that is finishing its last token end before the
        # models are freed (its cancel event is set, so this is one token's time).
        await asyncio.to_thread(self._lm_executor.shutdown, True)
        self._vad_executor.shutdown(wait=False)
        if self._own_engines and self._engines is not None:
            await asyncio.to_thread(self._engines.close)

    # Events ----------------------------------------------------------------

    def _publish(self, event: Event) -> None:
        if isinstance(event, DeviceFault):
            self.counts["faults"] += 1
        for subscription in list(self._subscribers):
            subscription.queue.put_nowait(event)

    def _post(self, command: str, argument: Any) -> None:
        loop = self._loop
        if loop is None:
            # Not running yet: apply when the control loop starts.
            self._control_q.put_nowait((command, argument))
        elif threading.get_ident() == self._loop_thread:
            self._control_q.put_nowait((command, argument))
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._control_q.put_nowait, (command, argument))

    # Control path ------------------------------------------------------------

    async def _control_loop(self) -> None:
        while True:
            command, argument = await self._control_q.get()
            if command == "cancel":
                reason, speech_at = argument
                self._cancel(reason, speech_at)
            elif command == "ptt_start":
                self._cancel("ptt")
                self._ptt_started_at = argument
                self._ptt_stopped_at = None
                self._ptt_active = True
                self._publish(SpeechStarted(argument, during_playback=False))
            elif command == "ptt_stop":
                if self._ptt_active:
                    self._ptt_stopped_at = argument
                    # The listener ends the turn at the first block captured after
                    # the release; if the device stalls, end it from here.
                    self._loop.call_later(0.5, self._finish_ptt_late, argument)  # type: ignore[union-attr]
            elif command == "mute":
                self._muted = argument
                log.info("microphone %s", "muted" if argument else "live")
            elif command == "stop":
                self._stopping = True
                self._cancel("shutdown")
                raise _Stopped

    def _finish_ptt_late(self, stopped_at: float) -> None:
        if self._ptt_active and self._ptt_stopped_at == stopped_at:
            # An empty block stamped at the release makes the listener end the turn.
            self._audio_q.put_nowait(AudioBlock(np.zeros(0, dtype=np.float32), 16000, stopped_at))

    async def _finish_input(self) -> None:
        """The recording ended: wait until everything it said has been answered, then stop."""
        while True:
            idle = (
                self._audio_q.empty()
                and self._utterance_q.empty()
                and not self._stt_busy
                and self._request_q.empty()
                and self._turn is None
                and not self._user_speaking
            )
            if idle:
                break
            await asyncio.sleep(0.05)
        self._stopping = True
        raise _Stopped

    def _cancel(self, reason: CancelReason, speech_at: float | None = None) -> None:
        """Cut the reply in progress now: flush the output, stop generation and synthesis."""
        if reason in ("stop", "mode", "shutdown"):
            for request in self._request_q.clear():
                if request.started is not None:
                    request.started.cancel.set()
            self._drop_speculation()
        turn = self._turn
        if turn is None:
            return
        now = time.monotonic()
        turn.cancel.set()
        dropped = self._audio_out.buffer.flush() if self._audio_out else 0.0
        for task in turn.tasks:
            task.cancel()
        if reason == "barge-in":
            self.counts["barge-in"] += 1
        log.info("%s: reply %d cut (%.1f s of audio dropped)", reason, turn.request.id, dropped)
        self._publish(Cancel(reason, now, speech_at))
        if turn.request.times is not None:
            turn.request.times.interrupted = True
        if turn.playing:
            latency = self._audio_out.latency if self._audio_out else 0.0
            self._stop_playing(turn, now, now + latency, interrupted=True)
        self._complete(turn)

    # Listening ---------------------------------------------------------------

    def _mic_live(self, block: AudioBlock) -> bool:
        if self._muted:
            return False
        if self._ptt_active or self.push_to_talk:
            return self._ptt_active
        if self._half_duplex_now() and self._audio_out is not None:
            deaf_until = self._audio_out.buffer.last_audio_at + self.config.echo.tail_ms / 1000
            if self._speaking or block.captured_at < deaf_until:
                return False
        return True

    def _half_duplex_now(self) -> bool:
        mode = self.config.echo.mode
        # WebRTC's canceller needs a few seconds of the pipeline's voice to adapt;
        # until then it lets echo through, so the microphone is guarded as in half-duplex.
        return mode == "half-duplex" or (mode == "pulse-aec" and self._played_s < AEC_ADAPT_S)

    async def _listen(self) -> None:
        from voiceslm.vad import FrameSplitter, PushToTalkRecorder, TurnDetector

        loop = asyncio.get_running_loop()
        detector = TurnDetector(self.config.vad)
        recorder = PushToTalkRecorder(self.config.vad)
        frames_of = FrameSplitter()
        was_live = False
        was_ptt = False
        while True:
            block = await self._audio_q.get()
            live = self._mic_live(block)
            if self._ptt_active != was_ptt:
                # Switching between push-to-talk and hands-free: neither's partial state carries over.
                was_ptt = self._ptt_active
                self._drop_partial(detector, frames_of)
                was_live = False
            if not live:
                if was_live:
                    self._drop_partial(detector, frames_of)
                was_live = False
                continue
            if not was_live:
                # Audio was skipped: the VAD's memory of it is stale.
                await loop.run_in_executor(self._vad_executor, self._vad.reset)
                frames_of.reset()
            was_live = True
            frames = frames_of.feed(block.samples, block.captured_at) if block.samples.size else []
            probabilities = await loop.run_in_executor(self._vad_executor, self._probabilities, [f for _, f in frames])
            for (at, frame), probability in zip(frames, probabilities, strict=True):
                if self._ptt_active:
                    self._listen_ptt(recorder, at, frame, probability)
                else:
                    self._listen_hands_free(detector, at, frame, probability)
            stopped_at = self._ptt_stopped_at
            if self._ptt_active and stopped_at is not None and block.end_at >= stopped_at:
                # The first block captured after the release: the turn is complete.
                self._ptt_active = False
                was_ptt = False
                end = recorder.stop(stopped_at)
                if end is not None:
                    self._emit_utterance(end)
                was_live = False

    def _listen_ptt(self, recorder: Any, at: float, frame: np.ndarray, probability: float) -> None:
        if not recorder.active or recorder.started_at != self._ptt_started_at:
            recorder.start(self._ptt_started_at)
        if at < self._ptt_started_at or (self._ptt_stopped_at is not None and at >= self._ptt_stopped_at):
            return  # captured while the key was up
        if not recorder.feed(at, frame, probability):
            log.info("push-to-talk turn reached vad.max_utterance_s; handling it now")
            self._ptt_stopped_at = at

    def _listen_hands_free(self, detector: Any, at: float, frame: np.ndarray, probability: float) -> None:
        from voiceslm.vad import TurnEnd, TurnPause, TurnResume, TurnStart

        for decision in detector.feed(at, frame, probability):
            if isinstance(decision, TurnPause):
                self._speculate(decision)
            elif isinstance(decision, TurnResume):
                self._drop_speculation()
            elif isinstance(decision, TurnStart):
                self._set_user_speaking(True)
                during = self._speaking
                self._publish(
                    SpeechStarted(decision.speech_start, during_playback=during, detected_at=time.monotonic())
                )
                if during and not self._half_duplex_now():
                    self._cancel("barge-in", decision.speech_start)
            elif isinstance(decision, TurnEnd):
                self._set_user_speaking(False)
                self._emit_utterance(decision)

    def _drop_partial(self, detector: Any, frames_of: Any) -> None:
        if detector.speaking:
            log.debug("microphone went deaf mid-turn; the partial turn is dropped")
        detector.reset()
        frames_of.reset()
        self._set_user_speaking(False)

    def _set_user_speaking(self, speaking: bool) -> None:
        self._user_speaking = speaking
        if speaking:
            self._user_quiet.clear()
        else:
            self._user_quiet.set()

    def _probabilities(self, frames: list[np.ndarray]) -> list[float]:
        return [self._vad.probability(frame) for frame in frames]

    def _emit_utterance(self, end: Any) -> None:
        utterance = Utterance(
            id=next(self._ids),
            audio=end.audio,
            sample_rate=16000,
            speech_start=end.speech_start,
            speech_end=end.speech_end,
            detected_at=end.detected_at,
            reason=end.reason,
        )
        self.counts["utterances"] += 1
        log.debug("utterance %d: %.2f s (%s)", utterance.id, utterance.duration_s, utterance.reason)
        self._publish(utterance)
        self._utterance_q.put_nowait(utterance)

    # Transcribing --------------------------------------------------------------

    async def _transcribe_loop(self) -> None:
        while True:
            utterance = await self._utterance_q.get()
            self._stt_busy = True
            try:
                await self._transcribe(utterance)
            except Exception:
                # One utterance's failure (a model fault) must not end a live session.
                log.exception("utterance %d could not be transcribed", utterance.id)
            finally:
                self._stt_busy = False

    async def _run_stt(self, audio: np.ndarray) -> tuple[Any, float]:
        """(Transcript, seconds taken), the decoding done in a worker thread."""
        language = self._stt_language()
        # A conversation's language is identified within its pair only, not among all 99.
        languages = (self._source, self._target) if language is None and self._two_way() else None
        stt = self._engines.stt(language)
        extra = {"languages": languages} if languages else {}
        started = time.perf_counter()
        transcript = await asyncio.to_thread(stt.transcribe, audio, language, **extra)
        return transcript, time.perf_counter() - started

    async def _transcribe(self, utterance: Utterance) -> None:
        speculation, self._speculation = self._speculation, None
        adopted = await self._transcribe_and_ask(utterance, speculation)
        if speculation is not None and not adopted:
            # A reply started at the pause that nobody will speak (no speech, a voice
            # command, transcribe mode, a pause that was not the end): stop it.
            speculation.cancel.set()

    async def _transcribe_and_ask(self, utterance: Utterance, speculation: _Speculation | None) -> bool:
        """Transcribe (or take the transcript made at the pause) and queue the reply; True if
        the reply started at the pause was kept."""
        try:
            if speculation is not None and speculation.matches(utterance):
                # The pause it was started on became the end of the turn: keep its work.
                transcript, stt_seconds = await speculation.transcript
                log.debug("utterance %d: kept the transcript started at the pause", utterance.id)
            else:
                if speculation is not None:
                    speculation.drop()
                    speculation = None
                transcript, stt_seconds = await self._run_stt(utterance.audio)
        except UserError as exc:
            log.warning("%s", exc)
            return False
        now = time.monotonic()
        times = _TurnTimes(utterance.speech_end, utterance.detected_at, utterance.duration_s)
        times.transcript_at = now
        times.stt_seconds = stt_seconds
        event = TranscriptReady(
            utterance.id, transcript.text, transcript.language, now, times.stt_seconds, transcript.foreign_language
        )
        self._publish(event)
        if transcript.foreign_language:
            # Said in the user's language, so the one who spoke knows why nothing comes back.
            await self.say(*foreign.notice(transcript.foreign_language, self._source or self.config.stt.languages[0]))
        text: str | None = transcript.text
        if text and self.transcript_hook is not None:
            text = await self.transcript_hook(event)
        if not text or self._mode == "transcribe":
            if not transcript.text:
                log.info("utterance %d: no speech (silence, noise or a phantom phrase)", utterance.id)
            self._finish_stats(utterance.id, times)
            return False
        request = self._request_for(utterance.id, text, transcript.language, times)
        if request is None:
            self._finish_stats(utterance.id, times)
            return False
        started = speculation.request if speculation is not None else None
        adopted = (
            started is not None
            and started.started is not None
            and (started.text, started.language, started.target) == (request.text, request.language, request.target)
        )
        if adopted:
            request.started = started.started  # type: ignore[union-attr]
            log.debug("utterance %d: kept the reply started at the pause", utterance.id)
        self._request_q.put_nowait(request)
        return adopted

    def _speculate(self, pause: Any) -> None:
        """The speaker paused: transcribe (and start the reply) now, in case the turn is over."""
        assert self._tg is not None
        self._drop_speculation()
        loop = asyncio.get_running_loop()
        speculation = _Speculation(pause.speech_start, pause.speech_end, threading.Event(), loop.create_future())
        speculation.task = self._tg.create_task(self._run_speculation(speculation, pause.audio), name="speculate")
        self._speculation = speculation

    def _drop_speculation(self) -> None:
        if self._speculation is not None:
            self._speculation.drop()
            self._speculation = None

    async def _run_speculation(self, speculation: _Speculation, audio: np.ndarray) -> None:
        try:
            result = await self._run_stt(audio)
        except Exception as exc:  # noqa: BLE001 - handed to whoever adopts this work, which reports it
            if not speculation.transcript.done():
                speculation.transcript.set_exception(exc)
            return
        if speculation.transcript.done():
            return  # dropped meanwhile
        speculation.transcript.set_result(result)
        transcript = result[0]
        if not transcript.text or self._mode == "transcribe" or speculation.cancel.is_set():
            return
        request = self._request_for(0, transcript.text, transcript.language, None, quiet=True)
        if request is not None and not (
            request.kind == "assist" and self._assistant.is_tool(request.text, request.language)
        ):
            # Nothing is published or spoken from this until the turn is known to be over.
            request.started = self._start_generation(request, speculation.cancel)
            speculation.request = request

    def _request_for(
        self, utterance_id: int, text: str, language: str, times: _TurnTimes | None, *, quiet: bool = False
    ) -> _Request | None:
        if self._mode == "assist":
            return _Request(utterance_id, text, language, "assist", language, times)
        target = self._target
        if self._two_way() and language == self._target:
            target = self._source or target
        if language == target:
            if not quiet:
                log.info("utterance %d is already in %s; nothing to translate", utterance_id, target)
            return None
        return _Request(utterance_id, text, language, "translate", target, times)

    async def _voice_commands(self, event: TranscriptReady) -> str | None:
        """Act on a voice command or the wake word before any language model sees the text."""
        from voiceslm.intents import parse_command, strip_wake_word

        if self.config.live.voice_commands:
            command = parse_command(event.text, self._languages())
            if command is not None:
                log.info("utterance %d: voice command %s", event.utterance_id, command)
                self._publish(VoiceCommandHeard(event.utterance_id, command.kind, command.mode, command.language))
                if command.kind == "stop":
                    self.stop_speaking()
                elif command.kind == "repeat" and self._last_reply is not None:
                    await self.say(*self._last_reply)
                elif command.kind == "mode" and command.mode is not None:
                    await self._command_mode(command.mode)
                elif command.kind == "language" and command.language is not None:
                    await self._command_language(command.language)
                return None
        wake_word = self.config.live.wake_word
        if wake_word and self._mode == "assist" and not self.push_to_talk:
            request = strip_wake_word(event.text, wake_word)
            if not request:
                log.info("utterance %d: no wake word, ignored", event.utterance_id)
                return None
            return request
        return event.text

    async def _command_mode(self, mode: Mode) -> None:
        if mode == "converse" and not self._source:
            log.warning("conversation mode needs two languages (--langs en,es); staying in %s mode", self._mode)
            return
        try:
            await self.set_mode(mode)
        except UserError as exc:
            log.warning("%s", exc)

    async def _command_language(self, language: str) -> None:
        """\"Switch to German\": translate into it (into the pair's other language in a conversation)."""
        mode: Mode = self._mode if self._mode in ("translate", "converse") else "translate"
        source = self._source
        if language == source:
            source = self._target if mode == "converse" else None
        try:
            await self.set_mode(mode, source or "auto", language)
        except UserError as exc:
            log.warning("%s", exc)

    def _finish_stats(self, utterance_id: int, times: _TurnTimes) -> None:
        stats = times.stats(utterance_id)
        self.last_stats = stats
        log.debug("utterance %d timings: %s", utterance_id, stats.as_dict())
        self._publish(stats)

    # Replying ------------------------------------------------------------------

    async def _respond_loop(self) -> None:
        assert self._tg is not None
        while True:
            request = await self._request_q.get()
            turn = _Turn(request)
            if request.started is not None:
                turn.cancel = request.started.cancel
            self._turn = turn
            task = self._tg.create_task(self._reply(turn), name=f"reply-{request.id}")
            turn.tasks.append(task)
            try:
                await turn.finished.wait()
                # A cancelled reply's threads may still be winding down; they
                # check the cancel event, so this is at most one token or sentence.
                await asyncio.wait(turn.tasks)
            finally:
                self._turn = None

    async def _reply(self, turn: _Turn) -> None:
        assert self._tg is not None
        request = turn.request
        sentences: asyncio.Queue[str | None] = asyncio.Queue()
        speaker = self._tg.create_task(self._speak(turn, sentences), name=f"speak-{request.id}")
        turn.tasks.append(speaker)
        try:
            await self._generate(turn, sentences)
            await asyncio.wait([speaker])
        except UserError as exc:
            log.warning("reply %d: %s", request.id, exc)
            self._abort(turn)
        except Exception:
            # One reply's failure (a model fault) must not end a live session.
            log.exception("reply %d failed", request.id)
            self._abort(turn)
        finally:
            if not speaker.done():
                speaker.cancel()
            turn.finished.set()

    def _abort(self, turn: _Turn) -> None:
        """End a failed reply: what it queued is dropped, and its playback reported as cut."""
        turn.cancel.set()
        if self._turn is turn and self._audio_out is not None:
            self._audio_out.buffer.flush()
        if turn.playing:
            now = time.monotonic()
            latency = self._audio_out.latency if self._audio_out else 0.0
            self._stop_playing(turn, now, now + latency, interrupted=True)
        if turn.request.times is not None:
            turn.request.times.interrupted = True
        self._complete(turn)

    async def _generate(self, turn: _Turn, sentences: asyncio.Queue[str | None]) -> None:
        """Stream the reply's text in a worker thread, cutting it into sentences as it comes."""
        from voiceslm.text import SentenceSplitter

        request = turn.request
        times = request.times
        splitter = SentenceSplitter()
        if request.kind == "say":
            for sentence in splitter.feed(request.text) + splitter.flush():
                sentences.put_nowait(sentence)
            sentences.put_nowait(None)
            turn.reply_parts.append(request.text)
            return
        self.counts["replies"] += 1
        generation = request.started or self._start_generation(request, turn.cancel)
        pieces, future = generation.pieces, generation.future
        language = request.target
        while (piece := await pieces.get()) is not None:
            if isinstance(piece, BaseException):
                raise piece
            if times is not None and times.first_token_at is None:
                times.first_token_at = time.monotonic()
            turn.reply_parts.append(piece)
            self._publish(ReplyText(request.id, piece, language))
            for sentence in splitter.feed(piece):
                self._sentence_out(turn, sentence, sentences)
        await future
        for sentence in splitter.flush():
            self._sentence_out(turn, sentence, sentences)
        sentences.put_nowait(None)
        reply = "".join(turn.reply_parts).strip()
        self._publish(ReplyText(request.id, reply, language, final=True))
        if reply:
            self._last_reply = (reply, language)
        if reply and request.kind == "translate" and self.config.live.back_translation:
            await asyncio.to_thread(self._back_translate, request, reply)
        if request.kind == "assist" and reply:
            self._history.append((request.text, reply))

    def _back_translate(self, request: _Request, reply: str) -> None:
        """Publish the reply in the speaker's language (milliseconds with a dedicated engine)."""
        router = self._engines.translation()
        try:
            text = "".join(router.translate(reply, request.target, request.language)).strip()
        except UserError as exc:  # the reply itself stands; only the check is missing
            log.warning("reply %d: no back-translation: %s", request.id, exc)
            return
        route = router.route(request.target, request.language)
        self._publish(BackTranslation(request.id, text, request.language, route))

    def _sentence_out(self, turn: _Turn, sentence: str, sentences: asyncio.Queue[str | None]) -> None:
        times = turn.request.times
        now = time.monotonic()
        if times is not None and times.first_sentence_at is None:
            times.first_sentence_at = now
        self._publish(ReplySentence(turn.request.id, sentence, turn.request.target, now))
        sentences.put_nowait(sentence)

    def _start_generation(self, request: _Request, cancel: threading.Event) -> _Generation:
        loop = asyncio.get_running_loop()
        pieces: asyncio.Queue[Any] = asyncio.Queue()
        future = loop.run_in_executor(self._lm_executor, self._produce, request, cancel, loop, pieces)
        return _Generation(pieces, future, cancel)

    def _produce(
        self, request: _Request, cancel: threading.Event, loop: asyncio.AbstractEventLoop, pieces: asyncio.Queue[Any]
    ) -> None:
        """Worker thread: iterate the language model and hand each piece to the loop."""

        def hand(item: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening
                loop.call_soon_threadsafe(pieces.put_nowait, item)

        try:
            if cancel.is_set():
                return
            model = self._engines.lm("assist" if request.kind == "assist" else "translate")
            stream: Iterator[str]
            if request.kind == "assist":
                from voiceslm.assistant.documents import voice_answer  # "what does the report say about ..."

                # Tools and declined requests go straight to the assistant; a question about
                # the documents is answered from them; anything else by the model.
                documents = None
                if self._assistant.needs_model(request.text, request.language):
                    documents = voice_answer(self.config, self._engines, request.text, cancel)
                stream = documents or self._assistant.respond(
                    request.text, request.language, tuple(self._history), lambda: model, cancel
                )
            else:
                stream = model.translate(request.text, request.language, request.target, cancel=cancel)
            for piece in stream:
                if cancel.is_set():
                    return
                hand(piece)
        except Exception as exc:  # noqa: BLE001 - handed to the reply task, which re-raises it on the loop
            hand(exc)
        finally:
            hand(None)

    async def _speak(self, turn: _Turn, sentences: asyncio.Queue[str | None]) -> None:
        try:
            await self._speak_sentences(turn, sentences)
        except UserError as exc:
            log.warning("reply %d: %s", turn.request.id, exc)
            self._abort(turn)
        except Exception:
            log.exception("reply %d: speaking it failed", turn.request.id)
            self._abort(turn)

    async def _speak_sentences(self, turn: _Turn, sentences: asyncio.Queue[str | None]) -> None:
        """Synthesise each sentence in a worker thread and queue it for the speaker."""
        assert self._audio_out is not None
        request = turn.request
        times = request.times
        voice = await asyncio.to_thread(self._engines.voice, request.target)
        out_rate = self._audio_out.sample_rate
        while (sentence := await sentences.get()) is not None:
            started = time.perf_counter()
            try:
                chunks = await asyncio.to_thread(self._synthesize, voice, sentence, turn.cancel, out_rate)
            except UserError as exc:
                log.info("reply %d: skipped a sentence with nothing to say (%s)", request.id, exc)
                continue
            if times is not None:
                times.synth_seconds += time.perf_counter() - started
                times.synth_audio_s += sum(c.size for c in chunks) / out_rate
            if turn.cancel.is_set():
                return
            # Do not talk over the user: a reply waits until they pause.
            await self._user_quiet.wait()
            for samples in chunks:
                self._audio_out.buffer.push(samples, request.id)
                turn.pushed_any = turn.pushed_any or samples.size > 0
        turn.pushed_all = True
        if not turn.pushed_any:
            self._complete(turn)  # nothing to say (an empty reply): the turn ends here
            return
        await turn.finished.wait()

    @staticmethod
    def _synthesize(voice: Any, sentence: str, cancel: threading.Event, out_rate: int) -> list[np.ndarray]:
        from voiceslm.audio import resample

        chunks = []
        for chunk in voice.synthesize(sentence, cancel=cancel):
            chunks.append(resample(chunk.samples, chunk.sample_rate, out_rate))
        return chunks

    # Playback notices -----------------------------------------------------------

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
        turn = self._turn
        if turn is None or notice.tag != turn.request.id or turn.cancel.is_set():
            return
        times = turn.request.times
        if notice.kind == "started":
            if not turn.playing:
                turn.playing = True
                turn.play_started_at = notice.at
                self._speaking = True
                if times is not None and times.first_audio_at is None:
                    times.first_audio_at = notice.at
                self._state = "speaking"
                self._publish(PlaybackStarted(turn.request.id, notice.at))
        elif notice.kind == "drained" and turn.pushed_all and self._audio_out and self._audio_out.buffer.queued_s == 0:
            self._stop_playing(turn, notice.at, notice.at, interrupted=False)
            self._complete(turn)

    def _stop_playing(self, turn: _Turn, at: float, audible_until: float, *, interrupted: bool) -> None:
        if not turn.playing:
            return
        turn.playing = False
        self._speaking = False
        self._played_s += max(0.0, audible_until - turn.play_started_at)
        times = turn.request.times
        if times is not None:
            times.last_audio_at = audible_until
        self._publish(PlaybackStopped(turn.request.id, at, audible_until, interrupted))

    def _complete(self, turn: _Turn) -> None:
        if turn.completed:
            return
        turn.completed = True
        if turn.request.times is not None:
            self._finish_stats(turn.request.id, turn.request.times)
        turn.finished.set()

    def _state_now(self) -> str:
        if self._state in ("starting", "loading", "stopped"):
            return self._state
        if self._speaking:
            return "speaking"
        if self._turn is not None or self._stt_busy:
            return "thinking"
        if self._ptt_active or self._user_speaking:
            return "hearing"
        return "muted" if self._muted else "listening"

    async def _set_mode(self, mode: Mode, source: str | None, target: str | None) -> None:
        previous = (self._mode, self._source, self._target)
        self._mode = mode
        if source is not None:
            self._source = None if source == "auto" else source
        if target is not None:
            self._target = target
        try:
            needs = self._needs()
            await asyncio.to_thread(self._engines.check_installed, **needs)
            await asyncio.to_thread(self._load_models, needs)
        except BaseException:
            self._mode, self._source, self._target = previous
            raise
        self._post("cancel", ("mode", None))
        self._history.clear()
        log.info("mode: %s (%s -> %s)", mode, self._source or "auto", self._target)
        self._publish(ModeChanged(mode, self._source, self._target))


def _warm_up_speech() -> np.ndarray:
    from importlib import resources

    from voiceslm.audio import load_audio

    path = resources.files("voiceslm").joinpath("assets/demo_en.wav")
    with resources.as_file(path) as file:
        return load_audio(file, 16000, max_seconds=None)[: 16000 * 2]


def _first_user_error(group: _ExceptionGroup) -> UserError | None:
    for exc in group.exceptions:
        if isinstance(exc, UserError):
            return exc
        if isinstance(exc, _ExceptionGroup):
            found = _first_user_error(exc)
            if found is not None:
                return found
    return None


def is_stopped(group: _ExceptionGroup) -> bool:
    return all(isinstance(e, _Stopped) or (isinstance(e, _ExceptionGroup) and is_stopped(e)) for e in group.exceptions)


def file_io(
    config: Config, input_path: Path | None, output_path: Path | None
) -> tuple[AudioInput | None, AudioOutput | None]:
    """The recording input and WAV output for --input / --output (None: use the device)."""
    audio_in: AudioInput | None = None
    audio_out: AudioOutput | None = None
    if input_path is not None:
        from voiceslm.audio import load_audio

        samples = load_audio(input_path, 16000, config.limits.max_audio_seconds)
        recording = RecordingInput(block_ms=config.audio.block_ms, name=str(input_path))
        recording.queue(samples)
        # Enough silence after the recording for the last turn to end.
        recording.close(config.vad.min_silence_ms / 1000 + 0.5)
        audio_in = recording
    if output_path is not None:
        from voiceslm.audio import check_output_path

        audio_out = FileOutput(check_output_path(output_path))
    return audio_in, audio_out
