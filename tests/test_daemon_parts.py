"""The daemon's parts that need no pipeline: privacy retention, the instance lock, status text, journal logging."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from voiceslm.commands.daemon import JournalFormatter
from voiceslm.config import Config, load_config
from voiceslm.errors import UserError
from voiceslm.models.needs import configured_models
from voiceslm.pipeline.events import TranscriptReady, Utterance
from voiceslm.pipeline.events import to_dict as event_to_dict
from voiceslm.service.controller import describe
from voiceslm.service.lock import InstanceLock
from voiceslm.service.privacy import AudioArchive, Retention, TranscriptLog, default_data_dir, retention_of
from voiceslm.service.reload import changed_sections


class Clock:
    """Wall-clock seconds that the test moves forward (retention is about days)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# Transcript log -------------------------------------------------------------------


def read_entries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_transcript_log_is_private_text_only_and_pruned_by_age(tmp_path: Path) -> None:
    clock = Clock()
    log = TranscriptLog(tmp_path / "state" / "transcripts.jsonl", Retention(days=2), clock=clock)
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.path.parent.stat().st_mode) == 0o700
    log.append({"utterance": 1, "heard": "good morning", "language": "en"})
    clock.now += 86400
    log.append({"utterance": 2, "heard": "¿dónde está la estación?", "language": "es"})
    assert [e["utterance"] for e in read_entries(log.path)] == [1, 2]
    assert read_entries(log.path)[1]["heard"] == "¿dónde está la estación?"
    with pytest.raises(TypeError, match="text only"):
        log.append({"audio": np.zeros(16000, dtype=np.float32)})
    with pytest.raises(TypeError, match="text only"):
        log.append({"audio": b"RIFF...."})
    clock.now += 1.5 * 86400  # entry 1 is now 2.5 days old, entry 2 is 1.5 days old
    assert log.prune() == 1
    assert [e["utterance"] for e in read_entries(log.path)] == [2]
    # Reopening (a daemon restart) prunes at once.
    clock.now += 3 * 86400
    TranscriptLog(log.path, Retention(days=2), clock=clock)
    assert log.path.read_text() == ""


def test_transcript_log_keeps_under_its_size_limit_dropping_the_oldest(tmp_path: Path) -> None:
    clock = Clock()
    log = TranscriptLog(tmp_path / "t.jsonl", retention_of(0, 0.002), clock=clock)  # 2000 bytes
    for number in range(100):
        clock.now += 1
        log.append({"utterance": number, "heard": "a sentence of about forty characters."})
    size = log.path.stat().st_size
    assert size <= 2000 * 1.1
    kept = [e["utterance"] for e in read_entries(log.path)]
    assert kept == list(range(100 - len(kept), 100))  # the newest, in order
    assert len(kept) < 100


def test_transcript_log_that_cannot_be_opened_says_which_key_to_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(UserError, match="privacy.transcript_path"):
        TranscriptLog(blocker / "t.jsonl", Retention())


# Saved audio ------------------------------------------------------------------------


def test_audio_archive_writes_private_wavs_and_applies_size_and_age_limits(tmp_path: Path) -> None:
    clock = Clock(time.time())  # file times are real: start the clock now
    one_second = np.zeros(16000, dtype=np.float32)  # 32 kB as 16-bit WAV
    archive = AudioArchive(tmp_path / "audio", retention_of(1, 0.1), clock=clock)  # 100 kB
    saved = []
    for number in range(5):
        clock.now += 10
        saved.append(archive.save(one_second, 16000, number))
    left = sorted(p.name for p in archive.directory.glob("*.wav"))
    assert 2 <= len(left) <= 3
    assert left == sorted(p.name for p in saved[-len(left) :])
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in archive.directory.glob("*.wav"))
    clock.now += 2 * 86400
    assert archive.prune() == len(left)
    assert not list(archive.directory.glob("*.wav"))


def test_state_directory_follows_systemd_then_xdg() -> None:
    assert default_data_dir({"STATE_DIRECTORY": "/var/lib/voiceslm"}) == Path("/var/lib/voiceslm")
    assert default_data_dir({"XDG_STATE_HOME": "/home/u/.local/state"}) == Path("/home/u/.local/state/voiceslm")


# Events leave the process without audio --------------------------------------------


def test_events_are_serialised_without_audio() -> None:
    utterance = Utterance(3, np.ones(8000, dtype=np.float32), 16000, 1.0, 1.5, 2.0, "silence")
    data = event_to_dict(utterance)
    assert data["event"] == "Utterance" and data["id"] == 3 and data["duration_s"] == 0.5
    assert "audio" not in data
    json.dumps(data)
    heard = event_to_dict(TranscriptReady(3, "hola", "es", 2.5, 0.4))
    assert heard == {"event": "TranscriptReady", "utterance_id": 3, "text": "hola", "language": "es", "at": 2.5,
                     "stt_seconds": 0.4, "foreign_language": ""}  # fmt: skip


# One daemon per runtime directory ---------------------------------------------------


def test_instance_lock_refuses_a_second_holder_and_names_the_first(tmp_path: Path) -> None:
    path = tmp_path / "daemon.lock"
    first = InstanceLock(path)
    first.acquire()
    assert path.read_text().strip() == str(os.getpid())
    # Another process, as a second daemon would be.
    script = (
        "import sys; from pathlib import Path; from voiceslm.service.lock import InstanceLock\n"
        "try:\n    InstanceLock(Path(sys.argv[1])).acquire()\nexcept Exception as e:\n    print(e)\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=60)
    assert f"Another voiceslm daemon (pid {os.getpid()}) is already running" in result.stdout
    first.release()
    again = InstanceLock(path)
    again.acquire()  # free once released (or once the holder dies: the kernel drops flock locks)
    again.release()


# Status line and reload bookkeeping -------------------------------------------------


@pytest.mark.parametrize(
    ("status", "line"),
    [
        (
            {"mode": "translate", "source": "auto", "target": "es", "state": "listening"},
            "translating auto->es: listening",
        ),
        ({"mode": "translate", "source": "en", "target": "de", "state": "speaking"}, "translating en->de: speaking"),
        ({"mode": "assist", "state": "thinking"}, "assisting: thinking"),
        ({"mode": "transcribe", "state": "listening", "muted": True}, "transcribing: muted"),
    ],
)
def test_status_line(status: dict, line: str) -> None:
    assert describe(status) == line


def test_changed_sections_and_configured_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICESLM_SYSTEM_CONFIG", str(tmp_path / "none.yaml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    old = load_config().config
    new = load_config(overrides={"translate.target": "de", "log.level": "debug"}).config
    assert changed_sections(old, new) == {"translate", "log"}
    names = configured_models(Config())
    assert names[:2] == [Config().stt.model, Config().stt.english_model]
    assert len(names) == len(set(names))


def test_daemon_config_keys_are_validated(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    for text, fragment in (
        ("daemon:\n  socket: relative/control.sock\n", "daemon.socket must be an absolute path"),
        ("daemon:\n  control_idle_timeout: 0\n", "daemon.control_idle_timeout must be between 1 and 3600"),
        ("privacy:\n  retention_days: -1\n", "privacy.retention_days must be between 0 and 3650"),
        ("privacy:\n  save_audio: maybe\n", "privacy.save_audio must be true or false"),
    ):
        bad.write_text(text)
        with pytest.raises(UserError, match=fragment):
            load_config(bad, use_system_layers=False)


# Journal logging ----------------------------------------------------------------------


def test_journal_formatter_prefixes_every_line_with_its_priority() -> None:
    formatter = JournalFormatter(logging.Formatter("%(name)s: %(message)s"))

    def line(level: int, message: str) -> str:
        return formatter.format(logging.LogRecord("voiceslm.service.daemon", level, __file__, 1, message, (), None))

    assert line(logging.INFO, "ready") == "<6>voiceslm.service.daemon: ready"
    assert line(logging.WARNING, "slow") == "<4>voiceslm.service.daemon: slow"
    assert line(logging.ERROR, "a\nb") == "<3>voiceslm.service.daemon: a\n<3>b"
    assert "\x1b[" not in line(logging.ERROR, "no colour")
