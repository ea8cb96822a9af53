"""`voiceslm eval`: score transcription on recordings or translation on sentence pairs."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from voiceslm.commands.common import load, open_engines, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="score the system on recordings (--manifest) or sentence pairs (--pairs)",
        description="WER/CER on a manifest of recordings, or chrF/BLEU on sentence pairs.",
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--manifest", metavar="TSV", help="recordings: file, language, reference_text columns")
    what.add_argument("--pairs", metavar="TSV", help="sentence pairs: source<TAB>target lines")
    parser.add_argument("--lang", help="with --manifest: only clips in this language")
    parser.add_argument(
        "--detect", action="store_true", help="with --manifest: detect each clip's language (scores LID too)"
    )
    parser.add_argument("--src", default="en", help="with --pairs: language of the first column (default: %(default)s)")
    parser.add_argument("--tgt", help="with --pairs: language of the second column")
    parser.add_argument("--limit", type=int, help="with --pairs: only the first N pairs")
    parser.add_argument("--json", action="store_true", help="print one JSON object on the last line of stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from voiceslm.errors import UserError

    if args.pairs and not args.tgt:
        raise UserError("--pairs needs --tgt, the language of the second column (e.g. --tgt es).")
    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit must be at least 1, not {args.limit}.")
    loaded = load(args)
    with open_engines(loaded) as engines:
        if args.manifest:
            return _transcription(args, engines)
        return _translation(args, engines)


def _transcription(args: argparse.Namespace, engines) -> int:  # noqa: ANN001
    from voiceslm import evaluate

    clips = evaluate.read_manifest(Path(args.manifest), args.lang)
    languages = {None if args.detect else c.language for c in clips if c.language != "none"}
    engines.check_installed(stt_languages=languages | {None})

    def progress(result: evaluate.ClipResult) -> None:
        if args.json:
            return
        if result.error:
            print(f"  {result.file}: skipped: {result.error}", file=sys.stderr)
            return
        score = f"WER {result.wer:.2f} CER {result.cer:.2f}" if result.wer is not None else "no-speech clip"
        print(f"  {result.file} [{result.model}] {score}: {result.hypothesis!r}", file=sys.stderr)

    report = evaluate.evaluate_transcription(engines, clips, detect_language=args.detect, progress=progress)
    if args.json:
        print_json(dataclasses.asdict(report))
        return 0
    print(f"{'language':<9} {'clips':>5} {'WER':>6} {'CER':>6} {'RTF':>6}")
    for language, row in report.per_language.items():
        print(f"{language:<9} {row['clips']:>5.0f} {row['wer']:>6.3f} {row['cer']:>6.3f} {row['rtf']:>6.3f}")
    print(f"no-speech clips that produced text: {report.false_speech} of {report.no_speech_clips}")
    if report.language_id_accuracy is not None:
        print(f"language identification accuracy: {report.language_id_accuracy:.3f}")
    print(f"real-time factor (all clips): {report.rtf:.3f}")
    skipped = [c for c in report.clips if c.error]
    if skipped:
        print(f"skipped clips: {len(skipped)} ({', '.join(c.file for c in skipped)})")
    return 0


def _translation(args: argparse.Namespace, engines) -> int:  # noqa: ANN001
    from voiceslm import evaluate

    pairs = evaluate.read_pairs(Path(args.pairs), args.limit)
    engines.check_installed(lm_roles=["translate"])

    def progress(done: int) -> None:
        if not args.json and (done % 10 == 0 or done == len(pairs)):
            print(f"  translated {done}/{len(pairs)}", file=sys.stderr)

    report = evaluate.evaluate_translation(engines, pairs, args.src, args.tgt, progress)
    if args.json:
        print_json(dataclasses.asdict(report))
        return 0
    print(f"{report.source}->{report.target} with {report.model} on {report.sentences} sentences:")
    print(f"chrF {report.chrf:.1f}  BLEU {report.bleu:.1f}  {report.sentences_per_second:.2f} sentences/s")
    if report.median_first_token_s is not None:
        print(f"median time to first token: {report.median_first_token_s:.3f} s")
    for source, reference, hypothesis in report.samples[:3]:
        print(f"  {source}\n    ref: {reference}\n    hyp: {hypothesis}")
    return 0
