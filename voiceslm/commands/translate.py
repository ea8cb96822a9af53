"""`voiceslm translate FILE --to es`: transcribe, translate and speak a recording."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from voiceslm.commands.common import load, open_engines
from voiceslm.commands.reply_output import print_reply


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("translate", help="translate a recording and speak the result")
    parser.add_argument("file", help="recording in any format FFmpeg reads")
    parser.add_argument(
        "--to", type=str.lower, dest="target", help="language to translate into (config translate.target)"
    )
    parser.add_argument(
        "--from", type=str.lower, dest="source", help='spoken language, or "auto" (config translate.source)'
    )
    parser.add_argument("-o", "--output", help="WAV file for the spoken translation (default: <file>.<to>.wav here)")
    parser.add_argument("--no-speech", action="store_true", help="print the translation without speaking it")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(handler=run)


def default_output(recording: str, language: str) -> Path:
    return Path(f"{Path(recording).stem}.{language}.wav")


def run(args: argparse.Namespace) -> int:
    from voiceslm import oneshot
    from voiceslm.audio.io import check_output_path, load_audio
    from voiceslm.engines import targets
    from voiceslm.errors import UserError

    loaded = load(args, {"translate.target": args.target, "translate.source": args.source})
    config = loaded.config
    source = None if config.translate.source == "auto" else config.translate.source
    target = config.translate.target
    if source == target:
        raise UserError(f"Source and target language are both {target!r}; choose a different --to.")
    output = (
        None if args.no_speech else check_output_path(args.output or default_output(args.file, target), (args.file,))
    )
    with open_engines(loaded) as engines:
        # Before the recording is read or a model loaded: a target nothing can reach fails at once.
        targets.check_direction(engines, source, target, speak=output is not None)
        engines.check_installed(stt_languages=[source], lm_roles=["translate"], voice_languages=[target])
        audio = load_audio(args.file, max_seconds=config.limits.max_audio_seconds)
        started = time.perf_counter()
        engines.preload(stt_languages=[source], lm_roles=["translate"], voice_languages=[target] if output else [])
        load_time = time.perf_counter() - started
        reply = oneshot.translate_recording(engines, audio, source, target, output)
    if reply.transcript is not None and reply.transcript.no_speech:
        written = f", and {output} was not written" if output is not None else ""
        raise UserError(
            f"No speech was heard in {args.file}, so nothing was translated{written}; "
            "record again, closer to the microphone."
        )
    print_reply(reply, "Translation", args.json, {"load": load_time})
    return 0
