"""Read one input file into raw cells: CSV in any encoding, Excel .xlsx, HXL-tagged tables.

Row numbers are kept as a spreadsheet user counts them (header = row 1).
"""
from __future__ import annotations

import codecs
import os
import csv
import io
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .. import limits
from .errors import InputError, RowError

CSV_SUFFIXES = {".csv", ".tsv", ".txt", ".tab"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
HXL_TAG = re.compile(r"^#[A-Za-z][A-Za-z0-9_]*(\s*\+\s*[A-Za-z][A-Za-z0-9_]*)*$")
HXL_MIN_TAGS = 2


@dataclass
class RawTable:
    """One input file's header and rows.  ``rows`` is a list (``read_raw``) or, from
    ``open_raw``, an iterator read once, which appends each broken row to ``errors`` as it
    passes it."""
    path: str
    kind: str                     # csv | xlsx
    encoding: str | None
    headers: list[str]
    tags: list[str] | None        # HXL hashtag per column, or None
    rows: list[tuple[int, list]] | Iterator[tuple[int, list]]  # (spreadsheet row number, cells)
    header_row: int = 1
    tag_row: int | None = None
    errors: list[RowError] = field(default_factory=list)   # broken rows, file-level warnings (e.g. other sheets ignored)

    @property
    def name(self) -> str:
        return Path(self.path).name


class Formula:
    """An .xlsx cell holding a formula with no saved (cached) value: the value is not known.

    openpyxl does not compute formulas; a workbook written by a program other than Excel (or
    by openpyxl itself) often has none saved.  ``parse_value`` reports such a cell as bad."""

    __slots__ = ("text",)
    REASON = "formula without a saved value: open and save the file in Excel, or export CSV"

    def __init__(self, text: str):
        self.text = str(text)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Formula) and other.text == self.text

    def __hash__(self) -> int:
        return hash(("Formula", self.text))


def normalize_tag(tag: str) -> tuple[str, frozenset]:
    """'#Country +Code' -> ('#country', {'code'}) (HXL: case-insensitive, attribute order free)."""
    parts = [p.strip().lower() for p in tag.strip().split("+")]
    return parts[0].replace(" ", ""), frozenset(p for p in parts[1:] if p)


def is_hxl_row(cells: list) -> bool:
    vals = [str(c).strip() for c in cells if c is not None and str(c).strip() != ""]
    return bool(vals) and all(HXL_TAG.match(v) for v in vals)


def _hashtag_count(cells: list) -> int:
    return sum(1 for c in cells if c is not None and HXL_TAG.match(str(c).strip()))


# The encodings country tables really come in, tried in this order before any guess.
LADDER = ("utf-8-sig", "utf-16", "utf-8", "cp1252", "latin-1")
_C1_CONTROLS = bytes(range(0x80, 0xA0))


def detect_encoding(data: bytes) -> str:
    """A table's encoding, by a ladder rather than by statistics: UTF-8 (with or without BOM),
    UTF-16 with its BOM, then Windows-1252, then Latin-1 when it has no C1 control bytes.
    Only a file none of these reads is left to charset-normalizer's guess, which the reader
    then reports as a warning (a guess once read INFORM's Latin-1 names as Big5)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for enc in ("utf-8", "cp1252"):
        if _decodes(data, enc):
            return enc
    if not any(byte in _C1_CONTROLS for byte in data):
        return "latin-1"
    from charset_normalizer import from_bytes
    best = from_bytes(data).best()
    return best.encoding if best is not None else "latin-1"


def _mixed_encoding_lines(text: str, enc: str) -> list[int]:
    """Lines of a table read as Windows-1252/Latin-1 that hold UTF-8 sequences ("CÃ´te"):
    a file whose rows were saved in two encodings."""
    if enc not in ("cp1252", "latin-1"):
        return []
    return [n for n, line in enumerate(text.splitlines(), start=1)
            if re.search("[\u00c2-\u00f4][\u0080-\u00bf\u2018-\u203a\u0152-\u0178]", line)]


def _decodes(data: bytes, enc: str) -> bool:
    try:
        data.decode(enc)
        return True
    except UnicodeDecodeError:
        return False


def read_raw(path: str | Path, encoding: str | None = None) -> RawTable:
    """The whole table: header, every row (a list) and its broken rows."""
    table = open_raw(path, encoding)
    table.rows = list(table.rows)
    return table


def open_raw(path: str | Path, encoding: str | None = None) -> RawTable:
    """The table's header, and its rows as an iterator (a CSV file's rows are split as they
    are read: a batch in chunks never holds them all)."""
    p = Path(path)
    if not p.exists():
        raise InputError("input file not found", file=str(p))
    if p.is_dir():
        raise InputError("input is a directory, not a file", file=str(p))
    if not p.is_file():  # a FIFO would block forever, a device never end
        raise InputError("input is not a regular file (a pipe, socket or device)", file=str(p),
                         hint="save the table to a file first")
    # Inputs are read whole: a country (or admin-unit) table is megabytes; past the limit, a mistake.
    size, limit = p.stat().st_size, limits.INPUT_BYTES.value()
    if size > limit:
        raise InputError(f"input is {size:,} bytes, over the limit of {limit:,}", file=str(p),
                         hint=f"split the table, or {limits.INPUT_BYTES.how_to_raise()}")
    suffix = p.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return _read_xlsx(p)
    if suffix == ".xls":
        raise InputError("old Excel format .xls is not supported", file=str(p),
                         hint="save it as .xlsx or .csv")
    if suffix in (".ods", ".json", ".yaml", ".yml", ".parquet"):
        raise InputError(f"unsupported input format {suffix}", file=str(p),
                         hint="give a CSV or .xlsx file")
    return _read_csv(p, encoding)


def _read_csv(p: Path, encoding: str | None) -> RawTable:
    try:
        data = p.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read file: {e.strerror or e}", file=str(p)) from None
    if data[:4] == b"PK\x03\x04":
        raise InputError("this looks like an Excel/zip file, not CSV", file=str(p),
                         hint="give it the .xlsx extension")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # NUL bytes outside UTF-16 mean a binary file: say so rather than dump its "columns"
        raise InputError("not a text table (binary content)", file=str(p),
                         hint="give a CSV (any encoding), an .xlsx workbook or HXL-tagged CSV")
    enc = encoding or detect_encoding(data)
    try:
        codecs.lookup(enc)
    except LookupError:
        raise InputError(f"unknown encoding {enc!r}", file=str(p),
                         hint="e.g. utf-8, latin-1, cp1252") from None
    try:
        text = data.decode(enc)
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise InputError(f"file is not valid {enc}: byte {data[e.start:e.start+1]!r}", file=str(p),
                         row=line, hint="give the right encoding, or leave it out to detect it") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    warnings = _encoding_warnings(str(p), enc, encoding, text)
    if not text.strip():
        raise InputError("file is empty", file=str(p))
    first_line = next((ln for ln in text.splitlines() if ln.strip()), "")
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    delimiter = max(counts, key=counts.get) if max(counts.values()) > 0 else ","
    table = _assemble(str(p), "csv", enc, _csv_records(text, delimiter, str(p)))
    table.errors[:0] = warnings
    return table


def _encoding_warnings(path: str, enc: str, given: str | None, text: str) -> list[RowError]:
    """What a reader should check: a guessed encoding outside the ladder, and mixed rows."""
    out = []
    if given is None and enc not in LADDER:
        sample = ", ".join(line.split(",")[0] for line in text.splitlines()[1:4])
        out.append(RowError(path, None, None, enc, f"encoding guessed as {enc} (not UTF-8, UTF-16, Windows-1252 "
                            f"or Latin-1); names read like: {sample}; give --encoding if they look wrong", "warning"))
    mixed = _mixed_encoding_lines(text, enc)
    if mixed:
        out.append(RowError(path, mixed[0], None, enc, f"{len(mixed)} line(s) look UTF-8 while the file reads as "
                            f"{enc} (mixed encodings), first at line {mixed[0]}: check those names "
                            f"(lines {', '.join(map(str, mixed[:10]))})", "warning"))
    return out


def _csv_records(text: str, delimiter: str, path: str) -> Iterator[tuple[int, int, list]]:
    """Each record with its first and last physical line. An unbalanced quote makes the csv
    module swallow every line up to the next quote into one record: that record is kept (it
    becomes an error row naming its first line) and the lines it swallowed are read again on
    their own, so one stray quote costs one row, not the rest of the table."""
    # csv refuses a field past 128 KiB by failing the whole file; fields are bounded per row
    # instead (_row_problem), so the reader may take anything up to the file's own size.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    physical = io.StringIO(text, newline="").readlines()  # split as csv splits: \n, \r\n or \r
    start = 0
    while start < len(physical):
        source = _LinesFrom(physical, start)
        reader = csv.reader(source, delimiter=delimiter, strict=False)
        restart = None
        try:
            for record in reader:
                first, last = source.first_of_record + 1, source.index
                yield first, last, record
                if last > first and any("\n" in cell or "\r" in cell for cell in record):
                    restart = first  # 0-based index of the line after the record's first line
                    break
                source.mark()
        except csv.Error as e:
            raise InputError(f"malformed CSV: {e}", file=path, row=source.first_of_record + 1) from None
        start = restart if restart is not None else len(physical)


class _LinesFrom:
    """Physical lines from an index on, for csv.reader, knowing where each record began."""

    def __init__(self, lines: list[str], start: int):
        self.lines, self.index, self.first_of_record = lines, start, start

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.index >= len(self.lines):
            raise StopIteration
        self.index += 1
        return self.lines[self.index - 1]

    def mark(self) -> None:
        self.first_of_record = self.index


def _unpacked_size(p: Path) -> int:
    """What the workbook's zip would expand to (a few kilobytes can claim gigabytes)."""
    import zipfile
    try:
        with zipfile.ZipFile(p) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        return 0  # not a zip: openpyxl says what is wrong with it


def _read_xlsx(p: Path) -> RawTable:
    unpacked, limit = _unpacked_size(p), limits.INPUT_BYTES.value()
    if unpacked > limit:
        raise InputError(f"the workbook unpacks to {unpacked:,} bytes, over the limit of {limit:,}",
                         file=str(p), hint=f"save the sheet as CSV, or {limits.INPUT_BYTES.how_to_raise()}")
    try:
        import openpyxl
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a bad workbook
        raise InputError(f"cannot read Excel workbook: {e}", file=str(p),
                         hint="is it a valid .xlsx file?") from None
    try:
        sheetnames = list(wb.sheetnames)
        ws = wb.worksheets[0]
        title = ws.title
        # The rows actually present, not the extent the file declares (which can claim a
        # million rows and columns for a table of ten).
        ws.reset_dimensions()
        values = [list(row) for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    if any(v is None for row in values for v in row):
        _mark_unsaved_formulas(p, values)
    records = [["" if v is None else v for v in row] for row in values]
    table = _assemble(str(p), "xlsx", None, ((n, n, r) for n, r in enumerate(records, start=1)))
    if len(sheetnames) > 1:
        others = [n for n in sheetnames if n != title]
        table.errors.append(RowError(str(p), None, None, title,
                                     f"read only the first sheet {title!r} of {len(sheetnames)} "
                                     f"(ignored: {', '.join(repr(n) for n in others)})", "warning"))
    return table


def _mark_unsaved_formulas(p: Path, values: list[list]) -> None:
    """Replace, in place, each blank (None) cached value whose cell holds a formula by a
    :class:`Formula`: a formula with no saved value is unknown, not blank."""
    import openpyxl
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=False)
    except Exception:  # it opened once with data_only=True; keep what was read
        return
    try:
        for i, row in enumerate(wb.worksheets[0].iter_rows(values_only=True)):
            if i >= len(values):
                break
            cached = values[i]
            for j, v in enumerate(row):
                if j >= len(cached) or cached[j] is not None or v is None:
                    continue
                if isinstance(v, str):
                    if v.startswith("="):
                        cached[j] = Formula(v)
                elif isinstance(v, (ArrayFormula, DataTableFormula)):
                    cached[j] = Formula(getattr(v, "text", None) or f"=TABLE({v.ref})")
    finally:
        wb.close()


def _assemble(path: str, kind: str, enc: str | None, records: Iterable[tuple[int, int, list]]) -> RawTable:
    """Header, HXL tags and the data rows of (first line, last line, cells) records; rows are
    numbered by the line they start on (a spreadsheet's row, or a CSV's line)."""
    records = iter(records)
    head: list[tuple[int, int, list]] = []
    # Header: first non-empty record.
    for record in records:
        if any(str(c).strip() for c in record[2]):
            head.append(record)
            break
    if not head:
        raise InputError("file has no header row", file=path)
    head.extend(_take(records, 1))
    # HXL: the hashtag row is the header itself (a table with tags and no header) or the row
    # just under it, made only of hashtags, at least two of them (a data row holding only
    # '#comment' is data).
    tag_idx = next((k for k, (_, _, r) in enumerate(head) if is_hxl_row(r) and _hashtag_count(r) >= HXL_MIN_TAGS), None)
    if tag_idx is not None:
        tags_cells = head[tag_idx][2]
        headers = [str(c).strip() for c in head[max(tag_idx - 1, 0)][2]]
        width = max(len(headers), len(tags_cells))
        tags = [str(c).strip() for c in tags_cells] + [""] * (width - len(tags_cells))
        header_row, rest = head[max(tag_idx - 1, 0)][0], head[tag_idx + 1:]
    else:
        headers = [str(c).strip() for c in head[0][2]]
        tags = None
        width = len(headers)
        header_row, rest = head[0][0], head[1:]
    headers = headers + [""] * (width - len(headers))
    table = RawTable(path, kind, enc, headers, tags, iter(()), header_row=header_row,
                     tag_row=head[tag_idx][0] if tag_idx is not None else None)
    table.rows = _data_rows(path, width, itertools.chain(rest, records), table.errors)
    return table


def _take(records: Iterator, n: int) -> list:
    return [record for _, record in zip(range(n), records)]


def _data_rows(path: str, width: int, records: Iterator[tuple[int, int, list]],
               errors: list[RowError]) -> Iterator[tuple[int, list]]:
    """(row number, cells) of every data row that is not blank; a broken row (short, long,
    a runaway quote) goes to ``errors`` instead."""
    max_chars = limits.CELL_CHARS.value()  # once per table: this loop runs once per row
    for first, last, r in records:
        if not any(str(c).strip() for c in r):
            continue
        problem = _row_problem(r, width, first, last, max_chars)
        if problem:
            errors.append(RowError(path, first, None, None, problem, "error"))
        else:
            yield first, list(r[:width])  # past the width only empty cells (checked above)


def _row_problem(cells: list, width: int, first: int, last: int, max_chars: int) -> str | None:
    """Why a row cannot be read cell by cell, or None. A row is never padded into facts: a
    short or long row, or one whose quote swallowed the lines after it, is an error row."""
    if last > first and any("\n" in str(c) or "\r" in str(c) for c in cells):
        return (f"a quoted field opened on line {first} runs to line {last} (an unbalanced quote?): "
                f"the row is not used; the {last - first} line(s) it swallowed are read on their own")
    lengths = [len(str(c)) for c in cells]
    if lengths and max(lengths) > max_chars:
        longest = lengths.index(max(lengths))
        return (f"cell {longest + 1} holds {lengths[longest]:,} characters, over the limit of {max_chars:,} "
                f"({limits.CELL_CHARS.how_to_raise()}): the row is not used")
    filled = len(cells)
    while filled > width and not str(cells[filled - 1]).strip():
        filled -= 1  # trailing empty cells (a stray delimiter at the end of the line) are harmless
    if filled > width:
        return f"{filled} cells where the header has {width}: the row is not used"
    if len(cells) < width:
        return f"{len(cells)} cells where the header has {width}: the row is not used (nothing is padded)"
    return None
