"""`voiceslm eval`: score transcription on recordings or translation on sentence pairs."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from voiceslm.commands.common import load, open_engines, print_json
from voiceslm.commands.eval_suite import engines_for_lm, lm_names, routes, suite, voice_table


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="score the system on recordings (--manifest) or sentence pairs (--pairs)",
        description="WER/CER on a manifest of recordings, or chrF/BLEU on sentence pairs.",
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--manifest", metavar="TSV", help="recordings: file, language, reference_text columns")
    what.add_argument("--pairs", metavar="TSV", help="sentence pairs: source<TAB>target lines")
    what.add_argument(
        "--suite",
        metavar="DIR",
        help="everything on a set laid out like eval/dev (manifest.tsv, text/*.eng-XXX.tsv): WER/CER, language "
        "identification within pairs, chrF/BLEU per direction, spoken intelligibility, assistant accuracy",
    )
    what.add_argument("--questions", metavar="TSV", nargs="?", const="", help="assistant accuracy on a question set")
    what.add_argument(
        "--redteam",
        metavar="TSV",
        nargs="?",
        const="",
        help="the safety policy on a red-team set (default: the packaged one): refusal, false-refusal and "
        "support rates per split and language; with --limit N, also the output check on N held-out prompts "
        "with the assistant model",
    )
    what.add_argument(
        "--documents", metavar="DIR", nargs="?", const="", help="summary facts kept and document answers right"
    )
    what.add_argument(
        "--voices",
        metavar="DIR",
        help="spoken intelligibility (CER) and speed of every installed voice per language, on the text of a "
        "set laid out like eval/dev plus packaged it/pt sentences",
    )
    parser.add_argument(
        "--half",
        choices=("tune", "held-out", "all"),
        default="all",
        help="with --voices/--compare-voices/--routes: which half of the sentences or pairs, the half defaults are "
        "chosen on (tune) or the one kept apart (held-out) (default: %(default)s)",
    )
    parser.add_argument(
        "--lms",
        help="with --suite/--questions: comma-separated language models to compare, or 'offline' for every "
        "offline one installed (default: the configured ones)",
    )
    parser.add_argument(
        "--compare-voices", action="store_true", help="with --suite: score every installed voice per language"
    )
    parser.add_argument(
        "--noise",
        action="store_true",
        help="with --manifest: mix each speech clip with the manifest's noise clips at --snr and score WER with and "
        "without each noise suppressor",
    )
    parser.add_argument(
        "--snr", default="0,5,10", help="with --noise: signal-to-noise ratios in dB (default: %(default)s)"
    )
    parser.add_argument(
        "--suppressors",
        help="with --noise: suppressors to compare, of webrtc, webrtc-0..3, rnnoise (default: every one installed)",
    )
    parser.add_argument(
        "--routes", action="store_true", help="with --pairs/--suite: score every translation route installed here"
    )
    parser.add_argument("--lang", type=str.lower, help="with --manifest/--voices: only this language")
    parser.add_argument(
        "--detect", action="store_true", help="with --manifest: detect each clip's language (scores LID too)"
    )
    parser.add_argument(
        "--src", type=str.lower, default="en", help="with --pairs: language of the first column (default: %(default)s)"
    )
    parser.add_argument("--tgt", type=str.lower, help="with --pairs: language of the second column")
    parser.add_argument(
        "--limit", type=int, help="with --pairs/--suite: only the first N pairs of each file; with --redteam: see there"
    )
    parser.add_argument(
        "--crossval",
        action="store_true",
        help="with --redteam: leave-one-set-out figures of the learned policy layer (trained on all packaged "
        "sets but one, tested on that one): rules alone, classifier alone, both",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on the last line of stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from voiceslm.errors import UserError

    if args.pairs and not args.tgt:
        raise UserError("--pairs needs --tgt, the language of the second column (e.g. --tgt es).")
    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit must be at least 1, not {args.limit}.")
    loaded = load(args)
    if args.redteam is not None:
        from voiceslm.commands.eval_redteam import redteam

        return redteam(args, loaded)
    with open_engines(loaded) as engines:
        if args.manifest and args.noise:
            return _noise(args, engines)
        if args.manifest:
            return _transcription(args, engines)
        if args.pairs:
            return _translation(args, engines)
        if args.questions is not None:
            return _questions(args, engines)
        if args.documents is not None:
            from voiceslm.commands import eval_documents

            return eval_documents.run(args, engines)
        if args.voices:
            return _voices(args, engines, Path(args.voices))
        return suite(args, engines)


def _noise(args: argparse.Namespace, engines) -> int:  # noqa: ANN001
    from voiceslm.errors import UserError
    from voiceslm.eval import noise as noise_eval
    from voiceslm.eval import scoring as evaluate

    try:
        snrs = [float(v) for v in args.snr.split(",") if v.strip()]
    except ValueError:
        raise UserError(f"--snr {args.snr!r} is not a list of decibels such as 0,5,10.") from None
    clips = evaluate.read_manifest(Path(args.manifest))
    if args.lang:
        clips = [c for c in clips if c.language in (args.lang, "none")]
    engines.check_installed(stt_languages={c.language for c in clips if c.language != "none"})

    def progress(row: dict) -> None:
        if not args.json:
            print(f"  {row['file']} {row['condition']} {row['noise']} [{row['suppressor']}] WER {row['wer']:.2f}: "
                  f"{row['hypothesis']!r}", file=sys.stderr)  # fmt: skip

    from voiceslm.audio.denoise import available

    chosen = args.suppressors.split(",") if args.suppressors else available()
    suppressors = [name.strip() for name in chosen if name.strip()]
    report = noise_eval.evaluate_noise(engines, clips, snrs=snrs, suppressors=suppressors, progress=progress)
    if args.json:
        print_json({"noise": {"conditions": report.snrs, "wer": report.wer, "rows": report.rows}})
        return 0
    print("WER by signal-to-noise ratio (rows: suppressor)")
    print("suppressor".ljust(12) + "".join(c.rjust(9) for c in report.snrs))
    for name in report.suppressors:
        print(name.ljust(12) + "".join(f"{report.wer[name][c]:9.3f}" for c in report.snrs))
    return 0


def _transcription(args: argparse.Namespace, engines) -> int:  # noqa: ANN001
    from voiceslm.eval import scoring as evaluate

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
    from voiceslm.eval import scoring as evaluate

    pairs = evaluate.read_pairs(Path(args.pairs), args.limit)
    if args.routes:
        return routes(args, engines, {f"{args.src}->{args.tgt}": (args.src, args.tgt, pairs)})
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


def _questions(args: argparse.Namespace, engines) -> int:  # noqa: ANN001
    from voiceslm.eval import scoring as evaluate

    questions = evaluate.read_questions(Path(args.questions) if args.questions else None)
    reports = []
    for name in lm_names(args, engines):
        engines.store.require(name)
        with engines_for_lm(engines, name) as lm_engines:
            reports.append(evaluate.evaluate_assistant(lm_engines, questions))
    if args.json:
        print_json([dataclasses.asdict(r) for r in reports])
        return 0
    for report in reports:
        print(_assistant_line(report))
    return 0


def _assistant_line(report) -> str:  # noqa: ANN001
    categories = ", ".join(f"{c} {a:.0%}" for c, a in report.per_category.items())
    return (
        f"{report.model}: {report.correct}/{report.questions} correct ({report.accuracy:.0%}; {categories}); "
        f"median {report.median_seconds:.2f} s per answer"
    )


def _voices(args: argparse.Namespace, engines, root: Path) -> int:  # noqa: ANN001
    from voiceslm.errors import UserError
    from voiceslm.eval import voices as voice_eval

    if not (root / "text").is_dir():
        raise UserError(f"{root} has no text/ folder; give a set laid out like eval/dev.")
    engines.check_installed(stt_languages=[None])

    def progress(score: voice_eval.VoiceScore) -> None:
        if not args.json:
            print(f"  {score.language} {score.voice}: CER {score.cer:.3f} RTF {score.rtf:.4f}", file=sys.stderr)

    texts = voice_eval.sentences(root, args.half)
    if args.lang:
        if args.lang not in texts:
            raise UserError(f"{root} has no sentences in {args.lang!r}; choose one of {', '.join(sorted(texts))}.")
        texts = {args.lang: texts[args.lang]}
    scores = voice_eval.compare_voices(engines, texts, progress)
    rows = [{**dataclasses.asdict(s), "rtf": s.rtf} for s in scores]
    if args.json:
        print_json({"set": str(root), "half": args.half, "voices": rows})
        return 0
    print(f"Set: {root} ({args.half} sentences)")
    print(voice_table(rows))
    return 0
