"""`voiceslm bench --soak --minutes M`: real speech through a real daemon for M minutes, and what it cost.

A daemon is started on the PulseAudio virtual devices (translate mode, the
microphone live while it speaks: `echo.mode: none`, as the virtual speaker does
not reach the virtual microphone). Recorded speech is played into the virtual
microphone (`paplay -d vmic_in`) with silence between clips; each clip is
translated and spoken back. Every few clips one is played over the reply (a
barge-in); every `every_s` seconds the mode switches to assist for one clip and
back, and the configuration is reloaded with a pipeline setting changed.
Between clips `status` and `ping` go to the control socket, and an `events`
stream is read throughout. Sampled after every clip: the daemon's resident
memory, threads, file descriptors and the depth of its queues.

The M minutes start after a warm-up cycle (a clip, a clip over its reply, a
switch to assist with a clip, back, a reload and a clip on the rebuilt
pipeline) in which every engine the soak uses has loaded once and served each
kind of turn: growth measured from that warmed baseline is what lasts, growth
from the raw start (the daemon just ready) includes those one-time loads. The
figures are in `soak_figures`.
"""

from __future__ import annotations

import collections
import contextlib
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from voiceslm.eval.soak import Sample, SoakDaemon, proc_figures, soak_daemon
from voiceslm.eval.soak_figures import LATENCIES, SpeechSoakReport

PROGRESS_EVERY_S = 30.0
BARGE_IN_EVERY = 5
"""Every fifth clip is played over the reply to the one before."""
REPLY_WAIT_S = 60.0
LIVE_AUDIO_BLOCKS = 3
"""Audio blocks that may wait for the listener in a healthy live pipeline (96 ms)."""
COUNTERS = ("utterances", "replies", "barge_ins", "dropped_audio_blocks", "dropped_utterances")
"""Status counters, per pipeline: the soak sums them over the pipelines a reload replaced."""


class EventCounter:
    """The daemon's `events` stream, read in a thread and counted by name (and Cancel by reason).

    A rebuilt pipeline ends the stream; it is opened again on the new one.
    """

    def __init__(self, daemon: SoakDaemon, report: SpeechSoakReport, started: float) -> None:
        self._daemon = daemon
        self._report = report
        self._closed = threading.Event()
        self._client: Any = None
        self.streams = 0
        self.started = started
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        from voiceslm.service.client import ControlClient

        while not self._closed.is_set():
            opened = False
            try:  # not ready yet, or the stream ended with its pipeline
                # While a rebuilt pipeline loads, `events` is refused: wait for it rather than count refusals.
                if not self._daemon.request("status", timeout=10).get("ready"):
                    self._closed.wait(0.5)
                    continue
                self._client = ControlClient(self._daemon.socket, timeout=30).connect()
                for item in self._client.stream("events", {}, timeout=None):
                    if not opened:  # the stream's request is sent at the first read
                        opened = True
                        self.streams += 1
                    self._count(item)
                how = "ended by the daemon"
            except Exception as exc:  # noqa: BLE001 - recorded, opened again
                how = f"{type(exc).__name__}: {exc}"
            if self.streams and not self._closed.is_set():
                when = time.monotonic() - self.started
                self._report.stream_ends.append(f"{when:.0f} s: {how}" + ("" if opened else " (opening)"))
            with contextlib.suppress(Exception):
                self._client.close()
            self._closed.wait(0.5)

    def _count(self, item: dict[str, Any]) -> None:
        name = item.get("event", "?")
        self._report.events[name] += 1
        if name == "Cancel":
            self._report.cancels[str(item.get("reason"))] += 1
        elif name == "UtteranceStats":
            figures = {key: item[key] for key in LATENCIES if isinstance(item.get(key), int | float)}
            self._report.latencies.append((time.monotonic() - self.started, figures))

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(Exception):
            self._client.close()


def speech_clips(manifest: Path, limit_s: float = 12.0) -> list[Path]:
    """The English speech clips of `manifest` up to `limit_s` seconds long."""
    from voiceslm.audio.io import STT_SAMPLE_RATE, load_audio
    from voiceslm.eval.scoring import read_manifest

    clips = [c.path for c in read_manifest(manifest, "en") if c.category.startswith("speech") and c.path.is_file()]
    return [path for path in clips if load_audio(path).size / STT_SAMPLE_RATE <= limit_s]


def playable(clips: list[Path], folder: Path) -> list[Path]:
    """Each clip as a 16 kHz 16-bit WAV in `folder`, as paplay plays it whole.

    paplay played the 24-bit stereo FLAC of the dev set (11 s) in 2 s, garbled,
    and the daemon rightly heard no utterance in it.
    """
    from voiceslm.audio.io import STT_SAMPLE_RATE, load_audio, write_wav

    return [
        write_wav(folder / f"{i:02}_{path.stem}.wav", load_audio(path), STT_SAMPLE_RATE) for i, path in enumerate(clips)
    ]


def run_speech_soak(
    config: dict[str, Any],
    base_args: list[str],
    minutes: float,
    target: str,
    clips: list[Path],
    progress: Callable[[str], None] | None = None,
    every_s: float = 180.0,
) -> SpeechSoakReport:
    report = SpeechSoakReport(minutes)
    config = {
        **config,
        "live": {**config.get("live", {}), "mode": "translate"},
        "translate": {**config.get("translate", {}), "source": "en", "target": target},
        "echo": {**config.get("echo", {}), "mode": "none"},
    }
    with soak_daemon(config, base_args) as daemon:
        clips = playable(clips, daemon.home)
        daemon.wait_ready()
        pid = daemon.request("ping")["pid"]
        run = _Run(daemon, report, pid, time.monotonic(), progress)
        events = EventCounter(daemon, report, run.started)
        run.sample("raw start", show=True)
        try:
            # The warm-up cycle: every engine the soak uses loads, and each kind of turn is served, before the clock.
            run.heard(clips[0], run.turn, "warm-up")
            run.heard(clips[1 % len(clips)], run.barge_in, "warm-up, over a reply")
            run.switch_and_reload(clips[2 % len(clips)], target)
            run.heard(clips[3 % len(clips)], run.turn, "warm-up, after the reload")
            run.sample("warmed", show=True)
            started = time.monotonic()
            deadline, next_progress, next_change = started + 60 * minutes, started, started + every_s
            index = 0
            while time.monotonic() < deadline and daemon.process.poll() is None:
                clip = clips[index % len(clips)]
                index += 1
                if index % BARGE_IN_EVERY == 0:
                    run.heard(clip, run.barge_in, "over a reply")
                else:
                    run.heard(clip, run.turn, "alone")
                run.control_traffic(2.0 + index % 3)  # silence between turns, with status and ping
                if time.monotonic() >= next_change:
                    next_change += every_s
                    run.switch_and_reload(clips[index % len(clips)], target)
                show = time.monotonic() >= next_progress
                if show:
                    next_progress += PROGRESS_EVERY_S
                run.sample("cycle", show=show)
            run.wait_idle()
            run.sample("end", show=True)
            report.status_end = run.status() or {}
        finally:
            events.close()
        if daemon.process.poll() is not None:
            report.errors.append(f"the daemon exited with {daemon.process.returncode}: {daemon.tail()}")
        report.event_streams = events.streams
        report.log_errors = [
            line
            for line in daemon.log.read_text(errors="replace").splitlines()
            if " ERROR " in line or "Traceback" in line
        ]
    return report


class _Run:
    """The steps of one speech soak on a running daemon."""

    def __init__(
        self,
        daemon: SoakDaemon,
        report: SpeechSoakReport,
        pid: int,
        started: float,
        progress: Callable[[str], None] | None,
    ) -> None:
        self.daemon, self.report, self.pid, self.started, self.progress = daemon, report, pid, started, progress
        self.vad_toggle = 0
        self._last: dict[str, int] = {}
        self._base: collections.Counter[str] = collections.Counter()

    def request(self, cmd: str, args: dict[str, Any] | None = None, timeout: float = 60.0) -> Any:
        self.report.actions[cmd] += 1
        try:
            return self.daemon.request(cmd, args, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - counted and reported, the soak goes on
            self.report.errors.append(f"{cmd} at {time.monotonic() - self.started:.0f} s: {type(exc).__name__}: {exc}")
            return None

    def status(self) -> dict[str, Any] | None:
        """The daemon's status, its counters summed over the pipelines a reload replaced."""
        status = self.request("status", timeout=30)
        if not isinstance(status, dict) or "utterances" not in status:
            return None
        for name, depth in (status.get("queued") or {}).items():
            self.report.queued_peak[name] = max(self.report.queued_peak.get(name, 0), int(depth))
        for key in COUNTERS:
            value = int(status.get(key) or 0)
            if value < self._last.get(key, 0):  # a new pipeline counts from 0
                self._base[key] += self._last[key]
            self._last[key] = value
            status[key] = self._base[key] + value
        return status

    def sample(self, step: str, show: bool = False) -> None:
        rss, threads, fds = proc_figures(self.pid)
        elapsed = time.monotonic() - self.started
        status = self.status() or {}
        queued = sum((status.get("queued") or {}).values()) if status else None
        self.report.samples.append(Sample(step, rss, threads, fds, round(elapsed, 1), queued))
        if self.progress is not None and show:
            self.progress(
                f"{elapsed / 60:5.1f} min  RSS {rss:7.0f} MB  threads {threads:3}  fds {fds:4}  "
                f"utterances {status.get('utterances')}  replies {status.get('replies')}  "
                f"barge-ins {status.get('barge_ins')}  queued {status.get('queued')}"
            )

    def heard(self, clip: Path, turn: Callable[[Path], None], how: str) -> None:
        """Play `clip` by `turn` and note it if no utterance was counted meanwhile."""
        before = (self.status() or {}).get("utterances")
        turn(clip)
        after = (self.status() or {}).get("utterances")
        if before is not None and after is not None and after <= before:
            self.report.unheard.append(f"{clip.name} at {time.monotonic() - self.started:.0f} s ({how})")

    def turn(self, clip: Path) -> None:
        self.play(clip).wait(60)
        self.wait_idle()

    def play(self, clip: Path) -> subprocess.Popen[bytes]:
        self.report.clips += 1
        return subprocess.Popen(["paplay", "-d", "vmic_in", str(clip)], stderr=subprocess.DEVNULL)

    def wait_idle(self, timeout: float = REPLY_WAIT_S) -> None:
        """Until the reply to what was played has been spoken and nothing waits in the pipeline."""
        time.sleep(1.0)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status()
            if status and status.get("state") == "listening" and _drained(status.get("queued") or {}):
                return
            time.sleep(0.5)
        self.report.errors.append(f"not idle {timeout:.0f} s after a clip (at {time.monotonic() - self.started:.0f} s)")

    def barge_in(self, clip: Path) -> None:
        """Play `clip`, wait for the reply to start, and play it again over the reply."""
        self.play(clip).wait(60)
        deadline = time.monotonic() + REPLY_WAIT_S
        while time.monotonic() < deadline:
            status = self.status()
            if status and status.get("speaking"):
                self.report.actions["barge-in"] += 1
                self.play(clip).wait(60)
                break
            time.sleep(0.1)
        self.wait_idle()

    def control_traffic(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.request("ping", timeout=10)
            self.status()
            time.sleep(0.5)

    def switch_and_reload(self, clip: Path, target: str) -> None:
        self.request("mode", {"mode": "assist"}, timeout=300)
        self.heard(clip, self.turn, "in assist")
        self.request("mode", {"mode": "translate", "source": "en", "target": target}, timeout=300)
        self.vad_toggle ^= 1
        config = self.daemon.config
        self.daemon.config = {**config, "vad": {**config.get("vad", {}), "min_silence_ms": 650 + 10 * self.vad_toggle}}
        self.daemon.write_config()
        self.request("reload", timeout=300)
        if not (self.status() or {}).get("ready"):
            with contextlib.suppress(Exception):
                self.daemon.wait_ready(120)


def _drained(queued: dict[str, int]) -> bool:
    """Nothing waits between stages but the live audio in flight (a block or two)."""
    return (
        queued.get("audio_blocks", 0) <= LIVE_AUDIO_BLOCKS
        and not queued.get("utterances")
        and not queued.get("requests")
    )
