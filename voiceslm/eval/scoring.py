"""Scoring voiceslm on real recordings and sentence pairs.

Manifests are tab-separated with a header: file, language, duration_s,
reference_text, category, ... (file paths relative to the manifest). Clips of
language "none" are expected to produce no text (noise, silence). Sentence-pair
files are `source<TAB>target` lines.
"""

from __future__ import annotations

import csv
import dataclasses
import logging
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from voiceslm.audio.io import load_audio, resample
from voiceslm.engines.registry import Engines
from voiceslm.errors import UserError
from voiceslm.text import normalize_for_scoring

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("file", "language", "reference_text")


@dataclass(frozen=True)
class Clip:
    path: Path
    language: str
    """ISO 639-1 code, or "none" for a clip with no speech."""
    reference: str
    category: str = ""


def read_text(path: Path, what: str, fix: str) -> str:
    """The UTF-8 text of an eval file, or one sentence: missing, a folder, not text."""
    if path.is_dir():
        raise UserError(f"{what} {path} is a folder, not a file; {fix}.")
    if not path.is_file():
        raise UserError(f"{what} {path} does not exist; {fix}.")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{what} {path} is not UTF-8 text; {fix}.") from None


def read_manifest(path: Path, language: str | None = None) -> list[Clip]:
    text = read_text(path, "Manifest", "give a TSV like shared eval/dev/manifest.tsv")
    reader = csv.DictReader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise UserError(f"Manifest {path} lacks the column(s) {', '.join(missing)}; its header must name them.")
    clips = [
        Clip(path.parent / row["file"], row["language"], row["reference_text"] or "", row.get("category") or "")
        for row in reader
    ]
    if language:
        clips = [c for c in clips if c.language == language]
    if not clips:
        raise UserError(
            f"Manifest {path} has no clips{f' in {language}' if language else ''}; choose another language or manifest."
        )
    return clips


def read_pairs(path: Path, limit: int | None = None) -> list[tuple[str, str]]:
    text = read_text(path, "Sentence-pair file", "give a TSV of source<TAB>target lines")
    pairs = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            raise UserError(f"{path} line {number} has no tab between source and target; fix that line.")
        pairs.append((parts[0].strip(), parts[1].strip()))
        if limit is not None and len(pairs) >= limit:
            break
    if not pairs:
        raise UserError(f"Sentence-pair file {path} is empty; give source<TAB>target lines.")
    return pairs


@dataclass
class ClipResult:
    file: str
    language: str
    category: str
    reference: str
    hypothesis: str = ""
    detected_language: str = ""
    model: str = ""
    duration_s: float = 0.0
    elapsed_s: float = 0.0
    wer: float | None = None
    cer: float | None = None
    error: str = ""


@dataclass
class TranscriptionReport:
    clips: list[ClipResult] = field(default_factory=list)
    per_language: dict[str, dict[str, float]] = field(default_factory=dict)
    false_speech: int = 0
    """Clips with no speech (language "none") that produced text."""
    no_speech_clips: int = 0
    rtf: float = 0.0
    """Seconds of processing per second of audio, over all clips."""
    language_id_accuracy: float | None = None


def _error_rates(references: Sequence[str], hypotheses: Sequence[str]) -> tuple[float, float]:
    import jiwer

    refs = [normalize_for_scoring(r) for r in references]
    hyps = [normalize_for_scoring(h) for h in hypotheses]
    words = jiwer.process_words(refs, hyps)
    chars = jiwer.process_characters(refs, hyps)
    return words.wer, chars.cer


def evaluate_transcription(
    engines: Engines,
    clips: Sequence[Clip],
    *,
    detect_language: bool = False,
    progress: Callable[[ClipResult], None] | None = None,
) -> TranscriptionReport:
    report = TranscriptionReport()
    total_audio = total_time = 0.0
    lid_hits = lid_total = 0
    for clip in clips:
        result = ClipResult(str(clip.path.name), clip.language, clip.category, clip.reference)
        speech = clip.language != "none"
        try:
            audio = load_audio(clip.path)
        except UserError as exc:
            result.error = str(exc)
            report.clips.append(result)
            if progress:
                progress(result)
            continue
        language = clip.language if speech and not detect_language else None
        stt = engines.stt(language)
        transcript = stt.transcribe(audio, language)
        result.model = stt.name
        result.hypothesis = transcript.text
        result.detected_language = transcript.language
        result.duration_s = transcript.duration_s
        result.elapsed_s = transcript.elapsed_s
        total_audio += transcript.duration_s
        total_time += transcript.elapsed_s
        if speech:
            result.wer, result.cer = _error_rates([clip.reference], [transcript.text])
            if detect_language:
                lid_total += 1
                lid_hits += transcript.language == clip.language
        else:
            report.no_speech_clips += 1
            report.false_speech += bool(transcript.text)
        report.clips.append(result)
        if progress:
            progress(result)
    languages = sorted({c.language for c in report.clips if c.language != "none" and not c.error})
    for language in languages:
        rows = [c for c in report.clips if c.language == language and not c.error]
        wer, cer = _error_rates([c.reference for c in rows], [c.hypothesis for c in rows])
        audio_s = sum(c.duration_s for c in rows)
        report.per_language[language] = {
            "clips": len(rows),
            "wer": wer,
            "cer": cer,
            "rtf": sum(c.elapsed_s for c in rows) / audio_s if audio_s else 0.0,
        }
    report.rtf = total_time / total_audio if total_audio else 0.0
    if lid_total:
        report.language_id_accuracy = lid_hits / lid_total
    return report


@dataclass
class TranslationReport:
    source: str
    target: str
    model: str
    sentences: int
    chrf: float
    bleu: float
    sentences_per_second: float
    median_first_token_s: float | None
    samples: list[tuple[str, str, str]] = field(default_factory=list)
    """(source, reference, hypothesis) for the first few sentences."""


def evaluate_translation(
    engines: Engines,
    pairs: Sequence[tuple[str, str]],
    source: str,
    target: str,
    progress: Callable[[int], None] | None = None,
) -> TranslationReport:
    import sacrebleu

    model = engines.lm("translate")
    hypotheses: list[str] = []
    first_tokens: list[float] = []
    started = time.perf_counter()
    for index, (text, _) in enumerate(pairs):
        t0 = time.perf_counter()
        first: float | None = None
        parts = []
        for piece in model.translate(text, source, target):
            if first is None:
                first = time.perf_counter() - t0
            parts.append(piece)
        if first is not None:
            first_tokens.append(first)
        hypotheses.append("".join(parts).strip())
        if progress:
            progress(index + 1)
    elapsed = time.perf_counter() - started
    references = [ref for _, ref in pairs]
    chrf = sacrebleu.corpus_chrf(hypotheses, [references]).score
    bleu = sacrebleu.corpus_bleu(hypotheses, [references]).score
    return TranslationReport(
        source=source,
        target=target,
        model=_route_name(engines, source, target),
        sentences=len(pairs),
        chrf=chrf,
        bleu=bleu,
        sentences_per_second=len(pairs) / elapsed if elapsed else 0.0,
        median_first_token_s=statistics.median(first_tokens) if first_tokens else None,
        samples=[(src, ref, hyp) for (src, ref), hyp in list(zip(pairs, hypotheses, strict=True))[:5]],
    )


def _route_name(engines: Engines, source: str, target: str) -> str:
    """The engine that translated (the route, or the language model's name)."""
    route = engines.translation().route(source, target)
    return engines.lm_model_name("translate") if route == "lm" else route


# Quality suite: everything one run of `voiceslm eval --suite DIR` reports. ----


@dataclass
class LanguageIdReport:
    per_pair: dict[str, dict[str, float]] = field(default_factory=dict)
    """"en-es" -> {"clips": n, "accuracy": a}."""
    accuracy: float = 0.0


def evaluate_language_id(engines: Engines, clips: Sequence[Clip], max_seconds: float = 6.0) -> LanguageIdReport:
    """Identify each short clip's language within a conversation pair.

    A conversation has two languages, so the question that matters is "which of
    the two?", asked for every pair that includes the clip's language.
    """
    speech = [c for c in clips if c.language != "none"]
    languages = sorted({c.language for c in speech})
    stt = engines.stt(None)
    hits: dict[str, list[bool]] = {}
    for clip in speech:
        try:
            audio = load_audio(clip.path)
        except UserError:
            continue
        if audio.shape[0] / 16000 > max_seconds:
            continue
        for other in languages:
            if other == clip.language:
                continue
            pair = tuple(sorted((clip.language, other)))
            detected, _ = stt.detect_language(audio, pair)
            hits.setdefault("-".join(pair), []).append(detected == clip.language)
    report = LanguageIdReport()
    for name, results in sorted(hits.items()):
        report.per_pair[name] = {"clips": len(results), "accuracy": sum(results) / len(results)}
    every = [r for results in hits.values() for r in results]
    report.accuracy = sum(every) / len(every) if every else 0.0
    return report


@dataclass
class IntelligibilityRow:
    language: str
    voice: str
    sentences: int
    cer: float
    wer: float


def evaluate_intelligibility(
    engines: Engines, sentences: dict[str, list[str]], voices: dict[str, str] | None = None
) -> list[IntelligibilityRow]:
    """Speak sentences, transcribe them back with the multilingual model, score CER.

    `voices` maps a language to the voice to try (a `tts.voices` value), defaulting
    to the configured voice; each row names the voice that actually spoke.
    """
    from voiceslm.engines import voices as voice_specs
    from voiceslm.engines.tts import VoiceBank

    stt = engines.stt(None)
    rows = []
    for language, texts in sentences.items():
        choice = (voices or {}).get(language) or engines.config.tts.voices.get(language, "auto")
        tts_config = dataclasses.replace(engines.config.tts, voices={**engines.config.tts.voices, language: choice})
        spoken_by = str(voice_specs.choose(tts_config, language, engines.store).spec)
        bank = VoiceBank(tts_config, engines.store)
        try:
            voice = bank.for_language(language)
            hypotheses = []
            for text in texts:
                audio = np.concatenate([resample(c.samples, c.sample_rate, 16000) for c in voice.synthesize(text)])
                hypotheses.append(stt.transcribe(audio, language).text)
        finally:
            bank.close()
        wer, cer = _error_rates(texts, hypotheses)
        rows.append(IntelligibilityRow(language, spoken_by, len(texts), cer, wer))
    return rows


@dataclass(frozen=True)
class Question:
    category: str
    language: str
    text: str
    answers: tuple[str, ...]


def read_questions(path: Path | None = None) -> list[Question]:
    """The assistant question set: category, language, question, answers (a|b)."""
    from importlib import resources

    if path is None:
        text = resources.files("voiceslm").joinpath("evalsets", "assistant.tsv").read_text(encoding="utf-8")
        origin = "the packaged assistant questions"
    else:
        text = read_text(path, "Question file", "give a TSV of category, language, question, answers")
        origin = str(path)
    rows = list(csv.DictReader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE))
    needed = {"category", "language", "question", "answers"}
    if not rows or not needed <= set(rows[0]):
        raise UserError(f"{origin} must have the columns category, language, question, answers.")
    return [Question(r["category"], r["language"], r["question"], tuple(r["answers"].split("|"))) for r in rows]


def answer_is_correct(reply: str, answers: Sequence[str]) -> bool:
    """True when any accepted answer appears in the reply as whole words."""
    said = f" {normalize_for_scoring(reply.replace(',', ''))} "
    return any(f" {normalize_for_scoring(a.replace(',', ''))} " in said for a in answers)


@dataclass
class AssistantReport:
    model: str
    questions: int
    correct: int
    accuracy: float
    per_category: dict[str, float] = field(default_factory=dict)
    median_seconds: float = 0.0
    wrong: list[tuple[str, str]] = field(default_factory=list)
    """(question, reply) for the answers that missed."""


def evaluate_assistant(engines: Engines, questions: Sequence[Question]) -> AssistantReport:
    model = engines.lm("assist")
    outcomes: dict[str, list[bool]] = {}
    seconds = []
    wrong = []
    for question in questions:
        started = time.perf_counter()
        reply = "".join(model.answer(question.text)).strip()
        seconds.append(time.perf_counter() - started)
        ok = answer_is_correct(reply, question.answers)
        outcomes.setdefault(question.category, []).append(ok)
        if not ok:
            wrong.append((question.text, reply))
    every = [ok for results in outcomes.values() for ok in results]
    return AssistantReport(
        model=engines.lm_model_name("assist"),
        questions=len(every),
        correct=sum(every),
        accuracy=sum(every) / len(every) if every else 0.0,
        per_category={c: sum(r) / len(r) for c, r in sorted(outcomes.items())},
        median_seconds=statistics.median(seconds) if seconds else 0.0,
        wrong=wrong,
    )
