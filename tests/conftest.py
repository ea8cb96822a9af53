"""Shared fixtures: each real model is loaded once per test session."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from voiceslm.config import Config, SttConfig, TtsConfig
from voiceslm.errors import ModelMissingError
from voiceslm.service.netguard import TELEMETRY_OPT_OUTS

# Tests load onnxruntime in this process and in the commands they start: keep
# them as offline as the program (onnxruntime otherwise phones home).
os.environ.update(TELEMETRY_OPT_OUTS)
# The assistant keeps reminders and notes in the state directory, and live pipelines speak
# the due ones: tests get a state directory of their own, never the user's.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="voiceslm-test-state-")
atexit.register(shutil.rmtree, os.environ["XDG_STATE_HOME"], ignore_errors=True)

PIPER_EN = "piper-en_US-joe-medium"


class InstalledModels:
    """This machine's model store; a test that needs a model not installed is skipped with the fix."""

    def __init__(self) -> None:
        from voiceslm.models.store import ModelStore

        self.store = ModelStore(Config().model_store())

    def require(self, name: str) -> Path:
        try:
            return self.store.require(name)
        except ModelMissingError as exc:
            pytest.skip(str(exc))


@pytest.fixture(scope="session")
def model_store() -> InstalledModels:
    return InstalledModels()


@pytest.fixture(scope="session")
def voice_bank(model_store: InstalledModels):
    from voiceslm.engines.tts import VoiceBank

    bank = VoiceBank(TtsConfig(voices={"en": f"piper:{PIPER_EN}"}), model_store)
    yield bank
    bank.close()


@pytest.fixture(scope="session")
def piper_en(voice_bank):
    return voice_bank.for_language("en")


@pytest.fixture(scope="session")
def whisper_tiny_en(model_store: InstalledModels):
    from voiceslm.engines.stt import WhisperSTT

    stt = WhisperSTT.load(model_store.require("whisper-tiny.en"), SttConfig(), "whisper-tiny.en")
    yield stt
    stt.close()


@pytest.fixture(scope="session")
def whisper_base(model_store: InstalledModels):
    from voiceslm.engines.stt import WhisperSTT

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
    from voiceslm.engines.mt import load_translator

    translator = load_translator(tiny_marian_dir, "marian", LmConfig(threads=1))
    yield translator
    translator.close()


class PulseServer:
    """A private PulseAudio server with virtual devices (scripts/pulse.sh): vspeaker, vmic_in -> vmic."""

    SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "pulse.sh"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def start(self) -> None:
        """Start the server, or put back any virtual device a test removed."""
        import subprocess

        subprocess.run([str(self.SCRIPT), "start", str(self.directory)], check=True, capture_output=True, timeout=30)

    def stop(self) -> None:
        import subprocess

        subprocess.run([str(self.SCRIPT), "stop", str(self.directory)], check=False, capture_output=True, timeout=30)

    def pactl(self, *args: str) -> str:
        import subprocess

        return subprocess.run(["pactl", *args], check=True, capture_output=True, text=True, timeout=10).stdout

    def module_ids(self, needle: str) -> list[str]:
        return [line.split("\t")[0] for line in self.pactl("list", "short", "modules").splitlines() if needle in line]

    def play(self, path: Path, device: str = "vmic_in"):  # noqa: ANN201 - subprocess.Popen
        """Speak a recording into the virtual microphone from another process, as a person would."""
        import subprocess

        return subprocess.Popen(["paplay", "-d", device, str(path)])

    def record(self, path: Path, device: str = "vspeaker.monitor"):  # noqa: ANN201 - subprocess.Popen
        """Record what the virtual speaker plays: raw 16 kHz mono s16le into `path`."""
        import subprocess

        handle = path.open("wb")
        command = ["parec", "-d", device, "--format=s16le", "--rate=16000", "--channels=1", "--latency-msec=20"]
        return subprocess.Popen(command, stdout=handle)


@pytest.fixture(scope="session")
def pulse(tmp_path_factory: pytest.TempPathFactory):
    """PulseAudio virtual devices: the server scripts/test.sh started, or a private one for this session."""
    import shutil
    import subprocess

    reused = os.environ.get("VOICESLM_PULSE_DIR")
    if reused and os.environ.get("PULSE_SERVER"):
        server = PulseServer(Path(reused))
        server.start()  # idempotent: reuses it, restoring any missing device
        yield server
        return
    if not (shutil.which("pulseaudio") and shutil.which("pactl") and shutil.which("paplay")):
        pytest.skip("PulseAudio is not installed; run scripts/setup.sh (pulseaudio, pulseaudio-utils, libportaudio2)")
    server = PulseServer(tmp_path_factory.mktemp("pulse"))
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"PulseAudio would not start: {exc.stderr.decode(errors='replace').strip()}")
    keys = ("PULSE_SERVER", "PULSE_RUNTIME_PATH", "PULSE_STATE_PATH", "PULSE_CONFIG_PATH", "VOICESLM_PULSE_DIR")
    saved = {key: os.environ.get(key) for key in keys}
    os.environ.update(
        PULSE_SERVER=f"unix:{server.directory}/run/native",
        PULSE_RUNTIME_PATH=f"{server.directory}/run",
        PULSE_STATE_PATH=f"{server.directory}/state",
        PULSE_CONFIG_PATH=f"{server.directory}/config",
        VOICESLM_PULSE_DIR=str(server.directory),
    )
    yield server
    server.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def policy_classifier():
    """The process's learned policy layer: trained once per session, cached in the test state directory."""
    from voiceslm.assistant.policy_classifier import default_classifier

    return default_classifier()


@pytest.fixture(scope="session")
def policy_head():
    """The policy's layer of meaning on the installed encoder: its head trained once per session, cached in
    the test state directory (where the commands the tests start find it too)."""
    from voiceslm.assistant import policy_encoder as meaning
    from voiceslm.models.store import ModelStore
    from voiceslm.service.privacy import default_data_dir

    directory = ModelStore(Config().model_store()).require(meaning.MODEL)
    return meaning.load_or_train(meaning.Encoder(directory), default_data_dir() / "cache")


@pytest.fixture(scope="session")
def policy_layers(policy_classifier, model_store: InstalledModels) -> Path:
    """The session's state cache holding both policy layers' weights (the encoder's head if its model is
    installed), for commands started with a fresh state directory to copy (live_support.with_policy_cache)."""
    from voiceslm.assistant import policy_encoder as meaning
    from voiceslm.service.privacy import default_data_dir

    if model_store.store.status(meaning.MODEL).state in ("installed", "verified"):
        meaning.default_head(Config().model_store())
    return default_data_dir() / "cache"


@pytest.fixture(scope="session")
def live_engines():
    """One engine set for every live pipeline test: each model loads once, on first use."""
    from live_support import live_config, require_models, translate_model

    from voiceslm.engines.registry import Engines

    require_models("whisper-tiny.en")
    engines = Engines(live_config(**{"lm.translate_model": translate_model()}))
    yield engines
    engines.close()


def _language_model(model_store: InstalledModels, name: str):
    from voiceslm.engines.lm import load_language_model

    model_dir = model_store.require(name)
    model = load_language_model(model_dir, model_store.store.entry(name).family, _packaged_lm_config())
    yield model
    model.close()


def _packaged_lm_config():
    from voiceslm.config import load_config

    return load_config(use_system_layers=False).config.lm


@pytest.fixture(scope="session")
def lm_translate(model_store: InstalledModels):
    """The default translate language model (lm.translate_model), with the packaged lm settings."""
    yield from _language_model(model_store, _packaged_lm_config().translate_model)


@pytest.fixture(scope="session")
def lm_assist(model_store: InstalledModels):
    """The default assistant language model (lm.assist_model), with the packaged lm settings."""
    yield from _language_model(model_store, _packaged_lm_config().assist_model)
