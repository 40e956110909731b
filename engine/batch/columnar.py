"""The columnar batch path: the row path's CSV tables (inputs.py, profiles.py, tables.py,
outputs.py), built column-wise and written in chunks.

- **Reading.** The primary input's rows are split as they are read (``readers.open_raw``) and
  each column the mapping reads is kept as int32 codes of its distinct cells; each distinct
  cell is parsed once, by ``parse_value``. Row-level checks (keys, duplicates, skip rules)
  are the row path's own (``_InputRows``); secondary inputs are read by the row path.
- **Mapping.** Conditions are evaluated over numpy arrays in three-valued logic (1 true,
  0 false, -1 unknown), one chunk of units at a time (``MCOF_BATCH_CHUNK``, engine/limits.py),
  and their evidence texts assembled as object arrays from the same pieces as the row
  path's (``group_parts``, ``member_suffix``, ``comparison_tail``, ...).
- **Assessing.** Units with the same facts share one profile: each distinct profile is
  validated and assessed once (``assess_many``), its long and summary cells built once by
  the row path's own ``_long_row`` and ``_summary_row``.
- **Writing.** The long and summary tables are written chunk by chunk into staged files;
  the errors tables and the provenance at the end; all are moved into place together.

Memory holds the codes (4 bytes per cell read), the units' keys and names, and one chunk's
texts and rows. The files written are byte-identical to the row path's
(tests/batch/test_columnar.py), which stays for XLSX and JSON outputs, the batch report,
``--explain`` and the Python API.
"""
from __future__ import annotations

import contextlib
import csv
import gc
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .. import limits
from ..errors import McofError
from ..outputfile import OutputWriteError, StagedFile, commit, discard, stage
from ..profile import normalize_profile
from ..ruleset import Ruleset
from .errors import OutputError, RowError
from .inputs import (Cell, InputFile, _assign_inputs, _check_something_is_read, _InputRows, _layout,
                     _layout_warnings, _Layout, _mark_unprofiled, _path_list, _ticker, input_cells, parse_value,
                     unreadable_rows)
from .mapping import COMPARATORS, FactSpec, Mapping, fmt
from .outcome import BatchOutcome, assess_many, best_levels
from .outputs import _csv_bytes, _flat, _provenance_bytes, csv_safe, hxl_tags, json_text, output_paths
from .profiles import (CountryProfile, Evidence, _label, _parameter_fact, bool_suffix, comparison_tail,
                       empty_list_text, flag_shown, group_parts, member_suffix, unknown_list_text)
from .readers import RawTable, open_raw
from .tables import (ERROR_COLUMNS, ERROR_SUMMARY_COLUMNS, LONG_COLUMNS, _first_seen, _long_row,
                     _no_recommendation_row, _summary_row, build_error_rows, build_error_summary, evidence_shown,
                     keyed, ordered_recommendations, recommendation_facts)

TRUE, FALSE, UNKNOWN = 1, 0, -1
_STATE = {TRUE: True, FALSE: False, UNKNOWN: None}
_STATES = (TRUE, FALSE, UNKNOWN)                                    # the order of ...
_STATUS = np.array(["true", "false", "unknown"], dtype=object)     # ... their Evidence.status
OK, MISSING, BAD = 0, 1, 2
_CODE = {"ok": OK, "missing": MISSING, "bad": BAD}


@contextlib.contextmanager
def collector_paused():
    """Python's cycle collector off for the run, back as it was after: the units' keys and
    codes are millions of objects that live to the end, and each full collection walks them
    all (1,000,000 units: 98 s with it, 55 s without). The path makes no reference cycles;
    any made meanwhile are collected once it is back on."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def supports(mapping: Mapping) -> str | None:
    """Why the columnar path cannot run this mapping (the row path then does), or None."""
    if mapping.primary.shape != "wide":
        return "its primary input is a long table"
    for spec in mapping.facts.values():
        for cond in ([spec.when] if spec.when else []) + list(spec.members.values()):
            problem = _unsupported(cond, mapping)
            if problem:
                return problem
    return None


def _unsupported(cond: dict, mapping: Mapping) -> str | None:
    if "any" in cond or "all" in cond:
        return next(filter(None, (_unsupported(c, mapping) for c in cond.get("any", cond.get("all")))), None)
    if cond.get("op") == "equals" and "indicator" in cond and mapping.indicators[cond["indicator"]].type != "text":
        return f"'equals' on the {mapping.indicators[cond['indicator']].type} indicator {cond['indicator']!r}"
    if "fact" in cond and cond["op"] == "is" and mapping.facts[cond["fact"]].type == "list" \
            and not mapping.facts[cond["fact"]].parameter:
        return f"'is' on the list fact {cond['fact']!r}"
    return None


# ------------------------------------------------------------------------------ reading

class _Coder:
    """A column's cells as int32 codes of its distinct values, added a chunk at a time."""

    def __init__(self):
        self.index: dict = {}
        self.values: list = []
        self.parts: list[np.ndarray] = []

    def _code(self, value) -> int:
        # 1.0, 1 and True are equal as keys: only text is keyed by itself (an .xlsx cell is not)
        key = value if type(value) is str else (type(value), value)
        code = self.index.get(key)
        if code is None:
            code = self.index[key] = len(self.values)
            self.values.append(value)
        return code

    def add(self, cells: list) -> None:
        if all(type(c) is str for c in cells):
            codes, uniques = pd.factorize(np.asarray(cells, dtype=object))
            remap = np.fromiter((self._code(u) for u in uniques), dtype=np.int32, count=len(uniques))
            self.parts.append(remap[codes] if len(codes) else np.empty(0, np.int32))
        else:
            self.parts.append(np.fromiter((self._code(c) for c in cells), dtype=np.int32, count=len(cells)))

    def codes(self) -> np.ndarray:
        return np.concatenate(self.parts) if self.parts else np.empty(0, np.int32)


@dataclass
class _ColumnRows(_InputRows):
    """The primary input's rows kept as codes: the row path's checks on each row's key, and
    per column read the kept rows' cells, coded a chunk at a time."""

    def __post_init__(self):
        super().__post_init__()
        self.needed = sorted({i for name in self.spec.indicators
                              for i in _indexes(self.columns.get(name))})
        self.coders = {i: _Coder() for i in self.needed}
        self.chunk = limits.BATCH_CHUNK.value()
        self.pending: list[list] = []
        self.kept_rows: list[int] = []     # each unit's row number
        self.error_at: list[int] = []      # len(errors) when each unit was kept: where its cell errors go
        self.rows_seen = 0

    def keep(self, rownum: int, r: list, key: str, year: int | None) -> None:
        self.kept_rows.append(rownum)
        self.error_at.append(len(self.errors))
        self.pending.append(r)
        if len(self.pending) >= self.chunk:
            self.flush()
        return None

    def flush(self) -> None:
        """Code the rows kept since the last flush."""
        for i, coder in self.coders.items():
            coder.add([r[i] for r in self.pending])
        self.pending = []


def _indexes(idx) -> tuple[int, ...]:
    return () if idx is None else idx if isinstance(idx, tuple) else (idx,)


@dataclass
class _Parsed:
    """One indicator's reading of a column's distinct cells (parse_value on each), and the
    pieces of their evidence texts."""
    status: np.ndarray       # OK | MISSING | BAD per distinct cell
    value: np.ndarray        # float64 (number indicators) or object
    shown: np.ndarray        # how the evidence shows a known value
    missing_raw: np.ndarray  # how it shows a missing one ("blank", or the cell quoted)
    bad_raw: np.ndarray      # how it shows a bad one
    reason: list[str]
    cells: list


def _parse_column(ind, cells: list, mapping: Mapping) -> _Parsed:
    parsed = [parse_value(ind, c, mapping) for c in cells]
    number = ind.type == "number"
    value = np.array([v if s == "ok" else (np.nan if number else None) for s, v, _ in parsed],
                     dtype=np.float64 if number else object)
    if ind.type == "number":
        shown = [fmt(v) if s == "ok" else None for s, v, _ in parsed]
    elif ind.type == "flag":
        shown = [flag_shown(c) for c in cells]
    else:
        shown = [repr(v) for _, v, _ in parsed]
    return _Parsed(np.array([_CODE[s] for s, _, _ in parsed], dtype=np.int8), value, np.array(shown, dtype=object),
                   np.array(["blank" if c is None or str(c).strip() == "" else repr(str(c)) for c in cells],
                            dtype=object),
                   np.array([repr(str(c)) for c in cells], dtype=object), [r for _, _, r in parsed], cells)


@dataclass
class ColumnTable:
    """The inputs read for the columnar path: the units (the primary input's, in its order),
    the primary input's columns as codes, the secondary inputs' cells, every row error."""
    mapping: Mapping
    keys: list[str]
    names: list[str]
    rows: np.ndarray                         # each unit's row in the primary input
    codes: dict[int, np.ndarray]             # column index -> each unit's code
    parsed: dict[tuple[str, int], _Parsed]   # (indicator, column index) -> its distinct cells read
    primary: _Layout
    primary_raw: RawTable
    per_input: dict[str, dict[str, dict[str, Cell]]]
    assigned: dict[str, RawTable]
    errors: list[RowError]
    files: list[InputFile]

    def __len__(self) -> int:
        return len(self.keys)


def read_columns(paths, mapping: Mapping, encoding: str | None = None,
                 progress: Callable[[int, int], None] | None = None) -> ColumnTable:
    """The inputs of ``mapping``, read as ``read_inputs`` reads them (the same checks, the same
    row errors in the same order), the primary input column-wise."""
    return columns_of([open_raw(p, encoding) for p in _path_list(paths)], mapping, progress)


def columns_of(raws: list[RawTable], mapping: Mapping,
               progress: Callable[[int, int], None] | None = None) -> ColumnTable:
    """``read_columns`` on tables already opened (a file's, or a partition's: partition.py)."""
    assigned = _assign_inputs(raws, mapping)
    layouts = {sid: _layout(sid, raw, mapping) for sid, raw in assigned.items()}
    _check_something_is_read(layouts, assigned, mapping)
    errors: list[RowError] = []
    names: dict[str, str] = {}
    order: list[str] = []
    seen_rows: dict[str, dict[str, int]] = {}
    per_input: dict[str, dict[str, dict[str, Cell]]] = {}
    files: list[InputFile] = []
    tick = _ticker(progress, 0)   # the rows are counted as they are split: no total
    for sid, raw in assigned.items():
        layout = layouts[sid]
        errors.extend(_layout_warnings(layout, raw, mapping))
        if mapping.inputs[sid].primary:
            primary = reader = _ColumnRows(layout, raw, mapping, [])
            per_input[sid] = reader.read(_counting(tick, reader), names, order, seen_rows.setdefault(sid, {}))
            reader.flush()
            errors.extend(raw.errors)   # the file's warnings and broken rows come first, as in the row path
            codes = {i: coder.codes() for i, coder in reader.coders.items()}
            parsed = {(name, i): _parse_column(ind, reader.coders[i].values, mapping)
                      for name, ind in layout.spec.indicators.items() for i in _indexes(layout.columns.get(name))}
            errors.extend(_with_cell_errors(reader, order, codes, parsed))
            count = reader.rows_seen
        else:
            raw.rows = list(raw.rows)
            errors.extend(raw.errors)
            reader = _InputRows(layout, raw, mapping, errors)
            per_input[sid] = reader.read(tick, names, order, seen_rows.setdefault(sid, {}))
            count = len(raw.rows)
        files.append(InputFile(raw.path, sid, raw.kind, raw.encoding, raw.tags is not None, count,
                               layout.vintage, reader.key_label, reader._header("name"), unreadable_rows(raw)))
    _mark_unprofiled(errors, seen_rows, set(order), assigned, layouts, mapping)
    return ColumnTable(mapping, order, [names[k] for k in order], np.asarray(primary.kept_rows, dtype=np.int64),
                       codes, parsed, primary.layout, primary.raw, per_input, assigned, errors, files)


def _counting(tick: Callable[[], None], rows: _ColumnRows) -> Callable[[], None]:
    def counted() -> None:
        rows.rows_seen += 1
        tick()
    return counted


def _with_cell_errors(rows: _ColumnRows, keys: list[str], codes: dict[int, np.ndarray],
                      parsed: dict[tuple[str, int], _Parsed]) -> list[RowError]:
    """The primary input's row errors with each bad cell's error where the row path reports
    it: after its row's key errors, in indicator (and part) order."""
    found = []
    for k, (name, ind) in enumerate(rows.spec.indicators.items()):
        for part, i in enumerate(_indexes(rows.columns.get(name))):
            p = parsed[(name, i)]
            col = rows.raw.headers[i] or ind.column.label
            for unit in np.flatnonzero(p.status[codes[i]] == BAD):
                code = codes[i][unit]
                key = keys[unit]
                found.append(((unit, k, part), RowError(rows.raw.path, int(rows.kept_rows[unit]), col, p.cells[code],
                                                        f"{p.reason[code]}; {name} treated as unknown for {key}",
                                                        "error", key)))
    found.sort(key=lambda item: item[0])
    merged, n = [], 0
    for position, error in enumerate(rows.errors):
        while n < len(found) and rows.error_at[found[n][0][0]] <= position:
            merged.append(found[n][1])
            n += 1
        merged.append(error)
    merged.extend(e for _, e in found[n:])
    return merged


# ------------------------------------------------------------------------------- values

@dataclass
class _Values:
    """One indicator for the units of a chunk: known, value, and the pieces of its evidence."""
    known: np.ndarray
    value: np.ndarray
    shown: np.ndarray         # the known value as the evidence shows it
    label: np.ndarray | str   # the column, as the evidence names it
    why: np.ndarray           # why a value is unknown (None where known)
    missing: np.ndarray | None = None   # where the cell is a missing value (not a bad one)


def _chunk_values(table: ColumnTable, units: slice) -> dict[str, _Values]:
    """Every indicator of the units of a chunk."""
    mapping = table.mapping
    n = units.stop - units.start
    values: dict[str, _Values] = {}
    rows = table.rows[units].astype(str).astype(object)
    where = f" at {Path(table.primary_raw.path).name} row "
    layout = table.primary
    for sid, spec in mapping.inputs.items():
        if sid not in table.per_input:   # not given: the same unknown cell for every unit
            for name, cell in input_cells("", sid, table.per_input, table.assigned, mapping).items():
                values[name] = _Values(np.zeros(n, bool), _empty(spec.indicators[name], n), np.full(n, None, object),
                                       _label(cell, mapping), np.full(n, cell.why_unknown(), dtype=object))
            continue
        if not spec.primary:
            cells = [input_cells(key, sid, table.per_input, table.assigned, mapping) for key in table.keys[units]]
            values.update({name: _cell_values([c[name] for c in cells], ind, mapping)
                           for name, ind in spec.indicators.items()})
            continue
        for name, ind in spec.indicators.items():
            idx = layout.columns.get(name)
            if idx is None:
                values[name] = _Values(np.zeros(n, bool), _empty(ind, n), np.full(n, None, object),
                                       ind.column.label, np.full(n, layout.absent[name], dtype=object))
                continue
            headers = [table.primary_raw.headers[i] or ind.column.label for i in _indexes(idx)]
            parts = [_column_values(table.parsed[(name, i)], table.codes[i][units], rows, where, header)
                     for i, header in zip(_indexes(idx), headers)]
            values[name] = _highest(parts, headers) if isinstance(idx, tuple) else parts[0]
    return values


def _empty(ind, n: int) -> np.ndarray:
    return np.full(n, np.nan) if ind.type == "number" else np.full(n, None, dtype=object)


def _column_values(p: _Parsed, codes: np.ndarray, rows: np.ndarray, where: str, label: str) -> _Values:
    """A column's cells for a chunk: ``rows`` their row numbers, ``where`` " at FILE row "."""
    status = p.status[codes]
    why = np.full(len(codes), None, dtype=object)
    missing, bad = status == MISSING, status == BAD
    if missing.any():
        why[missing] = "missing value " + p.missing_raw[codes[missing]] + where + rows[missing]
    if bad.any():
        why[bad] = "bad value " + p.bad_raw[codes[bad]] + where + rows[bad] + " (reported in the errors table)"
    return _Values(status == OK, p.value[codes], p.shown[codes], label, why, missing)


def _highest(parts: list[_Values], headers: list[str]) -> _Values:
    """A split indicator (``max_of``): the highest part, known when every part is; else
    unknown as its first unknown part is, naming its column (``_InputRows._highest``)."""
    known = np.logical_and.reduce([p.known for p in parts])
    stacked = np.vstack([p.value for p in parts])
    top = np.argmax(np.where(np.isnan(stacked), -np.inf, stacked), axis=0)
    cols = np.arange(len(known))
    value = np.where(known, stacked[top, cols], np.nan)
    shown = np.vstack([p.shown for p in parts])[top, cols]
    why = np.full(len(known), None, dtype=object)
    for k in reversed(range(len(parts))):   # the first unknown part, written last, wins
        why[~parts[k].known] = parts[k].why[~parts[k].known]
        why[parts[k].missing] = parts[k].why[parts[k].missing] + f"; in column {headers[k]!r}"
    return _Values(known, value, shown, f"max({', '.join(headers)})", why)


def _cell_values(cells: list[Cell], ind, mapping: Mapping) -> _Values:
    """A secondary input's indicator, from the row path's cells of each unit."""
    known = np.array([c.known for c in cells], dtype=bool)
    if ind.type == "number":
        value = np.array([c.value if c.known else np.nan for c in cells], dtype=np.float64)
        shown = [fmt(c.value) if c.known else None for c in cells]
    else:
        value = np.array([c.value if c.known else None for c in cells], dtype=object)
        shown = [flag_shown(c.raw) if ind.type == "flag" else repr(c.value) for c in cells]
    return _Values(known, value, np.array(shown, dtype=object), np.array([_label(c, mapping) for c in cells], dtype=object),
                   np.array([None if c.known else c.why_unknown() for c in cells], dtype=object))


# ---------------------------------------------------------------------------- evaluation

@dataclass
class _Res:
    state: np.ndarray   # int8: TRUE | FALSE | UNKNOWN
    text: np.ndarray    # object


def _at(label, mask: np.ndarray):
    return label[mask] if isinstance(label, np.ndarray) else label


def _eval(cond: dict, values: dict[str, _Values], facts: dict, mapping: Mapping, n: int) -> _Res:
    if "any" in cond or "all" in cond:
        return _eval_group(cond, values, facts, mapping, n)
    if "fact" in cond:
        return _eval_fact(cond, facts, n)
    return _eval_indicator(cond, values[cond["indicator"]], mapping, n)


def _eval_indicator(cond: dict, v: _Values, mapping: Mapping, n: int) -> _Res:
    op = cond["op"]
    known = v.known
    if op in COMPARATORS:
        t = mapping.thresholds[cond["threshold"]].value
        with np.errstate(invalid="ignore"):
            holds = {"gte": v.value >= t, "gt": v.value > t, "lte": v.value <= t, "lt": v.value < t}[op]
        tails = {True: comparison_tail(mapping, cond, True), False: comparison_tail(mapping, cond, False)}
        text_known = _at(v.label, known) + " " + v.shown[known] + np.where(holds[known], tails[True], tails[False]).astype(object)
    elif op == "is":
        holds = np.array([bool(x) is cond["value"] if k else False for x, k in zip(v.value, known)], dtype=bool)
        meaning = np.array([" (= yes)" if x else " (= no)" for x in v.value[known]], dtype=object)
        text_known = _at(v.label, known) + " " + v.shown[known] + meaning
    else:   # equals, on a text indicator
        holds = np.array([str(x) == cond["value"] if k else False for x, k in zip(v.value, known)], dtype=bool)
        sign = np.where(holds[known], " = ", " != ").astype(object)
        text_known = _at(v.label, known) + " " + v.shown[known] + sign + repr(cond["value"])
    state = np.where(known, np.where(holds, TRUE, FALSE), UNKNOWN).astype(np.int8)
    text = np.full(n, None, dtype=object)
    text[known] = text_known
    unknown = ~known
    if unknown.any():
        text[unknown] = _at(v.label, unknown) + " unknown (" + v.why[unknown] + ")"
    return _Res(state, text)


def _eval_group(cond: dict, values, facts, mapping: Mapping, n: int) -> _Res:
    """any/all: per distinct pattern of its parts' states, ``group_parts`` says which parts'
    texts explain it."""
    is_any = "any" in cond
    subs = [_eval(c, values, facts, mapping, n) for c in cond["any" if is_any else "all"]]
    states = np.vstack([s.state for s in subs])
    patterns, which = np.unique(states.T, axis=0, return_inverse=True)
    state = np.empty(n, np.int8)
    text = np.full(n, None, dtype=object)
    for k, pattern in enumerate(patterns):
        mask = which.reshape(-1) == k
        result, parts, joiner = group_parts(is_any, [_STATE[int(s)] for s in pattern])
        state[mask] = TRUE if result is True else FALSE if result is False else UNKNOWN
        joined = subs[parts[0]].text[mask]
        for i in parts[1:]:
            joined = joined + joiner + subs[i].text[mask]
        text[mask] = joined
    return _Res(state, text)


def _eval_fact(cond: dict, facts: dict, n: int) -> _Res:
    """A condition on a fact decided above it (``profiles._eval_fact``)."""
    f = cond["fact"]
    fact = facts[f]
    if fact.parameter is not None:   # the same for every unit
        v = fact.parameter
        if cond["op"] == "is":
            st, text = (v is cond["value"]) if isinstance(v, bool) else None, f"{f} = {fmt(v)}"
        else:
            st = cond["value"] in (v if isinstance(v, list) else [v])
            text = f"{f} {'includes' if st else 'does not include'} {cond['value']}"
        return _Res(np.full(n, TRUE if st is True else FALSE if st is False else UNKNOWN, np.int8),
                    np.full(n, text, dtype=object))
    known = fact.known
    if cond["op"] == "is":   # a yes/no fact
        holds = fact.state == (TRUE if cond["value"] else FALSE)
        texts = {TRUE: f"{f} = true", FALSE: f"{f} = false"}
        text_known = np.where(fact.state[known] == TRUE, texts[TRUE], texts[FALSE]).astype(object)
    else:
        holds = fact.members.get(cond["value"], np.zeros(n, bool)) if fact.members is not None else np.zeros(n, bool)
        text_known = np.where(holds[known], f"{f} includes {cond['value']}",
                              f"{f} does not include {cond['value']}").astype(object)
    state = np.where(known, np.where(holds, TRUE, FALSE), UNKNOWN).astype(np.int8)
    text = np.full(n, f"{f} unknown", dtype=object)
    text[known] = text_known
    return _Res(state, text)


@dataclass
class _Fact:
    """One fact for the units of a chunk."""
    spec: FactSpec
    known: np.ndarray | None = None
    state: np.ndarray | None = None               # yes/no facts
    members: dict[str, np.ndarray] | None = None   # list facts: member -> holds
    parameter: object = None                       # a parameter's value (the same for all)


@dataclass
class _Item:
    """One evidence item for the units of a chunk (``Evidence``): a fact's, or one member's."""
    fact: str
    kind: str
    text: np.ndarray | str
    status: np.ndarray | str       # per unit (a member's) or the same for all
    present: np.ndarray | None = None   # a list's closing item: where it is said


@dataclass
class _Chunk:
    """The facts of a chunk's units, their evidence items and context labels."""
    size: int
    facts: dict[str, _Fact]
    items: list[_Item]
    context: dict[str, np.ndarray]


def _evaluate(values: dict[str, _Values], mapping: Mapping, n: int) -> _Chunk:
    """Every fact, in mapping order, with its evidence items (``profiles._profile``)."""
    facts: dict[str, _Fact] = {}
    items: list[_Item] = []
    for spec in mapping.facts.values():
        f = spec.name
        if spec.parameter:
            value, found = _parameter_fact(spec, mapping)
            facts[f] = _Fact(spec, np.ones(n, bool), parameter=value)
            items.append(_Item(f, "parameter", found.text, found.status))
        elif spec.type == "list":
            members, unknown_any = {}, np.zeros(n, bool)
            for member, cond in spec.members.items():
                r = _eval(cond, values, facts, mapping, n)
                members[member] = r.state == TRUE
                unknown_any |= r.state == UNKNOWN
                items.append(_concluded(f, r, [member_suffix(f, member, _STATE[s]) for s in _STATES]))
            some = np.logical_or.reduce(list(members.values())) if members else np.zeros(n, bool)
            known = some | ~unknown_any
            facts[f] = _Fact(spec, known, members=members)
            items.append(_Item(f, "fact", empty_list_text(spec), "set", known & ~some))
            items.append(_Item(f, "fact", unknown_list_text(f), "unknown", ~known))
        else:
            r = _eval(spec.when, values, facts, mapping, n)
            facts[f] = _Fact(spec, r.state != UNKNOWN, state=r.state)
            items.append(_concluded(f, r, [bool_suffix(f, _STATE[s]) for s in _STATES]))
    return _Chunk(n, facts, items, {cs.name: _band(cs, values[cs.indicator], mapping) for cs in mapping.context.values()})


def _concluded(fact: str, r: _Res, suffixes: list[str]) -> _Item:
    """The evidence item of a condition: its text and what it concludes (``suffixes``, in
    the order of ``_STATES``), and its status."""
    pick = np.where(r.state == UNKNOWN, 2, 1 - r.state)   # TRUE -> 0, FALSE -> 1, UNKNOWN -> 2
    return _Item(fact, "fact", r.text + np.array(suffixes, dtype=object)[pick], _STATUS[pick])


def _band(cs, v: _Values, mapping: Mapping) -> np.ndarray:
    """A context label per unit (``profiles._band``): the first band reached, else
    ``otherwise``; "" where the indicator is unknown (as the summary writes None)."""
    out = np.full(len(v.known), "", dtype=object)
    out[v.known] = cs.otherwise
    decided = ~v.known
    for tname, band in cs.bands:
        with np.errstate(invalid="ignore"):
            reached = v.known & ~decided & (v.value >= mapping.thresholds[tname].value)
        out[reached] = band
        decided |= reached
    return out


# ------------------------------------------------------------------------ distinct profiles

def _signatures(chunk: _Chunk) -> np.ndarray:
    """Per unit, what its profile is made of: each yes/no fact's state, each list fact's
    known flag and members (a matrix, one row per unit)."""
    columns = []
    for fact in chunk.facts.values():
        if fact.state is not None:
            columns.append(fact.state)
        elif fact.members is not None:
            columns.append(fact.known.astype(np.int8))
            columns.extend(m.astype(np.int8) for m in fact.members.values())
    return np.vstack(columns).T if columns else np.zeros((chunk.size, 1), np.int8)


def _profile_of(signature: tuple, chunk_facts: dict[str, _Fact]) -> tuple[dict, list[str]]:
    """(facts, unknown facts) of a signature, as ``profiles._profile`` builds them."""
    facts: dict = {}
    unknown: list[str] = []
    k = 0
    for name, fact in chunk_facts.items():
        if fact.parameter is not None:
            facts[name] = list(fact.parameter) if isinstance(fact.parameter, list) else fact.parameter
        elif fact.state is not None:
            if signature[k] == UNKNOWN:
                unknown.append(name)
            else:
                facts[name] = bool(signature[k] == TRUE)
            k += 1
        else:
            known, held = signature[k], signature[k + 1:k + 1 + len(fact.members)]
            k += 1 + len(fact.members)
            if known:
                facts[name] = [m for m, h in zip(fact.members, held) if h]
            else:
                unknown.append(name)
    return facts, unknown


@dataclass
class _Group:
    """Every unit with one profile: its assessment's long and summary cells, once."""
    facts: dict
    unknown: list[str]
    assessment: dict | None = None
    reason: str | None = None            # why not assessed
    rejected: bool = False
    long_cells: list[list] = field(default_factory=list)     # per long row: its cells, key and name blank
    long_want: list[set[str]] = field(default_factory=list)  # per long row: the facts its evidence explains
    summary_columns: list[str] = field(default_factory=list)
    summary_cells: list = field(default_factory=list)
    best: dict[str, str] = field(default_factory=dict)


class _Assessor:
    """Distinct profiles, validated and assessed once each, with their output cells."""

    def __init__(self, ruleset: Ruleset, mapping: Mapping, sector_order: list[str]):
        self.ruleset, self.mapping, self.sector_order = ruleset, mapping, sector_order
        self.info = {s.slug: (s.number, s.name) for s in ruleset.sectors}
        self.groups: dict[tuple, _Group] = {}
        self.rejected: list[RowError] = []
        self.fact_order: list[str] | None = None
        self.context_order = list(mapping.context)

    def groups_of(self, chunk: _Chunk, keys: list[str]) -> tuple[list[_Group], list[str | None]]:
        """Each unit's group, assessing the profiles not seen before, and why each unit is
        not assessed (None: it is)."""
        patterns, which = np.unique(_signatures(chunk), axis=0, return_inverse=True)
        which = which.reshape(-1)
        if self.fact_order is None:   # the summary's fact columns: as the first unit has them
            facts, unknown = _profile_of(tuple(int(x) for x in patterns[which[0]]), chunk.facts)
            self.fact_order = _first_seen(["phase"], list(facts) + unknown)
        fresh: list[tuple[_Group, dict]] = []
        found = []
        for k, pattern in enumerate(patterns):
            signature = tuple(int(x) for x in pattern)
            group = self.groups.get(signature)
            if group is None:
                facts, unknown = _profile_of(signature, chunk.facts)
                group = self.groups[signature] = _Group(facts, unknown)
                first = keys[int(np.flatnonzero(which == k)[0])]
                validated = self._validate(group, first)
                if validated is not None:
                    fresh.append((group, validated))
            found.append(group)
        for (group, _), assessment in zip(fresh, assess_many(self.ruleset, [v for _, v in fresh])):
            group.assessment = assessment
        for group in found:
            if not group.summary_cells:
                self._cells(group)
        unit_groups = [found[k] for k in which]
        return unit_groups, [self._reject(group, key) if group.rejected else group.reason
                             for key, group in zip(keys, unit_groups)]

    def _validate(self, group: _Group, key: str) -> dict | None:
        if not group.facts.get("crisis_type"):
            group.reason = ("no crisis type above the mapping's thresholds" if group.facts.get("crisis_type") == []
                            else "crisis type unknown: the indicators that decide it are missing")
            return None
        try:
            return normalize_profile(self.ruleset, group.facts, origin=f"{self.mapping.units.noun} {key}")
        except McofError:
            group.rejected = True
            return None

    def _reject(self, group: _Group, key: str) -> str:
        """A profile the ruleset refuses: an error row per unit (its message names the unit)."""
        try:
            normalize_profile(self.ruleset, group.facts, origin=f"{self.mapping.units.noun} {key}")
        except McofError as error:
            self.rejected.append(RowError(file=str(self.mapping.path), row=None, column=None, value=None,
                                          reason=str(error), severity="error", iso3=key))
            return f"profile rejected: {error}"
        raise AssertionError("a profile rejected once is rejected for every unit")

    def _cells(self, group: _Group) -> None:
        """The group's long and summary cells, by the row path's own row builders."""
        units, ruleset_id = self.mapping.units, self.ruleset.id
        template = CountryProfile("", "", group.facts, [
            Evidence(f, [], "set", empty_list_text(self.mapping.facts[f]))
            for f, v in group.facts.items() if v == [] and self.mapping.facts[f].type == "list"], unknown=group.unknown)
        recs = ordered_recommendations(group.assessment, self.sector_order)
        columns = keyed(LONG_COLUMNS, units)
        if not recs:
            row = _no_recommendation_row(template, ruleset_id, units)
            group.long_cells.append([csv_safe(_flat(row[c])) for c in columns])
            group.long_want.append({f for f in group.facts if f != "phase"})
        for rec in recs:
            row = _long_row(template, rec, self.info, ruleset_id, units)
            group.long_cells.append([csv_safe(_flat(row[c])) for c in columns])
            used, behind = recommendation_facts(rec)
            group.long_want.append(set({**used, **behind}))
        summary = _summary_row(template, recs, self.fact_order, self.context_order, self.sector_order,
                               list(self.ruleset.levels), ruleset_id, units)
        group.summary_columns = list(summary)
        group.summary_cells = [csv_safe(_flat(summary[c])) for c in summary]
        group.best = best_levels(self.ruleset, group.assessment)


# ----------------------------------------------------------------------------- writing

def _evidence_lists(chunk: _Chunk) -> tuple[list[str], list[list], list[list]]:
    """Per item: its fact, its text per unit, and per unit whether a long row may show it."""
    n = chunk.size
    facts, texts, shown = [], [], []
    for item in chunk.items:
        fact = chunk.facts[item.fact]
        text = item.text if isinstance(item.text, np.ndarray) else np.full(n, item.text, dtype=object)
        status = item.status if isinstance(item.status, np.ndarray) else np.full(n, item.status, dtype=object)
        ok = np.zeros(n, bool)
        for value in set(status.tolist()):   # a few statuses: the predicate once per status and known
            for known in (False, True):
                where = (status == value) & (fact.known == known)
                ok[where] = evidence_shown(item.kind, value, known and fact.members is not None)
        if item.present is not None:
            ok &= item.present
        facts.append(item.fact)
        texts.append(text.tolist())
        shown.append(ok.tolist())
    return facts, texts, shown


@dataclass
class StreamedBatch(BatchOutcome):
    """A batch run by the columnar path: no unit kept in memory, only what the summary and
    the provenance count."""
    unit_count: int = 0
    not_assessed: Counter = field(default_factory=Counter)     # reason -> units
    sector_levels: Counter = field(default_factory=Counter)    # (sector, level) -> units

    def not_assessed_reasons(self) -> Counter:
        return self.not_assessed

    def counts(self) -> dict[tuple[str, str], int]:
        return dict(self.sector_levels)


def write_columnar(table: ColumnTable, ruleset: Ruleset, output: str | Path, provenance_of: Callable,
                   *, hxl: bool = False, progress: Callable[[str, int, int], None] | None = None) -> StreamedBatch:
    """Map, assess and write ``table`` to the CSV ``output`` in chunks of units;
    ``provenance_of(outcome)`` gives the provenance once everything is counted."""
    units = table.mapping.units
    path = Path(output)
    if path.suffix.lower() != ".csv":
        raise OutputError("the columnar batch path writes CSV outputs", file=str(path))
    targets = output_paths(path)
    sectors = set(ruleset.sector_slugs)
    staged: list[tuple[Path, Path]] = []
    try:
        long_file = StagedFile(targets["long"])
        staged.append((long_file.path, targets["long"]))
        summary_file = StagedFile(targets["summary"])
        staged.append((summary_file.path, targets["summary"]))
        with long_file as long_handle, summary_file as summary_handle:
            long_out = io.TextIOWrapper(long_handle, encoding="utf-8", newline="")
            summary_out = io.TextIOWrapper(summary_handle, encoding="utf-8", newline="")
            outcome = write_tables(table, ruleset, long_out, summary_out, hxl=hxl, progress=progress)
            long_out.flush()
            summary_out.flush()
            long_out.detach()
            summary_out.detach()
        outcome.provenance = provenance_of(outcome)
        for key, data in (("errors", _csv_bytes(outcome.error_rows, keyed(ERROR_COLUMNS, units),
                                                "errors" if hxl else None, sectors)),
                          ("errors_summary", _csv_bytes(build_error_summary(outcome.error_rows, units),
                                                        keyed(ERROR_SUMMARY_COLUMNS, units),
                                                        "errors_summary" if hxl else None, sectors)),
                          ("provenance", _provenance_bytes(outcome.provenance))):
            staged.append((stage(targets[key], lambda handle, data=data: handle.write(data)), targets[key]))
        outcome.written = commit(staged)
        return outcome
    except BaseException as error:
        discard(staged)
        if isinstance(error, OutputWriteError):
            raise OutputError(error.message, file=error.where or str(path), hint=error.hint or "") from None
        raise


def write_tables(table: ColumnTable, ruleset: Ruleset, long_out, summary_out, *, hxl: bool = False,
                 progress: Callable[[str, int, int], None] | None = None) -> StreamedBatch:
    """Map and assess ``table`` a chunk of units at a time, writing its long and summary
    tables as CSV text to ``long_out`` and ``summary_out``; the outcome counts them and holds
    the error rows (the provenance is the caller's)."""
    mapping, units = table.mapping, table.mapping.units
    sectors = ruleset.sector_slugs
    assessor = _Assessor(ruleset, mapping, list(sectors))
    outcome = StreamedBatch(ruleset, [], units, table.files, unit_count=len(table))
    chunk_size = limits.BATCH_CHUNK.value()
    row_errors = Counter(e.iso3 for e in table.errors if e.severity == "error" and e.iso3)
    long_writer = csv.writer(long_out, lineterminator="\n")
    summary_writer = csv.writer(summary_out, lineterminator="\n")
    _header(long_writer, keyed(LONG_COLUMNS, units), "long" if hxl else None, set(sectors))
    summary_header = False
    for start in range(0, len(table), chunk_size):
        chunk_units = slice(start, min(start + chunk_size, len(table)))
        keys = table.keys[chunk_units]
        chunk = _evaluate(_chunk_values(table, chunk_units), mapping, len(keys))
        groups, reasons = assessor.groups_of(chunk, keys)
        if not summary_header:
            _header(summary_writer, groups[0].summary_columns, "summary" if hxl else None, set(sectors))
            summary_header = True
        _write_chunk(long_writer, summary_writer, table, chunk, groups, reasons, chunk_units, row_errors,
                     outcome, assessor)
        if progress:
            progress("writing", chunk_units.stop, len(table))
    if not summary_header:   # no unit: no summary columns
        _header(summary_writer, [], "summary" if hxl else None, set(sectors))
    outcome.error_rows = build_error_rows(list(table.errors) + assessor.rejected, units)
    return outcome


def _header(writer, columns: list[str], hxl_table: str | None, sectors: set[str]) -> None:
    writer.writerow([csv_safe(c) for c in columns])
    if hxl_table is not None:
        writer.writerow(hxl_tags(hxl_table, columns, sectors))


def _cells_of() -> Callable:
    """A cell converter remembering the few distinct values it sees (context labels)."""
    seen: dict = {}

    def cell(v):
        if v not in seen:
            seen[v] = csv_safe(_flat(v))
        return seen[v]
    return cell


def _write_chunk(long_writer, summary_writer, table: ColumnTable, chunk: _Chunk, groups: list[_Group],
                 reasons: list[str | None], units: slice, row_errors: Counter, outcome: StreamedBatch,
                 assessor: _Assessor) -> None:
    """The long and summary rows of a chunk's units (their groups' cells, with what is the
    unit's own: key, name, evidence, context labels, row errors); what they count."""
    cell = _cells_of()
    item_facts, texts, shown = _evidence_lists(chunk)
    keys, names = table.keys[units], table.names[units]
    unit_key, unit_name = table.mapping.units.key, table.mapping.units.name
    long_columns, summary_columns = keyed(LONG_COLUMNS, table.mapping.units), groups[0].summary_columns
    long_key, long_name, evidence = (long_columns.index(c) for c in (unit_key, unit_name, "evidence"))
    summary_key, summary_name, errors_at = (summary_columns.index(c) for c in (unit_key, unit_name, "row_errors"))
    context = [(summary_columns.index(c), [cell(v) for v in chunk.context[c].tolist()]) for c in assessor.context_order]
    long_rows, summary_rows = [], []
    for u, (key, name, group, reason) in enumerate(zip(keys, names, groups, reasons)):
        key_cell, name_cell = csv_safe(_flat(key)), csv_safe(_flat(name))
        for cells, want in zip(group.long_cells, group.long_want):
            row = list(cells)
            row[long_key], row[long_name] = key_cell, name_cell
            row[evidence] = json_text([texts[i][u] for i, f in enumerate(item_facts) if f in want and shown[i][u]])
            long_rows.append(row)
        row = list(group.summary_cells)
        row[summary_key], row[summary_name] = key_cell, name_cell
        for at, labels in context:
            row[at] = labels[u]
        row[errors_at] = row_errors.get(key, 0)
        summary_rows.append(row)
        if reason is not None:
            outcome.not_assessed[reason] += 1
        for sector, level in group.best.items():
            outcome.sector_levels[(sector, level)] += 1
    long_writer.writerows(long_rows)
    summary_writer.writerows(summary_rows)
