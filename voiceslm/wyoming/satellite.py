"""voiceslm as a Home Assistant satellite: the Wyoming server Home Assistant connects to, as to wyoming-satellite.

Home Assistant (Settings -> Devices & services -> Wyoming Protocol, this
board's address and port) connects, asks `describe` (the answer has a
`satellite` entry), sends `run-satellite` and pings every few seconds. Each
utterance the live session hears is sent as `run-pipeline` (speech-to-text to
text-to-speech) with `audio-start`, `audio-chunk`s and `audio-stop`; Home
Assistant's assist pipeline answers with `transcript`, then `synthesize` (the
reply's text) and the reply's audio, which is played through the session
(echo guard and barge-in included) and acknowledged with `played`.

`HomeAssistantEngines` (`satellite_engines`) is the session's `EngineSet`
on this link. The session runs in transcribe mode: what to answer is Home
Assistant's business.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from voiceslm import __version__
from voiceslm.audio.io import STT_SAMPLE_RATE, to_int16
from voiceslm.config import Config, is_language_code
from voiceslm.errors import UserError
from voiceslm.wyoming.client import RemoteError
from voiceslm.wyoming.pcm import audio_format, to_float_mono
from voiceslm.wyoming.server import ListenAddress
from voiceslm.wyoming.wire import ProtocolError, WireLimits, read_event

if TYPE_CHECKING:
    from wyoming.event import Event


log = logging.getLogger(__name__)

SAMPLES_PER_CHUNK = 1024


@dataclass
class _Reply:
    text: str
    language: str
    samples: np.ndarray
    rate: int


class HomeAssistantLink:
    """One Home Assistant connection at a time; the session's utterances go to it, its replies come back."""

    def __init__(self, config: Config, address: ListenAddress, limits: WireLimits | None = None) -> None:
        self.config = config
        self.address = address
        self._limits = limits or WireLimits()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._running = False
        self._transcript: asyncio.Future[str] | None = None
        self._pipeline_lock = asyncio.Lock()
        self.replies: collections.deque[_Reply] = collections.deque(maxlen=8)
        """Replies heard from Home Assistant and not yet spoken (the voice takes them in order)."""
        self._say_ids: set[int] = set()
        self._session: Any = None

    # Serving ------------------------------------------------------------

    async def serve(self, session: Any) -> None:
        """Listen until cancelled; `session` is the LiveSession whose speaker plays the replies."""
        from voiceslm.pipeline.events import PlaybackStopped

        self._loop = asyncio.get_running_loop()
        self._session = session
        limit = self._limits.max_line_bytes
        try:
            if self.address.path:
                server = await asyncio.start_unix_server(self._connection, path=self.address.path, limit=limit)
            else:
                server = await asyncio.start_server(
                    self._connection, host=self.address.host, port=self.address.port, limit=limit
                )
        except OSError as exc:
            raise UserError(
                f"Cannot listen on {self.address} ({exc.strerror or exc}); choose a free port or an address of "
                "this machine for satellite.listen."
            ) from exc
        log.info("waiting for Home Assistant on %s", self.address)
        subscription = session.subscribe(maxsize=1024)
        try:
            async with server:
                async for event in subscription:
                    if isinstance(event, PlaybackStopped) and event.utterance_id in self._say_ids:
                        self._say_ids.discard(event.utterance_id)
                        await self._send_played()
        finally:
            subscription.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        from wyoming.error import Error
        from wyoming.event import async_write_event

        peer = writer.get_extra_info("peername") or "local client"
        if self._writer is not None:
            with contextlib.suppress(ConnectionError):
                busy = "This satellite is already connected to a Home Assistant; disconnect that one first."
                await async_write_event(Error(text=busy, code="busy").event(), writer)
            writer.close()
            return
        log.info("Home Assistant connected from %s", peer)
        self._writer = writer
        incoming: _Incoming | None = None
        try:
            while (event := await read_event(reader, self._limits)) is not None:
                incoming = await self._dispatch(event, incoming)
        except ProtocolError as exc:
            log.warning("closing the connection of %s: %s", peer, exc)
            with contextlib.suppress(ConnectionError):
                await async_write_event(Error(text=str(exc), code=exc.code).event(), writer)
        except ConnectionError as exc:
            log.info("Home Assistant went away: %s", exc)
        except Exception:  # a fault on one connection must not stop the satellite
            log.exception("the connection of %s failed", peer)
        finally:
            self._writer = None
            self._running = False
            self._fail_pipeline("Home Assistant disconnected before it answered.")
            writer.close()
            log.info("Home Assistant disconnected (%s)", peer)

    async def _dispatch(self, event: Event, incoming: _Incoming | None) -> _Incoming | None:
        from wyoming.asr import Transcript as WyomingTranscript
        from wyoming.ping import Pong

        kind = event.type
        if kind == "describe":
            await self._send(self.info().event())
        elif kind == "run-satellite":
            self._running = True
            log.info("Home Assistant runs this satellite")
        elif kind == "pause-satellite":
            self._running = False
            self._fail_pipeline("Home Assistant paused this satellite.")
        elif kind == "ping":
            text = event.data.get("text")
            await self._send(Pong(text=text if isinstance(text, str) else None).event())
        elif kind == "transcript":
            text = event.data.get("text")
            if not isinstance(text, str):
                raise ProtocolError('A transcript needs "text" as a string.')
            if self._transcript is not None and not self._transcript.done():
                self._transcript.set_result(WyomingTranscript(text=text).text)
        elif kind == "synthesize":
            text, voice = event.data.get("text"), event.data.get("voice") or {}
            language = voice.get("language") if isinstance(voice, dict) else None
            return _Incoming(text if isinstance(text, str) else "", _language(language, self.config))
        elif kind == "audio-start":
            return (incoming or _Incoming("", _language(None, self.config))).start(event)
        elif kind == "audio-chunk" and incoming is not None:
            incoming.add(event, self.config.limits.max_audio_seconds)
        elif kind == "audio-stop" and incoming is not None:
            await self._speak(incoming)
            return None
        elif kind == "error":
            reason = event.data.get("text") or event.data.get("code") or "no reason given"
            log.warning("Home Assistant's pipeline failed: %s", reason)
            self._fail_pipeline(f"Home Assistant's pipeline failed: {reason}")
        return incoming

    async def _speak(self, incoming: _Incoming) -> None:
        samples = incoming.samples()
        if samples.size == 0 or not incoming.rate:
            return
        text = " ".join(incoming.text.split()) or "..."
        self.replies.append(_Reply(text, incoming.language, samples, incoming.rate))
        self._say_ids.add(await self._session.say(text, incoming.language))

    async def _send(self, event: Event) -> None:
        from wyoming.event import async_write_event

        if self._writer is None:
            raise RemoteError("Home Assistant is not connected.")
        await async_write_event(event, self._writer)

    async def _send_played(self) -> None:
        from wyoming.snd import Played

        with contextlib.suppress(RemoteError, ConnectionError):
            await self._send(Played().event())

    def _fail_pipeline(self, reason: str) -> None:
        if self._transcript is not None and not self._transcript.done():
            self._transcript.set_exception(RemoteError(reason))

    def info(self) -> Any:
        from wyoming.info import Attribution, Info, Satellite

        from voiceslm.wyoming.info import PROJECT_URL

        return Info(
            satellite=Satellite(
                name="voiceslm",
                description="voiceslm satellite: its own turn detection and echo guard",
                attribution=Attribution(name="voiceslm", url=PROJECT_URL),
                installed=True,
                version=__version__,
                area=None,
                has_vad=True,
                active_wake_words=[],
                max_active_wake_words=0,
                supports_trigger=False,
            )
        )

    # The utterance's way out (called from the speech-to-text worker thread) ----------------

    def transcribe(self, audio: np.ndarray, timeout_s: float) -> str:
        if self._loop is None:
            raise RemoteError("The satellite server is not running yet.")
        future = asyncio.run_coroutine_threadsafe(self._pipeline(audio, timeout_s), self._loop)
        return future.result()

    async def _pipeline(self, audio: np.ndarray, timeout_s: float) -> str:
        from wyoming.audio import AudioChunk, AudioStart, AudioStop
        from wyoming.pipeline import PipelineStage, RunPipeline

        if self._writer is None or not self._running:
            raise RemoteError(
                "Home Assistant is not connected; add this satellite there (Settings -> Devices & services -> "
                f"Wyoming Protocol, host and port of {self.address})."
            )
        async with self._pipeline_lock:
            assert self._loop is not None
            self._transcript = self._loop.create_future()
            await self._send(RunPipeline(PipelineStage.ASR, PipelineStage.TTS).event())
            await self._send(AudioStart(STT_SAMPLE_RATE, 2, 1).event())
            pcm = to_int16(audio).tobytes()
            step = SAMPLES_PER_CHUNK * 2
            for offset in range(0, len(pcm), step):
                await self._send(AudioChunk(STT_SAMPLE_RATE, 2, 1, pcm[offset : offset + step]).event())
            await self._send(AudioStop().event())
            try:
                return await asyncio.wait_for(self._transcript, timeout_s)
            except TimeoutError as exc:
                raise RemoteError(f"Home Assistant sent no transcript within {timeout_s:g} s.") from exc


@dataclass
class _Incoming:
    """A reply arriving from Home Assistant: its text, then its audio."""

    text: str
    language: str
    rate: int = 0
    seconds: float = 0.0

    def __post_init__(self) -> None:
        self.parts: list[np.ndarray] = []

    def start(self, event: Event) -> _Incoming:
        self.rate = audio_format(event)[0]
        self.parts, self.seconds = [], 0.0
        return self

    def add(self, event: Event, max_seconds: float) -> None:
        rate, width, channels = audio_format(event)
        if self.rate and rate != self.rate:
            raise ProtocolError("An audio-chunk's rate differs from its audio-start's.")
        self.rate = rate
        samples = to_float_mono(event.payload or b"", width, channels)
        self.seconds += samples.size / rate
        if self.seconds > max_seconds:
            raise ProtocolError(f"A reply's audio is longer than {max_seconds:g} s (limits.max_audio_seconds).")
        self.parts.append(samples)

    def samples(self) -> np.ndarray:
        return np.concatenate(self.parts) if self.parts else np.zeros(0, np.float32)


def _language(value: object, config: Config) -> str:
    if isinstance(value, str):
        code = value.replace("-", "_").split("_")[0].lower()
        if is_language_code(code):
            return code
    return config.stt.languages[0]
