"""Bergamot and Apertium on real text, routes chosen per direction, and their failures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from live_support import DATA, async_test, live_config, require_models, running

from voiceslm.engines import apertium, bergamot
from voiceslm.engines.registry import Engines
from voiceslm.engines.routes import TranslationRouter
from voiceslm.errors import ModelMissingError, UserError
from voiceslm.models.store import ModelStore


def _words(text: str) -> set[str]:
    return {w.strip(".,;:!?¿¡\"'").lower() for w in text.split()}


def _require_bergamot(*names: str) -> None:
    if not bergamot.engine_available():
        pytest.skip(f"the Bergamot engine is not installed; run: {bergamot.ENGINE_HINT}")
    require_models(*names)


def _require_apertium(source: str, target: str) -> None:
    if (source, target) not in apertium.available_modes():
        pytest.skip(f"Apertium {source}-{target} is not installed; run: {apertium.install_hint(source, target)}")


def _engines(tmp_path: Path | None = None, **overrides: object) -> Engines:
    config = live_config(**overrides)
    return Engines(config, ModelStore(tmp_path) if tmp_path is not None else None)


def test_bergamot_translates_english_into_portuguese_and_back():
    _require_bergamot("bergamot-en-pt", "bergamot-pt-en")
    with _engines(**{"translate.engine": "bergamot"}) as engines:
        router = engines.translation()
        portuguese = "".join(router.translate("Where is the hospital? My son has a fever.", "en", "pt"))
        english = "".join(router.translate("Onde fica a farmácia? Preciso de água.", "pt", "en"))
    assert {"hospital", "filho", "febre"} <= _words(portuguese)
    assert {"pharmacy", "water"} <= _words(english)


def test_apertium_translates_with_one_pipeline_per_direction():
    _require_apertium("en", "es")
    _require_apertium("es", "pt")
    engine = apertium.ApertiumTranslator()
    try:
        first = "".join(engine.translate("The children are eating bread. Where is the hospital?", "en", "es"))
        pipeline = engine._pipelines[("en", "es")].process
        second = "".join(engine.translate("We need water.", "en", "es"))
        portuguese = "".join(engine.translate("Necesitamos agua y comida.", "es", "pt"))
        assert engine._pipelines[("en", "es")].process is pipeline  # no new process per sentence
    finally:
        engine.close()
    assert {"niños", "pan", "hospital"} <= _words(first)
    assert "agua" in _words(second)
    assert {"água", "comida"} <= _words(portuguese)
    assert pipeline.poll() is not None  # close() ended it


def test_apertium_keeps_text_with_stream_format_characters():
    _require_apertium("en", "es")
    engine = apertium.ApertiumTranslator()
    try:
        text = "".join(engine.translate("Call 555/123 [room 4] at $5 or <b>now</b>.", "en", "es"))
    finally:
        engine.close()
    assert "555/123" in text and "$5" in text and "[" in text


def test_auto_takes_bergamot_for_english_to_portuguese():
    _require_bergamot("bergamot-en-pt")
    with _engines() as engines:
        assert engines.translation().route("en", "pt") == "bergamot"
        assert engines.translation().route(None, "pt") == "lm"  # unknown source: only the LM copes


def test_auto_falls_back_when_an_engine_is_not_installed(tmp_path: Path):
    _require_apertium("en", "es")
    # An empty store: no Bergamot model, no language model.
    with _engines(tmp_path) as engines:
        router = TranslationRouter(engines)
        assert router.route("en", "es") == "apertium"  # no Bergamot for the pivot through Portuguese
        assert router.route("en", "de") == "lm"
        with pytest.raises(ModelMissingError, match="voiceslm models install"):
            router.translate("Good morning.", "en", "de")


def test_a_pivot_route_translates_through_portuguese():
    _require_bergamot("bergamot-en-pt")
    _require_apertium("pt", "es")
    with _engines(**{"translate.engines": {"en-es": "bergamot>pt>apertium"}}) as engines:
        router = engines.translation()
        assert router.route("en", "es") == "bergamot>pt>apertium"
        pieces = list(router.translate("The water is not safe to drink. The children are hungry.", "en", "es"))
    spanish = "".join(pieces)
    assert len(pieces) == 2  # one piece per sentence, so speech can start after the first
    assert {"agua", "niños"} <= _words(spanish)


def test_a_corrupt_bergamot_model_is_refused_with_the_fix(tmp_path: Path, model_store):
    _require_bergamot("bergamot-en-pt")
    installed = model_store.require("bergamot-en-pt")
    copy = tmp_path / "bergamot-en-pt"
    shutil.copytree(installed, copy)
    model = copy / "model.enpt.intgemm.alphas.bin"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size: only the checksum can tell
    model.write_bytes(bytes(data))
    with pytest.raises(ModelMissingError) as caught:
        bergamot.BergamotTranslator.load(ModelStore(tmp_path), "en", "pt")
    message = str(caught.value)
    assert "does not match its sha256" in message
    assert "voiceslm models install --force bergamot-en-pt" in message


def test_bad_input_ends_in_one_sentence(tmp_path: Path):
    _require_apertium("en", "es")
    with _engines(tmp_path, **{"translate.engines": {"en-de": "apertium"}}) as engines:
        router = engines.translation()
        with pytest.raises(UserError, match="empty") as empty:
            router.translate("   ", "en", "es")
        with pytest.raises(ModelMissingError) as unsupported:
            router.translate("Good morning.", "en", "de")
    assert "set translate.engines.en-de to auto or lm" in str(unsupported.value)
    assert "give some words" in str(empty.value)
    for error in (empty.value, unsupported.value):
        assert "\n" not in str(error)


def test_a_missing_debian_pair_names_the_package():
    engine = apertium.ApertiumTranslator(modes={})  # as on a machine without apertium-eng-spa
    with pytest.raises(ModelMissingError, match=r"run: sudo apt-get install apertium apertium-eng-spa$"):
        engine.translate("Good morning.", "en", "es")


@pytest.mark.parametrize(
    ("key", "value"),
    [("translate.engine", "google"), ("translate.engines", {"en-es": "bergamot>>apertium"}),
     ("translate.engines", {"english-spanish": "auto"})],
)  # fmt: skip
def test_bad_engine_settings_are_refused(key: str, value: object):
    with pytest.raises(UserError, match=key.split(".")[-1]):
        live_config(**{key: value})


@async_test
async def test_live_shows_the_reply_translated_back(live_engines):
    from voiceslm.audio.capture import RecordingInput
    from voiceslm.audio.io import load_audio
    from voiceslm.audio.playback import FileOutput
    from voiceslm.pipeline.events import BackTranslation, ReplyText
    from voiceslm.pipeline.session import LiveSession

    _require_apertium("en", "es")
    _require_apertium("es", "en")
    config = live_config(
        **{"translate.source": "en", "translate.target": "es", "live.back_translation": True,
           "translate.engines": {"en-es": "apertium", "es-en": "apertium"}}
    )  # fmt: skip
    engines = Engines(config, live_engines.store)
    recording = RecordingInput(block_ms=config.audio.block_ms)
    pipeline = LiveSession(config, engines=engines, audio_in=recording, audio_out=FileOutput(None))
    try:
        async with running(pipeline) as events:
            await recording.play(load_audio(DATA / "en_cheetah_platforms.wav"))
            reply = await events.wait_for(ReplyText, 60, lambda e: e.final and bool(e.text))
            back = await events.wait_for(BackTranslation, 30, lambda e: e.utterance_id == reply.utterance_id)
    finally:
        engines.close()
    assert back.language == "en" and back.route == "apertium"
    # Apertium is literal ("platforms" came back as "program" here): what the check is for.
    assert {"today", "only"} <= _words(back.text)
