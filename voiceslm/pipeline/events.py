"""Typed, frozen events exchanged by the stages of the live pipeline.

Data flows mic -> `AudioBlock` -> `Utterance` -> `TranscriptReady` -> `ReplySentence`
-> speaker; everything else (speech boundaries, playback, cancels, device faults,
per-utterance timings) is published on the pipeline's event stream for the
terminal, a daemon or a test to watch.

Every time is a `time.monotonic()` reading in seconds, so events from different
threads and stages can be subtracted from one another.

`Command` is what travels on the pipeline's control channel, never behind audio:
`Cancel` (the same type the event stream then reports), push-to-talk, mute and stop.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from voiceslm.config import Mode

CancelReason = Literal["barge-in", "ptt", "stop", "mode", "shutdown"]
DeviceKind = Literal["input", "output"]


@dataclass(frozen=True)
class AudioBlock:
    """A block of microphone audio, already mono and at the pipeline's rate."""

    samples: np.ndarray = field(repr=False)
    """float32 mono samples in [-1, 1]."""
    sample_rate: int
    """Hertz (16 000: what Silero VAD and Whisper take)."""
    captured_at: float
    """Monotonic seconds when the first sample reached the microphone."""

    @property
    def duration_s(self) -> float:
        return self.samples.size / self.sample_rate

    @property
    def end_at(self) -> float:
        return self.captured_at + self.duration_s


@dataclass(frozen=True)
class SpeechStarted:
    """Voice activity began (it may still turn out to be too short to keep)."""

    at: float
    """Monotonic seconds of the first voiced frame."""
    during_playback: bool = False
    """True when the pipeline was speaking at the time (a barge-in candidate)."""
    detected_at: float = 0.0
    """Monotonic seconds when the pipeline decided it was speech (`vad.min_speech_ms` later, plus any lag)."""


@dataclass(frozen=True)
class Utterance:
    """One turn of the user's speech, from its pre-roll to the end of speech."""

    id: int
    audio: np.ndarray = field(repr=False)
    """float32 mono samples, pre-roll included."""
    sample_rate: int
    """Hertz."""
    speech_start: float
    """Monotonic seconds of the first voiced frame."""
    speech_end: float
    """Monotonic seconds of the end of the last voiced frame: when the user stopped."""
    detected_at: float
    """Monotonic seconds when the end of the turn was decided (after the silence wait)."""
    reason: Literal["silence", "turn-model", "max-length", "ptt", "end-of-input"]
    """What ended the turn ("turn-model": the turn model heard it finished at a short pause)."""
    barge_in: bool = False
    """The turn began while the pipeline was speaking: likely clipped or masked by its voice."""

    @property
    def duration_s(self) -> float:
        return self.audio.size / self.sample_rate


@dataclass(frozen=True)
class TranscriptReady:
    """What the user said, or that nothing worth answering was heard."""

    utterance_id: int
    text: str
    """Empty when the audio held no speech (silence, noise, a phantom phrase)."""
    language: str
    at: float
    stt_seconds: float
    """Wall-clock seconds the speech-to-text call took."""
    foreign_language: str = ""
    """A language outside stt.languages that was clearly heard (then `text` is empty)."""


@dataclass(frozen=True)
class ReplyText:
    """A piece of reply text as the language model streams it."""

    utterance_id: int
    text: str
    language: str
    final: bool = False
    """True on the last event of a reply (its `text` is then the whole reply)."""


@dataclass(frozen=True)
class BackTranslation:
    """A reply translated back into the speaker's language, so the speaker can check its meaning."""

    utterance_id: int
    text: str
    """The reply as the speaker's language says it."""
    language: str
    """The speaker's language (ISO 639-1)."""
    route: str
    """The translation route that translated it back ("apertium", "bergamot>pt>apertium", "lm"...)."""


@dataclass(frozen=True)
class ReplySentence:
    """One complete sentence of the reply, handed to speech synthesis."""

    utterance_id: int
    text: str
    language: str
    at: float


@dataclass(frozen=True)
class PlaybackStarted:
    utterance_id: int
    at: float
    """Monotonic seconds when the first reply sample was handed to the output device."""


@dataclass(frozen=True)
class PlaybackStopped:
    utterance_id: int
    at: float
    """Monotonic seconds when the last sample was handed over, or the output was flushed."""
    audible_until: float
    """`at` plus the output device's latency: when the listener stops hearing it."""
    interrupted: bool
    """True when a cancel cut the reply short."""


@dataclass(frozen=True)
class Cancel:
    """Stop the reply in progress: sent on the control path, never behind data."""

    reason: CancelReason
    at: float
    speech_at: float | None = None
    """For a barge-in: monotonic seconds of the first voiced frame that caused it."""


@dataclass(frozen=True)
class DeviceFault:
    """An audio device failed; the pipeline keeps trying to reopen it."""

    kind: DeviceKind
    message: str
    """One sentence naming the problem and the fix."""
    at: float
    retry_in_s: float


@dataclass(frozen=True)
class DeviceReady:
    """An audio device is open and delivering (first callback seen)."""

    kind: DeviceKind
    name: str
    sample_rate: int
    """Hertz the device runs at (audio is resampled to and from it)."""
    at: float
    recovered: bool = False
    """True when this follows a `DeviceFault`."""


@dataclass(frozen=True)
class ModeChanged:
    mode: Mode
    source: str | None
    target: str | None


@dataclass(frozen=True)
class VoiceCommandHeard:
    """An utterance was a voice command ("stop", "repeat", "switch to German", "assistant mode")."""

    utterance_id: int
    kind: str
    """stop, repeat, language or mode."""
    mode: Mode | None = None
    language: str | None = None


@dataclass(frozen=True)
class UtteranceStats:
    """Where the time went for one utterance; every figure in seconds, None if not reached."""

    utterance_id: int
    audio_s: float
    """Length of the utterance audio."""
    to_transcript: float | None
    """End of speech -> transcript ready."""
    to_first_token: float | None
    """End of speech -> first piece of reply text."""
    to_first_sentence: float | None
    """End of speech -> first complete sentence."""
    to_first_audio: float | None
    """End of speech -> first reply sample handed to the output."""
    audio_out_s: float | None
    """First reply sample -> last reply sample handed to the output."""
    stt_rtf: float | None
    """Speech-to-text seconds per second of audio."""
    tts_rtf: float | None
    """Synthesis seconds per second of speech produced."""
    endpoint_s: float
    """End of speech -> end of turn decided (the silence wait)."""
    interrupted: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


Event = (
    SpeechStarted
    | Utterance
    | TranscriptReady
    | ReplyText
    | BackTranslation
    | ReplySentence
    | PlaybackStarted
    | PlaybackStopped
    | Cancel
    | DeviceFault
    | DeviceReady
    | ModeChanged
    | VoiceCommandHeard
    | UtteranceStats
)
"""Everything the pipeline publishes to its subscribers."""

EVENT_NAMES = frozenset(kind.__name__ for kind in typing.get_args(Event))


@dataclass(frozen=True)
class PushToTalk:
    """The push-to-talk key went down (capture from `at`) or up (the turn ends at `at`)."""

    pressed: bool
    at: float


@dataclass(frozen=True)
class SetMuted:
    muted: bool


@dataclass(frozen=True)
class Stop:
    """End the pipeline cleanly (after the `Cancel` sent before it)."""


Command = Cancel | PushToTalk | SetMuted | Stop
"""What the control channel carries."""


def to_dict(event: Event) -> dict[str, Any]:
    """An event as JSON-ready data; audio samples are never included."""
    data: dict[str, Any] = {"event": type(event).__name__}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        if hasattr(value, "__array__") or isinstance(value, bytes | bytearray):
            continue
        data[f.name] = round(value, 3) if isinstance(value, float) else value
    duration = getattr(event, "duration_s", None)
    if isinstance(duration, float):
        data["duration_s"] = round(duration, 3)
    return data
