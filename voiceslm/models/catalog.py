"""Every model voiceslm knows, and how to look one up by name.

The entries themselves are data in `voiceslm.models.catalog_entries`; what an
entry holds is `voiceslm.models.entry`. Both are re-exported here, so callers
import from this module alone.
"""

from __future__ import annotations

import difflib

from voiceslm.errors import UserError
from voiceslm.models.catalog_entries import (
    CATALOG,
    ESPEAK_LANGUAGES,
    GEMMA_LANGUAGES,
    QWEN_LANGUAGES,
    SMART_TURN_LANGUAGES,
    WHISPER_LANGUAGES,
)
from voiceslm.models.entry import MANY_LANGUAGES, Build, CatalogEntry, PinnedFile, Role, Source, SourceKind

__all__ = [
    "CATALOG",
    "ESPEAK_LANGUAGES",
    "GEMMA_LANGUAGES",
    "MANY_LANGUAGES",
    "QWEN_LANGUAGES",
    "SMART_TURN_LANGUAGES",
    "WHISPER_LANGUAGES",
    "Build",
    "CatalogEntry",
    "PinnedFile",
    "Role",
    "Source",
    "SourceKind",
    "close_matches",
    "find",
    "get",
    "names",
    "offline_alternatives",
    "unknown_model_error",
]

_BY_NAME = {entry.name: entry for entry in CATALOG}


def names() -> tuple[str, ...]:
    return tuple(_BY_NAME)


def find(name: str) -> CatalogEntry | None:
    return _BY_NAME.get(name)


def get(name: str) -> CatalogEntry:
    """The entry of a model; UserError naming close matches if there is none."""
    entry = _BY_NAME.get(name)
    if entry is None:
        raise unknown_model_error(name)
    return entry


def unknown_model_error(name: str) -> UserError:
    matches = close_matches(name)
    hint = f" (did you mean {', '.join(matches)}?)" if matches else ""
    return UserError(f"Unknown model {name!r}{hint}; `voiceslm models list` shows every model.")


def close_matches(name: str, limit: int = 3) -> list[str]:
    """Catalog names a mistyped one most likely meant, best first."""
    lowered = {n.lower(): n for n in _BY_NAME}
    matches = difflib.get_close_matches(name.lower(), list(lowered), n=limit, cutoff=0.5)
    if not matches:
        matches = [n for n in lowered if name.lower() in n][:limit]
    return [lowered[m] for m in matches]


def offline_alternatives(role: Role) -> list[str]:
    """Names of the models of a role that install with no network."""
    return [entry.name for entry in CATALOG if entry.role == role and entry.offline]
