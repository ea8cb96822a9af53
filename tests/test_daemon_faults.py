"""Faults on the real daemon: the audio server restarted, the speaker or the microphone removed mid-reply, a model
damaged after start, a storm of SIGHUPs, a thousand connections, a client that never reads and a
100 MB line. After each the daemon answers `status`, its memory stays bounded, and its log says
what happened. The faults that need no devices of their own fall one after another on one shared daemon
(back on its first configuration before each), which must go on answering through all of them."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_daemon import CLIP_SHORT, REPLY_TIMEOUT, TINY_CONFIG, Daemon, Events, speak_into_mic

from voiceslm.errors import UserError
from voiceslm.eval.soak import proc_figures

pytestmark = pytest.mark.audio

LONG_TEXT = " ".join(["This sentence is spoken while the speaker is taken away."] * 8)


@pytest.fixture(scope="module")
def daemons(pulse: Any, model_store: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Daemon]]:
    model_store.require("whisper-tiny.en")
    started: list[Daemon] = []
    yield started
    for daemon in started:
        daemon.kill()


@pytest.fixture
def daemon(daemons: list[Daemon], tmp_path_factory: pytest.TempPathFactory) -> Daemon:
    """The module's tiny daemon, on TINY_CONFIG; a new one if a test before left it dead."""
    if not daemons or daemons[-1].process is None or daemons[-1].process.poll() is not None:
        daemons.append(Daemon(tmp_path_factory.mktemp("faults") / "home", TINY_CONFIG).start().wait_ready())
    daemon = daemons[-1]
    if daemon.config.read_text() != TINY_CONFIG:
        daemon.config.write_text(TINY_CONFIG)
        daemon.request("reload")
    return daemon


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, ValueError, UserError):  # UserError: "too many connections" while it catches up
            pass
        time.sleep(0.2)
    raise AssertionError(f"not {what} within {timeout:.0f} s")


def healthy(daemon: Daemon) -> dict[str, Any]:
    assert daemon.process is not None and daemon.process.poll() is None, daemon.log_text()[-3000:]
    status = daemon.request("status")
    assert status["daemon"]["pid"] == daemon.pid
    return status


def recovered(daemon: Daemon, kind: str) -> bool:
    """The log told a fault of `kind` ("Microphone"/"Speaker") and then the device opened again."""
    lines = daemon.log_text().splitlines()
    told = [i for i, line in enumerate(lines) if line.split(": ", 1)[-1].startswith(kind) and "Retrying" in line]
    opened = "listening on" if kind == "Microphone" else "speaking on"
    return bool(told) and any(opened in line for line in lines[told[0] :])


def test_pulseaudio_restarted_the_daemon_reopens_its_devices(daemon: Daemon, pulse: Any) -> None:
    pulse.stop()
    try:
        time.sleep(1.5)
        assert healthy(daemon)["mode"] == "transcribe"  # answers with the audio server gone
    finally:
        pulse.start()
    wait_until(lambda: recovered(daemon, "Microphone") and recovered(daemon, "Speaker"), 60, "reopened")
    status = healthy(daemon)
    assert status["input_open"] and status["output_open"] and status["input_faults"] >= 1
    assert "Traceback" not in daemon.log_text()


def test_the_speaker_removed_mid_reply_is_told_and_reopened(pulse: Any, model_store: Any, tmp_path: Path) -> None:
    # Named, not "default": PulseAudio would move a default stream to another sink and go on.
    daemon = Daemon(tmp_path / "home", TINY_CONFIG + "audio:\n  output_device: vspeaker\n").start().wait_ready()
    try:
        speaker_removed_mid_reply(daemon, pulse)
    finally:
        daemon.kill()


def speaker_removed_mid_reply(daemon: Daemon, pulse: Any) -> None:
    assert daemon.request("say", {"text": LONG_TEXT, "lang": "en"})
    wait_until(lambda: daemon.request("status")["speaking"], 30, "speaking")
    for module in pulse.module_ids("sink_name=vspeaker"):
        pulse.pactl("unload-module", module)
    try:
        time.sleep(1.5)
        healthy(daemon)
    finally:
        pulse.start()  # puts the speaker back
    wait_until(lambda: recovered(daemon, "Speaker"), 60, "reopened")
    assert daemon.request("say", {"text": "Back again.", "lang": "en"})
    assert healthy(daemon)["output_open"]
    assert "Traceback" not in daemon.log_text()


def test_the_microphone_removed_mid_reply_is_told_once_and_capture_resumes(
    pulse: Any, model_store: Any, tmp_path: Path
) -> None:
    # Named, not "default": PulseAudio would move a default stream to another source and go on.
    daemon = Daemon(tmp_path / "home", TINY_CONFIG + "audio:\n  input_device: vmic\n").start().wait_ready()
    try:
        heard_after_speaking(daemon, pulse)  # every engine loaded once: the memory bound is from here
        rss_before = proc_figures(daemon.pid)[0]
        assert daemon.request("say", {"text": LONG_TEXT, "lang": "en"})
        wait_until(lambda: daemon.request("status")["speaking"], 30, "speaking")
        for module in pulse.module_ids("source_name=vmic"):
            pulse.pactl("unload-module", module)
        try:
            for _ in range(10):  # it answers all the while the microphone is away
                time.sleep(0.3)
                assert healthy(daemon)["daemon"]["pid"] == daemon.pid
        finally:
            pulse.start()  # puts the microphone back
        wait_until(lambda: recovered(daemon, "Microphone"), 60, "reopened")
        status = healthy(daemon)
        assert status["input_open"] and status["input_faults"] >= 1, status
        told = [line for line in daemon.log_text().splitlines() if line.split(": ", 1)[-1].startswith("Microphone")]
        assert len(told) == 1, told  # one line for the fault, not one per retry
        heard_after_speaking(daemon, pulse)  # capture resumed on the microphone that came back
        assert proc_figures(daemon.pid)[0] < rss_before + 50, (rss_before, proc_figures(daemon.pid)[0])
        assert "Traceback" not in daemon.log_text()
    finally:
        daemon.kill()


def heard_after_speaking(daemon: Daemon, pulse: Any) -> None:
    """The reply is cut (while it speaks the microphone is not listened to), then speech played is heard."""
    assert daemon.request("say", {"text": LONG_TEXT, "lang": "en"})
    wait_until(lambda: daemon.request("status")["speaking"], 30, "speaking")
    time.sleep(3)
    daemon.request("stop_speaking")
    wait_until(lambda: not daemon.request("status")["speaking"], 30, "quiet")
    events = Events(daemon, ["TranscriptReady"])
    try:
        speak_into_mic(pulse, CLIP_SHORT)
        heard = events.wait_for(lambda e: e["text"], REPLY_TIMEOUT, "transcript")
    finally:
        events.close()
    assert "forward" in heard["text"].lower(), heard


def test_a_model_damaged_after_start_is_refused_at_the_next_load(pulse: Any, model_store: Any, tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(model_store.require("whisper-tiny.en"), store / "whisper-tiny.en")
    daemon = Daemon(tmp_path / "home", TINY_CONFIG)
    daemon.env["VOICESLM_MODELS"] = str(store)
    try:
        daemon.start().wait_ready()
        weights = store / "whisper-tiny.en" / "model.bin"
        with weights.open("r+b") as handle:
            handle.seek(weights.stat().st_size // 2)
            byte = handle.read(1)
            handle.seek(-1, os.SEEK_CUR)
            handle.write(bytes([byte[0] ^ 0xFF]))
        daemon.config.write_text(TINY_CONFIG + "vad:\n  min_silence_ms: 700\n")
        reloaded = daemon.ctl("reload")
        assert reloaded.returncode != 0
        message = reloaded.stderr.strip()
        assert len(message.splitlines()) == 1 and "whisper-tiny.en is damaged" in message, message
        assert "models install --force whisper-tiny.en" in message
        status = healthy(daemon)
        assert status["daemon"]["reload_error"], status
        assert "Traceback" not in daemon.log_text()
    finally:
        daemon.kill()


def test_a_sighup_storm_coalesces_and_the_daemon_stays_healthy(daemon: Daemon) -> None:
    rss_before = proc_figures(daemon.pid)[0]
    reloads_before = daemon.request("status")["daemon"]["reloads"]
    daemon.config.write_text(TINY_CONFIG + "log:\n  level: info\n")
    for _ in range(20):
        os.kill(daemon.pid, signal.SIGHUP)
        time.sleep(0.05)
    wait_until(lambda: daemon.request("status")["daemon"]["phase"] != "reloading", 60, "done reloading")
    time.sleep(1.0)
    status = healthy(daemon)
    reloads = status["daemon"]["reloads"] - reloads_before
    assert 1 <= reloads <= 8, status["daemon"]
    assert status["ready"] is True
    assert proc_figures(daemon.pid)[0] < rss_before * 1.2 + 50
    assert "Traceback" not in daemon.log_text()


def test_a_thousand_connections_at_once_leave_it_answering(daemon: Daemon) -> None:
    fds_before = proc_figures(daemon.pid)[2]
    clients = []
    try:
        for _ in range(1000):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                sock.connect(str(daemon.socket))
            except BlockingIOError:
                pass
            except OSError:  # the listen backlog is full: the kernel refuses, which is the point
                sock.close()
                continue
            clients.append(sock)
        assert len(clients) >= 100
    finally:
        for sock in clients:
            sock.close()
    wait_until(lambda: healthy(daemon)["ready"], 30, "answering")
    wait_until(lambda: proc_figures(daemon.pid)[2] <= fds_before + 2, 30, "back to its file descriptors")


def test_a_client_that_never_reads_is_dropped_and_others_are_served(daemon: Daemon) -> None:
    slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(str(daemon.socket))
    try:
        # Requests whose replies it never reads, until the daemon's side is full.
        request = (json.dumps({"cmd": "status"}) + "\n").encode()
        slow.settimeout(2.0)
        with contextlib.suppress(TimeoutError, BrokenPipeError, ConnectionResetError):
            for _ in range(20000):
                slow.sendall(request)
        deadline = time.monotonic() + 8  # past the 5 s write timeout
        while time.monotonic() < deadline:
            started = time.monotonic()
            assert healthy(daemon)["ready"] is True
            assert time.monotonic() - started < 2
            time.sleep(0.5)
        # Given up on: what was already sent can be read, then the end.
        slow.settimeout(10)
        with contextlib.suppress(ConnectionResetError):
            while slow.recv(1 << 20):
                pass
    finally:
        slow.close()
    log = daemon.log_text()
    assert "dropped a control client that did not read its replies" in log and "Traceback" not in log


def test_a_100_mb_line_is_refused_with_one_reply_and_memory_stays_bounded(daemon: Daemon) -> None:
    rss_before = proc_figures(daemon.pid)[0]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(daemon.socket))
    sock.settimeout(10)
    chunk = b"x" * (1 << 20)
    try:
        for _ in range(100):
            sock.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused before the end
    reply = b""
    try:
        while not reply.endswith(b"\n"):
            data = sock.recv(65536)
            if not data:
                break
            reply += data
    except (ConnectionResetError, TimeoutError):
        pass
    sock.close()
    if reply:
        answer = json.loads(reply.splitlines()[0])
        assert answer["ok"] is False and "over 65536 bytes" in answer["error"]
    assert healthy(daemon)["ready"] is True
    assert proc_figures(daemon.pid)[0] < rss_before + 50
    assert "refused a control message over 65536 bytes" in daemon.log_text()


def test_a_reload_loads_again_only_the_engines_whose_settings_changed(daemon: Daemon) -> None:
    assert daemon.request("say", {"text": "Hello.", "lang": "en"})  # the English voice loads too
    wait_until(lambda: "voice:en" in daemon.request("status")["daemon"]["engine_loads"], 60, "the voice loaded")
    wait_until(lambda: not daemon.request("status")["speaking"], 60, "the end of the reply")
    loads = daemon.request("status")["daemon"]["engine_loads"]
    assert loads == {"stt:whisper-tiny.en": 1, "voice:en": 1}, loads
    _, threads, _ = proc_figures(daemon.pid)

    daemon.config.write_text(TINY_CONFIG + "vad:\n  min_silence_ms: 700\n")
    assert daemon.request("reload") == {"changed": ["vad"], "pipeline_restarted": True}
    status = daemon.request("status")
    assert status["ready"] and status["daemon"]["engine_loads"] == loads
    assert proc_figures(daemon.pid)[1] <= threads + 2, (threads, proc_figures(daemon.pid))
    ready = [line for line in daemon.log_text().splitlines() if "models ready in" in line]
    assert "warmed up: none, all warm from before" in ready[-1], ready  # kept engines are not warmed again

    # A speech-to-text setting: speech-to-text alone loads again, the voice stays.
    daemon.config.write_text(TINY_CONFIG.replace("stt:\n", "stt:\n  beam_size: 2\n"))
    assert daemon.request("reload") == {"changed": ["stt", "vad"], "pipeline_restarted": True}
    status = daemon.request("status")
    assert status["ready"] and status["daemon"]["engine_loads"] == {**loads, "stt:whisper-tiny.en": 2}
    assert "engines kept: voices; closed: stt:whisper-tiny.en" in daemon.log_text()
    ready = [line for line in daemon.log_text().splitlines() if "models ready in" in line]
    assert "warmed up: stt:en" in ready[-1], ready  # only the engine loaded again
