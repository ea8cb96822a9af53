"""Values of the right type that still cannot work, refused with the key and the layer that set them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from voiceslm.config_build import origin_of, short_repr
from voiceslm.engines import voices
from voiceslm.errors import UserError
from voiceslm.models import catalog
from voiceslm.models.catalog import WHISPER_LANGUAGES

if TYPE_CHECKING:
    from voiceslm.config import Config, TranslateConfig

LANGUAGE_CODE_LENGTH = 2
MAX_THREADS = max(4, 2 * (os.cpu_count() or 1))
"""More threads than this only contend for the cores; thousands would hang the engines' start."""
MAX_SYSTEM_PROMPT_CHARS = 8000


def is_language_code(code: str) -> bool:
    return len(code) == LANGUAGE_CODE_LENGTH and code.isascii() and code.isalpha() and code.islower()


def check_values(config: Config, sources: Mapping[str, str]) -> None:
    """Reject values that have the right type but cannot work."""

    def require(ok: bool, dotted: str, expected: str, value: Any) -> None:
        if not ok:
            raise UserError(f"{origin_of(dotted, sources)}: {dotted} must be {expected}, not {short_repr(value)}.")

    stt, lm, tts = config.stt, config.lm, config.tts
    require(1 <= stt.beam_size <= 10, "stt.beam_size", "between 1 and 10", stt.beam_size)
    require(
        0.0 <= stt.no_speech_threshold <= 1.0, "stt.no_speech_threshold", "between 0 and 1", stt.no_speech_threshold
    )
    require(stt.log_prob_threshold <= 0.0, "stt.log_prob_threshold", "0 or below", stt.log_prob_threshold)
    require(len(stt.languages) > 0, "stt.languages", "a non-empty list of language codes", list(stt.languages))
    for code in stt.languages:
        require(is_language_code(code), "stt.languages", "a list of two-letter language codes", list(stt.languages))
        require(code in WHISPER_LANGUAGES, "stt.languages", "languages whisper knows (such as en, es, ja)", code)
    threads_range = f"between 0 (automatic) and {MAX_THREADS} (this machine has {os.cpu_count() or 1} CPU cores)"
    for key, threads in (("stt.threads", stt.threads), ("lm.threads", lm.threads), ("tts.threads", tts.threads)):
        require(0 <= threads <= MAX_THREADS, key, threads_range, threads)
    require(5 <= stt.window_s <= 30, "stt.window_s", "between 5 and 30 seconds", stt.window_s)
    require(1 <= lm.max_tokens <= 4096, "lm.max_tokens", "between 1 and 4096", lm.max_tokens)
    require(0.0 <= lm.temperature <= 2.0, "lm.temperature", "between 0 and 2", lm.temperature)
    require(1.0 <= lm.repetition_penalty <= 2.0, "lm.repetition_penalty", "between 1 and 2", lm.repetition_penalty)
    require(0 <= lm.history_turns <= 20, "lm.history_turns", "between 0 and 20", lm.history_turns)
    require(0.25 <= tts.length_scale <= 4.0, "tts.length_scale", "between 0.25 and 4", tts.length_scale)
    require(0.0 < tts.volume <= 4.0, "tts.volume", "above 0 and at most 4", tts.volume)
    require(
        len(lm.system_prompt) <= MAX_SYSTEM_PROMPT_CHARS,
        "lm.system_prompt",
        f"at most {MAX_SYSTEM_PROMPT_CHARS:,} characters (a small model reads little more)",
        f"{len(lm.system_prompt):,} characters",
    )
    for language, voice in tts.voices.items():
        require(is_language_code(language), "tts.voices", "keyed by two-letter language codes", language)
        spec = voices.parse(voice)
        require(spec is not None, f"tts.voices.{language}", voices.SYNTAX, voice)
        assert spec is not None
        problem = voices.config_problem(language, spec)
        require(not problem, f"tts.voices.{language}", problem, voice)
        require(
            tts.nonfree_voices or not spec.nonfree,
            f"tts.voices.{language}",
            "a free voice while tts.nonfree_voices is false (MBROLA is for non-commercial use only)",
            voice,
        )
    source, target = config.translate.source, config.translate.target
    require(
        source == "auto" or is_language_code(source), "translate.source", 'a two-letter language code or "auto"', source
    )
    require(is_language_code(target), "translate.target", "a two-letter language code", target)
    assistant = config.assistant
    require(assistant.max_document_mb > 0, "assistant.max_document_mb", "above 0", assistant.max_document_mb)
    require(
        assistant.max_document_chars >= 1, "assistant.max_document_chars", "at least 1", assistant.max_document_chars
    )
    _check_translate_routes(config.translate, require)
    require(config.limits.max_text_chars >= 1, "limits.max_text_chars", "at least 1", config.limits.max_text_chars)
    require(config.limits.max_audio_seconds > 0, "limits.max_audio_seconds", "above 0", config.limits.max_audio_seconds)
    _check_live_values(config, require)
    _check_daemon_values(config, require)
    require(0 <= config.wyoming.queue <= 256, "wyoming.queue", "between 0 and 256", config.wyoming.queue)
    timeout = config.satellite.timeout_s
    require(0 < timeout <= 600, "satellite.timeout_s", "above 0 and at most 600 seconds", timeout)


def _check_translate_routes(translate: TranslateConfig, require: Any) -> None:
    from voiceslm.engines.routes import route_problem

    expected = route_problem(translate.engine)
    require(expected is None, "translate.engine", expected, translate.engine)
    for direction, route in translate.engines.items():
        source, _, target = str(direction).partition("-")
        require(
            is_language_code(source) and is_language_code(target),
            "translate.engines",
            'keyed by directions such as "en-es"',
            direction,
        )
        expected = route_problem(str(route))
        require(expected is None, f"translate.engines.{direction}", expected, route)


def _check_live_values(config: Config, require: Any) -> None:
    audio, vad, echo, live = config.audio, config.vad, config.echo, config.live
    for key, rate in (
        ("audio.input_sample_rate", audio.input_sample_rate),
        ("audio.output_sample_rate", audio.output_sample_rate),
    ):
        require(rate == 0 or 8000 <= rate <= 192000, key, "0 (device default) or between 8000 and 192000 Hz", rate)
    require(10 <= audio.block_ms <= 200, "audio.block_ms", "between 10 and 200", audio.block_ms)
    require(0.0 <= audio.output_latency <= 2.0, "audio.output_latency", "between 0 and 2 seconds", audio.output_latency)
    require(0.1 <= audio.reopen_max_s <= 300, "audio.reopen_max_s", "between 0.1 and 300 seconds", audio.reopen_max_s)
    require(0.05 <= vad.threshold <= 0.95, "vad.threshold", "between 0.05 and 0.95", vad.threshold)
    require(100 <= vad.min_silence_ms <= 5000, "vad.min_silence_ms", "between 100 and 5000", vad.min_silence_ms)
    require(0 <= vad.preroll_ms <= 2000, "vad.preroll_ms", "between 0 and 2000", vad.preroll_ms)
    require(1.0 <= vad.max_utterance_s <= 120, "vad.max_utterance_s", "between 1 and 120 seconds", vad.max_utterance_s)
    require(30 <= vad.min_speech_ms <= 2000, "vad.min_speech_ms", "between 30 and 2000", vad.min_speech_ms)
    require(
        vad.speculate_ms == 0 or 64 <= vad.speculate_ms < vad.min_silence_ms,
        "vad.speculate_ms",
        "0 (off) or from 64 up to below vad.min_silence_ms",
        vad.speculate_ms,
    )
    require(0.0 < vad.turn_threshold < 1.0, "vad.turn_threshold", "between 0 and 1 (exclusive)", vad.turn_threshold)
    require(
        vad.min_silence_ms <= vad.max_silence_ms <= 10000,
        "vad.max_silence_ms",
        "from vad.min_silence_ms up to 10000",
        vad.max_silence_ms,
    )
    if vad.turn_model:
        entry = catalog.find(vad.turn_model)
        require(
            entry is not None and entry.role == "turn",
            "vad.turn_model",
            'empty (off) or a turn model from `voiceslm models list`, such as "smart-turn-v3.2"',
            vad.turn_model,
        )
    require(0 <= echo.tail_ms <= 5000, "echo.tail_ms", "between 0 and 5000", echo.tail_ms)
    require(0 <= echo.adapt_s <= 30, "echo.adapt_s", "between 0 and 30 seconds", echo.adapt_s)
    require(
        4 <= live.audio_queue_blocks <= 10000, "live.audio_queue_blocks", "between 4 and 10000", live.audio_queue_blocks
    )


def _check_daemon_values(config: Config, require: Any) -> None:
    daemon, privacy = config.daemon, config.privacy
    for key, path in (
        ("daemon.socket", daemon.socket),
        ("privacy.audio_dir", privacy.audio_dir),
        ("privacy.transcript_path", privacy.transcript_path),
    ):
        require(not path or os.path.isabs(os.path.expanduser(path)), key, "an absolute path or empty", path)
    require(len(daemon.socket) <= 100, "daemon.socket", "at most 100 characters (a Unix socket limit)", daemon.socket)
    require(
        1.0 <= daemon.control_idle_timeout <= 3600,
        "daemon.control_idle_timeout",
        "between 1 and 3600 seconds",
        daemon.control_idle_timeout,
    )
    require(0 <= privacy.retention_days <= 3650, "privacy.retention_days", "between 0 and 3650", privacy.retention_days)
    require(0 <= privacy.retention_mb <= 100000, "privacy.retention_mb", "between 0 and 100000", privacy.retention_mb)
    assistant = config.assistant
    require(
        0 <= assistant.max_spoken_sentences <= 50,
        "assistant.max_spoken_sentences",
        "between 0 (no cap) and 50",
        assistant.max_spoken_sentences,
    )
    require(
        0.5 <= assistant.policy_threshold < 1,
        "assistant.policy_threshold",
        "at least 0.5 and below 1",
        assistant.policy_threshold,
    )
    require(
        0.5 <= assistant.policy_encoder_threshold < 1,
        "assistant.policy_encoder_threshold",
        "at least 0.5 and below 1",
        assistant.policy_encoder_threshold,
    )
    require(
        0.5 <= assistant.policy_combined_threshold < 1,
        "assistant.policy_combined_threshold",
        "at least 0.5 and below 1",
        assistant.policy_combined_threshold,
    )
    if assistant.policy_encoder:
        from voiceslm.models.catalog import find

        entry = find(assistant.policy_encoder)
        require(
            entry is not None and entry.role == "policy",
            "assistant.policy_encoder",
            '"" (off) or a sentence encoder of `voiceslm models list` (use-multilingual-v3)',
            assistant.policy_encoder,
        )
    require(0 <= assistant.notes_days <= 36500, "assistant.notes_days", "between 0 and 36500", assistant.notes_days)
