"""`voiceslm bench --barge-in`'s event recorder and its table (`voiceslm.eval.barge_in` runs the trials)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voiceslm.eval.barge_in import BargeInReport


class EventRecorder:
    """Every event of one session, kept in order, with waits for the ones a trial expects."""

    def __init__(self, session: Any) -> None:
        self.subscription = session.subscribe(maxsize=100_000)
        self.seen: list[Any] = []
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        async for event in self.subscription:
            self.seen.append(event)
            self._changed.set()

    def of(self, kind: type, where: Callable[[Any], bool] = lambda e: True, after: int = 0) -> list[Any]:
        return [e for e in self.seen[after:] if isinstance(e, kind) and where(e)]

    async def settle(self, quiet_s: float, within_s: float, idle: Callable[[], bool]) -> None:
        """Return once no event has come for `quiet_s` and `idle()` holds, or after `within_s`."""
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), quiet_s)
            except TimeoutError:
                if idle():
                    return

    async def wait_for(
        self,
        kind: type,
        timeout: float,  # noqa: ASYNC109 - a deadline for one expected event
        where: Callable[[Any], bool] = lambda e: True,
        after: int = 0,
    ) -> Any:
        deadline = time.monotonic() + timeout
        while not (found := self.of(kind, where, after)):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {kind.__name__} within {timeout:g} s")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return found[0]

    async def close(self) -> None:
        self.subscription.close()
        await self._task


def format_report(report: BargeInReport) -> str:
    lines = [
        f"Barge-in on open speakers ({report.machine}); room: {report.room}",
        "| echo.mode | self-triggers | interruptions detected | stop p50 / p90 (s) | transcribed right "
        "| right when clean | mic volume |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode in report.modes:
        if mode.error:
            lines.append(f"| {mode.mode} | {mode.error} | | | | | |")
            continue
        s = mode.summary()
        b = s["barge_in"]
        stop = b["stop_s"]
        cell = "-" if stop["p50"] is None else f"{stop['p50']:.2f} / {stop['p90']:.2f}"
        volume = "unchanged" if s["mic_volume_unchanged"] else f"{mode.mic_volume_before} -> {mode.mic_volume_after}"
        lines.append(
            f"| {mode.mode} | {s['self_triggers']} of {s['replies']} | {b['detected']} of {b['tried']} | {cell} "
            f"| {b['transcribed_correctly']} of {b['tried']} | {b['correct_when_clean']} of {b['tried']} | {volume} |"
        )
    return "\n".join(lines)
