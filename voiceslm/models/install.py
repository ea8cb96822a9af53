"""Install models into the store, atomically.

A model is built in `<root>/.tmp-<name>-<pid>/` (downloads, checks, unpacking,
conversion) and only a complete directory, manifest written last, is renamed
to `<root>/<name>`; an installed copy is replaced only after its successor is
complete. One install runs at a time per store (a lock file), so any temp
directory found under the lock was left by a killed run and is removed.
How the directory is built from its source is `voiceslm.models.build`.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from voiceslm import __version__
from voiceslm.config import Config
from voiceslm.errors import UserError
from voiceslm.models.build import ChecksumError, Progress, build_model, check_convert_extra, check_hub_reachable, mb
from voiceslm.models.catalog import CatalogEntry
from voiceslm.models.store import MANIFEST, OLD_PREFIX, TEMP_PREFIX, ModelStore, sha256_file

__all__ = ["ChecksumError", "InstallResult", "Progress", "default_models", "install", "remove_leftovers"]

log = logging.getLogger(__name__)

Action = Literal[
    "installed", "reinstalled", "already installed", "provided by a Python package", "provided by system packages"
]

# Free space an install needs beyond the pinned inputs: a GGUF dequantises to
# float32, about 8x its size, before it is requantised to int8.
_GGUF_WORK_FACTOR = 8
_MB = 1_000_000


@dataclass(frozen=True)
class InstallResult:
    name: str
    path: Path
    action: Action
    seconds: float
    size_bytes: int


def default_models(config: Config) -> list[str]:
    """The models the effective config uses, in the order they are needed."""
    wanted = [config.stt.model, config.stt.english_model, config.lm.translate_model, config.lm.assist_model]
    wanted += [voice.removeprefix("piper:") for voice in config.tts.voices.values() if voice.startswith("piper:")]
    wanted.append("espeak-ng")  # speaks every language without a Piper voice
    wanted.append(config.vad.turn_model)  # ends a finished turn at its first short pause
    wanted.append(config.assistant.policy_encoder)  # the safety policy reads meaning (on by default)
    routes = [config.translate.engine, *config.translate.engines.values()]
    if any(route == "auto" or "bergamot" in route for route in routes):
        from voiceslm.engines import bergamot
        # Small (25 MB each) and, through Portuguese, the best en<->es route too.
        if bergamot.engine_available():
            wanted += ["bergamot-en-pt", "bergamot-pt-en"]
    return list(dict.fromkeys(name for name in wanted if name))


def install(
    store: ModelStore,
    entry: CatalogEntry,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> InstallResult:
    """Install one catalog entry (or a copy of one) into the store; a no-op if it is there and intact."""
    say = progress or (lambda message: log.info("%s", message))
    started = time.perf_counter()
    if entry.family == "bergamot" and not entry.offline:
        raise UserError(
            f"Model {entry.name} is listed but voiceslm cannot install it yet: Mozilla's files for it come without "
            "the tokenizer.json the Bergamot engine needs; use bergamot-en-pt or bergamot-pt-en, or "
            "translate.engine auto."
        )
    if entry.source.kind == "package":
        path = store.require(entry.name)
        return InstallResult(entry.name, path, "provided by a Python package", time.perf_counter() - started, 0)
    if entry.source.kind == "system":
        # apt installs these (scripts/setup.sh does): the error names the command.
        path = store.require(entry.name)
        return InstallResult(entry.name, path, "provided by system packages", time.perf_counter() - started, 0)

    def waiting() -> None:
        say(f"{entry.name}: waiting for another install in {store.root} to finish")

    with store.lock(on_wait=waiting):
        remove_leftovers(store)
        existing = store.status(entry.name)
        if existing.state != "missing" and not force:
            checked = store.status(entry.name, full=True)
            if checked.state == "verified" and checked.path is not None:
                seconds = time.perf_counter() - started
                return InstallResult(entry.name, checked.path, "already installed", seconds, _dir_size(checked.path))
            say(f"{entry.name}: the installed copy is damaged ({checked.detail}); rebuilding it")
        if not entry.offline:
            check_hub_reachable(entry)
        if entry.source.build in ("gguf-ct2", "hf-ct2"):
            check_convert_extra()
        _check_free_space(store, entry)
        temp = store.root / f"{TEMP_PREFIX}{entry.name}-{os.getpid()}"
        temp.mkdir(parents=True)
        try:
            model_dir, inputs, build = build_model(entry, temp, say)
            _write_manifest(model_dir, entry, inputs, build)
            final = _replace(store, entry.name, model_dir)
        finally:
            # Also on Ctrl-C or a failed check: nothing half-built or downloaded stays behind.
            shutil.rmtree(temp, ignore_errors=True)
    action: Action = "installed" if existing.state == "missing" else "reinstalled"
    return InstallResult(entry.name, final, action, time.perf_counter() - started, _dir_size(final))


def remove_leftovers(store: ModelStore) -> None:
    """Remove what killed installs left; call with the store lock held.

    A `.old-<name>-<pid>` directory is a complete copy that was being replaced;
    if the run died between the two renames it is the only copy, so it goes back.
    """
    if not store.root.is_dir():
        return
    for path in sorted(store.root.iterdir()):
        if not path.is_dir():
            continue
        if path.name.startswith(TEMP_PREFIX):
            log.info("removing %s, left by an interrupted install", path)
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(OLD_PREFIX):
            name = path.name[len(OLD_PREFIX) :].rpartition("-")[0]
            target = store.model_dir(name)
            if name and not target.exists() and (path / MANIFEST).is_file():
                log.info("restoring %s from %s, left by an interrupted install", target, path)
                os.rename(path, target)
            else:
                shutil.rmtree(path, ignore_errors=True)


def _replace(store: ModelStore, name: str, model_dir: Path) -> Path:
    final = store.model_dir(name)
    old = store.root / f"{OLD_PREFIX}{name}-{os.getpid()}"
    if final.exists():
        os.rename(final, old)
    os.rename(model_dir, final)
    _fsync_dir(store.root)
    shutil.rmtree(old, ignore_errors=True)
    return final


# Manifest and bookkeeping -----------------------------------------------------


def _write_manifest(model_dir: Path, entry: CatalogEntry, inputs: dict[str, str], build: dict[str, Any]) -> None:
    known = {p.name: p.sha256 for p in entry.source.files}
    files = {}
    for path in sorted(model_dir.rglob("*")):
        if path.is_file():
            relative = str(path.relative_to(model_dir))
            files[relative] = {"sha256": known.get(relative) or sha256_file(path), "size": path.stat().st_size}
            _fsync_file(path)
    manifest = {
        "name": entry.name,
        "role": entry.role,
        "family": entry.family,
        "source": entry.source.describe(),
        "inputs": inputs,
        "files": files,
        "build": build,
        "installed": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "voiceslm_version": __version__,
    }
    path = model_dir / MANIFEST
    with path.open("w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    _fsync_dir(model_dir)


def _check_free_space(store: ModelStore, entry: CatalogEntry) -> None:
    pinned = sum(p.size for p in entry.source.files)
    needed = 2 * pinned + sum(p.size for p in entry.source.files if p.name.endswith(".gguf")) * _GGUF_WORK_FACTOR
    needed = max(needed, 2 * entry.size_mb * _MB)
    free = shutil.disk_usage(store.root).free
    if free < needed:
        raise UserError(
            f"Installing {entry.name} needs about {mb(needed)} free in {store.root} but only {mb(free)} is free; "
            "free some space or choose another store with --models-dir."
        )


def _fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
