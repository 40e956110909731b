"""build_profiles: indicator values -> crisis profiles, with the evidence for every fact.

Three-valued logic: a missing indicator makes a condition unknown, never false; a fact whose
condition is unknown is left out of the profile (unknown) and its evidence says why.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .errors import RowError
from .inputs import Cell, InputTable, Progress
from .mapping import COMPARATORS, COUNTRIES, ID_UNITS, NEGATED, Mapping, fmt


@dataclass
class Evidence:
    """Why one fact (or one member of a list fact) has the value it has."""
    fact: str
    value: Any            # the member (list facts) or the fact's value; None when unknown
    status: str           # true | false | unknown | set
    text: str             # e.g. "Drought 7.9 >= 5.0 (threshold drought, policy choice) -> crisis_type includes slow_onset_natural"
    inputs: list[dict] = field(default_factory=list)   # the indicator values read, with provenance
    kind: str = "fact"    # fact | parameter | context

    def to_dict(self) -> dict:
        return {"fact": self.fact, "value": self.value, "status": self.status, "text": self.text,
                "inputs": self.inputs, "kind": self.kind}


@dataclass
class CountryProfile:
    """One unit's profile. ``iso3`` is the unit's key: its ISO3 code, or with units that are
    not countries its id (the outputs then call it ``unit_id``)."""
    iso3: str
    name: str
    facts: dict                                  # the crisis profile (known facts only)
    evidence: list[Evidence]
    row_errors: list[RowError] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)      # facts left out as unknown
    partial: dict = field(default_factory=dict)            # list fact -> members whose membership is unknown
    context: dict = field(default_factory=dict)            # e.g. inform_risk_class (not profile facts)
    notes: list[str] = field(default_factory=list)

    @property
    def assessable(self) -> bool:
        """False when crisis_type is empty or unknown: the engine needs a crisis type, so
        the caller passes ``None`` as this country's assessment and the long table says
        why ("no crisis type above threshold")."""
        return bool(self.facts.get("crisis_type"))

    def evidence_for(self, fact: str) -> list[Evidence]:
        return [e for e in self.evidence if e.fact == fact]

    def explanation(self, facts=None) -> list[str]:
        """Evidence texts, for the given facts (all when None), in mapping order."""
        want = None if facts is None else set(facts)
        return [e.text for e in self.evidence if want is None or e.fact in want]

    def to_dict(self) -> dict:
        return {"iso3": self.iso3, "name": self.name, "facts": self.facts,
                "unknown": self.unknown, "partial": self.partial, "context": self.context,
                "evidence": [e.to_dict() for e in self.evidence],
                "row_errors": [r.to_dict() for r in self.row_errors], "notes": self.notes}


# ----------------------------------------------------------------------- condition evaluation

@dataclass
class _Res:
    state: bool | None
    text: str
    inputs: list[dict]


def _label(cell: Cell, mapping: Mapping) -> str:
    ind = mapping.indicators[cell.indicator]
    label = cell.column or ind.column.label
    if cell.year is not None and mapping.inputs[ind.input].shape == "long":
        label += f" ({cell.year})"
    return label


def _input_record(cell: Cell, mapping: Mapping, **extra) -> dict:
    d = {"indicator": cell.indicator, "column": cell.column or mapping.indicators[cell.indicator].column.label,
         "value": cell.value if cell.known else None, "raw": None if cell.raw is None else str(cell.raw),
         "status": cell.status, "file": cell.file, "row": cell.row, "year": cell.year}
    d.update(extra)
    return d


def _basis(item) -> str:
    """Why a threshold or a parameter has its value: the user's override, or the mapping's
    basis for it (a policy choice, or a source)."""
    if item.overridden:
        return f"overridden; mapping default {fmt(item.default)}"
    return "policy choice" if item.basis == "policy_choice" else "source: " + item.source


def _thr_text(mapping: Mapping, name: str) -> str:
    return f"threshold {name}, {_basis(mapping.thresholds[name])}"


def comparison_tail(mapping: Mapping, cond: dict, state: bool) -> str:
    """What follows the value in a comparison's evidence: " >= 5.0 (threshold drought, ...)"."""
    t = mapping.thresholds[cond["threshold"]]
    sym = COMPARATORS[cond["op"]] if state else NEGATED[cond["op"]]
    return f" {sym} {fmt(t.value)} ({_thr_text(mapping, t.name)})"


def flag_shown(raw) -> str:
    """A yes/no cell as its evidence shows it: ``blank``, or the cell as written."""
    return "blank" if raw is None or str(raw).strip() == "" else repr(str(raw).strip())


def _eval(cond: dict, cells: dict[str, Cell], mapping: Mapping, facts: dict, unknown: set) -> _Res:
    if "any" in cond or "all" in cond:
        return _eval_group(cond, cells, mapping, facts, unknown)
    if "fact" in cond:
        return _eval_fact(cond, facts, unknown)
    return _eval_indicator(cond, cells, mapping)


def group_parts(is_any: bool, states: list[bool | None]) -> tuple[bool | None, list[int], str]:
    """An any/all of parts in three-valued logic: (its state, the parts whose texts explain
    it, in order, and the word joining them).  ``any`` is true if a part is (those parts,
    "or"), false if all are ("and"), else unknown (the unknown parts, then the false ones);
    ``all`` likewise."""
    trues = [i for i, s in enumerate(states) if s is True]
    falses = [i for i, s in enumerate(states) if s is False]
    unks = [i for i, s in enumerate(states) if s is None]
    if is_any:
        if trues:
            return True, trues, " or "
        return (False, falses, " and ") if not unks else (None, unks + falses, " and ")
    if falses:
        return False, falses, " and "
    return (True, trues, " and ") if not unks else (None, unks + trues, " and ")


def _eval_group(cond: dict, cells: dict[str, Cell], mapping: Mapping, facts: dict, unknown: set) -> _Res:
    """any/all in three-valued logic; the text names the parts that decided the result."""
    is_any = "any" in cond
    subs = [_eval(c, cells, mapping, facts, unknown) for c in cond["any" if is_any else "all"]]
    state, parts, joiner = group_parts(is_any, [s.state for s in subs])
    return _Res(state, joiner.join(subs[i].text for i in parts), [i for s in subs for i in s.inputs])


def _eval_fact(cond: dict, facts: dict, unknown: set) -> _Res:
    """A condition on a fact decided earlier in the mapping (no indicator read here)."""
    f = cond["fact"]
    if f in unknown or f not in facts:
        return _Res(None, f"{f} unknown", [])
    v = facts[f]
    if cond["op"] == "is":
        st = (v is cond["value"]) if isinstance(v, bool) else None
        return _Res(st, f"{f} = {fmt(v)}", [])
    st = cond["value"] in (v if isinstance(v, list) else [v])
    return _Res(st, f"{f} {'includes' if st else 'does not include'} {cond['value']}", [])


def _eval_indicator(cond: dict, cells: dict[str, Cell], mapping: Mapping) -> _Res:
    """A condition on one indicator value; unknown when the value is, with the reason."""
    cell = cells.get(cond["indicator"])
    if cell is None:
        cell = Cell(cond["indicator"], "no_input", note="indicator not in the table")
    label = _label(cell, mapping)
    op = cond["op"]
    if not cell.known:
        extra = {}
        if op in COMPARATORS:
            extra = {"threshold": cond["threshold"], "threshold_value": mapping.thresholds[cond["threshold"]].value}
        return _Res(None, f"{label} unknown ({cell.why_unknown()})", [_input_record(cell, mapping, **extra)])
    v = cell.value
    if op in COMPARATORS:
        t = mapping.thresholds[cond["threshold"]]
        st = {"gte": v >= t.value, "gt": v > t.value, "lte": v <= t.value, "lt": v < t.value}[op]
        text = f"{label} {fmt(v)}{comparison_tail(mapping, cond, st)}"
        return _Res(st, text, [_input_record(cell, mapping, threshold=t.name, threshold_value=t.value)])
    if op == "is":
        st = v is cond["value"]
        text = f"{label} {flag_shown(cell.raw)} (= {'yes' if v else 'no'})"
        return _Res(st, text, [_input_record(cell, mapping)])
    if op == "equals":
        st = str(v) == cond["value"]
        return _Res(st, f"{label} {v!r} {'=' if st else '!='} {cond['value']!r}", [_input_record(cell, mapping)])
    raise AssertionError(op)


# --------------------------------------------------------------------------------- building

def _key_column(frame: pd.DataFrame) -> str:
    """A frame's key column: ``iso3`` (countries) or ``unit_id`` (units keyed by an id)."""
    for key in (COUNTRIES.key, ID_UNITS.key):
        if key in frame.columns:
            return key
    raise ValueError(f"the frame needs an {COUNTRIES.key!r} or a {ID_UNITS.key!r} column")


def _cells_from_frame(frame: pd.DataFrame, mapping: Mapping) -> dict[str, dict[str, Cell]]:
    out = {}
    key = _key_column(frame)
    for _, row in frame.iterrows():
        iso3 = str(row[key])
        cells = {}
        for ind in mapping.indicators:
            v = row.get(ind) if ind in row.index else None
            if v is None or (isinstance(v, float) and pd.isna(v)):
                cells[ind] = Cell(ind, "missing" if ind in row.index else "no_input",
                                  note="" if ind in row.index else "column not in the table")
            else:
                cells[ind] = Cell(ind, "ok", float(v) if mapping.indicators[ind].type == "number" else v,
                                  v, column=mapping.indicators[ind].column.label)
        out[iso3] = cells
    return out


def build_profiles(table, mapping: Mapping, progress: Progress | None = None) -> list[CountryProfile]:
    """One :class:`CountryProfile` per country of ``table`` (an :class:`InputTable` from
    :func:`read_inputs`, or a DataFrame with ``iso3`` (or ``unit_id``), ``name`` and indicator
    columns)."""
    if isinstance(table, InputTable):
        cells_by = table.cells
        names = table.names
        errors = table.errors
    elif isinstance(table, tuple) and len(table) == 2 and isinstance(table[0], pd.DataFrame):
        frame, errors = table
        cells_by = _cells_from_frame(frame, mapping)
        names = dict(zip(frame[_key_column(frame)].astype(str), frame["name"].astype(str)))
    elif isinstance(table, pd.DataFrame):
        cells_by = _cells_from_frame(table, mapping)
        names = dict(zip(table[_key_column(table)].astype(str), table["name"].astype(str)))
        errors = []
    else:
        raise TypeError("build_profiles needs an InputTable (from read_inputs) or a DataFrame")
    errs_by: dict[str, list[RowError]] = {}
    for e in errors:
        if e.iso3:
            errs_by.setdefault(e.iso3, []).append(e)

    profiles = []
    total = len(cells_by)
    for n, (iso3, cells) in enumerate(cells_by.items(), 1):
        profiles.append(_profile(iso3, names.get(iso3, iso3), cells, mapping, errs_by.get(iso3, [])))
        if progress and (n % 25 == 0 or n == total):
            progress(n, total)
    return profiles


_STATUS = {True: "true", False: "false", None: "unknown"}   # Evidence.status of a condition's state


def _profile(iso3: str, name: str, cells: dict[str, Cell], mapping: Mapping,
             row_errors: list[RowError]) -> CountryProfile:
    facts: dict = {}
    unknown: set = set()
    evidence: list[Evidence] = []
    partial: dict = {}
    # In mapping order: a fact's condition may read the facts decided before it.
    for spec in mapping.facts.values():
        if spec.parameter:
            facts[spec.name], found = _parameter_fact(spec, mapping)
            evidence.append(found)
        elif spec.type == "list":
            members, unknown_members, found = _list_fact(spec, cells, mapping, facts, unknown)
            evidence.extend(found)
            if unknown_members:
                partial[spec.name] = unknown_members
            if members is None:
                unknown.add(spec.name)
            else:
                facts[spec.name] = members
        else:
            state, found = _condition_fact(spec, cells, mapping, facts, unknown)
            evidence.append(found)
            if state is None:
                unknown.add(spec.name)
            else:
                facts[spec.name] = state
    context = {}
    for cs in mapping.context.values():
        context[cs.name], found = _context_value(cs, cells, mapping)
        evidence.append(found)
    return CountryProfile(iso3, name, facts, evidence, list(row_errors),
                          [f for f in mapping.facts if f in unknown], partial, context)


def _parameter_fact(spec, mapping: Mapping) -> tuple[Any, Evidence]:
    """A fact the mapping sets outright (e.g. the phase): its value and why."""
    f = spec.name
    p = mapping.parameters[spec.parameter]
    value = list(p.value) if isinstance(p.value, list) else p.value
    return value, Evidence(f, value, "set",
                           f"mapping parameter {p.name} = {fmt(value)} ({_basis(p)}) -> {f} = {fmt(value)}",
                           kind="parameter")


def _list_fact(spec, cells: dict[str, Cell], mapping: Mapping, facts: dict,
               unknown: set) -> tuple[list | None, list, list[Evidence]]:
    """(members, members whose membership is unknown, evidence) of a list fact; members is
    None when the fact is unknown: no member holds and at least one is unknown."""
    f = spec.name
    members, unknown_members, evidence = [], [], []
    for value, cond in spec.members.items():
        r = _eval(cond, cells, mapping, facts, unknown)
        if r.state is True:
            members.append(value)
        elif r.state is None:
            unknown_members.append(value)
        evidence.append(Evidence(f, value, _STATUS[r.state], r.text + member_suffix(f, value, r.state), r.inputs))
    if members or not unknown_members:
        if not members:
            evidence.append(Evidence(f, [], "set", empty_list_text(spec)))
        return members, unknown_members, evidence
    evidence.append(Evidence(f, None, "unknown", unknown_list_text(f)))
    return None, unknown_members, evidence


def member_suffix(fact: str, member: str, state: bool | None) -> str:
    """What a list fact's member concludes from its condition's state."""
    if state is True:
        return f" -> {fact} includes {member}"
    if state is False:
        return f" -> {fact} does not include {member}"
    return f" -> whether {fact} includes {member} is unknown"


def empty_list_text(spec) -> str:
    """The evidence of a list fact no member of which holds (all false)."""
    note = spec.empty_note or f"no {spec.name} condition holds"
    return f"{note} -> {spec.name} = [] (empty)"


def unknown_list_text(fact: str) -> str:
    """The evidence of a list fact no member of which holds, some unknown."""
    return f"every {fact} member is unknown or false -> {fact} unknown (left out of the profile)"


def bool_suffix(fact: str, state: bool | None) -> str:
    """What a yes/no fact concludes from its condition's state."""
    return f" -> {fact} unknown (left out of the profile)" if state is None else f" -> {fact} = {fmt(state)}"


def _condition_fact(spec, cells: dict[str, Cell], mapping: Mapping, facts: dict,
                    unknown: set) -> tuple[bool | None, Evidence]:
    """A yes/no fact decided by its ``when`` condition; None when that is unknown."""
    f = spec.name
    r = _eval(spec.when, cells, mapping, facts, unknown)
    return r.state, Evidence(f, r.state, _STATUS[r.state], r.text + bool_suffix(f, r.state), r.inputs)


def fact_evidence(spec, cells: dict[str, Cell], mapping: Mapping, facts: dict, unknown: set) -> list[Evidence]:
    """The evidence `build_profiles` records for one fact, given the facts decided before it
    (a threshold sweep asks for it only where a level flips)."""
    if spec.parameter:
        return [_parameter_fact(spec, mapping)[1]]
    if spec.type == "list":
        return _list_fact(spec, cells, mapping, facts, unknown)[2]
    return [_condition_fact(spec, cells, mapping, facts, unknown)[1]]


def _context_value(cs, cells: dict[str, Cell], mapping: Mapping) -> tuple[str | None, Evidence]:
    """A context label (not a profile fact, e.g. the INFORM risk class): the first band whose
    threshold the indicator reaches, else ``otherwise``; None when the indicator is unknown."""
    cell = cells.get(cs.indicator)
    if cell is None or not cell.known:
        why = cell.why_unknown() if cell else "not in the table"
        return None, Evidence(cs.name, None, "unknown",
                              f"{_label(cell, mapping) if cell else cs.indicator} unknown ({why}) -> {cs.name} unknown",
                              [_input_record(cell, mapping)] if cell else [], kind="context")
    label, text = _band(cs, cell, mapping)
    return label, Evidence(cs.name, label, "set", text, [_input_record(cell, mapping)], kind="context")


def _band(cs, cell: Cell, mapping: Mapping) -> tuple[str, str]:
    """(label, evidence text) of a known context indicator."""
    shown = f"{_label(cell, mapping)} {fmt(cell.value)}"
    for tname, band in cs.bands:
        t = mapping.thresholds[tname]
        if cell.value >= t.value:
            return band, f"{shown} >= {fmt(t.value)} ({_thr_text(mapping, tname)}) -> {cs.name} = {band}"
    last = mapping.thresholds[cs.bands[-1][0]] if cs.bands else None
    below = f" < {fmt(last.value)} ({_thr_text(mapping, last.name)})" if last else ""
    return cs.otherwise, f"{shown}{below} -> {cs.name} = {cs.otherwise}"
