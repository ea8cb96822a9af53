"""`voiceslm daemon`: run the live pipeline in the foreground for systemd."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

from voiceslm.commands.common import JsonFormatter, load, setup_logging
from voiceslm.config import PACKAGED_LAYER, LoadedConfig, source_of

# syslog priorities, understood by journald at the start of a line (sd-daemon(3)).
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "daemon",
        help="run the live pipeline as a service (foreground, for systemd; control it with `voiceslm ctl`)",
        description=(
            "Run the live pipeline in the foreground as a systemd service (Type=notify): READY once models are "
            "loaded and audio devices open, STATUS and watchdog pings, SIGHUP reloads the configuration, SIGTERM "
            "stops. Control it with `voiceslm ctl`. The process opens no network socket."
        ),
    )
    parser.add_argument("--socket", metavar="PATH", help="control socket (config key daemon.socket)")
    parser.add_argument(
        "--log-format", choices=("text", "json"), help="log as text or one JSON object per line (config key log.format)"
    )
    parser.add_argument(
        "--no-model-check",
        action="store_true",
        help="skip the sha256 check of the models at start (faster start on slow storage)",
    )
    parser.set_defaults(handler=run)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"log.format": args.log_format, "daemon.socket": args.socket}


def run(args: argparse.Namespace) -> int:
    from voiceslm.service import netguard
    # First thing: nothing below may open a network socket.
    netguard.install()
    from voiceslm.engines.memory import tune_allocator

    tune_allocator()  # before the model and pipeline threads allocate: a daemon runs for weeks
    from voiceslm.service.memtrace import start_from_env

    start_from_env()
    from voiceslm.errors import UserError
    from voiceslm.service.daemon import Daemon
    from voiceslm.service.sdnotify import Notifier

    notifier = Notifier()
    try:
        loaded = load(args, _overrides(args))
    except UserError as exc:
        notifier.status(f"failed: {exc}")
        raise
    setup_daemon_logging(loaded, args.verbose)

    def reload_config() -> LoadedConfig:
        new = load(args, _overrides(args))
        setup_daemon_logging(new, args.verbose)
        return new

    daemon = Daemon(loaded, reload_config, notifier=notifier, verify_models=not args.no_model_check)
    code = _run_loop(daemon)
    # Worker threads may still be inside a model call that cannot be
    # interrupted; waiting for them (or for model destructors) at interpreter
    # exit would break the two-second stop, so leave at once.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _run_loop(daemon: Any) -> int:
    import asyncio

    from voiceslm.errors import UserError

    # Not asyncio.run(): it joins the default executor's threads at the end,
    # which would wait for an utterance still being decoded.
    loop = asyncio.new_event_loop()
    try:
        return int(loop.run_until_complete(daemon.serve()))
    except UserError as exc:
        print(f"voiceslm: {exc}", file=sys.stderr)
        return exc.exit_code
    finally:
        for task in asyncio.all_tasks(loop):
            task.cancel()
        loop.close()


def setup_daemon_logging(loaded: LoadedConfig, verbose: int = 0) -> None:
    """Logging for a service: journal priorities when stderr is the journal, info by default."""
    setup_logging(loaded, verbose)
    root = logging.getLogger()
    # A daemon that says nothing is hard to run: start, ready, reloads and stops
    # are logged at info unless a config file chose a level.
    if not verbose and source_of(loaded, "log.level") == PACKAGED_LAYER:
        root.setLevel(logging.INFO)
    if stderr_is_journal():
        base = JsonFormatter() if loaded.config.log.format == "json" else logging.Formatter("%(name)s: %(message)s")
        for handler in root.handlers:
            handler.setFormatter(JournalFormatter(base))


def stderr_is_journal(environ: dict[str, str] | None = None) -> bool:
    """True when stderr is the journal stream systemd connected ($JOURNAL_STREAM is dev:inode)."""
    value = (environ if environ is not None else os.environ).get("JOURNAL_STREAM", "")
    device, _, inode = value.partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        info = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError):
        return False
    return info.st_dev == int(device) and info.st_ino == int(inode)


class JournalFormatter(logging.Formatter):
    """Prefixes every line with its syslog priority, `<4>`, and leaves the time to journald."""

    def __init__(self, base: logging.Formatter) -> None:
        super().__init__()
        self.base = base

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{_PRIORITY.get(record.levelno, 6 if record.levelno < logging.WARNING else 3)}>"
        # Each line of a traceback becomes its own journal entry: keep them all at the record's priority.
        return "\n".join(prefix + line for line in self.base.format(record).splitlines())
