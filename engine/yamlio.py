"""YAML loading that remembers line numbers, so errors can say file:line."""
from __future__ import annotations

from pathlib import Path

import yaml

from .errors import McofError


class LineDict(dict):
    """A mapping that knows the line it started on (1-based), and the line of each key."""

    line: int | None = None
    key_lines: dict = {}


# libyaml's C parser where PyYAML was built with it (6x faster on the rulesets), else the
# pure-Python one; both give the same nodes, with their marks, to the constructor below.
class LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    pass


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    mapping.line = node.start_mark.line + 1
    return mapping


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, origin: str, error_class: type[McofError] = McofError):
    try:
        return yaml.load(text, Loader=LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{origin}:{mark.line + 1}" if mark else origin
        problem = getattr(exc, "problem", None) or str(exc)
        raise error_class(f"malformed YAML: {problem}", where=where,
                          hint="check indentation and quoting on that line") from None


def load_yaml(path: Path, error_class: type[McofError] = McofError):
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error_class("file not found", where=str(path)) from None
    except UnicodeDecodeError as exc:
        raise error_class(f"not UTF-8 text ({exc.reason} at byte {exc.start})", where=str(path),
                          hint="save the file as UTF-8") from None
    except OSError as exc:
        raise error_class(f"cannot read file: {exc.strerror}", where=str(path)) from None
    return parse_yaml(text, str(path), error_class)


def line_of(node) -> int | None:
    return getattr(node, "line", None)
