"""A model's own jinja2 chat template, rendered the way transformers renders it, without transformers."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from voiceslm.engines.text_model import read_model_json


class ChatTemplate:
    """A model's own jinja2 chat template, rendered the way transformers renders it."""

    def __init__(self, source: str, special_tokens: Mapping[str, str]) -> None:
        import jinja2.ext
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        def raise_exception(message: str) -> None:
            raise jinja2.exceptions.TemplateError(message)

        def tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None, **kwargs: Any) -> str:
            # jinja's own tojson escapes HTML characters; templates expect plain JSON.
            return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, **kwargs)

        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
        env.filters["tojson"] = tojson
        env.globals["raise_exception"] = raise_exception
        env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
        self._template = env.from_string(source)
        self._special_tokens = dict(special_tokens)

    @classmethod
    def from_model_dir(cls, model_dir: Path) -> ChatTemplate | None:
        """The template in chat_template.jinja or tokenizer_config.json; None if the model has none."""
        config = read_model_json(model_dir / "tokenizer_config.json")
        special = special_tokens(config, read_model_json(model_dir / "special_tokens_map.json"))
        jinja_file = model_dir / "chat_template.jinja"
        if jinja_file.is_file():
            return cls(jinja_file.read_text(encoding="utf-8"), special)
        template = config.get("chat_template")
        if isinstance(template, list):
            named = {entry.get("name"): entry.get("template") for entry in template if isinstance(entry, dict)}
            template = named.get("default")
        return cls(template, special) if isinstance(template, str) else None

    def render(self, messages: Sequence[Mapping[str, str]], *, add_generation_prompt: bool = True) -> str:
        return self._template.render(
            messages=[dict(m) for m in messages], add_generation_prompt=add_generation_prompt, **self._special_tokens
        )


def special_tokens(tokenizer_config: Mapping[str, Any], special_map: Mapping[str, Any]) -> dict[str, str]:
    """bos_token, eos_token... as the chat template sees them (strings)."""
    tokens: dict[str, str] = {}
    for source in (special_map, tokenizer_config):
        for key, value in source.items():
            if not key.endswith("_token") or key in tokens:
                continue
            if isinstance(value, dict):
                value = value.get("content")
            if isinstance(value, str):
                tokens[key] = value
    return tokens
