"""Speech-to-text: faster-whisper behind a small synchronous interface.

`transcribe` consumes faster-whisper's lazy segment generator completely before
returning, so an async caller that runs it in a worker thread never decodes on
the event loop.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from voiceslm.audio.io import STT_SAMPLE_RATE
from voiceslm.config import SttConfig
from voiceslm.engines.foreign import is_foreign
from voiceslm.errors import UserError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Segment:
    start: float
    """Seconds from the start of the audio."""
    end: float
    """Seconds from the start of the audio."""
    text: str
    avg_logprob: float
    no_speech_prob: float


@dataclass(frozen=True)
class Transcript:
    text: str
    """Empty when the audio held no speech (or only phantom phrases)."""
    language: str
    """ISO 639-1 code, given or detected."""
    language_probability: float
    duration_s: float
    """Seconds of audio transcribed."""
    no_speech: bool
    segments: tuple[Segment, ...] = field(default=())
    elapsed_s: float = 0.0
    """Wall-clock seconds spent transcribing."""
    foreign_language: str = ""
    """A language outside the allowed ones that clearly won identification; then nothing is transcribed."""


class SpeechToText(ABC):
    """Turns 16 kHz mono float32 audio into text."""

    languages: tuple[str, ...]
    """Languages this engine may detect or be asked for."""

    @abstractmethod
    def transcribe(
        self,
        audio: np.ndarray,
        language: str | None = None,
        languages: Sequence[str] | None = None,
        *,
        full_window: bool = False,
    ) -> Transcript:
        """`language` None: detect it, among `languages` when given (a conversation's pair).

        `full_window`: never the short encoder window (`stt.window_s`), for speech
        likely clipped or masked, such as a barge-in over the pipeline's own voice."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the model's memory."""


_PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)


def _phrase_key(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", text.lower()).split())


WHISPER_WINDOW_S = 30
"""The audio window Whisper was trained on; faster-whisper pads every input to it."""
_FRAMES_PER_S = 100
_WINDOW_MARGIN_S = 2


WINDOW_RETRY_LOGPROB = -0.7
"""A short-window transcript whose least sure segment averages below this
log-probability is decoded again in the full window (about 4% of the dev set's
utterances, cut as the live VAD cuts them; docs/quality.md)."""


SPARSE_CHARS_PER_S = 5.0
"""A short-window reading with fewer characters a second of audio than this (from 1.5 s of audio on)
may have dropped its first words ("10 meters" for "Go forward 10 meters"): it is read in 30 s too."""


def _sparse(segments: Sequence[Segment], duration_s: float) -> bool:
    chars = sum(len(s.text.strip()) for s in segments)
    return duration_s >= 1.5 and chars < SPARSE_CHARS_PER_S * duration_s


def _confidence(segments: Sequence[Segment]) -> float:
    """The average log-probability of the least sure segment (0 when there is no text)."""
    return min((s.avg_logprob for s in segments), default=0.0)


class _EncoderWindow:
    """Encodes only the start of Whisper's padded 30 s window.

    faster-whisper pads every input's features to 30 s, and the encoder's cost
    grows with the window, not the speech: a 3 s utterance pays for 30 s.
    CTranslate2's encoder takes a shorter window. Cut to just past the speech,
    whisper invents text; cut to 10 s or more, transcripts on the dev set are
    as good as with 30 s (docs/quality.md) and the encoder is 2-3 times faster.
    Language identification is less sure in a short window, so it keeps 30 s.
    The cut is never inside the audio: the window is at least its length plus a
    margin, and audio of 28 s or more keeps the full window.
    """

    def __init__(self, model: object, window_s: int) -> None:
        self._encode = model.encode  # type: ignore[attr-defined]
        self._window_s = window_s
        self.frames: int | None = None
        model.encode = self.encode  # type: ignore[attr-defined]

    def fit(self, audio_s: float) -> None:
        """Size the window for the next encodes (call under the model's lock)."""
        seconds = max(self._window_s, math.ceil(audio_s) + _WINDOW_MARGIN_S)
        self.frames = seconds * _FRAMES_PER_S if seconds < WHISPER_WINDOW_S else None

    def encode(self, features: np.ndarray) -> object:
        if self.frames is not None and features.shape[-1] > self.frames:
            features = np.ascontiguousarray(features[..., : self.frames])
        return self._encode(features)


class WhisperSTT(SpeechToText):
    """faster-whisper with int8 weights, Silero VAD and a hallucination guard."""

    def __init__(self, model: object, config: SttConfig, name: str = "whisper") -> None:
        self._model = model
        self._config = config
        self.name = name
        multilingual = bool(model.model.is_multilingual)  # type: ignore[attr-defined]
        self.languages = tuple(config.languages) if multilingual else ("en",)
        self._phantoms = {_phrase_key(p) for p in config.phantom_phrases}
        self._window = _EncoderWindow(model, config.window_s)
        # One decode at a time: CTranslate2 models are thread-safe, but two
        # concurrent decodes on a 2-core board only slow each other down.
        self._lock = threading.RLock()

    @classmethod
    def load(cls, model_dir: Path, config: SttConfig, name: str = "whisper") -> WhisperSTT:
        from faster_whisper import WhisperModel

        started = time.perf_counter()
        model = WhisperModel(
            str(model_dir),
            device="cpu",
            compute_type=config.compute_type,
            cpu_threads=config.threads,
            local_files_only=True,
        )
        log.debug("loaded %s from %s in %.2f s", name, model_dir, time.perf_counter() - started)
        return cls(model, config, name)

    def check_language(self, language: str) -> None:
        if language not in self.languages:
            allowed = ", ".join(self.languages)
            raise UserError(
                f"Language {language!r} cannot be transcribed by {self.name} (it knows {allowed}); "
                "choose one of those or add it to stt.languages."
            )

    def detect_language(self, audio: np.ndarray, languages: Sequence[str] | None = None) -> tuple[str, float]:
        """The most likely language among `languages` (default: the configured set)."""
        language, probability, _ = self.identify(audio, languages)
        return language, probability

    def identify(
        self, audio: np.ndarray, languages: Sequence[str] | None = None
    ) -> tuple[str, float, tuple[str, float] | None]:
        """(the most likely allowed language, its share among the allowed, a clear winner outside them or None)."""
        allowed = tuple(languages or self.languages)
        if len(allowed) == 1:
            return allowed[0], 1.0, None
        with self._lock:
            # Identification reads a single decoder step, and a short window
            # makes it less sure: on a hard live clip 0.56 instead of 0.86 for
            # the right language, and wrong at 8 s. It keeps the full window.
            self._window.fit(WHISPER_WINDOW_S)
            _, _, all_probs = self._model.detect_language(  # type: ignore[attr-defined]
                audio, vad_filter=self._config.vad_filter
            )
        foreign = is_foreign(all_probs, allowed)
        ranked = [(lang, prob) for lang, prob in all_probs if lang in allowed]
        if not ranked:
            return allowed[0], 0.0, foreign
        best, best_prob = max(ranked, key=lambda item: item[1])
        total = sum(prob for _, prob in ranked) or 1.0
        return best, best_prob / total, foreign

    def transcribe(
        self,
        audio: np.ndarray,
        language: str | None = None,
        languages: Sequence[str] | None = None,
        *,
        full_window: bool = False,
    ) -> Transcript:
        started = time.perf_counter()
        duration = audio.shape[0] / STT_SAMPLE_RATE
        with self._lock:
            if language is None:
                language, probability, foreign = self.identify(audio, languages)
                if foreign is not None:
                    log.info("heard %s (p=%.2f), not one of %s: not transcribed", *foreign, languages or self.languages)
                    return Transcript(
                        text="",
                        language=foreign[0],
                        language_probability=foreign[1],
                        duration_s=duration,
                        no_speech=True,
                        elapsed_s=time.perf_counter() - started,
                        foreign_language=foreign[0],
                    )
            else:
                self.check_language(language)
                probability = 1.0
            kept = self._decode(audio, language, WHISPER_WINDOW_S if full_window else duration)
            sparse = self._window.frames is not None and _sparse(kept, duration)
            if self._window.frames is not None and (_confidence(kept) < WINDOW_RETRY_LOGPROB or sparse):
                # Unsure in the short window: the full one sometimes hears what
                # it missed (a first word dropped). The surer reading is kept.
                full = self._decode(audio, language, WHISPER_WINDOW_S)
                log.debug("short window unsure (%.2f): retried in 30 s (%.2f)", _confidence(kept), _confidence(full))
                longer = sum(len(x.text) for x in full) > sum(len(x.text) for x in kept)
                if _confidence(full) > _confidence(kept) or (
                    sparse and longer and _confidence(full) >= WINDOW_RETRY_LOGPROB
                ):
                    kept = full
        text = " ".join(s.text for s in kept).strip()
        if text and _phrase_key(text) in self._phantoms:
            log.debug("dropped phantom transcript %r", text)
            text, kept = "", ()
        return Transcript(
            text=text,
            language=language,
            language_probability=probability,
            duration_s=duration,
            no_speech=not text,
            segments=kept,
            elapsed_s=time.perf_counter() - started,
        )

    def _decode(self, audio: np.ndarray, language: str, window_s: float) -> tuple[Segment, ...]:
        """The segments kept from one decode of `audio` in a window fit for `window_s` seconds."""
        self._window.fit(window_s)
        segments, _info = self._model.transcribe(  # type: ignore[attr-defined]
            audio,
            language=language,
            beam_size=self._config.beam_size,
            vad_filter=self._config.vad_filter,
            # Each utterance stands alone; conditioning on earlier text is
            # how whisper loops on its own hallucinations.
            condition_on_previous_text=False,
            no_speech_threshold=self._config.no_speech_threshold,
            log_prob_threshold=self._config.log_prob_threshold,
            without_timestamps=True,
        )
        return tuple(self._keep(segments))

    def _keep(self, segments: object) -> list[Segment]:
        """Consume the lazy generator, dropping segments whisper itself doubts."""
        kept = []
        for raw in segments:  # type: ignore[attr-defined]
            text = raw.text.strip()
            # faster-whisper already skips a window when both signals agree it is
            # silence; this also drops a segment that is confidently "no speech"
            # however fluent its text (a classic noise hallucination).
            doubtful = raw.no_speech_prob > max(self._config.no_speech_threshold, 0.8) and raw.avg_logprob < -0.5
            if not text or doubtful or _phrase_key(text) in self._phantoms:
                log.debug(
                    "dropped segment %r (no_speech %.2f, logprob %.2f)", text, raw.no_speech_prob, raw.avg_logprob
                )
                continue
            kept.append(Segment(raw.start, raw.end, text, raw.avg_logprob, raw.no_speech_prob))
        return kept

    def close(self) -> None:
        self._model = None
