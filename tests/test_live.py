"""The live pipeline with recordings in and WAV files out (no sound card), its controller API and its CLI."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from live_support import DATA, async_test, live_config, require_models, running, translate_model

from voiceslm.audio.capture import RecordingInput
from voiceslm.audio.io import load_audio
from voiceslm.audio.playback import FileOutput
from voiceslm.errors import UserError
from voiceslm.pipeline.channels import DropOldestQueue
from voiceslm.pipeline.events import (
    Cancel,
    ModeChanged,
    PlaybackStarted,
    PlaybackStopped,
    ReplyText,
    SpeechStarted,
    TranscriptReady,
    Utterance,
    UtteranceStats,
)
from voiceslm.pipeline.session import LiveSession

VOICESLM = [sys.executable, "-m", "voiceslm"]


def voiceslm(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*VOICESLM, *args], capture_output=True, text=True, timeout=timeout)


def file_pipeline(live_engines, *, push_to_talk: bool = False, **overrides) -> tuple[LiveSession, RecordingInput]:
    """A pipeline hearing a never-ending recording input (silence until a clip is played)."""
    config = live_config(**{"lm.translate_model": translate_model(), **overrides})
    recording = RecordingInput(block_ms=config.audio.block_ms)
    pipeline = LiveSession(
        config, engines=live_engines, audio_in=recording, audio_out=FileOutput(None), push_to_talk=push_to_talk
    )
    return pipeline, recording


def test_run_translates_a_recording_into_a_wav(tmp_path: Path, whisper_base):
    require_models("whisper-tiny.en", translate_model())
    out = tmp_path / "reply.wav"
    result = voiceslm(
        "--set",
        f"lm.translate_model={translate_model()}",
        "run",
        "--mode",
        "translate",
        "--from",
        "en",
        "--to",
        "es",
        "--input",
        str(DATA / "en_cheetah_platforms.wav"),
        "--output",
        str(out),
        "--json",
        "--stats",
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    heard = [e for e in events if e["event"] == "TranscriptReady"]
    assert len(heard) == 1 and "platform" in heard[0]["text"].lower()
    stats = [e for e in events if e["event"] == "UtteranceStats"][0]
    assert stats["to_transcript"] > 0 and stats["to_first_audio"] > stats["to_transcript"]
    # The WAV holds the whole session: as long as the input, the reply in it is Spanish.
    audio = load_audio(out)
    assert audio.size / 16000 > load_audio(DATA / "en_cheetah_platforms.wav").size / 16000
    assert whisper_base.transcribe(audio).language == "es"


@async_test
async def test_controller_say_stop_mute_and_mode(live_engines):
    pipeline, recording = file_pipeline(live_engines, **{"live.mode": "transcribe"})
    speech = load_audio(DATA / "en_pocketsphinx_goforward.wav")
    async with running(pipeline) as events:
        status = pipeline.status()
        assert status["state"] == "listening" and status["mode"] == "transcribe" and status["ready"]
        # say() speaks; stop_speaking() cuts it.
        await pipeline.say("Hola a todos. Esta frase es bastante larga para cortarla a la mitad.", "es")
        started = await events.wait_for(PlaybackStarted, 20)
        pipeline.stop_speaking()
        stopped = await events.wait_for(PlaybackStopped, 10)
        assert stopped.interrupted and stopped.at >= started.at
        assert events.of(Cancel, reason="stop")
        # Muted, speech is not heard; unmuted, it is.
        pipeline.mute()
        await asyncio.sleep(0.1)
        await recording.play(speech)
        await asyncio.sleep(1.0)
        assert events.of(Utterance) == []
        pipeline.unmute()
        await asyncio.sleep(0.1)
        await recording.play(speech)
        heard = await events.wait_for(TranscriptReady, 30, lambda e: bool(e.text))
        assert "forward" in heard.text.lower()
        await events.wait_for(UtteranceStats, 10, lambda e: e.utterance_id == heard.utterance_id)
        # Modes: bad requests are refused in one sentence, good ones announced.
        with pytest.raises(UserError, match="not one of"):
            await pipeline.set_mode("sing")  # type: ignore[arg-type]
        with pytest.raises(UserError, match="both 'en'"):
            await pipeline.set_mode("translate", "en", "en")
        with pytest.raises(UserError, match="two-letter"):
            await pipeline.say("hello", "english")
    assert pipeline.status()["state"] == "stopped"


@async_test
async def test_push_to_talk_hears_only_between_start_and_stop(live_engines):
    pipeline, recording = file_pipeline(live_engines, push_to_talk=True, **{"live.mode": "transcribe"})
    ignored = load_audio(DATA / "en_cheetah_platforms.wav")
    wanted = load_audio(DATA / "en_pocketsphinx_goforward.wav")
    async with running(pipeline) as events:
        await recording.play(ignored)  # key up
        await asyncio.sleep(1.0)
        pipeline.ptt_start()
        await events.wait_for(SpeechStarted, 5)  # the press has reached the listener
        await recording.play(wanted)
        pipeline.ptt_stop()
        heard = await events.wait_for(TranscriptReady, 30)
        await asyncio.sleep(0.5)
    assert len(events.of(Utterance)) == 1
    assert "forward" in heard.text.lower() and "platform" not in heard.text.lower()
    assert events.of(Utterance)[0].reason == "ptt"


@async_test
async def test_mode_switch_loads_what_it_needs_and_is_announced(live_engines):
    require_models(translate_model())
    pipeline, _ = file_pipeline(live_engines, **{"live.mode": "transcribe"})
    async with running(pipeline) as events:
        await pipeline.set_mode("translate", "en", "es")
        changed = await events.wait_for(ModeChanged, 5)
    assert (changed.mode, changed.source, changed.target) == ("translate", "en", "es")
    assert pipeline.status()["mode"] == "translate"


def test_drop_oldest_queue_counts_what_it_drops():
    queue: DropOldestQueue[int] = DropOldestQueue(2)
    for item in range(5):
        queue.put_nowait(item)
    assert queue.dropped == 3
    assert queue.clear() == [3, 4]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "--input", "/nonexistent/clip.wav"], "does not exist"),
        (["--set", "vad.speculate_ms=900", "run"], "vad.speculate_ms"),
        (["--set", "echo.mode=loud", "run"], "echo.mode"),
        (["bench", "--manifest", "/nonexistent/clips.tsv"], "does not exist"),
        (["bench", "--manifest", str(DATA)], "is a folder, not a file"),
        (["bench", "--max-seconds", "0"], "--max-seconds must be above 0"),
        (["bench", "--max-seconds", "0.5"], "raise --max-seconds"),
        (["ptt", "--input", str(DATA / "en_cheetah_platforms.wav")], "ptt listens to a microphone"),
    ],
)
def test_bad_input_ends_in_one_sentence(args: list[str], needle: str):
    result = voiceslm(*args, timeout=60)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_ptt_needs_a_terminal():
    result = subprocess.run([*VOICESLM, "ptt"], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    assert "terminal" in result.stderr and result.stderr.count("\n") == 1


def test_bench_reports_latency_per_clip_and_percentiles():
    require_models("whisper-tiny.en", translate_model())
    result = voiceslm(
        "--set", f"lm.translate_model={translate_model()}", "bench", "--max-seconds", "3", "--limit", "1", "--json"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    clip = report["clips"][0]
    assert load_audio(DATA / clip["clip"]).size / 16000 <= 3.0, clip["clip"]  # only short clips were played
    assert clip["error"] == "" and clip["transcript"]
    assert 0 < clip["speech_to_transcript_s"] < clip["speech_to_first_audio_s"]
    assert 0 < clip["endpoint_s"] <= clip["speech_to_transcript_s"] + 0.05
    assert clip["speech_to_first_token_s"] <= clip["speech_to_first_sentence_s"] <= clip["speech_to_first_audio_s"]
    assert clip["first_to_last_audio_s"] > 0 and clip["peak_rss_mb"] > 0 and clip["cpu_s"] > 0
    assert report["summary"]["speech_to_first_audio_s"]["p50"] == clip["speech_to_first_audio_s"]
    assert "cores" in report["machine"]


class _FailsOnceEngines:
    """The real engine set, except that the first translation fails inside the model.

    Scripts a fault's timing only: everything else, including the second
    translation, runs the real models.
    """

    def __init__(self, engines) -> None:
        self._engines = engines
        self.failed = True  # armed by the test once start-up's warm-up is done

    def __getattr__(self, name):
        return getattr(self._engines, name)

    def lm(self, role):
        model = self._engines.lm(role)
        if self.failed:
            return model
        self.failed = True
        return _FailingModel(model)


class _FailingModel:
    def __init__(self, model) -> None:
        self._model = model

    def translate(self, *args, **kwargs):
        yield next(iter(self._model.translate(*args, **kwargs)))
        raise RuntimeError("simulated model fault")


@async_test
async def test_a_failing_reply_is_logged_and_the_pipeline_carries_on(live_engines):
    require_models(translate_model())
    engines = _FailsOnceEngines(live_engines)
    config = live_config(**{"lm.translate_model": translate_model(), "translate.source": "en"})
    recording = RecordingInput(block_ms=config.audio.block_ms)
    pipeline = LiveSession(config, engines=engines, audio_in=recording, audio_out=FileOutput(None))
    speech = load_audio(DATA / "en_pocketsphinx_goforward.wav")
    async with running(pipeline) as events:
        engines.failed = False  # armed: the next translation fails
        await recording.play(speech)
        first = await events.wait_for(TranscriptReady, 30, lambda e: bool(e.text))
        await asyncio.sleep(1.0)
        after = len(events.seen)
        await recording.play(speech)
        second = await events.wait_for(TranscriptReady, 30, lambda e: bool(e.text), after=after)
        reply = await events.wait_for(ReplyText, 60, lambda e: e.final and e.utterance_id == second.utterance_id)
        assert pipeline.status()["state"] != "stopped"
    assert engines.failed and first.utterance_id != second.utterance_id
    assert reply.text and reply.language == "es"
