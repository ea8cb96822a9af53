"""Leave-one-set-out figures for the policy's learned layers: how they do on a set they never saw.

For each packaged red-team split (tune, heldout, heldout2 to heldout15)
the n-gram classifier and
the sentence encoder's head are trained on every other split, policy_train*.tsv and the everyday
sentences, then the left-out split is read by the rules alone, the rules with the n-gram layer, the rules
with the encoder, and all three (as `policy.classify` combines them). The rules were tuned on every split,
so their figures here flatter them; the learned layers' gain over the rules is the honest guess at a set
nobody has seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from voiceslm.assistant import policy
from voiceslm.assistant import policy_classifier as learned
from voiceslm.assistant import policy_encoder as meaning
from voiceslm.assistant.redteam import Prompt, Rates, split_order

LAYERS = ("rules", "rules+ngram", "rules+encoder", "all")


def cross_validate(
    prompts: Sequence[Prompt],
    threshold: float | None = None,
    encoder_threshold: float | None = None,
    encoder: meaning.Encoder | None = None,
    combined_threshold: float | None = None,
) -> dict[str, Any]:
    """Per left-out split: rates of each of LAYERS ("rules+encoder" and "all" need `encoder`, by default the
    configured one; without it they are left out)."""
    settings = policy.settings()
    threshold = settings.threshold if threshold is None else threshold
    encoder_threshold = settings.encoder_threshold if encoder_threshold is None else encoder_threshold
    combined_threshold = settings.combined_threshold if combined_threshold is None else combined_threshold
    if encoder is None and settings.encoder and settings.store is not None:
        head = meaning.default_head(settings.store, settings.encoder)
        encoder = head.encoder if head is not None else None
    layers = LAYERS if encoder is not None else LAYERS[:2]
    extra = learned.extra_examples(learned.packaged_texts())
    report: dict[str, Any] = {
        "threshold": threshold,
        "encoder_threshold": encoder_threshold,
        "combined_threshold": combined_threshold,
    }
    totals = {name: Rates() for name in layers}
    for split in sorted({p.split for p in prompts}, key=split_order):
        test = [p for p in prompts if p.split == split]
        train = [learned.Example(p.prompt, p.expected) for p in prompts if p.split != split] + extra
        ngram = learned.train(train)
        head = meaning.train(encoder, train) if encoder is not None else None
        models = {
            "rules": (None, None),
            "rules+ngram": (ngram, None),
            "rules+encoder": (None, head),
            "all": (ngram, head),
        }
        rates = {name: Rates() for name in layers}
        for prompt in test:
            for name in layers:
                classifier, with_head = models[name]
                verdict = policy.classify(
                    prompt.prompt, prompt.language, classifier, threshold, with_head, encoder_threshold,
                    combined_threshold,
                )
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
