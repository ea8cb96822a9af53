"""What a speech soak measured (`SpeechSoakReport`), its figures and their text form.

The RSS figures start from the warmed baseline (every engine the soak uses
loaded, one turn of each kind served) and give the growth over each half of the
run, the slope of a line fitted through the second half (MB per hour: what a
longer run would keep adding), and the low and high of each third.
"""

from __future__ import annotations

import collections
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from voiceslm.eval.soak import Sample

LATENCIES = ("to_transcript", "to_first_audio")
"""UtteranceStats figures whose medians are reported, per half of the run."""


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
    latencies: list[tuple[float, dict[str, float]]] = field(default_factory=list)
    """(seconds since the soak started, the UtteranceStats figures in LATENCIES) per utterance."""

    def figures(self) -> dict[str, Any]:
        first, last = self.samples[0], self.samples[-1]
        warmed = next((s for s in self.samples if s.step == "warmed"), first)
        cycles = [s for s in self.samples if s.step == "cycle"]
        half = cycles[len(cycles) // 2] if cycles else warmed
        end = self.status_end
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
                "growth_first_half_pct": pct(warmed, half),
                "growth_second_half_pct": pct(half, last),
                "second_half_slope_mb_per_h": slope_mb_per_h(cycles[len(cycles) // 2 :]),
                "thirds": thirds(cycles),
            },
            "queued_per_cycle": {
                "first": cycles[0].queued if cycles else None,
                "last": cycles[-1].queued if cycles else None,
                "peak": max((s.queued or 0 for s in cycles), default=None),
            },
            "latency_median_s": self.latency_medians(warmed.seconds, half.seconds),
            "threads": {
                "raw_start": first.threads,
                "warmed": warmed.threads,
                "end": last.threads,
                "peak": max(s.threads for s in self.samples),
            },
            "fds": {"start": first.fds, "end": last.fds, "peak": max(s.fds for s in self.samples)},
            "allocator": (end.get("daemon") or {}).get("memory"),
            "errors": self.errors,
            "log_errors": self.log_errors,
        }

    def latency_medians(self, warmed_s: float, half_s: float) -> dict[str, dict[str, float | None]]:
        """Median of each figure in LATENCIES over the first and the second half (after the warm-up)."""
        halves = {"first_half": (warmed_s, half_s), "second_half": (half_s, float("inf"))}
        out: dict[str, dict[str, float | None]] = {}
        for name in LATENCIES:
            out[name] = {}
            for part, (lo, hi) in halves.items():
                values = [f[name] for at, f in self.latencies if lo <= at < hi and f.get(name) is not None]
                out[name][part] = round(statistics.median(values), 3) if values else None
        return out

    def as_dict(self) -> dict[str, Any]:
        return {**self.figures(), "samples": [asdict(s) for s in self.samples]}


def pct(a: Sample, b: Sample) -> float:
    return round(100 * (b.rss_mb - a.rss_mb) / a.rss_mb, 1)


def slope_mb_per_h(samples: list[Sample]) -> float | None:
    """The least-squares slope of RSS over time through `samples`, in MB per hour."""
    if len(samples) < 2 or len({s.seconds for s in samples}) < 2:
        return None
    fit = statistics.linear_regression([s.seconds for s in samples], [s.rss_mb for s in samples])
    return round(fit.slope * 3600, 1)


def thirds(samples: list[Sample]) -> list[list[int]]:
    """[low, high] RSS (MB) over each third of `samples`."""
    size = len(samples) / 3
    parts = [samples[round(i * size) : round((i + 1) * size)] for i in range(3)]
    return [[round(min(s.rss_mb for s in p)), round(max(s.rss_mb for s in p))] for p in parts if p]


def format_speech_report(report: SpeechSoakReport) -> str:
    f = report.figures()
    rss, threads, fds, queued = f["rss_mb"], f["threads"], f["fds"], f["queued_per_cycle"]
    actions = f["actions"]
    latency = "; ".join(
        f"{name} {m['first_half']} s / {m['second_half']} s" for name, m in f["latency_median_s"].items()
    )
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
            f"RSS: raw start (daemon ready) {rss['raw_start']} MB, warmed (every engine loaded, each kind of turn "
            f"served) {rss['warmed']} MB, half-way {rss['half']} MB, end {rss['end']} MB, peak {rss['peak']} MB "
            f"({rss['growth_since_warmed_pct']:+.1f}% since warmed: {rss['growth_first_half_pct']:+.1f}% in the "
            f"first half, {rss['growth_second_half_pct']:+.1f}% in the second, whose fitted slope is "
            f"{rss['second_half_slope_mb_per_h']} MB/h; {rss['growth_since_raw_start_pct']:+.1f}% since the raw "
            f"start); low-high per third {rss['thirds']} MB",
            f"Median latency, first half / second half: {latency}",
            f"Allocator: {f['allocator']}",
            f"Threads: raw start {threads['raw_start']}, warmed {threads['warmed']}, end {threads['end']}, "
            f"peak {threads['peak']}",
            f"File descriptors: start {fds['start']}, end {fds['end']}, peak {fds['peak']}",
            f"Errors: {len(f['errors'])}" + "".join(f"\n  {e}" for e in f["errors"][:20]),
            f"Errors in the daemon's log: {len(f['log_errors'])}" + "".join(f"\n  {e}" for e in f["log_errors"][:10]),
        ]
    )
