"""Configuration: layering, provenance, and one-sentence refusals of bad values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from voiceslm.config import Config, flatten, load_config, source_of
from voiceslm.errors import UserError

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def isolated_layers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the system and user layers at an empty temp dir."""
    monkeypatch.setenv("VOICESLM_SYSTEM_CONFIG", str(tmp_path / "etc" / "config.yaml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_default_documents_and_sets_every_key() -> None:
    loaded = load_config()
    config_keys = {key for key, _ in flatten(loaded.config)}
    # Every key of the schema is set (and so documented) in the packaged YAML.
    assert {k for k, v in loaded.sources.items() if v == "packaged default"} >= config_keys
    # The file in config/ is the one the package ships.
    packaged = (REPO / "voiceslm" / "default_config.yaml").read_text()
    assert packaged == (REPO / "config" / "voiceslm.yaml").read_text()


def test_later_layers_win_and_remember_their_source(isolated_layers: Path) -> None:
    write(isolated_layers / "etc" / "config.yaml", "translate:\n  target: de\nstt:\n  beam_size: 2\n")
    write(isolated_layers / "xdg" / "voiceslm" / "config.yaml", "translate:\n  target: fr\n")
    extra = write(isolated_layers / "extra.yaml", "stt:\n  beam_size: 3\n")
    loaded = load_config(extra, {"lm.max_tokens": 64})
    config = loaded.config
    assert config.translate.target == "fr"
    assert source_of(loaded, "translate.target").endswith("xdg/voiceslm/config.yaml")
    assert config.stt.beam_size == 3
    assert source_of(loaded, "stt.beam_size") == str(extra)
    assert config.lm.max_tokens == 64
    assert source_of(loaded, "lm.max_tokens") == "command line"
    assert source_of(loaded, "stt.compute_type") == "packaged default"
    assert config.stt.languages == Config().stt.languages


def test_config_is_frozen() -> None:
    config = load_config().config
    with pytest.raises(AttributeError):
        config.stt.beam_size = 4  # type: ignore[misc]


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("stt:\n  beam_sise: 2\n", "unknown key 'stt.beam_sise'"),
        ("sttt:\n  beam_size: 2\n", "unknown key 'sttt'"),
        ("stt:\n  beam_size: two\n", "stt.beam_size must be a whole number"),
        ("stt:\n  beam_size: 0\n", "stt.beam_size must be between 1 and 10"),
        ("stt:\n  vad_filter: 3\n", "stt.vad_filter must be true or false"),
        ("stt:\n  compute_type: int3\n", "stt.compute_type must be one of"),
        ("stt:\n  languages: [english]\n", "stt.languages must be a list of two-letter language codes"),
        ("translate:\n  target: spanish\n", "translate.target must be a two-letter language code"),
        ("tts:\n  voices:\n    en: festival\n", "tts.voices.en must be"),
        ("lm:\n  temperature: 9\n", "lm.temperature must be between 0 and 2"),
        ("stt: 5\n", "stt must be a mapping"),
        ("- a\n- b\n", "must be a mapping of sections"),
        ("stt:\n  beam_size: [1\n", "is not valid YAML at line"),
    ],
)
def test_bad_values_are_refused_naming_file_and_key(isolated_layers: Path, yaml_text: str, expected: str) -> None:
    path = write(isolated_layers / "bad.yaml", yaml_text)
    with pytest.raises(UserError) as error:
        load_config(path)
    message = str(error.value)
    assert expected in message
    assert str(path) in message
    assert "\n" not in message


def test_missing_config_file_is_refused(isolated_layers: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        load_config(isolated_layers / "nope.yaml")


def run_cli(
    *args: str, env_extra: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "voiceslm", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def test_cli_refuses_bad_config_in_one_sentence_without_traceback(isolated_layers: Path) -> None:
    path = write(isolated_layers / "bad.yaml", "stt:\n  beam_size: -1\n")
    result = run_cli("--config", str(path), "config", "show")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "stt.beam_size must be between 1 and 10" in result.stderr


def test_cli_set_flag_and_config_show_json(isolated_layers: Path) -> None:
    result = run_cli("--set", "stt.beam_size=4", "config", "show", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["values"]["stt.beam_size"] == {"value": 4, "source": "command line"}
    assert data["values"]["translate.target"]["source"] == "packaged default"

    bad = run_cli("--set", "stt.beam_size", "config", "show")
    assert bad.returncode == 2 and "is not KEY=VALUE" in bad.stderr


def test_cli_config_show_table_names_layers(isolated_layers: Path) -> None:
    write(isolated_layers / "xdg" / "voiceslm" / "config.yaml", "translate:\n  target: it\n")
    result = run_cli("config", "show")
    assert result.returncode == 0, result.stderr
    line = next(row for row in result.stdout.splitlines() if row.startswith("translate.target"))
    assert '"it"' in line and "xdg/voiceslm/config.yaml" in line
