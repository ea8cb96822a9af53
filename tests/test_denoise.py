"""Noise suppressors and the noise evaluation, on real speech and real noise."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from voiceslm.audio import load_audio
from voiceslm.denoise import available, mix, suppressor
from voiceslm.errors import UserError

DATA = Path(__file__).resolve().parent / "data"
SPEECH = DATA / "en_pocketsphinx_goforward.wav"
NOISE = DATA / "noise_speechbrain_noise2.wav"


def power_db(audio: np.ndarray) -> float:
    return 10 * float(np.log10(np.mean(np.square(audio)) + 1e-12))


def test_mixing_hits_the_asked_signal_to_noise_ratio() -> None:
    speech, noise = load_audio(SPEECH), load_audio(NOISE)
    noisy = mix(speech, noise, 5.0)
    assert noisy.shape == speech.shape
    assert power_db(speech) - power_db(noisy - speech) == pytest.approx(5.0, abs=0.3)


@pytest.mark.parametrize("name", ["webrtc", "rnnoise"])
def test_suppressors_take_noise_out_and_keep_the_length(name: str) -> None:
    if name not in available():
        pytest.skip(f"the {name} suppressor is not installed on this machine (scripts/setup.sh installs it)")
    speech, noise = load_audio(SPEECH), load_audio(NOISE)
    cleaner = suppressor(name)
    noise_only = noise[: speech.size]
    cleaned = cleaner.process(noise_only)
    assert cleaned.shape == noise_only.shape and cleaned.dtype == np.float32
    # This noise is not stationary: WebRTC's estimator takes 2-4 dB off it, RNNoise nearly all of it.
    assert power_db(cleaned) < power_db(noise_only) - 2
    # Speech keeps most of its energy.
    assert power_db(cleaner.process(speech)) > power_db(speech) - 3


def test_an_unknown_suppressor_is_one_sentence() -> None:
    with pytest.raises(UserError, match="Unknown noise suppressor 'sox'"):
        suppressor("sox")


def test_eval_noise_scores_every_condition_and_leaves_clean_speech_heard() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "voiceslm", "eval", "--manifest", str(DATA / "manifest.tsv"), "--lang", "en", "--noise",
         "--snr", "5", "--json"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])["noise"]
    assert report["conditions"] == ["5 dB", "clean"]
    assert set(report["wer"]) == {"none", *available()}
    clean = {row["suppressor"]: row["hypothesis"] for row in report["rows"] if row["condition"] == "clean"}
    # Noise suppression leaves clean speech's transcript unchanged.
    assert "forward" in clean["none"].lower() and clean["webrtc"] == clean["none"]
