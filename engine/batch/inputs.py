"""read_inputs: read the input files of a mapping, validate them, join them on their key
(ISO3 codes, or the id column of units that are not countries)."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd

from .countries import resolve
from .errors import InputError, RowError, suggestion_hint
from .mapping import COUNTRIES, ColumnSpec, Indicator, InputSpec, Mapping, Units, Vintage, fmt
from .readers import Formula, RawTable, normalize_tag, read_raw

Progress = Callable[[int, int], None]


@dataclass
class Cell:
    """Where one indicator value of one country came from, and what it was."""
    indicator: str
    status: str                 # ok | missing | bad | absent | no_input
    value: object = None        # parsed value when ok
    raw: object = None          # the cell as written
    file: str | None = None
    row: int | None = None
    column: str | None = None
    year: int | None = None
    note: str = ""

    @property
    def known(self) -> bool:
        return self.status == "ok"

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(Path(self.file).name)
        if self.row is not None:
            parts.append(f"row {self.row}")
        return " ".join(parts)

    def why_unknown(self) -> str:
        if self.status == "missing":
            raw = "blank" if self.raw is None or str(self.raw).strip() == "" else repr(str(self.raw))
            s = f"missing value {raw}"
            if self.where():
                s += f" at {self.where()}"
            return s + (f"; {self.note}" if self.note else "")
        if self.status == "bad":
            return f"bad value {str(self.raw)!r} at {self.where()} (reported in the errors table)"
        if self.status == "absent":
            return self.note or "no row for this country in the input"
        if self.status == "no_input":
            return self.note or "input not given"
        return ""


@dataclass
class InputFile:
    path: str
    input: str
    kind: str
    encoding: str | None
    hxl: bool
    rows: int
    vintage: Vintage | None = None     # the release recognised by its columns
    key_column: str | None = None      # the header the rows' key (ISO3 or id) was read from
    name_column: str | None = None
    unreadable: int = 0                # data rows the reader could not split into cells (error rows)

    @property
    def records(self) -> int:
        """Every data row of the file (blank lines, header and HXL row apart)."""
        return self.rows + self.unreadable

    def to_dict(self) -> dict:
        return {"path": self.path, "input": self.input, "kind": self.kind, "encoding": self.encoding,
                "hxl": self.hxl, "rows": self.rows, "key_column": self.key_column,
                "name_column": self.name_column, "vintage": vintage_record(self.vintage)}


def unreadable_rows(raw: RawTable) -> int:
    """The reader's error rows (a stray quote, too few or too many cells, a too-large cell)."""
    return len({e.row for e in raw.errors if e.row is not None and e.severity == "error"})


def vintage_record(vintage: Vintage | None) -> dict | None:
    """A detected release as the outputs' provenance records it."""
    if vintage is None:
        return None
    return {"id": vintage.id, "title": vintage.title, "detected_by": vintage.signature,
            "absent": list(vintage.absent)}


@dataclass
class InputTable:
    """The joined table: ``frame`` (one row per country, one column per indicator), the row
    errors, and per country and indicator the :class:`Cell` it came from."""
    frame: pd.DataFrame
    errors: list[RowError]
    cells: dict[str, dict[str, Cell]]
    names: dict[str, str]
    files: list[InputFile]
    mapping: str
    units: Units = COUNTRIES

    def __iter__(self) -> Iterator:
        yield self.frame
        yield self.errors

    def __len__(self) -> int:
        return len(self.frame)


# ------------------------------------------------------------------------------- columns

def find_column(spec: ColumnSpec, raw: RawTable) -> int | None:
    for alt in spec.alternatives:
        if alt.startswith("#"):
            if raw.tags is None:
                continue
            want_tag, want_attrs = normalize_tag(alt)
            for i, t in enumerate(raw.tags):
                if not t:
                    continue
                tag, attrs = normalize_tag(t)
                if tag == want_tag and want_attrs <= attrs:
                    return i
        else:
            for i, h in enumerate(raw.headers):
                if h == alt:
                    return i
            low = alt.strip().lower()
            for i, h in enumerate(raw.headers):
                if " ".join(h.split()).lower() == " ".join(low.split()):
                    return i
    return None


def _spec_columns(spec: InputSpec) -> list[tuple[str, ColumnSpec, bool]]:
    """(key, column, needed) of every column an input reads: its key (``key``: the ISO3 or
    id column), name, year and indicators (an indicator read from parts: the parts)."""
    cols = []
    if spec.key:
        cols.append(("key", spec.key, spec.id_column is not None))
    if spec.name:
        cols.append(("name", spec.name, False))
    if spec.year:
        cols.append(("year", spec.year, True))
    for ind in spec.indicators.values():
        for n, part in enumerate(ind.max_of or (ind.column,)):
            cols.append((ind.name if not ind.max_of else (ind.name, n), part, not ind.optional))
    return cols


def _score(spec: InputSpec, raw: RawTable) -> int:
    keys = (spec.id_column,) if spec.id_column else (spec.iso3, spec.name)
    key_ok = any(c is not None and find_column(c, raw) is not None for c in keys)
    if not key_ok:
        return 0
    if spec.year is not None and find_column(spec.year, raw) is None:
        return 0
    return sum(1 for _, c, _ in _spec_columns(spec) if find_column(c, raw) is not None)


def _expects(spec: InputSpec) -> str:
    keys = [c.label for c in (spec.key, spec.name, spec.year) if c is not None]
    return f"{spec.id} ({spec.title}): columns {', '.join(keys)}, ..."


# -------------------------------------------------------------------------------- values

def _missing(raw, mapping: Mapping) -> bool:
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    return str(raw).strip().lower() in mapping.missing_lower


def parse_value(ind: Indicator, raw, mapping: Mapping) -> tuple[str, object, str]:
    """(status, value, reason) for one cell: ok | missing | bad."""
    if isinstance(raw, Formula):
        return "bad", None, Formula.REASON
    if ind.type == "flag":
        if ind.blank is not None and (raw is None or str(raw).strip() == ""):
            return "ok", bool(ind.blank), "blank"
        if isinstance(raw, bool):
            return "ok", raw, ""
        if raw is not None and not (isinstance(raw, float) and math.isnan(raw)):
            # The indicator's own yes/no values win over the missing-value list ("x", "-", ...).
            s = str(raw).strip().upper()
            if isinstance(raw, (int, float)) and float(raw) in (0.0, 1.0):
                s = str(int(raw))
            if s in ind.true_values:
                return "ok", True, ""
            if s in ind.false_values:
                return "ok", False, ""
        if _missing(raw, mapping):
            return "missing", None, ""
        allowed = list(ind.true_values) + list(ind.false_values) + (["blank"] if ind.blank is not None else [])
        return "bad", None, f"not a yes/no value (expected one of {', '.join(allowed)})"
    if _missing(raw, mapping):
        return "missing", None, ""
    if ind.type == "text":
        return "ok", str(raw).strip(), ""
    if isinstance(raw, bool):
        return "bad", None, "not a number"
    if isinstance(raw, (int, float)):
        v = float(raw)
    else:
        s = str(raw).strip().replace("\u2212", "-")
        try:
            v = float(s)
        except ValueError:
            return "bad", None, "not a number"
    if not math.isfinite(v):
        return "bad", None, "not a finite number"
    if ind.range and not (ind.range[0] <= v <= ind.range[1]):
        return "bad", None, f"out of range [{fmt(ind.range[0])}, {fmt(ind.range[1])}]"
    return "ok", v, ""


def _cell(r: list, i: int | None):
    if i is None or i >= len(r):
        return None
    return r[i]


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v == int(v):
        return str(int(v))
    return str(v).strip()


# ------------------------------------------------------------------------------ the reader

def read_inputs(paths, mapping: Mapping, encoding: str | None = None,
                progress: Progress | None = None) -> InputTable:
    """Read, validate and join the input files of ``mapping``.

    Each file is matched to one of the mapping's inputs by its columns (names or HXL tags),
    and to the release of that input its columns show (the input's ``vintages``).  Raises
    :class:`InputError` when a file cannot be read or recognised, when a needed column is
    missing (naming the column and the file, with a did-you-mean), or when a required input
    is not given.  Bad rows become :class:`RowError` records; good rows go on.  A column the
    file's release (or an optional indicator) lacks makes its indicator unknown for every
    row, with one warning naming the facts that read it.
    """
    assigned = _assign_inputs([read_raw(p, encoding) for p in _path_list(paths)], mapping)
    # Every needed column must be there before any row is read: a missing column fails the
    # run at once, not after thousands of rows.
    layouts = {sid: _layout(sid, raw, mapping) for sid, raw in assigned.items()}
    _check_something_is_read(layouts, assigned, mapping)
    total = sum(len(raw.rows) for raw in assigned.values())
    tick = _ticker(progress, total)
    errors: list[RowError] = []
    names: dict[str, str] = {}      # the primary input's units and their names ...
    order: list[str] = []           # ... in its row order
    seen_rows: dict[str, dict[str, int]] = {}   # input -> key -> first row naming it
    per_input: dict[str, dict[str, dict[str, Cell]]] = {}
    files: list[InputFile] = []
    for sid, raw in assigned.items():
        layout = layouts[sid]
        errors.extend(_layout_warnings(layout, raw, mapping))
        errors.extend(raw.errors)
        rows = _InputRows(layout, raw, mapping, errors)
        per_input[sid] = rows.read(tick, names, order, seen_rows.setdefault(sid, {}))
        files.append(InputFile(raw.path, sid, raw.kind, raw.encoding, raw.tags is not None, len(raw.rows),
                               layout.vintage, rows.key_label, rows._header("name"), unreadable_rows(raw)))
    cells_by_unit = {key: _unit_cells(key, per_input, assigned, mapping) for key in order}
    _mark_unprofiled(errors, seen_rows, set(order), assigned, layouts, mapping)
    frame = _frame(order, names, cells_by_unit, mapping)
    if progress and total == 0:
        progress(0, 0)
    return InputTable(frame, errors, cells_by_unit, names, files, mapping.name, mapping.units)


def _path_list(paths) -> list[str]:
    """One path or several, as strings; none at all is an error."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = [str(p) for p in paths]
    if not paths:
        raise InputError("no input files given", hint="give at least one CSV or .xlsx file")
    return paths


# ------------------------------------------------------------------ which file is which input

def _assign_inputs(raws: list[RawTable], mapping: Mapping) -> dict[str, RawTable]:
    """Input id -> its file, in the order the files were given; one file per input, and
    every required input present."""
    assigned: dict[str, RawTable] = {}
    for raw in raws:
        sid = _match_input(raw, mapping)
        if sid in assigned:
            raise InputError(f"two files for input {sid!r}: {assigned[sid].path} and {raw.path}",
                             file=raw.path, hint="give one file per input (merge them first)")
        assigned[sid] = raw
    for sid, spec in mapping.inputs.items():
        if spec.required and sid not in assigned:
            raise InputError(f"mapping {mapping.name!r} needs input {sid!r} ({spec.title})",
                             hint="add that file to the inputs; expected " + _expects(spec))
    return assigned


def _match_input(raw: RawTable, mapping: Mapping) -> str:
    """The id of the one input of ``mapping`` whose columns ``raw`` has most of; a file that
    matches none, or several equally well, is refused rather than guessed."""
    scores = {sid: _score(spec, raw) for sid, spec in mapping.inputs.items()}
    best = max(scores.values())
    if best == 0 and mapping.units.kind == "id":
        # Units keyed by an id: a file without the id column is that, not an unknown file.
        sid = mapping.primary.id
        raise _missing_columns(sid, raw, [mapping.primary.key], mapping)
    if best == 0:
        cols = [h for h in raw.headers if h][:12]
        raise InputError(f"no input of mapping {mapping.name!r} matches this file", file=raw.path,
                         hint="its columns are " + ", ".join(repr(c) for c in cols)
                         + "; the mapping expects " + "; or ".join(_expects(s) for s in mapping.inputs.values()))
    winners = [sid for sid, s in scores.items() if s == best]
    if len(winners) > 1:
        raise InputError(f"file matches several inputs of mapping {mapping.name!r}: {', '.join(winners)}",
                         file=raw.path, hint="rename its columns to those of one input")
    return winners[0]


# ------------------------------------------------------------------ which column is which

@dataclass
class _Layout:
    """How one file is read as one input: the input as the file's release has it, the column
    index of each key (``key``, ``name``, ``year``, each indicator: an index, a tuple of the
    parts' indexes, or None when the file lacks it) and why each lacking indicator is unknown."""
    spec: InputSpec
    columns: dict[str, int | tuple[int, ...] | None]
    vintage: Vintage | None = None
    absent: dict[str, str] = field(default_factory=dict)


def detect_vintage(spec: InputSpec, raw: RawTable) -> Vintage | None:
    """The first of the input's releases whose columns the file has (``has``) and lacks
    (``lacks``); None when the input declares none or none fits."""
    def present(name: str) -> bool:
        return find_column(ColumnSpec([name]), raw) is not None
    for vintage in spec.vintages.values():
        if all(present(c) for c in vintage.has) and not any(present(c) for c in vintage.lacks):
            return vintage
    return None


def _as_released(spec: InputSpec, vintage: Vintage | None) -> InputSpec:
    """The input as ``vintage`` publishes it: the indicators it lacks become optional, the
    columns it renames (or splits: ``max_of``) are read under their names there."""
    if vintage is None:
        return spec
    indicators = dict(spec.indicators)
    for name in vintage.absent:
        indicators[name] = dataclasses.replace(indicators[name], optional=True)
    for name, column in vintage.columns.items():
        indicators[name] = dataclasses.replace(indicators[name], max_of=column) if isinstance(column, tuple) \
            else dataclasses.replace(indicators[name], column=column)
    return dataclasses.replace(spec, indicators=indicators)


def _layout(sid: str, raw: RawTable, mapping: Mapping) -> _Layout:
    """The file's layout as input ``sid``; a needed column missing is an error (naming the
    releases the input knows, when it declares some)."""
    base = mapping.inputs[sid]
    vintage = detect_vintage(base, raw)
    spec = _as_released(base, vintage)
    columns: dict = {}
    missing = []
    for key, cs, needed in _spec_columns(spec):
        idx = find_column(cs, raw)
        if idx is None and needed:
            missing.append(cs)
        if isinstance(key, tuple):   # one part of an indicator read from several columns
            columns.setdefault(key[0], []).append(idx)
        else:
            columns[key] = idx
    for name, ind in spec.indicators.items():
        if ind.max_of:
            columns[name] = None if None in columns[name] else tuple(columns[name])
    if missing:
        raise _missing_columns(sid, raw, missing, mapping)
    absent = {}
    for name, ind in spec.indicators.items():
        if columns.get(name) is None:
            absent[name] = (f"not published in {vintage.title}, the release of {raw.name}"
                            if vintage and name in vintage.absent
                            else f"optional column {ind.column.label!r} not in {raw.name}")
    return _Layout(spec, columns, vintage, absent)


def _layout_warnings(layout: _Layout, raw: RawTable, mapping: Mapping) -> list[RowError]:
    """The release a file was recognised as, when it lacks or renames columns, and one
    warning per indicator the file lacks: unknown for every unit, naming the facts it feeds."""
    out = []
    vintage = layout.vintage
    if vintage and (vintage.absent or vintage.columns):
        out.append(RowError(raw.path, None, None, vintage.id,
                            f"release recognised by its columns ({vintage.signature}): {vintage.title}",
                            "warning"))
    noun = mapping.units.noun
    for name, why in layout.absent.items():
        ind = layout.spec.indicators[name]
        reading = mapping.facts_reading(name)
        feeds = (", and so are " + ", ".join(reading) + " wherever the other indicators do not decide them") \
            if reading else "; no fact reads it"
        out.append(RowError(raw.path, None, ind.column.label, None,
                            f"column {ind.column.label!r} {why}: {name} is unknown for every {noun}{feeds}",
                            "warning"))
    return out


def _check_something_is_read(layouts: dict[str, _Layout], assigned: dict[str, RawTable], mapping: Mapping) -> None:
    """A mapping can do nothing when none of the indicators its facts and context read is in
    the inputs: that fails, rather than profiling every unit as unknown."""
    read = {name for layout in layouts.values() for name in layout.spec.indicators if layout.columns.get(name) is not None}
    used = {name for name in mapping.indicators
            if mapping.facts_reading(name) or any(c.indicator == name for c in mapping.context.values())}
    if used and not read & used:
        labels = [mapping.indicators[name].column.label for name in used]
        raise InputError(f"none of the columns mapping {mapping.name!r} reads is in the inputs",
                         file=", ".join(raw.path for raw in assigned.values()),
                         hint="it reads " + ", ".join(repr(c) for c in labels[:12]) + ("..." if len(labels) > 12 else ""))


def _missing_columns(sid: str, raw: RawTable, missing: list[ColumnSpec], mapping: Mapping) -> InputError:
    """The error for needed columns a file lacks: the first named, with a did-you-mean among
    the file's headers and tags, the others listed, and the releases the input knows."""
    first = missing[0]
    names = [h for h in raw.headers if h] + [t for t in (raw.tags or []) if t]
    hint = suggestion_hint(first.label, names, "columns") or \
        f"the file has no column {' or '.join(repr(a) for a in first.alternatives)}"
    hint += f"; mapping {mapping.name!r} ({mapping.path}) needs it"
    vintages = mapping.inputs[sid].vintages.values()
    if vintages:
        hint += "; the releases it knows: " + "; ".join(f"{v.title} ({v.signature})" for v in vintages)
    others = ", ".join(repr(c.label) for c in missing[1:])
    msg = f"input {sid!r} lacks column {first.label!r} needed by mapping {mapping.name!r}"
    if others:
        msg += f" (also missing: {others})"
    return InputError(msg, file=raw.path, column=first.label, hint=hint)


# ---------------------------------------------------------------------------- reading rows

def _ticker(progress: Progress | None, total: int) -> Callable[[], None]:
    """Count one row read; report every 50 rows and at the last (not every row: the CLI
    redraws a progress bar on each report)."""
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress and (done % 50 == 0 or done == total):
            progress(done, total)
    return tick


@dataclass
class _InputRows:
    """The rows of one input file: each row's unit (country or id), its year (long tables)
    and its indicator cells.  Problems confined to a row are appended to ``errors``."""
    layout: _Layout
    raw: RawTable
    mapping: Mapping
    errors: list[RowError]

    def __post_init__(self):
        self.spec, self.columns, self.units = self.layout.spec, self.layout.columns, self.mapping.units
        # Row errors name the key columns as the file writes them, else as the mapping does.
        self.key_label = self._header("key") or (self.spec.key.label if self.spec.key else None)
        self.name_label = self._header("name") or (self.spec.name.label if self.spec.name else None)

    def _header(self, key: str) -> str | None:
        idx = self.columns.get(key)
        return self.raw.headers[idx] if idx is not None else None

    def read(self, tick: Callable[[], None], names: dict[str, str], order: list[str],
             seen: dict[str, int]) -> dict[str, dict[str, Cell]]:
        """Key -> what :meth:`keep` made of its row (indicator -> Cell).  A primary input's
        units are added to ``names`` and ``order``; every unit a row names is added to
        ``seen`` with that row.  A key (and year) on several rows: the first row is used, each
        later one is an error row naming every row with that key."""
        long = self.spec.shape == "long"
        records: dict[str, dict[str, Cell]] = {}
        by_year: dict[str, dict[int, dict[str, Cell]]] = {}
        occurrences: dict = {}          # key (and year) -> the rows having it
        later: list[tuple] = []         # (row, cell shown, key, year) of the rows after the first
        for rownum, r in self.raw.rows:
            tick()
            unit = self._unit(rownum, r)
            if unit is None:
                continue
            key, shown = unit
            seen.setdefault(key, rownum)
            year = self._year(rownum, r, key) if long else None
            if long and year is None:
                continue
            at = (key, year) if long else key
            if at in occurrences:
                occurrences[at].append(rownum)
                code, cname = self._codes(r)
                later.append((rownum, code or cname, key, year))
                continue
            occurrences[at] = [rownum]
            cells = self.keep(rownum, r, key, year)
            if long:
                by_year.setdefault(key, {})[year] = cells
            else:
                records[key] = cells
            if self.spec.primary and key not in names:
                names[key] = shown
                order.append(key)
        for rownum, value, key, year in later:
            self._duplicate(rownum, value, key, year, occurrences[(key, year) if long else key])
        for key, years in by_year.items():
            records[key] = _latest_known(self.spec, years)
        return records

    def _codes(self, r: list) -> tuple[str, str]:
        return _text(_cell(r, self.columns.get("key"))), _text(_cell(r, self.columns.get("name")))

    def _skipped(self, code: str) -> bool:
        """Rows that are not units by the mapping's rule (e.g. regional aggregates)."""
        spec = self.spec
        return spec.skip_empty_iso3 and not code or \
            bool(code) and any(code.upper().startswith(px.upper()) for px in spec.skip_iso3_prefixes)

    def _unit(self, rownum: int, r: list) -> tuple[str, str] | None:
        """(key, name to show) of a row: its id as written, or its ISO3 code from its code or
        else its name; None when the row is skipped or names no unit (reported)."""
        code, cname = self._codes(r)
        if self._skipped(code):
            self.errors.append(RowError(self.raw.path, rownum, self.key_label, code or cname,
                                        f"skipped: {self.spec.skip_reason}" + (f" ({cname})" if cname else ""),
                                        "skipped"))
            return None
        if self.units.kind == "id":
            if not code:
                self.errors.append(RowError(self.raw.path, rownum, self.key_label, cname or None,
                                            f"no id in column {self.key_label!r}; row not used"))
                return None
            return code, cname
        res = resolve(code, cname)
        if res.iso3 is None:
            self.errors.append(self._unknown_country(rownum, code, cname, res))
            return None
        if res.how != "code":
            self.errors.append(self._resolved_by_name(rownum, code, cname, res))
        return res.iso3, cname or res.name or res.iso3

    def _unknown_country(self, rownum: int, code: str, cname: str, res) -> RowError:
        what = []
        if code:
            what.append(f"ISO3 {code!r} is not an ISO 3166 alpha-3 code")
        elif self.columns.get("key") is not None:
            what.append("no ISO3 code")
        if cname:
            what.append(f"name {cname!r} matches no country" if res.how != "ambiguous"
                        else f"name {cname!r} is ambiguous ({res.detail})")
        return RowError(self.raw.path, rownum, self.key_label if code or not cname else self.name_label,
                        code or cname, "unknown country: " + "; ".join(what or ["no code or name"])
                        + "; row not used")

    def _resolved_by_name(self, rownum: int, code: str, cname: str, res) -> RowError:
        """A warning: the row is used, with the country its name gave (say so: it may be wrong)."""
        if code:
            reason = f"ISO3 {code!r} is not an ISO 3166 alpha-3 code; used {res.iso3} from the name {cname!r}"
        else:
            reason = f"no ISO3 code; used {res.iso3} from the name {cname!r}"
        if res.how == "fuzzy":
            reason += " (fuzzy match: check it)"
        return RowError(self.raw.path, rownum, self.key_label if code else self.name_label,
                        code or cname, reason, "warning", res.iso3)

    def _year(self, rownum: int, r: list, key: str) -> int | None:
        """The year of a long table's row; None (reported: the row is not used) unless it is
        a whole number."""
        yraw = _cell(r, self.columns.get("year"))
        try:
            y = float(str(yraw).strip())
            if not y.is_integer():
                raise ValueError(yraw)
            return int(y)
        except (TypeError, ValueError, OverflowError):
            why = Formula.REASON if isinstance(yraw, Formula) else "year is not a whole number"
            self.errors.append(RowError(self.raw.path, rownum, self.raw.headers[self.columns["year"]], yraw,
                                        f"{why}; row not used", "error", key))
            return None

    def _duplicate(self, rownum: int, value: str, key: str, year: int | None, rows: list[int]) -> None:
        """A later row for the same unit (and year): not used, and never merged into the first."""
        long = self.spec.shape == "long"
        label = ("ISO3" if self.units.kind == "iso3" else "id") + (" and year" if long else "")
        what = f"{key} {year}" if long else key
        self.errors.append(RowError(self.raw.path, rownum, self.key_label, value,
                                    f"duplicate {label} {what}: rows {', '.join(map(str, rows))}; "
                                    f"the first (row {rows[0]}) is used, this row is not", "error", key))

    def keep(self, rownum: int, r: list, key: str, year: int | None) -> dict[str, Cell]:
        """Indicator -> Cell of one row; a bad value is reported and its indicator unknown."""
        raw = self.raw
        cells: dict[str, Cell] = {}
        for ind in self.spec.indicators.values():
            idx = self.columns.get(ind.name)
            if idx is None:
                cells[ind.name] = Cell(ind.name, "absent", file=raw.path, row=rownum, column=ind.column.label,
                                       note=self.layout.absent[ind.name])
            elif isinstance(idx, tuple):
                cells[ind.name] = self._highest(ind, idx, rownum, r, key, year)
            else:
                col = raw.headers[idx] or ind.column.label
                cells[ind.name] = self._parsed(ind, _cell(r, idx), rownum, col, key, year)
        return cells

    def _parsed(self, ind: Indicator, v, rownum: int, col: str, key: str, year: int | None) -> Cell:
        """One cell's value, or why it is unknown (a bad value is also an error row)."""
        status, value, reason = parse_value(ind, v, self.mapping)
        c = Cell(ind.name, status, value, v, self.raw.path, rownum, col, year)
        if reason == "blank":
            c.note = f"blank read as {fmt(value)}: {ind.blank_why}"
        if status == "bad":
            self.errors.append(RowError(self.raw.path, rownum, col, v,
                                        f"{reason}; {ind.name} treated as unknown for {key}", "error", key))
        return c

    def _highest(self, ind: Indicator, idxs: tuple[int, ...], rownum: int, r: list, key: str,
                 year: int | None) -> Cell:
        """An indicator a release splits in parts (``max_of``): the highest part, known only
        when every part is (a cut ``>=`` then holds for the whole when it holds for a part)."""
        headers = [self.raw.headers[i] for i in idxs]
        parts = [self._parsed(ind, _cell(r, i), rownum, h, key, year) for i, h in zip(idxs, headers)]
        label = f"max({', '.join(headers)})"
        unknown = next((p for p in parts if not p.known), None)
        if unknown is None:
            raw = ", ".join(f"{h} {fmt(p.value)}" for h, p in zip(headers, parts))
            return Cell(ind.name, "ok", max(p.value for p in parts), raw, self.raw.path, rownum, label, year)
        return Cell(ind.name, unknown.status, None, unknown.raw, self.raw.path, rownum, label, year,
                    note=f"in column {unknown.column!r}")


def _latest_known(spec: InputSpec, by_year: dict[int, dict[str, Cell]]) -> dict[str, Cell]:
    """A long table's cells for one unit: per indicator, the latest year with a value;
    with none, the latest year's cell marked missing, naming the years looked at."""
    years = sorted(by_year, reverse=True)
    chosen: dict[str, Cell] = {}
    for ind in spec.indicators.values():
        ok = [by_year[y][ind.name] for y in years if by_year[y][ind.name].known]
        if ok:
            chosen[ind.name] = ok[0]
            continue
        c = by_year[years[0]][ind.name]
        chosen[ind.name] = Cell(ind.name, "missing" if c.status != "absent" else "absent",
                                None, c.raw, c.file, c.row, c.column, c.year,
                                note=f"no year with a value (years {min(years)}-{max(years)})")
    return chosen


# ---------------------------------------------------------------------------------- joining

def _unit_cells(key: str, per_input: dict[str, dict[str, dict[str, Cell]]],
                assigned: dict[str, RawTable], mapping: Mapping) -> dict[str, Cell]:
    """Every indicator of one unit across the inputs."""
    merged: dict[str, Cell] = {}
    for sid in mapping.inputs:
        merged.update(input_cells(key, sid, per_input, assigned, mapping))
    return merged


def input_cells(key: str, sid: str, per_input: dict[str, dict[str, dict[str, Cell]]],
                assigned: dict[str, RawTable], mapping: Mapping) -> dict[str, Cell]:
    """One input's indicators of one unit; an input not given, or without a row for the
    unit, gives cells that say so (unknown, with the reason)."""
    spec = mapping.inputs[sid]
    if sid not in per_input:
        return {ind.name: Cell(ind.name, "no_input", note=f"input {sid!r} ({spec.title}) not given")
                for ind in spec.indicators.values()}
    rec = per_input[sid].get(key)
    if rec is None:
        fname = Path(assigned[sid].path).name
        return {ind.name: Cell(ind.name, "absent", file=assigned[sid].path, note=f"no row for {key} in {fname}")
                for ind in spec.indicators.values()}
    return rec


def _mark_unprofiled(errors: list[RowError], seen_rows: dict[str, dict[str, int]], profiled: set[str],
                     assigned: dict[str, RawTable], layouts: dict[str, _Layout], mapping: Mapping) -> None:
    """A unit named only in a secondary input is not profiled: say so, once per unit, and
    its own row problems there cannot fail the run (they become ``skipped``)."""
    primary = mapping.primary.id
    for sid, seen in seen_rows.items():
        if sid == primary:
            continue
        extra = {key for key in seen if key not in profiled}
        if not extra:
            continue
        raw, spec, cmap = assigned[sid], mapping.inputs[sid], layouts[sid].columns
        key_col = (raw.headers[cmap["key"]] if cmap.get("key") is not None else None) \
            or (raw.headers[cmap["name"]] if cmap.get("name") is not None else None) \
            or (spec.key or spec.name).label
        for e in errors:
            if e.file == raw.path and e.iso3 in extra and e.severity != "skipped":
                e.severity = "skipped"
                e.reason = "not profiled; " + e.reason
        for key, rownum in seen.items():
            if key in extra:
                errors.append(RowError(raw.path, rownum, key_col, key,
                                       f"not in the primary input {primary!r}: not profiled", "skipped", key))


def _frame(order: list[str], names: dict[str, str], cells_by_unit: dict[str, dict[str, Cell]],
           mapping: Mapping) -> pd.DataFrame:
    """One row per unit (the primary input's order): its key (``iso3`` or ``unit_id``), name,
    one column per indicator, unknown values None (NaN in number columns)."""
    indicators = list(mapping.indicators)
    data = {mapping.units.key: order, "name": [names[i] for i in order]}
    for ind in indicators:
        data[ind] = [cells_by_unit[i][ind].value if cells_by_unit[i][ind].known else None
                     for i in order]
    frame = pd.DataFrame(data, dtype=object)
    for ind in indicators:
        if mapping.indicators[ind].type == "number":
            frame[ind] = pd.to_numeric(frame[ind], errors="coerce").astype("float64")
    frame.index = pd.Index(order, name=f"{mapping.units.key}_index")
    return frame
