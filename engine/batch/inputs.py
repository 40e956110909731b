"""read_inputs: read the input files of a mapping, validate them, join them on ISO3."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd

from .countries import resolve
from .errors import InputError, RowError, suggestion_hint
from .mapping import ColumnSpec, Indicator, InputSpec, Mapping, fmt
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

    def to_dict(self) -> dict:
        return {"path": self.path, "input": self.input, "kind": self.kind, "encoding": self.encoding,
                "hxl": self.hxl, "rows": self.rows}


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
    cols = []
    if spec.iso3:
        cols.append(("iso3", spec.iso3, False))
    if spec.name:
        cols.append(("name", spec.name, False))
    if spec.year:
        cols.append(("year", spec.year, True))
    for ind in spec.indicators.values():
        cols.append((ind.name, ind.column, not ind.optional))
    return cols


def _score(spec: InputSpec, raw: RawTable) -> int:
    key_ok = any(c is not None and find_column(c, raw) is not None for c in (spec.iso3, spec.name))
    if not key_ok:
        return 0
    if spec.year is not None and find_column(spec.year, raw) is None:
        return 0
    return sum(1 for _, c, _ in _spec_columns(spec) if find_column(c, raw) is not None)


def _expects(spec: InputSpec) -> str:
    keys = [c.label for c in (spec.iso3, spec.name, spec.year) if c is not None]
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

    Each file is matched to one of the mapping's inputs by its columns (names or HXL tags).
    Raises :class:`InputError` when a file cannot be read or recognised, when a needed column
    is missing (naming the column and the file, with a did-you-mean), or when a required
    input is not given.  Bad rows become :class:`RowError` records; good rows go on.
    """
    assigned = _assign_inputs([read_raw(p, encoding) for p in _path_list(paths)], mapping)
    # Every needed column must be there before any row is read: a missing column fails the
    # run at once, not after thousands of rows.
    columns = {sid: _column_map(sid, raw, mapping) for sid, raw in assigned.items()}
    total = sum(len(raw.rows) for raw in assigned.values())
    tick = _ticker(progress, total)
    errors: list[RowError] = []
    names: dict[str, str] = {}      # the primary input's countries and their names ...
    order: list[str] = []           # ... in its row order
    seen_rows: dict[str, dict[str, int]] = {}   # input -> ISO3 -> first row naming it
    per_input: dict[str, dict[str, dict[str, Cell]]] = {}
    files: list[InputFile] = []
    for sid, raw in assigned.items():
        rows = _InputRows(mapping.inputs[sid], raw, columns[sid], mapping, errors)
        per_input[sid] = rows.read(tick, names, order, seen_rows.setdefault(sid, {}))
        files.append(InputFile(raw.path, sid, raw.kind, raw.encoding, raw.tags is not None, len(raw.rows)))
    cells_by_country = {iso3: _country_cells(iso3, per_input, assigned, mapping) for iso3 in order}
    _mark_unprofiled(errors, seen_rows, set(order), assigned, columns, mapping)
    frame = _frame(order, names, cells_by_country, mapping)
    if progress and total == 0:
        progress(0, 0)
    return InputTable(frame, errors, cells_by_country, names, files, mapping.name)


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


def _column_map(sid: str, raw: RawTable, mapping: Mapping) -> dict[str, int | None]:
    """Key (iso3, name, year, indicator) -> its column index in ``raw`` (None for an
    optional column the file lacks); a needed column missing is an error."""
    cmap, missing = {}, []
    for key, cs, needed in _spec_columns(mapping.inputs[sid]):
        cmap[key] = find_column(cs, raw)
        if cmap[key] is None and needed:
            missing.append(cs)
    if missing:
        raise _missing_columns(sid, raw, missing, mapping)
    return cmap


def _missing_columns(sid: str, raw: RawTable, missing: list[ColumnSpec], mapping: Mapping) -> InputError:
    """The error for needed columns a file lacks: the first named, with a did-you-mean among
    the file's headers and tags, the others listed."""
    first = missing[0]
    names = [h for h in raw.headers if h] + [t for t in (raw.tags or []) if t]
    hint = suggestion_hint(first.label, names, "columns") or \
        f"the file has no column {' or '.join(repr(a) for a in first.alternatives)}"
    hint += f"; mapping {mapping.name!r} ({mapping.path}) needs it"
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
    """The rows of one input file: each row's country, its year (long tables) and its
    indicator cells.  Problems confined to a row are appended to ``errors``."""
    spec: InputSpec
    raw: RawTable
    columns: dict[str, int | None]
    mapping: Mapping
    errors: list[RowError]

    def __post_init__(self):
        # Row errors name the key columns as the file writes them, else as the mapping does.
        self.key_label = self._header("iso3") or (self.spec.iso3.label if self.spec.iso3 else None)
        self.name_label = self._header("name") or (self.spec.name.label if self.spec.name else None)

    def _header(self, key: str) -> str | None:
        idx = self.columns.get(key)
        return self.raw.headers[idx] if idx is not None else None

    def read(self, tick: Callable[[], None], names: dict[str, str], order: list[str],
             seen: dict[str, int]) -> dict[str, dict[str, Cell]]:
        """ISO3 -> indicator -> Cell.  A primary input's countries are added to ``names``
        and ``order``; every country a row names is added to ``seen`` with that row."""
        long = self.spec.shape == "long"
        records: dict[str, dict[str, Cell]] = {}
        by_year: dict[str, dict[int, dict[str, Cell]]] = {}
        first_row: dict = {}
        self.errors.extend(self.raw.errors)
        for rownum, r in self.raw.rows:
            tick()
            country = self._country(rownum, r)
            if country is None:
                continue
            iso3, shown = country
            seen.setdefault(iso3, rownum)
            year = self._year(rownum, r, iso3) if long else None
            if long and year is None:
                continue
            key = (iso3, year) if long else iso3
            if key in first_row:
                self._duplicate(rownum, r, iso3, year, first_row[key])
                continue
            first_row[key] = rownum
            cells = self._cells(rownum, r, iso3, year)
            if long:
                by_year.setdefault(iso3, {})[year] = cells
            else:
                records[iso3] = cells
            if self.spec.primary and iso3 not in names:
                names[iso3] = shown
                order.append(iso3)
        for iso3, years in by_year.items():
            records[iso3] = _latest_known(self.spec, years)
        return records

    def _codes(self, r: list) -> tuple[str, str]:
        return _text(_cell(r, self.columns.get("iso3"))), _text(_cell(r, self.columns.get("name")))

    def _skipped(self, code: str) -> bool:
        """Rows that are not countries by the mapping's rule (e.g. regional aggregates)."""
        spec = self.spec
        return spec.skip_empty_iso3 and not code or \
            bool(code) and any(code.upper().startswith(px.upper()) for px in spec.skip_iso3_prefixes)

    def _country(self, rownum: int, r: list) -> tuple[str, str] | None:
        """(ISO3, name to show) of a row, from its code or else its name; None when the row
        is skipped or names no known country (reported)."""
        code, cname = self._codes(r)
        if self._skipped(code):
            self.errors.append(RowError(self.raw.path, rownum, self.key_label, code or cname,
                                        f"skipped: {self.spec.skip_reason}" + (f" ({cname})" if cname else ""),
                                        "skipped"))
            return None
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
        elif self.columns.get("iso3") is not None:
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

    def _year(self, rownum: int, r: list, iso3: str) -> int | None:
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
                                        f"{why}; row not used", "error", iso3))
            return None

    def _duplicate(self, rownum: int, r: list, iso3: str, year: int | None, first: int) -> None:
        """A second row for the same country (and year): the first one counts."""
        code, cname = self._codes(r)
        long = self.spec.shape == "long"
        what = f"{iso3} {year}" if long else iso3
        self.errors.append(RowError(self.raw.path, rownum, self.key_label, code or cname,
                                    f"duplicate {'ISO3 and year' if long else 'ISO3'} {what}: "
                                    f"first at row {first}; this row not used", "error", iso3))

    def _cells(self, rownum: int, r: list, iso3: str, year: int | None) -> dict[str, Cell]:
        """Indicator -> Cell of one row; a bad value is reported and its indicator unknown."""
        raw = self.raw
        cells: dict[str, Cell] = {}
        for ind in self.spec.indicators.values():
            idx = self.columns.get(ind.name)
            col = raw.headers[idx] if idx is not None and raw.headers[idx] else ind.column.label
            if idx is None:
                cells[ind.name] = Cell(ind.name, "absent", file=raw.path, row=rownum, column=col,
                                       note=f"optional column {ind.column.label!r} not in {Path(raw.path).name}")
                continue
            v = _cell(r, idx)
            status, value, reason = parse_value(ind, v, self.mapping)
            c = Cell(ind.name, status, value, v, raw.path, rownum, col, year)
            if reason == "blank":
                c.note = f"blank read as {fmt(value)}: {ind.blank_why}"
            if status == "bad":
                self.errors.append(RowError(raw.path, rownum, col, v,
                                            f"{reason}; {ind.name} treated as unknown for {iso3}", "error", iso3))
            cells[ind.name] = c
        return cells


def _latest_known(spec: InputSpec, by_year: dict[int, dict[str, Cell]]) -> dict[str, Cell]:
    """A long table's cells for one country: per indicator, the latest year with a value;
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

def _country_cells(iso3: str, per_input: dict[str, dict[str, dict[str, Cell]]],
                   assigned: dict[str, RawTable], mapping: Mapping) -> dict[str, Cell]:
    """Every indicator of one country across the inputs; an input not given, or without a
    row for the country, gives cells that say so (unknown, with the reason)."""
    merged: dict[str, Cell] = {}
    for sid, spec in mapping.inputs.items():
        if sid not in per_input:
            for ind in spec.indicators.values():
                merged[ind.name] = Cell(ind.name, "no_input", note=f"input {sid!r} ({spec.title}) not given")
            continue
        rec = per_input[sid].get(iso3)
        if rec is None:
            fname = Path(assigned[sid].path).name
            for ind in spec.indicators.values():
                merged[ind.name] = Cell(ind.name, "absent", file=assigned[sid].path,
                                        note=f"no row for {iso3} in {fname}")
        else:
            merged.update(rec)
    return merged


def _mark_unprofiled(errors: list[RowError], seen_rows: dict[str, dict[str, int]], profiled: set[str],
                     assigned: dict[str, RawTable], columns: dict[str, dict[str, int | None]],
                     mapping: Mapping) -> None:
    """A country named only in a secondary input is not profiled: say so, once per country,
    and its own row problems there cannot fail the run (they become ``skipped``)."""
    primary = mapping.primary.id
    for sid, seen in seen_rows.items():
        if sid == primary:
            continue
        extra = {iso3 for iso3 in seen if iso3 not in profiled}
        if not extra:
            continue
        raw, spec, cmap = assigned[sid], mapping.inputs[sid], columns[sid]
        key_col = (raw.headers[cmap["iso3"]] if cmap.get("iso3") is not None else None) \
            or (raw.headers[cmap["name"]] if cmap.get("name") is not None else None) \
            or (spec.iso3 or spec.name).label
        for e in errors:
            if e.file == raw.path and e.iso3 in extra and e.severity != "skipped":
                e.severity = "skipped"
                e.reason = "not profiled; " + e.reason
        for iso3, rownum in seen.items():
            if iso3 in extra:
                errors.append(RowError(raw.path, rownum, key_col, iso3,
                                       f"not in the primary input {primary!r}: not profiled", "skipped", iso3))


def _frame(order: list[str], names: dict[str, str], cells_by_country: dict[str, dict[str, Cell]],
           mapping: Mapping) -> pd.DataFrame:
    """One row per country (the primary input's order): iso3, name, one column per
    indicator, unknown values None (NaN in number columns)."""
    indicators = list(mapping.indicators)
    data = {"iso3": order, "name": [names[i] for i in order]}
    for ind in indicators:
        data[ind] = [cells_by_country[i][ind].value if cells_by_country[i][ind].known else None
                     for i in order]
    frame = pd.DataFrame(data, dtype=object)
    for ind in indicators:
        if mapping.indicators[ind].type == "number":
            frame[ind] = pd.to_numeric(frame[ind], errors="coerce").astype("float64")
    frame.index = pd.Index(order, name="iso3_index")
    return frame
