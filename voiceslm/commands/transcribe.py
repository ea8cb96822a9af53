"""`voiceslm transcribe FILE`: print what was said."""

from __future__ import annotations

import argparse
import sys
import time

from voiceslm.commands.common import format_timings, load, open_engines, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("transcribe", help="print the transcript of a recording")
    parser.add_argument("file", help="recording (WAV, FLAC, MP3, OGG, or anything FFmpeg reads)")
    parser.add_argument(
        "--lang", type=str.lower, help="spoken language (ISO 639-1); default: detect among stt.languages"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from voiceslm import oneshot
    from voiceslm.audio.io import load_audio

    loaded = load(args)
    config = loaded.config
    audio = load_audio(args.file, max_seconds=config.limits.max_audio_seconds)
    with open_engines(loaded) as engines:
        engines.check_installed(stt_languages=[args.lang])
        started = time.perf_counter()
        stt = engines.stt(args.lang)
        load_time = time.perf_counter() - started
        transcript = oneshot.transcribe(engines, audio, args.lang)
    timings = {"load": load_time, "transcribe": transcript.elapsed_s}
    if args.json:
        print_json(
            {
                "text": transcript.text,
                "language": transcript.language,
                "language_probability": round(transcript.language_probability, 3),
                "duration_s": round(transcript.duration_s, 3),
                "model": stt.name,
                "timings": {k: round(v, 3) for k, v in timings.items()},
            }
        )
    else:
        print(transcript.text if transcript.text else "(no speech)")
        print(
            f"[{transcript.language} p={transcript.language_probability:.2f}, {transcript.duration_s:.1f} s of audio, "
            f"{stt.name}; {format_timings(timings)}]",
            file=sys.stderr,
        )
    return 0
