"""`voiceslm eval --documents [DIR]`: summaries' key facts and document answers, with their times."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from voiceslm.commands.common import print_json

PACKAGED = Path(__file__).resolve().parent.parent / "evalsets" / "documents"


def run(args: argparse.Namespace, engines: Any) -> int:
    from voiceslm.assistant import doceval

    folder = Path(args.documents) if args.documents else PACKAGED
    paths = doceval.document_sets(folder)
    engines.check_installed(lm_roles=["assist"])
    model = engines.lm("assist")
    scores = []
    for path in paths:
        score = doceval.score_document(model, path, engines.config).as_dict()
        scores.append(score)
        if args.json:
            continue
        print(f"{score['document']} [{engines.lm_model_name('assist')}]", file=sys.stderr)
        print(f"  summary ({score['summary_s']:.1f} s): {score['summary']}", file=sys.stderr)
        for item in score["answers"]:
            mark = "right" if item["right"] else "WRONG"
            print(f"  {mark}: {item['question']} -> {item['answer']}", file=sys.stderr)
        print(
            f"{score['document']}: key facts kept {score['facts_kept']}/{score['facts']} "
            f"in {score['summary_s']:.1f} s; "
            f"answers right {score['right']}/{score['questions']}, part named {score['part_right']}/"
            f"{score['answerable']}, {score['answer_s_mean']:.1f} s each"
        )
    if args.json:
        print_json({"model": engines.lm_model_name("assist"), "documents": scores})
    return 0
