"""Which models a mode needs: one answer for the live session, the daemon and doctor."""

from __future__ import annotations

from pathlib import Path

import pytest
from live_support import live_config

from voiceslm.doctor import _models
from voiceslm.models.needs import configured_models, model_names, needs_for, start_needs
from voiceslm.pipeline.session import LiveSession

PIPER_ES = "piper-es_ES-davefx-medium"


def _config(**overrides: object):
    voices = {"es": f"piper:{PIPER_ES}", "en": "espeak"}
    return live_config(**{"tts.voices": voices, "translate.target": "es", **overrides})


@pytest.mark.parametrize(
    ("overrides", "stt", "lm", "voices"),
    [
        ({"live.mode": "transcribe", "translate.source": "en"}, ("en",), (), ()),
        ({"live.mode": "translate", "translate.source": "en"}, ("en",), ("translate",), ("es",)),
        ({"live.mode": "translate", "translate.source": "auto"}, (None,), ("translate",), ("es",)),
        ({"live.mode": "assist", "translate.source": "auto"}, (None,), ("assist",), ("en",)),
        # A conversation hears either language (detected within the pair) and answers in both.
        (
            {"live.mode": "converse", "translate.source": "en", "translate.target": "es"},
            (None,),
            ("translate",),
            ("es", "en"),
        ),
    ],
)
def test_needs_per_mode(overrides: dict, stt: tuple, lm: tuple, voices: tuple) -> None:
    needs = start_needs(_config(**overrides))
    assert (needs.stt_languages, needs.lm_roles, needs.voice_languages) == (stt, lm, voices)


def test_the_session_and_doctor_agree_for_a_conversation(tmp_path: Path) -> None:
    config = _config(
        **{"live.mode": "converse", "translate.source": "en", "translate.target": "es", "models.store": str(tmp_path)}
    )
    session = LiveSession(config)
    assert session.route.needs() == start_needs(config)
    required = set(model_names(config, start_needs(config)))
    # Two-way speech is not English-only: the multilingual model, the translator and the Spanish voice.
    assert required == {config.stt.model, config.lm.translate_model, PIPER_ES}
    # doctor fails exactly the required models that are missing (the store here is empty), warns for the rest.
    levels = {check.message.split()[1]: check.level for check in _models(config, full=False)}
    assert {name for name, level in levels.items() if level == "fail"} == required
    assert set(levels) == set(configured_models(config))


def test_needs_for_a_mode_change_matches_the_start_mode() -> None:
    config = _config(**{"live.mode": "transcribe", "translate.source": "en"})
    changed = LiveSession(config).route.changed("translate", "en", "es")
    assert changed.needs() == needs_for(config, "translate", "en", "es")
    assert model_names(config, changed.needs()) == [config.stt.english_model, config.lm.translate_model, PIPER_ES]
