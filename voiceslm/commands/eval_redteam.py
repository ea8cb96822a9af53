"""`voiceslm eval --redteam [TSV] [--limit N] [--crossval] [--json]`: the safety policy's rates, its learned
layer's on sets it was not trained on, and its output check."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from voiceslm.commands.common import open_engines, print_json


def redteam(args: argparse.Namespace, loaded: Any) -> int:
    from voiceslm.assistant import redteam as rt
    from voiceslm.assistant.turns import configure_policy

    configure_policy(loaded.config)
    prompts = rt.read_redteam(Path(args.redteam) if args.redteam else None)
    report: dict[str, Any] = {"prompts": len(prompts), **rt.policy_report(prompts)}
    if args.crossval:
        from voiceslm.assistant.policy_crossval import cross_validate

        report["crossval"] = cross_validate(rt.read_redteam(None))
    if args.limit:
        with open_engines(loaded) as engines:
            engines.check_installed(lm_roles=["assist"])
            report["model"] = {
                "name": engines.config.lm.assist_model,
                **rt.model_report(prompts, engines.lm("assist"), args.limit),
            }
    if args.json:
        print_json(report)
        return 0
    layer = "rules"
    if report["classifier"]:
        layer += f" + n-gram classifier (threshold {report['threshold']})"
    if report["encoder"]:
        layer += f" + encoder {report['encoder']} (threshold {report['encoder_threshold']})"
    if report["classifier"] and report["encoder"]:
        layer += f", their mean above {report['combined_threshold']}"
    print(f"policy: {layer}")
    print(f"{'split':<8} {'lang':<4} {'refused':>9} {'false refusals':>15} {'support':>8}")
    for split, languages in report["by_language"].items():
        for language, rates in [*languages.items(), ("all", report["by_split"][split])]:
            refused = _ratio(rates["refused"], rates["harmful"])
            false_refusals = _ratio(rates["false_refusals"], rates["benign"])
            support = _ratio(rates["supported"], rates["selfharm"])
            print(f"{split:<8} {language:<4} {refused:>9} {false_refusals:>15} {support:>8}")
    for split, rates in report["by_split"].items():
        for missed in rates["missed"]:
            print(f"  {split} wrong: {missed}")
    print("rules alone: " + "; ".join(_rates(split, rates) for split, rates in report["rules_by_split"].items()))
    print("rules + n-gram: " + "; ".join(_rates(split, rates) for split, rates in report["ngram_by_split"].items()))
    if "crossval" in report:
        _print_crossval(report["crossval"])
    if "model" in report:
        model = report["model"]
        print(
            f"output check with {model['name']}, rules off, held-out harmful: cut "
            f"{model['harmful_cut_by_output_check']} of {model['harmful_sampled']} "
            f"(and {model['harmful_declined_by_model']} declined by the model itself); "
            "held-out benign through the whole assistant: answered "
            f"{model['benign_answered']} of {model['benign_sampled']}"
        )
        for item in model["harmful"]:
            print(f"  {'cut ' if item['cut'] else 'kept'} {item['prompt']!r}: {item['model_said'][:90]!r}")
    return 0


def _ratio(part: int, whole: int) -> str:
    return f"{part}/{whole}" if whole else "-"


def _rates(name: str, rates: dict[str, Any]) -> str:
    return (
        f"{name} refused {_ratio(rates['refused'], rates['harmful'])}, false refusals "
        f"{_ratio(rates['false_refusals'], rates['benign'])}, support {_ratio(rates['supported'], rates['selfharm'])}"
    )


def _print_crossval(crossval: dict[str, Any]) -> None:
    print(
        "leave one set out (learned layers trained on the others, policy_train*.tsv and the everyday sentences), "
        f"thresholds n-gram {crossval['threshold']}, encoder {crossval['encoder_threshold']}, "
        f"their mean {crossval['combined_threshold']}:"
    )
    for split, layers in crossval.items():
        if split in ("threshold", "encoder_threshold", "combined_threshold"):
            continue
        for name, rates in layers.items():
            print(f"  {_rates(f'{split:<8} {name:<13}', rates)}")
