"""write_outputs: the three tables as CSV, Excel or JSON, each file written whole or not at all."""
from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path

from .errors import OutputError
from .tables import ERROR_COLUMNS, LONG_COLUMNS

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".json": "json"}
SHEETS = ("long", "summary", "errors")


def output_paths(path: str | Path) -> dict[str, Path]:
    """The files ``write_outputs`` writes for ``path``."""
    p = Path(path)
    fmt = _format(p)
    if fmt == "csv":
        return {"long": p, "summary": p.with_name(p.stem + ".summary.csv"),
                "errors": p.with_name(p.stem + ".errors.csv")}
    return {"all": p}


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


def _csv_bytes(rows: list[dict], preferred: list[str] | None) -> bytes:
    buf = io.StringIO(newline="")
    cols = _columns(rows, preferred)
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([_flat(r.get(c)) for c in cols])
    return buf.getvalue().encode("utf-8")


def _xlsx_write(fh, tables: dict[str, tuple[list[dict], list[str] | None]]):
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
    wb.save(fh)


def _atomic_write(target: Path, write) -> Path:
    """Write through ``write(fileobj)`` into a temp file beside ``target``; return the temp path."""
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise OutputError("output directory does not exist", file=str(target),
                          hint=f"create {directory} first")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as e:
        raise OutputError(f"cannot write in {directory}: {e.strerror or e}", file=str(target)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return Path(tmp)


def write_outputs(path, long_rows: list[dict], summary_rows: list[dict], error_rows: list[dict]) -> list[Path]:
    """Write the long table, the summary and the errors table; the format follows ``path``'s
    extension: ``.csv`` (``out.csv``, ``out.summary.csv``, ``out.errors.csv``), ``.xlsx``
    (three sheets) or ``.json`` (one object with keys long, summary, errors).

    Every file is written to a temp file in the same directory and then moved over the
    target with ``os.replace``: it is there whole or not at all.  The files written are
    returned.
    """
    p = Path(path)
    fmt = _format(p)
    tables = {"long": (long_rows, LONG_COLUMNS), "summary": (summary_rows, None),
              "errors": (error_rows, ERROR_COLUMNS)}
    pending: list[tuple[Path, Path]] = []
    try:
        if fmt == "csv":
            for key, target in output_paths(p).items():
                rows, pref = tables[key]
                data = _csv_bytes(rows, pref)
                pending.append((_atomic_write(target, lambda fh, d=data: fh.write(d)), target))
        elif fmt == "xlsx":
            pending.append((_atomic_write(p, lambda fh: _xlsx_write(fh, tables)), p))
        else:
            obj = {}
            for k, (rows, pref) in tables.items():
                cols = _columns(rows, pref)   # once per table, not per row
                obj[k] = [{c: _jsonable(r.get(c)) for c in cols} for r in rows]
            data = (json.dumps(obj, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
            pending.append((_atomic_write(p, lambda fh: fh.write(data)), p))
        for tmp, target in pending:
            os.replace(tmp, target)
    except BaseException as e:
        for tmp, _ in pending:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        if isinstance(e, OSError):
            raise OutputError(f"cannot write output: {e.strerror or e}", file=str(p)) from None
        raise
    return [t for _, t in pending]
