"""Checks that keep a small model honest about a document.

A 0.5B model drops facts, invents numbers, and may follow an order written
inside the text it is given. These are the plain-text checks around it: which
words of a question a passage covers, whether an answer's numbers and words
come from the passages, which sentences carry names, numbers, dates and
decisions, and which sentences are addressed to an assistant rather than being
part of the document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from voiceslm.assistant.docindex import is_stopword

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,:/]\d+)*(?:\s?%)?")
MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
]
DECISION_WORDS = [
    "decided",
    "decision",
    "agreed",
    "approved",
    "approve",
    "rejected",
    "declined",
    "postponed",
    "deadline",
    "due",
    "must",
    "will",
    "action",
    "owner",
    "responsible",
    "assigned",
    "budget",
    "cost",
    "costs",
    "total",
    "resolved",
    "conclusion",
    "recommend",
    "recommended",
    "vote",
    "voted",
    "chosen",
    "selected",
    "cancelled",
    "signed",
    "decides",
    "agrees",
    "approves",
    "rejects",
    "postpones",
    "recommends",
    "choose",
    "chooses",
    "selects",
    "votes",
    "accept",
    "accepted",
    "accepts",
]
PROBLEM_WORDS = frozenset(
    {
        "problem", "problems", "issue", "risk", "risks", "fault", "faulty", "failed", "failure", "fails", "broken",
        "broke", "cracked", "damaged", "damage", "leak", "leaks", "leaking", "late", "delayed", "delay", "unsafe",
        "dangerous", "danger", "warning", "missing", "lost", "stolen", "unable", "cannot", "closed", "complaint",
        "complaints", "error", "errors", "sick", "shortage", "short", "overdue", "unpaid", "behind", "injured",
        "accident", "incident", "defect", "worn", "found", "still", "longer", "yet",
    }
)  # fmt: skip
"""Words of a problem, a risk or a thing not done: "the lift has still not been repaired" carries a fact
though it has no number or name."""
_STRONG_DECISIONS = {"decided", "agreed", "approved", "rejected", "postponed", "chosen", "selected", "voted"}
# Sentences that speak to an assistant or model instead of about the subject:
# text inside a document is data, so these are never passed on as if they were.
_ADDRESSED_TO_ASSISTANT = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,40}\b(?:instruction|prompt|rule|direction|previous|above)s?"
    r"|\b(?:system prompt|you are now|new instructions?|as an ai|language model|assistant\s*[,:]|dear assistant)"
    r"|\b(?:read|reveal|print|recite|send|list)\s+(?:out\s+)?(?:all\s+)?(?:of\s+)?(?:the\s+)?user'?s?\b",
    re.IGNORECASE,
)


def stem(word: str) -> str:
    """A crude stem, enough to match "pumps" to "pump" and "replacement" to "replaced"."""
    word = word.lower().replace("’", "'")
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word[:6]


def content_words(text: str) -> list[str]:
    words = (w.lower() for w in _WORD.findall(text))
    return [w for w in words if not is_stopword(w) and (len(w) > 2 or w.isdigit())]


def stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text)}


def numbers(text: str) -> set[str]:
    """Numbers in `text`, normalised: "12,500" and "12500" are one number; "3.5" stays."""
    found = set()
    for match in _NUMBER.findall(text):
        value = match.replace(" ", "").rstrip("%")
        value = re.sub(r"(?<=\d),(?=\d{3}\b)", "", value)
        found.add(value)
    return found


def coverage(question: str, passage: str) -> float:
    """The share of the question's topic words found in the passage (0 to 1)."""
    wanted = stems(question)
    if not wanted:
        return 0.0
    return len(wanted & stems(passage)) / len(wanted)


def supported(answer: str, passages: str, question: str) -> bool:
    """Whether an answer is drawn from the passages: its numbers all occur there, and most of its words."""
    if not numbers(answer) <= numbers(passages) | numbers(question):
        return False
    said = stems(answer) - stems(question)
    if not said:
        return True
    return len(said & stems(passages)) / len(said) >= 0.6


# Where a byline starts: "Written by Nadia Brennan, ...", "Author: Priya Raman", "Date: 19 October".
_BYLINE = re.compile(
    r"\b(?:(?:written|prepared|compiled|drafted|printed|issued|sent|notes taken|minutes taken|taken) by\b"
    r"|(?:author|authors|date|from|to|by|prepared for|written for)\s*:)",
    re.IGNORECASE,
)


def front_matter_answers(question: str, sentence: str, title: str = "") -> bool:
    """Whether a line before a document's first section (its title, author, date) answers `question` itself.

    The title heads every passage, so its words say only what the whole document is
    about: "Who is the chief engineer of the ferry company?" is not answered by
    "Written by Nadia Brennan, operations manager of Kestrel Bay Ferries" under a
    title about a ferry's engine failure. The question's words that are not the
    title's must be in the line's own words. A title that runs into the byline (a
    PDF's first lines) ends where the byline starts.
    """
    if title:
        sentence = sentence.replace(title, " ")
    else:
        byline = _BYLINE.search(sentence)
        if byline is not None and byline.start() > 0:
            title, sentence = sentence[: byline.start()], sentence[byline.start() :]
    wanted = stems(question) - stems(title)
    own = stems(sentence)
    if _BYLINE.search(sentence):
        own |= _AUTHORSHIP  # a byline answers "who wrote it?" and "when was it written?"
    return bool(wanted) and len(wanted & own) / len(wanted) >= FRONT_COVERAGE


_AUTHORSHIP = stems("wrote write written writes writer author authors prepared compiled drafted dated date")
FRONT_COVERAGE = 0.66
"""The share of a question's words (the title's aside) a title or byline line must hold to answer it."""


_ASKS_AMOUNT = re.compile(r"^(?:how (?:much|many|long|deep|far|high|old|big|often)|what (?:time|percentage))\b")
_ASKS_WHEN = re.compile(r"^(?:when|until when|by when|since when|what date|what day)\b")
_ASKS_NAME = re.compile(
    r"^(?:who|whom|whose"
    r"|which (?:\w+ )?(?:company|firm|supplier|contractor|maker|insurer|organi[sz]ation|business|person))\b"
)
_NUMBER_WORDS = frozenset(
    {
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "fifteen",
        "twenty", "thirty", "forty", "fifty", "hundred", "thousand", "million", "billion", "half", "quarter", "dozen",
        "once", "twice", "double",
    }
)  # fmt: skip
_TIME_WORDS = frozenset(
    {
        "today", "tomorrow", "yesterday", "tonight", "morning", "afternoon", "evening", "night", "noon", "midnight",
        "week", "weekend", "month", "year", "spring", "summer", "autumn", "winter", "christmas", "easter",
    }
)  # fmt: skip


def holds_kind(question: str, text: str) -> bool:
    """Whether `text` holds the kind of thing `question` asks for: an amount, a time or a name.

    "Which company will repair the pontoon?" is not answered by a sentence that names no one,
    nor "How much will it cost?" by one without a number, however many of their words it holds.
    """
    asked = " ".join(question.lower().replace("’", "'").split())
    words = set(re.findall(r"[^\W\d_]+", text.lower()))
    if _ASKS_AMOUNT.match(asked):
        return bool(numbers(text) or words & _NUMBER_WORDS)
    if _ASKS_WHEN.match(asked):
        return bool(numbers(text) or words & (_TIME_WORDS | set(MONTHS)))
    if _ASKS_NAME.match(asked):
        # A capitalised word past the first (a sentence's first word is capitalised anyway), or a short
        # answer that is a name: "Nordtak", "Amina Hassan".
        tokens = text.split()
        later = [w for w in tokens[1:] if w[:1].isupper() and w.strip(".,;:").lower() not in MONTHS]
        return bool(later) or (0 < len(tokens) <= 3 and tokens[0][:1].isupper())
    return True


def addressed_to_assistant(sentence: str) -> bool:
    return _ADDRESSED_TO_ASSISTANT.search(sentence) is not None


def without_orders(text: str) -> tuple[str, int]:
    """`text` without its sentences addressed to an assistant, and how many were left out."""
    from voiceslm.text import split_sentences

    kept, dropped = [], 0
    for sentence in split_sentences(text):
        if addressed_to_assistant(sentence):
            dropped += 1
        else:
            kept.append(sentence)
    return " ".join(kept), dropped


def names(text: str) -> set[str]:
    """Capitalised words that are not at a sentence start: people, places, organisations."""
    found = set()
    for match in re.finditer(r"(?<=[a-z0-9,;:()] )([A-Z][\w'-]+(?: [A-Z][\w'-]+)*)", text):
        found.add(match.group(1))
    return found


def fact_weight(sentence: str) -> float:
    """How much a sentence carries: numbers, dates, names and decisions score."""
    lowered = sentence.lower()
    words = set(re.findall(r"\w+", lowered))
    # Past the first two, more numbers or names add little: a list of quotes or
    # of the people present is not worth more than the decision taken on them.
    score = _first_two(len(numbers(sentence)), 1.5) + _first_two(len(names(sentence)), 1.2)
    score += 1.0 * sum(1 for m in MONTHS if m in words)
    score += 1.5 * sum(1 for w in DECISION_WORDS if w in words)
    if words & _STRONG_DECISIONS:
        score += 3.0
    score += 1.3 * min(2, len(words & PROBLEM_WORDS))
    if re.search(r"[€$£]|\b(?:eur|euros?|dollars?|usd|gbp|percent)\b", lowered):
        score += 1.0
    return score


def _first_two(count: int, weight: float) -> float:
    return weight * min(count, 2) + 0.3 * weight * max(0, count - 2)


def kept_facts(facts: Iterable[str], text: str) -> list[str]:
    """The facts (short strings: a number, a name, a phrase) found in `text`, case and number format aside."""
    lowered = text.lower()
    text_numbers = numbers(text)
    kept = []
    for fact in facts:
        fact_numbers = numbers(fact)
        words = [w for w in re.findall(r"[^\W\d_]+", fact.lower())]
        if fact_numbers and not fact_numbers <= text_numbers:
            continue
        if all(re.search(rf"\b{re.escape(w)}", lowered) for w in words):
            kept.append(fact)
    return kept
