"""write_outputs: the three tables as CSV, Excel or JSON, written by engine.outputfile."""
from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from ..outputfile import OutputWriteError, commit, discard, stage
from .errors import OutputError
from .tables import ERROR_COLUMNS, LONG_COLUMNS

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".json": "json"}
SHEETS = ("long", "summary", "errors")


def output_paths(path: str | Path) -> dict[str, Path]:
    """The files ``write_outputs`` writes for ``path``: a CSV output is three tables and the
    provenance sidecar (CONTRACT.md, "Provenance"); XLSX and JSON carry it inside."""
    p = Path(path)
    fmt = _format(p)
    if fmt == "csv":
        return {"long": p, "summary": p.with_name(p.stem + ".summary.csv"),
                "errors": p.with_name(p.stem + ".errors.csv"),
                "provenance": p.with_name(p.stem + ".provenance.json")}
    return {"all": p}


def _provenance_bytes(record: dict) -> bytes:
    return (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _format(p: Path) -> str:
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise OutputError(f"unknown output format {p.suffix or '(no extension)'!r}", file=str(p),
                          hint="name the output .csv, .xlsx or .json")
    return fmt


def _columns(rows: list[dict], preferred: list[str] | None) -> list[str]:
    cols = list(preferred or [])
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    if preferred and rows:
        present = set().union(*(r.keys() for r in rows))
        cols = [c for c in cols if c in present or c in preferred]
    return cols


def _flat(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and math.isnan(v):
        return ""
    if isinstance(v, (list, tuple)):
        return "; ".join(str(_flat(x)) for x in v)
    if isinstance(v, dict):
        return "; ".join(f"{k}={_flat(x)}" for k, x in v.items())
    return v


def _jsonable(v):
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if hasattr(v, "item"):        # numpy scalars
        return v.item()
    return v


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """A text cell a spreadsheet would run as a formula is neutralised with a leading quote
    (OWASP's rule for CSV injection): country names and cells come from input tables."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _csv_bytes(rows: list[dict], preferred: list[str] | None) -> bytes:
    buf = io.StringIO(newline="")
    cols = _columns(rows, preferred)
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_safe(c) for c in cols])
    for r in rows:
        w.writerow([csv_safe(_flat(r.get(c))) for c in cols])
    return buf.getvalue().encode("utf-8")


def _xlsx_write(fh, tables: dict[str, tuple[list[dict], list[str] | None]], provenance: dict):
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    wb = openpyxl.Workbook()
    wb.remove(wb.active)

    for name, (rows, preferred) in tables.items():
        ws = wb.create_sheet(name)
        cols = _columns(rows, preferred)
        ws.append(cols)
        for r in rows:
            vals = []
            for c in cols:
                v = _flat(r.get(c))
                if isinstance(v, str):
                    v = ILLEGAL_CHARACTERS_RE.sub("", v)
                vals.append(v)
            ws.append(vals)
        # Text that looks like a formula stays text (no formula injection from input data).
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
        ws.freeze_panes = "A2"
    sheet = wb.create_sheet("provenance")  # what produced the workbook, one key per row
    sheet.append(["key", "value"])
    for key, value in provenance.items():
        sheet.append([key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)])
    wb.save(fh)


def _staged_files(p: Path, fmt: str, tables: dict, provenance: dict) -> Iterator[tuple[Path, Callable[[BinaryIO], None]]]:
    """(target, write) for each file of the output, built one at a time: a CSV table is
    serialised only when the one before it is staged, so a failure stops at the first."""
    if fmt == "csv":
        for key, target in output_paths(p).items():
            data = _provenance_bytes(provenance) if key == "provenance" else _csv_bytes(*tables[key])
            yield target, lambda handle, data=data: handle.write(data)
    elif fmt == "xlsx":
        yield p, lambda handle: _xlsx_write(handle, tables, provenance)
    else:
        obj = {"schema_version": provenance["schema_version"], "provenance": provenance}
        for key, (rows, preferred) in tables.items():
            cols = _columns(rows, preferred)   # once per table, not per row
            obj[key] = [{c: _jsonable(r.get(c)) for c in cols} for r in rows]
        data = (json.dumps(obj, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        yield p, lambda handle: handle.write(data)


def write_outputs(path, long_rows: list[dict], summary_rows: list[dict], error_rows: list[dict],
                  provenance: dict) -> list[Path]:
    """Write the long table, the summary and the errors table; the format follows ``path``'s
    extension: ``.csv`` (``out.csv``, ``out.summary.csv``, ``out.errors.csv``), ``.xlsx``
    (three sheets) or ``.json`` (one object with keys long, summary, errors).

    Written by :mod:`engine.outputfile` like every other mcof output: all files are staged
    beside their targets, then moved over them together, so a failure leaves the previous
    output whole and no temporary file; missing directories are created; permissions follow
    the umask.  The files written are returned.
    """
    p = Path(path)
    fmt = _format(p)
    tables = {"long": (long_rows, LONG_COLUMNS), "summary": (summary_rows, None),
              "errors": (error_rows, ERROR_COLUMNS)}
    staged: list[tuple[Path, Path]] = []
    try:
        for target, write in _staged_files(p, fmt, tables, provenance):
            staged.append((stage(target, write), target))
        return commit(staged)
    except BaseException as error:
        discard(staged)   # commit cleans up after itself; this is for a failure while staging
        if isinstance(error, OutputWriteError):
            # A batch error, so the message names the file like every other batch error.
            raise OutputError(error.message, file=error.where or str(p), hint=error.hint or "") from None
        raise
