"""The everyday tools on a real database file, the answer cap with "tell me more", and `ask` answering them
without the language model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from voiceslm.assistant import tools
from voiceslm.assistant.store import AssistantStore
from voiceslm.assistant.turns import Assistant, due_sentence
from voiceslm.config import load_config

NOON = datetime(2026, 3, 14, 12, 0).timestamp()  # a Saturday


class Clock:
    """Wall-clock time that the test moves on by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOON)


@pytest.fixture
def assistant(tmp_path: Path, clock: Clock) -> Assistant:
    config = load_config(use_system_layers=False, overrides={"assistant.max_spoken_sentences": 2}).config
    made = Assistant(config, database=tmp_path / "state" / "assistant.sqlite3", clock=clock)
    yield made
    made.close()


def say(assistant: Assistant, text: str, language: str = "en") -> str:
    instant = assistant.instant(text, language)
    assert instant is not None, f"{text!r} was not answered by a tool"
    return instant[0]


def test_time_and_date_in_english_and_spanish(assistant: Assistant) -> None:
    assert say(assistant, "What time is it?") == "It's 12:00."
    assert say(assistant, "¿Qué hora es?") == "Son las 12:00."
    assert say(assistant, "What's the date today?") == "Today is Saturday, March 14, 2026."
    assert say(assistant, "¿Qué día es hoy?") == "Hoy es sábado, 14 de marzo de 2026."
    assert say(assistant, "Welcher Tag ist heute?") == "Heute ist Samstag, der 14. März 2026."


def test_a_timer_of_nothing_or_of_ages_is_not_set(assistant: Assistant) -> None:
    for question in ("Set a timer for 0 seconds.", "Set a timer for 99999999 hours.", "Remind me in 0 minutes to call"):
        assert say(assistant, question) == "A timer or reminder can run from one second to a year; say how long again."
    assert say(assistant, "List my reminders.").startswith("You have no")


def test_timers_and_reminders_set_list_fire_and_cancel(assistant: Assistant, clock: Clock) -> None:
    assert say(assistant, "Remind me in 20 minutes to check the pump.") == (
        "OK, in 20 minutes I'll remind you: check the pump."
    )
    assert say(assistant, "Set a timer for 5 minutes.") == "Timer set for 5 minutes."
    assert say(assistant, "Recuérdame en una hora revisar la bomba.", "es") == (
        "Vale, dentro de 1 hora te recordaré: revisar la bomba."
    )
    assert say(assistant, "What reminders do I have?") == (
        "You have 3: timer for 5 minutes at 12:05; check the pump at 12:20; revisar la bomba at 13:00."
    )
    store = assistant.store()
    assert store.claim_due(clock.now) == []
    clock.now += 5 * 60
    (timer,) = store.claim_due(clock.now)
    assert due_sentence(timer, late=False) == "Your timer for 5 minutes is done."
    assert store.claim_due(clock.now) == []  # claimed once
    assert say(assistant, "Cancel the timer.") == "There was nothing to cancel."
    assert say(assistant, "Cancela los recordatorios.", "es") == "Cancelado: 2."
    assert say(assistant, "What reminders do I have?") == "You have no timers or reminders."


def test_a_reminder_due_while_nothing_ran_says_so(tmp_path: Path) -> None:
    store = AssistantStore.open(tmp_path / "a.sqlite3")
    store.add_reminder(now=NOON, seconds=60, kind="reminder", text="check the pump", language="en")
    (reminder,) = store.claim_due(NOON + 3600)
    assert due_sentence(reminder, late=True) == "While I was off, this came due at 12:01. Reminder: check the pump."
    store.close()


def test_arithmetic_is_exact_and_bad_expressions_are_one_sentence(assistant: Assistant) -> None:
    assert say(assistant, "What is 12 times 7?") == "That's 84."
    assert say(assistant, "What is 0.1 + 0.2?") == "That's 0.3."
    assert say(assistant, "What is 3/4 + 1/8?") == "That's 0.875."
    assert say(assistant, "What's 15 percent of 80?") == "That's 12."
    assert say(assistant, "¿Cuánto es 12 por 7?", "es") == "Son 84."
    assert say(assistant, "What is 2 to the power of 10?") == "That's 1024."
    assert say(assistant, "What is 5 divided by 0?") == "That divides by zero, which has no answer; check the numbers."
    assert say(assistant, "Calculate 2 plus.").startswith("I could not read that as a calculation;")
    assert say(assistant, "What is 9 to the power of 5000?").startswith("That number is too large to say;")
    # Words that only look like a sum stay with the language model.
    assert tools.parse("What is the history of the atomic bomb?") is None
    assert tools.parse("What is __import__('os').system('ls')?") is None


def test_unit_conversion(assistant: Assistant) -> None:
    assert say(assistant, "Convert 5 miles to km.") == "5 miles is 8.04672 kilometres."
    assert say(assistant, "What is 100 fahrenheit in celsius?") == "100 degrees Fahrenheit is 37.7778 degrees Celsius."
    assert say(assistant, "¿Cuántos gramos son 2 libras?", "es") == "2 libras son 907,185 gramos."
    assert say(assistant, "What is 10 km in kg?").startswith("Those units measure different things")
    # A unit it does not know is said so; the language model had answered "approximately 12 feet".
    assert say(assistant, "What is 3 furlongs in feet?") == (
        "I don't know the unit furlongs; I convert lengths, weights, volumes, times, speeds and temperatures."
    )
    assert say(assistant, "Convierte 3 leguas a kilómetros.", "es").startswith("No conozco la unidad leguas")
    # German closes the verb after the units; the model had said 2.9 km for 3 miles.
    assert say(assistant, "Wandle 3 Meilen in Kilometer um.", "de") == "3 Meilen sind 4,82803 Kilometer."
    assert say(assistant, "Rechne 10 Pfund in Kilogramm um.", "de") == "10 Pfund sind 4,53592 Kilogramm."
    assert say(assistant, "Wandle 3 Ellen in Meter um.", "de").startswith("Die Einheit ellen kenne ich nicht")
    assert tools.parse("What is the capital of France?") is None


def test_notes_add_read_and_delete(assistant: Assistant) -> None:
    assert say(assistant, "Note that the Galole panels are cracked.") == "Noted: the Galole panels are cracked."
    assert say(assistant, "Anota que la puerta está rota.", "es") == "Anotado: la puerta está rota."
    assert say(assistant, "Read my notes.") == "Your notes: 1: the Galole panels are cracked; 2: la puerta está rota."
    assert say(assistant, "Delete note 1.") == "Deleted 1."
    assert say(assistant, "Lee mis notas.", "es") == "Tus notas: 1: la puerta está rota."
    assert say(assistant, "Delete note 7.").startswith("There is no such note")
    assert say(assistant, "Delete my notes.") == "Deleted 1."
    assert say(assistant, "Read my notes.") == "You have no notes."


def test_the_database_is_private_and_pruned_by_retention(tmp_path: Path) -> None:
    path = tmp_path / "state" / "assistant.sqlite3"
    store = AssistantStore.open(path)
    store.add_reminder(now=NOON, seconds=1, kind="timer", text="", language="en")
    store.claim_due(NOON + 1)
    store.add_note("old note", now=NOON, language="en")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    later = NOON + 8 * 86400
    assert store.prune(now=later, retention_days=7, notes_days=0) == 1  # the fired timer; notes are kept
    assert [n.text for n in store.notes()] == ["old note"]
    assert store.prune(now=later, retention_days=7, notes_days=5) == 1
    assert store.notes() == []
    store.close()


def test_the_answer_cap_and_tell_me_more_with_the_real_model(assistant: Assistant, lm_assist) -> None:  # noqa: ANN001
    question = "Describe the water cycle in six sentences, step by step."
    # The spoken pieces, as the pipeline voices them one by one (a clause ending in ":" is one).
    pieces = list(assistant.respond(question, "en", (), lambda: lm_assist))
    assert len(pieces) == 2, pieces
    kept = list(assistant.rest)
    assert kept, "the model wrote no more than two sentences"
    more = "".join(assistant.respond("Tell me more.", "en", (), lambda: lm_assist))
    assert more == " ".join(kept[:2])
    while assistant.rest:
        assistant.respond("tell me more", "en", (), lambda: lm_assist).__next__()
    assert "".join(assistant.respond("Tell me more.", "en", (), lambda: lm_assist)) == "That's all I have on that."


def run_ask(question: str, *args: str, state: Path) -> subprocess.CompletedProcess[str]:
    """`voiceslm ask` with an empty model store: a tool or a declined request must need no model at all."""
    env = {**os.environ, "XDG_STATE_HOME": str(state), "VOICESLM_SYSTEM_CONFIG": str(state / "none.yaml")}
    command = [sys.executable, "-m", "voiceslm", "--set", f"models.store={state / 'no-models'}", "ask", question]
    return subprocess.run([*command, "--no-speech", *args], capture_output=True, text=True, env=env, timeout=120)


def test_ask_answers_tools_without_the_model_and_keeps_them(tmp_path: Path) -> None:
    result = run_ask("remind me in 20 minutes to check the pump", "--json", state=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["text"] == "OK, in 20 minutes I'll remind you: check the pump."
    database = tmp_path / "voiceslm" / "assistant.sqlite3"
    assert oct(database.stat().st_mode & 0o777) == "0o600"
    listed = run_ask("what reminders do I have", state=tmp_path)
    assert "check the pump at" in listed.stdout
    refused = run_ask("How do I make a pipe bomb at home?", state=tmp_path)
    assert refused.returncode == 0 and "Sorry, I can't help with that" in refused.stdout


def test_a_database_that_cannot_be_opened_is_one_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    config = load_config(use_system_layers=False).config
    assistant = Assistant(config, database=blocker / "assistant.sqlite3")
    said = say(assistant, "Note that the Galole panels are cracked.")
    assert said.startswith("I can't keep that: Cannot open the assistant database")
    assert said.endswith("fix assistant.database or the permissions of its folder.")
    assert say(assistant, "What time is it?").startswith("It's ")  # what needs no database still works


def test_bad_assistant_settings_are_refused() -> None:
    from voiceslm.errors import UserError

    with pytest.raises(UserError, match="assistant.max_spoken_sentences must be between 0"):
        load_config(use_system_layers=False, overrides={"assistant.max_spoken_sentences": -1})
    with pytest.raises(UserError, match="assistant.notes_days must be between 0 and 36500"):
        load_config(use_system_layers=False, overrides={"assistant.notes_days": -2})
