"""The whole pipeline on one recording or text: hear, understand, reply, speak.

Used by `transcribe`, `translate`, `ask`, `say` and `demo`. The reply streams
through the same stages as the live pipeline: language-model pieces are cut
into sentences, and each sentence is synthesised as soon as it is complete, so
the time to the first sentence of audio is measured the way a listener feels it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from voiceslm.audio.io import write_wav
from voiceslm.engines import foreign, targets
from voiceslm.engines.registry import Engines
from voiceslm.engines.stt import Transcript
from voiceslm.errors import UserError
from voiceslm.text import SentenceSplitter, strip_control

log = logging.getLogger(__name__)


@dataclass
class Reply:
    """What one request produced, with per-stage wall-clock timings in seconds."""

    transcript: Transcript | None = None
    text: str = ""
    language: str = ""
    audio_path: Path | None = None
    audio_seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "text": self.text,
            "language": self.language,
            "audio": str(self.audio_path) if self.audio_path else None,
            "audio_seconds": round(self.audio_seconds, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }
        if self.transcript is not None:
            out["transcript"] = {
                "text": self.transcript.text,
                "language": self.transcript.language,
                "language_probability": round(self.transcript.language_probability, 3),
                "duration_s": round(self.transcript.duration_s, 3),
            }
        if self.note:
            out["note"] = self.note
        return out


def check_text(text: str, max_chars: int, what: str = "Text") -> str:
    """`text` on one line without control characters or terminal escapes; UserError if empty or too long."""
    stripped = " ".join(strip_control(text).split())
    if not stripped:
        raise UserError(f"{what} is empty; give some words to work with.")
    if len(stripped) > max_chars:
        raise UserError(
            f"{what} is {len(stripped)} characters, over the {max_chars} limit; "
            "shorten it or raise limits.max_text_chars."
        )
    return stripped


def check_speakable(engines: Engines, language: str) -> None:
    if not engines.voices.supports(language):
        raise UserError(
            f"Language {language!r} has no voice (no Piper voice and not in espeak-ng); choose another language."
        )


def transcribe(engines: Engines, audio: np.ndarray, language: str | None) -> Transcript:
    """The transcript; UserError when the speech is clearly in a language outside `stt.languages`."""
    stt = engines.stt(language)
    if language is not None:
        stt.check_language(language)
    transcript = stt.transcribe(audio, language)
    if transcript.foreign_language:
        raise UserError(foreign.refusal(transcript.foreign_language, stt.languages))
    return transcript


def translate_recording(
    engines: Engines, audio: np.ndarray, source: str | None, target: str, output: Path | None
) -> Reply:
    reply = Reply(language=target)
    started = time.perf_counter()
    reply.transcript = transcribe(engines, audio, source)
    reply.timings["transcribe"] = time.perf_counter() - started
    if reply.transcript.no_speech:
        reply.note = "no speech heard"
        return reply
    if reply.transcript.language == target:
        # Already in the target language: saying it again is the faithful reply.
        reply.note = f"speech is already in {target}"
        pieces: Iterator[str] = iter([reply.transcript.text])
    else:
        text, language = reply.transcript.text, reply.transcript.language
        pieces = targets.checked(engines.lm("translate").translate(text, language, target), text, language, target)
    _reply_and_speak(engines, reply, pieces, output, "translate")
    return reply


def answer(
    engines: Engines, question: str, language: str, output: Path | None, transcript: Transcript | None = None
) -> Reply:
    """Answer through the assistant (tools, safety policy, capped model answer): the capped part is spoken,
    the whole answer is the reply's text."""
    from voiceslm.assistant.turns import Assistant

    assistant = Assistant(engines.config)
    try:
        instant = assistant.instant(question, language)
        if instant is not None:
            text, language = instant
            reply = Reply(language=language, transcript=transcript)
            _reply_and_speak(engines, reply, iter([text]), output, "answer")
            return reply
        reply = Reply(language=language, transcript=transcript)
        pieces = assistant.respond(question, language, (), lambda: engines.lm("assist"))
        _reply_and_speak(engines, reply, pieces, output, "answer")
        if assistant.rest:
            reply.text = " ".join([reply.text, *assistant.rest])
            reply.note = (
                f"only the first {assistant.max_sentences} sentences are spoken (assistant.max_spoken_sentences)"
            )
        if problem := targets.wrong_language(reply.text, "", None, language):
            # Flagged, not hidden: the answer may still help, but it is not in the language asked in.
            reply.note = "; ".join(filter(None, [reply.note, f"the answer is not in {language} ({problem})"]))
    finally:
        assistant.close()
    return reply


def speak(engines: Engines, text: str, language: str, output: Path | None) -> Reply:
    reply = Reply(language=language)
    _reply_and_speak(engines, reply, iter([text]), output, "text")
    return reply


def _reply_and_speak(engines: Engines, reply: Reply, pieces: Iterator[str], output: Path | None, stage: str) -> None:
    """Stream `pieces` into sentences, speak each as it completes, write one WAV."""
    voice = engines.voice(reply.language) if output is not None else None
    splitter = SentenceSplitter()
    chunks: list[np.ndarray] = []
    rate = voice.sample_rate if voice is not None else 0
    started = time.perf_counter()
    synth_time = 0.0
    first_sentence = first_audio = None
    text_parts: list[str] = []

    def say(sentences: list[str]) -> None:
        nonlocal synth_time, first_audio
        if voice is None:
            return
        for sentence in sentences:
            t0 = time.perf_counter()
            for chunk in voice.synthesize(sentence):
                chunks.append(chunk.samples)
                if first_audio is None:
                    first_audio = time.perf_counter() - started
            synth_time += time.perf_counter() - t0

    for piece in pieces:
        text_parts.append(piece)
        sentences = splitter.feed(piece)
        if sentences and first_sentence is None:
            first_sentence = time.perf_counter() - started
        say(sentences)
    rest = splitter.flush()
    if rest and first_sentence is None:
        first_sentence = time.perf_counter() - started
    say(rest)
    total = time.perf_counter() - started
    reply.text = "".join(text_parts).strip()
    if stage != "text":
        reply.timings[stage] = total - synth_time
    if first_sentence is not None and stage != "text":
        reply.timings["first_sentence"] = first_sentence
    if voice is not None:
        reply.timings["speak"] = synth_time
        if first_audio is not None:
            reply.timings["first_audio"] = first_audio
    if not reply.text:
        reply.note = reply.note or "the model produced no reply"
        return
    if output is not None and chunks:
        audio = np.concatenate(chunks)
        reply.audio_seconds = audio.shape[0] / rate
        reply.audio_path = write_wav(output, audio, rate)
