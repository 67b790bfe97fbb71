"""YAML to plain data plus a map from each value's path to its line and column.

PyYAML's composer gives every node a start mark; building the data ourselves from the node
tree keeps those marks, so any later problem (a pydantic error, a missing file, a duplicate
table) can point at ``file:line:column``. We resolve scalars by the YAML 1.2 core schema,
not PyYAML's YAML 1.1 default, because 1.1 reads the key ``on:`` as ``True`` and ``6:00`` as
the number 360 — both common in pipeline files.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Mark:
    """A 1-based line and column in a file."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class YamlIssue:
    """A problem found while reading YAML: a syntax error, a duplicate key, an odd key."""

    path: Path
    mark: Mark
    message: str
    value: Any = None


@dataclass
class Positions:
    """Where each value (and each mapping key) of a YAML document starts."""

    values: dict[Path, Mark] = field(default_factory=dict)
    keys: dict[Path, Mark] = field(default_factory=dict)

    def value(self, path: Path) -> Mark:
        """Start of the value at ``path``, or of its nearest ancestor that has one."""
        return self._nearest(self.values, path)

    def key(self, path: Path) -> Mark:
        """Start of the key naming ``path`` (for list items: the item), else the value's."""
        if path in self.keys:
            return self.keys[path]
        return self.value(path)

    def _nearest(self, table: dict[Path, Mark], path: Path) -> Mark:
        for cut in range(len(path), -1, -1):
            mark = table.get(path[:cut])
            if mark is not None:
                return mark
        return Mark(1, 1)


class _Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema: only true/false are booleans, no sexagesimals, no timestamps."""


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_Resolver.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])


class _PyLoader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    yaml.constructor.SafeConstructor,
    _Resolver,
):
    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        _Resolver.__init__(self)


def _c_loader() -> type[Any] | None:
    """libyaml's parser with our resolver and constructor, when PyYAML was built with it.

    It parses about ten times faster than the pure-Python one and its nodes carry the same
    marks; the resolver (our YAML 1.2 rules) stays the Python one.
    """
    try:
        from yaml.cyaml import CParser  # type: ignore[attr-defined]
    except ImportError:
        return None

    class _CLoader(CParser, yaml.constructor.SafeConstructor, _Resolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            _Resolver.__init__(self)

    return _CLoader


_Loader: type[Any] = _c_loader() or _PyLoader


def _mark(node: Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def _scalar(node: ScalarNode) -> Any:
    tag, text = node.tag, node.value
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return text.lower() == "true"
    if tag == "tag:yaml.org,2002:int":
        return int(text, 0) if text[:2] in ("0x", "0o") else int(text, 10)
    if tag == "tag:yaml.org,2002:float":
        lowered = text.lower()
        if lowered.endswith(".inf"):
            return -math.inf if lowered.startswith("-") else math.inf
        return math.nan if lowered == ".nan" else float(text)
    return text


class _Builder:
    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.positions = Positions()
        self.issues: list[YamlIssue] = []

    def build(self, node: Node, path: Path) -> Any:
        self.positions.values[path] = _mark(node)
        if isinstance(node, ScalarNode):
            return _scalar(node)
        if isinstance(node, SequenceNode):
            items = []
            for index, child in enumerate(node.value):
                self.positions.keys[(*path, index)] = _mark(child)
                items.append(self.build(child, (*path, index)))
            return items
        assert isinstance(node, MappingNode)
        self.loader.flatten_mapping(node)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.issues.append(YamlIssue(path, _mark(key_node), "a key must be a plain word"))
                continue
            raw_key = _scalar(key_node)
            key = "" if raw_key is None else str(raw_key)
            child = (*path, key)
            if key in result:
                first = self.positions.keys[child]
                self.issues.append(
                    YamlIssue(
                        child,
                        _mark(key_node),
                        f"duplicate key '{key}' (first at line {first.line}); "
                        "the second would silently replace the first",
                        key,
                    )
                )
                continue
            self.positions.keys[child] = _mark(key_node)
            result[key] = self.build(value_node, child)
        return result


def load_yaml(text: str) -> tuple[Any, Positions, list[YamlIssue]]:
    """Parse one YAML document into plain data, its positions, and the issues found.

    A syntax error is returned as an issue (with PyYAML's mark) and ``None`` data, so the
    caller can go on collecting problems in other files.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, Positions(), []
        builder = _Builder(loader)
        data = builder.build(node, ())
        return data, builder.positions, builder.issues
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
        message = " ".join(part for part in (exc.context, exc.problem) if part)
        return None, Positions(), [YamlIssue((), where, f"invalid YAML: {message}")]
    except yaml.YAMLError as exc:
        return None, Positions(), [YamlIssue((), Mark(1, 1), f"invalid YAML: {exc}")]
    finally:
        loader.dispose()
