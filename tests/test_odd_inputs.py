"""Held-out odd inputs through transcribe, translate and ask: each gets one clear sentence or a right
answer, never a traceback. The files are made here (or, for the Italian clip, kept only for this
test), so no earlier fix was tuned on them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from voiceslm.engines import targets

DATA = Path(__file__).resolve().parent / "data"
SPEECH = DATA / "en_pocketsphinx_goforward.wav"  # "go forward ten meters"
ITALIAN = DATA / "it_cheetah_vetta.wav"  # "Dal passo si sale sulla vetta lungo la cresta sud."


@pytest.fixture(scope="module")
def odd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import soxr

    folder = tmp_path_factory.mktemp("odd")
    speech, rate = soundfile.read(SPEECH, dtype="float32")
    soundfile.write(folder / "empty.wav", np.zeros(0, dtype="float32"), 16000, subtype="PCM_16")
    soundfile.write(folder / "one_sample.wav", np.zeros(1, dtype="float32"), 16000, subtype="PCM_16")
    soundfile.write(folder / "u8.wav", speech, rate, subtype="PCM_U8")
    soundfile.write(folder / "ulaw.wav", speech, rate, subtype="ULAW")
    high = soxr.resample(speech, rate, 96000)
    soundfile.write(folder / "stereo96k.wav", np.stack([high, 0.8 * high], axis=1), 96000, subtype="PCM_24")
    (folder / "notes.wav").write_text("Shopping list: milk, eggs, bread.\n")
    soundfile.write(folder / "silence.wav", np.zeros(16000 * 60, dtype="float32"), 16000, subtype="PCM_16")
    # Music-like: four tones switched on and off, with noise and clicks.
    t = np.arange(16000 * 8) / 16000
    rng = np.random.default_rng(7)
    music = sum(
        0.15 * np.sin(2 * np.pi * f * t) * (np.sin(2 * np.pi * 0.5 * t + i) > 0)
        for i, f in enumerate((220, 277, 330, 440))
    )
    music = (
        music + 0.05 * rng.standard_normal(t.size) + 0.2 * (np.sin(4 * np.pi * t) > 0.95) * rng.standard_normal(t.size)
    )
    soundfile.write(folder / "music.wav", (0.8 * music / np.abs(music).max()).astype("float32"), 16000)
    return folder


def voiceslm(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "voiceslm", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"},
    )


def sentence(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    message = result.stderr.strip()
    assert message.startswith("voiceslm: ") and len(message.splitlines()) == 1, message
    assert fragment in message, message


NO_AUDIO = {"empty": "contains no audio samples", "notes": "is not a readable audio file"}
NO_SPEECH = ("one_sample", "silence", "music")
ENGLISH = ("u8", "ulaw", "stereo96k")


@pytest.mark.parametrize("name", [*NO_AUDIO, *NO_SPEECH, *ENGLISH, "italian"])
def test_transcribe(odd: Path, name: str) -> None:
    path = ITALIAN if name == "italian" else odd / f"{name}.wav"
    result = voiceslm("transcribe", str(path), "--json", cwd=odd)
    assert "Traceback" not in result.stderr
    if name in NO_AUDIO:
        sentence(result, NO_AUDIO[name])
        return
    assert result.returncode == 0, result.stderr
    import json

    transcript = json.loads(result.stdout)
    text = transcript["text"].lower()
    if name in NO_SPEECH:
        assert text == "", transcript  # printed as "(no speech)" without --json
    elif name in ENGLISH:
        assert "forward" in text and transcript["language"] == "en", transcript
    else:
        # whisper-base samples some words differently between runs ("sale", "sane"); these two it keeps.
        assert transcript["language"] == "it" and "passo" in text and "vetta" in text, transcript


@pytest.mark.parametrize("name", [*NO_AUDIO, *NO_SPEECH, "stereo96k", "italian"])
def test_translate(odd: Path, name: str) -> None:
    path = ITALIAN if name == "italian" else odd / f"{name}.wav"
    result = voiceslm("translate", str(path), "--to", "es", "--no-speech", cwd=odd)
    assert "Traceback" not in result.stderr
    if name in NO_AUDIO:
        sentence(result, NO_AUDIO[name])
    elif name in NO_SPEECH:
        sentence(result, "No speech was heard")
    elif result.returncode == 0:
        translation = next(line for line in result.stdout.splitlines() if line.startswith("Translation (es): "))
        assert len(translation.split(": ", 1)[1].split()) >= 3, result.stdout
    else:  # an engine that cannot do it says so: never an empty or English "translation"
        sentence(result, "The translation into Spanish came back")
    assert not list(odd.glob("*.es.wav"))


@pytest.mark.parametrize("name", ["notes", "silence", "music", "italian"])
def test_ask(odd: Path, name: str) -> None:
    path = ITALIAN if name == "italian" else odd / f"{name}.wav"
    result = voiceslm("ask", str(path), "--no-speech", cwd=odd)
    assert "Traceback" not in result.stderr
    if name in NO_AUDIO:
        sentence(result, NO_AUDIO[name])
    elif name in NO_SPEECH:
        sentence(result, "No speech was heard")
    else:
        assert result.returncode == 0, result.stderr
        assert "Transcript (it" in result.stdout and "Answer (" in result.stdout, result.stdout
        answer = next(line for line in result.stdout.splitlines() if line.startswith("Answer ("))
        if targets.function_word_language(answer.split(": ", 1)[1]) == "en":  # flagged, not passed off as Italian
            assert "Note: the answer is not in it" in result.stdout, result.stdout
