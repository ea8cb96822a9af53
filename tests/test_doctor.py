"""`voiceslm doctor`: one line per check with the fix, non-zero on any failure; run as a user would."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from voiceslm.config import Config

LINE = re.compile(r"^(ok  |warn|FAIL)  (\S[\w ]*?)\s+(.+)$")


def doctor(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {
        **os.environ,
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "VOICESLM_SYSTEM_CONFIG": str(tmp_path / "no-system.yaml"),
    }
    (tmp_path / "run").mkdir(mode=0o700, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "voiceslm", *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        timeout=600,
    )


def checks(output: str) -> list[tuple[str, str, str]]:
    rows = []
    for line in output.splitlines()[:-1]:
        found = LINE.match(line)
        assert found, f"not a check line: {line!r}"
        rows.append((found.group(1).strip(), found.group(2).strip(), found.group(3)))
    return rows


def test_missing_models_fail_with_the_install_command(pulse: Any, tmp_path: Path) -> None:
    result = doctor(tmp_path, "doctor", "--quick", env={"VOICESLM_MODELS": str(tmp_path / "empty-store")})
    assert result.returncode == 1, result.stdout + result.stderr
    rows = checks(result.stdout)
    by_name = {name: (level, text) for level, name, text in rows}
    assert by_name["config"][0] == "ok"
    assert by_name["portaudio"][0] == "ok"
    assert by_name["microphone"][0] == "ok" and by_name["speaker"][0] == "ok"
    assert by_name["cpu"][0] in ("ok", "warn") and by_name["ctranslate2"][0] == "ok"
    model_rows = [(level, text) for level, name, text in rows if name == "model"]
    stt = Config().stt.model
    assert ("FAIL", f"Model {stt} is not installed -> fix: voiceslm models install {stt}") in model_rows
    # Only what the start mode needs is a failure; the assistant's model is a warning in translate mode.
    assist = Config().lm.assist_model
    assert any(
        level == "warn" and assist in text and "not needed in translate mode" in text for level, text in model_rows
    )
    failed = sum(level == "FAIL" for level, _, _ in rows)
    assert result.stdout.splitlines()[-1] == f"{len(rows)} checks: {failed} failed, " + (
        f"{sum(level == 'warn' for level, _, _ in rows)} warnings"
    )


def test_a_bad_config_is_a_failure_with_its_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("stt:\n  beam_size: 0\n")
    result = doctor(tmp_path, "--config", str(bad), "doctor", "--quick")
    assert result.returncode == 1
    first = checks(result.stdout)[0]
    assert first[0] == "FAIL" and first[1] == "config"
    assert f"{bad}: stt.beam_size must be between 1 and 10, not 0." in first[2]


def test_no_audio_devices_is_a_failure_naming_the_fix(tmp_path: Path) -> None:
    # No sound server and no sound card: what a headless box without PulseAudio looks like.
    env = {"PULSE_SERVER": f"unix:{tmp_path}/no-pulse", "PULSE_RUNTIME_PATH": str(tmp_path / "no-pulse-dir")}
    result = doctor(tmp_path, "doctor", "--quick", env=env)
    by_name = {name: (level, text) for level, name, text in checks(result.stdout)}
    if by_name.get("microphone", ("ok", ""))[0] == "ok":
        pytest.skip("this machine has a real sound card")
    assert result.returncode == 1
    assert by_name["microphone"][0] == "FAIL"
    assert "scripts/pulse.sh start gives virtual devices" in by_name["microphone"][1]
    assert "`audio` group" in by_name["speaker"][1]


def test_installed_models_verify_and_a_stale_socket_is_a_warning(pulse: Any, model_store: Any, tmp_path: Path) -> None:
    defaults = Config()
    model_store.require(defaults.stt.model)
    model_store.require(defaults.lm.translate_model)
    # A socket left by a daemon killed with SIGKILL.
    stale = tmp_path / "run" / "voiceslm" / "control.sock"
    stale.parent.mkdir(parents=True, mode=0o700)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(stale))
    dead.close()
    result = doctor(tmp_path, "doctor", "--json")
    report = json.loads(result.stdout)
    assert result.returncode == (0 if report["ok"] else 1)
    levels = {c["name"]: c["level"] for c in report["checks"]}
    assert report["ok"] is True, [c for c in report["checks"] if c["level"] == "fail"]
    verified = [c["message"] for c in report["checks"] if c["name"] == "model" and c["level"] == "ok"]
    assert any(m.startswith(f"{defaults.stt.model}: sha256 verified") for m in verified)
    assert any(m.startswith(f"{defaults.lm.translate_model}: sha256 verified") for m in verified)
    socket_check = next(c for c in report["checks"] if c["name"] == "socket")
    assert socket_check["level"] == "warn" and "left from a daemon that died" in socket_check["message"]
    assert levels["runtime dir"] == "ok" and levels["privacy"] == "ok"
