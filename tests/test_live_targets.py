"""The live pipeline does not speak a translation that came back in another language."""

from __future__ import annotations

import asyncio

from live_support import DATA, async_test, live_config, require_models, running, translate_model

from voiceslm.audio.capture import RecordingInput
from voiceslm.audio.io import load_audio
from voiceslm.audio.playback import FileOutput
from voiceslm.engines import targets
from voiceslm.pipeline.events import PlaybackStarted, ReplySentence, ReplyText
from voiceslm.pipeline.session import LiveSession


@async_test
async def test_english_handed_back_for_arabic_is_not_spoken(live_engines):
    require_models("whisper-tiny.en", translate_model())
    config = live_config(**{"lm.translate_model": translate_model(), "live.mode": "translate"})
    recording = RecordingInput(block_ms=config.audio.block_ms)
    pipeline = LiveSession(
        config, engines=live_engines, audio_in=recording, audio_out=FileOutput(None), mode="translate",
        source="en", target="ar",
    )  # fmt: skip
    async with running(pipeline, timeout=120) as events:
        await recording.play(load_audio(DATA / "en_cheetah_platforms.wav"))
        final = await events.wait_for(ReplyText, 120, where=lambda e: e.final)
        await asyncio.sleep(1.0)
    spoken = events.of(ReplySentence)
    if targets.wrong_language(final.text, "", None, "ar"):
        assert spoken == [] and events.of(PlaybackStarted) == [], final.text
    else:  # a model that does write Arabic is spoken as usual
        assert spoken, final.text
