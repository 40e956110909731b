"""YAML loading that remembers line numbers, so errors can say file:line."""
from __future__ import annotations

from pathlib import Path

import yaml

from . import limits
from .errors import McofError


class LineDict(dict):
    """A mapping that knows the line it started on (1-based), and the line of each key."""

    line: int | None = None
    key_lines: dict = {}


# libyaml's C parser where PyYAML was built with it (6x faster on the rulesets), else the
# pure-Python one; both give the same nodes, with their marks, to the constructor below.
class LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    def get_single_data(self):
        node = self.get_single_node()
        if node is None:
            return None
        _check_expanded_size(node)
        return self.construct_document(node)




class YamlRefused(yaml.constructor.ConstructorError):
    """Well-formed YAML that mcof will not construct; carries its own advice."""

    def __init__(self, problem: str, mark, hint: str):
        super().__init__(None, None, problem, mark)
        self.hint = hint


def _check_expanded_size(root: yaml.Node) -> None:
    """Aliases are kept (the rulesets share quotes with &name / *name), but what they would
    expand to is bounded before anything walks it: nine nested aliases of ten make 10^9 values
    from a few hundred bytes."""
    limit = limits.YAML_NODES.value()
    sizes: dict[int, int] = {}  # id(node) -> expanded size; an alias is the anchored node itself

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = 1  # a recursive alias counts once (the constructor reports it)
        children = (node.value if isinstance(node, yaml.SequenceNode) else
                    [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else [])
        total = 1 + sum(size(child) for child in children)
        sizes[id(node)] = total
        if total > limit:
            raise YamlRefused(f"more than {limit:,} values once its aliases (*name) are expanded", node.start_mark,
                              f"use fewer nested aliases, or split the file; {limits.YAML_NODES.how_to_raise()}")
        return total

    size(root)


def _construct_number(loader: LineLoader, node: yaml.ScalarNode):
    """Python refuses an int of more than 4,300 digits with a ValueError; far shorter, a number
    literal is a typo or an attack."""
    limit = limits.NUMBER_CHARS.value()
    if len(node.value) > limit:
        raise YamlRefused(f"a number of {len(node.value):,} characters (at most {limit})", node.start_mark,
                          f"write it with fewer digits, or quote it if it is text; {limits.NUMBER_CHARS.how_to_raise()}")
    return (yaml.constructor.SafeConstructor.construct_yaml_int if node.tag.endswith(":int")
            else yaml.constructor.SafeConstructor.construct_yaml_float)(loader, node)


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (list, dict)):
            raise YamlRefused(f"a {'list' if isinstance(key, list) else 'mapping'} cannot be a key", key_node.start_mark,
                              "keys are names or numbers: remove the '?' or the brackets")
        if key in mapping:
            raise YamlRefused(f"duplicate key '{key}'", key_node.start_mark,
                              f"give each key once; the first is on line {mapping.key_lines[key]}")
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    mapping.line = node.start_mark.line + 1
    return mapping


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
LineLoader.add_constructor("tag:yaml.org,2002:int", _construct_number)
LineLoader.add_constructor("tag:yaml.org,2002:float", _construct_number)


def parse_yaml(text: str, origin: str, error_class: type[McofError] = McofError):
    try:
        return yaml.load(text, Loader=LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{origin}:{mark.line + 1}" if mark else origin
        problem = getattr(exc, "problem", None) or str(exc)
        if isinstance(exc, YamlRefused):
            raise error_class(f"YAML refused: {problem}", where=where, hint=exc.hint) from None
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
