"""`voiceslm summarize FILE`: a short spoken and printed summary of a private document."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from voiceslm.commands.common import load, open_engines


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("summarize", help="summarise a document (text, Markdown, PDF, DOCX, HTML) aloud")
    parser.add_argument("file", help="the document")
    parser.add_argument("--lang", type=str.lower, help="language of the summary (default: the document's own)")
    parser.add_argument("-o", "--output", help="WAV file for the spoken summary (default: <file>.summary.wav here)")
    parser.add_argument("--no-speech", action="store_true", help="print the summary without speaking it")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from voiceslm import oneshot
    from voiceslm.assistant import documents
    from voiceslm.assistant.sections import parts_of
    from voiceslm.assistant.summarize import document_language, summarize
    from voiceslm.audio.io import check_output_path
    from voiceslm.commands.doc_output import speak_and_print, translated
    from voiceslm.config import is_language_code
    from voiceslm.errors import UserError

    loaded = load(args)
    config = loaded.config
    if args.lang is not None and not is_language_code(args.lang):
        raise UserError(f"--lang {args.lang!r} is not a two-letter language code such as en or es.")
    output = (
        None
        if args.no_speech
        else check_output_path(args.output or f"{Path(args.file).stem}.summary.wav", (args.file,))
    )
    started = time.perf_counter()
    document = documents.read(config, args.file)
    if not any(part.sentences for part in parts_of(document)[0]):
        raise UserError(
            f"{args.file} has no sentences to summarise (only headings, or text addressed to an assistant);"
            " give a document with some text."
        )
    source = document_language(document.text)
    language = args.lang or source
    # The assistant model also retries a sentence the translator got wrong.
    roles = ["assist", "translate"] if language != source else ["assist"]
    timings = {"read": time.perf_counter() - started}
    with open_engines(loaded) as engines:
        engines.check_installed(lm_roles=roles, voice_languages=[language] if output else [])
        if output is not None:
            oneshot.check_speakable(engines, language)
        started = time.perf_counter()
        engines.preload(lm_roles=roles)
        timings["load"] = time.perf_counter() - started
        started = time.perf_counter()
        summary = summarize(engines.lm("assist"), document)
        timings["summarize"] = time.perf_counter() - started
        text = summary.text
        if language != source:
            started = time.perf_counter()
            text = translated(engines, text, source, language)
            timings["translate"] = time.perf_counter() - started
        details = {"file": str(document.path), "kind": document.kind, "document_language": source, **summary.as_dict()}
        speak_and_print(engines, text, language, output, "Summary", args.json, details, timings)
    return 0
