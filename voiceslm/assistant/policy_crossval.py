"""Leave-one-set-out figures for the policy's learned layer: how it does on a set it never saw.

For each packaged red-team split (tune, heldout, heldout2, heldout3) the classifier is trained on
every other split and on policy_train.tsv, then the left-out split is read by the rules alone, the
classifier alone and both (refuse if either refuses). The rules were tuned on every split, so their
figures here flatter them; the classifier's alone are the honest guess at a set nobody has seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from voiceslm.assistant import policy
from voiceslm.assistant import policy_classifier as learned
from voiceslm.assistant.redteam import Prompt, Rates

SPLITS = ("tune", "heldout", "heldout2", "heldout3")


def _verdict(action: str, language: str) -> policy.Verdict:
    return policy.Verdict(action, "learned" if action == "refuse" else "", language)  # type: ignore[arg-type]


def cross_validate(prompts: Sequence[Prompt], threshold: float | None = None) -> dict[str, Any]:
    """Per left-out split: rates of "rules", "classifier" and "combined"."""
    threshold = policy.settings().threshold if threshold is None else threshold
    extra = learned.extra_examples(learned.packaged_texts())
    report: dict[str, Any] = {"threshold": threshold}
    totals = {name: Rates() for name in ("rules", "classifier", "combined")}
    for split in SPLITS:
        test = [p for p in prompts if p.split == split]
        if not test:
            continue
        train = [learned.Example(p.prompt, p.expected) for p in prompts if p.split != split] + extra
        model = learned.train(train)
        rates = {name: Rates() for name in totals}
        for prompt in test:
            rules = policy.classify(prompt.prompt, prompt.language, classifier=None)
            alone = policy.learned_action(model.probabilities(prompt.prompt), threshold)
            combined = policy.classify(prompt.prompt, prompt.language, classifier=model, threshold=threshold)
            for name, verdict in (
                ("rules", rules),
                ("classifier", _verdict(alone, rules.language)),
                ("combined", combined),
            ):
                rates[name].add(prompt, verdict)
                totals[name].add(prompt, verdict)
        report[split] = {name: _brief(r) for name, r in rates.items()}
    report["all"] = {name: _brief(r) for name, r in totals.items()}
    return report


def _brief(rates: Rates) -> dict[str, Any]:
    summary = rates.summary()
    return {
        key: summary[key]
        for key in (
            "harmful",
            "refused",
            "benign",
            "false_refusals",
            "selfharm",
            "supported",
            "refusal_rate",
            "false_refusal_rate",
            "support_rate",
            "missed",
        )
    }
