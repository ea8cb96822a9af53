"""The soak bench on a real daemon, short: reloads keep memory and models, and speech flows through reloads."""

from __future__ import annotations

from typing import Any

import pytest

from voiceslm.eval.soak import run_soak
from voiceslm.eval.soak_speech import run_speech_soak, speech_clips

pytestmark = pytest.mark.audio

from test_daemon import DATA  # noqa: E402 - after the marker, as the other daemon tests

DEVICES: dict[str, Any] = {"audio": {"input_device": "vmic", "output_device": "vspeaker"}}
TINY = ["--set", "stt.model=whisper-tiny.en", "--set", "stt.english_model=whisper-tiny.en"]


def test_reloads_load_no_model_again_and_memory_comes_back(pulse: Any, model_store: Any) -> None:
    model_store.require("whisper-tiny.en")
    report = run_soak(DEVICES, TINY, restarts=6, switches=0, target="es")
    figures = report.figures()
    assert figures["errors"] == []
    assert figures["engine_loads"]["start"] and figures["engine_loads"]["end"] == figures["engine_loads"]["start"]
    after_first = report.samples[1].rss_mb
    assert report.samples[-1].rss_mb <= after_first * 1.05, [round(s.rss_mb) for s in report.samples]
    assert figures["threads"]["end"] <= figures["threads"]["start"] + 2, figures["threads"]


def test_a_short_speech_soak_hears_replies_and_survives_switches_and_reloads(
    pulse: Any, model_store: Any, policy_classifier: Any, policy_head: Any
) -> None:
    # The policy layers trained once for the session (tests/conftest.py): the soak's daemon copies their cache.
    model_store.require("whisper-tiny.en")
    clips = speech_clips(DATA / "manifest.tsv")
    assert clips
    report = run_speech_soak(DEVICES, TINY, 0.75, "es", clips, every_s=20)
    figures = report.figures()
    assert figures["errors"] == [] and figures["log_errors"] == []
    assert figures["actions"]["reload"] >= 1 and figures["actions"]["mode"] >= 2
    assert figures["utterances"] >= 3 and figures["replies"] >= 3, figures
    assert report.event_streams >= 2  # the events stream opened again on the rebuilt pipeline
    assert figures["events"].get("TranscriptReady", 0) >= 3
    queued = figures["queued_end"]
    assert queued["utterances"] == queued["requests"] == 0 and queued["audio_blocks"] <= 3, queued
    assert figures["dropped_audio_blocks"] == 0
    # The baseline is taken after a warm-up cycle that loaded the assistant too; then one sample per cycle.
    steps = [s.step for s in report.samples]
    assert steps[:2] == ["raw start", "warmed"] and steps.count("cycle") >= 2, steps
    assert figures["rss_mb"]["warmed"] > figures["rss_mb"]["raw_start"], figures["rss_mb"]
    assert all(s.queued is not None for s in report.samples), report.samples
    # The daemon process fixed its allocator's thresholds at start and trimmed after replies.
    allocator = figures["allocator"]
    assert allocator["mmap_threshold"] > 0 and allocator["arena_max"] == 2, allocator
    assert 1 <= allocator["trims"] <= figures["replies"], allocator
    assert figures["latency_median_s"]["to_transcript"]["first_half"] is not None, figures["latency_median_s"]
