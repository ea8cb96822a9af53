"""Command line: `voiceslm COMMAND ...`.

Each command lives in its own module under `voiceslm.commands` and exposes
`register(subparsers)`, which adds its parser and sets `handler`. Heavy
libraries (models, audio) are imported by the handlers, never here, so
`voiceslm --help` and bad-input errors stay instant.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from voiceslm import __version__
from voiceslm.errors import UserError
from voiceslm.service.netguard import TELEMETRY_OPT_OUTS

# One module per command group, in the order `--help` lists them.
COMMAND_MODULES = (
    "voiceslm.commands.transcribe",
    "voiceslm.commands.translate",
    "voiceslm.commands.ask",
    "voiceslm.commands.summarize",
    "voiceslm.commands.docs",
    "voiceslm.commands.say",
    "voiceslm.commands.run",
    "voiceslm.commands.devices",
    "voiceslm.commands.bench",
    "voiceslm.commands.demo",
    "voiceslm.commands.models",
    "voiceslm.commands.config",
    "voiceslm.commands.eval",
    "voiceslm.commands.daemon",
    "voiceslm.commands.ctl",
    "voiceslm.commands.doctor",
    "voiceslm.commands.wyoming",
    "voiceslm.commands.satellite",
)

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voiceslm",
        description="Offline, real-time voice translator and voice assistant.",
    )
    parser.add_argument("--version", action="version", version=f"voiceslm {__version__}")
    parser.add_argument("--config", metavar="FILE", help="YAML config layered over the packaged, system and user files")
    parser.add_argument(
        "--set",
        dest="set_values",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="override one config key, e.g. --set stt.beam_size=5 (YAML value); repeatable",
    )
    parser.add_argument("--models-dir", metavar="DIR", help="model store directory (config key models.store)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="-v for info, -vv for debug with timings")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Threads spin-waiting between ops made decoding 20x slower on small CPUs.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # voiceslm runs offline: onnxruntime (>= 1.29, under Piper and Silero VAD)
    # otherwise writes a device id under ~/.cache and sends usage events to
    # Microsoft a few seconds after import. Must be set before it loads.
    os.environ.update(TELEMETRY_OPT_OUTS)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except UserError as exc:
        print(f"voiceslm: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("voiceslm: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: not an error worth a traceback.
        sys.stderr.close()
        return 1
