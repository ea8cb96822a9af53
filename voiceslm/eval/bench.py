"""Latency benchmark of the live pipeline on real recordings played in real time.

Each clip is played into the running pipeline at real-time pace, as a
speaker would say it: through a recording input (no sound card needed), or
into the PulseAudio virtual microphone from a separate process with the reply
played to the virtual speaker (`via="pulse"`). The pipeline's own events give
every figure, so what is measured is what a listener would live through:

- end of speech -> first reply audio (reaching the output, device latency included)
- end of speech -> transcript
- first audio -> last audio (how long the reply plays)
- peak RSS of the process and CPU seconds spent on the clip.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from voiceslm.config import Config
from voiceslm.errors import UserError
from voiceslm.eval.scoring import Clip
from voiceslm.pipeline.events import DeviceFault, Mode, ReplyText, TranscriptReady, UtteranceStats

log = logging.getLogger(__name__)

Via = Literal["file", "pulse"]
REPLY_TIMEOUT_S = 60.0
"""A clip whose reply has not finished this long after it was played counts as failed."""


@dataclass
class ClipResult:
    clip: str
    language: str
    transcript: str = ""
    reply: str = ""
    speech_to_first_audio_s: float | None = None
    speech_to_transcript_s: float | None = None
    speech_to_first_token_s: float | None = None
    speech_to_first_sentence_s: float | None = None
    endpoint_s: float | None = None
    first_to_last_audio_s: float | None = None
    stt_rtf: float | None = None
    peak_rss_mb: float = 0.0
    cpu_s: float = 0.0
    error: str = ""


@dataclass
class BenchReport:
    mode: str
    via: str
    machine: str
    clips: list[ClipResult] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in SUMMARY_KEYS:
            values = sorted(v for c in self.clips if (v := getattr(c, key)) is not None)
            out[key] = {"p50": percentile(values, 50), "p90": percentile(values, 90), "n": len(values)}
        out["peak_rss_mb"] = max((c.peak_rss_mb for c in self.clips), default=0.0)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "via": self.via,
            "machine": self.machine,
            "clips": [asdict(c) for c in self.clips],
            "summary": self.summary(),
        }


SUMMARY_KEYS = {
    "speech_to_first_audio_s": "end of speech -> first audio",
    "endpoint_s": "end of speech -> end of turn",
    "speech_to_transcript_s": "end of speech -> transcript",
    "speech_to_first_token_s": "end of speech -> first token",
    "speech_to_first_sentence_s": "end of speech -> 1st sentence",
    "first_to_last_audio_s": "first audio -> last audio",
    "cpu_s": "CPU seconds per clip",
}


def percentile(values: list[float], pct: float) -> float | None:
    """Linear-interpolated percentile of sorted `values` (None when empty)."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(pct) - 1]


def machine_description() -> str:
    import os
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ""
    with contextlib.suppress(OSError):
        load = f", load {os.getloadavg()[0]:.2f}"
    return f"{platform.machine()}, {os.cpu_count()} cores, {cpu}{load}"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run_bench(
    config: Config,
    clips: list[Clip],
    *,
    mode: Mode,
    source: str | None,
    target: str | None,
    via: Via = "file",
    gap_s: float = 1.0,
    engines: Any = None,
    progress: Any = None,
) -> BenchReport:
    """Play every clip through one live pipeline (models loaded once) and collect its figures."""
    from voiceslm.audio.capture import RecordingInput
    from voiceslm.audio.io import load_audio
    from voiceslm.audio.playback import FileOutput
    from voiceslm.pipeline.session import LiveSession

    report = BenchReport(mode=mode, via=via, machine=machine_description())
    recording: RecordingInput | None = None
    if via == "file":
        recording = RecordingInput(block_ms=config.audio.block_ms, name="bench clips")
        pipeline = LiveSession(
            config,
            engines=engines,
            audio_in=recording,
            audio_out=FileOutput(None),
            mode=mode,
            source=source,
            target=target,
        )
    else:
        pipeline = LiveSession(config, engines=engines, mode=mode, source=source, target=target)
    events = pipeline.subscribe(maxsize=10000)
    runner = asyncio.create_task(pipeline.run())
    try:
        await _ready(pipeline, runner)
        for clip in clips:
            samples = load_audio(clip.path, 16000, config.limits.max_audio_seconds)
            result = ClipResult(clip=clip.path.name, language=clip.language)
            cpu_before = _cpu_s()
            if recording is not None:
                played: asyncio.Future[Any] = recording.play(samples)
            else:
                played = asyncio.ensure_future(_play_into_virtual_mic(clip.path))
            await _collect(events, result, runner, mode, played, pipeline)
            result.cpu_s = _cpu_s() - cpu_before
            result.peak_rss_mb = _peak_rss_mb()
            report.clips.append(result)
            if progress is not None:
                progress(result)
            await asyncio.sleep(gap_s)
    finally:
        events.close()
        pipeline.stop()
        await asyncio.gather(runner, return_exceptions=True)
    return report


async def _ready(pipeline: Any, runner: asyncio.Task[None]) -> None:
    waiter = asyncio.ensure_future(pipeline.ready)
    done, _ = await asyncio.wait({waiter, runner}, return_when=asyncio.FIRST_COMPLETED)
    if runner in done:
        waiter.cancel()
        runner.result()  # raises the start-up error
        raise UserError("The live pipeline stopped before it was ready; see the log.")
    waiter.result()


async def _play_into_virtual_mic(path: Path) -> None:
    """paplay from its own process: a second stream inside this one lost audio under load."""
    process = await asyncio.create_subprocess_exec("paplay", "-d", "vmic_in", str(path), stderr=subprocess.DEVNULL)
    await process.wait()


async def _collect(
    events: Any, result: ClipResult, runner: asyncio.Task[None], mode: Mode, played: asyncio.Future[Any], pipeline: Any
) -> None:
    """Gather the clip's turns until it has been played and every turn it caused is answered.

    A clip with long pauses is several turns; its figures are those of the last
    one, whose end of speech is where the speaker stopped.
    """
    deadline = time.monotonic() + REPLY_TIMEOUT_S
    transcripts: list[str] = []
    replies: list[str] = []
    last: UtteranceStats | None = None
    idle_since: float | None = None
    while time.monotonic() < deadline:
        if runner.done():
            runner.result()
            result.error = "pipeline stopped"
            return
        event = await events.next(timeout=0.1)
        if isinstance(event, TranscriptReady) and event.text:
            transcripts.append(event.text)
        elif isinstance(event, ReplyText) and event.final:
            replies.append(event.text)
        elif isinstance(event, DeviceFault):
            result.error = event.message
        elif isinstance(event, UtteranceStats):
            last = event
        state = pipeline.status()["state"]
        if played.done() and last is not None and state == "listening":
            idle_since = idle_since or time.monotonic()
            # Past the silence that ends a turn, nothing more can come from this clip.
            vad = pipeline.config.vad
            if time.monotonic() - idle_since > max(vad.min_silence_ms, vad.max_silence_ms) / 1000 + 0.3:
                break
        else:
            idle_since = None
    else:
        result.error = f"no complete reply within {REPLY_TIMEOUT_S:.0f} s"
    result.transcript = " ".join(transcripts)
    result.reply = " ".join(replies)
    if last is not None:
        result.speech_to_transcript_s = last.to_transcript
        result.speech_to_first_audio_s = last.to_first_audio
        result.speech_to_first_token_s = last.to_first_token
        result.speech_to_first_sentence_s = last.to_first_sentence
        result.endpoint_s = last.endpoint_s
        result.first_to_last_audio_s = last.audio_out_s
        result.stt_rtf = last.stt_rtf
        if mode != "transcribe" and last.to_first_audio is None and not result.error:
            result.error = "no reply was spoken" if result.transcript else "nothing was heard"
    elif not result.error:
        result.error = "nothing was heard"


def format_report(report: BenchReport) -> str:
    def cell(value: float | None) -> str:
        return f"{value:.2f}" if value is not None else "-"

    lines = [
        f"mode {report.mode}, via {report.via}; machine: {report.machine}",
        f"{'clip':<40} {'audio':>6} {'turn':>6} {'text':>6} {'token':>6} {'sent.':>6} {'len':>6} "
        f"{'cpu s':>6} {'rss MB':>6}  transcript",
        f"{'(seconds after the end of speech)':<40}",
    ]
    for c in report.clips:
        text = c.error or c.transcript
        lines.append(
            f"{c.clip[:40]:<40} {cell(c.speech_to_first_audio_s):>6} {cell(c.endpoint_s):>6} "
            f"{cell(c.speech_to_transcript_s):>6} {cell(c.speech_to_first_token_s):>6} "
            f"{cell(c.speech_to_first_sentence_s):>6} {cell(c.first_to_last_audio_s):>6} "
            f"{c.cpu_s:>6.2f} {c.peak_rss_mb:>6.0f}  {text[:50]}"
        )
    summary = report.summary()
    for key, label in SUMMARY_KEYS.items():
        figures = summary[key]
        lines.append(f"{label:<32} p50 {cell(figures['p50'])} s, p90 {cell(figures['p90'])} s (n={figures['n']})")
    lines.append(f"peak RSS {summary['peak_rss_mb']:.0f} MB")
    return "\n".join(lines)
