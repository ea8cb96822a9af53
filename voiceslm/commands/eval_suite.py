"""`voiceslm eval --suite DIR`: everything on a set laid out like eval/dev, and the comparisons it shares
with the single-measure runs (every route, every language model, every voice)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from voiceslm.commands.common import print_json

# --half as route_eval counts it: the first half of each file chooses, the second is held out.
ROUTE_HALVES = {"all": None, "tune": 1, "held-out": 2}


def lm_names(args: argparse.Namespace, engines) -> list[str]:  # noqa: ANN001
    if not args.lms:
        return list(dict.fromkeys([engines.config.lm.translate_model, engines.config.lm.assist_model]))
    if args.lms == "offline":
        from voiceslm.models.catalog import CATALOG

        return [e.name for e in CATALOG if e.role == "lm" and e.offline and engines.store.is_installed(e.name)]
    return [name.strip() for name in args.lms.split(",") if name.strip()]


def engines_for_lm(engines, name: str):  # noqa: ANN001, ANN202
    """Engines that use `name` for both translating and answering, sharing the store."""
    import dataclasses

    from voiceslm.engines.registry import Engines

    config = engines.config
    lm = dataclasses.replace(config.lm, translate_model=name, assist_model=name)
    translate = dataclasses.replace(config.translate, engine="lm", engines={})
    return Engines(dataclasses.replace(config, lm=lm, translate=translate), engines.store)


def routes(args: argparse.Namespace, engines, sets: dict) -> int:  # noqa: ANN001
    """Every route per direction: chrF, BLEU, sentences per second."""
    from voiceslm.eval import routes as route_eval

    rows = []
    for label, (src, tgt, pairs) in sets.items():
        chosen = route_eval.half(pairs, ROUTE_HALVES[args.half])
        print(f"  {label}: {len(chosen)} pairs", file=sys.stderr)
        for report in route_eval.evaluate_routes(engines, chosen, src, tgt):
            rows.append({"set": label, **dataclasses.asdict(report)})
    if args.json:
        print_json(rows)
        return 0
    part = {"all": "all pairs", "tune": "first half", "held-out": "second half (held out)"}[args.half]
    print(f"Translation routes ({part})")
    print("| set | route | sentences | chrF | BLEU | sentences/s |\n|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['set']} | {row['model']} | {row['sentences']} | {row['chrf']:.1f} | {row['bleu']:.1f} "
            f"| {row['sentences_per_second']:.1f} |"
        )
    return 0


LANGUAGE_CODES = {"eng": "en", "spa": "es", "deu": "de", "fra": "fr", "ita": "it", "por": "pt"}


def suite(args: argparse.Namespace, engines) -> int:  # noqa: ANN001
    from voiceslm.errors import UserError
    from voiceslm.eval import scoring as evaluate

    root = Path(args.suite)
    if args.routes:
        return routes(args, engines, _route_sets(root, args.limit))
    manifest = root / "manifest.tsv"
    if not manifest.is_file():
        raise UserError(f"{root} has no manifest.tsv; give a folder laid out like the eval/dev set.")
    limit = args.limit or 20
    clips = evaluate.read_manifest(manifest)
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr))
    result: dict[str, object] = {"set": str(root), "limit": limit}

    log("transcription...")
    transcription = evaluate.evaluate_transcription(engines, clips)
    result["transcription"] = {
        "per_language": transcription.per_language,
        "false_speech": transcription.false_speech,
        "no_speech_clips": transcription.no_speech_clips,
        "rtf": transcription.rtf,
    }
    log("language identification within pairs...")
    result["language_id"] = dataclasses.asdict(evaluate.evaluate_language_id(engines, clips))

    pair_files = sorted((root / "text").glob("*.eng-*.tsv"))
    log("spoken intelligibility...")
    sentences: dict[str, list[str]] = {}
    for clip in clips:
        if clip.language != "none":
            sentences.setdefault(clip.language, []).append(clip.reference)
    for path in pair_files:
        other = LANGUAGE_CODES.get(path.name.rsplit(".", 2)[-2].split("-")[-1])
        if other and "tatoeba" in path.name:
            pairs = evaluate.read_pairs(path, 5)
            sentences.setdefault("en", []).extend(en for en, _ in pairs)
            sentences.setdefault(other, []).extend(x for _, x in pairs)
    rows = evaluate.evaluate_intelligibility(engines, sentences)
    result["intelligibility"] = [dataclasses.asdict(r) for r in rows]
    if args.compare_voices:
        from voiceslm.eval import voices as voice_eval

        log("every installed voice...")
        scores = voice_eval.compare_voices(engines, voice_eval.sentences(root, args.half))
        result["voices"] = [{**dataclasses.asdict(s), "rtf": s.rtf} for s in scores]

    questions = evaluate.read_questions()
    per_lm = {}
    for name in lm_names(args, engines):
        engines.store.require(name)
        log(f"language model {name}: translation and questions...")
        with engines_for_lm(engines, name) as lm_engines:
            directions = {}
            for path in pair_files:
                other = LANGUAGE_CODES.get(path.name.rsplit(".", 2)[-2].split("-")[-1])
                if not other:
                    continue
                pairs = evaluate.read_pairs(path, limit)
                corpus = path.name.split("_")[0]
                for src, tgt, data in (("en", other, pairs), (other, "en", [(b, a) for a, b in pairs])):
                    report = evaluate.evaluate_translation(lm_engines, data, src, tgt)
                    directions[f"{corpus} {src}->{tgt}"] = {
                        "chrf": report.chrf,
                        "bleu": report.bleu,
                        "sentences": report.sentences,
                        "sentences_per_second": report.sentences_per_second,
                        "median_first_token_s": report.median_first_token_s,
                    }
            assistant = evaluate.evaluate_assistant(lm_engines, questions)
        per_lm[name] = {"translation": directions, "assistant": dataclasses.asdict(assistant)}
    result["language_models"] = per_lm

    if args.json:
        print_json(result)
        return 0
    _print_suite(result)
    return 0


def _route_sets(root: Path, limit: int | None) -> dict:
    """Both directions of every text/*.XXX-YYY.tsv file of a set."""
    from voiceslm.eval import scoring as evaluate

    sets = {}
    for path in sorted((root / "text").glob("*.*-*.tsv")):
        left, _, right = path.name.rsplit(".", 2)[-2].partition("-")
        source, target = LANGUAGE_CODES.get(left), LANGUAGE_CODES.get(right)
        if source and target:
            pairs = evaluate.read_pairs(path, limit)
            corpus = path.name.split("_")[0].split(".")[0]
            sets[f"{corpus} {source}->{target}"] = (source, target, pairs)
            sets[f"{corpus} {target}->{source}"] = (target, source, [(b, a) for a, b in pairs])
    return sets


def _print_suite(result: dict) -> None:
    print(f"Set: {result['set']}")
    print("\nTranscription (configured models; language given)")
    print("| language | clips | WER | CER | RTF |\n|---|---|---|---|---|")
    for lang, row in result["transcription"]["per_language"].items():
        print(f"| {lang} | {row['clips']:.0f} | {row['wer']:.3f} | {row['cer']:.3f} | {row['rtf']:.3f} |")
    t = result["transcription"]
    print(f"\nNo-speech clips that produced text: {t['false_speech']} of {t['no_speech_clips']}")
    lid = result["language_id"]
    print("\nLanguage identification within a pair (clips up to 6 s)")
    print("| pair | clips | accuracy |\n|---|---|---|")
    for pair, row in lid["per_pair"].items():
        print(f"| {pair} | {row['clips']:.0f} | {row['accuracy']:.2f} |")
    print(f"| all | | {lid['accuracy']:.2f} |")
    print("\nSpoken intelligibility (speak, transcribe back with the multilingual model)")
    print("| language | voice | sentences | CER | WER |\n|---|---|---|---|---|")
    for row in result["intelligibility"]:
        print(f"| {row['language']} | {row['voice']} | {row['sentences']} | {row['cer']:.3f} | {row['wer']:.3f} |")
    if "voices" in result:
        print("\nEvery installed voice (speak, transcribe back with the language given)")
        print(voice_table(result["voices"]))
    for name, data in result["language_models"].items():
        print(f"\nLanguage model {name}: translation (first {result['limit']} pairs per file)")
        print("| direction | chrF | BLEU | sentences/s | first token s |\n|---|---|---|---|---|")
        for direction, row in data["translation"].items():
            first = row["median_first_token_s"]
            first_text = f"{first:.2f}" if first is not None else "-"
            print(
                f"| {direction} | {row['chrf']:.1f} | {row['bleu']:.1f} "
                f"| {row['sentences_per_second']:.2f} | {first_text} |"
            )
        a = data["assistant"]
        cats = ", ".join(f"{c} {v:.0%}" for c, v in a["per_category"].items())
        print(
            f"Assistant: {a['correct']}/{a['questions']} ({a['accuracy']:.0%}; {cats}); "
            f"median {a['median_seconds']:.2f} s"
        )


def voice_table(rows: list[dict]) -> str:
    lines = ["| language | voice | licence | sentences | CER | WER | synthesis RTF |", "|---|---|---|---|---|---|---|"]
    lines += [
        f"| {r['language']} | {r['voice']} | {r['license']} | {r['sentences']} | {r['cer']:.3f} | {r['wer']:.3f} "
        f"| {r['rtf']:.4f} |"
        for r in rows
    ]
    return "\n".join(lines)
