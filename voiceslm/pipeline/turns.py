"""End-of-turn detection and push-to-talk capture: pure logic on VAD probabilities.

`TurnDetector` keeps a pre-roll so the first syllable is not lost, ignores
blips shorter than `min_speech_ms`, ends a turn after `min_silence_ms` of
silence or at `max_utterance_s`, and reports when the user really stopped
talking (the last voiced frame), which is where every latency figure starts.
With a turn model, the silence that ends a turn is `max_silence_ms` instead,
and the listener ends it earlier, at the `speculate_ms` pause, when the model
hears the turn as finished (`end_at_pause`).
It never touches a model, so it is tested with scripted probabilities.
"""

from __future__ import annotations

import collections
import logging
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from voiceslm.config import VadConfig
from voiceslm.engines.vad import FRAME_S, FRAME_SAMPLES, SAMPLE_RATE

log = logging.getLogger(__name__)

# How much silence after the last voiced frame an utterance keeps: Whisper
# transcribes a clipped final word worse, and more silence only costs time.
_TAIL_PAD_S = 0.2


# Words a turn model hears as an ending that often are not one, in the languages spoken to
# voiceslm: numbers counted or read out one by one (each sounds final) ...
_COUNT_WORDS = (
    "zero one two three four five six seven eight nine ten",
    "cero uno una dos tres cuatro cinco seis siete ocho nueve diez",
    "null eins zwei drei vier fünf sechs sieben acht neun zehn",
    "zéro un une deux trois quatre cinq six sept huit neuf dix",
    "zero uno due tre quattro cinque sei sette otto nove dieci",
    "zero um uma dois duas três quatro cinco seis sete oito nove dez",
)
# ... and a last word that promises more: a conjunction or a filler.
_OPEN_ENDS = (
    "and or but because um uh er erm",
    "y o pero eh",
    "und oder aber weil äh ähm",
    "et ou mais euh",
    "ma ehm",
    "mas",
)
_COUNTED = frozenset(word for words in _COUNT_WORDS for word in words.split())
_OPEN = frozenset(word for words in _OPEN_ENDS for word in words.split())


def sounds_unfinished(text: str) -> bool:
    """Whether a transcript so far is one the voice cannot vouch is over.

    A count or digits read out ("one ... two ..."), and a turn that stops on
    "and" or "um", go on more often than not, however final the voice sounds.
    """
    words = re.findall(r"\w+", text.lower())
    if not words:
        return False
    return all(word.isdigit() or word in _COUNTED for word in words) or words[-1] in _OPEN


def ends_sentence(text: str) -> bool:
    """Whether a transcript ends as a sentence does (Whisper punctuates from the voice as well)."""
    return text.rstrip().endswith((".", "?", "!", "。", "？", "！"))


PauseVerdict = Literal["end", "end-at-silence", "wait"]


def pause_verdict(probability: float, threshold: float, text: str) -> PauseVerdict:
    """What a pause means, from the turn model's probability and the transcript so far.

    The voice says finished and the words agree: "end" now. The voice says it goes on but the
    transcript ends a sentence ("... forever."): "end-at-silence" (after `vad.min_silence_ms`, as
    a fixed silence would). A transcript that stops mid-phrase ("... how much"), a count or an
    "and": "wait" (for `vad.max_silence_ms`).
    """
    if sounds_unfinished(text):
        return "wait"
    if probability >= threshold:
        return "end"
    return "end-at-silence" if ends_sentence(text) else "wait"


class FrameSplitter:
    """Re-cuts blocks of any size into 512-sample frames, each with its start time."""

    def __init__(self) -> None:
        self._pending = np.zeros(0, dtype=np.float32)

    def feed(self, samples: np.ndarray, captured_at: float) -> list[tuple[float, np.ndarray]]:
        # Times come from each block's own stamp (the leftover samples are taken
        # to come just before it), never from counting samples since the start:
        # a stream that skipped audio (a device's start-up pause, a dropped
        # block) would otherwise put every later frame seconds in the past.
        start = captured_at - self._pending.size / SAMPLE_RATE
        data = np.concatenate([self._pending, samples]) if self._pending.size else samples
        count = data.size // FRAME_SAMPLES
        frames = [(start + i * FRAME_S, data[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES]) for i in range(count)]
        self._pending = data[count * FRAME_SAMPLES :].copy()
        return frames

    def reset(self) -> None:
        self._pending = np.zeros(0, dtype=np.float32)


@dataclass(frozen=True)
class TurnStart:
    """Speech has lasted `min_speech_ms`: a real turn (or barge-in) has begun."""

    speech_start: float


@dataclass(frozen=True)
class TurnPause:
    """The speaker paused for `vad.speculate_ms`: the turn may be over (or may go on)."""

    audio: np.ndarray
    speech_start: float
    speech_end: float


@dataclass(frozen=True)
class TurnResume:
    """Speech went on after a `TurnPause`: whatever was started on it is void."""


EndReason = Literal["silence", "turn-model", "max-length", "ptt", "end-of-input"]


@dataclass(frozen=True)
class TurnEnd:
    audio: np.ndarray
    speech_start: float
    speech_end: float
    detected_at: float
    reason: EndReason


Decision = TurnStart | TurnPause | TurnResume | TurnEnd


class TurnDetector:
    """Decides where turns begin and end from per-frame speech probabilities."""

    def __init__(self, config: VadConfig, *, turn_model: bool = False) -> None:
        self.config = config
        self.threshold = config.threshold
        # Hysteresis as in Silero's own segmenter: once speaking, a frame counts
        # as silence only below this lower bar.
        self.neg_threshold = max(config.threshold - 0.15, 0.01)
        self._preroll: collections.deque[np.ndarray] = collections.deque(
            maxlen=max(1, round(config.preroll_ms / 1000 / FRAME_S))
        )
        self._min_speech_frames = max(1, round(config.min_speech_ms / 1000 / FRAME_S))
        speculate = round(config.speculate_ms / 1000 / FRAME_S)
        self.turn_model = turn_model and speculate > 0
        """A turn model is asked at each pause: unfinished turns wait for `max_silence_ms`."""
        silence_ms = config.max_silence_ms if self.turn_model else config.min_silence_ms
        self._min_silence_frames = max(1, round(silence_ms / 1000 / FRAME_S))
        self._max_frames = max(1, round(config.max_utterance_s / FRAME_S))
        self._tail_frames = round(_TAIL_PAD_S / FRAME_S)
        self._pause_frames = speculate if 0 < speculate < self._min_silence_frames else 0
        self.reset()

    @property
    def speaking(self) -> bool:
        """True from the first voiced frame until the turn ends or is dropped."""
        return self._triggered

    @property
    def confirmed(self) -> bool:
        return self._confirmed

    @property
    def paused(self) -> bool:
        """Silent since the last `TurnPause`, with no speech since."""
        return self._triggered and self._paused

    def reset(self) -> None:
        """Drop any partial turn and the pre-roll."""
        self._preroll.clear()
        self._frames: list[np.ndarray] = []
        self._triggered = False
        self._confirmed = False
        self._voiced = 0
        self._silence_run = 0
        self._speech_start = 0.0
        self._last_voiced_end = 0.0
        self._preroll_count = 0
        self._paused = False

    def feed(self, at: float, frame: np.ndarray, probability: float) -> list[Decision]:
        """One frame starting at monotonic `at`; returns what it decided."""
        out: list[Decision] = []
        if not self._triggered:
            if probability >= self.threshold:
                self._triggered = True
                self._speech_start = at
                self._frames = list(self._preroll)
                self._preroll_count = len(self._frames)
                self._preroll.clear()
                self._voiced = 0
                self._silence_run = 0
            else:
                self._preroll.append(frame)
                return out
        self._frames.append(frame)
        if probability >= self.threshold or (probability >= self.neg_threshold and self._silence_run == 0):
            self._silence_run = 0
            self._voiced += 1
            self._last_voiced_end = at + FRAME_S
            if self._paused:
                self._paused = False
                out.append(TurnResume())
        else:
            self._silence_run += 1
            if self._confirmed and self._pause_frames and self._silence_run == self._pause_frames:
                # Long enough to guess the turn is over: work on it can start now and
                # is kept if the silence lasts vad.min_silence_ms.
                self._paused = True
                out.append(TurnPause(self._audio(), self._speech_start, self._last_voiced_end))
        if not self._confirmed and self._voiced >= self._min_speech_frames:
            self._confirmed = True
            out.append(TurnStart(self._speech_start))
        if self._silence_run >= self._min_silence_frames:
            if self._confirmed:
                out.append(self._end(at + FRAME_S, "silence"))
            else:
                log.debug("ignored %d ms of voice (under vad.min_speech_ms)", round(self._voiced * FRAME_S * 1000))
                self._drop_to_idle()
        elif len(self._frames) - self._preroll_count >= self._max_frames:
            if self._confirmed:
                out.append(self._end(at + FRAME_S, "max-length"))
            else:
                self._drop_to_idle()
        return out

    @property
    def silent_ms(self) -> float:
        """Milliseconds of silence since the last voiced frame of the turn in progress."""
        return self._silence_run * FRAME_S * 1000 if self._triggered else 0.0

    def end_at_pause(self, detected_at: float, reason: EndReason = "turn-model") -> TurnEnd | None:
        """The turn model (or its transcript) says the turn is over: end it now, if still in that pause."""
        if not (self.paused and self._confirmed):
            return None
        return self._end(detected_at, reason)

    def finish(self, at: float, reason: Literal["ptt", "end-of-input"]) -> TurnEnd | None:
        """End the turn now (key released, input ended): the turn if one was confirmed."""
        if self._triggered and self._confirmed:
            return self._end(at, reason)
        self.reset()
        return None

    def _audio(self) -> np.ndarray:
        """The turn so far, pre-roll included, with at most `_TAIL_PAD_S` of trailing silence."""
        keep = len(self._frames) - max(0, self._silence_run - self._tail_frames)
        return np.concatenate(self._frames[:keep]) if keep else np.zeros(0, dtype=np.float32)

    def _end(self, detected_at: float, reason: EndReason) -> TurnEnd:
        end = TurnEnd(self._audio(), self._speech_start, self._last_voiced_end, detected_at, reason)
        self.reset()
        return end

    def _drop_to_idle(self) -> None:
        # The frames after the blip are recent audio: keep them as pre-roll.
        recent = self._frames[-self._preroll.maxlen :] if self._preroll.maxlen else []
        self.reset()
        self._preroll.extend(recent)


class PushToTalkRecorder:
    """Keeps everything heard while the key is down; nothing before or after."""

    def __init__(self, config: VadConfig, *, turn_model: bool = False) -> None:
        self._threshold = config.threshold
        self._frames: list[np.ndarray] = []
        self._voiced = 0
        self._min_speech_frames = max(1, round(config.min_speech_ms / 1000 / FRAME_S))
        self._max_frames = max(1, round(config.max_utterance_s / FRAME_S))
        self.started_at = 0.0
        self._first_voice: float | None = None
        self.active = False

    def start(self, at: float) -> None:
        self._frames = []
        self._voiced = 0
        self.started_at = at
        self._first_voice = None
        self.active = True

    def feed(self, at: float, frame: np.ndarray, probability: float) -> bool:
        """Keep a frame; False once the turn has reached vad.max_utterance_s."""
        if not self.active:
            return True
        self._frames.append(frame)
        if probability >= self._threshold:
            self._voiced += 1
            if self._first_voice is None:
                self._first_voice = at
        return len(self._frames) < self._max_frames

    def stop(self, at: float) -> TurnEnd | None:
        """The turn, or None if nothing but silence was heard while the key was down."""
        if not self.active:
            return None
        self.active = False
        frames, self._frames = self._frames, []
        if self._voiced < self._min_speech_frames or not frames:
            log.info("push-to-talk: no speech heard while the key was down")
            return None
        # The key release is the end of the turn the user chose: latency counts from it.
        return TurnEnd(np.concatenate(frames), self._first_voice or self.started_at, at, at, "ptt")
