"""One Wyoming client connection: speech-to-text, text-to-speech and `handle`, event by event.

Each connection is a small state machine: audio must come as audio-start,
audio-chunk*, audio-stop; streamed text as synthesize-start,
synthesize-chunk*, synthesize-stop. An event out of that order, or malformed,
or too large, gets an `error` event and the connection is closed; a request
the server cannot take (busy, a language nobody speaks) gets an `error` and
the connection stays open. Events of other domains are ignored, as the
protocol asks of servers. The engines are shared by all connections through
`Gates`, one per engine, so a model is never loaded twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from voiceslm.audio.io import STT_SAMPLE_RATE, to_int16
from voiceslm.errors import UserError
from voiceslm.wyoming.pcm import audio_format, to_float_mono
from voiceslm.wyoming.wire import ProtocolError, WireLimits, read_event

if TYPE_CHECKING:
    from wyoming.event import Event

    from voiceslm.engines.registry import Engines
    from voiceslm.wyoming.gate import Gates
    from voiceslm.wyoming.info import VoiceChooser

log = logging.getLogger(__name__)

SAMPLES_PER_CHUNK = 1024
"""Samples per audio-chunk sent (what wyoming-piper sends)."""


@dataclass
class Service:
    """What every connection shares."""

    engines: Engines
    gates: Gates
    voices: VoiceChooser
    info: Event
    handle_mode: str
    limits: WireLimits = field(default_factory=WireLimits)


@dataclass
class _AudioIn:
    rate: int
    width: int
    channels: int
    resampler: Any
    parts: list[np.ndarray] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class _TextStream:
    voice: Any
    splitter: Any
    chars: int = 0


class Session:
    def __init__(self, service: Service, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._service = service
        self._reader = reader
        self._writer = writer
        self._language: str | None = None
        self._audio: _AudioIn | None = None
        self._stream: _TextStream | None = None

    async def run(self) -> None:
        from wyoming.error import Error

        peer = self._writer.get_extra_info("peername") or "local client"
        try:
            while (event := await read_event(self._reader, self._service.limits)) is not None:
                await self._dispatch(event)
            if self._audio is not None or self._stream is not None:
                log.info("%s left in the middle of a request; it was dropped", peer)
        except ProtocolError as exc:
            log.warning("closing the connection of %s: %s", peer, exc)
            await self._send(Error(text=str(exc), code=exc.code).event())
        except (ConnectionError, BrokenPipeError) as exc:
            log.info("%s went away: %s", peer, exc)
        except Exception:  # one connection's failure must not stop the others
            log.exception("a request of %s failed", peer)
            await self._send(
                Error(text="The server failed on this request; its log says why.", code="internal").event()
            )
        finally:
            self._writer.close()

    async def _send(self, event: Event) -> None:
        from wyoming.event import async_write_event

        try:
            await async_write_event(event, self._writer)
        except (ConnectionError, BrokenPipeError):
            log.debug("client gone before an event could be sent")

    async def _dispatch(self, event: Event) -> None:
        from wyoming.error import Error

        handler = _HANDLERS.get(event.type)
        if handler is None:
            log.debug("ignored event %r", event.type)
            return
        try:
            await handler(self, event)
        except UserError as exc:
            self._audio = self._stream = None
            await self._send(Error(text=str(exc), code=getattr(exc, "code", "refused")).event())

    # info ---------------------------------------------------------------

    async def _describe(self, event: Event) -> None:
        await self._send(self._service.info)

    async def _ping(self, event: Event) -> None:
        from wyoming.ping import Pong

        await self._send(Pong(text=_text(event, "text", required=False)).event())

    # asr ----------------------------------------------------------------

    async def _transcribe(self, event: Event) -> None:
        if self._audio is not None:
            raise ProtocolError("transcribe arrived in the middle of an audio stream; send audio-stop first.")
        language = _text(event, "language", required=False)
        self._language = language.replace("-", "_").split("_")[0].lower() if language else None

    async def _audio_start(self, event: Event) -> None:
        import soxr

        if self._audio is not None:
            raise ProtocolError("audio-start arrived while an audio stream was open; send audio-stop first.")
        if self._stream is not None:
            raise ProtocolError("audio-start arrived in the middle of a synthesize stream.")
        rate, width, channels = audio_format(event)
        self._audio = _AudioIn(rate, width, channels, soxr.ResampleStream(rate, STT_SAMPLE_RATE, 1, dtype="float32"))

    async def _audio_chunk(self, event: Event) -> None:
        audio = self._audio
        if audio is None:
            raise ProtocolError("audio-chunk arrived before audio-start; start each stream with audio-start.")
        if audio_format(event) != (audio.rate, audio.width, audio.channels):
            raise ProtocolError("An audio-chunk's rate, width or channels differ from its audio-start's.")
        payload = event.payload or b""
        frame = audio.width * audio.channels
        if len(payload) % frame:
            raise ProtocolError(f"An audio-chunk of {len(payload)} bytes is not whole frames of {frame} bytes.")
        samples = to_float_mono(payload, audio.width, audio.channels)
        audio.seconds += samples.size / audio.rate
        limit = self._service.engines.config.limits.max_audio_seconds
        if audio.seconds > limit:
            raise ProtocolError(
                f"The audio stream is longer than {limit:g} s (limits.max_audio_seconds); send shorter utterances.",
                "too-large",
            )
        audio.parts.append(audio.resampler.resample_chunk(samples))

    async def _audio_stop(self, event: Event) -> None:
        from wyoming.asr import Transcript

        from voiceslm import oneshot

        audio = self._audio
        if audio is None:
            raise ProtocolError("audio-stop arrived with no audio stream open.")
        self._audio = None
        audio.parts.append(audio.resampler.resample_chunk(np.zeros(0, np.float32), last=True))
        samples = np.concatenate(audio.parts)
        if samples.size == 0:
            await self._send(Transcript(text="").event())
            return
        engines = self._service.engines
        language = self._language or _configured_source(engines)
        transcript = await self._service.gates.stt.run(oneshot.transcribe, engines, samples, language)
        await self._send(Transcript(text=transcript.text, language=transcript.language).event())

    # tts ----------------------------------------------------------------

    async def _synthesize(self, event: Event) -> None:
        from wyoming.audio import AudioStop

        if self._stream is not None:
            return  # sent beside a stream for older servers; the stream carries the text
        if self._audio is not None:
            raise ProtocolError("synthesize arrived in the middle of an audio stream.")
        text = self._check_text(_text(event, "text"))
        voice = await self._voice(event)
        started = await self._speak(voice, text, open_stream=True, close_stream=False)
        if not started:
            await self._audio_start_out(voice.sample_rate)
        await self._send(AudioStop().event())

    async def _synthesize_start(self, event: Event) -> None:
        from voiceslm.text import SentenceSplitter

        if self._stream is not None or self._audio is not None:
            raise ProtocolError("synthesize-start arrived while another stream was open.")
        self._stream = _TextStream(await self._voice(event), SentenceSplitter())

    async def _synthesize_chunk(self, event: Event) -> None:
        stream = self._stream
        if stream is None:
            raise ProtocolError("synthesize-chunk arrived before synthesize-start.")
        text = _text(event, "text", required=False)
        stream.chars += len(text)
        self._check_text_size(stream.chars)
        for sentence in stream.splitter.feed(text):
            await self._speak(stream.voice, sentence, open_stream=True, close_stream=True)

    async def _synthesize_stop(self, event: Event) -> None:
        from wyoming.tts import SynthesizeStopped

        stream = self._stream
        if stream is None:
            raise ProtocolError("synthesize-stop arrived with no synthesize stream open.")
        for sentence in stream.splitter.flush():
            await self._speak(stream.voice, sentence, open_stream=True, close_stream=True)
        self._stream = None
        await self._send(SynthesizeStopped().event())

    async def _voice(self, event: Event) -> Any:
        voice = event.data.get("voice") or {}
        if not isinstance(voice, dict):
            raise ProtocolError(f'Event {event.type!r} has a "voice" that is not a JSON object.')
        name, language = voice.get("name"), voice.get("language")
        if not isinstance(name, (str, type(None))) or not isinstance(language, (str, type(None))):
            raise ProtocolError(f"Event {event.type!r} has a voice name or language that is not a string.")
        offer = self._service.voices.resolve(name, language)
        return await self._service.gates.tts.run(self._service.voices.load, offer)

    async def _speak(self, voice: Any, text: str, *, open_stream: bool, close_stream: bool) -> bool:
        """Synthesise `text` sentence by sentence, sending each as it is ready; True if audio was sent."""
        from wyoming.audio import AudioChunk, AudioStop

        from voiceslm.text import split_sentences

        sent = False
        for sentence in split_sentences(text):
            chunk = await self._service.gates.tts.run(_speak_sentence, voice, sentence)
            if chunk.size == 0:
                continue
            if not sent and open_stream:
                await self._audio_start_out(voice.sample_rate)
            sent = True
            pcm = to_int16(chunk).tobytes()
            step = SAMPLES_PER_CHUNK * 2
            for offset in range(0, len(pcm), step):
                await self._send(AudioChunk(voice.sample_rate, 2, 1, pcm[offset : offset + step]).event())
        if sent and close_stream:
            await self._send(AudioStop().event())
        return sent

    async def _audio_start_out(self, rate: int) -> None:
        from wyoming.audio import AudioStart

        await self._send(AudioStart(rate=rate, width=2, channels=1).event())

    # handle -------------------------------------------------------------

    async def _handle(self, event: Event) -> None:
        from wyoming.handle import Handled, NotHandled

        text = self._check_text(_text(event, "text"))
        language = _text(event, "language", required=False) or None
        engines = self._service.engines
        try:
            reply = await self._service.gates.lm.run(_reply, engines, self._service.handle_mode, text, language)
        except UserError as exc:
            await self._send(NotHandled(text=str(exc)).event())
            return
        await self._send(Handled(text=reply).event())

    def _check_text(self, text: str) -> str:
        self._check_text_size(len(text))
        if not text.strip():
            raise UserError("There is no text in the request; send some words.")
        return text

    def _check_text_size(self, chars: int) -> None:
        limit = self._service.engines.config.limits.max_text_chars
        if chars > limit:
            raise ProtocolError(f"The text is over {limit} characters (limits.max_text_chars).", "too-large")


_HANDLERS = {
    "describe": Session._describe,
    "ping": Session._ping,
    "transcribe": Session._transcribe,
    "audio-start": Session._audio_start,
    "audio-chunk": Session._audio_chunk,
    "audio-stop": Session._audio_stop,
    "synthesize": Session._synthesize,
    "synthesize-start": Session._synthesize_start,
    "synthesize-chunk": Session._synthesize_chunk,
    "synthesize-stop": Session._synthesize_stop,
    "transcript": Session._handle,
}


def _text(event: Event, key: str, *, required: bool = True) -> str:
    value = event.data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ProtocolError(f'Event {event.type!r} needs "{key}" as a string.')
    return value


def _configured_source(engines: Engines) -> str | None:
    source = engines.config.translate.source
    return None if source == "auto" else source


def _speak_sentence(voice: Any, sentence: str) -> np.ndarray:
    parts = [chunk.samples for chunk in voice.synthesize(sentence)]
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)


def _reply(engines: Engines, mode: str, text: str, language: str | None) -> str:
    """The translation (into translate.target) or the answer for `text`, whole."""
    source = language.replace("-", "_").split("_")[0].lower() if language else _configured_source(engines)
    if mode == "assist":
        from voiceslm.assistant.turns import configure_policy, safe_answer

        configure_policy(engines.config)
        return " ".join(safe_answer(text, source or "en", lambda: engines.lm("assist"))).strip()
    target = engines.config.translate.target
    if source == target:
        return text
    return "".join(engines.lm("translate").translate(text, source, target)).strip()
