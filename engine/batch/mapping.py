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
from ..schemas import INDICATOR_TYPES, MAPPING_BASES
from ..structure import Style, first_problem
from ..yamlio import LineLoader, YamlRefused
from .errors import MappingError, suggestion_hint

BUILTIN_DIR = bundled("engine", "mappings")

BASES = MAPPING_BASES
COMPARATORS = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}
NEGATED = {"gte": "<", "gt": "<=", "lte": ">", "lt": ">="}


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
    # Read as the highest of these columns (a release that splits the indicator in parts,
    # e.g. INFORM's flood into river and coastal flood); empty: read from ``column``.
    max_of: tuple[ColumnSpec, ...] = ()


@dataclass
class Vintage:
    """One release of an input, recognised by its columns: the columns it has and lacks, the
    indicators it does not publish (unknown for every row) and the columns it renames."""
    id: str
    title: str
    has: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    columns: dict[str, ColumnSpec | tuple[ColumnSpec, ...]] = field(default_factory=dict)  # tuple: max_of
    why: str = ""

    @property
    def signature(self) -> str:
        """How it was recognised, e.g. "has Epidemic; lacks RISK CLASS"."""
        parts = []
        if self.has:
            parts.append("has " + ", ".join(self.has))
        if self.lacks:
            parts.append("lacks " + ", ".join(self.lacks))
        return "; ".join(parts)


@dataclass(frozen=True)
class Units:
    """What a batch's rows are, and what the outputs call their key and name columns:
    countries by ISO3 code (validated and named with pycountry), or any other units by an id
    column taken as written (admin codes, P-codes, any unique key)."""
    kind: str         # iso3 | id
    key: str          # the key column of the output tables
    name: str         # the name column of the output tables
    noun: str         # in messages: country | unit
    plural: str


COUNTRIES = Units("iso3", "iso3", "country", "country", "countries")
ID_UNITS = Units("id", "unit_id", "unit_name", "unit", "units")


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
    id_column: ColumnSpec | None = None   # the unit's key when the units are not countries
    vintages: dict[str, Vintage] = field(default_factory=dict)   # checked in order

    @property
    def key(self) -> ColumnSpec | None:
        """The column that keys a row: its id, else its ISO3 code."""
        return self.id_column or self.iso3


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

    @property
    def units(self) -> Units:
        return ID_UNITS if any(s.id_column for s in self.inputs.values()) else COUNTRIES

    def facts_reading(self, indicator: str) -> list[str]:
        """The facts whose conditions read ``indicator``, directly or through a fact that
        does (a list fact with its members, e.g. "crisis_type (health)"), in mapping order."""
        out, reached = [], set()
        for spec in self.facts.values():
            if spec.when is not None and _reads(spec.when, indicator, reached):
                out.append(spec.name)
                reached.add(spec.name)
            members = [m for m, cond in spec.members.items() if _reads(cond, indicator, reached)]
            if members:
                out.append(f"{spec.name} ({', '.join(members)})")
                reached.add(spec.name)
        return out

    def overrides(self) -> dict:
        """The overrides in force, name -> (value, default)."""
        out = {n: (t.value, t.default) for n, t in self.thresholds.items() if t.overridden}
        out.update({n: (p.value, p.default) for n, p in self.parameters.items() if p.overridden})
        return out


def _reads(cond: dict, indicator: str, facts: set[str]) -> bool:
    """Whether a parsed condition reads the indicator, or one of ``facts``."""
    if "any" in cond or "all" in cond:
        return any(_reads(c, indicator, facts) for c in cond.get("any", cond.get("all")))
    return cond.get("indicator") == indicator or cond.get("fact") in facts


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


def load_mapping(name_or_path: str | Path, overrides: dict | None = None, *,
                 id_column: str | None = None, name_column: str | None = None) -> Mapping:
    """Load a built-in mapping by name (``inform``) or a mapping file by path.

    ``overrides`` maps threshold or parameter names declared in the mapping to new values,
    e.g. ``{"drought": 6.0, "phase": ["before", "during"]}``.  Unknown names raise
    :class:`MappingError` with a did-you-mean.  ``id_column`` and ``name_column`` key every
    input by that column instead (:func:`with_unit_columns`).
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
        refused = isinstance(e, YamlRefused)  # well-formed, but past a limit or a duplicate key: its own advice
        raise MappingError(f"mapping {'YAML refused' if refused else 'is not valid YAML'}: {problem}", file=str(path),
                           row=(mark.line + 1) if mark else None,
                           hint=e.hint if refused else "check indentation and quoting near that line") from None
    except (OSError, UnicodeDecodeError) as e:
        raise MappingError(f"cannot read mapping: {e}", file=str(path)) from None
    mapping = parse_mapping(raw, str(path))
    if overrides:
        mapping = apply_overrides(mapping, overrides)
    if id_column or name_column:
        mapping = with_unit_columns(mapping, id_column, name_column)
    return mapping


def with_unit_columns(mapping: Mapping, id_column: str | None, name_column: str | None = None) -> Mapping:
    """A copy of ``mapping`` whose inputs are keyed by ``id_column`` (a header name or an HXL
    tag; units that are not countries, taken as written: no ISO3 check, no name lookup) and
    named by ``name_column``, each in place of what the mapping declares."""
    m = copy.deepcopy(mapping)
    for spec in m.inputs.values():
        if id_column:
            spec.id_column, spec.iso3 = _column(id_column.strip()), None
        if name_column:
            spec.name = _column(name_column.strip())
    return m


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

    def number(self, obj, field_: str) -> float:
        if isinstance(obj, bool) or not isinstance(obj, (int, float)) or math.isnan(float(obj)):
            self.fail(field_, f"must be a number, not {obj!r}")
        return float(obj)


def _column(obj) -> ColumnSpec:
    """A column (its shape checked by the schema): a name, an HXL tag, or alternatives."""
    if isinstance(obj, dict):
        obj = obj["column"]
    alts = [obj] if isinstance(obj, str) else list(obj)
    return ColumnSpec([a.strip() if a.strip().startswith("#") else a for a in alts])


MAPPING_STYLE = Style(word="key", suggest=lambda word, choices: suggestion_hint(word, choices, "names"))


def check_mapping_structure(raw: Any, path: str):
    """The mapping against its JSON Schema (engine/schemas.py): every key known, each of its
    type, with the line where ``raw`` came from a file (yamlio's LineDict)."""
    problem = first_problem(raw, "mapping", MAPPING_STYLE)
    if problem is not None:
        raise MappingError(problem.message, file=path, row=problem.line, field=problem.field or "(top level)",
                           hint=problem.hint or "")


def parse_mapping(raw: Any, path: str = "<mapping>") -> Mapping:
    """A mapping from its YAML data: structure by the schema, then what refers across sections
    (indicators, thresholds, parameters and facts named by conditions and context)."""
    check_mapping_structure(raw, path)
    raw = _plain(raw)
    ctx = _Ctx(path)
    thresholds = _thresholds(ctx, raw.get("thresholds") or {})
    parameters = _parameters(ctx, raw.get("parameters") or {})
    inputs = _inputs(ctx, raw["inputs"])
    indicators = {name: ind for spec in inputs.values() for name, ind in spec.indicators.items()}
    facts = _facts(ctx, raw["facts"], parameters, indicators, thresholds)
    context = _context(ctx, raw.get("context") or {}, indicators, thresholds)
    name = raw["mapping"].strip()
    return Mapping(name, str(raw.get("title", name)), path, str(raw.get("description", "")).strip(),
                   inputs, thresholds, parameters, facts, context,
                   tuple(raw.get("missing_values", DEFAULT_MISSING)), raw)


def _thresholds(ctx: _Ctx, nodes: dict) -> dict[str, Threshold]:
    return {str(name): Threshold(str(name), ctx.number(t["value"], f"thresholds.{name}.value"), t["basis"],
                                 str(t.get("source", "")).strip(), str(t.get("why", "")).strip(),
                                 str(t.get("unit", "")))
            for name, t in nodes.items()}


def _parameters(ctx: _Ctx, nodes: dict) -> dict[str, Parameter]:
    parameters: dict[str, Parameter] = {}
    for name, p in nodes.items():
        par = Parameter(str(name), p["value"], tuple(p.get("choices") or ()), p.get("basis", "policy_choice"),
                        str(p.get("source", "")).strip(), str(p.get("why", "")).strip())
        par.value = _check_parameter_value(par, p["value"], ctx, f"parameters.{name}.value")
        parameters[str(name)] = par
    return parameters


def _inputs(ctx: _Ctx, nodes: dict) -> dict[str, InputSpec]:
    inputs: dict[str, InputSpec] = {}
    seen: set[str] = set()
    for iid, spec in nodes.items():
        inputs[str(iid)] = _input(ctx, str(iid), spec, seen)
    by_id = [iid for iid, s in inputs.items() if s.id_column]
    if by_id and len(by_id) < len(inputs):
        other = next(iid for iid, s in inputs.items() if not s.id_column)
        ctx.fail(f"inputs.{other}", f"input {by_id[0]!r} is keyed by an 'id' column, {other!r} is not",
                 "the inputs are joined on their key: give every input an 'id' column, or none")
    primaries = [s for s in inputs.values() if s.primary]
    if len(primaries) > 1:
        ctx.fail("inputs", "only one input may be 'primary: true' (it sets the list of countries)")
    if not primaries:
        next(iter(inputs.values())).primary = True
    if not next(s for s in inputs.values() if s.primary).required:
        ctx.fail("inputs", "the primary input must be required")
    return inputs


def _input(ctx: _Ctx, iid: str, spec: dict, seen: set[str]) -> InputSpec:
    """One input table; `seen` holds the indicator names of the inputs before it."""
    f = f"inputs.{iid}"
    shape = spec.get("shape", "wide")
    if "id" in spec and "iso3" in spec:
        ctx.fail(f + ".id", "an input is keyed by an 'id' column or by an 'iso3' column, not both",
                 "'id' is for units that are not countries (admin codes, P-codes); 'iso3' for countries")
    if "iso3" not in spec and "name" not in spec and "id" not in spec:
        ctx.fail(f, "an input needs an 'iso3' column or a 'name' column (countries), or an 'id' column")
    year = _column(spec["year"]) if "year" in spec else None
    if shape == "long" and year is None:
        ctx.fail(f + ".year", "a long-format input needs a 'year' column")
    indicators: dict[str, Indicator] = {}
    for name, ind in spec["indicators"].items():
        if name in seen:
            ctx.fail(f"{f}.indicators.{name}", f"indicator {name!r} is declared twice")
        seen.add(name)
        indicators[str(name)] = _indicator(ctx, iid, str(name), ind)
    skip = spec.get("skip") or {}
    return InputSpec(
        iid, str(spec.get("title", iid)), str(spec.get("source", "")).strip(), shape,
        bool(spec.get("primary", False)), bool(spec.get("required", True)),
        _column(spec["iso3"]) if "iso3" in spec else None, _column(spec["name"]) if "name" in spec else None,
        year, spec.get("take", "latest_with_value"), bool(skip.get("empty_iso3", False)),
        tuple(skip.get("iso3_prefixes") or ()), str(skip.get("reason", "not a country (aggregate or non-ISO entity)")),
        indicators, _column(spec["id"]) if "id" in spec else None,
        {str(vid): _vintage(ctx, f"{f}.vintages.{vid}", str(vid), v, indicators)
         for vid, v in (spec.get("vintages") or {}).items()})


def _vintage(ctx: _Ctx, f: str, vid: str, node: dict, indicators: dict[str, Indicator]) -> Vintage:
    """A release of an input; what it names must be indicators of that input."""
    for i, name in enumerate(node.get("absent") or []):
        if name not in indicators:
            ctx.fail(f"{f}.absent[{i}]", f"unknown indicator {name!r}", suggestion_hint(str(name), indicators, "indicators"))
    columns: dict[str, ColumnSpec | tuple[ColumnSpec, ...]] = {}
    for name, col in (node.get("columns") or {}).items():
        if name not in indicators:
            ctx.fail(f"{f}.columns.{name}", f"unknown indicator {name!r}", suggestion_hint(str(name), indicators, "indicators"))
        if indicators[name].type != "number" and isinstance(col, dict) and "max_of" in col:
            ctx.fail(f"{f}.columns.{name}.max_of", f"max_of needs a number indicator; {name!r} is {indicators[name].type}")
        columns[str(name)] = tuple(_column(c) for c in col["max_of"]) if isinstance(col, dict) and "max_of" in col \
            else _column(col)
    if not node.get("has") and not node.get("lacks"):
        ctx.fail(f, "a vintage is recognised by its columns: give 'has:', 'lacks:' or both")
    return Vintage(vid, str(node["title"]), tuple(map(str, node.get("has") or ())), tuple(map(str, node.get("lacks") or ())),
                   tuple(map(str, node.get("absent") or ())), columns, str(node.get("why", "")).strip())


def _indicator(ctx: _Ctx, iid: str, name: str, ind: dict) -> Indicator:
    g = f"inputs.{iid}.indicators.{name}"
    rng = ind.get("range")
    if rng is not None:
        rng = (ctx.number(rng[0], g + ".range"), ctx.number(rng[1], g + ".range"))
    return Indicator(name, iid, _column(ind["column"]), ind.get("type", "number"), rng,
                     tuple(str(v).upper() for v in ind.get("true_values", ["YES", "Y", "TRUE", "1"])),
                     tuple(str(v).upper() for v in ind.get("false_values", ["NO", "N", "FALSE", "0"])),
                     ind.get("blank"), str(ind.get("blank_why", "")), str(ind.get("meaning", "")).strip(),
                     bool(ind.get("optional", False)))


def _facts(ctx: _Ctx, nodes: dict, parameters: dict, indicators: dict, thresholds: dict) -> dict[str, FactSpec]:
    """Each fact in order: a condition may read only the facts declared above it."""
    facts: dict[str, FactSpec] = {}
    for name, fs in nodes.items():
        f = f"facts.{name}"
        spec = FactSpec(str(name), fs["type"], why=str(fs.get("why", "")).strip(),
                        empty_note=str(fs.get("empty", "")).strip())
        if "parameter" in fs:
            if fs["parameter"] not in parameters:
                ctx.fail(f + ".parameter", f"unknown parameter {fs['parameter']!r}",
                         suggestion_hint(str(fs["parameter"]), parameters, "parameters"))
            spec.parameter = fs["parameter"]
        elif spec.type == "bool":
            if "when" not in fs:
                ctx.fail(f + ".when", "a bool fact needs a 'when' condition")
            spec.when = _condition(ctx, fs["when"], f + ".when", indicators, thresholds, facts)
        elif spec.type == "list":
            members = ctx.mapping(fs.get("members"), f + ".members")
            for value, m in members.items():
                g = f"{f}.members.{value}"
                spec.members[str(value)] = _condition(ctx, m["when"], g + ".when", indicators, thresholds, facts)
                spec.member_why[str(value)] = str(m.get("why", "")).strip()
        else:
            ctx.fail(f + ".type", f"fact type must be 'bool' or 'list' (or give 'parameter'), not {spec.type!r}")
        facts[str(name)] = spec
    return facts


def _context(ctx: _Ctx, nodes: dict, indicators: dict, thresholds: dict) -> dict[str, ContextSpec]:
    context: dict[str, ContextSpec] = {}
    for name, cs in nodes.items():
        f = f"context.{name}"
        if cs["indicator"] not in indicators:
            ctx.fail(f + ".indicator", f"unknown indicator {cs['indicator']!r}",
                     suggestion_hint(str(cs["indicator"]), indicators, "indicators"))
        for i, band in enumerate(cs["bands"] or []):
            if band["gte"] not in thresholds:
                ctx.fail(f"{f}.bands[{i}].gte", f"unknown threshold {band['gte']!r}",
                         suggestion_hint(str(band["gte"]), thresholds, "thresholds"))
        bands = [(band["gte"], str(band["label"])) for band in cs["bands"] or []]
        context[str(name)] = ContextSpec(str(name), cs["indicator"], bands, str(cs["otherwise"]))
    return context


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
