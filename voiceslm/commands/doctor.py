"""`voiceslm doctor`: check audio, models, CPU, config, runtime dir and socket."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check audio devices, models, CPU, config and the daemon; one line per check with the fix",
        description="Check what voiceslm needs; prints ok, warn or FAIL per check and exits 1 on any FAIL.",
    )
    parser.add_argument("--quick", action="store_true", help="check model sizes only, not every sha256")
    parser.add_argument("--socket", metavar="PATH", help="control socket to probe (default: the daemon's)")
    parser.add_argument("--json", action="store_true", help="print the checks as one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from voiceslm.commands.common import parse_set_values
    from voiceslm.doctor import run_checks

    overrides = parse_set_values(args.set_values)
    if args.models_dir:
        overrides["models.store"] = args.models_dir
    checks = run_checks(
        args.config,
        overrides=overrides,
        socket_path=Path(args.socket) if args.socket else None,
        full_model_check=not args.quick,
    )
    failed = sum(c.level == "fail" for c in checks)
    warned = sum(c.level == "warn" for c in checks)
    if args.json:
        print(json.dumps({"ok": not failed, "checks": [c.__dict__ for c in checks]}, ensure_ascii=False))
    else:
        for check in checks:
            print(check.line())
        print(f"{len(checks)} checks: {failed} failed, {warned} warnings")
    return 1 if failed else 0
