"""Speech-to-text with Whisper's encoder window cut to the utterance, on the real tiny.en model."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from voiceslm.audio.io import STT_SAMPLE_RATE, load_audio
from voiceslm.config import SttConfig
from voiceslm.text import normalize_for_scoring

DATA = Path(__file__).resolve().parent / "data"
PLATFORMS = DATA / "en_cheetah_platforms.wav"  # "Today only platforms one and three are used."
# "Go forward ten meters", as the live VAD cut it: in a 10 s window whisper-base hears only "10 meters".
GOFORWARD_CUT = DATA / "en_pocketsphinx_goforward_live_cut.wav"


@pytest.fixture(scope="module")
def whisper_windows(model_store):
    """Two real tiny.en engines, one with the default 10 s window and one with Whisper's 30 s."""
    from voiceslm.engines.stt import WhisperSTT

    path = model_store.require("whisper-tiny.en")
    engines = {
        window: WhisperSTT.load(path, SttConfig(window_s=window, vad_filter=False), "whisper-tiny.en")
        for window in (10, 30)
    }
    yield engines
    for engine in engines.values():
        engine.close()


@contextlib.contextmanager
def encoded_frames(stt) -> Iterator[list[int]]:
    """Record the length of every feature window the real encoder is given."""
    seen: list[int] = []
    window = stt._window
    encode = window._encode

    def spy(features: np.ndarray) -> object:
        seen.append(int(features.shape[-1]))
        return encode(features)

    window._encode = spy
    try:
        yield seen
    finally:
        window._encode = encode


def test_short_utterance_is_encoded_in_a_short_window_with_the_same_words(whisper_windows) -> None:
    audio = load_audio(PLATFORMS)
    short, full = whisper_windows[10], whisper_windows[30]
    with encoded_frames(short) as short_frames, encoded_frames(full) as full_frames:
        short_text = short.transcribe(audio, "en").text
        full_text = full.transcribe(audio, "en").text
    assert short_frames == [1000], short_frames  # 10 s of 10 ms frames
    assert full_frames == [3000], full_frames
    assert normalize_for_scoring(short_text) == normalize_for_scoring(full_text), (short_text, full_text)
    assert {"today", "only", "platforms", "used"} <= set(normalize_for_scoring(short_text).split())


def test_a_barge_in_is_decoded_in_the_full_window(whisper_windows) -> None:
    audio = load_audio(PLATFORMS)
    with encoded_frames(whisper_windows[10]) as frames:
        text = whisper_windows[10].transcribe(audio, "en", full_window=True).text
    assert frames == [3000], frames
    assert {"today", "only", "platforms", "used"} <= set(normalize_for_scoring(text).split())


def test_window_never_cuts_into_the_audio(whisper_windows) -> None:
    # 12 s of silence, then the sentence: the window must reach past its end.
    speech = load_audio(PLATFORMS)
    audio = np.concatenate([np.zeros(12 * STT_SAMPLE_RATE, dtype=np.float32), speech])
    stt = whisper_windows[10]
    with encoded_frames(stt) as frames:
        text = stt.transcribe(audio, "en").text
    seconds = audio.shape[0] / STT_SAMPLE_RATE
    assert frames and frames[0] >= (seconds + 1) * 100, (frames, seconds)
    assert {"platforms", "used"} <= set(normalize_for_scoring(text).split()), text


def test_long_audio_keeps_whisper_full_window(whisper_windows) -> None:
    audio = np.zeros(29 * STT_SAMPLE_RATE, dtype=np.float32)
    audio[-len(load_audio(PLATFORMS)) :] = load_audio(PLATFORMS)
    stt = whisper_windows[10]
    with encoded_frames(stt) as frames:
        stt.transcribe(audio, "en")
    assert frames and set(frames) == {3000}, frames


def test_an_unsure_short_window_is_decoded_again_in_the_full_one(model_store) -> None:
    from voiceslm.engines.stt import WINDOW_RETRY_LOGPROB, WhisperSTT, _confidence

    stt = WhisperSTT.load(model_store.require("whisper-base"), SttConfig(window_s=10), "whisper-base")
    audio = load_audio(GOFORWARD_CUT)
    with encoded_frames(stt) as frames:
        heard = stt.transcribe(audio, "en")
    stt.close()
    assert frames == [1000, 3000], frames  # short window, then the full one
    assert {"go", "forward", "meters"} <= set(normalize_for_scoring(heard.text).split()), heard.text
    assert _confidence(heard.segments) >= WINDOW_RETRY_LOGPROB


def test_window_outside_its_range_is_refused_by_name(tmp_path: Path) -> None:
    from voiceslm.config import load_config
    from voiceslm.errors import UserError

    bad = tmp_path / "bad.yaml"
    bad.write_text("stt:\n  window_s: 2\n")
    with pytest.raises(UserError, match=r"stt\.window_s must be between 5 and 30 seconds"):
        load_config(bad, use_system_layers=False)
