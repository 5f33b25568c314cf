"""Strict loading of the data files under ``grammars/``.

All content (findings, rules, advice, questions, phrase templates) is YAML. Loading is strict so a
typo cannot silently change clinical behaviour: unknown keys, missing keys and wrong types raise a
``ContentError`` naming the file, the key path and the line.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import yaml

from .errors import ContentError

#: Where the data files are: inside the installed package (a wheel maps the top-level ``grammars/``
#: folder to ``voice_triage/grammars``), else beside the package in a source checkout (editable).
_PACKAGE_DIR: Final = Path(__file__).resolve().parent
GRAMMARS_DIRS: Final = (_PACKAGE_DIR / "grammars", _PACKAGE_DIR.parent / "grammars")


class LineDict(dict[str, Any]):
    """A mapping that remembers the source line of each key (1-based)."""

    lines: dict[str, int]
    line: int


class LineList(list[Any]):
    """A list that remembers the source line of each item (1-based)."""

    lines: list[int]
    line: int


#: libyaml's parser when PyYAML was built with it (the wheels are): the grammar files are read at
#: every start, and the pure-Python parser took about half the grammar's load time.
_SAFE_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SAFE_BASE):  # type: ignore[misc]
    """A safe loader whose mappings and sequences keep line numbers for error messages."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    result = LineDict()
    result.lines = {}
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.lines = [child.start_mark.line + 1 for child in node.value]
    result.line = node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def data_dir() -> Path:
    """The folder holding the shipped data files (inside the installed package)."""
    for candidate in GRAMMARS_DIRS:
        if (candidate / "findings.yaml").is_file():
            return candidate
    raise ContentError("grammars/", "findings.yaml", "the data files are missing: reinstall voice-triage")


def load_yaml(path: Path, name: str | None = None) -> LineDict:
    """Parse one YAML file into a ``LineDict``; syntax errors name the file and line."""
    label = name or path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ContentError(label, "file", f"cannot read: {exc.strerror or exc}") from None
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # _LineLoader derives from SafeLoader
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ContentError(label, f"line {line}", f"invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ContentError(label, "file", f"invalid YAML: {exc}") from None
    if not isinstance(doc, LineDict):
        raise ContentError(label, "line 1", "the file must hold a mapping at the top level")
    return doc


@functools.cache
def load_data_file(name: str) -> LineDict:
    """Load a shipped data file by name (cached: data files are read once per process)."""
    return load_yaml(data_dir() / name, name)


def where(mapping: Mapping[str, Any], key: str, prefix: str = "") -> str:
    """Describe a key's position for an error: ``key path (line N)``."""
    path = f"{prefix}.{key}" if prefix else key
    lines = getattr(mapping, "lines", None)
    if isinstance(lines, dict) and key in lines:
        return f"{path} (line {lines[key]})"
    return path


def check_keys(
    mapping: Any,
    file: str,
    prefix: str,
    required: Iterable[str],
    optional: Iterable[str] = (),
) -> None:
    """Fail on a non-mapping, a missing required key or any key not listed."""
    if not isinstance(mapping, Mapping):
        line = getattr(mapping, "line", None)
        at = f"{prefix} (line {line})" if line else prefix
        raise ContentError(file, at, f"expected a mapping, got {type(mapping).__name__}")
    required = tuple(required)
    allowed = set(required) | set(optional)
    for key in mapping:
        if key not in allowed:
            raise ContentError(
                file, where(mapping, key, prefix), f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})"
            )
    for key in required:
        if key not in mapping:
            line = getattr(mapping, "line", None)
            at = f"{prefix} (line {line})" if line else (prefix or "top level")
            raise ContentError(file, at, f"missing key {key!r}")


def get_str(mapping: Mapping[str, Any], key: str, file: str, prefix: str) -> str:
    """A required non-empty string value."""
    value = mapping[key]
    if not isinstance(value, str) or not value.strip():
        raise ContentError(file, where(mapping, key, prefix), "expected a non-empty string")
    return value.strip()


def get_str_list(mapping: Mapping[str, Any], key: str, file: str, prefix: str) -> tuple[str, ...]:
    """A required non-empty list of non-empty strings."""
    value = mapping[key]
    if not isinstance(value, list) or not value:
        raise ContentError(file, where(mapping, key, prefix), "expected a non-empty list")
    items: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise ContentError(file, f"{where(mapping, key, prefix)}[{index}]", "expected a non-empty string")
        items.append(item.strip())
    return tuple(items)
