"""`voiceslm bench`: latency of the live pipeline on real recordings played in real time."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from voiceslm.commands.common import load
from voiceslm.errors import UserError

# The project's own test recordings, when run from a source checkout.
DEFAULT_MANIFEST = Path(__file__).resolve().parents[2] / "tests" / "data" / "manifest.tsv"
# The shared development set next to a checkout, when there is one (the speech soak's clips).
DEV_MANIFEST = Path(__file__).resolve().parents[3] / "shared" / "eval" / "dev" / "manifest.tsv"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "bench",
        help="measure live latency (end of speech to first audio, ...) on recordings played in real time",
        description=(
            "Play each recording of a manifest at real-time pace through the full live pipeline and report, per "
            "clip and as p50/p90: end of speech to first reply audio, end of speech to transcript, first to last "
            "reply audio, peak RSS and CPU time. --via pulse plays them into the PulseAudio virtual microphone "
            "(scripts/pulse.sh start) instead of a recording input."
        ),
    )
    parser.add_argument("--mode", choices=("translate", "assist", "transcribe"), default="translate")
    parser.add_argument(
        "--from", type=str.lower, dest="source", metavar="LANG", default="en", help='spoken language or "auto"'
    )
    parser.add_argument(
        "--to", type=str.lower, dest="target", metavar="LANG", help="language to translate into (translate.target)"
    )
    parser.add_argument("--manifest", type=Path, help="TSV with file, language, reference_text columns")
    parser.add_argument("--via", choices=("file", "pulse"), default="file", help="how the clips reach the pipeline")
    parser.add_argument("--limit", type=int, help="only the first N clips")
    parser.add_argument(
        "--max-seconds", type=float, metavar="S", help="only clips at most S seconds long (short utterances)"
    )
    parser.add_argument(
        "--compare",
        choices=("wyoming",),
        help="also run the clips through Home Assistant's pipeline (wyoming-faster-whisper + wyoming-piper, "
        "the peers extra) on the same model files, and report both side by side (translate mode, via file)",
    )
    parser.add_argument(
        "--soak",
        action="store_true",
        help="start a daemon on the virtual devices and drive it through its control socket: --restarts pipeline "
        "rebuilds (reloads), then --switches mode switches; or with --minutes, speech played into the virtual "
        "microphone for that long; report RSS, threads and file descriptors",
    )
    parser.add_argument(
        "--minutes",
        type=float,
        metavar="M",
        help="with --soak: play English speech clips of --manifest (default: the shared dev set if present, else the "
        "test recordings) and silence into the virtual microphone for M minutes, with replies, barge-ins, a mode "
        "switch and a reload every few minutes and control traffic; report memory, threads, queues, drops, errors",
    )
    parser.add_argument("--restarts", type=int, default=10, metavar="N", help="pipeline restarts for --soak")
    parser.add_argument("--switches", type=int, default=50, metavar="M", help="mode switches for --soak")
    parser.add_argument(
        "--barge-in",
        action="store_true",
        help="open speakers: the virtual speaker looped back into the virtual microphone through a simulated "
        "room; count replies that trigger on their own echo, and interrupt long replies with the manifest's "
        "short English recordings (detected?, stop time, transcript); needs scripts/pulse.sh start",
    )
    parser.add_argument(
        "--echo",
        action="append",
        choices=("half-duplex", "aec", "pulse-aec"),
        help="--barge-in: the echo mode to measure (repeat for several; default: all three)",
    )
    parser.add_argument("--replies", type=int, default=20, metavar="N", help="--barge-in: replies (and interruptions)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=handle)


def soak(args: argparse.Namespace) -> int:
    from voiceslm.eval.soak import format_report as soak_report
    from voiceslm.eval.soak import run_soak

    if not os.environ.get("PULSE_SERVER"):
        raise UserError('--soak needs the virtual devices: run `eval "$(scripts/pulse.sh start)"` first.')
    if args.restarts < 0 or args.switches < 0:
        raise UserError("--restarts and --switches count steps; give 0 or more.")
    loaded = load(args, {"translate.target": args.target})
    base = [arg for value in args.set_values for arg in ("--set", value)]
    if args.models_dir:
        base += ["--models-dir", args.models_dir]
    config = {"audio": {"input_device": "vmic", "output_device": "vspeaker"}}
    target = loaded.config.translate.target

    def progress(line: str) -> None:
        print(f"  {line}", file=sys.stderr)  # on stderr, also with --json: a long soak shows how it goes

    if args.minutes is not None:
        return speech_soak(args, config, base, target, progress)
    report = run_soak(config, base, args.restarts, args.switches, target, progress)
    print(json.dumps(report.as_dict(), indent=2) if args.json else soak_report(report))
    return 0 if not report.errors else 1


def speech_soak(
    args: argparse.Namespace, config: dict[str, Any], base: list[str], target: str, progress: Callable[[str], None]
) -> int:
    from voiceslm.eval.soak_figures import format_speech_report
    from voiceslm.eval.soak_speech import run_speech_soak, speech_clips

    if args.minutes <= 0:
        raise UserError(f"--minutes must be above 0, not {args.minutes:g}; give how long to play speech.")
    manifest = args.manifest or next((m for m in (DEV_MANIFEST, DEFAULT_MANIFEST) if m.is_file()), None)
    if manifest is None:
        raise UserError("No recordings here (not a source checkout); give --manifest FILE.tsv with English speech.")
    clips = speech_clips(manifest)
    if not clips:
        raise UserError(f"{manifest} has no English speech clip of 12 s or less; give another --manifest.")
    if not args.json:
        print(f"  {len(clips)} clips from {manifest}", file=sys.stderr)
    report = run_speech_soak(config, base, args.minutes, target, clips, progress)
    print(json.dumps(report.as_dict(), indent=2) if args.json else format_speech_report(report))
    return 0 if not report.errors and not report.log_errors else 1


def handle(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit must be at least 1, not {args.limit}; give how many clips to play.")
    if args.soak:
        return soak(args)
    if args.barge_in:
        return handle_barge_in(args)
    if args.minutes is not None:
        raise UserError("--minutes is the length of a speech soak; add --soak.")
    overrides = {"translate.target": args.target}
    if args.via == "pulse":
        overrides |= {"audio.input_device": "vmic", "audio.output_device": "vspeaker"}
    loaded = load(args, overrides)
    from voiceslm.eval.bench import format_report, run_bench
    from voiceslm.eval.scoring import read_manifest

    manifest = args.manifest or DEFAULT_MANIFEST
    if args.manifest is None and not manifest.is_file():
        raise UserError("No default recordings here (not a source checkout); give --manifest FILE.tsv.")
    if args.via == "pulse" and not os.environ.get("PULSE_SERVER"):
        raise UserError('--via pulse needs the virtual devices: run `eval "$(scripts/pulse.sh start)"` first.')
    source = None if args.source == "auto" else args.source
    clips = read_manifest(manifest, source)
    if missing := next((clip.path for clip in clips if not clip.path.is_file()), None):
        raise UserError(f"Manifest {manifest} lists {missing.name}, which does not exist next to it; fix the path.")
    if args.max_seconds is not None:
        if args.max_seconds <= 0:
            raise UserError(f"--max-seconds must be above 0, not {args.max_seconds:g}; give the longest clip to play.")
        from voiceslm.audio.io import STT_SAMPLE_RATE, load_audio

        clips = [clip for clip in clips if load_audio(clip.path).size / STT_SAMPLE_RATE <= args.max_seconds]
        if not clips:
            raise UserError(f"No clip in {manifest} is {args.max_seconds:g} s or shorter; raise --max-seconds.")
    if args.limit:
        clips = clips[: args.limit]

    def progress(result: object) -> None:
        if not args.json:
            print(f"  {result.clip}: {result.error or result.transcript}", file=sys.stderr)  # type: ignore[attr-defined]

    if args.compare:
        from voiceslm.eval.bench_wyoming import compare_command

        return compare_command(args, loaded.config, clips, source)
    report = asyncio.run(
        run_bench(
            loaded.config,
            clips,
            mode=args.mode,
            source=source,
            target=args.target or loaded.config.translate.target,
            via=args.via,
            progress=progress,
        )
    )
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        print(format_report(report))
    return 0 if all(not c.error for c in report.clips) else 1


def handle_barge_in(args: argparse.Namespace) -> int:
    if args.replies < 1:
        raise UserError(f"--replies must be at least 1, not {args.replies}; give how many replies to speak.")
    if not os.environ.get("PULSE_SERVER"):
        raise UserError('--barge-in needs the virtual devices: run `eval "$(scripts/pulse.sh start)"` first.')
    loaded = load(args, {"translate.source": "en"})
    from voiceslm.eval.barge_in import MODES, interrupting_clips, run_barge_in
    from voiceslm.eval.barge_in_report import format_report
    from voiceslm.eval.scoring import read_manifest

    manifest = args.manifest or DEFAULT_MANIFEST
    if not manifest.is_file():
        raise UserError(f"No recordings at {manifest}; give --manifest FILE.tsv with English clips.")
    clips = interrupting_clips(read_manifest(manifest, "en"))
    report = asyncio.run(
        run_barge_in(
            loaded.config,
            clips,
            modes=tuple(dict.fromkeys(args.echo or MODES)),
            replies=args.replies,
            interruptions=args.replies,
            progress=lambda line: None if args.json else print(line, file=sys.stderr),
        )
    )
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        print(format_report(report))
    return 0 if all(not m.error for m in report.modes) else 1
