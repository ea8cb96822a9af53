"""Reading, merging and typing the YAML layers of the configuration.

`voiceslm.config` owns the schema (frozen dataclasses) and the order of the
layers; this module turns text into checked values and remembers, per dotted
key, which layer set it.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml

from voiceslm import yamlsafe
from voiceslm.errors import UserError

PACKAGED_LAYER = "packaged default"


def read_config_text(path: Path) -> str:
    """The file's text, read no further than a configuration can be long (it may be /dev/zero)."""
    if path.is_dir():
        raise UserError(f"Config file {path} is a folder; give the path of a YAML file.")
    try:
        with path.open("rb") as handle:
            data = handle.read(yamlsafe.MAX_BYTES + 1)
        if len(data) > yamlsafe.MAX_BYTES:
            raise UserError(
                f"Config file {path} is over {yamlsafe.MAX_BYTES:,} bytes, far more than any configuration; "
                "give the right file."
            )
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"Config file {path} cannot be read ({reason(exc)}); fix its permissions or encoding.") from exc


def reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc).splitlines()[0]


def parse_yaml(text: str, origin: str) -> dict[str, Any]:
    try:
        data = yamlsafe.load(text)
    except yamlsafe.ConfigYamlError as exc:
        raise UserError(f"Config file {origin} is refused: {exc}; fix it there.") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise UserError(f"Config file {origin} is not valid YAML{where}: {problem}; fix the syntax there.") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(
            f"Config file {origin} must be a mapping of sections (like `stt:`), not a {type(data).__name__}."
        )
    return data


def merge_layer(
    root: type, merged: dict[str, Any], sources: dict[str, str], layer: Mapping[str, Any], origin: str
) -> None:
    """Deep-merge `layer` into `merged`, recording `origin` for every leaf; `root` is the schema."""
    for key, value in layer.items():
        _merge_key(root, merged, sources, key, value, origin, "")


def _merge_key(
    root: type, target: dict[str, Any], sources: dict[str, str], key: str, value: Any, origin: str, prefix: str
) -> None:
    dotted = f"{prefix}{key}"
    # Sections merge key by key; leaves (including mappings such as tts.voices,
    # which are values) replace whatever an earlier layer had.
    if isinstance(value, dict) and dataclasses.is_dataclass(_schema_at(dotted, root)):
        section = target.setdefault(key, {})
        for sub_key, sub_value in value.items():
            _merge_key(root, section, sources, sub_key, sub_value, origin, dotted + ".")
        return
    target[key] = value
    for stale in [k for k in sources if k.startswith(dotted + ".")]:
        del sources[stale]
    sources[dotted] = origin


def _schema_at(dotted: str, root: type) -> Any:
    """The dataclass or type at a dotted path of the `root` schema, or None if unknown."""
    current: Any = root
    for part in dotted.split("."):
        if not dataclasses.is_dataclass(current):
            return None
        hints = typing.get_type_hints(current)
        if part not in hints:
            return None
        current = hints[part]
    return current


def set_dotted(merged: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    target = merged
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def origin_of(dotted: str, sources: Mapping[str, str]) -> str:
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        key = ".".join(parts[:end])
        if key in sources:
            return sources[key]
    # A section no layer sets as a whole (an unknown one): whoever set a key in it.
    inner = [origin for key, origin in sources.items() if key.startswith(dotted + ".")]
    return inner[-1] if inner else PACKAGED_LAYER


def build(cls: type, data: Any, prefix: str, sources: Mapping[str, str]) -> Any:
    section = prefix.rstrip(".") or "the top level"
    if not isinstance(data, dict):
        origin = origin_of(prefix.rstrip("."), sources)
        raise UserError(f"{origin}: {section} must be a mapping of keys, not {_describe(data)}.")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            dotted = f"{prefix}{key}"
            origin = origin_of(dotted, sources)
            raise UserError(
                f"{origin}: unknown key {dotted!r}; expected one of {', '.join(sorted(fields))} in {section}."
            )
    values: dict[str, Any] = {}
    for name in fields:
        if name not in data:
            continue
        hint = hints[name]
        dotted = f"{prefix}{name}"
        if dataclasses.is_dataclass(hint):
            values[name] = build(typing.cast(type, hint), data[name], dotted + ".", sources)
        else:
            values[name] = _coerce(hint, data[name], dotted, sources)
    return cls(**values)


def _describe(value: Any) -> str:
    if value is None:
        return "an empty value"
    return f"{type(value).__name__} {short_repr(value)}"


def short_repr(value: Any, limit: int = 80) -> str:
    """repr() cut to `limit` characters: an error message names the value, it does not reprint a file."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _coerce(hint: Any, value: Any, dotted: str, sources: Mapping[str, str]) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)

    def fail(expected: str) -> UserError:
        return UserError(f"{origin_of(dotted, sources)}: {dotted} must be {expected}, not {_describe(value)}.")

    if origin is Literal:
        if value not in args:
            raise fail("one of " + ", ".join(repr(a) for a in args))
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail("a whole number")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail("a number")
        return float(value)
    if hint is str:
        if dotted in _INDEX_OR_NAME and isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            raise fail("a string")
        return value
    if origin is tuple:
        if isinstance(value, str) and dotted in _COMMA_LISTS:
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise fail("a list of strings")
        return tuple(value)
    if origin in (Mapping, dict) or hint is Mapping:
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise fail("a mapping of strings to strings")
        return types.MappingProxyType(dict(value))
    raise TypeError(f"unsupported config type {hint!r} at {dotted}")


# Keys whose value may be given on the command line as "a,b,c".
_COMMA_LISTS = {"stt.languages"}

# Keys that take a device index (a YAML number) or a name.
_INDEX_OR_NAME = {"audio.input_device", "audio.output_device"}
