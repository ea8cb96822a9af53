"""`voiceslm bench --compare wyoming` with the real Wyoming servers, and Home Assistant's end-of-speech rule."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from voiceslm.bench_wyoming import VoiceCommandSegmenter

CHUNK_S = 0.032


def ends_after(decisions: list[bool]) -> int | None:
    """Index of the chunk at which the segmenter ends the command, or None."""
    segmenter = VoiceCommandSegmenter()
    for index, is_speech in enumerate(decisions):
        if not segmenter.process(CHUNK_S, is_speech):
            return index
    return None


def chunks(seconds: float, is_speech: bool) -> list[bool]:
    return [is_speech] * round(seconds / CHUNK_S)


def test_a_command_ends_after_seven_tenths_of_a_second_of_silence() -> None:
    speech = chunks(1.5, True)
    end = ends_after(speech + chunks(2.0, False))
    assert end is not None
    assert 0.65 <= (end + 1 - len(speech)) * CHUNK_S <= 0.75


def test_a_short_pause_does_not_end_a_command() -> None:
    decisions = chunks(1.2, True) + chunks(0.5, False) + chunks(1.0, True)
    assert ends_after(decisions) is None


def test_a_blip_of_speech_is_not_a_command() -> None:
    # Under 0.3 s of speech never starts one, so silence after it ends nothing.
    assert ends_after(chunks(0.2, True) + chunks(5.0, False)) is None


def test_compare_wyoming_runs_both_pipelines_on_one_clip(model_store) -> None:
    pytest.importorskip("wyoming_faster_whisper")
    pytest.importorskip("wyoming_piper")
    for name in ("whisper-tiny.en", "gemma3-270m", "piper-en_US-joe-medium"):
        model_store.require(name)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "voiceslm",
            "bench",
            "--compare",
            "wyoming",
            "--from",
            "en",
            "--max-seconds",
            "3",
            "--limit",
            "1",
            "--json",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert set(report["summary"]["speech_to_first_audio_s"]) >= {"p50", "p90"}
    assert report["summary"]["peak_rss_mb"] > 0
    ours = report["clips"][0]
    assert ours["transcript"] and ours["reply"] and ours["speech_to_first_audio_s"] is not None
    peer = report["compare"]["wyoming"]
    assert set(peer["speech_to_first_audio_s"]) >= {"p50", "p90"}
    assert peer["ratio"] is not None
    (clip,) = peer["clips"]
    assert clip["clip"] == ours["clip"] and not clip["error"]
    assert "forward" in clip["transcript"].lower() and clip["reply"]
    assert clip["speech_to_first_audio_s"] is not None
