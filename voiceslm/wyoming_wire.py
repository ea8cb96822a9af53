"""Reading Wyoming events strictly: a malformed or oversized event is an error, never end of stream.

An event on the wire is one JSON line (`type`, optional `data`, `data_length`,
`payload_length`), then `data_length` bytes of JSON merged into `data`, then
`payload_length` bytes of payload (PCM audio). The `wyoming` library's own
reader returns None, as for a closed connection, on bad JSON, and trusts any
length it is given; a server built on it cannot tell a broken client from a
finished one, and one client can make it buffer gigabytes. This reader raises
`ProtocolError` with a sentence for the client instead, and bounds every part.
Events are written with the library's `async_write_event`, which is sound.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wyoming.event import Event


@dataclass(frozen=True)
class WireLimits:
    max_line_bytes: int = 64 * 1024
    """Longest JSON header line."""
    max_data_bytes: int = 1024 * 1024
    """Longest extra JSON data block."""
    max_payload_bytes: int = 4 * 1024 * 1024
    """Longest payload (one audio chunk: 1 s of 48 kHz 32-bit stereo is 384 KB)."""


class ProtocolError(Exception):
    """The client sent something that is not a well-formed Wyoming event within the limits."""

    def __init__(self, message: str, code: str = "bad-event") -> None:
        super().__init__(message)
        self.code = code


async def read_event(reader: asyncio.StreamReader, limits: WireLimits) -> Event | None:
    """The next event; None when the client closed the connection between events."""
    from wyoming.event import Event

    try:
        line = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise ProtocolError("The connection closed in the middle of an event header.") from exc
    except asyncio.LimitOverrunError as exc:
        raise ProtocolError(
            f"An event header is longer than {limits.max_line_bytes} bytes; send one JSON line per event.", "too-large"
        ) from exc
    if len(line) > limits.max_line_bytes:
        raise ProtocolError(
            f"An event header is longer than {limits.max_line_bytes} bytes; send one JSON line per event.", "too-large"
        )
    header = _json_object(line, "event header")
    event_type = header.get("type")
    if not isinstance(event_type, str) or not event_type:
        raise ProtocolError('An event header has no "type" string; every event needs one.')
    data = header.get("data") or {}
    if not isinstance(data, dict):
        raise ProtocolError(f'Event {event_type!r} has "data" that is not a JSON object.')
    data_length = _length(header, "data_length", limits.max_data_bytes, event_type)
    payload_length = _length(header, "payload_length", limits.max_payload_bytes, event_type)
    if data_length:
        block = await _exactly(reader, data_length, event_type, "data")
        data = {**data, **_json_object(block, f"data of event {event_type!r}")}
    payload = await _exactly(reader, payload_length, event_type, "payload") if payload_length else None
    return Event(type=event_type, data=data, payload=payload)


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(f"The {what} is not valid JSON.") from exc
    if not isinstance(value, dict):
        raise ProtocolError(f"The {what} is not a JSON object.")
    return value


def _length(header: dict[str, Any], key: str, limit: int, event_type: str) -> int:
    value = header.get(key)
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProtocolError(f"Event {event_type!r} has {key} {value!r}; it must be a whole number of bytes.")
    if value > limit:
        raise ProtocolError(
            f"Event {event_type!r} announces {value} bytes of {key.split('_')[0]}, over the {limit} byte limit; "
            "send smaller chunks.",
            "too-large",
        )
    return value


async def _exactly(reader: asyncio.StreamReader, size: int, event_type: str, what: str) -> bytes:
    try:
        return await reader.readexactly(size)
    except asyncio.IncompleteReadError as exc:
        raise ProtocolError(f"The connection closed before the {what} of event {event_type!r} arrived whole.") from exc
