"""The systemd units and their install scripts: systemd-analyze accepts them, the system unit is
hardened and offline, and both scripts are idempotent and uninstall cleanly."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from voiceslm.config import load_config

REPO = Path(__file__).resolve().parents[1]
USER_UNIT = REPO / "systemd" / "voiceslm.service"
SYSTEM_UNIT = REPO / "systemd" / "voiceslm-system.service"


def voiceslm_program() -> Path:
    found = Path(sys.executable).with_name("voiceslm")
    if not found.exists():
        pytest.skip("the voiceslm entry point is not installed next to this Python; run scripts/setup.sh")
    return found


def unit_settings(path: Path) -> dict[str, list[str]]:
    """Every Key=value of a unit file, values of repeated keys in order."""
    settings: dict[str, list[str]] = defaultdict(list)
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            key, _, value = line.partition("=")
            settings[key].append(value)
    return settings


def render(unit: Path, directory: Path, program: Path) -> Path:
    """The unit as the install scripts write it: ExecStart pointing at a real voiceslm."""
    directory.mkdir(parents=True, exist_ok=True)
    text = re.sub(r"(?m)^ExecStart=.*$", f"ExecStart={program} daemon", unit.read_text())
    target = directory / "voiceslm.service"
    target.write_text(text)
    return target


def analyze(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    runtime = tmp_path / "analyze-run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "SYSTEMD_LOG_COLOR": "0"}
    return subprocess.run(["systemd-analyze", *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def systemd_analyze(tmp_path: Path) -> None:
    """Skip only when systemd-analyze cannot run here at all (checked on a trivial unit)."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is missing; scripts/setup.sh installs the systemd package")
    probe = tmp_path / "probe" / "probe.service"
    probe.parent.mkdir()
    probe.write_text("[Service]\nType=oneshot\nExecStart=/bin/true\n")
    result = analyze(tmp_path, "verify", str(probe))
    if result.returncode != 0:
        pytest.skip(f"systemd-analyze cannot verify units here: {result.stderr.strip()}")


@pytest.mark.usefixtures("systemd_analyze")
def test_both_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    program = voiceslm_program()
    system = analyze(tmp_path, "verify", str(render(SYSTEM_UNIT, tmp_path / "system", program)))
    assert system.returncode == 0, system.stderr
    assert system.stderr.strip() == ""
    user = analyze(tmp_path, "--user", "verify", str(render(USER_UNIT, tmp_path / "user", program)))
    assert user.returncode == 0, user.stderr
    assert user.stderr.strip() == ""


@pytest.mark.usefixtures("systemd_analyze")
def test_system_unit_exposure_is_low(tmp_path: Path) -> None:
    unit = render(SYSTEM_UNIT, tmp_path / "system", voiceslm_program())
    result = analyze(tmp_path, "security", "--offline=yes", "--no-pager", str(unit))
    found = re.search(r"Overall exposure level for voiceslm\.service: ([\d.]+)", result.stdout)
    if found is None:
        pytest.skip(f"this systemd-analyze has no offline security report: {result.stderr.strip()[:200]}")
    assert float(found.group(1)) <= 1.5, result.stdout[-2000:]


def test_system_unit_is_hardened_and_offline() -> None:
    unit = unit_settings(SYSTEM_UNIT)
    expected = {
        "Type": "notify",
        "User": "voiceslm",
        "SupplementaryGroups": "audio",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "NoNewPrivileges": "yes",
        "PrivateNetwork": "yes",
        "RestrictAddressFamilies": "AF_UNIX",
        "IPAddressDeny": "any",
        "ReadWritePaths": "/var/lib/voiceslm",
        "RuntimeDirectory": "voiceslm",
        "StateDirectory": "voiceslm",
        "CapabilityBoundingSet": "",
    }
    for key, value in expected.items():
        assert value in unit[key], (key, unit[key])
    assert "@system-service" in unit["SystemCallFilter"]
    assert unit["MemoryMax"] and unit["WatchdogSec"] and unit["ExecReload"]
    assert int(unit["TimeoutStopSec"][0]) >= 2
    environment = " ".join(unit["Environment"])
    assert "VOICESLM_MODELS=/var/lib/voiceslm/models" in environment
    assert "VOICESLM_SYSTEM_CONFIG=/etc/voiceslm/config.yaml" in environment
    assert "ORT_DISABLE_TELEMETRY=1" in environment


def test_user_unit_is_a_watched_offline_notify_service() -> None:
    unit = unit_settings(USER_UNIT)
    for key, value in {
        "Type": "notify",
        "PrivateNetwork": "yes",
        "RestrictAddressFamilies": "AF_UNIX",
        "IPAddressDeny": "any",
        "NoNewPrivileges": "yes",
        "RuntimeDirectory": "voiceslm",
    }.items():
        assert value in unit[key], (key, unit[key])
    assert unit["WatchdogSec"] and unit["ExecReload"] and unit["Restart"] == ["on-failure"]
    assert unit["ExecStart"][0].endswith(" daemon")
    # configparser reads it too: no stray syntax.
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(USER_UNIT)
    assert {"Unit", "Service", "Install"} <= set(parser.sections())


# Install scripts ------------------------------------------------------------------------------


def run_script(name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(REPO / "scripts" / name), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def test_user_install_is_idempotent_and_uninstalls(tmp_path: Path) -> None:
    program = voiceslm_program()
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    unit = tmp_path / "config" / "systemd" / "user" / "voiceslm.service"
    first = run_script("install-user-service.sh", "--bin", str(program), "--no-start", env=env)
    assert first.returncode == 0, first.stderr
    assert f"installed {unit}" in first.stderr
    text = unit.read_text()
    assert f"\nExecStart={program} daemon\n" in text
    assert re.sub(r"(?m)^ExecStart=.*$", "", text) == re.sub(r"(?m)^ExecStart=.*$", "", USER_UNIT.read_text())
    second = run_script("install-user-service.sh", "--bin", str(program), "--no-start", env=env)
    assert second.returncode == 0, second.stderr
    assert "is up to date" in second.stderr
    assert unit.read_text() == text
    assert sorted(p.name for p in unit.parent.iterdir()) == ["voiceslm.service"]  # no temp files left
    for _ in range(2):
        removed = run_script("install-user-service.sh", "--uninstall", env=env)
        assert removed.returncode == 0, removed.stderr
        assert not unit.exists()
    assert "nothing to remove" in removed.stderr


def test_user_install_refuses_a_missing_program(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    result = run_script("install-user-service.sh", "--bin", str(tmp_path / "nope"), env=env)
    assert result.returncode == 1
    assert "is not an executable voiceslm" in result.stderr
    assert not (tmp_path / "config" / "systemd").exists()


def test_system_install_staged_is_idempotent_keeps_edits_and_purges(tmp_path: Path) -> None:
    program = voiceslm_program()
    root = tmp_path / "root"
    models = tmp_path / "store"
    (models / "some-model").mkdir(parents=True)
    (models / "some-model" / "voiceslm-model.json").write_text("{}")
    (models / ".tmp-half-built").mkdir()  # no manifest: not a model, not copied
    args = ("--root", str(root), "--bin", str(program), "--models-from", str(models))
    first = run_script("install-system-service.sh", *args)
    assert first.returncode == 0, first.stderr
    unit = root / "etc" / "systemd" / "system" / "voiceslm.service"
    config = root / "etc" / "voiceslm" / "config.yaml"
    assert f"\nExecStart={program} daemon\n" in unit.read_text()
    assert "\nUser=voiceslm\n" in unit.read_text()
    assert (root / "var" / "lib" / "voiceslm" / "models" / "some-model" / "voiceslm-model.json").exists()
    assert not (root / "var" / "lib" / "voiceslm" / "models" / ".tmp-half-built").exists()
    load_config(config, use_system_layers=False)  # the starter config is valid
    config.write_text("translate:\n  target: de\n")  # the administrator's edit
    second = run_script("install-system-service.sh", *args)
    assert second.returncode == 0, second.stderr
    assert "is up to date" in second.stderr
    assert config.read_text() == "translate:\n  target: de\n"
    if shutil.which("systemd-analyze"):
        verified = analyze(tmp_path, "verify", str(unit))
        assert verified.returncode == 0 or "Failed to initialize manager" in verified.stderr, verified.stderr
    kept = run_script("install-system-service.sh", "--root", str(root), "--uninstall")
    assert kept.returncode == 0 and not unit.exists() and config.exists()
    refused = run_script("install-system-service.sh", "--root", str(root), "--purge")
    assert refused.returncode == 1 and "--purge only goes with --uninstall" in refused.stderr
    for _ in range(2):
        purged = run_script("install-system-service.sh", "--root", str(root), "--uninstall", "--purge")
        assert purged.returncode == 0, purged.stderr
    assert not (root / "etc" / "voiceslm").exists() and not (root / "var" / "lib" / "voiceslm").exists()


def test_system_install_refuses_a_program_the_service_cannot_see(tmp_path: Path) -> None:
    if os.getuid() != 0:
        result = run_script("install-system-service.sh", "--bin", "/tmp/voiceslm")
        assert result.returncode == 1 and "needs root" in result.stderr
        return
    hidden = tmp_path / "voiceslm"
    hidden.write_text("#!/bin/sh\necho voiceslm 0.1.0\n")
    hidden.chmod(0o755)
    had_user = subprocess.run(["getent", "passwd", "voiceslm"], capture_output=True).returncode == 0
    result = run_script("install-system-service.sh", "--bin", str(hidden), "--no-models", "--no-start")
    assert result.returncode == 1
    assert "is hidden from the service (ProtectHome=, PrivateTmp=)" in result.stderr
    # Refused before anything changed on this machine.
    assert (subprocess.run(["getent", "passwd", "voiceslm"], capture_output=True).returncode == 0) == had_user


@pytest.mark.usefixtures("systemd_analyze")
def test_wyoming_unit_passes_systemd_analyze_verify_and_stays_on_the_local_network(tmp_path: Path) -> None:
    unit_path = REPO / "systemd" / "voiceslm-wyoming.service"
    text = re.sub(r"(?m)^ExecStart=\S+", f"ExecStart={voiceslm_program()}", unit_path.read_text())
    target = tmp_path / "system" / "voiceslm-wyoming.service"
    target.parent.mkdir()
    target.write_text(text)
    result = analyze(tmp_path, "verify", str(target))
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
    unit = unit_settings(unit_path)
    assert unit["ExecStart"] == ["/opt/voiceslm/venv/bin/voiceslm wyoming --uri tcp://0.0.0.0:10300"]
    assert unit["IPAddressDeny"] == ["any"] and "0.0.0.0/0" not in " ".join(unit["IPAddressAllow"])
    assert unit["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6"]
