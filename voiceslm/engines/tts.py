"""Text-to-speech: Piper neural voices, espeak-ng for every language, and (voiceslm.engines.pico,
voiceslm.engines.mbrola) SVOX Pico and MBROLA where the system has them.

Speech is produced one sentence at a time, the natural streaming unit: the
first sentence can play while the next is synthesised, and a cancel (barge-in)
takes effect at the next sentence boundary. Voices load once, in whatever
thread the caller loads them in (Piper takes seconds; espeak-ng milliseconds).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import numpy as np

from voiceslm.config import TtsConfig
from voiceslm.engines import espeak
from voiceslm.errors import UserError
from voiceslm.text import split_sentences

if TYPE_CHECKING:
    from piper import PiperVoice

log = logging.getLogger(__name__)

PIPER_PREFIX = "piper:"
PIPER_MODEL_FILE = "model.onnx"
PIPER_CONFIG_FILE = "model.onnx.json"


@dataclass(frozen=True)
class SpeechChunk:
    """The audio for one sentence."""

    samples: np.ndarray = field(repr=False)
    """float32 mono samples in [-1, 1]."""

    sample_rate: int
    """Hertz."""

    text: str
    """The sentence these samples speak."""

    @property
    def duration_s(self) -> float:
        return self.samples.size / self.sample_rate


class TextToSpeech(ABC):
    """A voice for one language."""

    @property
    @abstractmethod
    def sample_rate(self) -> int:
        """Hertz of every chunk this voice produces."""

    @property
    @abstractmethod
    def language(self) -> str:
        """Two-letter code of the language this voice reads text as."""

    @abstractmethod
    def _speak(self, sentence: str) -> np.ndarray:
        """float32 mono samples for one sentence (possibly empty, for text with nothing to say)."""

    def synthesize(self, text: str, *, cancel: threading.Event | None = None) -> Iterator[SpeechChunk]:
        """Speak `text`, one chunk per sentence, as each is ready.

        `cancel` is checked before each sentence and before handing it out, so a
        cancel set while a chunk plays stops the speech at that chunk's end.
        Raises UserError, at the call, for text with nothing to say.
        """
        if not text or not text.strip():
            raise UserError("There is no text to speak; give a sentence with words in it.")
        return self._chunks(split_sentences(text), cancel)

    def _chunks(self, sentences: list[str], cancel: threading.Event | None) -> Iterator[SpeechChunk]:
        for sentence in sentences:
            if cancel is not None and cancel.is_set():
                return
            started = time.perf_counter()
            samples = self._speak_until(sentence, cancel)
            elapsed = time.perf_counter() - started
            if samples.size == 0:
                continue
            log.debug(
                "%s %s: %.2f s of audio in %.3f s for %r",
                type(self).__name__,
                self.language,
                samples.size / self.sample_rate,
                elapsed,
                sentence,
            )
            if cancel is not None and cancel.is_set():
                return
            yield SpeechChunk(samples=samples, sample_rate=self.sample_rate, text=sentence)

    def _speak_until(self, sentence: str, cancel: threading.Event | None) -> np.ndarray:
        """`_speak`, for voices that can also stop inside a long sentence when `cancel` is set."""
        del cancel
        return self._speak(sentence)

    def close(self) -> None:  # noqa: B027 - optional hook: espeak-ng voices hold nothing of their own
        """Release the voice; it cannot speak afterwards."""

    def __enter__(self) -> TextToSpeech:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PiperTTS(TextToSpeech):
    """A Piper voice (ONNX, VITS) run by onnxruntime on the CPU."""

    def __init__(self, voice: PiperVoice, language: str, *, length_scale: float = 1.0, volume: float = 1.0) -> None:
        from piper import SynthesisConfig

        self._voice: PiperVoice | None = voice
        self._language = language
        self._sample_rate = voice.config.sample_rate
        self._syn_config = SynthesisConfig(length_scale=length_scale, volume=volume)

    @classmethod
    def load(
        cls,
        path: str | Path,
        *,
        length_scale: float = 1.0,
        volume: float = 1.0,
        threads: int = 2,
    ) -> PiperTTS:
        """Load a voice from a store directory (model.onnx + model.onnx.json) or a .onnx file
        with its .onnx.json beside it. Takes seconds: call it from a worker thread.

        Raises UserError if the files are missing or unreadable.
        """
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig

        started = time.perf_counter()
        model_path, config_path = _piper_files(path)
        config_dict = _read_piper_config(config_path)
        try:
            config = PiperConfig.from_dict(config_dict)
        except (ValueError, KeyError, TypeError) as exc:
            raise UserError(f"Piper voice config {config_path} is invalid ({exc!r}); reinstall the voice.") from exc

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle onnxruntime threads otherwise spin for a while after each sentence,
        # taking the CPU that speech-to-text and the language model need next.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            session = onnxruntime.InferenceSession(
                str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own unrelated exception types for a bad model
            raise UserError(f"Piper voice {model_path} cannot be loaded ({exc}); reinstall the voice.") from exc
        voice = PiperVoice(session=cast(Any, _ShrinkingSession(session)), config=config)
        log.info("Loaded Piper voice %s in %.2f s", model_path, time.perf_counter() - started)
        return cls(voice, _piper_language(config_dict), length_scale=length_scale, volume=volume)

    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    @property
    def language(self) -> str:
        return self._language

    def _speak(self, sentence: str) -> np.ndarray:
        voice = self._voice
        if voice is None:
            raise RuntimeError("this Piper voice is closed")
        # Piper splits into sentences again with espeak-ng's rules, which can cut
        # where ours did not ("Dr. Smith"): the pieces belong to one chunk.
        pieces = [chunk.audio_float_array for chunk in voice.synthesize(sentence, self._syn_config)]
        if not pieces:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(pieces).astype(np.float32, copy=False)

    def close(self) -> None:
        self._voice = None


class _ShrinkingSession:
    """A Piper session whose memory arena is handed back after each sentence.

    onnxruntime keeps a CPU arena per session that grows to the largest
    sentence it has spoken and never shrinks: one Piper voice reading sentences
    of 13 to 160 words went 147 -> 1,072 MB and stayed there, which in a
    daemon is growth in steps at every longer sentence. Shrinking the arena at
    the end of each run keeps it at 149 MB, for about 15% more time a sentence
    (turning the arena off doubles it: every tensor is then a fresh mmap).
    """

    def __init__(self, session: Any) -> None:
        import onnxruntime

        self._session = session
        self._options = onnxruntime.RunOptions()
        self._options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    def run(self, output_names: Any, input_feed: dict[str, Any]) -> Any:
        return self._session.run(output_names, input_feed, self._options)


def piper_voice_language(path: str | Path) -> str:
    """The two-letter language of the Piper voice at `path` (as for `PiperTTS.load`), read cheaply."""
    _, config_path = _piper_files(path)
    return _piper_language(_read_piper_config(config_path))


def _piper_files(path: str | Path) -> tuple[Path, Path]:
    path = Path(path)
    if path.is_dir():
        model_path, config_path = path / PIPER_MODEL_FILE, path / PIPER_CONFIG_FILE
    else:
        model_path, config_path = path, path.with_name(path.name + ".json")
    for required in (model_path, config_path):
        if not required.is_file():
            raise UserError(f"Piper voice file {required} is missing; reinstall the voice.")
    return model_path, config_path


def _read_piper_config(config_path: Path) -> dict[str, Any]:
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"Piper voice config {config_path} is unreadable ({exc}); reinstall the voice.") from exc
    if not isinstance(config, dict):
        raise UserError(f"Piper voice config {config_path} is not a JSON object; reinstall the voice.")
    return config


def _piper_language(config: dict[str, Any]) -> str:
    """The two-letter language a Piper voice speaks, from its JSON config."""
    language = config.get("language")
    family = language.get("family") if isinstance(language, dict) else None
    if isinstance(family, str) and family:
        return family.lower()
    espeak_config = config.get("espeak")
    voice = espeak_config.get("voice") if isinstance(espeak_config, dict) else None
    return str(voice or "").split("-")[0].lower()


class EspeakTTS(TextToSpeech):
    """espeak-ng's voice for one language: robotic but clear, and tiny and fast."""

    def __init__(self, language: str, *, length_scale: float = 1.0, volume: float = 1.0) -> None:
        self._engine = espeak.engine()
        language = language.lower()
        if not self._engine.supports(language):
            raise UserError(f"No voice speaks language {language!r}; use one of {self._engine.language_list()}.")
        self._language = language
        self._rate = round(espeak.RATE_NORMAL / length_scale)
        self._volume = volume

    @property
    def sample_rate(self) -> int:
        return self._engine.sample_rate

    @property
    def language(self) -> str:
        return self._language

    def _speak(self, sentence: str) -> np.ndarray:
        samples = self._engine.synthesize(sentence, self._language, self._rate)
        if self._volume != 1.0:
            samples = np.clip(samples * self._volume, -1.0, 1.0)
        return samples


class _Store(Protocol):
    def require(self, name: str) -> Path: ...

    def is_installed(self, name: str) -> bool: ...


class VoiceBank:
    """The voice for each language, as `tts.voices` chooses (see voiceslm.engines.voices):
    the most intelligible installed one for "auto" and every language not listed,
    or the named Piper, Pico, MBROLA or espeak-ng voice, falling back to espeak-ng
    with a warning when a named system voice cannot speak here.

    Each voice is loaded once, on first request; concurrent requests for the same
    language wait for that one load. Call `for_language` from a worker thread.
    """

    def __init__(self, config: TtsConfig, store: _Store) -> None:
        self._config = config
        self._store = store
        self._lock = threading.Lock()
        self._voices: dict[str, TextToSpeech] = {}
        self._loading: dict[str, threading.Lock] = {}
        self._closed = False

    def voice_spec(self, language: str) -> str:
        """What `tts.voices` says speaks `language`: "auto" unless the language is listed."""
        return self._config.voices.get(language, "auto")

    def supports(self, language: str) -> bool:
        """Whether some voice is configured for, or espeak-ng speaks, `language`."""
        if self.voice_spec(language).startswith(PIPER_PREFIX):
            return True
        return espeak.engine().supports(language)

    def for_language(self, language: str) -> TextToSpeech:
        """The loaded voice for `language`.

        Raises UserError for a language nothing speaks, ModelMissingError for a
        Piper voice that is not installed.
        """
        with self._lock:
            self._check_open()
            if (voice := self._voices.get(language)) is not None:
                return voice
            loading = self._loading.setdefault(language, threading.Lock())
        with loading:
            with self._lock:
                self._check_open()
                if (voice := self._voices.get(language)) is not None:
                    return voice
            voice = self._load(language)
            with self._lock:
                if self._closed:
                    voice.close()
                    self._check_open()
                self._voices[language] = voice
            return voice

    def _load(self, language: str) -> TextToSpeech:
        from voiceslm.engines import voices
        config = self._config
        choice = voices.choose(config, language, self._store)
        if choice.notice:
            log.warning("%s", choice.notice)
        spec = choice.spec
        if spec.kind == "pico":
            from voiceslm.engines.pico import PicoTTS

            return PicoTTS(language, spec.name, length_scale=config.length_scale, volume=config.volume)
        if spec.kind == "mbrola":
            from voiceslm.engines.mbrola import MbrolaTTS

            return MbrolaTTS(language, spec.name, length_scale=config.length_scale, volume=config.volume)
        if spec.kind != "piper":
            return EspeakTTS(language, length_scale=config.length_scale, volume=config.volume)
        name = spec.name
        path = self._store.require(name)
        # Checked before the slow load: a voice reads any text with its own
        # language's pronunciation, which for another language is unintelligible.
        voice_language = piper_voice_language(path)
        if voice_language != language:
            raise UserError(
                f"tts.voices.{language} names {name}, a voice for language {voice_language!r}; "
                f'set tts.voices.{language} to "auto", "espeak" or a Piper voice for {language!r}.'
            )
        return PiperTTS.load(path, length_scale=config.length_scale, volume=config.volume, threads=config.threads)

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the voice bank is closed")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            voices, self._voices = list(self._voices.values()), {}
        for voice in voices:
            voice.close()
