"""`voiceslm say "text" --lang en -o out.wav`: speak text."""

from __future__ import annotations

import argparse
import time

from voiceslm.commands.common import load, open_engines
from voiceslm.commands.reply_output import print_reply


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("say", help="speak text into a WAV file")
    parser.add_argument("text", help="what to say")
    parser.add_argument("--lang", type=str.lower, default="en", help="language of the text (default: %(default)s)")
    parser.add_argument("-o", "--output", default="say.wav", help="WAV file to write (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from voiceslm import oneshot
    from voiceslm.audio.io import check_output_path
    from voiceslm.config import is_language_code
    from voiceslm.errors import UserError

    loaded = load(args)
    if not is_language_code(args.lang):
        raise UserError(f"--lang {args.lang!r} is not a two-letter language code such as en or es.")
    text = oneshot.check_text(args.text, loaded.config.limits.max_text_chars)
    output = check_output_path(args.output)
    with open_engines(loaded) as engines:
        engines.check_installed(voice_languages=[args.lang])
        oneshot.check_speakable(engines, args.lang)
        started = time.perf_counter()
        engines.preload(voice_languages=[args.lang])
        load_time = time.perf_counter() - started
        reply = oneshot.speak(engines, text, args.lang, output)
    print_reply(reply, "Said", args.json, {"load": load_time})
    return 0
