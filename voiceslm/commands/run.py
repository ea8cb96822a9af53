"""`voiceslm run` and `voiceslm ptt`: the live pipeline in a terminal.

`run` listens continuously; `ptt` listens only while push-to-talk is on (the
space bar toggles it: terminals report key presses, not releases). Both show
what was heard and the reply as it streams, and stop cleanly on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TextIO

from voiceslm.commands.common import load
from voiceslm.config import MODES
from voiceslm.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    run = subparsers.add_parser(
        "run",
        help="listen continuously and translate, answer or transcribe each utterance aloud",
        description=(
            "Listen to the microphone and, for each utterance, transcribe it and then translate it (--mode "
            "translate), answer it (--mode assist) or only show it (--mode transcribe), speaking replies as they "
            "are written. Ctrl-C stops. With --input/--output a recording and a WAV file replace the devices. "
            "Speaking while a reply plays interrupts it (barge-in) only when the microphone stays live during "
            "playback: --echo aec (echo cancelled in process), --echo none (headphones) or --echo pulse-aec "
            "(PulseAudio's echo canceller); the default, "
            "half-duplex, ignores the microphone while speaking so the speaker can never answer itself."
        ),
    )
    add_live_options(run)
    run.set_defaults(handler=handle_run, push_to_talk=False)
    ptt = subparsers.add_parser(
        "ptt",
        help="push-to-talk from the terminal: SPACE starts and stops listening",
        description=(
            "Like `run`, but nothing is heard unless push-to-talk is on: press SPACE to start talking and SPACE "
            "again to send. s stops the reply being spoken, q quits. Works over SSH; needs no root and no X."
        ),
    )
    add_live_options(ptt)
    ptt.add_argument(
        "--daemon", action="store_true", help="drive the running daemon's push-to-talk instead (voiceslm ctl)"
    )
    ptt.set_defaults(handler=handle_run, push_to_talk=True)


def add_live_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mode", choices=MODES, help="what to do with each utterance (config key live.mode)")
    parser.add_argument(
        "--from", type=str.lower, dest="source", metavar="LANG", help='spoken language, or "auto" (translate.source)'
    )
    parser.add_argument(
        "--to", type=str.lower, dest="target", metavar="LANG", help="language to translate into (translate.target)"
    )
    parser.add_argument(
        "--langs",
        metavar="A,B",
        help="--mode converse: the conversation's two languages, e.g. en,es (translate.source, translate.target)",
    )
    parser.add_argument("--input-device", metavar="DEVICE", help="microphone: index or name (audio.input_device)")
    parser.add_argument("--output-device", metavar="DEVICE", help="speaker: index or name (audio.output_device)")
    parser.add_argument(
        "--echo",
        choices=("half-duplex", "aec", "pulse-aec", "none"),
        help="how the mic avoids hearing replies (echo.mode)",
    )
    parser.add_argument(
        "--input", type=Path, metavar="FILE", help="play this recording as the microphone, in real time"
    )
    parser.add_argument("--output", type=Path, metavar="FILE", help="write what would be played to this WAV file")
    parser.add_argument("--stats", action="store_true", default=None, help="print latencies per utterance (live.stats)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per event instead of text")


def handle_run(args: argparse.Namespace) -> int:
    if getattr(args, "daemon", False):
        from voiceslm.commands.ctl import drive_ptt

        return drive_ptt(args)
    from voiceslm.service import netguard

    netguard.install()  # offline by construction: no network socket from here on
    loaded = load(args, live_overrides(args))
    config = loaded.config
    if args.push_to_talk and args.input is not None:
        raise UserError("ptt listens to a microphone; drop --input, or use `voiceslm run --input FILE`.")
    keyboard = None
    if args.push_to_talk:
        keyboard = Keyboard.open(sys.stdin)
    from voiceslm.audio.devices import filtered_stderr

    try:
        with filtered_stderr():
            return asyncio.run(live_main(config, args, keyboard))
    finally:
        if keyboard is not None:
            keyboard.restore()


def live_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The config keys the live options set (None: not given)."""
    source, target = args.source, args.target
    if args.langs is not None:
        pair = [code.strip() for code in args.langs.split(",")]
        if len(pair) != 2 or not all(pair):
            raise UserError(f"--langs {args.langs!r} must name two languages, like --langs en,es.")
        source, target = pair
    return {
        "live.mode": args.mode,
        "translate.source": source,
        "translate.target": target,
        "audio.input_device": args.input_device,
        "audio.output_device": args.output_device,
        "echo.mode": args.echo,
        "live.stats": args.stats,
    }


async def live_main(
    config: Any,
    args: argparse.Namespace,
    keyboard: Keyboard | None,
    engines: Any = None,
    companion: Callable[[Any], Coroutine[Any, Any, None]] | None = None,
) -> int:
    """Run the live session in the terminal until Ctrl-C or the end of the recording.

    `companion(pipeline)`, if given, runs beside the session (a server that drives it) and is
    cancelled when the session ends; if it fails, the session stops.
    """
    from voiceslm.pipeline.session import LiveSession
    from voiceslm.pipeline.startup import file_io

    audio_in, audio_out = file_io(config, args.input, args.output)
    pipeline = LiveSession(
        config, engines=engines, audio_in=audio_in, audio_out=audio_out, push_to_talk=args.push_to_talk
    )
    beside: asyncio.Task[None] | None = asyncio.create_task(companion(pipeline)) if companion is not None else None
    if beside is not None:
        beside.add_done_callback(lambda _: pipeline.stop())
    view = TerminalView(pipeline, json_lines=args.json, stats=config.live.stats, push_to_talk=args.push_to_talk)
    loop = asyncio.get_running_loop()
    interrupted = False

    def on_interrupt() -> None:
        nonlocal interrupted
        if interrupted:
            raise KeyboardInterrupt  # a second Ctrl-C: stop waiting
        interrupted = True
        view.note("stopping...")
        pipeline.stop()

    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
        loop.add_signal_handler(signal.SIGTERM, on_interrupt)
    subscription = pipeline.subscribe(maxsize=4096)
    printer = asyncio.create_task(view.show(subscription))
    if keyboard is not None:
        keyboard.attach(loop, pipeline, view)
    view.note("loading models...")
    try:
        await pipeline.run()
    finally:
        if keyboard is not None:
            keyboard.detach(loop)
        subscription.close()
        await printer
        if beside is not None:
            beside.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beside
    return 0


class TerminalView:
    """Shows the pipeline's events: what was heard, the reply as it streams, faults, timings."""

    def __init__(self, pipeline: Any, *, json_lines: bool, stats: bool, push_to_talk: bool, out: TextIO | None = None):
        self.pipeline = pipeline
        self.json_lines = json_lines
        self.stats = stats
        self.push_to_talk = push_to_talk
        self.out = out or sys.stdout
        self._reply_open = False

    def note(self, text: str) -> None:
        if self.json_lines:
            self._json({"event": "note", "text": text})
        else:
            self._end_reply()
            print(f"[{text}]", file=self.out, flush=True)

    async def show(self, events: Any) -> None:
        async for event in events:
            if self.json_lines:
                self._json(_as_json(event))
            else:
                self._text(event)

    def _json(self, entry: dict[str, Any]) -> None:
        print(json.dumps(entry, ensure_ascii=False), file=self.out, flush=True)

    def _text(self, event: Any) -> None:
        from voiceslm.engines import foreign
        from voiceslm.pipeline import events as ev

        if isinstance(event, ev.DeviceReady):
            if event.recovered:
                self.note(f"{event.kind} back: {event.name}")
            elif event.kind == "input":
                keys = (
                    "SPACE talks, SPACE again sends, s stops speech, q quits" if self.push_to_talk else "Ctrl-C stops"
                )
                self.note(f"{self.pipeline.mode} mode, listening on {event.name} ({keys})")
        elif isinstance(event, ev.DeviceFault):
            self.note(f"{event.message} Retrying in {event.retry_in_s:.1f} s.")
        elif isinstance(event, ev.TranscriptReady):
            if event.text:
                self._end_reply()
                print(f"you [{event.language}]: {event.text}", file=self.out, flush=True)
            elif event.foreign_language:
                self.note(
                    f"heard {foreign.english_name(event.foreign_language)}, not one of your languages (stt.languages)"
                )
            else:
                self.note("nothing heard")
        elif isinstance(event, ev.ReplyText):
            if event.final:
                self._end_reply()
            else:
                if not self._reply_open:
                    print(f"  -> [{event.language}]: ", end="", file=self.out)
                    self._reply_open = True
                print(event.text, end="", file=self.out, flush=True)
        elif isinstance(event, ev.BackTranslation):
            self._end_reply()
            print(f"  <- [{event.language}]: {event.text}", file=self.out, flush=True)
        elif isinstance(event, ev.Cancel) and event.reason in ("barge-in", "ptt", "stop"):
            self.note(f"reply cut ({event.reason})")
        elif isinstance(event, ev.ModeChanged):
            pair = f" ({event.source or 'auto'} -> {event.target})" if event.mode in ("translate", "converse") else ""
            self.note(f"mode: {event.mode}{pair}")
        elif isinstance(event, ev.VoiceCommandHeard):
            detail = event.mode or event.language or ""
            self.note(f"voice command: {event.kind} {detail}".strip())
        elif isinstance(event, ev.UtteranceStats) and self.stats:
            self._end_reply()
            print("  " + format_stats(event), file=self.out, flush=True)

    def _end_reply(self) -> None:
        if self._reply_open:
            print(file=self.out, flush=True)
            self._reply_open = False


def format_stats(stats: Any) -> str:
    def seconds(label: str, value: float | None) -> str:
        return f"{label} {value:.2f}s" if value is not None else f"{label} -"

    parts = [
        f"audio {stats.audio_s:.2f}s",
        seconds("endpoint", stats.endpoint_s),
        seconds("transcript", stats.to_transcript),
        seconds("first token", stats.to_first_token),
        seconds("first sentence", stats.to_first_sentence),
        seconds("first audio", stats.to_first_audio),
        seconds("spoken", stats.audio_out_s),
    ]
    if stats.stt_rtf is not None:
        parts.append(f"stt rtf {stats.stt_rtf:.2f}")
    if stats.tts_rtf is not None:
        parts.append(f"tts rtf {stats.tts_rtf:.2f}")
    if stats.interrupted:
        parts.append("interrupted")
    return "[stats] " + ", ".join(parts) + " (from end of speech)"


def _as_json(event: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"event": type(event).__name__}
    for name, value in vars(event).items():
        if hasattr(value, "shape"):
            continue  # audio samples
        entry[name] = round(value, 4) if isinstance(value, float) else value
    return entry


class Keyboard:
    """Single key presses from a terminal (cbreak mode), restored on exit."""

    def __init__(self, fd: int, saved: Any) -> None:
        self.fd = fd
        self.saved = saved
        self.talking = False

    @classmethod
    def open(cls, stream: TextIO) -> Keyboard:
        import termios
        import tty

        try:
            fd = stream.fileno()
        except (AttributeError, ValueError, OSError) as exc:
            raise UserError("ptt reads keys from a terminal; run it in one (ssh -t works).") from exc
        if not os.isatty(fd):
            raise UserError("ptt reads keys from a terminal, but standard input is not one; run it in a terminal.")
        saved = termios.tcgetattr(fd)
        # cbreak, not raw: keys arrive one by one unechoed, and Ctrl-C still
        # interrupts (ISIG stays on) so the terminal is always given back.
        tty.setcbreak(fd)
        keyboard = cls(fd, saved)
        import atexit

        atexit.register(keyboard.restore)
        return keyboard

    def restore(self) -> None:
        import termios

        if self.saved is not None:
            with contextlib.suppress(termios.error, OSError):
                termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
            self.saved = None

    def attach(self, loop: asyncio.AbstractEventLoop, pipeline: Any, view: TerminalView) -> None:
        def on_key() -> None:
            try:
                data = os.read(self.fd, 64)
            except OSError:
                data = b""
            if not data:
                loop.remove_reader(self.fd)  # the terminal went away
                pipeline.stop()
                return
            for key in data.decode(errors="ignore"):
                self.press(key, pipeline, view)

        loop.add_reader(self.fd, on_key)

    def press(self, key: str, pipeline: Any, view: TerminalView) -> None:
        if key == " ":
            if not pipeline.ready.is_set():
                view.note("still starting; press SPACE again when listening")
            elif self.talking:
                self.talking = False
                pipeline.ptt_stop()
                view.note("sent")
            else:
                self.talking = True
                pipeline.ptt_start()
                view.note("recording... SPACE to send")
        elif key in "sS":
            pipeline.stop_speaking()
        elif key in "qQ":
            pipeline.stop()

    def detach(self, loop: asyncio.AbstractEventLoop) -> None:
        with contextlib.suppress(ValueError, OSError):
            loop.remove_reader(self.fd)
