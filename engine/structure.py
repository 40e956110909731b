"""Structural validation: a file's data against its JSON Schema (engine/schemas.py).

jsonschema finds every structural error; this module picks the first in document order and
says it the way mcof's loaders always have: the file and line (from yamlio's LineDict), the
field path (``rules[2].then.recommend.level``) and a did-you-mean for a misspelt key or value.
The caller raises its own error type from the `Problem` (RulesetError, MappingError).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable

import jsonschema

from .errors import did_you_mean, one_of
from .schemas import file_schema

TYPE_NAMES = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
              "array": "a list", "object": "a mapping", "null": "empty"}
# the order in which one node's errors are reported: its keys first, as the loaders did
ITEMS = {"rules": "rule", "sectors": "sector", "facts": "fact", "links": "link", "cases": "case",
         "linkages": "linkage target", "partners": "partner", "modalities": "modality",
         "cross_cutting": "cross-cutting issue"}
PRIORITY = {"type": 0, "additionalProperties": 1, "required": 2, "dependentRequired": 3}


@dataclass(frozen=True)
class Problem:
    message: str
    path: tuple            # keys and list indices from the file's root
    line: int | None
    hint: str | None
    item: str | None = None            # "rule border-during": the list entry it is in

    @property
    def field(self) -> str:
        return dotted(self.path)


@dataclass(frozen=True)
class Style:
    """How a loader words unknown and missing keys, and its did-you-mean."""
    word: str = "field"                                        # "field" (rulesets) or "key" (mappings)
    suggest: Callable[[str, Iterable[str]], str | None] = lambda word, choices: (
        did_you_mean(word, choices) or one_of(choices))


@lru_cache(maxsize=None)
def validator(kind: str) -> jsonschema.protocols.Validator:
    schema = file_schema(kind)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def first_problem(data, kind: str, style: Style = Style()) -> Problem | None:
    """The first structural error of `data` (a file of `kind`), or None."""
    errors = list(validator(kind).iter_errors(data))
    if not errors:
        return None
    error = min(errors, key=lambda e: (line_at(data, e.absolute_path) or 0, len(e.absolute_path),
                                       PRIORITY.get(e.validator, 9)))
    return describe(error, data, style)


def dotted(path: Iterable) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def line_at(data, path: Iterable) -> int | None:
    """The line of the node at `path`: the line of its key where known, else of the nearest
    mapping around it."""
    line, node = getattr(data, "line", None), data
    for part in path:
        if isinstance(node, dict):
            line = getattr(node, "key_lines", {}).get(part, line)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        line = getattr(node, "line", None) or line
    return line


def describe(error: jsonschema.ValidationError, data, style: Style) -> Problem:
    path, schema, value = tuple(error.absolute_path), error.schema, error.instance
    line = line_at(data, path)
    subject = f"field '{_last(path)}'" if path else "the file"
    message, hint, at = _wording(error, subject, style)
    if at is not None:
        if isinstance(value, dict):
            line = getattr(value, "key_lines", {}).get(at, line)
        path = (*path, at)
    custom = (schema.get("x-messages") or {}).get(error.validator) or schema.get("x-message")
    if custom:
        message = custom
    hint = schema.get("x-hint") or hint
    return Problem(message, path, line, hint, item_label(data, path))


def item_label(data, path: tuple) -> str | None:
    """"rule border-during" for a problem inside the entry of a list file that has an id."""
    if len(path) < 2 or not isinstance(path[1], int) or not isinstance(data, dict):
        return None
    entry = data.get(path[0])
    entry = entry[path[1]] if isinstance(entry, list) and path[1] < len(entry) else None
    ident = next((entry[k] for k in ("id", "slug", "name", "rule") if isinstance(entry, dict) and k in entry), None)
    if not isinstance(ident, (str, int)):
        return None
    return f"{ITEMS.get(path[0], path[0])} {ident}"


def _wording(error: jsonschema.ValidationError, subject: str, style: Style) -> tuple[str, str | None, str | None]:
    """(message, hint, the key it is about) for one error."""
    schema, value, kind = error.schema, error.instance, error.validator
    if kind == "additionalProperties":
        allowed = list(schema.get("properties") or {})
        key = next(k for k in value if k not in allowed)
        label = schema.get("x-unknown", style.word)
        return (f"unknown {label} '{key}'" if style.word == "field" else f"unknown key {key!r}",
                style.suggest(str(key), allowed) or f"allowed {style.word}s: {', '.join(sorted(allowed))}", key)
    if kind in ("required", "dependentRequired"):
        needed = error.validator_value if kind == "required" else \
            [k for deps in error.validator_value.values() for k in deps]
        key = sorted(k for k in needed if k not in value)[0]
        if style.word == "field":
            return f"missing field '{key}'", None, key
        return f"missing required key {key!r}", None, key
    if kind == "enum":
        label = schema.get("x-unknown", "value")
        return (f"unknown {label} {value!r}" if "x-unknown" in schema else f"unknown value {value!r} for {subject}",
                style.suggest(str(value), [str(v) for v in error.validator_value]), None)
    if kind == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        if expected == ["string"] and "pattern" in schema:
            return f"{subject} must be non-empty text", None, None
        names = " or ".join(TYPE_NAMES[t] for t in expected if t != "null")
        return f"{subject} must be {names}, not {TYPE_NAMES.get(_json_type(value), type(value).__name__)}", None, None
    if kind == "pattern" and error.validator_value == r"\S":
        return f"{subject} must be non-empty text", None, None
    if kind in ("minItems", "minProperties") and error.validator_value == 1:
        return f"{subject} must be a non-empty {'list' if kind == 'minItems' else 'mapping'}", None, None
    if kind == "const":
        return f"{subject} must be {error.validator_value!r}, not {value!r}", None, None
    return f"{subject}: {error.message}", None, None


def _last(path: tuple) -> str:
    """The field a path ends in: `level`, or `wording[0]` for a list entry."""
    names = [i for i, part in enumerate(path) if not isinstance(part, int)]
    return dotted(path[names[-1]:]) if names else dotted(path)


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    for name, cls in (("integer", int), ("number", float), ("string", str), ("array", list), ("object", dict)):
        if isinstance(value, cls):
            return name
    return type(value).__name__
