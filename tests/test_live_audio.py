"""The live pipeline on the real audio path: PortAudio through PulseAudio virtual devices.

Recordings are spoken into the virtual microphone by paplay from another
process (as a person would), and what the pipeline plays is recorded from the
virtual speaker's monitor. Timing checks use the pipeline's own event times,
never the wall clock of this busy machine.
"""

from __future__ import annotations

import asyncio
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time

import pytest
from live_support import DATA, async_test, live_config, read_raw, require_models, running, translate_model

from voiceslm.pipeline.events import (
    Cancel,
    DeviceFault,
    DeviceReady,
    PlaybackStarted,
    PlaybackStopped,
    ReplyText,
    SpeechStarted,
    TranscriptReady,
    Utterance,
    UtteranceStats,
)
from voiceslm.pipeline.session import LiveSession

pytestmark = pytest.mark.audio

DEVICES = {"audio.input_device": "vmic", "audio.output_device": "vspeaker"}
LONG_SPANISH = (
    "Esta es una respuesta larga que el altavoz lee despacio. Tiene varias frases para que dure un buen rato. "
    "Mientras tanto alguien empieza a hablar y la respuesta debe callarse enseguida."
)


def pipeline_for(live_engines, **overrides) -> LiveSession:
    config = live_config(**{**DEVICES, "lm.translate_model": translate_model(), **overrides})
    return LiveSession(config, engines=live_engines)


async def wait_process(process: subprocess.Popen, within: float = 30.0) -> None:
    assert await asyncio.to_thread(process.wait, within) == 0, "paplay failed"


@async_test
async def test_translation_is_heard_from_the_virtual_speaker(pulse, live_engines, whisper_base, tmp_path):
    """English spoken into the virtual mic comes out of the virtual speaker as Spanish speech."""
    require_models(translate_model())
    pipeline = pipeline_for(live_engines, **{"live.mode": "translate", "translate.source": "en"})
    recording = tmp_path / "speaker.raw"
    async with running(pipeline) as events:
        recorder = pulse.record(recording)
        try:
            await wait_process(pulse.play(DATA / "en_cheetah_platforms.wav"))
            heard = await events.wait_for(TranscriptReady, 30, lambda e: bool(e.text))
            stats = await events.wait_for(UtteranceStats, 60, lambda e: e.utterance_id == heard.utterance_id)
        finally:
            recorder.send_signal(signal.SIGINT)
            recorder.wait(10)
    assert "platform" in heard.text.lower()
    assert heard.language == "en"
    assert stats.to_first_audio is not None and stats.to_first_audio > stats.to_transcript
    assert events.of(PlaybackStopped, utterance_id=heard.utterance_id, interrupted=False)
    spoken = whisper_base.transcribe(read_raw(recording))
    assert spoken.text, "nothing intelligible came out of the speaker"
    assert spoken.language == "es", spoken


@async_test
async def test_speech_during_playback_stops_it_within_300_ms(pulse, live_engines):
    """Barge-in (echo.mode none, a headset): speech during a reply cuts it, and is then heard normally."""
    pipeline = pipeline_for(live_engines, **{"live.mode": "transcribe", "echo.mode": "none"})
    async with running(pipeline) as events:
        await pipeline.say(LONG_SPANISH, "es")
        await events.wait_for(PlaybackStarted, 30)
        await asyncio.sleep(0.8)
        await wait_process(pulse.play(DATA / "en_pocketsphinx_goforward.wav"))
        onset = await events.wait_for(SpeechStarted, 10, lambda e: e.during_playback)
        cancel = await events.wait_for(Cancel, 10, lambda e: e.reason == "barge-in")
        stopped = await events.wait_for(PlaybackStopped, 10)
        heard = await events.wait_for(TranscriptReady, 30, lambda e: bool(e.text))
    assert stopped.interrupted
    assert cancel.speech_at == onset.at
    # From the first voiced frame of the injected speech to the moment the
    # listener stops hearing the reply (device latency included).
    print(f"barge-in: speech onset -> reply inaudible {stopped.audible_until - onset.at:.3f} s")
    assert stopped.audible_until - onset.at <= 0.3, (stopped.audible_until - onset.at, stopped, onset, cancel)
    assert "forward" in heard.text.lower()


@pytest.fixture
def loopback(pulse):
    """The virtual speaker leaks into the virtual microphone, as a laptop's speaker does into its mic."""
    module = pulse.pactl(
        "load-module", "module-loopback", "source=vspeaker.monitor", "sink=vmic_in", "latency_msec=60"
    ).strip()
    yield
    pulse.pactl("unload-module", module)


@async_test
async def test_half_duplex_never_hears_its_own_replies(pulse, live_engines, loopback):
    """20 replies through a speaker looped into the mic cause no self-trigger; without the guard they do."""
    # Control: with no echo guard the loop really carries the voice into the microphone.
    unguarded = pipeline_for(live_engines, **{"live.mode": "transcribe", "echo.mode": "none"})
    async with running(unguarded) as events:
        await unguarded.say("Hola, buenos días a todos.", "es")
        await events.wait_for(SpeechStarted, 20)
    guarded = pipeline_for(live_engines, **{"live.mode": "transcribe", "echo.mode": "half-duplex"})
    replies = ["Hola.", "Buenos días.", "Muy bien, gracias.", "Hasta luego.", "De nada."] * 4
    async with running(guarded) as events:
        for text in replies:
            await guarded.say(text, "es")
        await events.wait_for(PlaybackStopped, 90, lambda e: len(events.of(PlaybackStopped)) >= len(replies))
        await asyncio.sleep(1.0)  # the echo tail of the last reply
    assert len(events.of(PlaybackStarted)) == len(replies)
    assert events.of(SpeechStarted) == []
    assert events.of(Utterance) == []


@pytest.fixture
def echo_canceller(pulse, loopback):
    """PulseAudio's WebRTC echo canceller between the pipeline and the looped-back devices."""
    module = pulse.pactl(
        "load-module",
        "module-echo-cancel",
        "source_master=vmic",
        "sink_master=vspeaker",
        "aec_method=webrtc",
        "source_name=vmic_aec",
        "sink_name=vspeaker_aec",
    ).strip()
    yield
    pulse.pactl("unload-module", module)
    # Its gain control turns the microphone down (by 28 dB here) and leaves it so.
    pulse.pactl("set-source-volume", "vmic", "100%")


@async_test
async def test_pulse_aec_cuts_self_triggers_and_still_hears_the_user(pulse, live_engines, echo_canceller):
    """Through the echo canceller fewer replies trigger the microphone than unguarded, and the user is heard.

    Unguarded, every reply on this loop triggers it. On a new PulseAudio server
    WebRTC's canceller still lets some echo through (4 of 10 replies here, 8 of
    20 in a longer run, none in the run after it on the same server), so zero
    self-triggers is asserted for half-duplex only; this prints the canceller's count.
    """
    pipeline = pipeline_for(live_engines, **{"live.mode": "transcribe", "echo.mode": "pulse-aec"})
    replies = ["Hola.", "Buenos días.", "Muy bien, gracias.", "Hasta luego.", "De nada."] * 2
    async with running(pipeline) as events:
        assert pipeline.status()["input"] == "PulseAudio source vmic_aec"
        for text in replies:
            await pipeline.say(text, "es")
        await events.wait_for(PlaybackStopped, 60, lambda e: len(events.of(PlaybackStopped)) >= len(replies))
        await asyncio.sleep(1.0)
        triggers = len(events.of(SpeechStarted))
        print(f"pulse-aec: {triggers} self-triggers in {len(replies)} replies")
        assert triggers < len(replies), triggers
        after = len(events.seen)
        await wait_process(pulse.play(DATA / "en_pocketsphinx_goforward.wav"))
        heard = await events.wait_for(TranscriptReady, 30, lambda e: "forward" in e.text.lower(), after=after)
    assert heard.language == "en"


@async_test
async def test_silence_and_noise_get_no_reply(pulse, live_engines):
    pipeline = pipeline_for(live_engines, **{"live.mode": "translate", "translate.source": "en"})
    async with running(pipeline) as events:
        await asyncio.sleep(2.0)  # silence
        await wait_process(pulse.play(DATA / "noise_speechbrain_noise2.wav"))
        await asyncio.sleep(1.5)
        # Whatever the detector made of the noise has been transcribed by now.
        for utterance in events.of(Utterance):
            await events.wait_for(UtteranceStats, 30, lambda e, u=utterance: e.utterance_id == u.id)
    assert [e.text for e in events.of(TranscriptReady) if e.text] == []
    assert events.of(ReplyText) == []
    assert events.of(PlaybackStarted) == []


@async_test
async def test_a_device_removed_mid_stream_is_reported_and_recovered(pulse, live_engines):
    pipeline = pipeline_for(live_engines, **{"live.mode": "transcribe", "audio.reopen_max_s": 1.0})
    try:
        await _remove_and_restore(pipeline, pulse)
    finally:
        pulse.start()  # whatever happened, the next test has its devices


async def _remove_and_restore(pipeline: LiveSession, pulse) -> None:
    async with running(pipeline) as events:
        # Unloading the sink behind the virtual microphone takes the microphone
        # with it, as pulling a USB headset does.
        for module in pulse.module_ids("sink_name=vmic_in"):
            pulse.pactl("unload-module", module)
        fault = await events.wait_for(DeviceFault, 10, lambda e: e.kind == "input")
        assert "\n" not in fault.message and "vmic" in fault.message
        assert pipeline.status()["device_faults"] >= 1
        pulse.start()  # the device comes back
        back = await events.wait_for(DeviceReady, 20, lambda e: e.kind == "input" and e.recovered)
        await asyncio.sleep(0.3)
        await wait_process(pulse.play(DATA / "en_pocketsphinx_goforward.wav"))
        heard = await events.wait_for(TranscriptReady, 30, lambda e: bool(e.text))
    assert back.at > fault.at
    assert "forward" in heard.text.lower()


@async_test
async def test_a_speaker_removed_while_speaking_cuts_the_reply_and_comes_back(pulse, live_engines):
    pipeline = pipeline_for(live_engines, **{"live.mode": "transcribe", "audio.reopen_max_s": 1.0})
    try:
        async with running(pipeline) as events:
            await pipeline.say(LONG_SPANISH, "es")
            await events.wait_for(PlaybackStarted, 20)
            for module in pulse.module_ids("sink_name=vspeaker"):
                pulse.pactl("unload-module", module)
            fault = await events.wait_for(DeviceFault, 10, lambda e: e.kind == "output")
            pulse.start()
            await events.wait_for(DeviceReady, 20, lambda e: e.kind == "output" and e.recovered)
            count = len(events.of(PlaybackStarted))
            await pipeline.say("Hola otra vez.", "es")
            await events.wait_for(PlaybackStarted, 20, lambda e: len(events.of(PlaybackStarted)) > count)
            await events.wait_for(PlaybackStopped, 20, lambda e: not e.interrupted)
    finally:
        pulse.start()
    assert "vspeaker" in fault.message and "\n" not in fault.message


def _read_events(fd: int, until: str, timeout: float, sink: list[str]) -> None:
    """Collect the child's output lines until one contains `until`."""
    deadline = time.monotonic() + timeout
    buffer = ""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536).decode(errors="replace")
        except OSError:
            break
        if not chunk:
            break
        buffer += chunk
        *lines, buffer = buffer.split("\n")
        sink.extend(line.strip() for line in lines)
        if any(until in line for line in lines):
            return
    raise AssertionError(f"no {until!r} within {timeout} s; output: {sink[-10:]}")


def test_push_to_talk_in_a_terminal_hears_only_while_on(pulse, tmp_path):
    """`voiceslm ptt` in a pseudo-terminal: speech with the key up is ignored, speech with it down is heard."""
    require_models("whisper-tiny.en")
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    command = [sys.executable, "-m", "voiceslm", "ptt", "--mode", "transcribe", "--from", "en", "--json"]
    command += ["--input-device", "vmic", "--output-device", "vspeaker"]
    child = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=subprocess.DEVNULL, close_fds=True)
    lines: list[str] = []
    try:
        _read_events(master, '"kind": "input"', 90, lines)  # listening
        # Key up: this is said into the room but must not be heard.
        subprocess.run(["paplay", "-d", "vmic_in", str(DATA / "en_cheetah_platforms.wav")], check=True, timeout=30)
        os.write(master, b" ")  # key on
        _read_events(master, "recording", 10, lines)
        subprocess.run(["paplay", "-d", "vmic_in", str(DATA / "en_pocketsphinx_goforward.wav")], check=True, timeout=30)
        os.write(master, b" ")  # key off: send
        _read_events(master, "TranscriptReady", 60, lines)
        os.write(master, b"q")
        assert child.wait(30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    transcripts = [line for line in lines if "TranscriptReady" in line]
    assert len(transcripts) == 1, lines
    assert "forward" in transcripts[0].lower()
    assert "platform" not in " ".join(lines).lower()
    # The terminal was handed back as it was found (echo and line editing on).
    assert termios.tcgetattr(slave)[3] == before[3]
    os.close(master)
    os.close(slave)


@async_test
async def test_ready_waits_for_the_first_microphone_block(pulse, live_engines):
    """`ready` means audio is flowing: a status taken then shows both devices open."""
    pipeline = pipeline_for(live_engines, **{"live.mode": "transcribe"})
    async with running(pipeline):
        status = pipeline.status()
    assert status["ready"] and status["input_open"] and status["output_open"]
    assert status["input"] == "PulseAudio source vmic"
    assert status["state"] == "listening"


def test_run_stops_cleanly_on_ctrl_c(pulse, tmp_path):
    require_models("whisper-tiny.en")
    command = [sys.executable, "-m", "voiceslm", "run", "--mode", "transcribe", "--from", "en", "--json"]
    command += ["--input-device", "vmic", "--output-device", "vspeaker"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        for line in child.stdout:  # type: ignore[union-attr]
            if '"kind": "input"' in line or time.monotonic() > deadline:
                break
        child.send_signal(signal.SIGINT)
        code = child.wait(30)
        stderr = child.stderr.read()  # type: ignore[union-attr]
    finally:
        if child.poll() is None:
            child.kill()
    assert code == 0, stderr
    assert "Traceback" not in stderr


def test_devices_lists_the_virtual_devices(pulse):
    result = subprocess.run(
        [sys.executable, "-m", "voiceslm", "devices"], capture_output=True, text=True, timeout=60, check=True
    )
    assert "vmic" in result.stdout and "vspeaker" in result.stdout


def test_a_missing_device_is_one_sentence(pulse):
    result = subprocess.run(
        [sys.executable, "-m", "voiceslm", "run", "--input-device", "no-such-mic"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 4
    assert result.stderr.count("\n") == 1, result.stderr
    assert "no-such-mic" in result.stderr and "voiceslm devices" in result.stderr
