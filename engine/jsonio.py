"""JSON reading for profiles and saved results: duplicate keys refused (the last would win
silently), a BOM accepted, numbers and nesting bounded (engine/limits.py), errors located."""
from __future__ import annotations

import json

from . import limits
from .errors import McofError


def parse_json(text: str, where: str, error_class: type[McofError] = McofError):
    max_chars = limits.NUMBER_CHARS.value()

    def number(kind):
        def parse(literal: str):
            if len(literal) > max_chars:
                raise error_class(f"a number of {len(literal):,} characters (at most {max_chars})", where=where,
                                  hint=f"write it with fewer digits; {limits.NUMBER_CHARS.how_to_raise()}")
            return kind(literal)
        return parse

    def no_duplicates(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise error_class(f"duplicate key {key!r}", where=where, hint="give each key once")
            seen.add(key)
        return dict(pairs)

    try:
        data = json.loads(text.lstrip("\ufeff"), object_pairs_hook=no_duplicates,
                          parse_int=number(int), parse_float=number(float))
    except json.JSONDecodeError as exc:
        raise error_class(f"malformed JSON: {exc.msg}", where=f"{where}:{exc.lineno}:{exc.colno}") from None
    except RecursionError:
        data = None  # deeper than Python's stack: reported below as too deep
        depth = None
    else:
        depth = _depth(data)
    max_depth = limits.JSON_DEPTH.value()
    if depth is None or depth > max_depth:
        deep = "too deep for Python to parse" if depth is None else f"{depth} levels deep"
        raise error_class(f"JSON nested {deep} (at most {max_depth})", where=where,
                          hint=limits.JSON_DEPTH.how_to_raise())
    return data


def _depth(value) -> int:
    """Nesting depth, counted without recursion (a scalar is 0, [] is 1)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level + 1)
            stack.extend((child, level + 1) for child in item)
    return deepest
