"""`voiceslm eval --noise`: word error in noise, with and without each noise suppressor.

Each speech clip of a manifest is mixed with each of its noise clips (language
"none") at each signal-to-noise ratio, cleaned by each suppressor (or not),
and transcribed with its language given, so only the noise and the cleaning
differ between rows. Clean speech is scored through every suppressor too: a
suppressor must not change what is heard when there is no noise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from voiceslm.audio import load_audio
from voiceslm.denoise import mix, suppressor
from voiceslm.engines import Engines
from voiceslm.errors import UserError
from voiceslm.evaluate import Clip, _error_rates

CLEAN = "clean"
NONE = "none"


@dataclass
class NoiseReport:
    snrs: tuple[str, ...]
    """Conditions, loudest noise first, then "clean"."""
    suppressors: tuple[str, ...]
    wer: dict[str, dict[str, float]] = field(default_factory=dict)
    """wer[suppressor][condition]: corpus WER over every clip and noise."""
    rows: list[dict[str, object]] = field(default_factory=list)
    """One per clip, noise, condition and suppressor."""


def evaluate_noise(
    engines: Engines,
    clips: Sequence[Clip],
    *,
    snrs: Sequence[float] = (0.0, 5.0, 10.0),
    suppressors: Sequence[str] = ("webrtc", "rnnoise"),
    progress: Callable[[dict[str, object]], None] | None = None,
) -> NoiseReport:
    speech = [c for c in clips if c.language != "none"]
    noises = [c for c in clips if c.language == "none" and c.category == "noise"]
    if not speech or not noises:
        raise UserError(
            "eval --noise needs a manifest with speech clips and noise clips (language none, category noise)."
        )
    cleaners = {NONE: None, **{name: suppressor(name) for name in suppressors}}
    noise_audio = [(n.path.name, load_audio(n.path)) for n in noises]
    conditions = [f"{snr:g} dB" for snr in sorted(snrs)] + [CLEAN]
    report = NoiseReport(tuple(conditions), tuple(cleaners))
    pairs: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for clip in speech:
        audio = load_audio(clip.path)
        stt = engines.stt(clip.language)
        mixes = [(CLEAN, "", audio)]
        for snr in sorted(snrs):
            mixes += [(f"{snr:g} dB", name, mix(audio, bed, snr)) for name, bed in noise_audio]
        for condition, noise_name, noisy in mixes:
            for name, cleaner in cleaners.items():
                heard = cleaner.process(noisy) if cleaner is not None else noisy
                text = stt.transcribe(heard, clip.language).text
                refs, hyps = pairs.setdefault((name, condition), ([], []))
                refs.append(clip.reference)
                hyps.append(text)
                row = {"file": clip.path.name, "noise": noise_name, "condition": condition, "suppressor": name}
                row["wer"] = round(_error_rates([clip.reference], [text])[0], 3)
                row["hypothesis"] = text
                report.rows.append(row)
                if progress is not None:
                    progress(row)
    for (name, condition), (refs, hyps) in pairs.items():
        report.wer.setdefault(name, {})[condition] = _error_rates(refs, hyps)[0]
    return report
