"""When the microphone must not be trusted because the pipeline's own voice may be in it.

`half-duplex` guards it whenever a reply plays (and `echo.tail_ms` after);
`pulse-aec` until PulseAudio's canceller has heard enough of the voice; `aec`
while WebRTC's canceller adapts and at the start of each reply. A barge-in's
audio is cancelled once more, with the echo's measured delay, before it is
transcribed.
"""

from __future__ import annotations

import numpy as np

from voiceslm.audio.playback import AudioOutput
from voiceslm.config import Config
from voiceslm.pipeline.reply import Playback

AEC_ADAPT_S = 5.0
"""Seconds of speech played before PulseAudio's echo canceller is trusted with a live microphone."""
REPLY_ONSET_GUARD_S = 0.6
"""aec: seconds at the start of each reply during which the microphone is guarded as in half-duplex. A
trusted canceller still let the first 0.2-0.3 s of a reply's echo through as speech now and then (after
a second of silence, on the looped-back virtual speaker); nobody interrupts a reply that early."""


class EchoGuard:
    def __init__(self, config: Config, output: AudioOutput, playback: Playback) -> None:
        self.config = config
        self._output = output
        self._playback = playback

    def half_duplex_now(self, at: float | None = None) -> bool:
        """Whether the microphone is guarded as in half-duplex (for audio captured at `at`, if given)."""
        mode = self.config.echo.mode
        # WebRTC's canceller needs a few seconds of the pipeline's voice to adapt;
        # until then it lets echo through, so the microphone is guarded as in half-duplex.
        if mode == "aec":
            echo = self._output.echo
            # No echo path (a recording and a file): nothing is cancelled, so stay safe.
            if echo is None or echo.canceller.adapting:
                return True
            playback = self._playback
            return at is not None and playback.speaking and at < playback.started_at + REPLY_ONSET_GUARD_S
        return mode == "half-duplex" or (mode == "pulse-aec" and self._playback.played_s < AEC_ADAPT_S)

    def deaf(self, captured_at: float) -> bool:
        """Whether audio captured then is to be ignored: guarded, and the voice (or its tail) was playing."""
        if not self.half_duplex_now(captured_at):
            return False
        deaf_until = self._output.buffer.last_audio_at + self.config.echo.tail_ms / 1000
        return self._playback.speaking or captured_at < deaf_until

    def recancel(self, audio: np.ndarray, speech_start: float, speech_end: float) -> np.ndarray:
        """aec: a barge-in's audio cancelled afresh with the echo's measured delay (its words survive).

        Thread-safe, and a third of a second of work on a small board: the transcriber calls it in the
        speech recogniser's worker thread, just before the words are decoded, never on the event loop."""
        echo = self._output.echo if self.config.echo.mode == "aec" else None
        start = speech_start - self.config.vad.preroll_ms / 1000
        return audio if echo is None else echo.recancel(audio, start, speech_end + 0.2)
