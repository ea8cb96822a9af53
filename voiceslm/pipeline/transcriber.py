"""The transcriber: utterances in, requests out, with speculation at the speaker's pause.

When the speaker pauses for `vad.speculate_ms` the listener says so, and the
pause's audio is transcribed (and the reply's generation started) at once, in
case the pause becomes the end of the turn (the turn model's verdict, or the
silence going on). If it does, that work is kept; if speech goes on, or the
final transcript asks for something else, it is dropped.

Speech-to-text runs in its own worker thread, engine lookup included, so an
utterance that arrives while a mode change loads a model never stalls the loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import numpy as np

from voiceslm.engines import foreign
from voiceslm.engines.registry import EngineSet
from voiceslm.engines.stt import Transcript
from voiceslm.engines.worker import EngineError, EngineWorker
from voiceslm.errors import UserError
from voiceslm.pipeline.channels import DropOldestQueue
from voiceslm.pipeline.events import Event, TranscriptReady, Utterance
from voiceslm.pipeline.requests import Generation, Request, TurnTimes
from voiceslm.pipeline.router import Route
from voiceslm.pipeline.turns import TurnPause

log = logging.getLogger(__name__)

TranscriptHook = Callable[[TranscriptReady], Awaitable[str | None]]
Spawn = Callable[[Coroutine[Any, Any, None], str], "asyncio.Task[None]"]
Recancel = Callable[[np.ndarray, float, float], np.ndarray]
"""A barge-in's audio, its speech's start and end: the audio with the reply's echo cancelled again
(`EchoGuard.recancel`). Called in the speech recogniser's worker thread."""


@dataclass
class _Speculation:
    """Work started when the speaker paused, kept only if the pause becomes the end of the turn."""

    speech_start: float
    speech_end: float
    cancel: threading.Event
    transcript: asyncio.Future[tuple[Transcript, float]]
    task: asyncio.Task[None] | None = None
    request: Request | None = None

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


class Transcriber:
    def __init__(
        self,
        *,
        engines: EngineSet,
        stt: EngineWorker,
        utterances: DropOldestQueue[Utterance],
        requests: DropOldestQueue[Request],
        route: Callable[[], Route],
        generate: Callable[[Request, threading.Event], Generation],
        publish: Callable[[Event], None],
        on_stats: Callable[[int, TurnTimes], None],
        spawn: Spawn,
        on_progress: Callable[[], None],
        say: Callable[[str, str], Awaitable[int]],
        may_speculate: Callable[[Request], bool] = lambda request: True,
        recancel: Recancel = lambda audio, speech_start, speech_end: audio,
    ) -> None:
        self._engines = engines
        self._stt = stt
        self._utterances = utterances
        self._requests = requests
        self._route = route
        self._generate = generate
        self._publish = publish
        self._on_stats = on_stats
        self._spawn = spawn
        self._on_progress = on_progress
        self._say = say
        self._may_speculate = may_speculate
        self._recancel = recancel
        self.hook: TranscriptHook | None = None
        """Sees each transcript first and returns the text to act on, or None to drop it."""
        self.busy = False
        self._speculation: _Speculation | None = None

    async def run(self) -> None:
        while True:
            utterance = await self._utterances.get()
            self.busy = True
            try:
                await self._transcribe(utterance)
            except UserError as exc:
                log.warning("utterance %d: %s", utterance.id, exc)
            except EngineError as exc:
                # One utterance's failure (a model fault) must not end a live session.
                log.error("utterance %d could not be transcribed: %s", utterance.id, exc, exc_info=exc.__cause__)
            finally:
                self.busy = False
                self._on_progress()

    # Speculation -------------------------------------------------------------------

    def speculate(self, pause: TurnPause, *, barge_in: bool = False) -> asyncio.Future[tuple[Transcript, float]]:
        """The speaker paused: transcribe (and start the reply) now, in case the turn is over.

        Returns the transcript to come (cancelled if the speculation is dropped)."""
        self.drop_speculation()
        future: asyncio.Future[tuple[Transcript, float]] = asyncio.get_running_loop().create_future()
        speculation = _Speculation(pause.speech_start, pause.speech_end, threading.Event(), future)
        speculation.task = self._spawn(self._run_speculation(speculation, pause, barge_in), "speculate")
        self._speculation = speculation
        return future

    def drop_speculation(self) -> None:
        if self._speculation is not None:
            self._speculation.drop()
            self._speculation = None

    async def _run_speculation(self, speculation: _Speculation, pause: TurnPause, barge_in: bool) -> None:
        try:
            result = await self._run_stt(pause.audio, (pause.speech_start, pause.speech_end) if barge_in else None)
        except (UserError, EngineError) as exc:
            # Handed to whoever adopts this work, which reports it.
            if not speculation.transcript.done():
                speculation.transcript.set_exception(exc)
            return
        if speculation.transcript.done():
            return  # dropped meanwhile
        speculation.transcript.set_result(result)
        transcript = result[0]
        route = self._route()
        if not transcript.text or route.mode == "transcribe" or speculation.cancel.is_set():
            return
        request = route.request_for(0, transcript.text, transcript.language, None, quiet=True)
        if request is not None and self._may_speculate(request):
            # Nothing is published or spoken from this until the turn is known to be over.
            request.started = self._generate(request, speculation.cancel)
            speculation.request = request

    # Transcribing ------------------------------------------------------------------

    async def _run_stt(self, audio: np.ndarray, barge_in: tuple[float, float] | None) -> tuple[Transcript, float]:
        """(Transcript, seconds taken), engine lookup and decoding both in the worker thread.

        A barge-in (`barge_in`: its speech's start and end) has the reply's echo cancelled
        once more (`recancel`, in the same thread) and is decoded in Whisper's full window:
        the short one misheard "stop" said over a reply (docs/quality.md)."""
        route = self._route()
        return await self._stt.call(self._decode, audio, route.stt_language, route.stt_candidates, barge_in)

    def _decode(
        self,
        audio: np.ndarray,
        language: str | None,
        candidates: tuple[str, str] | None,
        barge_in: tuple[float, float] | None,
    ) -> tuple[Transcript, float]:
        if barge_in is not None:
            audio = self._recancel(audio, *barge_in)
        stt = self._engines.stt(language)
        started = time.perf_counter()
        transcript = stt.transcribe(audio, language, languages=candidates, full_window=barge_in is not None)
        return transcript, time.perf_counter() - started

    async def _transcribe(self, utterance: Utterance) -> None:
        speculation, self._speculation = self._speculation, None
        adopted = False
        try:
            adopted = await self._transcribe_and_ask(utterance, speculation)
        finally:
            if speculation is not None and not adopted:
                # A reply started at the pause that nobody will speak (no speech, a voice
                # command, transcribe mode, a pause that was not the end): stop it.
                speculation.cancel.set()

    async def _transcribe_and_ask(self, utterance: Utterance, speculation: _Speculation | None) -> bool:
        """Transcribe (or take the transcript made at the pause) and queue the reply; True if
        the reply started at the pause was kept."""
        if speculation is not None and speculation.matches(utterance):
            # The pause it was started on became the end of the turn: keep its work.
            transcript, stt_seconds = await speculation.transcript
            log.debug("utterance %d: kept the transcript started at the pause", utterance.id)
        else:
            if speculation is not None:
                speculation.drop()
                speculation = None
            span = (utterance.speech_start, utterance.speech_end) if utterance.barge_in else None
            transcript, stt_seconds = await self._run_stt(utterance.audio, span)
        now = time.monotonic()
        times = TurnTimes(utterance.speech_end, utterance.detected_at, utterance.duration_s)
        times.transcript_at = now
        times.stt_seconds = stt_seconds
        event = TranscriptReady(
            utterance.id, transcript.text, transcript.language, now, stt_seconds, transcript.foreign_language
        )
        self._publish(event)
        if transcript.foreign_language:
            # Said in the user's language, so the one who spoke knows why nothing comes back.
            route = self._route()
            await self._say(*foreign.notice(transcript.foreign_language, route.source or route.config.stt.languages[0]))
        text: str | None = transcript.text
        if text and self.hook is not None:
            text = await self.hook(event)
        route = self._route()
        if not text or route.mode == "transcribe":
            if not transcript.text:
                log.info("utterance %d: no speech (silence, noise or a phantom phrase)", utterance.id)
            self._on_stats(utterance.id, times)
            return False
        request = route.request_for(utterance.id, text, transcript.language, times)
        if request is None:
            self._on_stats(utterance.id, times)
            return False
        started = speculation.request if speculation is not None else None
        adopted = started is not None and started.started is not None and started.same_reply(request)
        if adopted and started is not None:
            request.started = started.started
            log.debug("utterance %d: kept the reply started at the pause", utterance.id)
        self._requests.put_nowait(request)
        return adopted
