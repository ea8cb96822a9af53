"""The listener: microphone blocks in, turns out.

It decides whether the microphone is live (muted, push-to-talk, the echo
guard), runs Silero VAD on each block in the VAD's worker thread, and feeds
the probabilities to the turn detector (hands-free) or the push-to-talk
recorder. What it finds goes out as events and `Utterance`s; a barge-in is a
`Cancel` on the control channel, never a direct call into the reply.

End of turn: at the `vad.speculate_ms` pause the turn model (Smart Turn, in its own worker thread) is
asked whether the speaker has finished; if so the turn ends there, otherwise after `vad.max_silence_ms`
of silence, so a counted list or a hesitation stays one turn (or after `vad.min_silence_ms` when the
transcript started at the pause ends a sentence). Without the model, after `vad.min_silence_ms`.

Push-to-talk: the press and the release arrive as commands. The turn ends at the first block captured
after the release, or, if the device stalls, half a second after it by the listener's own clock.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import numpy as np

from voiceslm.config import Config
from voiceslm.engines.vad import FRAME_S
from voiceslm.engines.worker import EngineError, EngineWorker
from voiceslm.errors import UserError
from voiceslm.pipeline.channels import DropOldestQueue
from voiceslm.pipeline.echo_guard import EchoGuard
from voiceslm.pipeline.events import AudioBlock, Cancel, Command, Event, SpeechStarted, Utterance
from voiceslm.pipeline.reply import Playback
from voiceslm.pipeline.turns import (
    FrameSplitter,
    PushToTalkRecorder,
    TurnDetector,
    TurnEnd,
    TurnPause,
    TurnResume,
    TurnStart,
    pause_verdict,
)

if TYPE_CHECKING:
    from voiceslm.engines.registry import EngineSet
    from voiceslm.engines.smart_turn import TurnModel
    from voiceslm.engines.stt import Transcript
    from voiceslm.engines.vad import VoiceActivity

log = logging.getLogger(__name__)

PTT_RELEASE_GRACE_S = 0.5
"""After a release, how long to wait for a block captured after it before ending the turn anyway."""
PTT_POLL_S = 0.1


class Speculator(Protocol):
    """Who the listener tells that the user paused (maybe the end of the turn) or went on."""

    def speculate(self, pause: TurnPause, *, barge_in: bool = False) -> asyncio.Future[tuple[Transcript, float]]:
        """Start on the pause; returns its transcript (and the seconds it took), when ready."""
        ...

    def drop_speculation(self) -> None: ...


class Listener:
    def __init__(
        self,
        config: Config,
        *,
        audio: DropOldestQueue[AudioBlock],
        utterances: DropOldestQueue[Utterance],
        vad: EngineWorker,
        turn: EngineWorker,
        engines: EngineSet,
        playback: Playback,
        guard: EchoGuard,
        speculator: Speculator,
        publish: Callable[[Event], None],
        post: Callable[[Command], None],
        ids: itertools.count[int],
        push_to_talk: bool,
        quiet: asyncio.Event,
        on_progress: Callable[[], None],
    ) -> None:
        self.config = config
        self._audio = audio
        self._utterances = utterances
        self._vad_worker = vad
        self.vad: VoiceActivity | None = None
        """Set by the session once the model is loaded."""
        self._turn_worker = turn
        self._engines = engines
        self._turn_model: TurnModel | None = None
        self._pause_serial = 0
        """Bumped whenever a pause ends (speech, end of turn, deaf microphone): a score for it is stale."""
        self._scoring: asyncio.Task[None] | None = None
        self._end_at_silence = -1
        """The pause (its serial) whose words end a sentence: it ends at vad.min_silence_ms."""
        self._barge_in = False
        """The hands-free turn in progress began while the pipeline was speaking."""
        self._playback = playback
        self._guard = guard
        self._speculator = speculator
        self._publish = publish
        self._post = post
        self._ids = ids
        self._on_progress = on_progress
        self.push_to_talk = push_to_talk
        self.muted = False
        self.ptt_active = False
        self._ptt_started_at = 0.0
        self._ptt_stopped_at: float | None = None
        self.quiet = quiet
        """Set while the user is not speaking (the one fact replies wait on)."""
        self.quiet.set()
        self.utterance_count = 0

    @property
    def user_speaking(self) -> bool:
        return not self.quiet.is_set()

    # Commands from the control task -----------------------------------------------

    def press(self, at: float) -> None:
        self._ptt_started_at = at
        self._ptt_stopped_at = None
        self.ptt_active = True
        self._publish(SpeechStarted(at, during_playback=False))

    def release(self, at: float) -> None:
        if self.ptt_active:
            self._ptt_stopped_at = at

    # The loop ------------------------------------------------------------------------

    async def run(self) -> None:
        # Loaded with the other models; a missing one was reported there, once.
        if self.config.vad.turn_model and self.config.vad.speculate_ms:
            self._turn_model = await self._turn_worker.call(self._engines.turn_model)
        detector = TurnDetector(self.config.vad, turn_model=self._turn_model is not None)
        try:
            await self._run(detector)
        finally:
            if self._scoring is not None:
                self._scoring.cancel()

    async def _run(self, detector: TurnDetector) -> None:
        recorder = PushToTalkRecorder(self.config.vad)
        frames_of = FrameSplitter()
        was_live = False
        was_ptt = False
        while True:
            block = await self._next_block()
            if block is None:  # push-to-talk released and the device stalled: end the turn now
                assert self._ptt_stopped_at is not None
                self._end_ptt(recorder, self._ptt_stopped_at)
                was_ptt = was_live = False
                self._on_progress()
                continue
            live = self._mic_live(block)
            if self.ptt_active != was_ptt:
                # Switching between push-to-talk and hands-free: neither's partial state carries over.
                was_ptt = self.ptt_active
                self._drop_partial(detector, frames_of)
                was_live = False
            if not live:
                if was_live:
                    self._drop_partial(detector, frames_of)
                was_live = False
                self._on_progress()
                continue
            if not was_live:
                # Audio was skipped: the VAD's memory of it is stale.
                await self._vad_worker.call(self._vad_model().reset)
                frames_of.reset()
            was_live = True
            frames = frames_of.feed(block.samples, block.captured_at) if block.samples.size else []
            probabilities = await self._vad_worker.call(self._probabilities, [f for _, f in frames])
            for (at, frame), probability in zip(frames, probabilities, strict=True):
                if self.ptt_active:
                    self._listen_ptt(recorder, at, frame, probability)
                else:
                    self._listen_hands_free(detector, at, frame, probability)
            stopped_at = self._ptt_stopped_at
            if self.ptt_active and stopped_at is not None and block.end_at >= stopped_at:
                # The first block captured after the release: the turn is complete.
                self._end_ptt(recorder, stopped_at)
                was_ptt = was_live = False
            if self._scoring is not None and self._scoring.done():
                scoring, self._scoring = self._scoring, None
                if not scoring.cancelled():
                    scoring.result()  # a fault in the listener's own code surfaces here
            self._on_progress()

    async def _next_block(self) -> AudioBlock | None:
        """The next block; None when a push-to-talk release has waited long enough for one.

        While the key is down the wait is cut into short polls, so a release that
        the device never delivers a block after still ends the turn in time.
        """
        while True:
            if not self.ptt_active:
                return await self._audio.get()
            stopped_at = self._ptt_stopped_at
            if stopped_at is not None and time.monotonic() >= stopped_at + PTT_RELEASE_GRACE_S:
                return None
            try:
                return await asyncio.wait_for(self._audio.get(), PTT_POLL_S)
            except TimeoutError:
                continue

    def _end_ptt(self, recorder: PushToTalkRecorder, stopped_at: float) -> None:
        self.ptt_active = False
        end = recorder.stop(stopped_at)
        if end is not None:
            self._emit_utterance(end)

    def _vad_model(self) -> VoiceActivity:
        assert self.vad is not None, "the VAD model is loaded before listening starts"
        return self.vad

    def _probabilities(self, frames: list[np.ndarray]) -> list[float]:
        vad = self._vad_model()
        return [vad.probability(frame) for frame in frames]

    def half_duplex_now(self, at: float | None = None) -> bool:
        """Whether the microphone is guarded as in half-duplex (for audio captured at `at`, if given)."""
        return self._guard.half_duplex_now(at)

    def _mic_live(self, block: AudioBlock) -> bool:
        if self.muted:
            return False
        if self.ptt_active or self.push_to_talk:
            return self.ptt_active
        return not self._guard.deaf(block.captured_at)

    def _listen_ptt(self, recorder: PushToTalkRecorder, at: float, frame: np.ndarray, probability: float) -> None:
        if not recorder.active or recorder.started_at != self._ptt_started_at:
            recorder.start(self._ptt_started_at)
        if at < self._ptt_started_at or (self._ptt_stopped_at is not None and at >= self._ptt_stopped_at):
            return  # captured while the key was up
        if not recorder.feed(at, frame, probability):
            log.info("push-to-talk turn reached vad.max_utterance_s; handling it now")
            self._ptt_stopped_at = at

    def _listen_hands_free(self, detector: TurnDetector, at: float, frame: np.ndarray, probability: float) -> None:
        decisions = detector.feed(at, frame, probability)
        if (
            self._end_at_silence == self._pause_serial
            and not decisions
            and detector.silent_ms >= self.config.vad.min_silence_ms
        ):
            decisions = [end] if (end := detector.end_at_pause(at + FRAME_S, "silence")) is not None else []
        for decision in decisions:
            if isinstance(decision, TurnPause):
                transcript = self._speculator.speculate(decision, barge_in=self._barge_in)
                if detector.turn_model:
                    self._ask_turn_model(detector, decision, transcript)
            elif isinstance(decision, TurnResume):
                self._pause_serial += 1
                self._speculator.drop_speculation()
            elif isinstance(decision, TurnStart):
                self.quiet.clear()
                during = self._playback.speaking
                self._barge_in = during
                self._publish(
                    SpeechStarted(decision.speech_start, during_playback=during, detected_at=time.monotonic())
                )
                if during and not self.half_duplex_now():
                    self._post(Cancel("barge-in", time.monotonic(), decision.speech_start))
            elif isinstance(decision, TurnEnd):
                self._pause_serial += 1
                self.quiet.set()
                self._emit_utterance(decision)

    def _ask_turn_model(
        self, detector: TurnDetector, pause: TurnPause, transcript: asyncio.Future[tuple[Transcript, float]]
    ) -> None:
        """Score the pause in the turn model's thread; the listener goes on reading the microphone meanwhile."""
        if self._scoring is not None and not self._scoring.done():
            self._scoring.cancel()
        self._pause_serial += 1
        self._scoring = asyncio.get_running_loop().create_task(
            self._end_if_finished(detector, pause.audio, transcript, self._pause_serial)
        )

    async def _end_if_finished(
        self,
        detector: TurnDetector,
        audio: np.ndarray,
        transcript: asyncio.Future[tuple[Transcript, float]],
        serial: int,
    ) -> None:
        """End the turn at this pause as `pause_verdict` says, from the voice and the words."""
        model = self._turn_model
        assert model is not None
        try:
            probability = await self._turn_worker.call(model.probability, audio)
        except EngineError as exc:
            log.warning("the turn model failed (%s); this turn ends after vad.max_silence_ms", exc)
            return
        if serial != self._pause_serial:
            return  # speech went on meanwhile
        # The reply waits for the transcript anyway, so reading it first costs no time.
        # Shielded: this check being cancelled must not cancel the work started at the pause.
        try:
            text = (await asyncio.shield(transcript))[0].text
        except (EngineError, UserError):
            text = ""
        except asyncio.CancelledError:
            if not transcript.cancelled():
                raise  # this check itself was cancelled
            return  # the speculation was dropped: speech went on
        if serial != self._pause_serial:
            return
        verdict = pause_verdict(probability, self.config.vad.turn_threshold, text)
        log.debug("turn model p=%.2f on %r: %s", probability, text, verdict)
        if verdict == "end":
            self._end_turn(detector.end_at_pause(time.monotonic()))
        elif verdict == "end-at-silence":
            # Ended by the silence of vad.min_silence_ms, counted by the detector frame by frame.
            self._end_at_silence = serial
            if detector.silent_ms >= self.config.vad.min_silence_ms:
                self._end_turn(detector.end_at_pause(time.monotonic(), "silence"))

    def _end_turn(self, end: TurnEnd | None) -> None:
        if end is not None:
            self._pause_serial += 1
            self.quiet.set()
            self._emit_utterance(end)
            self._on_progress()

    def _drop_partial(self, detector: TurnDetector, frames_of: FrameSplitter) -> None:
        if detector.speaking:
            log.debug("microphone went deaf mid-turn; the partial turn is dropped")
        self._pause_serial += 1
        self._barge_in = False
        detector.reset()
        frames_of.reset()
        self.quiet.set()

    def _emit_utterance(self, end: TurnEnd) -> None:
        utterance = Utterance(
            id=next(self._ids),
            audio=end.audio,
            sample_rate=16000,
            speech_start=end.speech_start,
            speech_end=end.speech_end,
            detected_at=end.detected_at,
            reason=end.reason,
            barge_in=self._barge_in and end.reason != "ptt",
        )
        self._barge_in = False
        self.utterance_count += 1
        log.debug("utterance %d: %.2f s (%s)", utterance.id, utterance.duration_s, utterance.reason)
        self._publish(utterance)
        self._utterances.put_nowait(utterance)
