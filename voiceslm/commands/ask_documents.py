"""The document side of `voiceslm ask`: `--doc FILE`, and the documents folder when it is set."""

from __future__ import annotations

import argparse
import time
from typing import Any

from voiceslm.config import LoadedConfig


def run_doc(args: argparse.Namespace, loaded: LoadedConfig) -> int:
    """`ask --doc FILE "question"`: the question is always text, the file always a document."""
    from voiceslm import oneshot
    from voiceslm.assistant import documents
    from voiceslm.audio.io import check_output_path
    from voiceslm.commands.common import open_engines
    from voiceslm.commands.doc_output import speak_and_print

    config = loaded.config
    language = args.lang or "en"
    output = None if args.no_speech else check_output_path(args.output, (args.doc,))
    question = oneshot.check_text(args.question, config.limits.max_text_chars, "The question")
    started = time.perf_counter()
    document = documents.read(config, args.doc)
    timings = {"read": time.perf_counter() - started}
    with open_engines(loaded) as engines:
        engines.check_installed(lm_roles=["assist"], voice_languages=[language] if output else [])
        if output is not None:
            oneshot.check_speakable(engines, language)
        started = time.perf_counter()
        engines.preload(lm_roles=["assist"])
        timings["load"] = time.perf_counter() - started
        started = time.perf_counter()
        answer = documents.answer_file(engines.lm("assist"), document, question, language)
        timings["answer"] = time.perf_counter() - started
        details = {"file": str(document.path), **answer.as_dict()}
        speak_and_print(engines, answer.text, language, output, "Answer", args.json, details, timings)
    return 0


def answer_from_folder(engines: Any, loaded: LoadedConfig, question: str, language: str) -> Any:
    """A DocAnswer when the documents folder is set and a passage in it is about the question; else None.

    A question the documents are about but do not answer gets "the document does not say", never
    the model's guess about the user's own affairs; a question they are not about goes to the model.
    """
    from voiceslm.assistant import documents

    if not loaded.config.assistant.documents:
        return None
    answer = documents.answer_from_folder(engines.lm("assist"), loaded.config, question, language)
    return answer if answer.matched else None
