"""`voiceslm satellite` as a satellite of Home Assistant's stock Wyoming servers.

The real wyoming-faster-whisper and wyoming-piper (the `peers` extra) run on
free ports of 127.0.0.1 with voiceslm's own model files; the satellite runs as
a subprocess on the PulseAudio virtual devices. A Spanish sentence is spoken
into the virtual microphone, the satellite sends it to wyoming-faster-whisper,
translates the transcript here, has wyoming-piper speak the English, and
plays it: the virtual speaker's monitor is recorded and transcribed back.

With `--listen` it is the satellite Home Assistant connects to; Home
Assistant cannot run here, so its side is played with the real `wyoming`
client library, a real whisper and a real Piper voice.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("wyoming")

STORE_MODELS = ("whisper-base", "piper-en_US-joe-medium")
SPANISH = "El tren sale a las tres de la tarde."


@pytest.fixture(scope="module")
def peers(model_store):
    pytest.importorskip("wyoming_faster_whisper")
    pytest.importorskip("wyoming_piper")
    from voiceslm.wyoming.peers import PeerServers, PeerSettings

    whisper, piper = (model_store.require(name) for name in STORE_MODELS)
    servers = PeerServers(PeerSettings(whisper, None, 1, "int8", 2, piper)).start()
    yield servers
    servers.stop()


class Satellite:
    """`voiceslm satellite --json` in a subprocess; its events are read as they come."""

    def __init__(self, home: Path, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VOICESLM_") or k == "VOICESLM_PULSE_DIR"}
        env.update(XDG_CONFIG_HOME=str(home / "xdg"), VOICESLM_SYSTEM_CONFIG=str(home / "none.yaml"))
        self.stderr = home / "satellite.log"
        command = [sys.executable, "-m", "voiceslm", "--set", "log.level=info",
                   "--set", "audio.input_device=vmic", "--set", "audio.output_device=vspeaker",
                   "satellite", "--json", *args]  # fmt: skip
        with self.stderr.open("wb") as log:
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, env=env, text=True)
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.events.put(json.loads(line))

    def wait_for(self, name: str, timeout: float, **fields: Any) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.seen.append(event)
            if event["event"] == name and all(event.get(k) == v for k, v in fields.items()):
                return event
        raise AssertionError(f"no {name} within {timeout:.0f} s; saw {self.seen}\n{self.log()}")

    def log(self) -> str:
        return self.stderr.read_text(errors="replace")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@pytest.mark.audio
def test_spanish_into_the_microphone_comes_back_english_through_stock_servers(
    pulse, peers, whisper_base, tmp_path: Path
) -> None:
    from live_support import read_raw

    clip = tmp_path / "spanish.wav"
    subprocess.run([sys.executable, "-m", "voiceslm", "say", SPANISH, "--lang", "es", "-o", str(clip)],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    satellite = Satellite(
        tmp_path,
        "--asr-uri", f"tcp://127.0.0.1:{peers.asr_port}", "--tts-uri", f"tcp://127.0.0.1:{peers.tts_port}",
        "--from", "es", "--to", "en",
    )  # fmt: skip
    recording = tmp_path / "speaker.raw"
    try:
        satellite.wait_for("DeviceReady", 240, kind="input")
        time.sleep(1.0)  # the first PortAudio callback comes 1-2 s after the stream opens
        recorder = pulse.record(recording)
        try:
            assert pulse.play(clip).wait(30) == 0
            heard = satellite.wait_for("TranscriptReady", 90)
            satellite.wait_for("PlaybackStopped", 90, utterance_id=heard["utterance_id"])
            time.sleep(0.8)  # what the sound server still buffers reaches the monitor
        finally:
            recorder.send_signal(signal.SIGINT)
            recorder.wait(10)
    finally:
        code = satellite.stop()
    assert code == 0, satellite.log()
    assert "tren" in heard["text"].lower() and heard["language"] == "es", heard
    reply = "".join(e["text"] for e in satellite.seen if e["event"] == "ReplyText")
    assert "train" in reply.lower(), reply
    spoken = whisper_base.transcribe(read_raw(recording), "en").text.lower()
    # "The train leaves at 3 p.m.": whisper-base hears "at 3 p.m." in Piper's voice several ways.
    assert "train" in spoken and "leave" in spoken, spoken
    assert "blocked" not in satellite.log(), satellite.log()


def test_a_server_that_is_not_there_is_one_sentence(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    result = subprocess.run(
        [sys.executable, "-m", "voiceslm", "satellite", "--uri", f"tcp://127.0.0.1:{port}",
         "--input", str(Path(__file__).parent / "data" / "en_pocketsphinx_goforward.wav"),
         "--output", str(tmp_path / "out.wav")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert f"Cannot reach the Wyoming server at tcp://127.0.0.1:{port}" in result.stderr
    assert "set satellite.uri to where it listens" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.wav").exists()


def test_a_satellite_needs_a_server() -> None:
    result = subprocess.run([sys.executable, "-m", "voiceslm", "satellite"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "voiceslm: A satellite needs a Wyoming server: give --uri tcp://HOST:PORT (or --asr-uri and --tts-uri), "
        "or --listen tcp://0.0.0.0:10700 for Home Assistant to connect to, or set satellite.uri."
    )


def test_the_guard_lets_a_satellite_reach_its_server_and_nothing_else() -> None:
    script = """
import socket
from voiceslm.service import netguard
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen()
other = socket.socket()
other.bind(("127.0.0.1", 0))
other.listen()
port, other_port = server.getsockname()[1], other.getsockname()[1]
netguard.allow_connecting("127.0.0.1", port)
netguard.install()
def attempt(label, action):
    try:
        action()
        print("allowed", label)
    except PermissionError:
        print("refused", label)
attempt("server", lambda: socket.create_connection(("127.0.0.1", port), timeout=5).close())
attempt("other port", lambda: socket.create_connection(("127.0.0.1", other_port), timeout=5))
attempt("other host", lambda: socket.create_connection(("192.0.2.1", port), timeout=5))
attempt("name lookup", lambda: socket.getaddrinfo("example.com", 80))
attempt("bind", lambda: socket.socket().bind(("127.0.0.1", 0)))
attempt("udp send", lambda: socket.socket(type=socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", port)))
print("blocked", netguard.blocked_attempts)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.splitlines() == [
        "allowed server",
        "refused other port",
        "refused other host",
        "refused name lookup",
        "refused bind",
        "refused udp send",
        "blocked 5",
    ], result.stdout + result.stderr


def test_the_guard_resolves_a_server_name_once_and_allows_only_its_addresses() -> None:
    script = """
import socket
from voiceslm.service import netguard
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen()
port = server.getsockname()[1]
netguard.allow_connecting("localhost", port)
netguard.install()
socket.create_connection(("localhost", port), timeout=5).close()
print("connected by name")
try:
    socket.create_connection(("localhost", port + 1 if port < 65535 else port - 1), timeout=5)
except PermissionError:
    print("refused another port")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.splitlines() == ["connected by name", "refused another port"], result.stdout + result.stderr


def test_satellite_unit_passes_systemd_analyze_verify_and_stays_on_the_local_network(tmp_path: Path) -> None:
    import re
    import shutil

    from test_daemon_systemd import REPO, analyze, unit_settings, voiceslm_program

    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is missing; scripts/setup.sh installs the systemd package")
    unit_path = REPO / "systemd" / "voiceslm-satellite.service"
    target = tmp_path / "system" / unit_path.name
    target.parent.mkdir()
    target.write_text(re.sub(r"(?m)^ExecStart=\S+", f"ExecStart={voiceslm_program()}", unit_path.read_text()))
    result = analyze(tmp_path, "verify", str(target))
    if "Failed to initialize manager" in result.stderr:
        pytest.skip(f"systemd-analyze cannot verify units here: {result.stderr.strip()}")
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
    unit = unit_settings(unit_path)
    assert unit["ExecStart"] == ["/opt/voiceslm/venv/bin/voiceslm satellite"]
    assert unit["IPAddressDeny"] == ["any"] and "0.0.0.0/0" not in " ".join(unit["IPAddressAllow"])
    assert unit["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6"]
    assert "PrivateNetwork" not in unit, "a satellite must reach its server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def next_event(client: Any, timeout: float = 60.0) -> Any:  # noqa: ASYNC109 - one event's deadline
    import asyncio

    event = await asyncio.wait_for(client.read_event(), timeout)
    assert event is not None, "the satellite closed the connection"
    return event


async def home_assistant_turn(port: int, speak_into_mic, listen_stt, reply_voice, reply: str) -> dict[str, Any]:
    """What Home Assistant's Wyoming integration does with a satellite, with the real `wyoming` client.

    Home Assistant itself cannot run here, so its side is played by this function: describe,
    run-satellite, a ping; then, for the utterance the satellite streams, a real transcription
    (whisper) sent back as `transcript`, and a real voice (Piper) sent back as the reply's audio.
    """
    from wyoming.asr import Transcript
    from wyoming.audio import AudioChunk, AudioStart, AudioStop
    from wyoming.client import AsyncTcpClient
    from wyoming.info import Describe, Info
    from wyoming.ping import Ping
    from wyoming.satellite import RunSatellite
    from wyoming.tts import Synthesize

    from voiceslm.audio.io import to_int16

    seen: dict[str, Any] = {}
    async with AsyncTcpClient("127.0.0.1", port, connect_timeout=10) as broken:
        assert broken._writer is not None
        broken._writer.write(b"this is not an event\n")
        seen["malformed"] = (await next_event(broken)).type
        seen["closed"] = await broken.read_event()
    async with AsyncTcpClient("127.0.0.1", port, connect_timeout=10) as client:
        await client.write_event(Describe().event())
        info = Info.from_event(await next_event(client))
        seen["satellite"] = info.satellite
        await client.write_event(RunSatellite().event())
        await client.write_event(Ping(text="hello").event())
        seen["pong"] = (await next_event(client)).data
        async with AsyncTcpClient("127.0.0.1", port, connect_timeout=10) as second:
            seen["second"] = (await next_event(second)).data.get("code")
        speaking = speak_into_mic()
        run = await next_event(client)
        seen["run"] = run
        audio = []
        while (event := await next_event(client)).type != "audio-stop":
            if AudioChunk.is_type(event.type):
                audio.append(AudioChunk.from_event(event).audio)
        pcm = np.frombuffer(b"".join(audio), dtype="<i2").astype(np.float32) / 32768
        heard = listen_stt.transcribe(pcm, "en").text
        seen["heard"] = heard
        await client.write_event(Transcript(text=heard).event())
        await client.write_event(Synthesize(text=reply).event())
        samples = np.concatenate([c.samples for c in reply_voice.synthesize(reply)])
        rate = reply_voice.sample_rate
        body = to_int16(samples).tobytes()
        await client.write_event(AudioStart(rate, 2, 1).event())
        for offset in range(0, len(body), 2048):
            await client.write_event(AudioChunk(rate, 2, 1, body[offset : offset + 2048]).event())
        await client.write_event(AudioStop().event())
        seen["played"] = (await next_event(client, 90)).type
        assert speaking.wait(30) == 0
    return seen


@pytest.mark.audio
def test_home_assistant_drives_the_satellite_as_it_drives_wyoming_satellite(
    pulse, whisper_tiny_en, piper_en, tmp_path: Path
) -> None:
    import asyncio

    from live_support import read_raw

    port = free_port()
    satellite = Satellite(tmp_path, "--listen", f"tcp://127.0.0.1:{port}")
    clip = Path(__file__).parent / "data" / "en_pocketsphinx_goforward.wav"
    recording = tmp_path / "speaker.raw"
    reply = "Moving forward ten meters now."
    try:
        satellite.wait_for("DeviceReady", 240, kind="input")
        time.sleep(1.0)  # the first PortAudio callback comes 1-2 s after the stream opens
        recorder = pulse.record(recording)
        try:
            seen = asyncio.run(home_assistant_turn(port, lambda: pulse.play(clip), whisper_tiny_en, piper_en, reply))
            time.sleep(0.5)
        finally:
            recorder.send_signal(signal.SIGINT)
            recorder.wait(10)
        transcript = satellite.wait_for("TranscriptReady", 30)
    finally:
        code = satellite.stop()
    assert code == 0, satellite.log()
    assert seen["satellite"] is not None and seen["satellite"].has_vad, seen
    assert seen["malformed"] == "error" and seen["closed"] is None, seen
    assert seen["pong"].get("text") == "hello"
    assert seen["second"] == "busy", "one Home Assistant at a time"
    assert seen["run"].type == "run-pipeline"
    assert seen["run"].data["start_stage"] == "asr" and seen["run"].data["end_stage"] == "tts"
    assert "forward" in seen["heard"].lower(), seen
    assert seen["played"] == "played"
    assert transcript["text"] == " ".join(seen["heard"].split())
    spoken = whisper_tiny_en.transcribe(read_raw(recording), "en").text.lower()
    # whisper tiny hears "forward" as "4" at times
    assert "moving" in spoken and ("forward" in spoken or "meters" in spoken), spoken
    assert "blocked" not in satellite.log(), satellite.log()
