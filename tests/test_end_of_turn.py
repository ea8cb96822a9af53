"""End of turn in the live listener, on real speech: the turn model ends a finished sentence at its
first short pause; a counted list and a hesitation stay one turn; without the model, silence alone."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from live_support import DATA, async_test, live_config, require_models, running

from voiceslm.audio.capture import RecordingInput
from voiceslm.audio.io import load_audio
from voiceslm.audio.playback import FileOutput
from voiceslm.engines.registry import Engines
from voiceslm.models.store import ModelStore
from voiceslm.pipeline.events import TranscriptReady, Utterance
from voiceslm.pipeline.session import LiveSession
from voiceslm.pipeline.turns import ends_sentence, sounds_unfinished

COUNTING = DATA / "en_piper_counting_one_two_three.wav"  # "One," [0.7 s] "two," [0.8 s] "three."
HESITATION = DATA / "en_pocketsphinx_sense_0870_hesitation.wav"  # "... consider how much" [0.7 s] "there ..."


@pytest.fixture(scope="module")
def engines():
    require_models("whisper-tiny.en", "smart-turn-v3.2")
    engines = Engines(live_config())
    yield engines
    engines.close()


async def turns_heard(engines: Engines, clip: Path, **overrides: object) -> tuple[list[Utterance], list[str]]:
    """Play `clip` in real time into a transcribing pipeline; the turns it made and what each said."""
    config = live_config(**{"translate.source": "en", "live.mode": "transcribe", **overrides})
    recording = RecordingInput(block_ms=config.audio.block_ms)
    pipeline = LiveSession(config, engines=engines, audio_in=recording, audio_out=FileOutput(None))
    async with running(pipeline) as events:
        await recording.play(load_audio(clip))
        # Longer than any turn waits: the last one has ended.
        await asyncio.sleep(config.vad.max_silence_ms / 1000 + 0.5)
        utterances = events.of(Utterance)
        assert utterances, "no turn was heard"
        await events.wait_for(TranscriptReady, where=lambda e: e.utterance_id == utterances[-1].id)
    return utterances, [e.text for e in events.of(TranscriptReady)]


@async_test
async def test_a_finished_sentence_ends_at_its_first_short_pause(engines):
    # A long fallback wait, so only the turn model's verdict can end the turn early even on a
    # busy machine (the verdict also waits for the transcript started at the pause).
    utterances, texts = await turns_heard(engines, DATA / "en_cheetah_platforms.wav", **{"vad.max_silence_ms": 10000})
    assert len(utterances) == 1 and "platform" in texts[0].lower()
    (turn,) = utterances
    assert turn.reason == "turn-model"
    assert turn.detected_at - turn.speech_end < 9.5


@async_test
async def test_a_finished_sentence_the_voice_misjudges_ends_on_its_words(engines):
    # The turn model hears this read sentence as unfinished (p 0.01); its transcript ends a
    # sentence, so it ends at vad.min_silence_ms, long before the fallback wait.
    clip = DATA / "en_pocketsphinx_forever_input_2_16k.wav"  # "feels like these days go on forever"
    utterances, texts = await turns_heard(engines, clip, **{"vad.max_silence_ms": 10000})
    assert len(utterances) == 1 and "forever" in texts[0].lower()
    (turn,) = utterances
    assert turn.reason == "silence" and turn.detected_at - turn.speech_end < 9.5


@async_test
async def test_a_counted_list_with_pauses_is_one_turn(engines):
    utterances, texts = await turns_heard(engines, COUNTING)
    assert len(utterances) == 1, texts
    assert texts[0].lower().replace(",", "").replace(".", "").split() in (["1", "2", "3"], ["one", "two", "three"])


@async_test
async def test_a_hesitation_mid_sentence_is_one_turn(engines):
    utterances, texts = await turns_heard(engines, HESITATION)
    assert len(utterances) == 1, texts
    assert "dashwood" in texts[0].lower() and "power" in texts[0].lower()


@async_test
async def test_without_the_turn_model_silence_alone_ends_a_turn(engines):
    utterances, _ = await turns_heard(engines, DATA / "en_cheetah_platforms.wav", **{"vad.turn_model": ""})
    assert [u.reason for u in utterances] == ["silence"]
    # The fixed wait, and the list it cannot tell from an ending is cut at its pauses.
    utterances, _ = await turns_heard(engines, COUNTING, **{"vad.turn_model": ""})
    assert len(utterances) > 1


def test_a_missing_turn_model_is_one_warning_and_no_model(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    engines = Engines(live_config(), ModelStore(tmp_path))
    with caplog.at_level(logging.WARNING):
        assert engines.turn_model() is None
        assert engines.turn_model() is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "voiceslm models install smart-turn-v3.2" in warnings[0]


@pytest.mark.parametrize(
    ("text", "unfinished"),
    [
        ("1, 2.", True),
        ("One, two, three.", True),
        ("Uno, dos.", True),
        ("I would like, um", True),
        ("Tea and", True),
        ("Ten of clubs.", False),
        ("Go forward 10 meters.", False),
        ("Today, only platforms 1 and 3 are used.", False),
        ("", False),
    ],
)
def test_counts_and_open_endings_sound_unfinished(text: str, unfinished: bool) -> None:
    assert sounds_unfinished(text) is unfinished


def test_a_sentence_ends_with_its_punctuation() -> None:
    assert ends_sentence("Feels like these days go on forever.") and ends_sentence("Is it? ")
    assert not ends_sentence("had then leisure to consider how much") and not ends_sentence("")
