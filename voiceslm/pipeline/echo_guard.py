"""When the microphone must not be trusted because the pipeline's own voice may be in it.

`half-duplex` guards it whenever a reply plays (and `echo.tail_ms` after);
`pulse-aec` until PulseAudio's canceller has heard enough of the voice; `aec`
while WebRTC's canceller adapts and at the start of each reply. A barge-in's
audio is cancelled once more, with the echo's measured delay, before it is
transcribed: in the echo worker's thread (0.2-0.4 s of work that would stall
the microphone's reading on the event loop), the pause's speculation and the
turn's utterance handed on when it is done, in the order they came.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from voiceslm.audio.playback import AudioOutput
from voiceslm.config import Config
from voiceslm.engines.worker import EngineError, EngineWorker
from voiceslm.pipeline.events import Utterance
from voiceslm.pipeline.reply import Playback
from voiceslm.pipeline.turns import TurnEnd, TurnPause

if TYPE_CHECKING:
    from voiceslm.engines.stt import Transcript
    from voiceslm.pipeline.listener import Speculator

log = logging.getLogger(__name__)

AEC_ADAPT_S = 5.0
"""Seconds of speech played before PulseAudio's echo canceller is trusted with a live microphone."""
REPLY_ONSET_GUARD_S = 0.6
"""aec: seconds at the start of each reply during which the microphone is guarded as in half-duplex. A
trusted canceller still let the first 0.2-0.3 s of a reply's echo through as speech now and then (after
a second of silence, on the looped-back virtual speaker); nobody interrupts a reply that early."""


class EchoGuard:
    def __init__(self, config: Config, output: AudioOutput, playback: Playback, worker: EngineWorker) -> None:
        self.config = config
        self._output = output
        self._playback = playback
        self._worker = worker
        self._speculating: asyncio.Task[None] | None = None
        self._waiting: asyncio.Future[tuple[Transcript, float]] | None = None
        self._emitting: asyncio.Task[None] | None = None

    def half_duplex_now(self, at: float | None = None) -> bool:
        """Whether the microphone is guarded as in half-duplex (for audio captured at `at`, if given)."""
        mode = self.config.echo.mode
        # WebRTC's canceller needs a few seconds of the pipeline's voice to adapt;
        # until then it lets echo through, so the microphone is guarded as in half-duplex.
        if mode == "aec":
            echo = self._output.echo
            # No echo path (a recording and a file): nothing is cancelled, so stay safe.
            if echo is None or echo.canceller.adapting:
                return True
            playback = self._playback
            return at is not None and playback.speaking and at < playback.started_at + REPLY_ONSET_GUARD_S
        return mode == "half-duplex" or (mode == "pulse-aec" and self._playback.played_s < AEC_ADAPT_S)

    def deaf(self, captured_at: float) -> bool:
        """Whether audio captured then is to be ignored: guarded, and the voice (or its tail) was playing."""
        if not self.half_duplex_now(captured_at):
            return False
        deaf_until = self._output.buffer.last_audio_at + self.config.echo.tail_ms / 1000
        return self._playback.speaking or captured_at < deaf_until

    def recancelled(self, turn: TurnPause | TurnEnd) -> np.ndarray:
        """aec: a barge-in's audio cancelled afresh with the echo's measured delay (its words survive)."""
        echo = self._output.echo if self.config.echo.mode == "aec" else None
        start = turn.speech_start - self.config.vad.preroll_ms / 1000
        return turn.audio if echo is None else echo.recancel(turn.audio, start, turn.speech_end + 0.2)

    @property
    def recancels(self) -> bool:
        """Whether a barge-in's audio is cancelled again (aec with an echo path)."""
        return self.config.echo.mode == "aec" and self._output.echo is not None

    async def _again(self, turn: TurnPause | TurnEnd) -> np.ndarray:
        try:
            return await self._worker.call(self.recancelled, turn)
        except EngineError as exc:
            log.warning("a barge-in could not be cancelled again (%s); its live cancellation stands", exc)
            return turn.audio

    def speculate(self, speculator: Speculator, pause: TurnPause) -> asyncio.Future[tuple[Transcript, float]]:
        """A barge-in's pause: speculate on its audio cancelled again, once that is done."""
        self.drop()
        loop = asyncio.get_running_loop()
        transcript: asyncio.Future[tuple[Transcript, float]] = loop.create_future()

        async def run() -> None:
            audio = await self._again(pause)
            if transcript.done():
                return
            inner = speculator.speculate(TurnPause(audio, pause.speech_start, pause.speech_end), barge_in=True)
            inner.add_done_callback(lambda done: _copy(done, transcript))

        self._speculating = loop.create_task(run())
        self._waiting = transcript
        return transcript

    def drop(self) -> None:
        """Speech went on or the turn ended: a speculation still waiting for its audio is not started."""
        if self._speculating is not None and not self._speculating.done():
            self._speculating.cancel()
            if self._waiting is not None and not self._waiting.done():
                self._waiting.cancel()
        self._speculating = self._waiting = None

    def emit(self, utterance: Utterance, end: TurnEnd, again: bool, deliver: Callable[[Utterance], None]) -> None:
        """Hand `utterance` on, its audio cancelled again if `again` (a barge-in), after any still being done."""
        self.drop()
        again = again and self.recancels
        previous = self._emitting
        if previous is None or previous.done():
            if not again:
                deliver(utterance)
                return
            previous = None

        async def run() -> None:
            if previous is not None:
                await asyncio.shield(previous)
            deliver(dataclasses.replace(utterance, audio=await self._again(end)) if again else utterance)

        self._emitting = asyncio.get_running_loop().create_task(run())


def _copy(source: asyncio.Future[tuple[Transcript, float]], target: asyncio.Future[tuple[Transcript, float]]) -> None:
    if target.done():
        return
    if source.cancelled():
        target.cancel()
    elif (exc := source.exception()) is not None:
        target.set_exception(exc)
    else:
        target.set_result(source.result())
