"""Everyday tools recognised from the user's words: time, date, timers, reminders, sums, units, notes.

`parse` turns a request into a `ToolRequest` (or None: not a tool, the language
model answers) without touching anything; `Tools.run` carries it out against
the assistant's store and returns the one sentence to say. The two are apart
so the live pipeline can ask "is this a tool?" while a reply is only being
guessed at a pause, and act only once the turn is over.
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from voiceslm.assistant import calc, phrases, replies
from voiceslm.assistant.store import AssistantStore


@dataclass(frozen=True)
class ToolRequest:
    kind: str
    """time | date | timer | reminder | list | cancel | note | notes | delete_notes | calc | convert |
    unknown_unit | more"""
    language: str
    seconds: float = 0.0
    text: str = ""
    """The words to keep (a reminder's or a note's), as the user said them."""
    expression: str = ""
    amount: Fraction = field(default=Fraction(0))
    units: tuple[str, str] = ("", "")
    target: str = ""
    """cancel: "timer", "reminder" or "" (both); delete_notes: "all", "last" or a note number."""


def fold(text: str) -> tuple[str, str]:
    """(folded, original): the same words, aligned character by character.

    Folded is lower case without accents; in both, punctuation is a space
    (except a point or comma between digits) and spaces are single.
    """
    pairs: list[tuple[str, str]] = []
    for i, ch in enumerate(text):
        if ch.isalnum():
            low = ch.lower()
            base = unicodedata.normalize("NFKD", low)[0] if low else ch
            pairs.append((base if len(low) == 1 else ch, ch))
        elif ch in ".," and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit():
            pairs.append((ch, ch))
        elif not pairs or pairs[-1][0] != " ":
            pairs.append((" ", " "))
    folded = "".join(p[0] for p in pairs)
    original = "".join(p[1] for p in pairs)
    start = len(folded) - len(folded.lstrip())
    end = len(folded.rstrip())
    return folded[start:end], original[start:end]


_NUMBER = r"\d+(?:[.,]\d+)?"
_NUMBER_WORD = "|".join(sorted((re.escape(w) for w in phrases.NUMBER_WORDS), key=len, reverse=True))
_AMOUNT = rf"(?:{_NUMBER}|(?:{_NUMBER_WORD})(?: (?:{_NUMBER_WORD}))?)"
_UNIT_ALIASES = [(re.compile(alias), key) for key, aliases in phrases.UNIT_WORDS.items() for alias in aliases]
_UNITS = "(?:" + "|".join(sorted((a.pattern for a, _ in _UNIT_ALIASES), key=len, reverse=True)) + r")\b"
_AND_A_HALF = r"(?: (?:and a half|y media|und eine halbe|et demie?|e mezza|e meia))?"
_DURATION_PART = re.compile(
    rf"(?:(?P<half>{phrases.HALF}) (?P<hunit>{_UNITS})|(?P<n>{_AMOUNT}) (?P<unit>{_UNITS})){_AND_A_HALF}"
)
_ONE_DURATION = rf"(?:{phrases.HALF} {_UNITS}|{_AMOUNT} {_UNITS}){_AND_A_HALF}"
_DURATION = rf"{_ONE_DURATION}(?:(?: and| y| und| et| e)? {_ONE_DURATION})*"
_DURATION_JOIN = re.compile(r"^(?:\s|and|y|und|et|e)*$")


def _compile(table: dict[str, str]) -> dict[str, re.Pattern[str]]:
    return {lang: re.compile(rf"^(?:{pattern.replace('DUR', _DURATION)})$") for lang, pattern in table.items()}


_TIME, _DATE, _MORE = _compile(phrases.TIME), _compile(phrases.DATE), _compile(phrases.MORE)
_TIMER, _REMIND = _compile(phrases.TIMER), _compile(phrases.REMIND)
_LIST, _CANCEL = _compile(phrases.LIST_REMINDERS), _compile(phrases.CANCEL_REMINDERS)
_ADD_NOTE, _READ_NOTES = _compile(phrases.ADD_NOTE), _compile(phrases.READ_NOTES)
_DELETE_NOTES = _compile(phrases.DELETE_NOTES)
_CALC = {lang: re.compile(rf"^{p}\s+(?P<rest>.+)$") for lang, p in phrases.CALCULATE.items()}
_CONVERT_PREFIX = {lang: re.compile(rf"^{p}\s+") for lang, p in phrases.CONVERT.items()}
_CONVERT_SUFFIX = {lang: re.compile(p) for lang, p in phrases.CONVERT_SUFFIX.items()}
_CONVERSION = re.compile(rf"^(?P<n>{_AMOUNT}) ?(?P<u1>{_UNITS}) {phrases.CONVERT_INTO} (?P<u2>{_UNITS})$")
_LOOSE_CONVERSION = re.compile(
    rf"^(?P<n>{_AMOUNT}) ?(?P<u1>[a-z]+(?: [a-z]+)?) {phrases.CONVERT_INTO} (?P<u2>[a-z]+)$"
)
"""A conversion asked for in so many words whatever its units: one it cannot do is said so, not guessed."""
_HOW_MANY = {
    lang: re.compile(rf"^{p} (?P<u2>{_UNITS}) (?:\w+ )?(?:\w+ )?(?P<n>{_AMOUNT}) ?(?P<u1>{_UNITS})$")
    for lang, p in phrases.HOW_MANY.items()
}
_OPERATOR_WORDS = re.compile(
    r"(?<![\w*])(?:"
    + "|".join(sorted((w for words, _ in phrases.OPERATORS for w in words.split("|")), key=len, reverse=True))
    + r")(?!\w)"
)
_OPERATOR_OF = {w: symbol for words, symbol in phrases.OPERATORS for w in words.split("|")}
_MATH_ONLY = re.compile(r"^[\d\s.+\-*/()%]+$")


def _unit_key(word: str) -> str:
    return next(key for alias, key in _UNIT_ALIASES if alias.fullmatch(word))


def _amount(words: str, language: str) -> Fraction | None:
    words = words.strip()
    if re.fullmatch(_NUMBER, words):
        if language == "en":
            words = words.replace(",", "")
        return Fraction(words.replace(",", "."))
    total = 0
    for word in re.findall(_NUMBER_WORD, words):
        total += phrases.NUMBER_WORDS[word]
    return Fraction(total) if total else None


def parse_duration(words: str, language: str) -> float | None:
    """Seconds in "20 minutes", "an hour and 30 minutes", "media hora"; None if that is not all it says."""
    total = Fraction(0)
    position = 0
    for match in _DURATION_PART.finditer(words):
        if not _DURATION_JOIN.match(words[position : match.start()]):
            return None
        unit = _unit_key(match.group("unit") or match.group("hunit"))
        if unit not in phrases.DURATION_UNITS:
            return None
        amount = Fraction(1, 2) if match.group("half") else _amount(match.group("n"), language)
        if amount is None:
            return None
        if match.group(0).endswith(("half", "media", "halbe", "demi", "mezza", "meia")):
            amount += Fraction(1, 2)
        total += amount * calc.UNITS[unit].factor
        position = match.end()
    if position == 0 or words[position:].strip():
        return None
    return float(total)  # 0 for "0 seconds": the tool says what a timer can be


def _group(match: re.Match[str], *names: str) -> tuple[str, int, int] | None:
    for name in names:
        if name in match.re.groupindex and match.group(name) is not None:
            return match.group(name), match.start(name), match.end(name)
    return None


def _in_order(language: str) -> list[str]:
    """The six tool languages, the asked one first (a language without phrase tables is just not first)."""
    return sorted(phrases.LANGUAGES, key=lambda lang: lang != language)


def parse(text: str, language: str = "en") -> ToolRequest | None:
    """The tool `text` asks for, in `language` or another of the six; None for anything else."""
    folded, original = fold(text)
    if not folded:
        return None
    math_text = _fold_math(text)
    for lang in _in_order(language):
        request = _parse_in(folded, original, lang, math_text, lang == language)
        if request is not None:
            return request
    return None


def _parse_in(folded: str, original: str, lang: str, math_text: str, first: bool) -> ToolRequest | None:  # noqa: PLR0911 - one return per tool
    if _TIME[lang].match(folded):
        return ToolRequest("time", lang)
    if _DATE[lang].match(folded):
        return ToolRequest("date", lang)
    if _MORE[lang].match(folded):
        return ToolRequest("more", lang)
    if match := _REMIND[lang].match(folded):
        duration, what = _group(match, "dur", "dur2"), _group(match, "what", "what2")
        seconds = parse_duration(duration[0], lang) if duration else None
        if seconds is not None and what is not None:
            return ToolRequest("reminder", lang, seconds=seconds, text=original[what[1] : what[2]])
    if match := _TIMER[lang].match(folded):
        duration = _group(match, "dur", "dur2", "dur3")
        seconds = parse_duration(duration[0], lang) if duration else None
        if seconds is not None:
            return ToolRequest("timer", lang, seconds=seconds)
    if _LIST[lang].match(folded):
        return ToolRequest("list", lang)
    if match := _CANCEL[lang].match(folded):
        kind = match.group("kind")
        target = "timer" if kind.startswith(("tim", "temp", "minut", "wecker", "alarm")) else "reminder"
        what = _group(match, "what")
        return ToolRequest("cancel", lang, target=target, text=original[what[1] : what[2]] if what else "")
    if _READ_NOTES[lang].match(folded):
        return ToolRequest("notes", lang)
    if match := _DELETE_NOTES[lang].match(folded):
        target = "last" if match.group("last") else (match.group("n") or "all")
        return ToolRequest("delete_notes", lang, target=target)
    if match := _ADD_NOTE[lang].match(folded):
        what = _group(match, "what")
        assert what is not None
        return ToolRequest("note", lang, text=original[what[1] : what[2]])
    return _parse_numbers(folded, lang, math_text, first)


def _parse_numbers(folded: str, lang: str, math_text: str, first: bool) -> ToolRequest | None:
    """A conversion or a sum; a bare one ("5 km in miles") only in the language asked."""
    stripped, prefixed = _CONVERT_PREFIX[lang].subn("", folded, count=1)
    if prefixed and lang in _CONVERT_SUFFIX:
        # Left to the language model, "wandle 3 Meilen in Kilometer um" came out as 2.9 km.
        stripped = _CONVERT_SUFFIX[lang].sub("", stripped)
    match = _CONVERSION.match(stripped) if prefixed or first else None
    match = match or _HOW_MANY[lang].match(folded)
    if match and (amount := _amount(match.group("n"), lang)) is not None:
        units = (_unit_key(match.group("u1")), _unit_key(match.group("u2")))
        return ToolRequest("convert", lang, amount=amount, units=units)
    loose = _LOOSE_CONVERSION.match(stripped) if prefixed else None
    if loose and _amount(loose.group("n"), lang) is not None:
        unknown = [u for u in (loose.group("u1"), loose.group("u2")) if not re.fullmatch(_UNITS, u)]
        if unknown:
            # Left to the language model, "3 furlongs in feet" came out as "approximately 12 feet".
            return ToolRequest("unknown_unit", lang, text=unknown[0])
    calc_match = _CALC[lang].match(math_text)
    if calc_match is None and not first:
        return None
    expression = _math_expression(calc_match.group("rest") if calc_match else math_text, lang)
    return ToolRequest("calc", lang, expression=expression) if expression is not None else None


def _fold_math(text: str) -> str:
    """Lower case without accents, keeping the symbols of arithmetic."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = re.sub(r"[^\w\s.,+\-*/()%^×÷]", " ", plain)
    return " ".join(plain.rstrip(" .").split())


def _math_expression(words: str, lang: str) -> str | None:
    """`words` as an arithmetic expression if that is all they are (and they hold a number), else None."""
    text = _OPERATOR_WORDS.sub(lambda m: f" {_OPERATOR_OF[m.group(0)]} ", words)
    text = re.sub(rf"\b(?:{_NUMBER_WORD})\b", lambda m: str(phrases.NUMBER_WORDS[m.group(0)]), text)
    text = re.sub(r"(?<=\d),(?=\d)", "" if lang == "en" else ".", text).replace("^", "**")
    if not _MATH_ONLY.match(text) or not re.search(r"\d", text) or not re.search(r"[-+*/%]", text):
        return None
    return " ".join(text.split())


MAX_TIMER_SECONDS = 366 * 86400
"""A timer or reminder is due within a year (a misheard "99999999 hours" is not kept for 11,000 years)."""

STORED = frozenset({"timer", "reminder", "list", "cancel", "note", "notes", "delete_notes"})
"""Tool requests that read or write the assistant's database."""


class Tools:
    """Runs tool requests against the store; every answer is one or two sentences."""

    def __init__(self, store: AssistantStore | None, clock: object = time.time) -> None:
        """`store` may be None for requests not in STORED (time, date, sums, units)."""
        self._store = store
        self._clock = clock

    @property
    def store(self) -> AssistantStore:
        assert self._store is not None, "a stored tool request needs the store"
        return self._store

    def now(self) -> float:
        return self._clock()  # type: ignore[operator]

    def run(self, request: ToolRequest) -> str:
        lang = request.language
        now = self.now()
        moment = datetime.fromtimestamp(now)
        if request.kind == "time":
            return replies.say("time", lang, time=replies.clock(moment))
        if request.kind == "date":
            return replies.date_sentence(moment, lang)
        if request.kind in ("timer", "reminder"):
            if not 1 <= request.seconds <= MAX_TIMER_SECONDS:
                return replies.say("timer_range", lang)
            self.store.add_reminder(
                now=now, seconds=request.seconds, kind=request.kind, text=request.text, language=lang
            )
            duration = say_duration(request.seconds, lang)
            if request.kind == "timer":
                return replies.say("timer_set", lang, duration=duration)
            return replies.say("reminder_set", lang, duration=duration, what=request.text)
        if request.kind == "list":
            return self._list(lang)
        if request.kind == "cancel":
            count = self.store.cancel(request.target if not request.text else None, request.text)
            if not count:
                return replies.say("nothing_to_cancel", lang)
            return replies.say("cancelled", lang, count=count)
        if request.kind in ("note", "notes", "delete_notes"):
            return self._notes(request, now)
        return _calculate(request)

    def _list(self, lang: str) -> str:
        pending = self.store.pending()
        if not pending:
            return replies.say("none_pending", lang)
        items = [
            replies.say(
                "pending_item",
                lang,
                what=r.text or replies.say("timer_item", lang, duration=say_duration(r.duration, lang)),
                time=replies.clock(datetime.fromtimestamp(r.due)),
            )
            for r in pending
        ]
        return replies.say("pending", lang, count=len(pending), items="; ".join(items))

    def _notes(self, request: ToolRequest, now: float) -> str:
        lang = request.language
        if request.kind == "note":
            self.store.add_note(request.text, now=now, language=lang)
            return replies.say("noted", lang, what=request.text)
        notes = self.store.notes()
        if request.kind == "notes":
            if not notes:
                return replies.say("no_notes", lang)
            return replies.say("notes", lang, items="; ".join(f"{i}: {n.text}" for i, n in enumerate(notes, 1)))
        if request.target == "all":
            return replies.say("notes_deleted", lang, count=self.store.delete_notes())
        if request.target == "last":
            chosen = notes[-1:]
        else:
            number = _amount(request.target, lang)
            index = int(number) if number is not None and number.denominator == 1 else 0
            chosen = [notes[index - 1]] if 1 <= index <= len(notes) else []
        if not chosen:
            return replies.say("no_such_note", lang)
        return replies.say("notes_deleted", lang, count=self.store.delete_notes([n.id for n in chosen]))


def _calculate(request: ToolRequest) -> str:
    lang = request.language
    if request.kind == "unknown_unit":
        return replies.say("calc_unknown_unit", lang, unit=request.text)
    try:
        if request.kind == "convert":
            source, target = request.units
            value = calc.convert(request.amount, source, target)
            return replies.say(
                "converted",
                lang,
                amount=calc.format_number(request.amount, lang),
                source=unit_name(source, request.amount, lang),
                value=calc.format_number(value, lang),
                target=unit_name(target, value, lang),
            )
        value = calc.evaluate(request.expression)
    except calc.CalcError as exc:
        return replies.say(f"calc_{exc.kind}", lang)
    return replies.say("result", lang, value=calc.format_number(value, lang))


def unit_name(unit: str, amount: Fraction, language: str) -> str:
    names = phrases.UNIT_NAMES.get(language, {}).get(unit) or phrases.UNIT_NAMES["en"][unit]
    return names[0] if amount == 1 else names[1]


def say_duration(seconds: float, language: str) -> str:
    """ "1 hour 30 minutes", "20 seconds": the largest whole units first."""
    left = round(seconds)
    parts = []
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count} {unit_name(unit, Fraction(count), language)}")
    return " ".join(parts) or f"0 {unit_name('second', Fraction(0), language)}"
