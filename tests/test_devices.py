"""Finding devices by index and name, and the one sentence a device problem ends in."""

from __future__ import annotations

import pytest

from voiceslm.devices import DeviceChoice, list_devices, open_error, resolve
from voiceslm.errors import DeviceError


def choice(kind: str = "input") -> DeviceChoice:
    return DeviceChoice(
        kind=kind, label="PulseAudio source vmic", index=0, pulse_name="vmic", sample_rate=44100, spec="vmic"
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("Error opening InputStream: Device unavailable [PaErrorCode -9985]", "is busy"),
        ("Unanticipated host error: PulseAudio: Unable to create stream: No such entity", "is not there"),
        ("Invalid sample rate [PaErrorCode -9997]", "does not support 44100 Hz"),
        ("something new went wrong\nExpression 'x' failed", "failed (something new went wrong)"),
    ],
)
def test_open_errors_are_one_sentence_with_a_fix(reason: str, expected: str):
    error = open_error(choice(), RuntimeError(reason))
    assert isinstance(error, DeviceError) and error.exit_code == 4
    message = str(error)
    assert expected in message and "\n" not in message
    assert message.startswith("Microphone PulseAudio source vmic") and message.endswith(".")


def test_speaker_errors_name_the_speaker():
    assert str(open_error(choice("output"), RuntimeError("Device unavailable"))).startswith("Speaker ")


def test_an_unknown_device_name_is_refused_in_one_sentence(pulse):
    with pytest.raises(DeviceError) as raised:
        resolve("no-such-microphone", "input")
    message = str(raised.value)
    assert "no-such-microphone" in message and "voiceslm devices" in message and "\n" not in message


def test_an_index_out_of_range_is_refused(pulse):
    with pytest.raises(DeviceError, match="No speaker matches '999'"):
        resolve("999", "output")


def test_pulse_names_index_and_default_resolve(pulse):
    mic = resolve("vmic", "input")
    assert mic.pulse_name == "vmic" and mic.index is not None and mic.sample_rate > 0
    assert resolve("pulse:vspeaker", "output").pulse_name == "vspeaker"
    default = resolve("", "input")
    assert default.index is None and default.pulse_name is None
    assert resolve(str(mic.index), "input").index == mic.index


def test_listing_shows_portaudio_and_pulseaudio_devices(pulse):
    devices = list_devices()
    names = {(d.kind, d.name) for d in devices}
    assert ("input", "vmic") in names and ("output", "vspeaker") in names
    assert any(d.index is not None for d in devices)
    assert [d.name for d in devices if d.kind == "input" and d.is_default and d.index is None] == ["vmic"]


def test_no_devices_at_all_is_a_device_error_exit(tmp_path):
    import os
    import subprocess
    import sys

    # No PulseAudio server to talk to and no sound card on the machine: nothing to list.
    env = {**os.environ, "PULSE_SERVER": f"unix:{tmp_path}/no-server"}
    result = subprocess.run(
        [sys.executable, "-m", "voiceslm", "devices", "--json"], capture_output=True, text=True, env=env, timeout=60
    )
    if result.stdout.strip() not in ("", "[]"):
        pytest.skip("this machine has an audio device of its own")
    assert result.returncode == 4
    assert result.stderr.strip() == (
        "voiceslm: No audio devices found; plug one in or start PulseAudio (scripts/pulse.sh start gives virtual ones)."
    )
