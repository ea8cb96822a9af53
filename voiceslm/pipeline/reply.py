"""One reply: generate -> sentences -> voice -> speaker, and the one way to cut it short.

A `Reply` owns everything it starts (the language-model stream, the synthesis
task) and moves through one phase at a time:

    QUEUED -> GENERATING -> SPEAKING -> DRAINED      (played to the end)
                                     -> CUT          (barge-in, push-to-talk, stop, mode, shutdown)
                                     -> FAILED       (a model or the user's input failed it)

`cut()` is the only code that cancels a reply: it stops generation and
synthesis (they check a `threading.Event` between tokens and sentences),
flushes what waits in the output buffer, reports the playback as interrupted
and ends the turn's stats. `run()` catches only the errors a user or a model
can cause (`UserError`, `EngineError`); anything else is a fault in the
pipeline itself and fails its task group loudly.
"""

from __future__ import annotations

import asyncio
import collections
import enum
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from voiceslm.audio.playback import AudioOutput, OutputNotice
from voiceslm.config import Config
from voiceslm.engines.registry import EngineSet
from voiceslm.engines.tts import TextToSpeech
from voiceslm.engines.worker import EngineError, EngineWorker
from voiceslm.errors import UserError
from voiceslm.pipeline.events import (
    BackTranslation,
    Cancel,
    CancelReason,
    Event,
    PlaybackStarted,
    PlaybackStopped,
    ReplySentence,
    ReplyText,
)
from voiceslm.pipeline.requests import Generation, Request, TurnTimes

if TYPE_CHECKING:
    from voiceslm.assistant.turns import Assistant

log = logging.getLogger(__name__)

SENTENCE_BACKLOG = 32
"""Sentences generated ahead of the voice; past this the language model waits."""


class Phase(enum.Enum):
    QUEUED = "queued"
    GENERATING = "generating"
    SPEAKING = "speaking"
    DRAINED = "drained"
    CUT = "cut"
    FAILED = "failed"

    @property
    def over(self) -> bool:
        return self in (Phase.DRAINED, Phase.CUT, Phase.FAILED)


@dataclass
class Playback:
    """What the speaker is doing, shared by the replies and the listener's echo guard."""

    speaking: bool = False
    played_s: float = 0.0
    """Seconds of reply audio played so far (the echo canceller adapts on it)."""
    started_at: float = 0.0
    """Monotonic seconds when the reply playing now (or last) began to be heard."""


@dataclass
class ReplyContext:
    """What every reply of one session shares."""

    engines: EngineSet
    lm: EngineWorker
    tts: EngineWorker
    output: AudioOutput
    playback: Playback
    publish: Callable[[Event], None]
    user_quiet: asyncio.Event
    """Set while the user is not speaking: a reply waits for it before it talks."""
    on_stats: Callable[[int, TurnTimes], None]
    history: collections.deque[tuple[str, str]] = field(default_factory=lambda: collections.deque(maxlen=1))
    counts: collections.Counter[str] = field(default_factory=collections.Counter)
    last_reply: tuple[str, str] | None = None
    """(text, language) of the last reply that said something."""
    assistant: Assistant | None = None
    """Tools, the safety policy and the answer cap in front of the assist model."""
    config: Config | None = None
    """For the assist path's documents and `live.back_translation`."""


def start_generation(ctx: ReplyContext, request: Request, cancel: threading.Event) -> Generation:
    """Start the language model on `request` in its worker thread; the pieces wait in a bounded stream."""
    history = tuple(ctx.history)
    engines = ctx.engines
    assistant = ctx.assistant

    def produce() -> Iterator[str]:
        if request.kind == "assist" and assistant is not None:
            from voiceslm.assistant.documents import voice_answer  # "what does the report say about ..."

            # Tools and declined requests go straight to the assistant; a question about
            # the documents is answered from them; anything else by the model, looked up
            # (and loaded) only then.
            documents = None
            if ctx.config is not None and assistant.needs_model(request.text, request.language):
                documents = voice_answer(ctx.config, engines, request.text, cancel)
            return documents or assistant.respond(
                request.text, request.language, history, lambda: engines.lm("assist"), cancel
            )
        model = engines.lm("assist" if request.kind == "assist" else "translate")
        if request.kind == "assist":
            return model.answer(request.text, history, cancel=cancel)
        return model.translate(request.text, request.language, request.target, cancel=cancel)

    return Generation(ctx.lm.stream(produce, cancel), cancel)


class Reply:
    """One turn's reply, from its first token to its last sample played (or its cut)."""

    def __init__(self, request: Request, ctx: ReplyContext) -> None:
        self.request = request
        self.ctx = ctx
        self.phase = Phase.QUEUED
        self.cancel = request.started.cancel if request.started is not None else threading.Event()
        self._work: asyncio.Task[None] | None = None
        self._over = asyncio.Event()
        self._pushed_any = False
        self._pushed_all = False
        self._playing = False
        self._play_started_at = 0.0
        self._parts: list[str] = []
        self._checked: str | None = None
        """Why the translation is not in its target language ("" if it is), once its first sentence is in."""

    @property
    def id(self) -> int:
        return self.request.id

    async def run(self) -> None:
        """Generate and speak until drained or cut; a user's or a model's error ends it as FAILED."""
        self.phase = Phase.GENERATING
        self._work = asyncio.ensure_future(self._generate_and_speak())
        try:
            await asyncio.wait([self._work])
        except asyncio.CancelledError:
            self._work.cancel()
            raise
        if self._work.cancelled():
            return  # cut() cancelled it
        error = self._work.exception()
        if error is None:
            return
        errors = error.exceptions if isinstance(error, BaseExceptionGroup) else (error,)
        if not all(isinstance(e, UserError | EngineError) for e in errors):
            raise error
        for e in errors:
            if isinstance(e, UserError):
                log.warning("reply %d: %s", self.id, e)
            else:
                log.error("reply %d failed: %s", self.id, e, exc_info=e.__cause__)
        self.cut(None)

    def cut(self, reason: CancelReason | None, speech_at: float | None = None) -> bool:
        """Stop this reply now; `reason` None: it failed. False if it was already over."""
        if self.phase.over:
            return False
        now = time.monotonic()
        self.cancel.set()
        dropped = self.ctx.output.buffer.flush()
        if self._work is not None and not self._work.done():
            self._work.cancel()
        if reason is not None:
            if reason == "barge-in":
                self.ctx.counts["barge-in"] += 1
            log.info("%s: reply %d cut (%.1f s of audio dropped)", reason, self.id, dropped)
            self.ctx.publish(Cancel(reason, now, speech_at))
        if self.request.times is not None:
            self.request.times.interrupted = True
        self._stop_playing(now, now + self.ctx.output.latency, interrupted=True)
        self._finish(Phase.CUT if reason is not None else Phase.FAILED)
        return True

    def on_notice(self, notice: OutputNotice) -> None:
        """The output started playing this reply's audio, or ran dry."""
        if notice.tag != self.id or self.cancel.is_set() or self.phase.over:
            return
        if notice.kind == "started":
            if self._playing:
                return
            self._playing = True
            self._play_started_at = notice.at
            self.ctx.playback.started_at = notice.at
            self.phase = Phase.SPEAKING
            self.ctx.playback.speaking = True
            times = self.request.times
            if times is not None and times.first_audio_at is None:
                times.first_audio_at = notice.at
            self.ctx.publish(PlaybackStarted(self.id, notice.at))
        elif self._pushed_all and self.ctx.output.buffer.queued_s == 0:
            self._stop_playing(notice.at, notice.at, interrupted=False)
            self._finish(Phase.DRAINED)

    # The work ------------------------------------------------------------------

    async def _generate_and_speak(self) -> None:
        sentences: asyncio.Queue[str | None] = asyncio.Queue(SENTENCE_BACKLOG)
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._speak(sentences), name=f"speak-{self.id}")
            await self._generate(sentences)

    async def _generate(self, sentences: asyncio.Queue[str | None]) -> None:
        """Stream the reply's text, cutting it into sentences as it comes."""
        from voiceslm.text import SentenceSplitter

        request = self.request
        splitter = SentenceSplitter()
        if request.kind == "say":
            for sentence in splitter.feed(request.text) + splitter.flush():
                await sentences.put(sentence)
            await sentences.put(None)
            self._parts.append(request.text)
            return
        self.ctx.counts["replies"] += 1
        generation = request.started or start_generation(self.ctx, request, self.cancel)
        times = request.times
        async for piece in generation.stream:
            if times is not None and times.first_token_at is None:
                times.first_token_at = time.monotonic()
            self._parts.append(piece)
            self.ctx.publish(ReplyText(request.id, piece, request.target))
            for sentence in splitter.feed(piece):
                await self._sentence_out(sentence, sentences)
        for sentence in splitter.flush():
            await self._sentence_out(sentence, sentences)
        await sentences.put(None)
        reply = "".join(self._parts).strip()
        self.ctx.publish(ReplyText(request.id, reply, request.target, final=True))
        if reply:
            self.ctx.last_reply = (reply, request.target)
        config = self.ctx.config
        if reply and request.kind == "translate" and config is not None and config.live.back_translation:
            await self._back_translate(reply)
        if request.kind == "assist" and reply:
            self.ctx.history.append((request.text, reply))

    async def _back_translate(self, reply: str) -> None:
        """Publish the reply in the speaker's language (milliseconds with a dedicated engine)."""
        request = self.request
        router = self.ctx.engines.translation()

        def translate_back() -> tuple[str, str]:
            text = "".join(router.translate(reply, request.target, request.language)).strip()
            return text, router.route(request.target, request.language)

        try:
            text, route = await self.ctx.lm.call(translate_back)
        except (UserError, EngineError) as exc:  # the reply itself stands; only the check is missing
            log.warning("reply %d: no back-translation: %s", request.id, exc)
            return
        self.ctx.publish(BackTranslation(request.id, text, request.language, route))

    async def _sentence_out(self, sentence: str, sentences: asyncio.Queue[str | None]) -> None:
        if self._wrong_language(sentence):
            return
        times = self.request.times
        now = time.monotonic()
        if times is not None and times.first_sentence_at is None:
            times.first_sentence_at = now
        self.ctx.publish(ReplySentence(self.id, sentence, self.request.target, now))
        await sentences.put(sentence)

    def _wrong_language(self, sentence: str) -> bool:
        """Whether a translation's first sentence showed it is in another language (then none is spoken)."""
        request = self.request
        if request.kind != "translate":
            return False
        if self._checked is None:
            from voiceslm.engines.targets import wrong_language

            if sum(c.isalpha() for c in sentence) < 8:
                return False  # too little to judge: spoken, and the next sentence decides

            self._checked = wrong_language(sentence, "", None, request.target) or ""
            if self._checked:
                log.warning(
                    "reply %d: the translation into %s came back in another language (%s): not spoken",
                    request.id, request.target, self._checked,
                )  # fmt: skip
        return bool(self._checked)

    async def _speak(self, sentences: asyncio.Queue[str | None]) -> None:
        """Synthesise each sentence in the voice's worker thread and queue it for the speaker."""
        ctx = self.ctx
        times = self.request.times
        voice = await ctx.tts.call(ctx.engines.voice, self.request.target)
        out_rate = ctx.output.sample_rate
        while (sentence := await sentences.get()) is not None:
            started = time.perf_counter()
            try:
                chunks = await ctx.tts.call(_synthesize, voice, sentence, self.cancel, out_rate)
            except UserError as exc:
                log.info("reply %d: skipped a sentence with nothing to say (%s)", self.id, exc)
                continue
            if times is not None:
                times.synth_seconds += time.perf_counter() - started
                times.synth_audio_s += sum(c.size for c in chunks) / out_rate
            if self.cancel.is_set():
                return
            # Do not talk over the user: a reply waits until they pause.
            await ctx.user_quiet.wait()
            for samples in chunks:
                ctx.output.buffer.push(samples, self.id)
                self._pushed_any = self._pushed_any or samples.size > 0
        self._pushed_all = True
        if not self._pushed_any:
            self._finish(Phase.DRAINED)  # nothing to say (an empty reply): the turn ends here
            return
        await self._over.wait()

    # Endings --------------------------------------------------------------------

    def _stop_playing(self, at: float, audible_until: float, *, interrupted: bool) -> None:
        if not self._playing:
            return
        self._playing = False
        self.ctx.playback.speaking = False
        self.ctx.playback.played_s += max(0.0, audible_until - self._play_started_at)
        if self.request.times is not None:
            self.request.times.last_audio_at = audible_until
        self.ctx.publish(PlaybackStopped(self.id, at, audible_until, interrupted))

    def _finish(self, phase: Phase) -> None:
        if self.phase.over:
            return
        self.phase = phase
        if self.request.times is not None:
            self.ctx.on_stats(self.id, self.request.times)
        self._over.set()


def _synthesize(voice: TextToSpeech, sentence: str, cancel: threading.Event, out_rate: int) -> list[np.ndarray]:
    from voiceslm.audio.io import resample

    return [resample(chunk.samples, chunk.sample_rate, out_rate) for chunk in voice.synthesize(sentence, cancel=cancel)]
