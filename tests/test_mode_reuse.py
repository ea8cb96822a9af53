"""A mode switch reuses the engines already loaded: counted by the engine registry, not by timing."""

from __future__ import annotations

from live_support import async_test, live_config, require_models, running, translate_model

from voiceslm.audio.capture import RecordingInput
from voiceslm.audio.playback import FileOutput
from voiceslm.engines.registry import Engines
from voiceslm.pipeline.session import LiveSession


@async_test
async def test_switching_back_and_forth_loads_each_model_once():
    require_models("whisper-tiny.en", translate_model())
    config = live_config(**{"lm.translate_model": translate_model(), "live.mode": "translate"})
    engines = Engines(config)
    try:
        recording = RecordingInput(block_ms=config.audio.block_ms)
        pipeline = LiveSession(
            config, engines=engines, audio_in=recording, audio_out=FileOutput(None), mode="translate",
            source="en", target="es",
        )  # fmt: skip
        async with running(pipeline, timeout=120):
            first = dict(engines.loads)
            stt = engines.stt("en")
            assert first, "the start loaded nothing"
            await pipeline.set_mode("assist")
            await pipeline.set_mode("translate", "en", "es")
            after_one = dict(engines.loads)
            for _ in range(5):
                await pipeline.set_mode("assist")
                await pipeline.set_mode("transcribe")
                await pipeline.set_mode("translate", "en", "es")
            assert pipeline.status()["mode"] == "translate"
        # What the first round needed anew (the assist model, the English voice) loaded once;
        # five more rounds loaded nothing, and nothing loaded twice.
        assert dict(engines.loads) == after_one
        assert all(count == 1 for count in engines.loads.values()), engines.loads
        assert set(first) <= set(after_one)
        assert engines.stt("en") is stt
    finally:
        engines.close()
