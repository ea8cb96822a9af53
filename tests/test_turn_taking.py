"""Turn-taking and cancelling in the live session, with scripted engines (no model loaded).

The session, its channels, the listener, the transcriber and the reply all run
for real on a recording input and a file output paced in real time; only the
engines are fakes (tests/fake_engines.py) that script what is heard, said and
how long it takes. The same behaviour with the real models is in test_live.py
and test_live_audio.py.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import numpy as np
import pytest
from fake_engines import FakeEngines, ScriptedLm, ScriptedStt, silence, tone
from live_support import async_test, live_config, running

from voiceslm.audio.capture import AudioInput, Deliver, Publish, RecordingInput
from voiceslm.audio.playback import FileOutput
from voiceslm.engines.worker import EngineError, EngineWorker
from voiceslm.errors import UserError
from voiceslm.pipeline.echo_guard import EchoGuard
from voiceslm.pipeline.events import (
    AudioBlock,
    Cancel,
    PlaybackStarted,
    PlaybackStopped,
    ReplyText,
    SpeechStarted,
    TranscriptReady,
    Utterance,
    UtteranceStats,
)
from voiceslm.pipeline.reply import Phase, Playback, Reply, ReplyContext
from voiceslm.pipeline.requests import Request
from voiceslm.pipeline.session import LiveSession

LONG_REPLY = "Una respuesta larga. " * 6


def session(engines: FakeEngines, audio_in: AudioInput | None = None, **overrides) -> LiveSession:
    settings = {"translate.source": "en", "translate.target": "es", "live.mode": "translate", **overrides}
    config = live_config(**settings)
    return LiveSession(
        config,
        engines=engines,
        audio_in=audio_in or RecordingInput(block_ms=config.audio.block_ms),
        audio_out=FileOutput(None),
    )


@async_test
async def test_a_turn_is_heard_translated_and_played_to_the_end():
    engines = FakeEngines()
    live = session(engines)
    recording = live.input
    assert isinstance(recording, RecordingInput)
    async with running(live) as events:
        await recording.play(tone(1.0))
        stats = await events.wait_for(UtteranceStats, 20)
    utterance = events.of(Utterance)[0]
    assert utterance.reason == "silence"
    assert events.of(TranscriptReady)[0].text == "go forward ten meters"
    final = events.of(ReplyText, final=True)[0]
    assert final.text == "Avanza diez metros. Y luego para." and final.language == "es"
    stopped = events.of(PlaybackStopped)[0]
    assert not stopped.interrupted and not stats.interrupted
    assert 0 < stats.to_transcript < stats.to_first_token <= stats.to_first_sentence <= stats.to_first_audio
    assert events.of(Cancel) == []
    # The pause before the end of the turn was transcribed once, and that transcript kept.
    assert engines.stt_engine.calls == 1 + 1  # warm-up, then the turn


@async_test
async def test_speech_during_playback_barges_in_and_cuts_the_reply(monkeypatch: pytest.MonkeyPatch):
    recancelled: list[tuple[threading.Thread, float]] = []
    recancel = EchoGuard.recancel

    def watched(guard: EchoGuard, audio: np.ndarray, speech_start: float, speech_end: float) -> np.ndarray:
        recancelled.append((threading.current_thread(), speech_start))
        return recancel(guard, audio, speech_start, speech_end)

    monkeypatch.setattr(EchoGuard, "recancel", watched)
    engines = FakeEngines(lm_engine=ScriptedLm(LONG_REPLY))
    live = session(engines, **{"echo.mode": "none"})
    recording = live.input
    assert isinstance(recording, RecordingInput)
    async with running(live) as events:
        await recording.play(tone(0.8))
        started = await events.wait_for(PlaybackStarted, 20)
        recording.queue(silence(0.3))
        await recording.play(tone(0.5))
        cancel = await events.wait_for(Cancel, 10)
        stopped = await events.wait_for(PlaybackStopped, 10)
        barge = events.of(SpeechStarted, during_playback=True)[0]
        status = live.status()
        interrupting = await events.wait_for(Utterance, 10, where=lambda u: u.speech_start == barge.at)
    assert cancel.reason == "barge-in" and cancel.speech_at == barge.at
    assert stopped.utterance_id == started.utterance_id and stopped.interrupted
    assert status["barge_ins"] == 1
    # Transcribed in Whisper's full window; the turn before it was not a barge-in.
    assert interrupting.barge_in and not events.of(Utterance)[0].barge_in
    # Its echo was cancelled again before decoding, in the recogniser's thread: the event loop never waits on it.
    assert recancelled and {at for _, at in recancelled} == {barge.at}
    assert threading.main_thread() not in {thread for thread, _ in recancelled}


@async_test
async def test_stop_speaking_cuts_the_reply_and_drops_what_waits():
    engines = FakeEngines()
    live = session(engines, **{"live.mode": "transcribe"})
    async with running(live) as events:
        first = await live.say(LONG_REPLY, "es")
        second = await live.say("Y esto no se dice.", "es")
        await events.wait_for(PlaybackStarted, 10, lambda e: e.utterance_id == first)
        live.stop_speaking()
        stopped = await events.wait_for(PlaybackStopped, 10)
        await asyncio.sleep(0)  # the control task has run: nothing else is queued
        assert live.status()["state"] in ("listening", "thinking")
        third = await live.say("Hola.", "es")
        await events.wait_for(PlaybackStopped, 10, lambda e: e.utterance_id == third)
    assert stopped.utterance_id == first and stopped.interrupted
    assert [c.reason for c in events.of(Cancel)] == ["stop"]
    assert events.of(PlaybackStarted, utterance_id=second) == []


@async_test
async def test_a_model_fault_fails_one_reply_and_the_next_is_answered(caplog: pytest.LogCaptureFixture):
    engines = FakeEngines(lm_engine=ScriptedLm("Uno dos tres.", fail_after=1))
    live = session(engines)
    recording = live.input
    assert isinstance(recording, RecordingInput)
    with caplog.at_level(logging.ERROR, logger="voiceslm"):
        async with running(live) as events:
            engines.lm_engine.fail_after = 1  # re-armed: warm-up used the first fault up
            await recording.play(tone(0.8))
            failed = await events.wait_for(UtteranceStats, 20)
            recording.queue(silence(0.5))
            await recording.play(tone(0.8))
            answered = await events.wait_for(ReplyText, 20, lambda e: e.final)
            await events.wait_for(UtteranceStats, 20, lambda e: e.utterance_id == answered.utterance_id)
    assert failed.interrupted and answered.utterance_id != failed.utterance_id
    assert answered.text == "Uno dos tres."
    assert "scripted model fault" in caplog.text
    assert events.of(Cancel) == []  # a failure is not a cancel


class StallingInput(AudioInput):
    """Delivers what it is given, then nothing at all: a device that stalled."""

    def __init__(self) -> None:
        super().__init__()
        self.name = "stalling"
        self.blocks: asyncio.Queue[AudioBlock] = asyncio.Queue()

    async def run(self, deliver: Deliver, publish: Publish) -> None:
        self.started.set()
        while True:
            deliver(await self.blocks.get())


@async_test
async def test_a_push_to_talk_release_ends_the_turn_when_the_device_stalls():
    engines = FakeEngines()
    stalling = StallingInput()
    live = session(engines, stalling, **{"live.mode": "transcribe"})
    async with running(live) as events:
        live.ptt_start()
        await events.wait_for(SpeechStarted, 5)
        start = time.monotonic()
        samples = tone(0.6)
        block = 512
        for i in range(0, samples.size, block):
            # Stamped a little in the past, so no block ends after the release.
            stalling.blocks.put_nowait(AudioBlock(samples[i : i + block], 16000, time.monotonic() - 0.1))
            await asyncio.sleep(block / 16000)
        live.ptt_stop()  # and no block ever comes after it
        utterance = await events.wait_for(Utterance, 5)
        heard = await events.wait_for(TranscriptReady, 5)
    assert utterance.reason == "ptt" and utterance.duration_s > 0.3
    assert heard.text == "go forward ten meters"
    assert time.monotonic() - start < 3


@async_test
async def test_a_mode_change_cuts_the_reply_with_one_cancel():
    engines = FakeEngines()
    live = session(engines, **{"live.mode": "transcribe"})
    async with running(live) as events:
        said = await live.say(LONG_REPLY, "es")
        await events.wait_for(PlaybackStarted, 10, lambda e: e.utterance_id == said)
        await live.set_mode("assist")
        stopped = await events.wait_for(PlaybackStopped, 10)
    assert stopped.interrupted
    assert [c.reason for c in events.of(Cancel)] == ["mode"]
    assert live.status()["mode"] == "assist"


@async_test
async def test_the_reply_phases_end_in_drained_or_cut():
    output = FileOutput(None)
    published: list[object] = []
    playing = asyncio.Event()

    def publish(event: object) -> None:
        published.append(event)
        if isinstance(event, PlaybackStarted):
            playing.set()

    engines = FakeEngines()
    workers = EngineWorker("lm"), EngineWorker("tts")
    quiet = asyncio.Event()
    quiet.set()
    ctx = ReplyContext(engines, workers[0], workers[1], output, Playback(), publish, quiet, lambda i, t: None)
    output.buffer.notify = lambda notice: asyncio.get_running_loop().call_soon_threadsafe(reply.on_notice, notice)
    player = asyncio.ensure_future(output.run(published.append))
    try:
        reply = Reply(Request(1, "Hola a todos.", "es", "say", "es"), ctx)
        assert reply.phase is Phase.QUEUED
        await asyncio.wait_for(reply.run(), 10)
        assert reply.phase is Phase.DRAINED
        reply = Reply(Request(2, LONG_REPLY, "es", "say", "es"), ctx)
        running_reply = asyncio.ensure_future(reply.run())
        playing.clear()
        await asyncio.wait_for(playing.wait(), 5)
        assert reply.phase is Phase.SPEAKING
        assert reply.cut("stop") and not reply.cut("stop")  # only the first cut counts
        await asyncio.wait_for(running_reply, 5)
        assert reply.phase is Phase.CUT
    finally:
        player.cancel()
        for worker in workers:
            worker.shutdown(wait=False)
    assert [type(e).__name__ for e in published if isinstance(e, Cancel)] == ["Cancel"]


def test_the_stt_fake_hears_only_sound():
    stt = ScriptedStt("hello")
    assert stt.transcribe(silence(0.5)).text == ""
    assert stt.transcribe(tone(0.5)).text == "hello"


@async_test
async def test_a_cancelled_stream_frees_its_worker_even_when_nobody_reads_it():
    worker = EngineWorker("lm")
    cancel = threading.Event()
    try:
        stream = worker.stream(lambda: iter(range(1000)), cancel, maxsize=2)
        async for item in stream:
            assert item == 0
            break  # the reader is gone, its queue full
        cancel.set()
        assert await asyncio.wait_for(worker.call(lambda: 42), 2) == 42
    finally:
        worker.shutdown(wait=False)


@async_test
async def test_an_engine_fault_comes_back_as_an_engine_error():
    worker = EngineWorker("stt")

    def broken() -> None:
        raise RuntimeError("scripted fault")

    try:
        with pytest.raises(EngineError, match="RuntimeError: scripted fault"):
            await worker.call(broken)
        with pytest.raises(UserError, match="bad input"):
            await worker.call(lambda: (_ for _ in ()).throw(UserError("bad input")))
    finally:
        worker.shutdown(wait=False)
