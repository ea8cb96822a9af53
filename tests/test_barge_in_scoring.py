"""How `voiceslm bench --barge-in` scores an interruption's transcript, with and without the reply's echo."""

from __future__ import annotations

import pytest

pytest.importorskip("jiwer", reason="scoring needs the eval extra (jiwer)")

from voiceslm.eval.barge_in import Interruption, ModeResult, word_error  # noqa: E402
from voiceslm.eval.barge_in_report import format_report  # noqa: E402


def test_small_numbers_are_spelled_as_the_references_spell_them() -> None:
    assert word_error("ten of clubs", "10 of clubs.") == 0.0
    assert word_error("four queen of clubs", "4 queen of clothes") == 0.25
    assert word_error("ten of clubs", "10 of close") == pytest.approx(1 / 3, abs=1e-3)


def test_a_miss_the_echo_caused_is_told_from_one_the_recogniser_makes_alone() -> None:
    said = "ten of clubs"
    echo_caused = Interruption("cards.wav", said, detected=True, transcript="10 of close")
    echo_caused.wer = word_error(said, echo_caused.transcript)
    echo_caused.clean_wer = word_error(said, "10 of clubs")
    recogniser = Interruption("cards.wav", said, detected=True, transcript="10 of close")
    recogniser.wer = recogniser.clean_wer = word_error(said, "10 of close")
    never_heard = Interruption("cards.wav", said)  # no transcript, never transcribed alone: neither counts
    assert (echo_caused.correct, echo_caused.correct_when_clean) == (False, True)
    assert (recogniser.correct, recogniser.correct_when_clean) == (False, False)
    assert (never_heard.correct, never_heard.correct_when_clean) == (False, False)
    result = ModeResult("aec", replies=3, interruptions=[echo_caused, recogniser, never_heard])
    barge_in = result.summary()["barge_in"]
    assert (barge_in["transcribed_correctly"], barge_in["correct_when_clean"]) == (0, 1)
    assert [e["correct_when_clean"] for e in result.as_dict()["interruptions"]] == [True, False, False]


def test_the_table_shows_both_counts() -> None:
    from voiceslm.eval.barge_in import BargeInReport

    trial = Interruption("a.wav", "go forward ten meters", detected=True, stop_s=0.2, wer=0.0, clean_wer=0.0)
    report = BargeInReport("test machine", {"delay_ms": 50.0}, [ModeResult("aec", replies=1, interruptions=[trial])])
    row = format_report(report).splitlines()[-1]
    assert row.startswith("| aec | 0 of 1 | 1 of 1 | 0.20 / 0.20 | 1 of 1 | 1 of 1 |"), row
