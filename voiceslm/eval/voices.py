"""Every installed voice, per language, scored for intelligibility and speed.

Each sentence is synthesised, transcribed back by the multilingual whisper
model with the language given, and scored by character error rate (lower is
clearer). The sentences come in two halves, so that defaults chosen on one
("tune") are confirmed on the other ("held-out"): for es, de and fr the Tatoeba
and FLORES text of a set laid out like eval/dev (even lines tune, odd lines
held out; English from the same files); for it and pt, which have no text
files there, the set's clip references plus sentences written for voiceslm
(`voiceslm/evalsets/voice_sentences.tsv`).
"""

from __future__ import annotations

import csv
import dataclasses
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np

from voiceslm.audio.io import resample
from voiceslm.engines import voices
from voiceslm.engines.registry import Engines
from voiceslm.engines.voices import VoiceSpec
from voiceslm.eval.scoring import _error_rates, read_manifest, read_pairs

log = logging.getLogger(__name__)

Half = Literal["tune", "held-out", "all"]
HALVES: tuple[Half, ...] = ("tune", "held-out", "all")
_CODES = {"spa": "es", "deu": "de", "fra": "fr"}
_PER_FILE = 8  # sentences per half from each text file: enough to rank voices, quick on a small board
_MIN_WORDS = 4  # one- to three-word sentences make CER a coin toss


@dataclass(frozen=True)
class VoiceScore:
    language: str
    voice: str
    license: str
    sentences: int
    cer: float
    wer: float
    audio_s: float
    """Seconds of speech produced."""
    synthesis_s: float
    """Seconds spent synthesising it."""

    @property
    def rtf(self) -> float:
        """Synthesis seconds per second of speech."""
        return self.synthesis_s / self.audio_s if self.audio_s else 0.0


def _half_of(index: int) -> Half:
    return "tune" if index % 2 == 0 else "held-out"


def sentences(root: Path, half: Half) -> dict[str, list[str]]:
    """The sentences of `half` per language, from the set at `root` and the packaged ones."""
    wanted = {"tune", "held-out"} if half == "all" else {half}
    found: dict[str, list[str]] = {}
    for path in sorted((root / "text").glob("*.eng-*.tsv")):
        other = _CODES.get(path.name.rsplit(".", 2)[-2].split("-")[-1])
        if other is None:
            continue
        pairs = [p for p in read_pairs(path) if min(len(p[0].split()), len(p[1].split())) >= _MIN_WORDS]
        chosen = [p for i, p in enumerate(pairs[: 4 * _PER_FILE]) if _half_of(i) in wanted]
        chosen = chosen[: _PER_FILE * len(wanted)]
        found.setdefault(other, []).extend(x for _, x in chosen)
        if other == "es":  # English from one language's files is enough
            found.setdefault("en", []).extend(en for en, _ in chosen)
    manifest = root / "manifest.tsv"
    if manifest.is_file():
        clips = [c for c in read_manifest(manifest) if c.language in ("it", "pt")]
        for language in ("it", "pt"):
            own = [c.reference for c in clips if c.language == language]
            found.setdefault(language, []).extend(r for i, r in enumerate(own) if _half_of(i) in wanted)
    text = resources.files("voiceslm").joinpath("evalsets", "voice_sentences.tsv").read_text(encoding="utf-8")
    for row in csv.DictReader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row["half"] in wanted:
            found.setdefault(row["language"], []).append(row["text"])
    return found


def installed_voices(engines: Engines, language: str) -> list[VoiceSpec]:
    """Every voice that can speak `language` here: Piper voices in the store, Pico, MBROLA
    (unless tts.nonfree_voices is false) and espeak-ng."""
    from voiceslm.engines import mbrola
    from voiceslm.models.catalog import CATALOG

    tts = engines.config.tts
    found = [
        VoiceSpec("piper", e.name)
        for e in CATALOG
        if e.role == "tts" and e.source.kind in ("wheels", "hub") and language in e.languages
        if engines.store.is_installed(e.name)
    ]
    found += [
        VoiceSpec("pico", locale)
        for locale in voices.PICO_LOCALES
        if locale[:2] == language and not voices.missing_reason(VoiceSpec("pico", locale), language)
    ]
    if tts.nonfree_voices:
        names = sorted({p.name for root in mbrola.VOICE_DIRS if root.is_dir() for p in root.iterdir()})
        found += [
            VoiceSpec("mbrola", name)
            for name in names
            if mbrola.voice_language(name) == language and not mbrola.missing_reason(name)
        ]
    return [*found, voices.ESPEAK]


def score_voice(engines: Engines, language: str, spec: VoiceSpec, texts: Iterable[str]) -> VoiceScore:
    from voiceslm.engines.tts import VoiceBank

    texts = list(texts)
    stt = engines.stt(None)
    tts = dataclasses.replace(engines.config.tts, voices={language: str(spec)})
    bank = VoiceBank(tts, engines.store)
    hypotheses = []
    audio_s = synthesis_s = 0.0
    try:
        voice = bank.for_language(language)
        for text in texts:
            started = time.perf_counter()
            chunks = list(voice.synthesize(text))
            synthesis_s += time.perf_counter() - started
            audio = np.concatenate([resample(c.samples, c.sample_rate, 16000) for c in chunks])
            audio_s += audio.size / 16000
            hypotheses.append(stt.transcribe(audio, language).text)
            log.debug("%s %s: %r -> %r", language, spec, text, hypotheses[-1])
    finally:
        bank.close()
    wer, cer = _error_rates(texts, hypotheses)
    return VoiceScore(language, str(spec), voices.licence(spec), len(texts), cer, wer, audio_s, synthesis_s)


def compare_voices(
    engines: Engines,
    texts: dict[str, list[str]],
    progress: Callable[[VoiceScore], None] | None = None,
) -> list[VoiceScore]:
    """Score every installed voice on each language's sentences, best first within a language."""
    scores: list[VoiceScore] = []
    for language, sentences_ in texts.items():
        rows = []
        for spec in installed_voices(engines, language):
            row = score_voice(engines, language, spec, sentences_)
            rows.append(row)
            if progress is not None:
                progress(row)
        scores += sorted(rows, key=lambda r: r.cer)
    return scores
