"""`voiceslm doctor`: check everything the live pipeline and the daemon need.

Each check yields one `Check`: ok, warn (works, but something is worth
knowing) or fail (the pipeline cannot run until it is fixed), with the fix.
Checks never raise: a check that crashes is itself reported as a failure.
"""

from __future__ import annotations

import os
import platform
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from voiceslm.config import Config, LoadedConfig, load_config
from voiceslm.errors import UserError

Level = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    name: str
    level: Level
    message: str
    fix: str = ""

    def line(self) -> str:
        label = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}[self.level]
        fix = f" -> fix: {self.fix}" if self.fix else ""
        return f"{label}  {self.name:<14} {self.message}{fix}"


def run_checks(
    config_file: str | None = None,
    *,
    overrides: dict[str, object] | None = None,
    socket_path: Path | None = None,
    full_model_check: bool = True,
) -> list[Check]:
    checks: list[Check] = []
    loaded: LoadedConfig | None = None
    try:
        loaded = load_config(config_file, overrides)
        checks.append(Check("config", "ok", f"valid ({', '.join(loaded.layers)})"))
    except UserError as exc:
        checks.append(Check("config", "fail", str(exc), "correct that key, then `voiceslm config show`"))
    config = loaded.config if loaded is not None else Config()
    steps: list[Callable[[], Iterator[Check]]] = [
        _portaudio,
        lambda: _devices(config),
        lambda: _models(config, full_model_check),
        lambda: _voices(config),
        lambda: _cpu(config),
        lambda: _runtime(config, socket_path),
        lambda: _privacy(config),
        _service,
    ]
    for step in steps:
        try:
            checks.extend(step())
        except Exception as exc:  # noqa: BLE001 - a broken check is reported, never raised
            name = getattr(step, "__name__", "check").strip("_<>") or "check"
            checks.append(Check(name, "fail", f"the check itself failed: {type(exc).__name__}: {exc}", "report this"))
    return checks


# Audio -------------------------------------------------------------------------


def _portaudio() -> Iterator[Check]:
    from voiceslm.audio.devices import quiet_stderr

    try:
        with quiet_stderr():
            import sounddevice as sd
    except OSError:
        yield Check("portaudio", "fail", "the PortAudio library does not load", "sudo apt-get install libportaudio2")
        return
    yield Check("portaudio", "ok", f"{sd.get_portaudio_version()[1]} loads")


def _devices(config: Config) -> Iterator[Check]:
    from voiceslm.audio import devices
    from voiceslm.errors import DeviceError

    try:
        devices.sounddevice()
    except DeviceError:
        return
    for kind, spec, key in (
        ("input", config.audio.input_device, "audio.input_device"),
        ("output", config.audio.output_device, "audio.output_device"),
    ):
        found = devices.portaudio_devices(kind)  # type: ignore[arg-type]
        name = "microphone" if kind == "input" else "speaker"
        if not found:
            yield Check(
                name,
                "fail",
                f"no {kind} device: PortAudio sees none",
                "plug one in, or start PulseAudio/PipeWire (scripts/pulse.sh start gives virtual devices); "
                "a system service needs its user in the `audio` group",
            )
            continue
        default = next((d for d in found if d.is_default), None)
        try:
            choice = devices.resolve(spec, kind)  # type: ignore[arg-type]
        except DeviceError as exc:
            yield Check(name, "fail", str(exc), f"set {key} to one listed by `voiceslm devices`")
            continue
        note = "" if default is not None or spec else " (no default device is set; PortAudio picks the first)"
        yield Check(name, "ok", f"{choice.label} at {choice.sample_rate} Hz, {len(found)} {kind} device(s){note}")


# Models --------------------------------------------------------------------------


def _models(config: Config, full: bool) -> Iterator[Check]:
    from voiceslm.errors import ModelMissingError
    from voiceslm.models.needs import configured_models, model_names, start_needs
    from voiceslm.models.store import ModelStore

    store = ModelStore(config.model_store())
    required = set(model_names(config, start_needs(config)))
    for name in configured_models(config):
        try:
            path = store.verify(name) if full else store.require(name)
        except ModelMissingError as exc:
            fix = str(exc).partition("; run: ")[2]
            level: Level = "fail" if name in required else "warn"
            why = "" if level == "fail" else f" (not needed in {config.live.mode} mode)"
            yield Check("model", level, f"{str(exc).partition('; run: ')[0]}{why}", fix or "voiceslm models install")
            continue
        except UserError as exc:
            yield Check("model", "fail", str(exc), "fix the model name in the config")
            continue
        how = "sha256 verified" if full else "present (sizes checked; run without --quick to hash)"
        yield Check("model", "ok", f"{name}: {how}, {path}")


def _voices(config: Config) -> Iterator[Check]:
    """The voice of each language voiceslm speaks, and the command that adds a clearer one."""
    from voiceslm.engines import voices
    from voiceslm.models.store import ModelStore

    store = ModelStore(config.model_store())
    for language in dict.fromkeys([config.translate.target, *config.stt.languages]):
        choice = voices.choose(config.tts, language, store)
        better = voices.better_missing(config.tts, language, choice.spec, store)
        fix = better[0].partition("; run: ")[2] if better else ""
        if choice.notice:
            yield Check("voice", "warn", choice.notice, fix)
        elif better:
            message = f"{language}: {choice.spec} speaks; clearer is {better[0].partition('; run: ')[0]}"
            yield Check("voice", "warn", message, fix)
        else:
            yield Check("voice", "ok", f"{language}: {choice.spec}, licence {voices.licence(choice.spec)}")


# CPU -----------------------------------------------------------------------------


def cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    flags: set[str] = set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            flags.update(value.split())
    return flags


def _cpu(config: Config) -> Iterator[Check]:
    machine = platform.machine()
    flags = cpu_flags()
    cores = len(os.sched_getaffinity(0))
    if machine in ("x86_64", "AMD64", "i686"):
        if "avx2" in flags:
            extra = ", AVX-512 VNNI" if "avx512_vnni" in flags else ""
            yield Check("cpu", "ok", f"{machine}, {cores} core(s), AVX2{extra}: fast int8")
        elif "avx" in flags:
            yield Check("cpu", "warn", f"{machine} with AVX but no AVX2: int8 runs, slowly", "use the smallest models")
        else:
            yield Check("cpu", "warn", f"{machine} without AVX: CTranslate2 will be very slow", "use a newer CPU")
    elif machine in ("aarch64", "arm64", "armv7l"):
        if {"asimd", "neon"} & flags or machine in ("aarch64", "arm64"):
            yield Check("cpu", "ok", f"{machine}, {cores} core(s), NEON: int8 supported")
        else:
            yield Check("cpu", "warn", f"{machine} without NEON: CTranslate2 int8 will be slow", "use a 64-bit OS")
    else:
        yield Check("cpu", "warn", f"{machine}: not a tested architecture")
    try:
        import ctranslate2
    except ImportError:
        yield Check("ctranslate2", "fail", "CTranslate2 does not import", "pip install ctranslate2 (scripts/setup.sh)")
        return
    supported = set(ctranslate2.get_supported_compute_types("cpu"))
    wanted = config.stt.compute_type
    if wanted in supported:
        yield Check("ctranslate2", "ok", f"{ctranslate2.__version__}, CPU compute types {', '.join(sorted(supported))}")
    else:
        yield Check(
            "ctranslate2",
            "fail",
            f"this CPU cannot run stt.compute_type {wanted!r} (supported: {', '.join(sorted(supported))})",
            "set stt.compute_type to int8 or float32",
        )
    available = _mem_available_mb()
    if available is not None and available < 1500:
        yield Check(
            "memory", "warn", f"{available} MB available; the default models need about 1.5 GB", "smaller models"
        )
    elif available is not None:
        yield Check("memory", "ok", f"{available} MB available")


def _mem_available_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


# Runtime directory and socket -----------------------------------------------------


def _runtime(config: Config, socket_path: Path | None) -> Iterator[Check]:
    from voiceslm.service.client import ControlClient, find_socket
    from voiceslm.service.runtime_paths import client_socket_candidates, runtime_dir

    directory = runtime_dir()
    if "XDG_RUNTIME_DIR" not in os.environ and "RUNTIME_DIRECTORY" not in os.environ:
        yield Check(
            "runtime dir",
            "warn",
            f"XDG_RUNTIME_DIR is not set; using {directory}",
            "log in through a session manager (or export XDG_RUNTIME_DIR=/run/user/$(id -u))",
        )
    elif not directory.exists():
        parent = directory.parent
        if os.access(parent, os.W_OK | os.X_OK):
            yield Check("runtime dir", "ok", f"{directory} will be created at start (mode 0700)")
        else:
            yield Check(
                "runtime dir", "fail", f"{parent} is not writable", "set XDG_RUNTIME_DIR to a directory you own"
            )
    else:
        info = directory.stat()
        if info.st_uid != os.getuid():
            yield Check(
                "runtime dir",
                "fail",
                f"{directory} belongs to uid {info.st_uid}",
                f"remove {directory} (it is rebuilt)",
            )
        elif info.st_mode & 0o077:
            yield Check(
                "runtime dir", "warn", f"{directory} is mode {stat.S_IMODE(info.st_mode):o}", "it becomes 0700 at start"
            )
        else:
            yield Check("runtime dir", "ok", f"{directory} (mode 0700)")
    path = socket_path or find_socket(client_socket_candidates(config.daemon.socket))
    if not path.exists():
        yield Check("socket", "ok", f"no daemon running (no socket at {path})")
        return
    try:
        with ControlClient(path, timeout=3.0) as client:
            pong = client.request("ping")
            status = client.request("status")
    except UserError as exc:
        if "stale" in str(exc):
            yield Check(
                "socket", "warn", f"{path} is left from a daemon that died", "nothing: the next start removes it"
            )
        else:
            yield Check("socket", "fail", str(exc), "check the daemon's log (journalctl --user -u voiceslm)")
        return
    line = (status.get("daemon") or {}).get("status_line", "")
    yield Check("socket", "ok", f"daemon pid {pong.get('pid')} answers on {path}: {line}")


# Privacy and service -----------------------------------------------------------


def _privacy(config: Config) -> Iterator[Check]:
    privacy = config.privacy
    limits = []
    if privacy.retention_days:
        limits.append(f"{privacy.retention_days:g} days")
    if privacy.retention_mb:
        limits.append(f"{privacy.retention_mb:g} MB")
    kept = " and ".join(limits) if limits else "forever"
    if privacy.transcript_log:
        yield Check("privacy", "ok", f"transcript log on, kept {kept}")
    if privacy.save_audio:
        yield Check("privacy", "warn", f"utterance audio is saved to disk, kept {kept}", "privacy.save_audio: false")
    if (privacy.transcript_log or privacy.save_audio) and not limits:
        yield Check("privacy", "warn", "nothing saved is ever deleted", "set privacy.retention_days or retention_mb")
    if not privacy.transcript_log and not privacy.save_audio:
        yield Check("privacy", "ok", "nothing heard is written to disk")


def _service() -> Iterator[Check]:
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    user_unit = Path(config_home) / "systemd" / "user" / "voiceslm.service"
    system_unit = Path("/etc/systemd/system/voiceslm.service")
    installed = [str(p) for p in (user_unit, system_unit) if p.exists()]
    if installed:
        yield Check("service", "ok", f"systemd unit installed: {', '.join(installed)}")
    else:
        yield Check("service", "ok", "no systemd unit installed (scripts/install-user-service.sh installs one)")
