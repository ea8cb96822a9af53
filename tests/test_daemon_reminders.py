"""Reminders and the real daemon: one set with `ask` while the daemon runs is spoken by it when due, and one
that came due while the daemon was stopped is spoken when it starts again, once."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_daemon import REPLY_TIMEOUT, TINY_CONFIG, Daemon, Events

pytestmark = pytest.mark.audio


def ask(daemon: Daemon, question: str) -> str:
    """`voiceslm ask` as the same user (same state directory) as the daemon."""
    result = subprocess.run(
        [sys.executable, "-m", "voiceslm", "--config", str(daemon.config), "ask", question, "--no-speech"],
        capture_output=True,
        text=True,
        env=daemon.env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def reminders(daemon: Daemon) -> list[tuple[str, Any]]:
    database = daemon.home / "state" / "voiceslm" / "assistant.sqlite3"
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT text, fired FROM reminders ORDER BY id").fetchall()


SPOKEN_S = 0.4
"""Seconds of loud samples (above 0.05) that mean something was said: a sentence of Piper holds 0.6-1.5."""


def loud_seconds(recording: Path) -> float:
    samples = np.frombuffer(recording.read_bytes(), dtype=np.int16).astype(np.float32) / 32768
    return float((np.abs(samples) > 0.05).sum() / 16000)


def test_reminders_are_spoken_when_due_and_survive_a_restart(
    pulse: Any, model_store: Any, tmp_path: Path, policy_classifier: Any, policy_head: Any
) -> None:
    # `ask` finds the policy layers the session trained (tests/conftest.py) in the daemon's state directory.
    model_store.require("whisper-tiny.en")
    home = tmp_path / "home"
    first = Daemon(home, TINY_CONFIG, policy_cache=True).start()
    try:
        first.wait_ready()
        events = Events(first, ["PlaybackStarted", "PlaybackStopped"])
        try:
            assert "remind you: check the pump" in ask(first, "Remind me in 3 seconds to check the pump.")
            started = events.wait_for(lambda e: e["event"] == "PlaybackStarted", REPLY_TIMEOUT, "the reminder")
            events.wait_for(
                lambda e: e["event"] == "PlaybackStopped" and e["utterance_id"] == started["utterance_id"], 60, "end"
            )
        finally:
            events.close()
        assert "reminder 1 is due" in first.log_text()
        first.request("stop")
        assert first.wait_exit(30) == 0
    finally:
        first.kill()

    # Set while the daemon is stopped, and due before it starts again.
    ask(first, "Remind me in 1 second to water the plants.")
    time.sleep(2.0)
    assert [text for text, fired in reminders(first) if fired is None] == ["water the plants"]
    recording = tmp_path / "speaker.raw"
    recorder = pulse.record(recording)
    second = Daemon(home, TINY_CONFIG, policy_cache=True)
    second.log = home / "second.log"
    try:
        second.start().wait_ready()
        deadline = time.monotonic() + REPLY_TIMEOUT
        while "reminder 2 is due" not in second.log_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        # "While I was off, this came due at ... Reminder: water the plants." is spoken: wait until it was
        # heard (a loaded machine may take a while), not for a fixed time.
        deadline = time.monotonic() + 60
        while loud_seconds(recording) <= SPOKEN_S and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(3.0)  # the rest of the sentence
        second.request("stop")
        assert second.wait_exit(30) == 0
    finally:
        second.kill()
        recorder.terminate()
        recorder.wait(10)
    assert "reminder 2 is due" in second.log_text()
    assert loud_seconds(recording) > SPOKEN_S, "the speaker stayed silent"
    assert all(fired is not None for _, fired in reminders(second))

    # Started once more: nothing is due, nothing is said again.
    third = Daemon(home, TINY_CONFIG, policy_cache=True)
    third.log = home / "third.log"
    try:
        third.start().wait_ready()
        time.sleep(3.0)
    finally:
        third.kill()
    assert "is due" not in third.log_text()
    assert os.stat(home / "state" / "voiceslm" / "assistant.sqlite3").st_mode & 0o777 == 0o600
