"""Start-up work for a live session: open the devices, load and warm the models.

Everything here blocks (device look-ups, model loads, a first inference), so the
session runs it in a thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import numpy as np

from voiceslm.audio.capture import AudioInput, MicrophoneInput, RecordingInput
from voiceslm.audio.playback import AudioOutput, FileOutput, SpeakerOutput
from voiceslm.config import Config
from voiceslm.engines.registry import EngineSet
from voiceslm.engines.vad import VoiceActivity
from voiceslm.models.needs import Needs


def open_microphone(config: Config, *, fail_fast: bool) -> MicrophoneInput:
    """The configured microphone (PulseAudio's echo-cancelled source with `echo.mode: pulse-aec`)."""
    spec = config.audio.input_device
    if config.echo.mode == "pulse-aec":
        from voiceslm.audio.devices import find_echo_cancel

        spec = "pulse:" + (config.echo.aec_source or find_echo_cancel("input"))
    return MicrophoneInput(
        spec,
        sample_rate=config.audio.input_sample_rate,
        block_ms=config.audio.block_ms,
        reopen_max_s=config.audio.reopen_max_s,
        fail_fast=fail_fast,
    )


def open_speaker(config: Config, *, fail_fast: bool) -> SpeakerOutput:
    """The configured speaker (PulseAudio's echo-cancelled sink with `echo.mode: pulse-aec`)."""
    spec = config.audio.output_device
    if config.echo.mode == "pulse-aec":
        from voiceslm.audio.devices import find_echo_cancel

        spec = "pulse:" + (config.echo.aec_sink or find_echo_cancel("output"))
    return SpeakerOutput(
        spec,
        sample_rate=config.audio.output_sample_rate,
        latency=config.audio.output_latency,
        reopen_max_s=config.audio.reopen_max_s,
        fail_fast=fail_fast,
    )


async def open_devices(
    config: Config, audio_in: AudioInput | None, audio_out: AudioOutput | None, *, fail_fast: bool
) -> tuple[AudioInput, AudioOutput]:
    """The given input and output, or the configured devices, looked up in a thread.

    Devices are looked up before the models load: a mistyped name fails in a second.
    """
    if audio_in is None:
        audio_in = open_microphone(config, fail_fast=fail_fast)
    if isinstance(audio_in, MicrophoneInput):
        await asyncio.to_thread(audio_in.check)
    if audio_out is None:
        audio_out = await asyncio.to_thread(open_speaker, config, fail_fast=fail_fast)
    if config.echo.mode == "aec" and isinstance(audio_in, MicrophoneInput) and isinstance(audio_out, SpeakerOutput):
        # A recording and a WAV file have no acoustic path between them: nothing to cancel.
        from voiceslm.audio.echo_cancel import EchoPath

        echo = EchoPath.create(adapt_s=config.echo.adapt_s, noise_suppression=config.echo.noise_suppression)
        audio_in.echo = audio_out.echo = echo
    return audio_in, audio_out


def file_io(
    config: Config, input_path: Path | None, output_path: Path | None
) -> tuple[AudioInput | None, AudioOutput | None]:
    """The recording input and WAV output for --input / --output (None: use the device)."""
    audio_in: AudioInput | None = None
    audio_out: AudioOutput | None = None
    if input_path is not None:
        from voiceslm.audio.io import load_audio

        samples = load_audio(input_path, 16000, config.limits.max_audio_seconds)
        recording = RecordingInput(block_ms=config.audio.block_ms, name=str(input_path))
        recording.queue(samples)
        # Enough silence after the recording for the last turn to end.
        recording.close(max(config.vad.min_silence_ms, config.vad.max_silence_ms) / 1000 + 0.5)
        audio_in = recording
    if output_path is not None:
        from voiceslm.audio.io import check_output_path

        audio_out = FileOutput(check_output_path(output_path))
    return audio_in, audio_out


def load_models(
    engines: EngineSet, needs: Needs, vad: VoiceActivity | None, warmed: set[str] | None = None
) -> VoiceActivity:
    """Check, load and warm up what `needs` names; returns the VAD model (loaded once).

    `warmed` holds what an earlier call of the same session already warmed ("stt:en", "lm:assist",
    "voice:es"): that is skipped, so a mode switch that needs no new model loads and runs nothing.
    """
    done = warmed if warmed is not None else set()
    stt_languages = tuple(x for x in needs.stt_languages if f"stt:{x}" not in done)
    lm_roles = tuple(x for x in needs.lm_roles if f"lm:{x}" not in done)
    voice_languages = tuple(x for x in needs.voice_languages if f"voice:{x}" not in done)
    engines.check_installed(
        stt_languages=stt_languages, lm_roles=lm_roles, voice_languages=voice_languages, directions=needs.directions
    )
    if vad is None:
        vad = engines.new_vad()
    engines.preload(
        stt_languages=stt_languages, lm_roles=lm_roles, voice_languages=voice_languages, directions=needs.directions
    )
    # The first call into each engine pays for lazy set-up (CTranslate2
    # allocations, ONNX sessions); pay it now rather than on the first turn.
    # Silence would be skipped by Whisper's own VAD, so warm up on speech.
    if stt_languages:
        speech = _warm_up_speech()
    for language in stt_languages:
        engines.stt(language).transcribe(speech, language)
        done.add(f"stt:{language}")
    if "turn" not in done and (turn := engines.turn_model()) is not None:
        turn.probability(speech if stt_languages else _warm_up_speech())
        done.add("turn")
    warm = threading.Event()
    directions = needs.directions or ((None, "es"),)
    for role in lm_roles:
        model = engines.lm(role)
        if role == "assist":
            # The policy's learned layer trains (or loads its cache) now, not on the first question.
            from voiceslm.assistant import policy

            policy.classify("Hi.", "en")
            stream = model.answer("Hi.", cancel=warm)
        else:
            # The direction the mode translates: another would load engines it never uses.
            source, target = directions[0]
            stream = model.translate("Hi.", source or "en", target, cancel=warm)
        next(iter(stream), None)
        warm.set()
        for _ in stream:
            pass
        warm.clear()
        done.add(f"lm:{role}")
    for language in voice_languages:
        for _ in engines.voice(language).synthesize("OK."):
            pass
        done.add(f"voice:{language}")
    return vad


def _warm_up_speech() -> np.ndarray:
    from importlib import resources

    from voiceslm.audio.io import load_audio

    path = resources.files("voiceslm").joinpath("assets/demo_en.wav")
    with resources.as_file(path) as file:
        return load_audio(file, 16000, max_seconds=None)[: 16000 * 2]
