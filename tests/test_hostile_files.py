"""Files that are not what they seem: one sentence each, and nothing overwritten or half-written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile

DATA = Path(__file__).resolve().parent / "data"
ENGLISH = DATA / "en_pocketsphinx_goforward.wav"  # "go forward ten meters"


def voiceslm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "voiceslm", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"},
    )


def refused(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert fragment in result.stderr and result.stderr.strip().count("\n") == 0, result.stderr


def test_an_output_that_is_the_input_is_refused_and_the_input_kept(tmp_path: Path) -> None:
    recording = tmp_path / "self.wav"
    shutil.copy(ENGLISH, recording)
    before = recording.read_bytes()
    refused(voiceslm("translate", str(recording), "--to", "es", "-o", str(recording)), "is the input recording itself")
    # The same file by another name is the same file.
    os.link(recording, tmp_path / "alias.wav")
    refused(voiceslm("ask", str(recording), "-o", str(tmp_path / "alias.wav")), "is the input recording itself")
    assert recording.read_bytes() == before


def test_pipes_and_devices_are_not_called_empty_files(tmp_path: Path) -> None:
    fifo = tmp_path / "speech.wav"
    os.mkfifo(fifo)
    refused(voiceslm("transcribe", str(fifo)), "is not a regular file (a pipe or a device)")
    refused(voiceslm("transcribe", "/dev/zero"), "is not a regular file (a pipe or a device)")


def test_a_recording_cut_short_is_used_with_a_warning(tmp_path: Path) -> None:
    samples, rate = soundfile.read(ENGLISH, dtype="int16")
    whole = tmp_path / "whole.wav"
    soundfile.write(whole, np.concatenate([samples, samples]), rate, subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2 + 22])  # header still promises both copies
    result = voiceslm("transcribe", str(cut), "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert "is cut short: its header promises" in result.stderr
    assert "forward" in result.stdout.lower()


def test_translating_noise_says_nothing_was_written(tmp_path: Path) -> None:
    out = tmp_path / "noise.es.wav"
    result = voiceslm("translate", str(DATA / "noise_speechbrain_noise2.wav"), "--to", "es", "-o", str(out))
    refused(result, f"nothing was translated, and {out} was not written")
    assert not out.exists()


def test_a_long_question_or_one_naming_a_file_is_a_question() -> None:
    from voiceslm.commands.ask import is_recording

    assert not is_recording("why " * 100 + "is the sky blue?")
    assert not is_recording("What is the name of the band in song.mp3?")
    assert is_recording(str(ENGLISH)) and is_recording("missing-recording.wav")
    # Over 255 bytes the question used to be tried as a path and crash.
    result = voiceslm("--set", "limits.max_text_chars=10", "ask", "why " * 100 + "is the sky blue?", "--no-speech")
    refused(result, "over the 10 limit")


def test_a_question_in_an_unknown_language_is_refused_before_any_work() -> None:
    # It went into the tool phrase tables and ended in a KeyError.
    refused(voiceslm("ask", "--lang", "xx", "hello", "--no-speech"), "--lang 'xx' is not a language voiceslm knows")
    # A known language without tool phrases still reaches the tools in the six that have them.
    result = voiceslm("ask", "--lang", "ja", "what is 6 times 7", "--no-speech")
    assert result.returncode == 0, result.stderr
    assert "42" in result.stdout


def test_a_recording_given_as_the_manifest_is_one_sentence() -> None:
    refused(voiceslm("eval", "--manifest", str(ENGLISH)), "is not UTF-8 text")
    refused(voiceslm("eval", "--pairs", str(ENGLISH), "--tgt", "es"), "is not UTF-8 text")
    refused(voiceslm("eval", "--questions", str(ENGLISH)), "is not UTF-8 text")


def test_a_bench_limit_below_one_is_refused_before_any_clip_plays() -> None:
    for limit in ("0", "-1"):
        refused(voiceslm("bench", "--limit", limit), f"--limit must be at least 1, not {limit}")


def test_a_documents_folder_that_is_a_file_is_called_a_file(tmp_path: Path) -> None:
    document = tmp_path / "notes.txt"
    document.write_text("The budget is 300 euros.\n")
    state = {"XDG_STATE_HOME": str(tmp_path / "state")}
    result = subprocess.run(
        [sys.executable, "-m", "voiceslm", "--set", f"assistant.documents={document}", "docs", "index"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **state},
    )
    refused(result, "is a file, not a folder")
