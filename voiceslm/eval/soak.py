"""`voiceslm bench --soak`: pipeline restarts and mode switches on a real daemon, and what they cost.

A daemon is started in a private runtime directory on the PulseAudio virtual
devices (scripts/pulse.sh start) with the user's configuration. It is then
driven only through its control socket: each restart is a `reload` after one
pipeline setting (`vad.min_silence_ms`) was changed in its configuration file,
so the whole pipeline is stopped and built again (on the engines it already
loaded, none of whose settings changed); each switch is a `mode`
request, alternating translate and assist. Between steps the daemon's resident
memory, threads and open file descriptors are read from /proc, and a `status`
must answer. Its state directory starts with the safety policy's cached weights from
the user's, as the user's own daemon finds them, so it loads them rather than trains.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from voiceslm.errors import UserError

READY_TIMEOUT = 300.0


@dataclass
class Sample:
    step: str
    rss_mb: float
    threads: int
    fds: int
    seconds: float = 0.0
    queued: int | None = None
    """Items waiting between the pipeline's stages (audio blocks, utterances, requests) when sampled."""


@dataclass
class SoakReport:
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    start_s: float = 0.0
    loads: dict[str, dict[str, int]] = field(default_factory=dict)
    """The daemon's engine_loads at "start" and "end": a reload that changes no engine's settings loads none."""

    def figures(self) -> dict[str, Any]:
        first, last = self.samples[0], self.samples[-1]
        restarts = [s for s in self.samples if s.step == "restart"]
        switches = [s for s in self.samples if s.step == "switch"]

        def mean(values: list[float]) -> float:
            return round(sum(values) / len(values), 2) if values else 0.0

        return {
            "start_s": round(self.start_s, 1),
            "restarts": len(restarts),
            "switches": len(switches),
            "rss_mb": {
                "start": round(first.rss_mb),
                "end": round(last.rss_mb),
                "peak": round(max(s.rss_mb for s in self.samples)),
                "growth_pct": round(100 * (last.rss_mb - first.rss_mb) / first.rss_mb, 1),
            },
            "threads": {"start": first.threads, "end": last.threads, "peak": max(s.threads for s in self.samples)},
            "fds": {"start": first.fds, "end": last.fds, "peak": max(s.fds for s in self.samples)},
            "restart_s_mean": mean([s.seconds for s in restarts]),
            "switch_s_mean": mean([s.seconds for s in switches]),
            "engine_loads": self.loads,
            "errors": self.errors,
        }

    def as_dict(self) -> dict[str, Any]:
        return {**self.figures(), "samples": [asdict(s) for s in self.samples]}


def proc_figures(pid: int) -> tuple[float, int, int]:
    """Resident MB, threads and open file descriptors of process `pid`."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.split()
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return int(fields["VmRSS"][0]) / 1024, int(fields["Threads"][0]), fds


class SoakDaemon:
    """A `voiceslm daemon` subprocess with its own runtime directory and configuration file."""

    def __init__(self, home: Path, config: dict[str, Any], base_args: list[str]) -> None:
        self.home = home
        self.config_path = home / "config.yaml"
        self.config = config
        self.write_config()
        self.socket = home / "run" / "voiceslm" / "control.sock"
        (home / "run").mkdir(mode=0o700)
        self.log = home / "daemon.log"
        env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
        env.update(XDG_RUNTIME_DIR=str(home / "run"), XDG_STATE_HOME=str(home / "state"), PYTHONUNBUFFERED="1")
        copy_policy_cache(home / "state" / "voiceslm" / "cache")
        command = [sys.executable, "-m", "voiceslm", *base_args, "--config", str(self.config_path), "daemon"]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log, env=env)

    def write_config(self) -> None:
        self.config_path.write_text(yaml.safe_dump(self.config))

    def request(self, cmd: str, args: dict[str, Any] | None = None, timeout: float = 300.0) -> Any:
        from voiceslm.service.client import ControlClient

        with ControlClient(self.socket, timeout=timeout).connect() as client:
            return client.request(cmd, args)

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise UserError(f"The daemon exited ({self.process.returncode}) while starting: {self.tail()}")
            with contextlib.suppress(Exception):
                if self.request("status", timeout=5).get("ready"):
                    return
            time.sleep(0.5)
        raise UserError(f"The daemon was not ready in {timeout:.0f} s; see {self.log}.")

    def tail(self) -> str:
        lines = self.log.read_text(errors="replace").strip().splitlines()
        return lines[-1] if lines else "(no output)"

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(Exception):
                self.request("stop", timeout=5)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)


def copy_policy_cache(cache: Path) -> None:
    """Copy the policy layers' cached weights (policy_*.npz) from this user's state directory into `cache`."""
    import shutil

    from voiceslm.service.privacy import default_data_dir

    for weights in (default_data_dir() / "cache").glob("policy_*.npz"):
        with contextlib.suppress(OSError):
            cache.mkdir(parents=True, exist_ok=True, mode=0o700)
            shutil.copy2(weights, cache / weights.name)


@contextlib.contextmanager
def soak_daemon(config: dict[str, Any], base_args: list[str]) -> Iterator[SoakDaemon]:
    with tempfile.TemporaryDirectory(prefix="voiceslm-soak-") as home:
        daemon = SoakDaemon(Path(home), config, base_args)
        try:
            yield daemon
        finally:
            daemon.stop()


def run_soak(
    config: dict[str, Any], base_args: list[str], restarts: int, switches: int, target: str, progress: Any = None
) -> SoakReport:
    """Start a daemon, then `restarts` pipeline rebuilds and `switches` mode switches, measured."""
    report = SoakReport()
    config = {**config, "live": {**config.get("live", {}), "mode": "translate"}}
    started = time.perf_counter()
    with soak_daemon(config, base_args) as daemon:
        daemon.wait_ready()
        report.start_s = time.perf_counter() - started
        pid = daemon.request("ping")["pid"]

        def sample(step: str, seconds: float) -> None:
            rss, threads, fds = proc_figures(pid)
            report.samples.append(Sample(step, rss, threads, fds, seconds))
            if progress is not None:
                progress(f"{step:8} {seconds:6.2f} s  RSS {rss:7.0f} MB  threads {threads:3}  fds {fds:4}")

        def step(kind: str, cmd: str, args: dict[str, Any] | None = None) -> None:
            t0 = time.perf_counter()
            try:
                daemon.request(cmd, args)
                if not daemon.request("status", timeout=30).get("ready"):
                    daemon.wait_ready(120)
            except Exception as exc:  # noqa: BLE001 - counted and reported, the soak goes on
                report.errors.append(f"{kind}: {type(exc).__name__}: {exc}")
            sample(kind, time.perf_counter() - t0)

        sample("start", report.start_s)
        report.loads["start"] = daemon.request("status")["daemon"].get("engine_loads", {})
        vad = dict(config.get("vad", {}))
        for index in range(restarts):
            daemon.config = {**config, "vad": {**vad, "min_silence_ms": 650 + 10 * (index % 2)}}
            daemon.write_config()
            step("restart", "reload")
        for index in range(switches):
            if index % 2:
                step("switch", "mode", {"mode": "translate", "target": target})
            else:
                step("switch", "mode", {"mode": "assist"})
        if daemon.process.poll() is not None:
            report.errors.append(f"the daemon exited with {daemon.process.returncode}: {daemon.tail()}")
        else:
            report.loads["end"] = daemon.request("status")["daemon"].get("engine_loads", {})
    return report


def format_report(report: SoakReport) -> str:
    f = report.figures()
    rss, threads, fds = f["rss_mb"], f["threads"], f["fds"]
    lines = [
        f"Start: {f['start_s']} s to ready",
        f"{f['restarts']} pipeline restarts (mean {f['restart_s_mean']} s), "
        f"{f['switches']} mode switches (mean {f['switch_s_mean']} s)",
        f"RSS: start {rss['start']} MB, end {rss['end']} MB, peak {rss['peak']} MB ({rss['growth_pct']:+.1f}%)",
        f"Threads: start {threads['start']}, end {threads['end']}, peak {threads['peak']}",
        f"File descriptors: start {fds['start']}, end {fds['end']}, peak {fds['peak']}",
        f"Models loaded: at the start {f['engine_loads'].get('start')}, at the end {f['engine_loads'].get('end')}",
        f"Errors: {len(f['errors'])}" + "".join(f"\n  {e}" for e in f["errors"]),
    ]
    return "\n".join(lines)
