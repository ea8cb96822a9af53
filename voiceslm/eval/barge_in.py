"""`voiceslm bench --barge-in`: open speakers, the pipeline's own echo, and a person interrupting it.

On the PulseAudio virtual devices, with the speaker carried back into the
microphone through a simulated room (`voiceslm.eval.room`: a delay of tens of
milliseconds, attenuation and a reverberant tail), for each echo mode:

1. N replies are spoken (sentences in English and Spanish, in the voices a
   reply uses); a reply whose echo the listener takes for speech is a
   self-trigger.
2. N long replies are each interrupted, a second or so in, by a real
   recording said into the microphone (through `paplay`, its speech level
   matched to the echo's: 0 dB speech-to-echo). Reported: whether the
   barge-in was detected, the stop time (the listener's first voiced frame
   of the interruption -> the moment the reply stops being audible, device
   latency included, both on the pipeline's own clock) and what was
   transcribed, scored against the recording's reference (WER).

The microphone's volume is read before and after each mode: no mode may leave it changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from voiceslm.config import Config
from voiceslm.errors import UserError
from voiceslm.eval import room
from voiceslm.eval.barge_in_report import EventRecorder
from voiceslm.eval.bench import machine_description, percentile
from voiceslm.eval.scoring import Clip
from voiceslm.pipeline.events import Cancel, PlaybackStarted, PlaybackStopped, SpeechStarted, TranscriptReady

log = logging.getLogger(__name__)

MODES = ("half-duplex", "aec", "pulse-aec")
REPLIES = (
    ("The train to Madrid leaves from platform four at ten past nine.", "en"),
    ("Buenos días, la estación está cerca del museo.", "es"),
    ("It will be sunny tomorrow with a light wind from the west.", "en"),
    ("Muy bien, gracias, hasta luego.", "es"),
    ("Your timer for the pasta is set for eleven minutes.", "en"),
)
LONG_REPLY = (
    "This is a long answer that the speaker reads out slowly. It has several sentences so that it lasts "
    "a good while. Meanwhile someone starts to talk, and the answer must stop at once."
)
SMALL_NUMBERS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
NUMBER_WORDS = (*SMALL_NUMBERS.split(" "), "sixteen", "seventeen", "eighteen", "nineteen", "twenty")
"""The references spell small numbers out ("ten of clubs"); Whisper writes digits ("10 of clubs")."""
CORRECT_WER = 0.25
"""An interruption counts as transcribed correctly at or under this word error rate."""
SPEECH_RMS = 0.09
"""Level (RMS over voiced samples) the interrupting recordings are played at: that of the reply's echo
at the microphone through the default room (a voice at about 0.125, the direct path at -6 dB, as much
energy again in the reverberant tail)."""
ECHO_TAIL_S = 0.8
"""Silence after each reply before the next: the room's tail and the half-duplex guard's."""
PULSE_AEC = ("vmic_aec", "vspeaker_aec")


@dataclass
class Interruption:
    clip: str
    reference: str
    detected: bool = False
    stop_s: float | None = None
    transcript: str = ""
    wer: float | None = None
    clean_transcript: str = ""
    """What the same model makes of the recording alone, with no reply and no room: the ceiling."""
    clean_wer: float | None = None

    @property
    def correct(self) -> bool:
        return self.wer is not None and self.wer <= CORRECT_WER

    @property
    def correct_when_clean(self) -> bool:
        return self.clean_wer is not None and self.clean_wer <= CORRECT_WER


@dataclass
class ModeResult:
    mode: str
    replies: int = 0
    self_triggers: int = 0
    triggered_by: list[str] = field(default_factory=list)
    """The replies whose own echo was taken for speech."""
    interruptions: list[Interruption] = field(default_factory=list)
    mic_volume_before: str = ""
    mic_volume_after: str = ""
    error: str = ""

    def summary(self) -> dict[str, Any]:
        stops = sorted(i.stop_s for i in self.interruptions if i.stop_s is not None)
        return {
            "replies": self.replies,
            "self_triggers": self.self_triggers,
            "barge_in": {
                "tried": len(self.interruptions),
                "detected": sum(i.detected for i in self.interruptions),
                "transcribed_correctly": sum(i.correct for i in self.interruptions),
                "correct_when_clean": sum(i.correct_when_clean for i in self.interruptions),
                "stop_s": {"p50": percentile(stops, 50), "p90": percentile(stops, 90), "n": len(stops)},
            },
            "mic_volume_unchanged": self.mic_volume_before == self.mic_volume_after,
            "error": self.error,
        }

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for entry, interruption in zip(out["interruptions"], self.interruptions, strict=True):
            entry["correct"] = interruption.correct
            entry["correct_when_clean"] = interruption.correct_when_clean
        return {**out, "summary": self.summary()}


@dataclass
class BargeInReport:
    machine: str
    room: dict[str, float]
    modes: list[ModeResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "machine": self.machine,
            "room": self.room,
            "speech_rms": SPEECH_RMS,
            "modes": {m.mode: m.as_dict() for m in self.modes},
        }
        if len(self.modes) == 1:
            out["summary"] = self.modes[0].summary()
        return out


def interrupting_clips(clips: Sequence[Clip], max_seconds: float = 4.5) -> list[Clip]:
    """The manifest's short English recordings with a reference: what a person says to cut a reply."""
    from voiceslm.audio.io import load_audio

    chosen = [
        c
        for c in clips
        if c.language == "en" and c.reference and load_audio(c.path).size / room.SAMPLE_RATE <= max_seconds
    ]
    if not chosen:
        raise UserError("The manifest has no English recording of 4.5 s or less with a reference text; give another.")
    return chosen


async def run_barge_in(
    config: Config,
    clips: Sequence[Clip],
    *,
    modes: Sequence[str] = MODES,
    replies: int = 20,
    interruptions: int = 20,
    room_settings: dict[str, float] | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> BargeInReport:
    from voiceslm.engines.registry import Engines

    settings = {"delay_ms": 50.0, "gain": 0.5, "reverb_s": 0.3, "drr_db": 0.0, **(room_settings or {})}
    report = BargeInReport(machine_description(), settings)
    engines = await asyncio.to_thread(Engines, config)
    loop = room.start(
        delay_ms=settings["delay_ms"], gain=settings["gain"], reverb_s=settings["reverb_s"], drr_db=settings["drr_db"]
    )
    try:
        with tempfile.TemporaryDirectory(prefix="voiceslm-barge-in-") as scratch:
            levelled = [(_levelled(c, Path(scratch)), c) for c in clips]
            clean = await asyncio.to_thread(_clean_transcripts, engines, levelled)
            for mode in modes:
                result = ModeResult(mode)
                report.modes.append(result)
                progress(f"{mode}: {replies} replies, {interruptions} interruptions")
                await _run_mode(config, engines, result, levelled, replies, interruptions, progress)
                for trial in result.interruptions:
                    trial.clean_transcript = clean[trial.clip]
                    trial.clean_wer = word_error(trial.reference, trial.clean_transcript)
    finally:
        loop.terminate()
        loop.wait(10)
        await asyncio.to_thread(engines.close)
    return report


def _clean_transcripts(engines: Any, levelled: Sequence[tuple[Path, Clip]]) -> dict[str, str]:
    """Each recording, as played, transcribed alone by the English model the live pipeline uses, decoded as it
    decodes a barge-in (Whisper's full window, `Transcriber._run_stt`): decoded in the short window instead,
    "four queen of clubs" alone came out "4 queen of clothes" (0.25) where the full window hears "for Queen
    of Clothes." (0.5), so the ceiling counted a miss the echo had no part in."""
    from voiceslm.audio.io import load_audio

    stt = engines.stt("en")
    return {
        clip.path.name: stt.transcribe(load_audio(path), "en", full_window=True).text.strip() for path, clip in levelled
    }


def _levelled(clip: Clip, directory: Path) -> Path:
    from voiceslm.audio.io import load_audio, write_wav

    audio = load_audio(clip.path)
    voiced = audio[np.abs(audio) > 0.01]
    scale = SPEECH_RMS / float(np.sqrt(np.mean(np.square(voiced)))) if voiced.size else 1.0
    path = directory / f"{clip.path.stem}.wav"
    write_wav(path, np.clip(audio * scale, -1.0, 1.0), room.SAMPLE_RATE)
    return path


async def _run_mode(
    config: Config,
    engines: Any,
    result: ModeResult,
    clips: Sequence[tuple[Path, Clip]],
    replies: int,
    interruptions: int,
    progress: Callable[[str], None],
) -> None:
    from voiceslm.pipeline.session import LiveSession

    echo = dataclasses.replace(config.echo, mode=result.mode)  # type: ignore[arg-type]
    module = None
    if result.mode == "pulse-aec":
        try:
            module = _pactl(
                "load-module", "module-echo-cancel", "source_master=vmic", "sink_master=vspeaker",
                "aec_method=webrtc", f"source_name={PULSE_AEC[0]}", f"sink_name={PULSE_AEC[1]}",
            )  # fmt: skip
        except subprocess.CalledProcessError as exc:
            result.error = f"PulseAudio's echo canceller would not load: {exc.stderr.strip()}"
            return
        echo = dataclasses.replace(echo, aec_source=PULSE_AEC[0], aec_sink=PULSE_AEC[1])
    result.mic_volume_before = _mic_volume()
    cfg = dataclasses.replace(
        config,
        echo=echo,
        live=dataclasses.replace(config.live, mode="transcribe"),
        audio=dataclasses.replace(config.audio, input_device="vmic", output_device="vspeaker"),
    )
    session = LiveSession(cfg, engines=engines, mode="transcribe", source="en")
    events = EventRecorder(session)
    runner = asyncio.create_task(session.run())
    try:
        await _ready(session, runner)
        await _replies(session, events, result, replies, progress)
        for index in range(interruptions):
            path, clip = clips[index % len(clips)]
            trial = Interruption(clip.path.name, clip.reference)
            result.interruptions.append(trial)
            await _interrupt(session, events, trial, path, 1.0 + 0.3 * (index % 4))
            progress(
                f"  {result.mode} interruption {index + 1}: detected={trial.detected} "
                f"stop={trial.stop_s if trial.stop_s is None else round(trial.stop_s, 3)} {trial.transcript!r}"
            )
    finally:
        session.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(runner, 20)
        await events.close()
        if module is not None:
            _pactl("unload-module", module)
        result.mic_volume_after = _mic_volume()
        if result.mic_volume_after != result.mic_volume_before:
            # PulseAudio's canceller turns the microphone down and leaves it so: put it back.
            _pactl("set-source-volume", "vmic", result.mic_volume_before.split()[0])


async def _replies(session: Any, events: EventRecorder, result: ModeResult, count: int, progress: Any) -> None:
    for index in range(count):
        text, language = REPLIES[index % len(REPLIES)]
        after = len(events.seen)
        await session.say(text, language)
        await events.wait_for(PlaybackStopped, 60, after=after)
        await asyncio.sleep(ECHO_TAIL_S)
        result.replies += 1
        if events.of(SpeechStarted, after=after):
            result.self_triggers += 1
            result.triggered_by.append(text)
            progress(f"  {result.mode} reply {index + 1} triggered the microphone: {text}")


async def _interrupt(session: Any, events: EventRecorder, trial: Interruption, path: Path, after_s: float) -> None:
    after = len(events.seen)
    await session.say(LONG_REPLY, "en")
    await events.wait_for(PlaybackStarted, 60, after=after)
    await asyncio.sleep(after_s)
    player = await asyncio.create_subprocess_exec("paplay", "-d", "vmic_in", str(path), stderr=subprocess.DEVNULL)
    try:
        await events.wait_for(Cancel, 6, lambda e: e.reason == "barge-in", after=after)
        trial.detected = True
    except TimeoutError:
        session.stop_speaking()
    stopped = await events.wait_for(PlaybackStopped, 10, after=after)
    await player.wait()
    onsets = events.of(SpeechStarted, after=after)
    if trial.detected and onsets and onsets[0].during_playback:
        trial.stop_s = stopped.audible_until - onsets[0].at
    # Whatever the interruption became (one turn, or two if it was cut), once the turn has ended.
    await events.settle(0.8, 15, lambda: session.status()["state"] == "listening")
    trial.transcript = " ".join(e.text for e in events.of(TranscriptReady, after=after) if e.text).strip()
    if trial.transcript or onsets:
        trial.wer = word_error(trial.reference, trial.transcript)
    await asyncio.sleep(ECHO_TAIL_S)


def word_error(reference: str, transcript: str) -> float:
    """WER of an interruption's transcript, with small numbers written as the references write them."""
    from voiceslm.eval.scoring import _error_rates

    spelled = re.sub(r"\b(1[0-9]|20|[0-9])\b", lambda m: NUMBER_WORDS[int(m.group(1))], transcript)
    return round(_error_rates([reference], [spelled])[0], 3)


async def _ready(session: Any, runner: asyncio.Task[None]) -> None:
    waiter = asyncio.ensure_future(session.ready)
    done, _ = await asyncio.wait({waiter, runner}, timeout=120, return_when=asyncio.FIRST_COMPLETED)
    if runner in done:
        waiter.cancel()
        runner.result()
    if waiter not in done:
        raise UserError("The live pipeline did not start within 120 s on the virtual devices; see the log.")
    waiter.result()


def _pactl(*args: str) -> str:
    return subprocess.run(["pactl", *args], check=True, capture_output=True, text=True, timeout=10).stdout.strip()


def _mic_volume() -> str:
    """The virtual microphone's volume as PulseAudio reports it (e.g. "65536 100%")."""
    text = _pactl("get-source-volume", "vmic")
    match = re.search(r"(\d+) / +(\d+%)", text)
    return f"{match.group(1)} {match.group(2)}" if match else text
