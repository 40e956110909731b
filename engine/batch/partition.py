"""One partition of a unit table through the columnar batch path, for a Dask or Spark job
whose table outgrows one machine (docs/batch.md, "Tables that outgrow one machine").

    tables = assess_partition(frame, "inform", "2012", source="inform.csv")
    tables.long, tables.summary, tables.errors      # DataFrames of the cells `mcof batch` writes
    whole = combine_partitions([assess_partition(part, ...) for part in parts])

A partition is the primary input's rows (a single-input mapping: INFORM alone, a table of
units by id) as a DataFrame of the cells as written, its index the rows' position in the
file. It goes through the columnar path's own reading, mapping, assessment and CSV writing
(``columns_of``, ``write_tables``), and its tables are read back from the very CSV text the
batch writes, so each cell is what ``mcof batch`` writes for that unit. The frame is not
turned into CSV bytes for ``open_raw``: that would renumber its rows from 2 and detect an
encoding and a delimiter again on text that is already cells.

What only the whole table can know: a unit listed in two partitions is not reported as a
duplicate (each partition keeps its own), and file-level warnings come once per partition
(``combine_partitions`` keeps one of each).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd

from ..provenance import file_input
from ..ruleset import load_ruleset
from .columnar import columns_of, supports, write_tables
from .errors import InputError, MappingError
from .mapping import Units, load_mapping
from .outputs import _csv_bytes
from .pipeline import batch_provenance
from .readers import RawTable, _assemble
from .tables import ERROR_COLUMNS, ERROR_SUMMARY_COLUMNS, LONG_COLUMNS, build_error_summary, keyed

AS_WRITTEN = ("read the table with every column as text and no missing-value detection "
              "(pandas or dask: read_csv(..., dtype=str, keep_default_na=False)); a short row must be fixed in the file")


@dataclass
class PartitionTables:
    """What ``mcof batch`` writes for a partition's units: its long, summary and errors
    tables (every cell a string, as in the CSV files) and its provenance."""
    long: pd.DataFrame
    summary: pd.DataFrame
    errors: pd.DataFrame
    provenance: dict
    units: Units

    @property
    def errors_summary(self) -> pd.DataFrame:
        return _frame(_csv_bytes(build_error_summary(self.errors.to_dict("records"), self.units),
                                 keyed(ERROR_SUMMARY_COLUMNS, self.units)))


def assess_partition(frame: pd.DataFrame, mapping_name: str | Path, ruleset_name: str | Path, *,
                     source: str = "partition", overrides: dict | None = None, id_column: str | None = None,
                     name_column: str | None = None) -> PartitionTables:
    """Map and assess the units of one partition of a table, as ``run_batch(...,
    keep_profiles=False)`` does the whole table. ``source`` names the file in errors and
    evidence; each row's number is its index + 2 (the header is row 1), the file's own when
    the index counts the file's data rows (a table read whole by pandas, no blank lines)."""
    ruleset = load_ruleset(ruleset_name)
    mapping = load_mapping(mapping_name, overrides=overrides, id_column=id_column, name_column=name_column)
    why_not = supports(mapping)
    if why_not:
        raise MappingError(f"a partition is assessed by the columnar path, which cannot run this mapping: {why_not}",
                           file=str(mapping.path))
    raw = frame_table(frame, source)
    long_out, summary_out = io.StringIO(newline=""), io.StringIO(newline="")
    outcome = write_tables(columns_of([raw], mapping), ruleset, long_out, summary_out)
    record = batch_provenance(ruleset, mapping, [], outcome, id_column=id_column, name_column=name_column)
    rows = [int(i) + 2 for i in frame.index]
    record["inputs"] = [{"file": source, "first_row": min(rows, default=None), "last_row": max(rows, default=None),
                         **{k: v for k, v in f.to_dict().items() if k != "path"}} for f in outcome.files]
    units = mapping.units
    return PartitionTables(_frame(long_out.getvalue().encode("utf-8")), _frame(summary_out.getvalue().encode("utf-8")),
                           _frame(_csv_bytes(outcome.error_rows, keyed(ERROR_COLUMNS, units))), record, units)


def long_columns(mapping_name: str | Path = "inform", *, id_column: str | None = None) -> list[str]:
    """The long table's columns (``meta`` of a Dask ``map_partitions``)."""
    return keyed(LONG_COLUMNS, load_mapping(mapping_name, id_column=id_column).units)


def frame_table(frame: pd.DataFrame, source: str) -> RawTable:
    """A DataFrame of cells as written, as the reader opens a CSV file: its header, its rows
    numbered by the index (+ 2), blank and broken rows reported as the reader reports them."""
    for column, dtype in frame.dtypes.items():
        if not (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)):
            raise InputError(f"column {column!r} holds {dtype} values, not the cells as written", file=source,
                             hint=AS_WRITTEN)
    cells = frame.astype(object)
    missing = cells.isna()
    if missing.to_numpy().any():
        at, column = missing.stack()[lambda found: found].index[0]
        raise InputError("a cell is missing (NA): a short row, or missing values read as NA", file=source,
                         row=int(at) + 2, column=str(column), hint=AS_WRITTEN)
    records = [(1, 1, [str(c) for c in frame.columns])]
    records += [(int(i) + 2, int(i) + 2, row) for i, row in zip(frame.index, cells.to_numpy().tolist())]
    return _assemble(source, "csv", None, records)


def combine_partitions(parts: Sequence[PartitionTables], inputs: Sequence[str | Path] = ()) -> PartitionTables:
    """The whole table's tables from its partitions' (in the table's order): long and summary
    concatenated, the errors too with each file-level warning (no row) once, the provenance's
    counts summed. ``inputs``: the files partitioned, when at hand, to pin them by sha256."""
    if not parts:
        raise ValueError("no partition to combine")
    first = parts[0]
    errors = pd.concat([p.errors for p in parts], ignore_index=True)
    errors = errors[~(errors["row"].eq("") & errors.duplicated())].reset_index(drop=True)
    return PartitionTables(pd.concat([p.long for p in parts], ignore_index=True),
                           pd.concat([p.summary for p in parts], ignore_index=True)[list(first.summary.columns)],
                           errors, _combined_provenance([p.provenance for p in parts], first.units, inputs), first.units)


def _combined_provenance(records: list[dict], units: Units, inputs: Sequence[str | Path]) -> dict:
    """The first partition's provenance with every count summed over the partitions, their
    inputs listed (each with its rows), and the files partitioned by sha256 when given."""
    whole = {**records[0], "parameters": dict(records[0]["parameters"])}
    params = whole["parameters"]
    for count in (units.plural, "assessed", "not_assessed", "failed_rows"):
        params[count] = sum(r["parameters"][count] for r in records)
    accounts: dict[str, dict] = {}
    for r in records:
        for account in r["parameters"]["rows"]:
            total = accounts.setdefault(account["file"], dict.fromkeys(account, 0) | {"file": account["file"]})
            for k, v in account.items():
                if k != "file":
                    total[k] += v
    params["rows"] = list(accounts.values())
    whole["partitions"] = [i for r in records for i in r["inputs"]]
    whole["inputs"] = [file_input(p) for p in inputs] if inputs else whole["partitions"]
    return whole


def _frame(data: bytes) -> pd.DataFrame:
    """A CSV table the batch writes, every cell a string as written ("" for an empty cell)."""
    records = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    return pd.DataFrame(records[1:], columns=records[0], dtype=object) if records else pd.DataFrame()
