"""Which models a mode needs: the one answer the live pipeline, the daemon and `doctor` share.

A mode needs a speech-to-text model for the language it hears (the smaller
English-only one when it hears only English), a language model for its role
(translate or assist, none to transcribe) and a voice for each language it
answers in. `needs_for` says which of those; the `*_model_name` functions turn
them into catalog names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from voiceslm.config import Config, Mode

LmRole = Literal["translate", "assist"]
PIPER_PREFIX = "piper:"


@dataclass(frozen=True)
class Needs:
    """What one mode with one language pair loads before its first utterance."""

    stt_languages: tuple[str | None, ...]
    """Languages speech is transcribed as; None: detected."""
    lm_roles: tuple[LmRole, ...]
    voice_languages: tuple[str, ...]
    directions: tuple[tuple[str | None, str], ...] = ()
    """Translation directions (source None: detected) whose engines load up front; others load on first use."""


def two_way(config: Config, mode: Mode, source: str | None) -> bool:
    """Each utterance is in one of two languages and goes into the other."""
    if not source:
        return False
    return mode == "converse" or (mode == "translate" and config.live.two_way)


def stt_language(config: Config, mode: Mode, source: str | None) -> str | None:
    """The language to transcribe as, or None to detect it."""
    return None if two_way(config, mode, source) else source


def needs_for(config: Config, mode: Mode, source: str | None, target: str) -> Needs:
    """The models `mode` needs from `source` (None: detected) into `target`."""
    stt = (stt_language(config, mode, source),)
    if mode in ("translate", "converse"):
        if two_way(config, mode, source) and source:
            return Needs(stt, ("translate",), (target, source), ((source, target), (target, source)))
        return Needs(stt, ("translate",), (target,), ((source, target),))
    if mode == "assist":
        return Needs(stt, ("assist",), (source or "en",))
    return Needs(stt, (), ())


def start_needs(config: Config) -> Needs:
    """What the configured start mode (`live.mode`, `translate.*`) needs."""
    source = config.translate.source
    return needs_for(config, config.live.mode, None if source == "auto" else source, config.translate.target)


def stt_model_name(config: Config, language: str | None) -> str:
    """English-only speech goes to the smaller English model when one is set."""
    if language == "en" and config.stt.english_model:
        return config.stt.english_model
    return config.stt.model


def lm_model_name(config: Config, role: LmRole) -> str:
    return config.lm.translate_model if role == "translate" else config.lm.assist_model


def voice_model_name(config: Config, language: str) -> str | None:
    """The installed model a language's voice needs; None for one built in (espeak-ng)."""
    voice = config.tts.voices.get(language, "espeak")
    return voice.removeprefix(PIPER_PREFIX) if voice.startswith(PIPER_PREFIX) else None


def model_names(config: Config, needs: Needs) -> list[str]:
    """Catalog names of the models `needs` takes, each once, in load order."""
    names = [stt_model_name(config, language) for language in needs.stt_languages]
    names += [lm_model_name(config, role) for role in needs.lm_roles]
    names += [name for language in needs.voice_languages if (name := voice_model_name(config, language))]
    return list(dict.fromkeys(name for name in names if name))


def configured_models(config: Config) -> list[str]:
    """Every model the configuration names (some may be needed only in some modes)."""
    names = [config.stt.model, config.stt.english_model, config.lm.translate_model, config.lm.assist_model]
    names += [name for language in config.tts.voices if (name := voice_model_name(config, language))]
    names.append(config.vad.turn_model)  # optional: without it a turn ends on silence alone
    names.append(config.assistant.policy_encoder)  # optional: without it the policy's other layers decline harm
    return list(dict.fromkeys(name for name in names if name))
