"""`voiceslm devices`: the microphones and speakers that can be used, by index and name."""

from __future__ import annotations

import argparse
import json

from voiceslm.commands.common import load


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "devices",
        help="list microphones and speakers (by index and name, for audio.input_device / --input-device)",
        description=(
            "List input and output devices. Name one in audio.input_device / audio.output_device or with "
            "--input-device / --output-device by its index, part of its name, or (PulseAudio) its source or sink name."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    load(args)
    from voiceslm.devices import list_devices
    from voiceslm.errors import DeviceError

    devices = list_devices()
    if args.json:
        print(json.dumps([d.__dict__ for d in devices], indent=2))
    if not devices:
        # Nothing to choose from is a device problem: scripts that check the status see it.
        raise DeviceError(
            "No audio devices found; plug one in or start PulseAudio (scripts/pulse.sh start gives virtual ones)."
        )
    if args.json:
        return 0
    rows = [("KIND", "INDEX", "NAME", "RATE", "", "DETAILS")]
    for d in devices:
        index = str(d.index) if d.index is not None else "-"
        rate = f"{d.default_sample_rate} Hz" if d.default_sample_rate else "-"
        rows.append((d.kind, index, d.name, rate, "default" if d.is_default else "", d.description))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True)) + "  " + row[5])
    return 0
