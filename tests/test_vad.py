"""Streaming Silero VAD and end-of-turn detection on real recordings."""

from __future__ import annotations

import numpy as np
import pytest
from live_support import DATA, live_config

from voiceslm.audio.io import load_audio
from voiceslm.engines.vad import FRAME_S, FRAME_SAMPLES, SileroVad
from voiceslm.pipeline.turns import (
    FrameSplitter,
    PushToTalkRecorder,
    TurnDetector,
    TurnEnd,
    TurnPause,
    TurnResume,
    TurnStart,
)


@pytest.fixture(scope="module")
def vad() -> SileroVad:
    return SileroVad()


def frames_of(samples: np.ndarray, start: float = 100.0) -> list[tuple[float, np.ndarray]]:
    splitter = FrameSplitter()
    return splitter.feed(samples.astype(np.float32), start)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * 16000), dtype=np.float32)


def voiced_part(vad: SileroVad, samples: np.ndarray) -> np.ndarray:
    """The clip from its first to its last voiced frame (recordings carry silence at both ends)."""
    vad.reset()
    voiced = [i for i, (_, frame) in enumerate(frames_of(samples)) if vad.probability(frame) >= 0.5]
    return samples[voiced[0] * FRAME_SAMPLES : (voiced[-1] + 1) * FRAME_SAMPLES]


def run(detector: TurnDetector, vad: SileroVad, samples: np.ndarray, start: float = 100.0) -> list:
    vad.reset()
    decisions = []
    for at, frame in frames_of(samples, start):
        decisions += detector.feed(at, frame, vad.probability(frame))
    return decisions


def test_speech_scores_high_and_silence_low(vad: SileroVad):
    speech = load_audio(DATA / "en_cheetah_platforms.wav")
    vad.reset()
    speech_probs = [vad.probability(frame) for _, frame in frames_of(speech)]
    vad.reset()
    silent_probs = [vad.probability(frame) for _, frame in frames_of(silence(1.0))]
    assert max(silent_probs) < 0.1
    assert sum(p >= 0.5 for p in speech_probs) * FRAME_S > 1.5  # the clip holds ~3 s of speech


def test_state_is_carried_across_frames(vad: SileroVad):
    speech = load_audio(DATA / "en_cheetah_platforms.wav")[:16000]
    frames = [frame for _, frame in frames_of(speech)]
    vad.reset()
    first = [vad.probability(frame) for frame in frames]
    vad.reset()
    again = [vad.probability(frame) for frame in frames]
    assert first == again  # reset really forgets
    vad.reset()
    cold = vad.probability(frames[-1])
    assert cold != pytest.approx(first[-1], abs=1e-4)  # the same frame scores differently with context


def test_a_frame_must_be_512_samples(vad: SileroVad):
    with pytest.raises(ValueError, match="512"):
        vad.probability(np.zeros(100, dtype=np.float32))


def test_one_turn_with_preroll_pause_and_end(vad: SileroVad):
    config = live_config().vad
    speech = load_audio(DATA / "en_cheetah_platforms.wav")
    samples = np.concatenate([silence(0.5), speech, silence(1.5)])
    decisions = run(TurnDetector(config), vad, samples)
    kinds = [type(d) for d in decisions]
    assert kinds.count(TurnStart) == 1 and kinds.count(TurnEnd) == 1
    assert kinds.index(TurnStart) < kinds.index(TurnEnd)
    assert TurnPause in kinds[kinds.index(TurnStart) : kinds.index(TurnEnd)]
    end = decisions[kinds.index(TurnEnd)]
    assert end.reason == "silence"
    # Speech begins a little after the 0.5 s of lead-in silence, ends before the clip does.
    assert 100.3 < end.speech_start < 100.5 + 1.0
    assert end.speech_end <= 100.5 + speech.size / 16000 + FRAME_S
    # The turn is decided after the configured silence, and no sooner.
    waited = end.detected_at - end.speech_end
    assert config.min_silence_ms / 1000 <= waited < config.min_silence_ms / 1000 + 2 * FRAME_S
    # The audio starts with the pre-roll before the first voiced frame.
    assert end.audio.size / 16000 >= (end.speech_end - end.speech_start) + config.preroll_ms / 1000 - FRAME_S


def test_a_pause_then_more_speech_resumes_the_turn(vad: SileroVad):
    config = live_config(**{"vad.min_silence_ms": 800, "vad.speculate_ms": 200}).vad
    speech = voiced_part(vad, load_audio(DATA / "en_pocketsphinx_goforward.wav"))
    samples = np.concatenate([silence(0.3), speech, silence(0.4), speech, silence(1.5)])
    kinds = [type(d) for d in run(TurnDetector(config), vad, samples)]
    assert kinds.count(TurnEnd) == 1  # one turn: the 0.45 s gap is a pause, not an end
    assert TurnResume in kinds


def test_a_blip_shorter_than_min_speech_is_ignored(vad: SileroVad):
    config = live_config(**{"vad.min_speech_ms": 500}).vad
    speech = load_audio(DATA / "en_cheetah_platforms.wav")
    voiced = [i for i, (_, f) in enumerate(frames_of(speech)) if vad.probability(f) >= 0.5]
    start = voiced[len(voiced) // 2] * FRAME_SAMPLES
    blip = speech[start : start + 4 * FRAME_SAMPLES]  # 128 ms of speech
    decisions = run(TurnDetector(config), vad, np.concatenate([silence(0.5), blip, silence(1.5)]))
    assert not [d for d in decisions if isinstance(d, TurnStart | TurnEnd)]


def test_a_long_turn_is_cut_at_max_utterance(vad: SileroVad):
    config = live_config(**{"vad.max_utterance_s": 2.0}).vad
    speech = load_audio(DATA / "en_cheetah_platforms.wav")
    ends = [d for d in run(TurnDetector(config), vad, np.concatenate([speech, silence(1.0)])) if isinstance(d, TurnEnd)]
    assert ends[0].reason == "max-length"
    assert ends[0].audio.size / 16000 <= 2.0 + config.preroll_ms / 1000 + FRAME_S


def test_frame_times_follow_each_block_stamp():
    splitter = FrameSplitter()
    first = splitter.feed(np.zeros(700, dtype=np.float32), 10.0)
    assert [at for at, _ in first] == [10.0]
    # 188 samples were left over; the next block's stamp says where they were.
    second = splitter.feed(np.zeros(400, dtype=np.float32), 50.0)
    assert second[0][0] == pytest.approx(50.0 - 188 / 16000)


def test_push_to_talk_keeps_speech_and_drops_silence(vad: SileroVad):
    config = live_config().vad
    recorder = PushToTalkRecorder(config)
    recorder.start(5.0)
    vad.reset()
    for at, frame in frames_of(silence(1.0), 5.0):
        recorder.feed(at, frame, vad.probability(frame))
    assert recorder.stop(6.0) is None
    speech = load_audio(DATA / "en_pocketsphinx_goforward.wav")
    recorder.start(7.0)
    for at, frame in frames_of(speech, 7.0):
        recorder.feed(at, frame, vad.probability(frame))
    turn = recorder.stop(10.0)
    assert turn is not None and turn.reason == "ptt"
    assert turn.speech_end == 10.0  # the release ends the turn
    assert turn.audio.size == len(frames_of(speech)) * FRAME_SAMPLES
