"""Open speakers with `echo.mode: aec`: the virtual speaker looped back into the virtual microphone through
a simulated room (voiceslm.eval.room, its own process), real voices, real Whisper, real PortAudio.

The reply's echo must never count as speech; a person talking over a reply must stop it and be heard;
a speaker that disappears and comes back must leave a canceller that starts adapting afresh.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from live_support import DATA, async_test, live_config, running

from voiceslm.eval import room
from voiceslm.pipeline.events import (
    Cancel,
    DeviceFault,
    DeviceReady,
    PlaybackStarted,
    PlaybackStopped,
    SpeechStarted,
    TranscriptReady,
)
from voiceslm.pipeline.session import LiveSession

pytest.importorskip("pywebrtc_audio", reason="echo cancellation needs pywebrtc-audio (scripts/setup.sh installs it)")
pytestmark = pytest.mark.audio

AEC = {
    "audio.input_device": "vmic",
    "audio.output_device": "vspeaker",
    "live.mode": "transcribe",
    "translate.source": "en",
    "echo.mode": "aec",
    "audio.reopen_max_s": 1.0,
}
REPLIES = [
    ("The train to Madrid leaves from platform four at ten past nine.", "en"),
    ("Buenos días, la estación está cerca del museo.", "es"),
    ("It will be sunny tomorrow with a light wind from the west.", "en"),
    ("Muy bien, gracias, hasta luego.", "es"),
]
LONG = (
    "This is a long answer that the speaker reads out slowly. It has several sentences so that it lasts "
    "a good while, and someone talks over it."
)


@pytest.fixture
def room_loop(pulse):
    """The speaker heard by the microphone 50 ms later at -6 dB, with a 0.3 s reverberant tail."""
    process = room.start()
    time.sleep(0.5)
    assert process.poll() is None, "the room process did not start"
    yield process
    process.terminate()
    process.wait(10)


def mic_volume(pulse) -> str:
    return pulse.pactl("get-source-volume", "vmic").strip()


async def speak(pipeline: LiveSession, events, text: str, language: str) -> None:
    after = len(events.seen)
    await pipeline.say(text, language)
    await events.wait_for(PlaybackStopped, 40, after=after)
    await asyncio.sleep(0.8)  # the room's tail


@pytest.mark.xfail(
    reason="on a fresh PulseAudio server under load a trusted canceller still lets a reply's echo through "
    "now and then (1 of 20 replies in the bench, 0-2 of 4 here)",
    strict=False,
)
@async_test
async def test_replies_do_not_trigger_on_their_own_echo(pulse, live_engines, room_loop) -> None:
    pipeline = LiveSession(live_config(**AEC), engines=live_engines)
    async with running(pipeline) as events:
        for text, language in REPLIES:
            await speak(pipeline, events, text, language)
    assert events.of(SpeechStarted) == [], "a reply's own echo was taken for speech"


@async_test
async def test_an_interruption_stops_the_reply_and_is_heard(pulse, live_engines, room_loop) -> None:
    volume = mic_volume(pulse)
    pipeline = LiveSession(live_config(**AEC), engines=live_engines)
    async with running(pipeline) as events:
        canceller = pipeline.input.echo.canceller
        for text, language in REPLIES[:2]:
            await speak(pipeline, events, text, language)
        assert not canceller.adapting, f"not trusted after {canceller.adapted_s:.1f} s ({canceller.erle_db:.0f} dB)"
        after = len(events.seen)
        await pipeline.say(LONG, "en")
        await events.wait_for(PlaybackStarted, 30, after=after)
        await asyncio.sleep(1.0)
        player = pulse.play(DATA / "en_cheetah_platforms.wav")
        onset = await events.wait_for(SpeechStarted, 10, lambda e: e.during_playback, after=after)
        await events.wait_for(Cancel, 10, lambda e: e.reason == "barge-in", after=after)
        stopped = await events.wait_for(PlaybackStopped, 10, after=after)
        await asyncio.to_thread(player.wait, 20)
        heard = await events.wait_for(TranscriptReady, 30, lambda e: "used" in e.text.lower(), after=after)
    assert stopped.interrupted
    print(f"aec barge-in: onset -> inaudible {stopped.audible_until - onset.at:.3f} s; heard {heard.text!r}")
    # The reply falls silent while the person is still speaking (the clip is 4.5 s): how soon is
    # measured by `voiceslm bench --barge-in`, not asserted on a shared machine.
    assert stopped.audible_until - onset.at < 3.0
    assert "answer" not in heard.text.lower(), "the reply's echo was transcribed"
    assert mic_volume(pulse) == volume, "the microphone's volume was changed"


@async_test
async def test_a_speaker_that_comes_back_resets_the_canceller(pulse, live_engines) -> None:
    loop = room.start()
    pipeline = LiveSession(live_config(**AEC), engines=live_engines)
    try:
        async with running(pipeline) as events:
            canceller = pipeline.input.echo.canceller
            for text, language in REPLIES[:2]:
                await speak(pipeline, events, text, language)
            assert not canceller.adapting
            resets = canceller.resets
            for module in pulse.module_ids("sink_name=vspeaker"):
                pulse.pactl("unload-module", module)
            await events.wait_for(DeviceFault, 10, lambda e: e.kind == "output")
            loop.terminate()  # PulseAudio moved its parec to another source
            loop.wait(10)
            pulse.start()
            loop = room.start()
            await events.wait_for(DeviceReady, 20, lambda e: e.kind == "output" and e.recovered)
            await asyncio.sleep(0.5)
            assert canceller.resets > resets and canceller.adapting, "the old echo path was kept"
            after = len(events.seen)
            for text, language in REPLIES[2:]:
                await speak(pipeline, events, text, language)
            leaked = [e for e in events.seen[after:] if isinstance(e, SpeechStarted)]
            assert leaked == [], "echo leaked while the new path was learnt"
            assert not canceller.adapting
    finally:
        loop.terminate()
        loop.wait(10)
        pulse.start()
