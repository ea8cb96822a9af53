"""Which sentences of a document its spoken summary keeps: about one for each section that matters.

A listener of a report's summary wants its decisions, numbers, who, what and
when, and its problems: and those sit in different sections. Picking the best
sentences of the whole document lets one rich section (the costs, the people
present) crowd out another (the problems, the decisions). So each section that
carries a fact first gives its best sentence; the room left under the length
limits then goes to the next fact-carrying sentences, wherever they are, that
say something not yet said. A document without headings is cut into parts of
similar length and treated the same way, so a long one is covered end to end.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from voiceslm.assistant import evidence
from voiceslm.assistant.readers import Document

MAX_ITEMS = 9
"""At most this many summary sentences: about one per section that matters, short enough to listen to."""
MAX_WORDS = 170
"""At most this many words of the document's own sentences in the summary (about a minute of speech)."""
PER_ITEM = 3
"""At most this many sentences of one section, joined into its one summary sentence."""
PART_CHARS = 1200
"""A document without headings is cut into parts of about this size (more for a long one)."""
MIN_FACT = 1.2
"""A sentence carries a fact when it has at least a number, a name, a date or a decision word."""

LABEL_WORDS = 6
"""A heading longer than this, once its number and date are left out, is not spoken: it would take the
room of a fact ("Item 1: Minutes of the previous meeting held on 15 October and matters arising")."""
PREAMBLE_WEIGHT = 0.5
"""The lines before a headed document's first section (its author, its date) come after every section's
best sentence, and count this much."""
_SALUTATION = re.compile(r"^(?:(?:dear|hi|hello|hey)\s+[^,.]{1,40},|(?:team|all|everyone),)\s*", re.IGNORECASE)
_DATE_WORDS = set(evidence.MONTHS) | {"on", "of", "the"}

DENSITY = 0.3
"""A section's first sentence is its best by score / words ** DENSITY: a long sentence must carry more to be
chosen over a short one, so the room left holds more of the other sentences."""
HEADING_WEIGHT = 2.0
"""A sentence that uses its section's heading words says what the section is about."""


@dataclass(frozen=True)
class Part:
    heading: str
    sentences: tuple[str, ...]


def parts_of(document: Document) -> tuple[list[Part], int]:
    """The document's sections (or parts of similar length), and how many orders to an assistant were left out."""
    from voiceslm.text import split_sentences

    sections: dict[str, list[str]] = {}
    dropped = 0
    for block in document.blocks:
        if block.heading:
            continue
        for sentence in split_sentences(block.text):
            sentence = _SALUTATION.sub("", sentence)
            if not sentence:
                continue
            if evidence.addressed_to_assistant(sentence):
                dropped += 1
            else:
                sections.setdefault(block.section, []).append(sentence)
    headed = [heading for heading in sections if heading]
    if len(headed) >= 2:
        return [Part(heading, tuple(found)) for heading, found in sections.items()], dropped
    everything = [sentence for found in sections.values() for sentence in found]
    return _by_length(everything), dropped


def notes_of(parts: list[Part]) -> list[str]:
    """The summary's notes: for each part it draws on, its chosen sentences, named by its heading when they
    do not say what they are about ("Garden and bicycle shed: The vote was postponed ...")."""
    return [_label(part, index, sentences) + " ".join(sentences) for index, part, sentences in choose(parts)]


def choose(parts: list[Part]) -> list[tuple[int, Part, list[str]]]:
    """For each part the summary draws on, its index and chosen sentences (in document order), in document order."""
    frequency = Counter(s for part in parts for sentence in part.sentences for s in evidence.stems(sentence))
    headed = len(parts) > 1 and all(part.heading for part in parts[1:])
    weights = [PREAMBLE_WEIGHT if headed and index == 0 else 1.0 for index in range(len(parts))]
    scored = [
        [(s, weight * _score(s, part.heading, frequency)) for s in part.sentences]
        for part, weight in zip(parts, weights, strict=True)
    ]
    carrying = [[(s, score) for s, score in part if evidence.fact_weight(s) >= MIN_FACT] for part in scored]
    chosen: dict[int, list[str]] = {}
    said: set[str] = set()
    words = 0

    def take(index: int, sentence: str) -> None:
        nonlocal words
        first = index not in chosen
        chosen.setdefault(index, []).append(sentence)
        said.update(_said(sentence))
        words += len(sentence.split()) + (len(_label(parts[index], index, [sentence]).split()) if first else 0)

    # First, each section's best sentence, the richest sections first while there is room.
    firsts = [
        (max(found, key=lambda pair: pair[1] / len(pair[0].split()) ** DENSITY), index)
        for index, found in enumerate(carrying)
        if found and weights[index] == 1.0
    ]
    for (sentence, _), index in sorted(firsts, key=lambda item: -item[0][1]):
        if len(chosen) < MAX_ITEMS and words + len(sentence.split()) <= MAX_WORDS:
            take(index, sentence)
    # Then the next sentences that say something new, in the sections already chosen.
    while True:
        candidates = [
            (score * _fresh(sentence, said) / len(sentence.split()) ** 0.5, index, sentence)
            for index, found in enumerate(carrying)
            if (index in chosen or (weights[index] < 1.0 and len(chosen) < MAX_ITEMS))
            and len(chosen.get(index, ())) < PER_ITEM
            for sentence, score in found
            if sentence not in chosen.get(index, ()) and words + len(sentence.split()) <= MAX_WORDS
        ]
        if not candidates:
            break
        value, index, sentence = max(candidates, key=lambda item: item[0])
        if value <= 0:
            break
        take(index, sentence)
    return [
        (index, parts[index], [s for s in parts[index].sentences if s in chosen[index]]) for index in sorted(chosen)
    ]


def _label(part: Part, index: int, sentences: list[str]) -> str:
    """ "Heading: " when the sentences leave out most of their section's heading words; nothing for the
    document's first part, whose heading is the title the listener chose the document by."""
    heading = _spoken_heading(part.heading)
    if index == 0 or not heading or evidence.coverage(heading, " ".join(sentences)) >= 0.5:
        return ""
    return f"{heading}: "


def _topic(heading: str) -> str:
    """A heading without its section number: "3. Roof repairs" is about "Roof repairs"."""
    return re.sub(r"^[\d.\s]+", "", heading).strip()


def _spoken_heading(heading: str) -> str:
    """What of a heading is said before its sentences: without its number ("Item 3:", "2."), without a part
    that is only a date ("Monday 2 November 2026, Baltic Mills to Sara Lind" -> "Baltic Mills to Sara Lind"),
    and nothing when that is still longer than LABEL_WORDS."""
    topic = re.sub(r"^(?:(?:item|section|part|point|chapter|annex|appendix)\s+)?[\dIVX]+[.:)\s-]*\s*", "", heading,
                   flags=re.IGNORECASE)
    topic = _topic(topic)
    pieces = [p.strip() for p in topic.split(",") if p.strip()]
    kept = [p for p in pieces if not all(w.lower() in _DATE_WORDS or w.isdigit() for w in re.findall(r"\w+", p))]
    spoken = ", ".join(kept)
    return spoken if len(spoken.split()) <= LABEL_WORDS else ""


def _score(sentence: str, heading: str, frequency: Counter[str]) -> float:
    """Facts carried, the words of its heading (what the section is about) and the words the document
    keeps coming back to; very short or long sentences count half."""
    own = evidence.stems(sentence)
    topic = sum(frequency[s] - 1 for s in own) / max(1, len(own))
    about = evidence.coverage(_topic(heading), sentence)
    length = len(sentence.split())
    too_short_or_long = 0.5 if length < 5 or length > 45 else 1.0
    return (evidence.fact_weight(sentence) + HEADING_WEIGHT * about + 0.6 * topic) * too_short_or_long


def _said(sentence: str) -> set[str]:
    return evidence.stems(sentence) | evidence.numbers(sentence)


def _fresh(sentence: str, said: set[str]) -> float:
    """The share of a sentence's words and numbers not said yet: one topic cannot fill the summary."""
    own = _said(sentence)
    return 1 - len(own & said) / max(1, len(own))


def _by_length(sentences: list[str]) -> list[Part]:
    """Parts of about PART_CHARS, and never more than MAX_ITEMS: each sentence goes by where it starts."""
    total = sum(len(s) for s in sentences)
    count = max(1, min(MAX_ITEMS, -(-total // PART_CHARS)))
    groups: list[list[str]] = [[] for _ in range(count)]
    before = 0
    for sentence in sentences:
        groups[min(count - 1, before * count // max(1, total))].append(sentence)
        before += len(sentence)
    return [Part("", tuple(group)) for group in groups if group]
