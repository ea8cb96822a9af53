"""What one turn carries from stage to stage: its timings and what to reply to."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

from voiceslm.engines.worker import Stream
from voiceslm.pipeline.events import UtteranceStats

RequestKind = Literal["translate", "assist", "say"]


@dataclass
class TurnTimes:
    """Monotonic timestamps of one utterance's way through the pipeline."""

    speech_end: float
    detected_at: float
    audio_s: float
    transcript_at: float | None = None
    stt_seconds: float = 0.0
    first_token_at: float | None = None
    first_sentence_at: float | None = None
    first_audio_at: float | None = None
    last_audio_at: float | None = None
    synth_seconds: float = 0.0
    synth_audio_s: float = 0.0
    interrupted: bool = False

    def stats(self, utterance_id: int) -> UtteranceStats:
        def since(at: float | None) -> float | None:
            return None if at is None else at - self.speech_end

        out_s = None
        if self.first_audio_at is not None and self.last_audio_at is not None:
            out_s = self.last_audio_at - self.first_audio_at
        return UtteranceStats(
            utterance_id=utterance_id,
            audio_s=self.audio_s,
            to_transcript=since(self.transcript_at),
            to_first_token=since(self.first_token_at),
            to_first_sentence=since(self.first_sentence_at),
            to_first_audio=since(self.first_audio_at),
            audio_out_s=out_s,
            stt_rtf=self.stt_seconds / self.audio_s if self.audio_s > 0 and self.transcript_at else None,
            tts_rtf=self.synth_seconds / self.synth_audio_s if self.synth_audio_s > 0 else None,
            endpoint_s=self.detected_at - self.speech_end,
            interrupted=self.interrupted,
        )


@dataclass
class Generation:
    """A language-model stream running in the LM worker thread; `cancel` stops it."""

    stream: Stream[str]
    cancel: threading.Event


@dataclass
class Request:
    """Something to reply to: a transcript, or text to say as it is."""

    id: int
    text: str
    language: str
    kind: RequestKind
    target: str
    times: TurnTimes | None = None
    started: Generation | None = None
    """Generation already under way (started speculatively before the turn ended)."""

    def same_reply(self, other: Request) -> bool:
        """Whether `other` asks for the reply this one asks for (a speculation can be kept)."""
        mine = (self.text, self.language, self.target, self.kind)
        return mine == (other.text, other.language, other.target, other.kind)

    def drop_generation(self) -> None:
        if self.started is not None:
            self.started.cancel.set()
