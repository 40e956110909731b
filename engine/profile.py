"""Crisis profiles: reading, `--set` overrides, validation and normalisation.

Values are normalised to exact Python types before they reach durable-rules, whose matching
coerces loosely ("9" > 5 matches; `flag == True` matches "true").
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any as AnyValue, Mapping

from . import limits
from .errors import ProfileError, did_you_mean, one_of
from .jsonio import parse_json
from .ruleset import FactSpec, Ruleset
from .yamlio import parse_yaml

TRUE_WORDS = {"true", "yes", "y", "1", "on"}
FALSE_WORDS = {"false", "no", "n", "0", "off"}


def read_profile_file(path: str | Path) -> dict:
    """A profile from a YAML or JSON file, or from standard input when ``path`` is ``-``.
    Bounded (engine/limits.py): a profile is a few dozen facts, so anything far larger is a
    mistake or an attack; a regular file; no YAML aliases (a few hundred bytes of nested
    aliases expand to gigabytes); JSON without duplicate keys, deep nesting or huge numbers."""
    max_bytes = limits.PROFILE_BYTES.value()
    if str(path) == "-":
        text, where = sys.stdin.read(max_bytes + 1), "<stdin>"
    else:
        text, where = _read_text(Path(path), max_bytes), str(path)
    if len(text) > max_bytes:
        raise ProfileError(f"profile larger than {max_bytes:,} bytes", where=where,
                           hint=f"a profile is one mapping of facts; check you gave the right file"
                                f"; {limits.PROFILE_BYTES.how_to_raise()}")
    if where.lower().endswith(".json"):
        return profile_mapping(parse_json(text, where, ProfileError), where)
    _refuse_aliases(text, where)
    return profile_mapping(parse_yaml(text, where, ProfileError), where)


def _read_text(path: Path, max_bytes: int) -> str:
    try:
        if not path.is_file():
            raise ProfileError("profile file not found" if not path.exists() else
                               "a profile is a regular file (not a directory, device or pipe)", where=str(path))
        with path.open(encoding="utf-8") as handle:
            return handle.read(max_bytes + 1)
    except UnicodeDecodeError:
        raise ProfileError("profile is not UTF-8 text", where=str(path), hint="save it as UTF-8") from None
    except OSError as exc:
        raise ProfileError(f"cannot read profile: {exc.strerror}", where=str(path)) from None


def _refuse_aliases(text: str, where: str) -> None:
    import yaml
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                raise ProfileError("profiles may not use YAML aliases (*name)", where=f"{where}:{event.start_mark.line + 1}",
                                   hint="write each fact's value out")
    except yaml.YAMLError:
        return  # parse_yaml reports the malformed YAML with its line


def profile_mapping(data, where: str) -> dict:
    """Parsed profile data as the mapping of facts it must be (empty for an empty file); the
    web app reads request bodies through it too."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ProfileError(f"a profile is a mapping of facts, not a {type(data).__name__}", where=where,
                           hint="write one 'fact: value' per line")
    return dict(data)


def parse_assignment(text: str) -> tuple[str, str]:
    """`KEY=VALUE` from the command line."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ProfileError(f"--set expects KEY=VALUE, got '{text}'", hint="e.g. --set phase=during")
    return key.strip(), value.strip()


def coerce_text(spec: FactSpec, text: str):
    """A command-line string as the fact's type (lists are comma-separated)."""
    if spec.is_list:
        return [item.strip() for item in text.split(",") if item.strip()]
    if spec.type == "bool":
        lowered = text.lower()
        if lowered in TRUE_WORDS:
            return True
        if lowered in FALSE_WORDS:
            return False
        return text  # validated (and rejected with a clear message) below
    if spec.type == "number":
        try:
            return float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            return text
    return text


def build_profile(ruleset: Ruleset, data: Mapping[str, AnyValue] | None = None,
                  assignments: list[str] = (), origin: str = "profile") -> dict:
    """Validated, normalised facts: list facts as sorted unique lists, exact types."""
    merged: dict[str, AnyValue] = dict(data or {})
    for assignment in assignments:
        key, text = parse_assignment(assignment)
        spec = input_fact_spec(ruleset, key, "--set")
        merged[key] = coerce_text(spec, text)
    return normalize_profile(ruleset, merged, origin)


def input_fact_spec(ruleset: Ruleset, name: str, where: str) -> FactSpec:
    """The catalogue entry of a fact a profile may set; a clear error for any other name."""
    spec = ruleset.facts.get(name)
    if spec is None:
        raise ProfileError(f"unknown fact '{name}'", where=where,
                           hint=did_you_mean(name, ruleset.input_facts()) or "list the facts with `mcof facts`")
    if spec.derived:
        raise ProfileError(f"'{name}' is derived by the rules and cannot be set", where=where,
                           hint="set the input facts it is derived from (see `mcof facts`)")
    return spec


def normalize_profile(ruleset: Ruleset, data: Mapping[str, AnyValue], origin: str = "profile") -> dict:
    profile: dict[str, AnyValue] = {}
    for name, value in data.items():
        where = f"{origin} (fact '{name}')"
        spec = input_fact_spec(ruleset, str(name), origin)
        if value is None:
            continue  # an explicit null is the same as leaving the fact out: unknown
        profile[name] = normalize_value(spec, value, where)
    for required in ("crisis_type", "phase"):
        if not profile.get(required):
            values = ruleset.facts[required].values
            raise ProfileError(f"the profile needs '{required}'", where=origin,
                               hint=f"e.g. --set {required}={values[0]} ({one_of(values)})")
    return profile


def normalize_value(spec: FactSpec, value, where: str):
    if spec.is_list:
        items = value if isinstance(value, list) else [value]
        checked = [_scalar(spec, item, where) for item in items]
        order = spec.values or sorted(set(checked))
        return [v for v in order if v in set(checked)]
    return _scalar(spec, value, where)


def _scalar(spec: FactSpec, value, where: str):
    if spec.type == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in TRUE_WORDS | FALSE_WORDS:
            return value.lower() in TRUE_WORDS
        raise ProfileError(f"'{spec.name}' must be true or false, not {value!r}", where=where)
    if spec.type == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ProfileError(f"'{spec.name}' must be a number, not {value!r}", where=where)
        if value != value:
            raise ProfileError(f"'{spec.name}' is NaN; leave the fact out if it is unknown", where=where)
        if spec.minimum is not None and value < spec.minimum or spec.maximum is not None and value > spec.maximum:
            raise ProfileError(f"'{spec.name}' = {value} is outside [{spec.minimum}, {spec.maximum}]", where=where)
        return value
    if not isinstance(value, str):
        raise ProfileError(f"'{spec.name}' must be text, not {value!r}", where=where)
    if spec.type == "enum" and value not in spec.values:
        raise ProfileError(f"'{value}' is not a valid {spec.name}", where=where,
                           hint=did_you_mean(value, spec.values) or one_of(spec.values))
    return value
