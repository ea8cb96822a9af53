"""Speaking and printing what `summarize` and `ask --doc` made from a document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from voiceslm.commands.common import format_timings, print_json


def speak_and_print(
    engines: Any,
    text: str,
    language: str,
    output: Path | None,
    label: str,
    as_json: bool,
    details: dict[str, Any],
    timings: dict[str, float],
) -> None:
    """Speak `text` into `output` (unless None), then print it, or one JSON object with `details`."""
    from voiceslm import oneshot

    reply = oneshot.speak(engines, text, language, output)
    all_timings = {**timings, **reply.timings}
    if as_json:
        data = {**reply.as_dict(), **details}
        data["timings"] = {k: round(v, 3) for k, v in all_timings.items()}
        print_json(data)
        return
    print(f"{label} ({language}): {text}")
    for note in details.get("notes", []):
        print(f"Note: {note}")
    if reply.audio_path is not None:
        print(f"Audio: {reply.audio_path} ({reply.audio_seconds:.1f} s)")
    print(f"Timings: {format_timings(all_timings)}")


def translated(engines: Any, text: str, source: str, target: str) -> str:
    """`text` in `target`, a sentence at a time (the small translator is surest on one sentence).

    A sentence whose translation loses a number or a name is translated again by
    the assistant model, and kept as it was if that loses it too: a summary in
    the wrong language is better than one with a wrong fact.
    """
    from voiceslm.text import split_sentences

    out = []
    for sentence in split_sentences(text):
        for role in ("translate", "assist"):
            attempt = "".join(engines.lm(role).translate(sentence, source, target)).strip()
            if attempt and _keeps_facts(sentence, attempt):
                break
        else:
            attempt = sentence
        out.append(attempt)
    return " ".join(out)


def _keeps_facts(sentence: str, translation: str) -> bool:
    """Its numbers all there, and a word of each name (month names and organisations' words may be translated)."""
    from voiceslm.assistant import evidence

    if not evidence.numbers(sentence) <= evidence.numbers(translation):
        return False
    lowered = translation.lower()
    names = [[w for w in name.lower().split() if w not in evidence.MONTHS] for name in evidence.names(sentence)]
    return all(any(word in lowered for word in name) for name in names if name)
