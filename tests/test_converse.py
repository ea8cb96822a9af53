"""Two-way conversation and voice commands on the real audio path (PulseAudio virtual devices)."""

from __future__ import annotations

import asyncio
import signal
import subprocess

import numpy as np
import pytest
from live_support import DATA, async_test, live_config, read_raw, require_models, running, translate_model

from voiceslm.errors import UserError
from voiceslm.pipeline.events import (
    ModeChanged,
    PlaybackStarted,
    PlaybackStopped,
    ReplyText,
    TranscriptReady,
    UtteranceStats,
    VoiceCommandHeard,
)
from voiceslm.pipeline.session import LiveSession

pytestmark = pytest.mark.audio

DEVICES = {"audio.input_device": "vmic", "audio.output_device": "vspeaker"}


def pipeline_for(live_engines, **overrides) -> LiveSession:
    config = live_config(**{**DEVICES, "lm.translate_model": translate_model(), **overrides})
    return LiveSession(config, engines=live_engines)


async def speak_into_mic(pulse, clip) -> None:
    process: subprocess.Popen = pulse.play(clip)
    assert await asyncio.to_thread(process.wait, 30) == 0, "paplay failed"


@async_test
async def test_conversation_answers_each_side_in_the_other_language(pulse, live_engines, whisper_base, tmp_path):
    require_models(translate_model())
    pipeline = pipeline_for(
        live_engines, **{"live.mode": "converse", "translate.source": "en", "translate.target": "es"}
    )
    spoken_out = []
    async with running(pipeline) as events:
        for clip, said, reply_language in (
            ("en_cheetah_platforms.wav", "en", "es"),
            ("es_cheetah_homenaje.wav", "es", "en"),
        ):
            recording = tmp_path / f"{said}.raw"
            after = len(events.seen)
            recorder = pulse.record(recording)
            try:
                await speak_into_mic(pulse, DATA / clip)
                heard = await events.wait_for(TranscriptReady, 30, lambda e: bool(e.text), after=after)
                reply = await events.wait_for(ReplyText, 60, lambda e: e.final, after=after)
                turn = heard.utterance_id
                await events.wait_for(UtteranceStats, 60, lambda e, turn=turn: e.utterance_id == turn)
                await events.wait_for(PlaybackStopped, 30, lambda e, turn=turn: e.utterance_id == turn)
            finally:
                recorder.send_signal(signal.SIGINT)
                recorder.wait(10)
            assert heard.language == said, heard
            assert reply.language == reply_language and reply.text, reply
            spoken_out.append((reply_language, read_raw(recording)))
    for language, audio in spoken_out:
        assert np.abs(audio).max() > 0.05, "nothing was played"
        heard_back = whisper_base.transcribe(audio, languages=("en", "es"))
        assert heard_back.language == language, heard_back


def test_conversation_needs_two_languages(live_engines) -> None:
    config = live_config(**{"live.mode": "converse", "translate.source": "auto"})
    with pytest.raises(UserError, match="--langs en,es"):
        LiveSession(config, engines=live_engines)


@async_test
async def test_voice_commands_switch_mode_and_language_and_stop_playback(pulse, live_engines, tmp_path):
    """Spoken commands (synthesised by the real voice, spoken into the virtual mic) act before any model."""
    require_models(translate_model())
    from voiceslm.audio.io import write_wav

    voice = live_engines.voice("en")

    def say_file(text: str):
        audio = np.concatenate([c.samples for c in voice.synthesize(text)])
        path = tmp_path / f"{text.split()[0].lower()}.wav"
        write_wav(path, np.concatenate([np.zeros(4000, np.float32), audio]), voice.sample_rate)
        return path

    switch_to_german = say_file("Switch to German.")
    assistant_mode = say_file("Assistant mode.")
    stop = say_file("Stop.")
    # Echo "none" keeps the microphone live during playback, as with headphones,
    # so "stop" can be heard while the pipeline speaks.
    pipeline = pipeline_for(
        live_engines,
        **{"live.mode": "translate", "translate.source": "en", "translate.target": "es", "echo.mode": "none"},
    )
    async with running(pipeline) as events:
        await speak_into_mic(pulse, switch_to_german)
        command = await events.wait_for(VoiceCommandHeard, 30)
        changed = await events.wait_for(ModeChanged, 60)
        assert (command.kind, command.language) == ("language", "de")
        assert (changed.mode, changed.target) == ("translate", "de")
        assert not events.of(ReplyText), "a voice command must not reach the language model"

        await pipeline.say(
            "Dies ist ein langer Satz, der vorgelesen wird. Er hat mehrere Teile, damit er lange dauert. "
            "Und noch ein Satz, damit genug Zeit bleibt.",
            "de",
        )
        started = await events.wait_for(PlaybackStarted, 30)
        after = len(events.seen)
        await speak_into_mic(pulse, stop)
        stopped = await events.wait_for(PlaybackStopped, 30, lambda e: e.at >= started.at, after=after)
        assert stopped.interrupted
        await events.wait_for(VoiceCommandHeard, 30, lambda e: e.kind == "stop", after=after)
        assert not events.of(ReplyText), "'stop' must not be translated"

        after = len(events.seen)
        await speak_into_mic(pulse, assistant_mode)
        await events.wait_for(VoiceCommandHeard, 30, lambda e: e.kind == "mode", after=after)
        changed = await events.wait_for(ModeChanged, 120, after=after)
        assert changed.mode == "assist"
    assert pipeline.status()["state"] == "stopped"
