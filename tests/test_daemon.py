"""The real daemon as systemd runs it: a subprocess with real models, PulseAudio virtual devices,
a notify socket made here, and a private runtime directory.

One full daemon (translate mode, the default models) serves the first tests. The SIGTERM test and
the network test each start a full daemon of their own, so neither depends on what ran before:
the network test runs its daemon under strace from start to exit, through one reply. Later tests
start small transcribe-only daemons (whisper tiny.en) for start-up failures, kill -9 recovery
and the transcript log.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voiceslm.config import Config
from voiceslm.errors import UserError
from voiceslm.eval.soak import copy_policy_cache
from voiceslm.service.client import ControlClient
from voiceslm.service.netguard import OFFLINE_ENV

pytestmark = pytest.mark.audio

DATA = Path(__file__).resolve().parent / "data"
CLIP_EN = DATA / "en_cheetah_platforms.wav"  # "Today only platforms one and three are used." 4.5 s
CLIP_SHORT = DATA / "en_pocketsphinx_goforward.wav"  # "go forward ten meters" 2.8 s
START_TIMEOUT = 240.0
REPLY_TIMEOUT = 150.0
# Variables that make libraries quiet on their own (CI detection) or that the
# daemon must set itself: the offline test must see what a user's shell gives it.
_NOT_INHERITED = {"CI", "GITHUB_ACTIONS", "GITLAB_CI", "TF_BUILD", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
                  "JOURNAL_STREAM", "RUNTIME_DIRECTORY", "STATE_DIRECTORY", *OFFLINE_ENV}  # fmt: skip


class NotifySocket:
    """The service manager's end of sd_notify: a datagram socket collecting messages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.messages: list[tuple[float, dict[str, str]]] = []
        self._lock = threading.Condition()
        path.unlink(missing_ok=True)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(path))
        self._thread = threading.Thread(target=self._collect, daemon=True)
        self._thread.start()

    def _collect(self) -> None:
        while True:
            try:
                data = self._sock.recv(65536)
            except OSError:
                return
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            with self._lock:
                self.messages.append((time.monotonic(), fields))
                self._lock.notify_all()

    def wait_for(self, predicate: Callable[[dict[str, str]], bool], timeout: float, what: str, since: int = 0) -> dict:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for _, fields in self.messages[since:]:
                    if predicate(fields):
                        return fields
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {what} from the daemon in {timeout:.0f} s; got {self.all()}")
                self._lock.wait(min(left, 0.5))

    def all(self, key: str | None = None) -> list[Any]:
        with self._lock:
            if key is None:
                return [fields for _, fields in self.messages]
            return [fields[key] for _, fields in self.messages if key in fields]

    def close(self) -> None:
        self._sock.close()


class Daemon:
    """`voiceslm daemon` in a subprocess, in its own runtime, state and config directories."""

    def __init__(
        self,
        home: Path,
        config_text: str,
        *,
        strace_log: Path | None = None,
        args: tuple = (),
        policy_cache: bool = False,
    ) -> None:
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.config = home / "config.yaml"
        self.config.write_text(config_text)
        self.runtime = home / "run"
        self.runtime.mkdir(mode=0o700, exist_ok=True)
        self.socket = self.runtime / "voiceslm" / "control.sock"
        self.log = home / "daemon.log"
        self.notify = NotifySocket(home / "notify.sock")
        if policy_cache:  # the policy layers' weights the session trained, as a user's state directory holds them
            copy_policy_cache(home / "state" / "voiceslm" / "cache")
        env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
        env.update(
            XDG_RUNTIME_DIR=str(self.runtime),
            XDG_STATE_HOME=str(home / "state"),
            XDG_CONFIG_HOME=str(home / "xdg"),
            VOICESLM_SYSTEM_CONFIG=str(home / "no-system-config.yaml"),
            NOTIFY_SOCKET=str(self.notify.path),
            WATCHDOG_USEC="2000000",
            PYTHONUNBUFFERED="1",
        )
        self.env = env
        command = [sys.executable, "-m", "voiceslm", "--config", str(self.config), "daemon", *args]
        if strace_log is not None:
            command = ["strace", "-f", "-qq", "--seccomp-bpf", "-e", "signal=none", "-e", "trace=socket,connect",
                       "-o", str(strace_log), *command]  # fmt: skip
        self.command = command
        self.process: subprocess.Popen[bytes] | None = None
        self.pid = 0

    def start(self, extra_env: dict[str, str] | None = None) -> Daemon:
        env = {**self.env, **(extra_env or {})}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=log, env=env)
        return self

    def wait_ready(self, timeout: float = START_TIMEOUT) -> Daemon:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.notify.all("READY"):
                break
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the daemon exited ({self.process.returncode}):\n{self.log_text()}")
            time.sleep(0.1)
        else:
            raise AssertionError(f"the daemon was not ready in {timeout:.0f} s:\n{self.log_text()}")
        self.pid = self.client().request("ping")["pid"]
        return self

    def client(self, timeout: float = 30.0) -> ControlClient:
        return ControlClient(self.socket, timeout=timeout).connect()

    def request(self, cmd: str, args: dict | None = None) -> Any:
        with self.client() as client:
            return client.request(cmd, args)

    def ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "voiceslm", "--config", str(self.config), "ctl", *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=120,
        )

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_exit(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            if self.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
            self.process.kill()
            self.process.wait(30)
        self.notify.close()


class Events:
    """The daemon's event stream (`events` over the control socket), read in a thread."""

    def __init__(self, daemon: Daemon, types: list[str] | None = None) -> None:
        self.items: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._client = daemon.client()
        self._stream = self._client.stream("events", {"types": types} if types else {}, timeout=None)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for item in self._stream:
                with self._cond:
                    self.items.append(item)
                    self._cond.notify_all()
        except Exception:  # noqa: BLE001 - the stream ends when the client is closed
            return

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float, what: str) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for item in self.items:
                    if predicate(item):
                        return item
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [i.get("event") for i in self.items]
                    raise AssertionError(f"no {what} event in {timeout:.0f} s; saw {seen}")
                self._cond.wait(min(left, 0.5))

    def of(self, name: str) -> list[dict[str, Any]]:
        with self._cond:
            return [item for item in self.items if item["event"] == name]

    def close(self) -> None:
        self._client.close()


def speak_into_mic(pulse: Any, clip: Path) -> None:
    """Play a recording into the virtual microphone, as a person speaking would, and wait for its end."""
    player = pulse.play(clip)
    assert player.wait(60) == 0


# The full daemon -----------------------------------------------------------------------------

FULL_CONFIG = """\
live:
  mode: translate
translate:
  source: auto
  target: es
"""


@contextlib.contextmanager
def running_full_daemon(model_store: Any, home: Path, strace_log: Path | None = None) -> Iterator[Daemon]:
    """A full daemon, ready; killed on the way out if a test left it running."""
    defaults = Config()
    model_store.require(defaults.stt.model)
    model_store.require(defaults.lm.translate_model)
    daemon = Daemon(home, FULL_CONFIG, strace_log=strace_log).start()
    try:
        daemon.wait_ready()
        yield daemon
    finally:
        daemon.kill()


@pytest.fixture(scope="module")
def full_daemon(pulse: Any, model_store: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """Shared by the tests that leave it running."""
    with running_full_daemon(model_store, tmp_path_factory.mktemp("daemon")) as daemon:
        yield daemon


@pytest.fixture
def own_full_daemon(pulse: Any, model_store: Any, tmp_path: Path) -> Iterator[Daemon]:
    """A full daemon for one test alone, which may stop it."""
    with running_full_daemon(model_store, tmp_path / "daemon") as daemon:
        yield daemon


def test_ready_only_when_loaded_with_status_and_watchdog(full_daemon: Daemon) -> None:
    statuses = full_daemon.notify.all("STATUS")
    assert "loading models" in statuses
    ready = full_daemon.notify.wait_for(lambda m: "READY" in m, 1, "READY=1")
    assert ready["READY"] == "1"
    assert ready["STATUS"] == "translating auto->es: listening"
    # Once ready, the devices are open and the models loaded.
    status = full_daemon.request("status")
    assert status["ready"] is True and status["input_open"] is True and status["output_open"] is True
    assert status["daemon"]["phase"] == "running"
    # Watchdog pings keep coming from the event loop (WATCHDOG_USEC=2 s: every second).
    count = len(full_daemon.notify.all("WATCHDOG"))
    time.sleep(2.5)
    assert len(full_daemon.notify.all("WATCHDOG")) >= count + 2
    # Private runtime directory: 0700, socket 0600, and the lock held by this daemon.
    assert oct(full_daemon.socket.parent.stat().st_mode & 0o777) == "0o700"
    assert oct(full_daemon.socket.stat().st_mode & 0o777) == "0o600"
    assert (full_daemon.socket.parent / "daemon.lock").read_text().strip() == str(full_daemon.pid)


def test_mode_change_changes_the_language_of_the_next_reply(full_daemon: Daemon, pulse: Any) -> None:
    changed = full_daemon.ctl("mode", "translate", "--to", "de")
    assert changed.returncode == 0, changed.stderr
    assert "translating auto->de" in changed.stdout
    full_daemon.notify.wait_for(lambda m: m.get("STATUS", "").startswith("translating auto->de"), 5, "new STATUS")
    events = Events(full_daemon, ["TranscriptReady", "ReplyText", "ReplySentence"])
    try:
        speak_into_mic(pulse, CLIP_EN)
        heard = events.wait_for(lambda e: e["event"] == "TranscriptReady" and e["text"], REPLY_TIMEOUT, "transcript")
        assert heard["language"] == "en"
        assert "platform" in heard["text"].lower()
        reply = events.wait_for(
            lambda e: e["event"] == "ReplyText" and e["final"] and e["utterance_id"] == heard["utterance_id"],
            REPLY_TIMEOUT,
            "final reply",
        )
    finally:
        events.close()
    assert reply["language"] == "de"
    assert reply["text"] and reply["text"] != heard["text"]
    status = full_daemon.request("status")
    assert status["target"] == "de" and status["replies"] >= 1


def test_mute_silences_the_microphone_and_transcribe_mode_does_not_reply(full_daemon: Daemon, pulse: Any) -> None:
    assert full_daemon.ctl("mode", "transcribe").returncode == 0
    assert full_daemon.ctl("mute").returncode == 0
    assert full_daemon.request("status")["muted"] is True
    events = Events(full_daemon, ["SpeechStarted", "Utterance", "TranscriptReady", "ReplyText", "UtteranceStats"])
    try:
        speak_into_mic(pulse, CLIP_SHORT)
        time.sleep(1.5)
        assert events.of("SpeechStarted") == [] and events.of("Utterance") == []
        assert full_daemon.ctl("unmute").returncode == 0
        speak_into_mic(pulse, CLIP_SHORT)
        heard = events.wait_for(lambda e: e["event"] == "TranscriptReady" and e["text"], REPLY_TIMEOUT, "transcript")
        assert "forward" in heard["text"].lower()
        events.wait_for(
            lambda e: e["event"] == "UtteranceStats" and e["utterance_id"] == heard["utterance_id"], 30, "stats"
        )
        assert [e for e in events.of("ReplyText") if e["utterance_id"] == heard["utterance_id"]] == []
    finally:
        events.close()


def test_push_to_talk_and_say(full_daemon: Daemon, pulse: Any, tmp_path: Path) -> None:
    assert full_daemon.ctl("mode", "transcribe").returncode == 0
    events = Events(full_daemon, ["Utterance", "TranscriptReady", "PlaybackStarted", "PlaybackStopped"])
    try:
        assert full_daemon.ctl("ptt", "start").returncode == 0
        speak_into_mic(pulse, CLIP_SHORT)
        assert full_daemon.ctl("ptt", "stop").returncode == 0
        utterance = events.wait_for(lambda e: e["event"] == "Utterance" and e["reason"] == "ptt", 30, "ptt utterance")
        heard = events.wait_for(
            lambda e: e["event"] == "TranscriptReady" and e["utterance_id"] == utterance["id"], REPLY_TIMEOUT, "text"
        )
        assert "forward" in heard["text"].lower()
        # What the daemon says comes out of the (virtual) speaker.
        recording = tmp_path / "speaker.raw"
        recorder = pulse.record(recording)
        try:
            said = full_daemon.ctl("--json", "say", "Buenos días a todos.", "--lang", "es")
            assert said.returncode == 0, said.stderr
            said_id = json.loads(said.stdout)["said"]
            events.wait_for(lambda e: e["event"] == "PlaybackStarted" and e["utterance_id"] == said_id, 60, "playback")
            events.wait_for(lambda e: e["event"] == "PlaybackStopped" and e["utterance_id"] == said_id, 60, "end")
            time.sleep(0.5)
        finally:
            recorder.terminate()
            recorder.wait(10)
    finally:
        events.close()
    samples = np.frombuffer(recording.read_bytes(), dtype=np.int16).astype(np.float32) / 32768
    loud = np.abs(samples) > 0.05
    assert loud.sum() > 16000 * 0.3, "the speaker stayed silent"  # over 0.3 s of speech


def test_bad_control_messages_are_refused_and_the_daemon_keeps_serving(full_daemon: Daemon) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(full_daemon.socket))
        sock.sendall(b'not json\n{"cmd": "mode", "args": {"mode": "dance"}}\n{"id": 9, "cmd": "ping"}\n')
        replies = _read_lines(sock, 3)
    assert replies[0]["ok"] is False and "not valid JSON" in replies[0]["error"]
    assert replies[1]["ok"] is False and "mode must be one of translate, assist, transcribe" in replies[1]["error"]
    assert replies[2]["id"] == 9 and replies[2]["ok"] is True
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(full_daemon.socket))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(b"{" + b'"x": "' + b"a" * 70000 + b'"}\n')
        assert "over 65536 bytes" in _read_lines(sock, 1)[0]["error"]
    refused = full_daemon.ctl("mode", "translate", "--to", "german")
    assert refused.returncode == 2
    assert refused.stderr.strip() == "voiceslm: target must be a two-letter language code such as de, not 'german'."
    # Control characters are never spoken: only NULs and escapes is no text at all.
    with pytest.raises(UserError, match="say needs some text"):
        full_daemon.request("say", {"text": "\x00\x1b[31m\x00", "lang": "en"})
    assert full_daemon.ctl("status").returncode == 0


def _read_lines(sock: socket.socket, count: int) -> list[dict[str, Any]]:
    data = b""
    while data.count(b"\n") < count:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return [json.loads(line) for line in data.splitlines()[:count]]


def test_sighup_with_a_bad_config_keeps_the_old_one(full_daemon: Daemon) -> None:
    before = full_daemon.request("status")
    good = full_daemon.config.read_text()
    full_daemon.config.write_text("translate:\n  target: [es\n")
    mark = len(full_daemon.notify.messages)
    os.kill(full_daemon.pid, signal.SIGHUP)
    failed = full_daemon.notify.wait_for(lambda m: "reload failed" in m.get("STATUS", ""), 30, "reload failure", mark)
    assert "is not valid YAML" in failed["STATUS"]
    assert "READY" in failed  # back to ready, on the old configuration
    status = full_daemon.request("status")
    assert status["ready"] is True and status["mode"] == before["mode"] and status["target"] == before["target"]
    assert "is not valid YAML" in status["daemon"]["reload_error"]
    assert "reload refused, keeping the previous configuration" in full_daemon.log_text()
    refused = full_daemon.ctl("reload")
    assert refused.returncode == 2 and "Reload refused, the previous configuration stays" in refused.stderr
    # A valid change applies in place: the target moves, nothing reloads its models.
    full_daemon.config.write_text(good.replace("target: es", "target: fr"))
    reloaded = full_daemon.ctl("--json", "reload")
    assert reloaded.returncode == 0, reloaded.stderr
    result = json.loads(reloaded.stdout)
    assert result == {"changed": ["translate"], "pipeline_restarted": False}
    status = full_daemon.request("status")
    assert status["target"] == "fr" and status["daemon"]["reload_error"] is None
    assert status["daemon"]["reloads"] >= 1


def test_a_second_daemon_for_the_same_user_refuses_politely(full_daemon: Daemon) -> None:
    second = subprocess.run(
        [sys.executable, "-m", "voiceslm", "--config", str(full_daemon.config), "daemon"],
        capture_output=True,
        text=True,
        env={**full_daemon.env, "NOTIFY_SOCKET": ""},
        timeout=120,
    )
    assert second.returncode == 2
    assert f"Another voiceslm daemon (pid {full_daemon.pid}) is already running" in second.stderr
    assert "Traceback" not in second.stderr
    assert full_daemon.request("ping")["pid"] == full_daemon.pid


def test_sigterm_stops_within_two_seconds_with_streams_closed(own_full_daemon: Daemon) -> None:
    mark = len(own_full_daemon.notify.messages)
    started = time.monotonic()
    os.kill(own_full_daemon.pid, signal.SIGTERM)
    while Path(f"/proc/{own_full_daemon.pid}").exists() and _state(own_full_daemon.pid) != "Z":
        time.sleep(0.01)
        assert time.monotonic() - started < 10, "the daemon ignored SIGTERM"
    elapsed = time.monotonic() - started
    assert own_full_daemon.wait_exit(30) == 0
    stopping = own_full_daemon.notify.wait_for(lambda m: "STOPPING" in m, 1, "STOPPING=1", mark)
    assert stopping["STATUS"] == "stopping"
    assert elapsed < 2.0, f"stopping took {elapsed:.2f} s"
    assert not own_full_daemon.socket.exists()
    log = own_full_daemon.log_text()
    assert "stopping (SIGTERM)" in log and "voiceslm.service.daemon: stopped" in log
    assert "Traceback" not in log


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return "gone"


def test_the_daemon_never_created_a_network_socket(pulse: Any, model_store: Any, tmp_path: Path) -> None:
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed; scripts/setup.sh installs it")
    log_path = tmp_path / "strace.log"
    with running_full_daemon(model_store, tmp_path / "daemon", strace_log=log_path) as daemon:
        # Start-up, one reply (speech in, translation, speech out) and a clean stop, all traced.
        events = Events(daemon, ["TranscriptReady", "ReplyText"])
        try:
            speak_into_mic(pulse, CLIP_EN)
            heard = events.wait_for(
                lambda e: e["event"] == "TranscriptReady" and e["text"], REPLY_TIMEOUT, "transcript"
            )
            events.wait_for(
                lambda e: e["event"] == "ReplyText" and e["final"] and e["utterance_id"] == heard["utterance_id"],
                REPLY_TIMEOUT,
                "final reply",
            )
        finally:
            events.close()
        os.kill(daemon.pid, signal.SIGTERM)
        assert daemon.wait_exit(30) == 0
        daemon_log = daemon.log_text()
    trace = log_path.read_text()
    # The trace did see the daemon's local sockets, such as its connection to the audio server.
    audio_server = os.environ["PULSE_SERVER"].removeprefix("unix:")
    assert "AF_UNIX" in trace and audio_server in trace
    network = [line for line in trace.splitlines() if re.search(r"\b(AF|PF)_INET6?\b", line)]
    assert network == [], "network socket calls:\n" + "\n".join(network[:20])
    assert "blocked" not in daemon_log


# Small daemons: start-up failures, kill -9, logging, the transcript log ------------------------

TINY_CONFIG = """\
live:
  mode: transcribe
translate:
  source: en
stt:
  model: whisper-tiny.en
  english_model: whisper-tiny.en
"""


@pytest.fixture
def tiny(pulse: Any, model_store: Any, tmp_path: Path) -> Iterator[Callable[..., Daemon]]:
    model_store.require("whisper-tiny.en")
    started: list[Daemon] = []

    def make(config: str = TINY_CONFIG, home: Path | None = None, args: tuple = ()) -> Daemon:
        daemon = Daemon(home or tmp_path / f"d{len(started)}", config, args=args)
        started.append(daemon)
        return daemon

    yield make
    for daemon in started:
        daemon.kill()


def test_kill_9_leaves_a_stale_socket_that_the_next_start_replaces(tiny: Callable[..., Daemon], tmp_path: Path) -> None:
    first = tiny(home=tmp_path / "home")
    log = first.log
    log.touch()
    # stderr is a file here: tell the daemon it is the journal, as systemd's JOURNAL_STREAM would.
    journal = f"{log.stat().st_dev}:{log.stat().st_ino}"
    first.start({"JOURNAL_STREAM": journal}).wait_ready()
    os.kill(first.pid, signal.SIGKILL)
    first.wait_exit(30)
    assert first.socket.exists()  # what a crash leaves behind
    lines = first.log_text().splitlines()
    assert any(line.startswith("<6>voiceslm.service.daemon: ready in ") for line in lines), lines
    ours = [line for line in lines if "voiceslm." in line]
    assert ours and all(re.match(r"<[2-7]>voiceslm\.", line) for line in ours), ours
    first.notify.close()

    second = tiny(home=tmp_path / "home", args=("--log-format", "json"))
    second.log.write_text("")
    second.start().wait_ready()
    assert second.pid != first.pid
    assert second.request("status")["mode"] == "transcribe"
    records = [json.loads(line) for line in second.log_text().splitlines() if line.startswith("{")]
    assert any(
        r["logger"] == "voiceslm.service.runtime_paths" and "removing stale control socket" in r["message"]
        for r in records
    )
    assert any(r["message"].startswith("ready in ") for r in records)
    stopped = second.ctl("stop")
    assert stopped.returncode == 0 and "stopping" in stopped.stdout
    assert second.wait_exit(30) == 0
    assert not second.socket.exists()


def test_a_bad_config_fails_fast_with_one_sentence(tiny: Callable[..., Daemon]) -> None:
    daemon = tiny(TINY_CONFIG + "daemon:\n  socket: relative.sock\n").start()
    assert daemon.wait_exit(60) == 2
    output = daemon.log_text().strip()
    assert output.startswith("voiceslm: ") and len(output.splitlines()) == 1
    assert "daemon.socket must be an absolute path or empty" in output
    assert "Traceback" not in output
    assert daemon.notify.all("STATUS")[-1].startswith("failed: ")
    assert "daemon.socket" in daemon.notify.all("STATUS")[-1]


def test_a_corrupt_model_fails_fast_naming_the_fix(
    tiny: Callable[..., Daemon], model_store: Any, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    shutil.copytree(model_store.require("whisper-tiny.en"), store / "whisper-tiny.en")
    weights = store / "whisper-tiny.en" / "model.bin"
    with weights.open("r+b") as handle:
        handle.seek(weights.stat().st_size // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0xFF]))
    daemon = tiny()
    daemon.env["VOICESLM_MODELS"] = str(store)
    daemon.start()
    assert daemon.wait_exit(120) == 3
    output = daemon.log_text()
    message = [line for line in output.splitlines() if line.startswith("voiceslm: ")]
    assert message == [
        "voiceslm: Model whisper-tiny.en is damaged (model.bin does not match its sha256); "
        "run: voiceslm models install --force whisper-tiny.en"
    ]
    assert "Traceback" not in output
    assert "damaged" in daemon.notify.all("STATUS")[-1]
    assert not daemon.notify.all("READY")


def test_transcript_log_keeps_text_only_and_no_audio_is_written(tiny: Callable[..., Daemon], pulse: Any) -> None:
    config = TINY_CONFIG + "privacy:\n  transcript_log: true\n  retention_days: 1\n"
    daemon = tiny(config).start().wait_ready()
    events = Events(daemon, ["TranscriptReady"])
    try:
        speak_into_mic(pulse, CLIP_SHORT)
        heard = events.wait_for(lambda e: e["text"], REPLY_TIMEOUT, "transcript")
    finally:
        events.close()
    transcripts = daemon.home / "state" / "voiceslm" / "transcripts.jsonl"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not transcripts.exists():
        time.sleep(0.1)
    while time.monotonic() < deadline and heard["text"] not in transcripts.read_text():
        time.sleep(0.1)
    entries = [json.loads(line) for line in transcripts.read_text().splitlines()]
    assert {"utterance": heard["utterance_id"], "heard": heard["text"], "language": "en"}.items() <= entries[-1].items()
    assert oct(transcripts.stat().st_mode & 0o777) == "0o600"
    daemon.request("stop")
    assert daemon.wait_exit(30) == 0
    # Nothing else was written: no audio anywhere under the daemon's directories.
    written = [p for p in daemon.home.rglob("*") if p.is_file()]
    assert not [p for p in written if p.suffix in (".wav", ".raw", ".pcm", ".npy")]
    assert all(p.stat().st_size < 200_000 for p in written), written


def test_ptt_daemon_drives_push_to_talk_from_a_terminal(tiny: Callable[..., Daemon], pulse: Any) -> None:
    daemon = tiny().start().wait_ready()
    events = Events(daemon, ["Utterance", "TranscriptReady"])
    ptt = subprocess.Popen(
        [sys.executable, "-m", "voiceslm", "ptt", "--daemon"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=daemon.env,
    )
    try:
        assert ptt.stdin is not None
        ptt.stdin.write("start\n")
        ptt.stdin.flush()
        deadline = time.monotonic() + 30
        while not daemon.request("status")["ptt_active"]:
            assert time.monotonic() < deadline, "push-to-talk never started"
            time.sleep(0.05)
        speak_into_mic(pulse, CLIP_SHORT)
        ptt.stdin.write("stop\n")
        ptt.stdin.flush()
        utterance = events.wait_for(lambda e: e["event"] == "Utterance" and e["reason"] == "ptt", 30, "utterance")
        heard = events.wait_for(
            lambda e: e["event"] == "TranscriptReady" and e["utterance_id"] == utterance["id"], REPLY_TIMEOUT, "text"
        )
        time.sleep(0.5)
        ptt.stdin.write("quit\n")
        ptt.stdin.flush()
        _, stderr = ptt.communicate(timeout=30)
    finally:
        events.close()
        if ptt.poll() is None:
            ptt.kill()
    assert ptt.returncode == 0, stderr
    assert "recording... SPACE to send" in stderr and "sent" in stderr
    assert f"heard (en): {heard['text']}" in stderr
    assert daemon.request("status")["ptt_active"] is False


def test_a_broken_utterance_does_not_take_the_daemon_down(
    pulse: Any, model_store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A reply that fails inside the pipeline (here: a language no voice speaks, sent past the control
    socket's own check) is logged; the daemon stays ready (restarting the pipeline if it had to) and the
    next request is served."""
    import asyncio

    from voiceslm.config import load_config
    from voiceslm.service.daemon import Daemon as DaemonService
    from voiceslm.service.sdnotify import Notifier

    model_store.require("whisper-tiny.en")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    config = tmp_path / "config.yaml"
    config.write_text(TINY_CONFIG)

    def read() -> Any:
        return load_config(config, use_system_layers=False)

    service = DaemonService(read(), read, notifier=Notifier(environ={}), verify_models=False)

    async def ready() -> Any:
        deadline = time.monotonic() + START_TIMEOUT
        while not (service.controller is not None and (await service.handlers.status({}))["daemon"]["ready"]):
            assert time.monotonic() < deadline, "the daemon never became ready"
            await asyncio.sleep(0.1)
        return service.controller

    async def scenario() -> tuple[int, Any]:
        serving = asyncio.ensure_future(service.serve())
        try:
            broken = await ready()
            await broken.say("This cannot be spoken.", "zz")
            await asyncio.sleep(3)
            controller = await ready()
            events = controller.subscribe()
            said = await controller.say("Hola.", "es")
            while True:
                event = await events.next(timeout=60)
                assert event is not None, "the next request was never played"
                if type(event).__name__ == "PlaybackStarted" and event.utterance_id == said:
                    break
            events.close()
            status = await service.handlers.status({})
            return status["daemon"]["ready"], controller is broken
        finally:
            service.request_stop("test over")
            assert await asyncio.wait_for(serving, 30) == 0

    caplog.set_level(logging.INFO, logger="voiceslm")
    still_ready, same_pipeline = asyncio.run(scenario())
    assert still_ready
    messages = caplog.text
    assert "zz" in messages  # the failure was logged, with its reason
    if not same_pipeline:
        assert "restarting it" in messages


def test_reload_that_changes_the_pipeline_rebuilds_it_keeping_mute(tiny: Callable[..., Daemon]) -> None:
    daemon = tiny().start().wait_ready()
    assert daemon.ctl("mute").returncode == 0
    daemon.config.write_text(TINY_CONFIG + "vad:\n  min_silence_ms: 700\n")
    mark = len(daemon.notify.messages)
    reloaded = daemon.ctl("--json", "reload")
    assert reloaded.returncode == 0, reloaded.stderr + daemon.log_text()
    assert json.loads(reloaded.stdout) == {"changed": ["vad"], "pipeline_restarted": True}
    after = daemon.notify.messages[mark:]
    assert any("RELOADING" in fields for _, fields in after)
    assert any(fields.get("WATCHDOG_USEC") == "300000000" for _, fields in after)  # room to load models
    assert any(fields.get("WATCHDOG_USEC") == "2000000" for _, fields in after)  # and back
    assert "READY" in after[-1][1] or daemon.notify.wait_for(lambda m: "READY" in m, 10, "READY", mark)
    status = daemon.request("status")
    assert status["ready"] is True and status["muted"] is True
    assert status["daemon"]["reloads"] == 1
    assert "settings of the live pipeline changed: restarting it" in daemon.log_text()


def test_a_socket_placed_elsewhere_leaves_its_folder_alone(tiny: Callable[..., Daemon], tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    custom = shared / "voiceslm.sock"
    daemon = tiny(args=("--socket", str(custom)))
    daemon.socket = custom
    daemon.start().wait_ready()
    assert oct(custom.stat().st_mode & 0o777) == "0o600"
    assert oct(shared.stat().st_mode & 0o777) == "0o755"
    status = daemon.ctl("--socket", str(custom), "--json", "status")
    assert status.returncode == 0 and json.loads(status.stdout)["daemon"]["socket"] == str(custom)
    daemon.request("stop")
    assert daemon.wait_exit(30) == 0
    assert not custom.exists() and shared.is_dir()
