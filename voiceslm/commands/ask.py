"""`voiceslm ask "question"`, `ask RECORDING` or `ask --doc FILE "question"`: answer in text and speech.

With `assistant.documents` set, a question the documents folder answers is answered from it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from voiceslm.commands import ask_documents
from voiceslm.commands.common import load, open_engines
from voiceslm.commands.reply_output import print_reply

AUDIO_SUFFIXES = {".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aac", ".webm", ".aiff", ".aif"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ask", help="answer a question, typed or spoken in a recording")
    parser.add_argument("question", help="the question as text, or a recording of it")
    parser.add_argument(
        "--doc", metavar="FILE", help="answer from this document (text, Markdown, PDF, DOCX, HTML), naming the part"
    )
    parser.add_argument(
        "--lang", type=str.lower, help="language of a typed question (default en); a spoken one is detected"
    )
    parser.add_argument(
        "-o", "--output", default="answer.wav", help="WAV file for the spoken answer (default: %(default)s)"
    )
    parser.add_argument("--no-speech", action="store_true", help="print the answer without speaking it")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(handler=run)


def is_recording(argument: str) -> bool:
    """Whether `argument` names a recording: an existing file, or a single word ending in an audio suffix.

    A question is never a path: one over the file-name limit, or with spaces that
    mentions "song.mp3", is text.
    """
    path = Path(argument)
    try:
        if path.is_file():
            return True
    except OSError:  # too long to be a file name
        return False
    return path.suffix.lower() in AUDIO_SUFFIXES and not any(ch.isspace() for ch in argument)


def run(args: argparse.Namespace) -> int:
    from voiceslm import oneshot
    from voiceslm.assistant.turns import Assistant
    from voiceslm.audio.io import check_output_path, load_audio
    from voiceslm.config import is_language_code
    from voiceslm.errors import UserError
    from voiceslm.models.catalog import WHISPER_LANGUAGES

    loaded = load(args)
    config = loaded.config
    if args.lang is not None and not is_language_code(args.lang):
        raise UserError(f"--lang {args.lang!r} is not a two-letter language code such as en or es.")
    if args.lang is not None and args.lang not in WHISPER_LANGUAGES:
        raise UserError(f"--lang {args.lang!r} is not a language voiceslm knows; give one such as en, es or ja.")
    if args.doc is not None:
        return ask_documents.run_doc(args, loaded)
    output = None if args.no_speech else check_output_path(args.output, (args.question,))
    spoken = is_recording(args.question)
    audio = load_audio(args.question, max_seconds=config.limits.max_audio_seconds) if spoken else None
    question = None if spoken else oneshot.check_text(args.question, config.limits.max_text_chars, "The question")
    # Tools and declined requests are answered without the language model: it is not even loaded.
    lm_roles = ["assist"] if spoken or Assistant.needs_model(str(question), args.lang or "en") else []
    with open_engines(loaded) as engines:
        engines.check_installed(stt_languages=[args.lang] if spoken else [], lm_roles=lm_roles)
        started = time.perf_counter()
        engines.preload(lm_roles=lm_roles)
        load_time = time.perf_counter() - started
        transcript = None
        transcribe_time = 0.0
        language = args.lang or "en"
        if audio is not None:
            t0 = time.perf_counter()
            transcript = oneshot.transcribe(engines, audio, args.lang)
            if transcript.no_speech:
                raise UserError(
                    f"No speech was heard in {args.question}; record the question again, closer to the microphone."
                )
            question, language = transcript.text, transcript.language
            transcribe_time = time.perf_counter() - t0
        if output is not None:
            oneshot.check_speakable(engines, language)
        # The safety policy and the tools come before the documents: a harmful request is declined
        # however it is phrased, and "what time is it" is not looked up in the files.
        found = None
        if Assistant.needs_model(str(question), language):
            found = ask_documents.answer_from_folder(engines, loaded, str(question), language)
        if found is not None:
            reply = oneshot.speak(engines, found.text, language, output)
            reply.transcript, reply.note = transcript, f"answered from the documents folder ({found.how})"
        else:
            reply = oneshot.answer(engines, str(question), language, output, transcript)
    timings = {"load": load_time}
    if transcript is not None:
        timings["transcribe"] = transcribe_time
    print_reply(reply, "Answer", args.json, timings)
    return 0
