"""Printing a reply the same way for `translate`, `ask`, `say` and `demo`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from voiceslm.commands.common import format_timings, print_json

if TYPE_CHECKING:
    from voiceslm.oneshot import Reply


def print_reply(reply: Reply, label: str, as_json: bool, extra_timings: dict[str, float] | None = None) -> None:
    timings = {**(extra_timings or {}), **reply.timings}
    if as_json:
        data = reply.as_dict()
        data["timings"] = {k: round(v, 3) for k, v in timings.items()}
        print_json(data)
        return
    if reply.transcript is not None:
        t = reply.transcript
        heard = t.text if t.text else "(no speech)"
        print(f"Transcript ({t.language}, p={t.language_probability:.2f}): {heard}")
    if reply.text:
        print(f"{label} ({reply.language}): {reply.text}")
    if reply.note:
        print(f"Note: {reply.note}")
    if reply.audio_path is not None:
        print(f"Audio: {reply.audio_path} ({reply.audio_seconds:.1f} s)")
    print(f"Timings: {format_timings(timings)}")
