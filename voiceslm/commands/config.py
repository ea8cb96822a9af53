"""`voiceslm config show|check|paths`: the effective configuration and its layers."""

from __future__ import annotations

import argparse
import json

from voiceslm.commands.common import load, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("config", help="show or check the configuration")
    sub = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = sub.add_parser("show", help="every key's effective value and the layer it came from")
    show.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    show.set_defaults(handler=show_config)
    check = sub.add_parser("check", help="validate all layers (exit 0 when valid)")
    check.set_defaults(handler=check_config)
    paths = sub.add_parser("paths", help="where each layer is read from")
    paths.set_defaults(handler=show_paths)


def show_config(args: argparse.Namespace) -> int:
    from voiceslm.config import flatten, source_of, to_plain

    loaded = load(args)
    rows = [(key, to_plain(value), source_of(loaded, key)) for key, value in flatten(loaded.config)]
    if args.json:
        print_json(
            {
                "layers": list(loaded.layers),
                "model_store": str(loaded.config.model_store()),
                "values": {key: {"value": value, "source": source} for key, value, source in rows},
            }
        )
        return 0
    print("Layers (later wins): " + " < ".join(loaded.layers))
    print(f"Model store: {loaded.config.model_store()}")
    width = max(len(key) for key, _, _ in rows)
    for key, value, source in rows:
        shown = json.dumps(value, ensure_ascii=False)
        if len(shown) > 70:
            shown = shown[:67] + "..."
        print(f"{key:<{width}}  {shown}  [{source}]")
    return 0


def check_config(args: argparse.Namespace) -> int:
    loaded = load(args)
    print("Configuration is valid: " + " < ".join(loaded.layers))
    return 0


def show_paths(args: argparse.Namespace) -> int:
    from voiceslm.config import system_config_path, user_config_path

    loaded = load(args)
    for label, path in (("system", system_config_path()), ("user", user_config_path())):
        state = "present" if path.exists() else "absent"
        print(f"{label}: {path} ({state})")
    print(f"model store: {loaded.config.model_store()}")
    return 0
