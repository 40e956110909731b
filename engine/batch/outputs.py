"""write_outputs: the batch tables as CSV, Excel or JSON, written by engine.outputfile.

One form per cell and format: in CSV a list or mapping is a JSON array or object (so it
splits back unambiguously, whatever its items' text contains), a boolean is ``true`` or
``false``, a missing value is empty; XLSX has real booleans and numbers and the same JSON
text for lists; JSON keeps real lists, objects, booleans and numbers.
"""
from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator

from ..outputfile import OutputWriteError, commit, discard, stage
from ..palette import LEVEL_COLOURS
from .errors import OutputError
from .tables import ERROR_COLUMNS, ERROR_SUMMARY_COLUMNS, LONG_COLUMNS, build_error_summary

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".json": "json"}
SHEETS = ("long", "summary", "errors", "errors_summary")

# XLSX: a level cell's fill and font colour (docs/batch.md, "Outputs").
LEVEL_STYLE = {level: (fill.lstrip("#").upper(), ink.lstrip("#").upper())
               for level, (fill, ink) in LEVEL_COLOURS.items()}
HEADER_FILL = "D9E1F2"

# HXL hashtags (https://hxlstandard.org) of the columns, per table; a column not listed
# gets an empty tag, except the summary's facts, context values and sectors (hxl_tags).
HXL_TAGS = {
    "iso3": "#country+code", "country": "#country+name",
    "sector_number": "#sector+num", "sector": "#sector+code", "sector_name": "#sector+name",
    "phase": "#status+phase", "level": "#severity+level",
    "rules": "#meta+rules", "citations": "#meta+citations", "facts": "#meta+facts",
    "evidence": "#meta+evidence", "unknown_facts": "#meta+unknown_facts", "note": "#description+note",
    "ruleset": "#meta+ruleset", "row_errors": "#meta+row_errors+num",
}
HXL_ERROR_TAGS = {
    "file": "#meta+file", "row": "#meta+row", "column": "#meta+column", "value": "#meta+value",
    "reason": "#description+reason", "severity": "#status+severity", "iso3": "#country+code",
    "count": "#meta+count+num", "first_row": "#meta+row+first", "values": "#meta+value+list",
}
HXL_ERROR_SUMMARY_TAGS = {**HXL_ERROR_TAGS, "iso3": "#country+code+list"}


def output_paths(path: str | Path) -> dict[str, Path]:
    """The files ``write_outputs`` writes for ``path``: a CSV output is four tables and the
    provenance sidecar (CONTRACT.md, "Provenance"); XLSX and JSON carry it inside."""
    p = Path(path)
    fmt = _format(p)
    if fmt == "csv":
        return {"long": p, "summary": p.with_name(p.stem + ".summary.csv"),
                "errors": p.with_name(p.stem + ".errors.csv"),
                "errors_summary": p.with_name(p.stem + ".errors_summary.csv"),
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


def _json_text(v) -> str:
    """A list or mapping as one cell: JSON, UTF-8 as is."""
    return json.dumps(_jsonable(v), ensure_ascii=False)


def _scalar(v):
    if hasattr(v, "item") and not isinstance(v, (list, tuple, dict, str)):   # numpy scalars
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _flat(v):
    """A value as a CSV cell: lists and mappings as JSON, booleans as true/false."""
    v = _scalar(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple, dict)):
        return _json_text(v)
    return v


def _xlsx_value(v):
    """A value as an XLSX cell: booleans and numbers as such, lists and mappings as JSON text."""
    v = _scalar(v)
    if isinstance(v, (list, tuple, dict)):
        return _json_text(v)
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


def read_csv_cell(text: str):
    """A CSV cell of a batch table back to its value (the inverse of ``_flat`` and
    :func:`csv_safe`): a JSON array or object becomes a list or dict, ``true``/``false`` a
    boolean, a neutralised formula loses its quote; any other cell stays text."""
    if text.startswith("'") and text[1:].startswith(_FORMULA_START) and not _is_number(text[1:]):
        return text[1:]
    if text in ("true", "false"):
        return text == "true"
    if text[:1] in ("[", "{"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def hxl_tags(table: str, columns: list[str], sectors: set[str]) -> list[str]:
    """The HXL hashtag of each column of ``table`` (docs/batch.md, "HXL"): a summary's sector
    column is ``#severity+level+SLUG``, a fact or context column ``#indicator+SLUG``."""
    known = {"errors": HXL_ERROR_TAGS, "errors_summary": HXL_ERROR_SUMMARY_TAGS}.get(table, HXL_TAGS)
    tags = []
    for c in columns:
        if c in known:
            tags.append(known[c])
        elif table == "summary" and _HXL_ATTRIBUTE.fullmatch(c):
            tags.append(f"#severity+level+{c}" if c in sectors else f"#indicator+{c}")
        else:
            tags.append("")
    return tags


_HXL_ATTRIBUTE = re.compile(r"[a-z][a-z0-9_]*")


def _csv_bytes(rows: list[dict], preferred: list[str] | None, hxl_table: str | None = None,
               sectors: set[str] = frozenset()) -> bytes:
    """A table as CSV; with ``hxl_table``, its HXL hashtags (as that table's) under the header."""
    buf = io.StringIO(newline="")
    cols = _columns(rows, preferred)
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_safe(c) for c in cols])
    if hxl_table is not None:
        w.writerow(hxl_tags(hxl_table, cols, sectors))
    for r in rows:
        w.writerow([csv_safe(_flat(r.get(c))) for c in cols])
    return buf.getvalue().encode("utf-8")


def _xlsx_write(fh, tables: dict[str, tuple[list[dict], list[str] | None]], provenance: dict,
                sectors: set[str] | None = None):
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    header_font, header_fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
    level_styles = {level: (PatternFill("solid", fgColor=fill), Font(color=font))
                    for level, (fill, font) in LEVEL_STYLE.items()}
    sectors = set(sectors or ())

    def sheet(name: str, cols: list[str], rows: list[list], level_columns: set[str], freeze: str):
        ws = wb.create_sheet(name)
        ws.append(cols)
        widths = [len(str(c)) for c in cols]
        for vals in rows:
            ws.append(vals)
            for i, v in enumerate(vals):
                if v is not None:
                    widths[i] = max(widths[i], min(len(str(v)), 80))
        for cell in ws[1]:
            cell.font, cell.fill = header_font, header_fill
        for i, c in enumerate(cols):
            letter = get_column_letter(i + 1)
            ws.column_dimensions[letter].width = max(8, min(widths[i] + 2, 60))
            for cell in ws[letter][1:]:
                # Text that looks like a formula stays text (no formula injection from input data).
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
                elif c in level_columns and cell.value in level_styles:
                    cell.fill, cell.font = level_styles[cell.value]
        ws.freeze_panes = freeze
        if cols:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{max(1, len(rows) + 1)}"

    def clean(v):
        v = _xlsx_value(v)
        return ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v

    for name, (rows, preferred) in tables.items():
        cols = _columns(rows, preferred)
        level_columns = {"level"} if name == "long" else sectors if name == "summary" else set()
        freeze = "C2" if name in ("long", "summary") and cols[:2] == ["iso3", "country"] else "A2"
        sheet(name, cols, [[clean(r.get(c)) for c in cols] for r in rows], level_columns, freeze)
    # what produced the workbook, one key per row
    sheet("provenance", ["key", "value"],
          [[key, clean(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))]
           for key, value in provenance.items()], set(), "A2")
    # Saved to memory first: openpyxl's zip writer, failing on a full disk, is left open on the
    # closed file and prints a traceback when collected; bytes are written (or fail) cleanly.
    buffer = io.BytesIO()
    wb.save(buffer)
    fh.write(buffer.getvalue())


def _staged_files(p: Path, fmt: str, tables: dict, provenance: dict, sectors: set[str],
                  hxl: bool) -> Iterator[tuple[Path, Callable[[BinaryIO], None]]]:
    """(target, write) for each file of the output, built one at a time: a CSV table is
    serialised only when the one before it is staged, so a failure stops at the first."""
    if fmt == "csv":
        for key, target in output_paths(p).items():
            if key == "provenance":
                data = _provenance_bytes(provenance)
            else:
                data = _csv_bytes(*tables[key], key if hxl else None, sectors)
            yield target, lambda handle, data=data: handle.write(data)
    elif fmt == "xlsx":
        yield p, lambda handle: _xlsx_write(handle, tables, provenance, sectors)
    else:
        obj = {"schema_version": provenance["schema_version"], "provenance": provenance}
        for key, (rows, preferred) in tables.items():
            cols = _columns(rows, preferred)   # once per table, not per row
            obj[key] = [{c: _jsonable(r.get(c)) for c in cols} for r in rows]
        data = (json.dumps(obj, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        yield p, lambda handle: handle.write(data)


def write_outputs(path, long_rows: list[dict], summary_rows: list[dict], error_rows: list[dict],
                  provenance: dict, *, sectors: Iterable[str] | None = None, hxl: bool = False) -> list[Path]:
    """Write the long table, the summary, the errors table and the errors summary (one row
    per distinct problem, :func:`build_error_summary`); the format follows ``path``'s
    extension: ``.csv`` (``out.csv``, ``out.summary.csv``, ``out.errors.csv``,
    ``out.errors_summary.csv``, ``out.provenance.json``), ``.xlsx`` (four sheets and
    ``provenance``) or ``.json`` (one object with keys long, summary, errors, errors_summary).

    ``sectors`` (the ruleset's sector slugs) names the summary's sector columns, whose level
    cells XLSX colours and HXL tags ``#severity+level+SLUG``; by default the sectors of the
    long table.  ``hxl`` adds a row of HXL hashtags under each CSV header (CSV only).  A
    ``ruleset`` cell left empty (no country was assessed) is filled from the provenance.

    Written by :mod:`engine.outputfile` like every other mcof output: all files are staged
    beside their targets, then moved over them together, so a failure leaves the previous
    output whole and no temporary file; missing directories are created; permissions follow
    the umask.  The files written are returned.
    """
    p = Path(path)
    fmt = _format(p)
    if hxl and fmt != "csv":
        raise OutputError("HXL hashtags are written in CSV outputs only", file=str(p),
                          hint="name the output .csv, or leave out --hxl")
    ruleset = ((provenance or {}).get("ruleset") or {}).get("id") or ""
    long_rows, summary_rows = _with_ruleset(long_rows, ruleset), _with_ruleset(summary_rows, ruleset)
    sectors = set(sectors) if sectors is not None else {r["sector"] for r in long_rows if r.get("sector")}
    tables = {"long": (long_rows, LONG_COLUMNS), "summary": (summary_rows, None),
              "errors": (error_rows, ERROR_COLUMNS),
              "errors_summary": (build_error_summary(error_rows), ERROR_SUMMARY_COLUMNS)}
    staged: list[tuple[Path, Path]] = []
    try:
        for target, write in _staged_files(p, fmt, tables, provenance, sectors, hxl):
            staged.append((stage(target, write), target))
        return commit(staged)
    except BaseException as error:
        discard(staged)   # commit cleans up after itself; this is for a failure while staging
        if isinstance(error, OutputWriteError):
            # A batch error, so the message names the file like every other batch error.
            raise OutputError(error.message, file=error.where or str(p), hint=error.hint or "") from None
        raise


def _with_ruleset(rows: list[dict], ruleset: str) -> list[dict]:
    """The rows, with an empty ``ruleset`` cell filled (copies; the caller's rows unchanged)."""
    if not ruleset or not any("ruleset" in r and not r["ruleset"] for r in rows):
        return rows
    return [{**r, "ruleset": ruleset} if "ruleset" in r and not r["ruleset"] else r for r in rows]
