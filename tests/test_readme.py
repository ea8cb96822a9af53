"""The README is the user's door: every command and config key is documented there."""

from __future__ import annotations

import argparse
from pathlib import Path

from voiceslm.cli import build_parser
from voiceslm.config import Config, flatten

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_config_key_is_documented() -> None:
    missing = [key for key, _ in flatten(Config()) if f"`{key}`" not in README]
    assert not missing, f"config keys missing from README.md: {missing}"


def test_every_command_is_documented() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = [name for name in commands.choices if f"voiceslm {name}" not in README]
    assert not missing, f"commands missing from README.md: {missing}"


def test_quick_start_is_two_commands_that_exist() -> None:
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert lines == ["scripts/quickstart.sh", "scripts/test.sh"]
    root = Path(__file__).resolve().parent.parent
    assert all((root / line).is_file() for line in lines)
    assert "scripts/test.sh" in (root / ".ci" / "run").read_text()
