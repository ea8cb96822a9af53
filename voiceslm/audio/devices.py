"""Finding audio devices by index or name, and saying clearly why one cannot be used.

PortAudio (through `sounddevice`) sees ALSA devices, including ALSA's `pulse`
and `default` devices when PulseAudio runs. PulseAudio's own sources and sinks
(a USB headset, an echo-cancelled microphone, a virtual device) are not
PortAudio devices; they are reached by opening ALSA's `pulse` device with
PULSE_SOURCE / PULSE_SINK set, which libpulse reads when the stream connects.
So a device may be named by PortAudio index, part of a PortAudio name, or a
PulseAudio source or sink name (optionally written `pulse:NAME`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from voiceslm.errors import DeviceError

log = logging.getLogger(__name__)

Kind = Literal["input", "output"]
PULSE_PREFIX = "pulse:"
_FALLBACK_RATES = (48000, 44100, 32000, 22050, 16000)
# Lines PortAudio's ALSA back end prints on stderr when probing or failing; the
# user gets one sentence instead.
_NOISE = re.compile(r"^(ALSA lib|Expression '|Cannot connect to server|jack|JackShm|PortAudio|\s*$)")
_stderr_lock = threading.Lock()
_env_lock = threading.Lock()


@dataclass(frozen=True)
class DeviceInfo:
    """A device as `voiceslm devices` lists it."""

    name: str
    kind: Kind
    index: int | None
    """PortAudio index; None for a PulseAudio source or sink."""
    description: str
    default_sample_rate: int
    """Hertz; 0 when unknown."""
    is_default: bool


@dataclass(frozen=True)
class DeviceChoice:
    """A device resolved from the config, ready to open."""

    kind: Kind
    label: str
    """How messages name it."""
    index: int | None
    """PortAudio index; None for PortAudio's default."""
    pulse_name: str | None
    """PulseAudio source/sink to connect to through ALSA's `pulse` device."""
    sample_rate: int
    """Hertz to open it at."""
    spec: str
    """What the user asked for, for reopening after a fault."""


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Keep PortAudio's ALSA chatter off the terminal (it goes to the debug log)."""
    with _stderr_lock, tempfile.TemporaryFile(mode="w+b") as capture:
        try:
            saved = os.dup(2)
        except OSError:
            yield
            return
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", "replace")
            kept = [line for line in text.splitlines() if not _NOISE.match(line)]
            if text.strip():
                log.debug("audio back end said: %s", " | ".join(text.strip().splitlines()))
            if kept:
                # Not PortAudio noise: another thread's message, give it back.
                os.write(2, ("\n".join(kept) + "\n").encode())


@contextlib.contextmanager
def filtered_stderr() -> Iterator[None]:
    """For a whole session: drop the lines PortAudio's ALSA back end prints from its own
    threads when a device vanishes; everything else still reaches stderr."""
    try:
        read_end, write_end = os.pipe()
        saved = os.dup(2)
    except OSError:
        yield
        return

    def pump() -> None:
        with os.fdopen(read_end, "rb") as pipe:
            for raw in pipe:
                line = raw.decode("utf-8", "replace")
                if _NOISE.match(line.rstrip("\n")):
                    log.debug("audio back end said: %s", line.strip())
                else:
                    os.write(saved, raw)

    os.dup2(write_end, 2)
    os.close(write_end)
    thread = threading.Thread(target=pump, name="stderr-filter", daemon=True)
    thread.start()
    try:
        yield
    finally:
        import sys

        sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's last write end: the pump sees EOF
        thread.join(timeout=1.0)
        os.close(saved)


def sounddevice() -> Any:
    """The sounddevice module, or a DeviceError naming the missing library."""
    try:
        with quiet_stderr():
            import sounddevice as sd
    except OSError as exc:
        raise DeviceError(
            "The PortAudio library is not installed, so no microphone or speaker can be used; "
            "install it with `apt-get install libportaudio2`, or use --input/--output files."
        ) from exc
    return sd


def pulse_devices(kind: Kind) -> list[DeviceInfo]:
    """PulseAudio sources (input) or sinks (output); empty when no server answers."""
    if not shutil.which("pactl"):
        return []
    what = "sources" if kind == "input" else "sinks"
    try:
        listed = subprocess.run(
            ["pactl", "list", "short", what], capture_output=True, text=True, timeout=5, check=False
        )
        info = subprocess.run(["pactl", "info"], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if listed.returncode != 0:
        return []
    key = "Default Source: " if kind == "input" else "Default Sink: "
    default = next((line[len(key) :].strip() for line in info.stdout.splitlines() if line.startswith(key)), "")
    devices = []
    for line in listed.stdout.splitlines():
        fields = line.split("\t")
        if len(fields) < 4:
            continue
        name, driver, spec = fields[1], fields[2], fields[3]
        rate = re.search(r"(\d+)Hz", spec)
        devices.append(
            DeviceInfo(
                name=name,
                kind=kind,
                index=None,
                description=f"PulseAudio {what[:-1]} ({driver.removesuffix('.c')}, {spec})",
                default_sample_rate=int(rate.group(1)) if rate else 0,
                is_default=name == default,
            )
        )
    return devices


def portaudio_devices(kind: Kind) -> list[DeviceInfo]:
    sd = sounddevice()
    channels = "max_input_channels" if kind == "input" else "max_output_channels"
    try:
        default_index = sd.default.device[0 if kind == "input" else 1]
    except (TypeError, IndexError):
        default_index = -1
    devices = []
    for index, device in enumerate(sd.query_devices()):
        if device[channels] <= 0:
            continue
        api = sd.query_hostapis(device["hostapi"])["name"]
        devices.append(
            DeviceInfo(
                name=device["name"],
                kind=kind,
                index=index,
                description=f"{api}, {device[channels]} channels",
                default_sample_rate=int(device["default_samplerate"]),
                is_default=index == default_index,
            )
        )
    return devices


def list_devices() -> list[DeviceInfo]:
    return [d for kind in ("input", "output") for d in portaudio_devices(kind) + pulse_devices(kind)]  # type: ignore[arg-type]


def _missing(kind: Kind, spec: str) -> DeviceError:
    what = "microphone" if kind == "input" else "speaker"
    flag = "--input-device" if kind == "input" else "--output-device"
    return DeviceError(
        f"No {what} matches {spec!r}; run `voiceslm devices` to list them and pass an index or name with {flag}."
    )


def resolve(spec: str, kind: Kind, sample_rate: int = 0) -> DeviceChoice:
    """The device `spec` names (see the module docstring); DeviceError if none does."""
    sd = sounddevice()
    spec = spec.strip()
    what = "microphone" if kind == "input" else "speaker"
    devices = portaudio_devices(kind)
    if not devices:
        raise DeviceError(
            f"No {what} was found (PortAudio sees no audio device); plug one in or start PulseAudio "
            "(scripts/pulse.sh start gives virtual ones), or use --input/--output files."
        )
    index: int | None = None
    pulse_name: str | None = None
    label = spec
    if not spec or spec == "default":
        default = next((d for d in devices if d.is_default), devices[0])
        index, label = None, f"default {what} ({default.name})"
    elif spec.isdigit():
        index = int(spec)
        match = next((d for d in devices if d.index == index), None)
        if match is None:
            raise _missing(kind, spec)
        label = f"{what} {index} ({match.name})"
    elif spec.startswith(PULSE_PREFIX) or (
        not any(d.name == spec for d in devices) and any(p.name == spec for p in pulse_devices(kind))
    ):
        pulse_name = spec.removeprefix(PULSE_PREFIX)
        pulse = next((d for d in devices if d.name == "pulse"), None)
        if pulse is None:
            raise DeviceError(
                f"PulseAudio {kind} {pulse_name!r} cannot be reached: ALSA's pulse device is missing; "
                "install libasound2-plugins, or name a device from `voiceslm devices`."
            )
        index, label = pulse.index, f"PulseAudio {'source' if kind == 'input' else 'sink'} {pulse_name}"
    else:
        exact = [d for d in devices if d.name == spec]
        partial = [d for d in devices if spec.lower() in d.name.lower()]
        found = exact or partial
        if not found:
            raise _missing(kind, spec)
        index, label = found[0].index, f"{what} {found[0].name}"
    rate = sample_rate or _default_rate(sd, index, kind, pulse_name)
    return DeviceChoice(kind=kind, label=label, index=index, pulse_name=pulse_name, sample_rate=rate, spec=spec)


def _default_rate(sd: Any, index: int | None, kind: Kind, pulse_name: str | None) -> int:
    if pulse_name is not None:
        # ALSA's pulse device converts any rate; asking for the source's own
        # rate saves PulseAudio a conversion.
        for device in pulse_devices(kind):
            if device.name == pulse_name and device.default_sample_rate:
                return device.default_sample_rate
    info = sd.query_devices(index, kind)
    rate = int(info["default_samplerate"])
    check = sd.check_input_settings if kind == "input" else sd.check_output_settings
    for candidate in (rate, *_FALLBACK_RATES):
        try:
            with quiet_stderr():
                check(device=index, channels=1, samplerate=candidate, dtype="float32")
            return candidate
        except Exception:  # noqa: BLE001 - PortAudio raises several types for "unsupported"
            continue
    return rate


def find_echo_cancel(kind: Kind) -> str:
    """The source or sink PulseAudio's module-echo-cancel created."""
    found = [d.name for d in pulse_devices(kind) if "echo-cancel" in d.description or "echo-cancel" in d.name]
    if not found:
        raise DeviceError(
            "echo.mode is pulse-aec but PulseAudio has no echo-cancelled device; load it with "
            "`pactl load-module module-echo-cancel aec_method=webrtc`, or set echo.mode to half-duplex."
        )
    return found[0]


@contextlib.contextmanager
def pulse_target(choice: DeviceChoice) -> Iterator[None]:
    """Point the next stream opened at `choice`'s PulseAudio source or sink.

    libpulse reads PULSE_SOURCE / PULSE_SINK when a stream's connection is
    made, i.e. while PortAudio opens it; the variable is restored right after.
    """
    if choice.pulse_name is None:
        yield
        return
    variable = "PULSE_SOURCE" if choice.kind == "input" else "PULSE_SINK"
    with _env_lock:
        saved = os.environ.get(variable)
        os.environ[variable] = choice.pulse_name
        try:
            yield
        finally:
            if saved is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = saved


def open_error(choice: DeviceChoice, exc: BaseException) -> DeviceError:
    """One sentence for a device that would not open or stopped working."""
    text = str(exc)
    what = "Microphone" if choice.kind == "input" else "Speaker"
    if re.search(r"busy|Device unavailable|-9985", text, re.IGNORECASE):
        reason, fix = "is busy", "close the program using it or choose another device"
    elif re.search(r"No such entity|No such device|Invalid device|-9996|-9998", text, re.IGNORECASE):
        reason, fix = "is not there", "plug it in or check the name with `voiceslm devices`"
    elif re.search(r"sample rate|-9997", text, re.IGNORECASE):
        reason, fix = f"does not support {choice.sample_rate} Hz", "set audio.input_sample_rate/output_sample_rate to 0"
    else:
        first = text.splitlines()[0] if text else type(exc).__name__
        reason, fix = f"failed ({first})", "check it with `voiceslm devices`"
    return DeviceError(f"{what} {choice.label} {reason}; {fix}.")
