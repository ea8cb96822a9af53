"""`voiceslm ctl ...`: control a running daemon over its Unix socket."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from voiceslm.config import MODES

# Commands that may take long inside the daemon (a reload can reload models).
_SLOW_TIMEOUT = 300.0


def _connection_options(parser: argparse.ArgumentParser, default: Any) -> None:
    def value(v: Any) -> Any:
        return argparse.SUPPRESS if default is argparse.SUPPRESS else v

    parser.add_argument(
        "--socket",
        metavar="PATH",
        default=value(None),
        help="control socket (default: your daemon's, else the system one)",
    )
    parser.add_argument(
        "--system", action="store_true", default=value(False), help="talk to the system service (/run/voiceslm)"
    )
    parser.add_argument(
        "--timeout", type=float, default=value(10.0), help="seconds to wait for an answer (default: 10)"
    )
    parser.add_argument("--json", action="store_true", default=value(False), help="print the daemon's JSON result")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ctl",
        help="control the running daemon: status, mode, mute, push-to-talk, say, reload, stop",
        description="Send one command to the running `voiceslm daemon` over its control socket.",
    )
    _connection_options(parser, None)
    # The same options are accepted after the action too (`ctl status --json`).
    common = argparse.ArgumentParser(add_help=False)
    _connection_options(common, argparse.SUPPRESS)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, summary: str) -> argparse.ArgumentParser:
        return actions.add_parser(name, help=summary, parents=[common])

    action("status", "what the daemon is doing")
    mode = action("mode", "switch mode: translate [--from L] [--to L], converse --from A --to B, assist, transcribe")
    mode.add_argument("mode", choices=MODES)
    mode.add_argument("--from", type=str.lower, dest="source", metavar="LANG", help='spoken language, or "auto"')
    mode.add_argument("--to", type=str.lower, dest="target", metavar="LANG", help="language to translate into")
    action("mute", "stop listening (the microphone is ignored)")
    action("unmute", "listen again")
    ptt = action("ptt", "push-to-talk: start holds the microphone open, stop sends what was said")
    ptt.add_argument("ptt_action", choices=("start", "stop"))
    say = action("say", "speak TEXT through the daemon")
    say.add_argument("text")
    say.add_argument("--lang", type=str.lower, default="en", help="language of TEXT (default: %(default)s)")
    action("hush", "stop speaking now")
    action("reload", "re-read the configuration (kept as it was if the new one is invalid)")
    action("stop", "stop the daemon")
    action("ping", "check that the daemon answers")
    events = action("events", "print the pipeline's events as JSON lines until interrupted")
    events.add_argument("--type", dest="types", action="append", metavar="EVENT", help="only this event type")
    events.add_argument("--count", type=int, metavar="N", help="stop after N events")
    parser.set_defaults(handler=run)


def request_for(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The protocol command and arguments for a parsed `ctl` command line."""
    action = args.action
    if action == "mode":
        request: dict[str, Any] = {"mode": args.mode}
        if args.source is not None:
            request["source"] = args.source
        if args.target is not None:
            request["target"] = args.target
        return "mode", request
    if action == "ptt":
        return f"ptt_{args.ptt_action}", {}
    if action == "say":
        return "say", {"text": args.text, "lang": args.lang}
    if action == "hush":
        return "stop_speaking", {}
    if action == "events":
        return "events", {"types": args.types} if args.types else {}
    return action, {}


def socket_for(args: argparse.Namespace) -> Path:
    """--socket, --system, or the first existing of this user's and the system daemon's sockets."""
    from voiceslm.service.client import find_socket
    from voiceslm.service.runtime_paths import SOCKET_NAME, SYSTEM_RUNTIME_DIR, client_socket_candidates

    if getattr(args, "socket", None):
        return Path(args.socket).expanduser()
    if getattr(args, "system", False):
        return SYSTEM_RUNTIME_DIR / SOCKET_NAME
    return find_socket(client_socket_candidates(_configured_socket(args)))


def _configured_socket(args: argparse.Namespace) -> str:
    """daemon.socket from the config files and --set; a broken config must not stop `ctl` from working."""
    from voiceslm.commands.common import parse_set_values
    from voiceslm.config import load_config
    from voiceslm.errors import UserError

    try:
        overrides = parse_set_values(getattr(args, "set_values", None) or [])
        return load_config(getattr(args, "config", None), overrides).config.daemon.socket
    except UserError as exc:
        print(f"voiceslm: warning: {exc} Using the default socket.", file=sys.stderr)
        return ""


def run(args: argparse.Namespace) -> int:
    from voiceslm.service.client import ControlClient

    cmd, request = request_for(args)
    if cmd == "events":
        return watch_events(args, request)
    timeout = max(args.timeout, _SLOW_TIMEOUT) if cmd == "reload" else args.timeout
    with ControlClient(socket_for(args), timeout=timeout) as client:
        result = client.request(cmd, request)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(format_result(cmd, result))
    return 0


def watch_events(args: argparse.Namespace, request: dict[str, Any]) -> int:
    from voiceslm.service.client import ControlClient

    seen = 0
    with ControlClient(socket_for(args), timeout=args.timeout) as client:
        try:
            for event in client.stream("events", request):
                print(json.dumps(event, ensure_ascii=False), flush=True)
                seen += 1
                if args.count is not None and seen >= args.count:
                    break
        except KeyboardInterrupt:
            pass
    return 0


def format_result(cmd: str, result: Any) -> str:
    if not isinstance(result, dict):
        return str(result)
    if cmd == "ping":
        return f"daemon pid {result.get('pid')} answers (voiceslm {result.get('version')})"
    if cmd == "stop":
        return "daemon stopping"
    if cmd == "reload":
        changed = ", ".join(result.get("changed") or []) or "nothing"
        restarted = " (pipeline restarted)" if result.get("pipeline_restarted") else ""
        return f"configuration reloaded; changed: {changed}{restarted}"
    daemon = result.get("daemon") or {}
    lines = [str(result.get("status_line") or daemon.get("status_line") or "ok")]
    for key, value in result.items():
        if key in ("daemon", "status_line") or isinstance(value, dict | list):
            continue
        lines.append(f"  {key}: {value}")
    if daemon:
        lines.append(
            f"  daemon: pid {daemon.get('pid')}, {daemon.get('phase')}, up {daemon.get('uptime_s')} s, "
            f"socket {daemon.get('socket')}"
        )
        if daemon.get("reload_error"):
            lines.append(f"  last reload failed: {daemon['reload_error']}")
    return "\n".join(lines)


def drive_ptt(args: argparse.Namespace) -> int:
    """`voiceslm ptt --daemon`: push-to-talk on the running daemon from a terminal.

    The keys of `voiceslm ptt`: SPACE starts talking and SPACE again sends, s
    stops the reply being spoken, q quits. What the daemon hears and replies
    is shown as it happens. Piped input (no terminal) takes one word a line:
    start, stop, hush, quit. The microphone is always released on exit.
    """
    import threading

    from voiceslm.service.client import ControlClient

    path = socket_for(args)
    client = ControlClient(path, timeout=getattr(args, "timeout", 10.0)).connect()
    client.request("ping")
    watcher = ControlClient(path).connect()
    threading.Thread(target=_show_events, args=(watcher,), daemon=True).start()
    talking = False
    keys = _terminal_keys() if sys.stdin.isatty() else _piped_words()
    print("push-to-talk on the daemon: SPACE to talk, SPACE again to send, s to hush, q to quit", file=sys.stderr)
    try:
        for key in keys:
            if key in ("q", "quit", "\x04"):
                break
            if key in ("s", "hush"):
                client.request("stop_speaking")
                continue
            wanted = {"start": True, "stop": False}.get(key, not talking) if key in (" ", "start", "stop") else None
            if wanted is None or wanted == talking:
                continue
            talking = wanted
            client.request("ptt_start" if talking else "ptt_stop")
            print("recording... SPACE to send" if talking else "sent", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        if talking:
            client.request("ptt_stop")
        client.close()
        watcher.close()
    return 0


def _terminal_keys() -> Any:
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    # cbreak, not raw: Ctrl-C still interrupts, and the terminal is given back.
    tty.setcbreak(fd)
    try:
        while key := sys.stdin.read(1):
            yield key.lower() if key in "SQ" else key
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _piped_words() -> Any:
    for line in sys.stdin:
        word = line.strip().lower()
        yield {"": " ", "toggle": " "}.get(word, word)


def _show_events(watcher: Any) -> None:
    try:
        for event in watcher.stream("events", {"types": ["TranscriptReady", "ReplyText"]}):
            if event["event"] == "TranscriptReady" and event.get("text"):
                print(f"heard ({event['language']}): {event['text']}", file=sys.stderr, flush=True)
            elif event["event"] == "ReplyText" and event.get("final") and event.get("text"):
                print(f"reply ({event['language']}): {event['text']}", file=sys.stderr, flush=True)
    except Exception:  # noqa: BLE001 - the display ends with the connection; push-to-talk goes on
        return
