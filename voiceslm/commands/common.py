"""What every command shares: loading the config from flags, logging set-up."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Mapping
from typing import Any

import yaml

from voiceslm import yamlsafe
from voiceslm.config import LoadedConfig, load_config
from voiceslm.errors import UserError

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def load(args: argparse.Namespace, overrides: Mapping[str, Any] | None = None) -> LoadedConfig:
    """The effective config for a command: files, then --set, then its flags."""
    merged = parse_set_values(args.set_values)
    if args.models_dir:
        merged["models.store"] = args.models_dir
    merged.update({k: v for k, v in (overrides or {}).items() if v is not None})
    loaded = load_config(args.config, merged)
    setup_logging(loaded, args.verbose)
    return loaded


def parse_set_values(items: list[str]) -> dict[str, Any]:
    """`--set KEY=VALUE` flags as dotted keys to YAML values; an empty or malformed one is refused."""
    merged: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--set {item!r} is not KEY=VALUE; write it like --set stt.beam_size=5.")
        try:
            value = yamlsafe.load(raw)
        except yamlsafe.ConfigYamlError as exc:
            raise UserError(f"--set {key.strip()}: the value is refused: {exc}.") from exc
        except yaml.YAMLError as exc:
            raise UserError(f"--set {item!r}: the value is not valid YAML; quote it.") from exc
        if value is None:
            raise UserError(
                f"--set {item!r} gives no value; write one after the = (an empty string is --set '{key.strip()}=\"\"')."
            )
        merged[key.strip()] = value
    return merged


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(loaded: LoadedConfig, verbose: int = 0, stream: Any = None) -> None:
    level = LEVELS[loaded.config.log.level]
    if verbose:
        level = min(level, logging.INFO if verbose == 1 else logging.DEBUG)
    handler = logging.StreamHandler(stream or sys.stderr)
    if loaded.config.log.format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Third-party libraries are chatty at INFO; keep them at WARNING unless debugging.
    for name in ("faster_whisper", "piper", "httpx", "urllib3"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING) if level > logging.DEBUG else level)


class Stopwatch:
    """Wall-clock timings of named stages, in seconds."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    def time(self, name: str) -> _Lap:
        return _Lap(self, name)


class _Lap:
    def __init__(self, watch: Stopwatch, name: str) -> None:
        self.watch, self.name = watch, name

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.watch.timings[self.name] = self.watch.timings.get(self.name, 0.0) + time.perf_counter() - self.start


def print_json(data: object) -> None:
    """One JSON object on the last line of stdout, for scripts."""
    print(json.dumps(data, ensure_ascii=False))


def format_timings(timings: Mapping[str, float]) -> str:
    return ", ".join(f"{name.replace('_', ' ')} {seconds:.2f} s" for name, seconds in timings.items())


def open_engines(loaded: LoadedConfig):  # noqa: ANN201 - Engines, imported lazily
    from voiceslm.engines import Engines

    return Engines(loaded.config)
