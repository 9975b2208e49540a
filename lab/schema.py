"""YAML nodes with line numbers, and the small checks every lab file needs.

PyYAML's `compose` keeps each node's start mark, so an error can say
`lab-inventory.yaml:14: targets.q35-pflash.machine: 'q53' is not one of q35, pc`.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class SchemaError(Exception):
    """A lab file is wrong. `str()` is `file:line: key: message`."""

    def __init__(self, file: str, line: int | None, key: str, message: str) -> None:
        super().__init__(file, line, key, message)
        self.file = file
        self.line = line
        self.key = key
        self.message = message

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


_SCALARS = yaml.constructor.SafeConstructor()
_FAST = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(text: str) -> yaml.Node | None:
    # libyaml composes ~10x faster (every `bootlab` run parses the inventory and a spec), but
    # words its errors differently: a document it rejects is parsed again for our messages.
    try:
        return yaml.compose(text, Loader=_FAST)
    except yaml.YAMLError:
        return yaml.compose(text, Loader=yaml.SafeLoader)


def compose_file(path: str | Path, error: type[SchemaError]) -> Node:
    """Parse a YAML file into a `Node`; unreadable files and syntax errors raise `error`."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(name, None, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise error(name, None, "", f"cannot read: {e}") from None
    try:
        root = _compose(text)
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else None
        context = f" ({e.context} at line {e.context_mark.line + 1})" if e.context and e.context_mark else ""
        raise error(name, line, "", f"not valid YAML: {e.problem}{context}") from None
    if root is None:
        raise error(name, 1, "", "file is empty")
    return Node(name, "", root, error)


@dataclass(frozen=True)
class Node:
    """One YAML node plus where it came from: file, dotted key path, line."""

    file: str
    key: str
    node: yaml.Node
    error_type: type[SchemaError]

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1

    def error(self, message: str) -> SchemaError:
        return self.error_type(self.file, self.line, self.key or "(top level)", message)

    def _child(self, key: str, node: yaml.Node) -> Node:
        sep = "." if self.key and not key.startswith("[") else ""
        return Node(self.file, f"{self.key}{sep}{key}", node, self.error_type)

    def items(self) -> list[tuple[str, Node]]:
        """A mapping's entries in file order; keys must be unique strings."""
        if not isinstance(self.node, yaml.MappingNode):
            raise self.error(f"expected a mapping (key: value lines), got {_kind(self.node)}")
        seen: dict[str, int] = {}
        out = []
        for knode, vnode in self.node.value:
            if not isinstance(knode, yaml.ScalarNode) or not knode.value:
                raise self._child("?", knode).error("keys must be plain names")
            key = knode.value
            if key in seen:
                raise self._child(key, knode).error(f"duplicate key (first at line {seen[key]})")
            seen[key] = knode.start_mark.line + 1
            out.append((key, self._child(key, vnode)))
        return out

    def fields(self, required: Iterable[str] = (), optional: Iterable[str] = ()) -> dict[str, Node]:
        """A mapping with a fixed set of keys: unknown keys (with a suggestion) and missing ones are errors."""
        required = list(required)
        allowed = required + list(optional)
        entries = dict(self.items())
        for key, child in entries.items():
            if key not in allowed:
                raise child.error(f"unknown key{_suggest(key, allowed)}; valid keys: {', '.join(allowed)}")
        for key in required:
            if key not in entries:
                raise self.error(f"missing required key '{key}'")
        return entries

    def seq(self) -> list[Node]:
        if not isinstance(self.node, yaml.SequenceNode):
            raise self.error(f"expected a list (lines starting with '- '), got {_kind(self.node)}")
        return [self._child(f"[{i}]", n) for i, n in enumerate(self.node.value)]

    def is_seq(self) -> bool:
        return isinstance(self.node, yaml.SequenceNode)

    def is_null(self) -> bool:
        return isinstance(self.node, yaml.ScalarNode) and self.node.tag == "tag:yaml.org,2002:null"

    def plain(self) -> Any:
        """The node as plain Python data (for sections only shape-checked so far)."""
        return _SCALARS.construct_object(self.node, deep=True)

    def value(self) -> Any:
        if not isinstance(self.node, yaml.ScalarNode):
            raise self.error(f"expected a single value, got {_kind(self.node)}")
        return _SCALARS.construct_object(self.node)

    def text(self) -> str:
        v = self.value()
        if not isinstance(v, str) or not v:
            raise self.error(f"expected a non-empty string, got {v!r}")
        return v

    def name(self, pattern: str = r"[a-z0-9][a-z0-9-]*") -> str:
        v = self.text()
        if not re.fullmatch(pattern, v):
            raise self.error(f"{v!r} is not a valid name (lower-case letters, digits and '-')")
        return v

    def integer(self, minimum: int | None = None) -> int:
        v = self.value()
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.error(f"expected an integer, got {v!r}")
        if minimum is not None and v < minimum:
            raise self.error(f"must be at least {minimum}, got {v}")
        return v

    def number(self, minimum: float | None = None) -> float:
        v = self.value()
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.error(f"expected a number, got {v!r}")
        if minimum is not None and v < minimum:
            raise self.error(f"must be at least {minimum}, got {v}")
        return float(v)

    def boolean(self) -> bool:
        v = self.value()
        if not isinstance(v, bool):
            raise self.error(f"expected true or false, got {v!r}")
        return v

    def choice(self, choices: Iterable[str]) -> str:
        choices = list(choices)
        v = self.value()
        if v not in choices:
            raise self.error(f"{v!r} is not one of {', '.join(choices)}{_suggest(str(v), choices)}")
        return v

    def regex(self, flags: int = 0) -> re.Pattern[str]:
        v = self.text()
        try:
            return re.compile(v, flags)
        except re.error as e:
            raise self.error(f"bad regular expression {v!r}: {e}") from None


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return repr(node.value)


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
