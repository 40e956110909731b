"""The whole batch: read the tables, map indicators to profiles, assess them all, write.

Profiles are assessed by the vectorized evaluator (`engine.vectorized`), whose results are
identical to durable-rules' on every rule and row (tests/test_vectorized.py); each row's
result is then assembled by the same code as a single assessment, so a country's entry in
the batch output and `mcof assess` on its profile agree.

Two paths write the same tables: the row path (here: every unit's profile, evidence and
rows in memory, which the batch report and --explain read) and the columnar path
(columnar.py: column-wise, in chunks, for CSV outputs when no unit need be kept).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from ..errors import McofError
from ..profile import normalize_profile
from ..provenance import SCHEMA_VERSION, file_input, provenance
from ..ruleset import Ruleset, load_ruleset
from .columnar import collector_paused, read_columns, supports, write_columnar
from .errors import RowError
from .inputs import read_inputs
from .mapping import load_mapping
from .outcome import BatchOutcome, assess_many, best_levels
from .outputs import write_outputs
from .profiles import CountryProfile, build_profiles
from .tables import build_error_rows, build_tables

Progress = Callable[[str, int, int], None]
__all__ = ["BatchOutcome", "BatchReport", "assess_many", "batch_provenance", "run_batch"]


@dataclass
class BatchReport(BatchOutcome):
    """A batch run with every unit's profile, assessment and output rows in memory (the row
    path: the batch report and --explain read them)."""
    profiles: list[CountryProfile] = field(default_factory=list)
    assessments: list[dict | None] = field(default_factory=list)
    long_rows: list[dict] = field(default_factory=list)
    summary_rows: list[dict] = field(default_factory=list)
    not_assessed: dict[str, str] = field(default_factory=dict)   # unit key -> why

    @property
    def unit_count(self) -> int:
        return len(self.profiles)

    def not_assessed_reasons(self) -> Counter:
        return Counter(self.not_assessed.values())

    def counts(self) -> dict[tuple[str, str], int]:
        """(sector, level) -> number of units with that sector at that level in some phase."""
        return dict(Counter((sector, level) for assessment in self.assessments
                            for sector, level in best_levels(self.ruleset, assessment).items()))


def run_batch(inputs: Sequence[str | Path], mapping_name: str | Path, ruleset_name: str | Path,
              output: str | Path | None, *, overrides: dict | None = None, encoding: str | None = None,
              progress: Progress | None = None, hxl: bool = False, id_column: str | None = None,
              name_column: str | None = None, keep_profiles: bool = True) -> BatchOutcome:
    """Read, map, assess and write one batch.  ``id_column`` keys the rows by that column
    (units that are not countries: admin codes, P-codes) and ``name_column`` names them,
    in place of the mapping's ISO3 and name columns.

    With ``keep_profiles`` (the default) the result is a :class:`BatchReport` holding every
    unit's profile, assessment and rows; without, a CSV output is written by the columnar
    path (the same files, in chunks, in bounded memory) and the result only counts them."""
    ruleset = load_ruleset(ruleset_name)
    mapping = load_mapping(mapping_name, overrides=overrides, id_column=id_column, name_column=name_column)
    step = (lambda name: (lambda done, total: progress(name, done, total))) if progress else (lambda name: None)
    if not keep_profiles and output is not None and Path(output).suffix.lower() == ".csv" and supports(mapping) is None:
        with collector_paused():
            table = read_columns(list(inputs), mapping, encoding=encoding, progress=step("reading"))
            return write_columnar(table, ruleset, output, lambda outcome: batch_provenance(
                ruleset, mapping, inputs, outcome, id_column=id_column, name_column=name_column), hxl=hxl,
                progress=progress)
    table = read_inputs(list(inputs), mapping, encoding=encoding, progress=step("reading"))
    profiles = build_profiles(table, mapping, progress=step("mapping"))
    assessable, validated, rejected = [], [], []
    not_assessed: dict[str, str] = {}
    for profile in profiles:
        if not profile.assessable:
            not_assessed[profile.iso3] = ("no crisis type above the mapping's thresholds"
                                          if profile.facts.get("crisis_type") == []
                                          else "crisis type unknown: the indicators that decide it are missing")
            continue
        try:
            validated.append(normalize_profile(ruleset, profile.facts, origin=f"{mapping.units.noun} {profile.iso3}"))
            assessable.append(profile)
        except McofError as error:  # a mapping producing facts this ruleset does not know
            rejected.append(RowError(file=str(mapping.path), row=None, column=None, value=None,
                                     reason=str(error), severity="error", iso3=profile.iso3))
            not_assessed[profile.iso3] = f"profile rejected: {error}"
    results = dict(zip((p.iso3 for p in assessable), assess_many(ruleset, validated)))
    if progress:
        progress("assessing", len(assessable), len(assessable))
    pairs = [(p, results.get(p.iso3)) for p in profiles]
    units = mapping.units
    long_rows, summary_rows = build_tables(pairs, sectors=ruleset.sectors, levels=ruleset.levels, ruleset=ruleset.id,
                                           units=units)
    error_rows = build_error_rows(list(table.errors) + rejected, units)
    report = BatchReport(ruleset, error_rows, units, table.files, profiles=profiles,
                         assessments=[r for _, r in pairs], long_rows=long_rows, summary_rows=summary_rows,
                         not_assessed=not_assessed)
    report.provenance = batch_provenance(ruleset, mapping, inputs, report, id_column=id_column, name_column=name_column)
    if output is not None:
        report.written = write_outputs(output, long_rows, summary_rows, error_rows, report.provenance,
                                       sectors=ruleset.sector_slugs, hxl=hxl, units=units)
    return report


def batch_provenance(ruleset: Ruleset, mapping, inputs: Sequence[str | Path], report: BatchOutcome, *,
                     id_column: str | None = None, name_column: str | None = None) -> dict:
    """What produced a batch output: tool, ruleset, the input tables with their sha256, the
    mapping, every threshold and parameter in force with its basis and whether it was
    overridden, the units (their key and name columns in the outputs, and the --id-column and
    --name-column given), how each input was read (its key column, its release when its
    columns show one), and the row counts (CONTRACT.md, "Provenance")."""
    def setting(item) -> dict:
        entry = {"value": item.value, "basis": item.basis, "source": item.source or None}
        if item.overridden:
            entry["overridden"], entry["mapping_default"] = True, item.default
        return entry
    described = {f.path: f.to_dict() for f in report.files}   # how each file was read
    def input_record(path) -> dict:
        return {**file_input(path), **{k: v for k, v in described.get(str(path), {}).items() if k != "path"}}
    units = report.units
    record = provenance(ruleset, [input_record(path) for path in inputs], {
        "mapping": {"name": mapping.name, **file_input(mapping.path)},
        "unit": {"kind": units.kind, "key": units.key, "name": units.name,
                 "id_column": id_column, "name_column": name_column},
        "thresholds": {name: setting(t) for name, t in mapping.thresholds.items()},
        "parameters": {name: setting(p) for name, p in mapping.parameters.items()},
        units.plural: report.unit_count, "assessed": report.unit_count - sum(report.not_assessed_reasons().values()),
        "not_assessed": sum(report.not_assessed_reasons().values()), "failed_rows": len(report.failed_rows),
        "rows": report.row_accounts()})
    return {"schema_version": SCHEMA_VERSION, **record}
