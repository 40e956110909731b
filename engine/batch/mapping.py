"""Mappings: how the columns of a country table become profile facts.

A mapping is data (YAML).  It declares its inputs (which columns it reads, by name or HXL
tag), its thresholds (each with its source, or marked as a policy choice), its parameters
(e.g. ``phase``) and, per profile fact, the condition on indicators that sets it.  See
docs/batch.md for the format and engine/mappings/inform.yaml for the built-in ``inform``.
"""
from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..resources import bundled
from ..yamlio import LineLoader
from .errors import MappingError, suggestion_hint

BUILTIN_DIR = bundled("engine", "mappings")

BASES = ("source", "policy_choice")
COMPARATORS = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}
NEGATED = {"gte": "<", "gt": "<=", "lte": ">", "lt": ">="}
INDICATOR_TYPES = ("number", "flag", "text")


@dataclass
class ColumnSpec:
    """Where a column is found: alternatives, each a header name or an HXL tag (``#...``)."""
    alternatives: list[str]

    @property
    def label(self) -> str:
        return self.alternatives[0]


@dataclass
class Indicator:
    name: str
    input: str
    column: ColumnSpec
    type: str = "number"
    range: tuple[float, float] | None = None
    true_values: tuple[str, ...] = ()
    false_values: tuple[str, ...] = ()
    blank: Any = None          # what a blank cell means (None: unknown)
    blank_why: str = ""
    meaning: str = ""
    optional: bool = False


@dataclass
class InputSpec:
    id: str
    title: str
    source: str
    shape: str                  # wide | long
    primary: bool
    required: bool
    iso3: ColumnSpec | None
    name: ColumnSpec | None
    year: ColumnSpec | None
    take: str
    skip_empty_iso3: bool
    skip_iso3_prefixes: tuple[str, ...]
    skip_reason: str
    indicators: dict[str, Indicator]


@dataclass
class Threshold:
    name: str
    value: float
    basis: str
    source: str = ""
    why: str = ""
    unit: str = ""
    default: float | None = None   # set when overridden

    @property
    def overridden(self) -> bool:
        return self.default is not None


@dataclass
class Parameter:
    name: str
    value: Any
    choices: tuple[str, ...] = ()
    basis: str = "policy_choice"
    source: str = ""
    why: str = ""
    default: Any = None

    @property
    def overridden(self) -> bool:
        return self.default is not None


@dataclass
class FactSpec:
    name: str
    type: str                      # bool | list
    when: Any = None               # condition (bool facts)
    members: dict[str, Any] = field(default_factory=dict)   # value -> condition (list facts)
    parameter: str | None = None   # list/scalar fact copied from a parameter
    why: str = ""
    member_why: dict[str, str] = field(default_factory=dict)
    empty_note: str = ""


@dataclass
class ContextSpec:
    name: str
    indicator: str
    bands: list[tuple[str, str]]   # (threshold name, label), checked in order with >=
    otherwise: str


@dataclass
class Mapping:
    name: str
    title: str
    path: str
    description: str
    inputs: dict[str, InputSpec]
    thresholds: dict[str, Threshold]
    parameters: dict[str, Parameter]
    facts: dict[str, FactSpec]
    context: dict[str, ContextSpec]
    missing_values: tuple[str, ...]
    raw: dict
    missing_lower: frozenset = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        # Read once per cell: built once here, compared case-insensitively.
        self.missing_lower = frozenset(m.strip().lower() for m in self.missing_values)

    @functools.cached_property
    def indicators(self) -> dict[str, Indicator]:
        """Every input's indicators, by name (built once: the inputs do not change after
        parsing; ``apply_overrides`` deep-copies the mapping, this cache included)."""
        out = {}
        for spec in self.inputs.values():
            out.update(spec.indicators)
        return out

    @property
    def primary(self) -> InputSpec:
        return next(s for s in self.inputs.values() if s.primary)

    def overrides(self) -> dict:
        """The overrides in force, name -> (value, default)."""
        out = {n: (t.value, t.default) for n, t in self.thresholds.items() if t.overridden}
        out.update({n: (p.value, p.default) for n, p in self.parameters.items() if p.overridden})
        return out


def fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if v == int(v) and abs(v) < 1e15:
            return f"{v:.1f}"
        return f"{v:.6g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    return str(v)


DEFAULT_MISSING = ("", "x", "X", "NA", "N/A", "n/a", "na", "NaN", "nan", "NULL", "null", "None",
                   "-", "--", "..", "?", "#VALUE!", "#N/A", "#DIV/0!", "#REF!", "#NUM!",
                   "#NAME?", "#NULL!", "#SPILL!", "#CALC!")


# ---------------------------------------------------------------------------------- loading

def builtin_mappings() -> list[str]:
    if not BUILTIN_DIR.is_dir():
        return []
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))


def load_mapping(name_or_path: str | Path, overrides: dict | None = None) -> Mapping:
    """Load a built-in mapping by name (``inform``) or a mapping file by path.

    ``overrides`` maps threshold or parameter names declared in the mapping to new values,
    e.g. ``{"drought": 6.0, "phase": ["before", "during"]}``.  Unknown names raise
    :class:`MappingError` with a did-you-mean.
    """
    text_path = str(name_or_path)
    p = Path(text_path)
    if p.suffix.lower() in (".yaml", ".yml", ".json") or p.exists() or "/" in text_path or "\\" in text_path:
        path = p
        if not path.is_file():
            raise MappingError("mapping file not found", file=str(path),
                               hint="give an existing YAML file or a built-in name: "
                                    + ", ".join(builtin_mappings()))
    else:
        path = BUILTIN_DIR / f"{text_path}.yaml"
        if not path.is_file():
            raise MappingError(f"unknown built-in mapping {text_path!r}",
                               hint=suggestion_hint(text_path, builtin_mappings(), "mappings")
                               or "give a path to a mapping YAML file")
    try:
        # LineLoader: safe loading that refuses a key given twice in one mapping (safe_load
        # would keep the last silently, e.g. a threshold's value).
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=LineLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = str(getattr(e, "problem", None) or e)
        hint = ("each key may appear once in a mapping: remove or merge the repeated one"
                if problem.startswith("duplicate key") else "check indentation and quoting near that line")
        raise MappingError(f"mapping is not valid YAML: {problem}", file=str(path),
                           row=(mark.line + 1) if mark else None, hint=hint) from None
    except TypeError as e:   # a list or mapping used as a key: LineLoader cannot hash it
        raise MappingError(f"mapping is not valid YAML: a key must be a text or number ({e})",
                           file=str(path)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise MappingError(f"cannot read mapping: {e}", file=str(path)) from None
    mapping = parse_mapping(_plain(raw), str(path))
    if overrides:
        mapping = apply_overrides(mapping, overrides)
    return mapping


def _plain(obj):
    """Plain dicts and lists in place of LineLoader's LineDicts (``Mapping.raw`` can then be
    dumped again with yaml.safe_dump)."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


class _Ctx:
    def __init__(self, path: str):
        self.path = path

    def fail(self, field_: str, message: str, hint: str = ""):
        raise MappingError(message, file=self.path, field=field_, hint=hint)

    def mapping(self, obj, field_: str) -> dict:
        if not isinstance(obj, dict):
            self.fail(field_, f"must be a mapping (key: value), not {type(obj).__name__}")
        return obj

    def keys(self, obj: dict, field_: str, allowed: set[str], required: set[str] = frozenset()):
        for k in obj:
            if k not in allowed:
                self.fail(f"{field_}.{k}", f"unknown key {k!r}", suggestion_hint(str(k), allowed, "keys"))
        for k in required:
            if k not in obj:
                self.fail(f"{field_}.{k}", f"missing required key {k!r}")

    def text(self, obj, field_: str, default: str | None = None) -> str:
        if obj is None and default is not None:
            return default
        if not isinstance(obj, str) or not obj.strip():
            self.fail(field_, "must be a non-empty text")
        return obj.strip()

    def number(self, obj, field_: str) -> float:
        if isinstance(obj, bool) or not isinstance(obj, (int, float)) or math.isnan(float(obj)):
            self.fail(field_, f"must be a number, not {obj!r}")
        return float(obj)


def _column(ctx: _Ctx, obj, field_: str) -> ColumnSpec:
    if isinstance(obj, dict) and set(obj) == {"column"}:
        obj = obj["column"]
    if isinstance(obj, str):
        alts = [obj]
    elif isinstance(obj, list) and obj and all(isinstance(a, str) and a.strip() for a in obj):
        alts = list(obj)
    else:
        ctx.fail(field_, "a column is a header name, an HXL tag (#...), or a list of alternatives")
    return ColumnSpec([a.strip() if a.strip().startswith("#") else a for a in alts])


def parse_mapping(raw: Any, path: str = "<mapping>") -> Mapping:
    ctx = _Ctx(path)
    raw = ctx.mapping(raw, "(top level)")
    ctx.keys(raw, "(top level)",
             {"mapping", "version", "title", "description", "parameters", "thresholds", "inputs",
              "facts", "context", "missing_values", "notes"},
             {"mapping", "inputs", "facts"})
    name = ctx.text(raw["mapping"], "mapping")
    missing = raw.get("missing_values", list(DEFAULT_MISSING))
    if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
        ctx.fail("missing_values", "must be a list of texts")

    # thresholds
    thresholds: dict[str, Threshold] = {}
    for tname, t in ctx.mapping(raw.get("thresholds") or {}, "thresholds").items():
        f = f"thresholds.{tname}"
        t = ctx.mapping(t, f)
        ctx.keys(t, f, {"value", "basis", "source", "why", "unit", "indicator"}, {"value", "basis"})
        basis = t["basis"]
        if basis not in BASES:
            ctx.fail(f + ".basis", f"basis must be one of {', '.join(BASES)}, not {basis!r}",
                     suggestion_hint(str(basis), BASES))
        if basis == "source" and not t.get("source"):
            ctx.fail(f + ".source", "a threshold with basis 'source' must state its source")
        if basis == "policy_choice" and not t.get("why"):
            ctx.fail(f + ".why", "a policy-choice threshold must say why ('why:')")
        thresholds[str(tname)] = Threshold(str(tname), ctx.number(t["value"], f + ".value"), basis,
                                           str(t.get("source", "")).strip(), str(t.get("why", "")).strip(),
                                           str(t.get("unit", "")))

    # parameters
    parameters: dict[str, Parameter] = {}
    for pname, p in ctx.mapping(raw.get("parameters") or {}, "parameters").items():
        f = f"parameters.{pname}"
        p = ctx.mapping(p, f)
        ctx.keys(p, f, {"value", "choices", "basis", "source", "why"}, {"value"})
        choices = tuple(p.get("choices") or ())
        par = Parameter(str(pname), p["value"], choices, p.get("basis", "policy_choice"),
                        str(p.get("source", "")).strip(), str(p.get("why", "")).strip())
        par.value = _check_parameter_value(par, p["value"], ctx, f + ".value")
        parameters[str(pname)] = par

    # inputs
    inputs: dict[str, InputSpec] = {}
    all_indicators: dict[str, Indicator] = {}
    for iid, spec in ctx.mapping(raw["inputs"], "inputs").items():
        f = f"inputs.{iid}"
        spec = ctx.mapping(spec, f)
        ctx.keys(spec, f, {"title", "source", "shape", "primary", "required", "iso3", "name", "year",
                           "take", "skip", "indicators"}, {"indicators"})
        shape = spec.get("shape", "wide")
        if shape not in ("wide", "long"):
            ctx.fail(f + ".shape", f"shape must be 'wide' or 'long', not {shape!r}")
        if "iso3" not in spec and "name" not in spec:
            ctx.fail(f, "an input needs an 'iso3' column, a 'name' column, or both")
        year = _column(ctx, spec["year"], f + ".year") if "year" in spec else None
        if shape == "long" and year is None:
            ctx.fail(f + ".year", "a long-format input needs a 'year' column")
        take = spec.get("take", "latest_with_value")
        if take != "latest_with_value":
            ctx.fail(f + ".take", "only 'latest_with_value' is supported")
        skip = ctx.mapping(spec.get("skip") or {}, f + ".skip")
        ctx.keys(skip, f + ".skip", {"empty_iso3", "iso3_prefixes", "reason"})
        inds: dict[str, Indicator] = {}
        for ind_name, ind in ctx.mapping(spec["indicators"], f + ".indicators").items():
            g = f"{f}.indicators.{ind_name}"
            ind = ctx.mapping(ind, g)
            ctx.keys(ind, g, {"column", "type", "range", "true_values", "false_values", "blank", "blank_why",
                              "meaning", "optional", "unit"}, {"column"})
            typ = ind.get("type", "number")
            if typ not in INDICATOR_TYPES:
                ctx.fail(g + ".type", f"type must be one of {', '.join(INDICATOR_TYPES)}",
                         suggestion_hint(str(typ), INDICATOR_TYPES))
            rng = ind.get("range")
            if rng is not None:
                if not (isinstance(rng, list) and len(rng) == 2):
                    ctx.fail(g + ".range", "range is [min, max]")
                rng = (ctx.number(rng[0], g + ".range"), ctx.number(rng[1], g + ".range"))
            if ind_name in all_indicators:
                ctx.fail(g, f"indicator {ind_name!r} is declared twice")
            if "blank" in ind and not ind.get("blank_why"):
                ctx.fail(g + ".blank_why", "say why a blank cell has a meaning ('blank_why:')")
            obj = Indicator(str(ind_name), str(iid), _column(ctx, ind["column"], g + ".column"), typ, rng,
                            tuple(str(v).upper() for v in ind.get("true_values", ["YES", "Y", "TRUE", "1"])),
                            tuple(str(v).upper() for v in ind.get("false_values", ["NO", "N", "FALSE", "0"])),
                            ind.get("blank"), str(ind.get("blank_why", "")), str(ind.get("meaning", "")).strip(),
                            bool(ind.get("optional", False)))
            inds[str(ind_name)] = obj
            all_indicators[str(ind_name)] = obj
        inputs[str(iid)] = InputSpec(
            str(iid), str(spec.get("title", iid)), str(spec.get("source", "")).strip(), shape,
            bool(spec.get("primary", False)), bool(spec.get("required", True)),
            _column(ctx, spec["iso3"], f + ".iso3") if "iso3" in spec else None,
            _column(ctx, spec["name"], f + ".name") if "name" in spec else None,
            year, take, bool(skip.get("empty_iso3", False)), tuple(skip.get("iso3_prefixes") or ()),
            str(skip.get("reason", "not a country (aggregate or non-ISO entity)")), inds)
    if not inputs:
        ctx.fail("inputs", "a mapping needs at least one input")
    primaries = [s for s in inputs.values() if s.primary]
    if len(primaries) > 1:
        ctx.fail("inputs", "only one input may be 'primary: true' (it sets the list of countries)")
    if not primaries:
        first = next(iter(inputs.values()))
        first.primary = True
    if not next(s for s in inputs.values() if s.primary).required:
        ctx.fail("inputs", "the primary input must be required")

    # facts
    facts: dict[str, FactSpec] = {}
    for fname, fs in ctx.mapping(raw["facts"], "facts").items():
        f = f"facts.{fname}"
        fs = ctx.mapping(fs, f)
        ctx.keys(fs, f, {"type", "when", "members", "parameter", "why", "empty"}, {"type"})
        typ = fs["type"]
        spec = FactSpec(str(fname), typ, why=str(fs.get("why", "")).strip(),
                        empty_note=str(fs.get("empty", "")).strip())
        if "parameter" in fs:
            if fs["parameter"] not in parameters:
                ctx.fail(f + ".parameter", f"unknown parameter {fs['parameter']!r}",
                         suggestion_hint(str(fs["parameter"]), parameters, "parameters"))
            spec.parameter = fs["parameter"]
        elif typ == "bool":
            if "when" not in fs:
                ctx.fail(f + ".when", "a bool fact needs a 'when' condition")
            spec.when = _condition(ctx, fs["when"], f + ".when", all_indicators, thresholds, facts)
        elif typ == "list":
            members = ctx.mapping(fs.get("members"), f + ".members")
            for value, m in members.items():
                g = f"{f}.members.{value}"
                m = ctx.mapping(m, g)
                ctx.keys(m, g, {"when", "why"}, {"when"})
                spec.members[str(value)] = _condition(ctx, m["when"], g + ".when", all_indicators,
                                                      thresholds, facts)
                spec.member_why[str(value)] = str(m.get("why", "")).strip()
        else:
            ctx.fail(f + ".type", f"fact type must be 'bool' or 'list' (or give 'parameter'), not {typ!r}")
        facts[str(fname)] = spec

    context: dict[str, ContextSpec] = {}
    for cname, cs in ctx.mapping(raw.get("context") or {}, "context").items():
        f = f"context.{cname}"
        cs = ctx.mapping(cs, f)
        ctx.keys(cs, f, {"indicator", "bands", "otherwise", "why"}, {"indicator", "bands", "otherwise"})
        if cs["indicator"] not in all_indicators:
            ctx.fail(f + ".indicator", f"unknown indicator {cs['indicator']!r}",
                     suggestion_hint(str(cs["indicator"]), all_indicators, "indicators"))
        bands = []
        for i, b in enumerate(cs["bands"] or []):
            b = ctx.mapping(b, f"{f}.bands[{i}]")
            ctx.keys(b, f"{f}.bands[{i}]", {"gte", "label"}, {"gte", "label"})
            if b["gte"] not in thresholds:
                ctx.fail(f"{f}.bands[{i}].gte", f"unknown threshold {b['gte']!r}",
                         suggestion_hint(str(b["gte"]), thresholds, "thresholds"))
            bands.append((b["gte"], str(b["label"])))
        context[str(cname)] = ContextSpec(str(cname), cs["indicator"], bands, str(cs["otherwise"]))

    return Mapping(name, str(raw.get("title", name)), path, str(raw.get("description", "")).strip(),
                   inputs, thresholds, parameters, facts, context, tuple(missing), raw)


def _condition(ctx: _Ctx, obj, field_: str, indicators: dict, thresholds: dict, facts: dict):
    obj = ctx.mapping(obj, field_)
    if "any" in obj or "all" in obj:
        key = "any" if "any" in obj else "all"
        ctx.keys(obj, field_, {key})
        items = obj[key]
        if not isinstance(items, list) or not items:
            ctx.fail(f"{field_}.{key}", "must be a non-empty list of conditions")
        return {key: [_condition(ctx, c, f"{field_}.{key}[{i}]", indicators, thresholds, facts)
                      for i, c in enumerate(items)]}
    if "indicator" in obj:
        ind = obj["indicator"]
        if ind not in indicators:
            ctx.fail(field_ + ".indicator", f"unknown indicator {ind!r}",
                     suggestion_hint(str(ind), indicators, "indicators"))
        ops = [k for k in obj if k != "indicator"]
        if len(ops) != 1:
            ctx.fail(field_, "an indicator condition has exactly one operator: gte, gt, lte, lt, is")
        op = ops[0]
        if op in COMPARATORS:
            if indicators[ind].type != "number":
                ctx.fail(field_, f"{op} needs a number indicator; {ind!r} is {indicators[ind].type}")
            thr = obj[op]
            if thr not in thresholds:
                ctx.fail(f"{field_}.{op}", f"comparisons name a declared threshold; unknown {thr!r}",
                         suggestion_hint(str(thr), thresholds, "thresholds"))
            return {"indicator": ind, "op": op, "threshold": thr}
        if op == "is":
            if indicators[ind].type != "flag" or not isinstance(obj["is"], bool):
                ctx.fail(field_, "'is: true/false' needs a flag indicator")
            return {"indicator": ind, "op": "is", "value": obj["is"]}
        if op == "equals":
            return {"indicator": ind, "op": "equals", "value": str(obj["equals"])}
        ctx.fail(f"{field_}.{op}", f"unknown operator {op!r}",
                 suggestion_hint(str(op), list(COMPARATORS) + ["is", "equals"], "operators"))
    if "fact" in obj:
        fact = obj["fact"]
        if fact not in facts:
            ctx.fail(field_ + ".fact", f"a condition may read only a fact declared above it; unknown {fact!r}",
                     suggestion_hint(str(fact), facts, "facts"))
        if "is" in obj and isinstance(obj["is"], bool):
            return {"fact": fact, "op": "is", "value": obj["is"]}
        if "includes" in obj:
            return {"fact": fact, "op": "includes", "value": str(obj["includes"])}
        ctx.fail(field_, "a fact condition is {fact: F, is: true|false} or {fact: F, includes: V}")
    ctx.fail(field_, "a condition is {indicator: ..., gte: threshold}, {fact: ..., is: ...}, {any: [...]} or {all: [...]}")


def _check_parameter_value(par: Parameter, value, ctx: _Ctx | None, field_: str):
    vals = value
    if isinstance(vals, str):
        vals = [v.strip() for v in vals.split(",") if v.strip()]
    if not isinstance(vals, list) or not vals:
        msg = f"parameter {par.name} needs a value or a list of values"
        if ctx:
            ctx.fail(field_, msg)
        raise MappingError(msg, field=field_)
    for v in vals:
        if par.choices and v not in par.choices:
            msg = f"{v!r} is not a value of parameter {par.name}"
            hint = suggestion_hint(str(v), par.choices, "values")
            if ctx:
                ctx.fail(field_, msg, hint)
            raise MappingError(msg, field=field_, hint=hint)
    return list(dict.fromkeys(vals))


def apply_overrides(mapping: Mapping, overrides: dict) -> Mapping:
    """A copy of ``mapping`` with thresholds/parameters overridden; unknown names raise."""
    m = copy.deepcopy(mapping)
    for key, value in overrides.items():
        key = str(key)
        if key in m.thresholds:
            t = m.thresholds[key]
            try:
                if isinstance(value, bool):
                    raise ValueError
                new = float(value)
                if math.isnan(new):
                    raise ValueError
            except (TypeError, ValueError):
                raise MappingError(f"threshold {key} needs a number, not {value!r}", file=m.path,
                                   field=f"thresholds.{key}", hint=f"e.g. {key}={fmt(t.value)}") from None
            if new != t.value or t.overridden:
                t.default = t.default if t.overridden else t.value
                t.value = new
        elif key in m.parameters:
            p = m.parameters[key]
            new = _check_parameter_value(p, value, None, f"parameters.{key}")
            if new != p.value:
                p.default = p.default if p.overridden else p.value
                p.value = new
        else:
            names = list(m.thresholds) + list(m.parameters)
            raise MappingError(f"mapping {m.name!r} declares no threshold or parameter {key!r}",
                               file=m.path, field=key,
                               hint=suggestion_hint(key, names, "thresholds and parameters"))
    return m
