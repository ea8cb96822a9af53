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

The M minutes start after a warm-up cycle (a clip, a switch to assist with a
clip, back, and a reload) in which every engine the soak uses has loaded once:
growth measured from that warmed baseline is what lasts, growth from the raw
start (the daemon just ready) includes those one-time loads.
"""

from __future__ import annotations

import collections
import contextlib
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from voiceslm.eval.soak import Sample, SoakDaemon, proc_figures, soak_daemon

PROGRESS_EVERY_S = 30.0
BARGE_IN_EVERY = 5
"""Every fifth clip is played over the reply to the one before."""
REPLY_WAIT_S = 60.0
LIVE_AUDIO_BLOCKS = 3
"""Audio blocks that may wait for the listener in a healthy live pipeline (96 ms)."""
COUNTERS = ("utterances", "replies", "barge_ins", "dropped_audio_blocks", "dropped_utterances")
"""Status counters, per pipeline: the soak sums them over the pipelines a reload replaced."""


@dataclass
class SpeechSoakReport:
    minutes: float
    clips: int = 0
    samples: list[Sample] = field(default_factory=list)
    queued_peak: dict[str, int] = field(default_factory=dict)
    events: collections.Counter[str] = field(default_factory=collections.Counter)
    cancels: collections.Counter[str] = field(default_factory=collections.Counter)
    actions: collections.Counter[str] = field(default_factory=collections.Counter)
    status_end: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    event_streams: int = 0
    stream_ends: list[str] = field(default_factory=list)
    """When and why each events stream ended (a pipeline rebuilt by a reload ends it)."""
    unheard: list[str] = field(default_factory=list)
    """Clips after which no utterance was counted, with when and how they were played."""

    def figures(self) -> dict[str, Any]:
        first, last = self.samples[0], self.samples[-1]
        warmed = next((s for s in self.samples if s.step == "warmed"), first)
        cycles = [s for s in self.samples if s.step == "cycle"]
        half = cycles[len(cycles) // 2] if cycles else warmed
        end = self.status_end

        def pct(a: Sample, b: Sample) -> float:
            return round(100 * (b.rss_mb - a.rss_mb) / a.rss_mb, 1)
        return {
            "minutes": self.minutes,
            "clips_played": self.clips,
            "actions": dict(self.actions),
            "utterances": end.get("utterances"),
            "replies": end.get("replies"),
            "barge_ins": end.get("barge_ins"),
            "dropped_audio_blocks": end.get("dropped_audio_blocks"),
            "dropped_utterances": end.get("dropped_utterances"),
            "queued_end": end.get("queued"),
            "queued_peak": self.queued_peak,
            "events": dict(self.events),
            "event_streams": self.event_streams,
            "stream_ends": self.stream_ends,
            "unheard_clips": self.unheard,
            "cancels": dict(self.cancels),
            "cycles": len(cycles),
            "rss_mb": {
                "raw_start": round(first.rss_mb),
                "warmed": round(warmed.rss_mb),
                "half": round(half.rss_mb),
                "end": round(last.rss_mb),
                "peak": round(max(s.rss_mb for s in self.samples)),
                "growth_since_raw_start_pct": pct(first, last),
                "growth_since_warmed_pct": pct(warmed, last),
                "growth_second_half_pct": pct(half, last),
            },
            "queued_per_cycle": {
                "first": cycles[0].queued if cycles else None,
                "last": cycles[-1].queued if cycles else None,
                "peak": max((s.queued or 0 for s in cycles), default=None),
            },
            "threads": {
                "raw_start": first.threads,
                "warmed": warmed.threads,
                "end": last.threads,
                "peak": max(s.threads for s in self.samples),
            },
            "fds": {"start": first.fds, "end": last.fds, "peak": max(s.fds for s in self.samples)},
            "errors": self.errors,
            "log_errors": self.log_errors,
        }

    def as_dict(self) -> dict[str, Any]:
        return {**self.figures(), "samples": [asdict(s) for s in self.samples]}


class EventCounter:
    """The daemon's `events` stream, read in a thread and counted by name (and Cancel by reason).

    A rebuilt pipeline ends the stream; it is opened again on the new one.
    """

    def __init__(self, daemon: SoakDaemon, report: SpeechSoakReport) -> None:
        self._daemon = daemon
        self._report = report
        self._closed = threading.Event()
        self._client: Any = None
        self.streams = 0
        self.started = time.monotonic()
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
                    self._report.events[item.get("event", "?")] += 1
                    if item.get("event") == "Cancel":
                        self._report.cancels[str(item.get("reason"))] += 1
                how = "ended by the daemon"
            except Exception as exc:  # noqa: BLE001 - recorded, opened again
                how = f"{type(exc).__name__}: {exc}"
            if self.streams and not self._closed.is_set():
                when = time.monotonic() - self.started
                self._report.stream_ends.append(f"{when:.0f} s: {how}" + ("" if opened else " (opening)"))
            with contextlib.suppress(Exception):
                self._client.close()
            self._closed.wait(0.5)

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
        events = EventCounter(daemon, report)
        run = _Run(daemon, report, pid, time.monotonic(), progress)
        run.sample("raw start", show=True)
        try:
            # The warm-up cycle: every engine the soak will use loads once, before the clock starts.
            run.heard(clips[0], run.turn, "warm-up")
            run.switch_and_reload(clips[1 % len(clips)], target)
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


def format_speech_report(report: SpeechSoakReport) -> str:
    f = report.figures()
    rss, threads, fds, queued = f["rss_mb"], f["threads"], f["fds"], f["queued_per_cycle"]
    actions = f["actions"]
    return "\n".join(
        [
            f"Speech soak: {f['minutes']:g} min after a warm-up cycle, {f['clips_played']} clips played "
            f"({actions.get('barge-in', 0)} over a reply), {actions.get('mode', 0)} mode switches, "
            f"{actions.get('reload', 0)} reloads, {sum(actions.values())} control requests",
            f"Handled: {f['utterances']} utterances, {f['replies']} replies, {f['barge_ins']} barge-ins",
            f"Clips with no utterance: {len(f['unheard_clips'])}" + "".join(f"\n  {c}" for c in f["unheard_clips"]),
            f"Dropped: {f['dropped_audio_blocks']} audio blocks, {f['dropped_utterances']} utterances",
            f"Queues: at the end {f['queued_end']}, peak {f['queued_peak']}; items waiting after each of "
            f"{f['cycles']} cycles: first {queued['first']}, last {queued['last']}, peak {queued['peak']}",
            f"Events (over {f['event_streams']} event streams, each opened again when one ended): "
            + ", ".join(f"{name} {count}" for name, count in sorted(f["events"].items()) if name != "UtteranceStats")
            + f"; cancels {f['cancels']}"
            + "".join(f"\n  stream ended {e}" for e in f["stream_ends"][:40]),
            f"RSS: raw start (daemon ready) {rss['raw_start']} MB, warmed (every engine loaded once) "
            f"{rss['warmed']} MB, half-way {rss['half']} MB, end {rss['end']} MB, peak {rss['peak']} MB "
            f"({rss['growth_since_warmed_pct']:+.1f}% since warmed, {rss['growth_second_half_pct']:+.1f}% in the "
            f"second half, {rss['growth_since_raw_start_pct']:+.1f}% since the raw start)",
            f"Threads: raw start {threads['raw_start']}, warmed {threads['warmed']}, end {threads['end']}, "
            f"peak {threads['peak']}",
            f"File descriptors: start {fds['start']}, end {fds['end']}, peak {fds['peak']}",
            f"Errors: {len(f['errors'])}" + "".join(f"\n  {e}" for e in f["errors"][:20]),
            f"Errors in the daemon's log: {len(f['log_errors'])}" + "".join(f"\n  {e}" for e in f["log_errors"][:10]),
        ]
    )
