"""The whole pipeline on recordings, through the real command line and real models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from voiceslm.text import normalize_for_scoring

DATA = Path(__file__).resolve().parent / "data"
ENGLISH = DATA / "en_cheetah_platforms.wav"  # "Today only platforms one and three are used."
SPANISH = DATA / "es_cheetah_homenaje.wav"  # "Un homenaje a Cabré era más que necesario."
NOISE = DATA / "noise_speechbrain_noise2.wav"


def voiceslm(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    return subprocess.run(
        [sys.executable, "-m", "voiceslm", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600
    )


def last_json(result: subprocess.CompletedProcess[str]) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def words(text: str) -> set[str]:
    return set(normalize_for_scoring(text).split())


def test_transcribe_english_recording() -> None:
    # A language code is read in any case: "EN" is "en".
    data = last_json(voiceslm("transcribe", str(ENGLISH), "--lang", "EN", "--json"))
    assert {"today", "only", "platforms", "used"} <= words(data["text"])
    assert data["language"] == "en"


def test_transcribe_detects_spanish_among_configured_languages() -> None:
    data = last_json(voiceslm("transcribe", str(SPANISH), "--json"))
    assert data["language"] == "es"
    # whisper-base falls back to sampling on this clip, so the ending of a word varies between runs.
    assert any(w.startswith(("homenaj", "necesari")) for w in words(data["text"])), data["text"]


def test_any_rate_and_channel_count_is_accepted(tmp_path: Path) -> None:
    # 44.1 kHz stereo 24-bit FLAC made from the real recording.
    mono, rate = soundfile.read(ENGLISH, dtype="float32")
    from voiceslm.audio.io import resample

    upsampled = resample(mono, rate, 44100)
    stereo = np.stack([upsampled, upsampled * 0.5], axis=1)
    flac = tmp_path / "platforms.flac"
    soundfile.write(flac, stereo, 44100, subtype="PCM_24")
    data = last_json(voiceslm("transcribe", str(flac), "--lang", "en", "--json"))
    assert {"platforms", "used"} <= words(data["text"])


def test_noise_produces_no_transcript() -> None:
    data = last_json(voiceslm("transcribe", str(NOISE), "--json"))
    assert data["text"] == ""


def test_translate_speaks_intelligible_spanish(tmp_path: Path, whisper_base) -> None:
    out = tmp_path / "es.wav"
    data = last_json(voiceslm("translate", str(ENGLISH), "--from", "en", "--to", "es", "-o", str(out), "--json"))
    assert data["transcript"]["language"] == "en"
    assert data["language"] == "es"
    assert data["text"], data
    assert data["audio"] == str(out) and out.is_file()
    for stage in ("load", "transcribe", "translate", "speak", "first_audio"):
        assert stage in data["timings"], data["timings"]
    # The spoken result must be intelligible Spanish: the multilingual whisper,
    # free to pick any configured language, hears Spanish and the same words.
    from voiceslm.audio.io import load_audio

    heard = whisper_base.transcribe(load_audio(out))
    assert heard.language == "es", heard
    # Pico's Spanish is heard back at CER 0.03 and espeak-ng's, where Pico is
    # not installed, at 0.2-0.35 (docs/quality.md); well past that, the speech
    # is not this translation.
    import jiwer

    cer = jiwer.cer(normalize_for_scoring(data["text"]), normalize_for_scoring(heard.text))
    assert cer <= 0.5, (cer, heard.text, data["text"])
    assert words(data["text"]) & {"plataformas", "plataforma", "andenes", "andén", "vías", "hoy"}, data["text"]


def test_say_writes_intelligible_english(tmp_path: Path, whisper_base) -> None:
    out = tmp_path / "say.wav"
    data = last_json(voiceslm("say", "The train leaves at seven.", "--lang", "en", "-o", str(out), "--json"))
    assert out.is_file() and data["audio_seconds"] > 0.5
    from voiceslm.audio.io import load_audio

    heard = whisper_base.transcribe(load_audio(out), "en")
    # Piper samples its own noise, so a word is sometimes heard a little off ("leads"): score
    # characters, as the intelligibility table does.
    import jiwer

    said = normalize_for_scoring(heard.text.replace("7", "seven"))
    assert jiwer.cer("the train leaves at seven", said) <= 0.2, heard.text


def test_ask_answers_in_text_and_speech(tmp_path: Path) -> None:
    out = tmp_path / "answer.wav"
    data = last_json(voiceslm("ask", "What is the capital of France?", "-o", str(out), "--json"))
    assert "paris" in data["text"].lower()
    assert out.is_file()


def test_human_readable_translate_output(tmp_path: Path) -> None:
    result = voiceslm("translate", str(SPANISH), "--to", "en", "--no-speech", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Transcript (es" in result.stdout
    assert "Translation (en): " in result.stdout
    assert "Timings: " in result.stdout
    assert list(tmp_path.iterdir()) == []


# Bad input: one sentence on stderr, a non-zero exit, nothing written. ------


def assert_refused(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert message.count("\n") == 0, message
    assert message.startswith("voiceslm: ")
    assert fragment in message, message


@pytest.fixture
def corrupt_inputs(tmp_path: Path) -> dict[str, Path]:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(ENGLISH.read_bytes()[:30])
    garbage = tmp_path / "garbage.mp3"
    garbage.write_bytes(os.urandom(4000))
    zero = tmp_path / "zero_samples.wav"
    soundfile.write(zero, np.zeros(0, dtype=np.float32), 16000)
    return {"empty": empty, "truncated": truncated, "garbage": garbage, "zero": zero}


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("empty", "is an empty file"),
        ("truncated", "not a readable audio file"),
        ("garbage", "not a readable audio file"),
        ("zero", "contains no audio samples"),
    ],
)
def test_corrupt_recordings_are_refused(
    corrupt_inputs: dict[str, Path], tmp_path: Path, name: str, fragment: str
) -> None:
    out = tmp_path / "out.wav"
    assert_refused(voiceslm("translate", str(corrupt_inputs[name]), "--to", "es", "-o", str(out)), fragment)
    assert not out.exists()


def test_missing_and_directory_inputs_are_refused(tmp_path: Path) -> None:
    assert_refused(voiceslm("transcribe", str(tmp_path / "nope.wav")), "does not exist")
    assert_refused(voiceslm("transcribe", str(tmp_path)), "is a directory")
    assert_refused(voiceslm("ask", str(tmp_path / "question.wav")), "does not exist")


def test_unsupported_languages_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "out.wav"
    assert_refused(
        voiceslm("translate", str(ENGLISH), "--to", "xx", "-o", str(out)), "is not supported for translation"
    )
    assert_refused(voiceslm("translate", str(ENGLISH), "--to", "spanish"), "translate.target must be a two-letter")
    assert_refused(voiceslm("transcribe", str(ENGLISH), "--lang", "zz"), "cannot be transcribed")
    assert_refused(voiceslm("say", "hola", "--lang", "xx", "-o", str(out)), "has no voice")
    assert_refused(voiceslm("translate", str(ENGLISH), "--from", "es", "--to", "es"), "both 'es'")
    assert not out.exists()


def test_empty_and_overlong_text_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "out.wav"
    assert_refused(voiceslm("say", "   ", "-o", str(out)), "is empty")
    assert_refused(voiceslm("ask", ""), "is empty")
    assert_refused(voiceslm("say", "word " * 1000, "-o", str(out)), "over the 2000 limit")
    assert_refused(
        voiceslm("--set", "limits.max_text_chars=10", "ask", "What is the capital of France?"), "over the 10 limit"
    )
    assert not out.exists()


def test_unwritable_output_is_refused_before_any_work(tmp_path: Path) -> None:
    assert_refused(voiceslm("say", "hello", "-o", str(tmp_path / "missing" / "out.wav")), "does not exist")
    assert_refused(voiceslm("say", "hello", "-o", str(tmp_path)), "is a directory")
    assert_refused(voiceslm("say", "hello", "-o", str(tmp_path / "out.mp3")), "must end in .wav")


def test_missing_model_names_the_fix(tmp_path: Path) -> None:
    result = voiceslm("--models-dir", str(tmp_path / "empty-store"), "transcribe", str(ENGLISH), "--lang", "en")
    assert_refused(result, "voiceslm models install whisper-tiny.en")


# Evaluation ------------------------------------------------------------


def test_eval_manifest_reports_wer_cer_and_false_speech() -> None:
    data = last_json(voiceslm("eval", "--manifest", str(DATA / "manifest.tsv"), "--json"))
    assert set(data["per_language"]) == {"en", "es", "de"}
    assert data["per_language"]["en"]["wer"] < 0.5
    assert data["no_speech_clips"] == 1 and data["false_speech"] == 0
    assert 0 < data["rtf"] < 5
    goforward = next(c for c in data["clips"] if c["file"] == "en_pocketsphinx_goforward.wav")
    assert goforward["wer"] is not None and goforward["model"] == "whisper-tiny.en"


def test_eval_pairs_reports_chrf_and_bleu(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("Good morning.\tBuenos días.\nWhere is the station?\t¿Dónde está la estación?\n", encoding="utf-8")
    data = last_json(voiceslm("eval", "--pairs", str(pairs), "--src", "en", "--tgt", "es", "--json"))
    assert data["sentences"] == 2
    assert 0 <= data["bleu"] <= 100 and data["chrf"] > 20
    assert data["sentences_per_second"] > 0
    bad = tmp_path / "bad.tsv"
    bad.write_text("no tab here\n", encoding="utf-8")
    assert_refused(voiceslm("eval", "--pairs", str(bad), "--tgt", "es"), "line 1 has no tab")
