"""YAML for configuration, read defensively.

PyYAML's safe loader still builds whatever the text describes. A few lines of
nested anchors and aliases (a "billion laughs") describe gigabytes, and the
loader happily expands them while holding the GIL, so a config check or a
daemon's reload would hang. Configuration needs none of that: here the node
graph is measured before anything is built, and a document that would expand
beyond `MAX_NODES` nodes, or refers to itself, is refused. Duplicate keys in a
mapping, which PyYAML silently resolves to the last one, are refused too.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_BYTES = 1_000_000
"""Longest configuration text accepted: far beyond any real configuration."""
MAX_NODES = 100_000
"""Most YAML nodes a document may expand to once its aliases are followed."""


class ConfigYamlError(ValueError):
    """The text cannot be read as configuration; the message says why and where."""


class _BoundedLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key; the base class reports it
                break
            if duplicate:
                line = key_node.start_mark.line + 1
                raise ConfigYamlError(f"key {key!r} appears twice in one mapping (again at line {line})")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_BoundedLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _BoundedLoader.construct_mapping,  # type: ignore[arg-type]
)


def load(text: str) -> Any:
    """Parse one YAML document into plain Python values.

    Raises ConfigYamlError for text over `MAX_BYTES`, aliases that expand too
    far or refer to themselves, and duplicate keys; yaml.YAMLError for syntax.
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ConfigYamlError(f"it is over {MAX_BYTES:,} bytes, far more than any configuration needs")
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    except RecursionError as exc:
        raise ConfigYamlError("it is nested too deeply") from exc
    finally:
        loader.dispose()


def _check_expansion(root: yaml.Node) -> None:
    """Count the nodes `root` stands for with every alias followed, without building them."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise ConfigYamlError(f"an alias at line {node.start_mark.line + 1} refers to itself")
        open_nodes.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            children: list[yaml.Node] = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > MAX_NODES:
                raise ConfigYamlError(
                    f"its anchors and aliases expand to over {MAX_NODES:,} values (near line "
                    f"{node.start_mark.line + 1}); write the values out instead"
                )
        open_nodes.discard(key)
        sizes[key] = total
        return total

    size(root)
