"""Configuration that is hostile or careless: refused fast, in one sentence, without reprinting itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from voiceslm.config import MAX_THREADS, load_config
from voiceslm.errors import UserError

ALIAS_BOMB = "\n".join(
    ["stt:", '  phantom_phrases: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 10)]
)


@pytest.fixture(autouse=True)
def isolated_layers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VOICESLM_SYSTEM_CONFIG", str(tmp_path / "etc" / "config.yaml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path


def refusal(path: Path) -> str:
    with pytest.raises(UserError) as error:
        load_config(path)
    message = str(error.value)
    assert str(path) in message and "\n" not in message and len(message) < 400
    return message


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    # Nine levels of nine aliases stand for 9**10 strings; building them would take gigabytes.
    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB + "\n")
    assert "anchors and aliases expand to over" in refusal(path)


def test_a_few_aliases_are_still_fine(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text('phrases: &p ["thanks for watching"]\nstt:\n  phantom_phrases: *p\n'.replace("phrases:", "x-:"))
    # An unknown top-level key is still refused by name, after the aliases were read.
    assert "unknown key 'x-'" in refusal(path)
    path.write_text('stt:\n  phantom_phrases: &p ["thanks for watching"]\n  languages: [en]\n')
    assert load_config(path).config.stt.phantom_phrases == ("thanks for watching",)


def test_a_self_referring_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("stt:\n  phantom_phrases: &a [*a]\n")
    assert "refers to itself" in refusal(path)


def test_duplicate_keys_are_refused_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "twice.yaml"
    path.write_text("translate:\n  target: de\n  target: fr\n")
    assert "key 'target' appears twice in one mapping (again at line 3)" in refusal(path)


def test_oversized_and_endless_files_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * 1_100_000 + "\n")
    assert "over 1,000,000 bytes" in refusal(big)
    # A device that never ends is read no further than the limit.
    assert "over 1,000,000 bytes" in refusal(Path("/dev/zero"))


def test_a_long_value_is_named_not_reprinted(tmp_path: Path) -> None:
    path = tmp_path / "prompt.yaml"
    path.write_text("lm:\n  system_prompt: '" + "be brief. " * 18000 + "'\n")
    message = refusal(path)
    assert "lm.system_prompt must be at most 8,000 characters" in message and "180,000 characters" in message


@pytest.mark.parametrize("key", ["stt.threads", "lm.threads", "tts.threads"])
def test_thread_counts_are_bounded_by_the_machine(tmp_path: Path, key: str) -> None:
    section, name = key.split(".")
    path = tmp_path / "threads.yaml"
    path.write_text(f"{section}:\n  {name}: 9999\n")
    assert f"{key} must be between 0 (automatic) and {MAX_THREADS}" in refusal(path)


def test_a_language_whisper_does_not_know_is_refused_at_check(tmp_path: Path) -> None:
    path = tmp_path / "lang.yaml"
    path.write_text("stt:\n  languages: [en, xx]\n")
    assert "stt.languages must be languages whisper knows" in refusal(path)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "voiceslm", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_set_flag_edges_get_one_sentence(tmp_path: Path) -> None:
    empty = run_cli("--set", "stt.beam_size=", "config", "check")
    assert empty.returncode == 2 and "gives no value" in empty.stderr and "Traceback" not in empty.stderr
    unknown = run_cli("--set", "nosuch.key=1", "config", "check")
    assert unknown.returncode == 2 and "command line: unknown key 'nosuch'" in unknown.stderr
    levels = ['&l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"&l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 10)]
    bomb = run_cli("--set", "stt.phantom_phrases=[" + ", ".join(levels) + "]", "config", "check")
    assert bomb.returncode == 2 and "expand to over 100,000 values" in bomb.stderr and "Traceback" not in bomb.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file regardless of its mode")
def test_an_unreachable_user_config_is_one_sentence(tmp_path: Path) -> None:
    folder = tmp_path / "xdg" / "voiceslm"
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text("translate:\n  target: de\n")
    folder.chmod(0)
    try:
        result = run_cli("config", "check", env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    finally:
        folder.chmod(0o700)
    assert result.returncode == 2 and "cannot be" in result.stderr and "Traceback" not in result.stderr


def test_a_huge_beam_size_is_refused_at_check() -> None:
    result = run_cli("--set", "stt.beam_size=99999999999999999999", "config", "check")
    assert result.returncode == 2 and "stt.beam_size must be between 1 and 10" in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
