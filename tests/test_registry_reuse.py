"""A reconfigured engine set keeps what did not change: counted by the registry's loads, on real models."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

from live_support import live_config, require_models, translate_model

from voiceslm.engines.registry import Engines

TINY = {"stt.model": "whisper-tiny.en", "stt.english_model": "whisper-tiny.en"}


def test_only_the_engine_whose_settings_changed_loads_again() -> None:
    lm = translate_model()
    require_models("whisper-tiny.en", lm)
    config = live_config(**TINY, **{"lm.translate_model": lm})
    engines = Engines(config)
    try:
        stt, model, voice = engines.stt("en"), engines.translate_lm(), engines.voice("es")
        first_vad, second_vad = engines.new_vad(), engines.new_vad()
        assert first_vad is not second_vad and first_vad._session is second_vad._session
        loads = dict(engines.loads)
        assert loads == {"stt:whisper-tiny.en": 1, f"lm:{lm}": 1, "voice:es": 1}
        engines.warmed.update({"stt:en", "lm:translate", "voice:es"})  # as a pipeline's load_models marks them

        # Turn-taking and mode settings are not any engine's: nothing closes, nothing loads.
        quiet = live_config(**TINY, **{"lm.translate_model": lm, "vad.min_silence_ms": 700, "live.mode": "assist"})
        assert engines.reconfigure(quiet) == []
        assert engines.stt("en") is stt and engines.translate_lm() is model and engines.voice("es") is voice
        assert dict(engines.loads) == loads
        assert engines.config is quiet
        assert engines.warmed == {"stt:en", "lm:translate", "voice:es"}  # the next pipeline warms nothing

        # A speech-to-text setting reloads speech-to-text alone.
        beam = dataclasses.replace(quiet, stt=dataclasses.replace(quiet.stt, beam_size=quiet.stt.beam_size + 1))
        assert engines.reconfigure(beam) == ["stt:whisper-tiny.en"]
        assert engines.stt("en") is not stt and engines.stt("en").transcribe is not None
        assert engines.translate_lm() is model and engines.voice("es") is voice
        assert dict(engines.loads) == {**loads, "stt:whisper-tiny.en": 2}
        assert engines.warmed == {"lm:translate", "voice:es"}  # speech-to-text is warmed again, alone
    finally:
        engines.close()


def test_a_model_file_replaced_on_disk_loads_again(tmp_path: Path) -> None:
    require_models("whisper-tiny.en")
    shared = live_config().model_store() / "whisper-tiny.en"
    store = tmp_path / "models"
    shutil.copytree(shared, store / "whisper-tiny.en")
    config = live_config(**TINY, **{"models.store": str(store)})
    engines = Engines(config)
    try:
        stt = engines.stt("en")
        assert engines.reconfigure(config) == []
        model_bin = store / "whisper-tiny.en" / "model.bin"
        stat = model_bin.stat()
        os.utime(model_bin, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # reinstalled, same bytes
        assert engines.reconfigure(config) == ["stt:whisper-tiny.en"]
        assert engines.stt("en") is not stt
        assert engines.loads["stt:whisper-tiny.en"] == 2
    finally:
        engines.close()
