"""`voiceslm demo`: translate the bundled English recording into Spanish."""

from __future__ import annotations

import argparse
from importlib import resources

from voiceslm.commands import translate

DEMO_RECORDING = "demo_en.wav"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="translate a bundled English recording into Spanish, with per-stage timings"
    )
    parser.add_argument(
        "--to", type=str.lower, dest="target", default="es", help="language to translate into (default: %(default)s)"
    )
    parser.add_argument("-o", "--output", default="voiceslm-demo.wav", help="WAV file for the spoken translation")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    with resources.as_file(resources.files("voiceslm").joinpath("assets", DEMO_RECORDING)) as recording:
        print(f"Recording: {recording} (English)")
        args.file = str(recording)
        args.source = "en"
        args.no_speech = False
        return translate.run(args)
