"""The whole batch: read the tables, map indicators to profiles, assess them all, write.

Profiles are assessed by the vectorized evaluator (`engine.vectorized`), whose results are
identical to durable-rules' on every rule and row (tests/test_vectorized.py); each row's
result is then assembled by the same code as a single assessment, so a country's entry in
the batch output and `mcof assess` on its profile agree.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from ..assessment import conclusions, upstream_input_facts
from ..errors import McofError
from ..profile import normalize_profile
from ..provenance import SCHEMA_VERSION, file_input, provenance
from ..ruleset import Ruleset, load_ruleset
from ..vectorized import encode, evaluate
from .errors import RowError
from .inputs import InputFile, read_inputs
from .mapping import COUNTRIES, Units, load_mapping
from .outputs import write_outputs
from .profiles import CountryProfile, build_profiles
from .tables import build_error_rows, build_tables

Progress = Callable[[str, int, int], None]


@dataclass
class BatchReport:
    ruleset: Ruleset
    profiles: list[CountryProfile]
    assessments: list[dict | None]
    long_rows: list[dict]
    summary_rows: list[dict]
    error_rows: list[dict]
    not_assessed: dict[str, str] = field(default_factory=dict)   # unit key -> why
    written: list[Path] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)
    units: Units = COUNTRIES
    files: list[InputFile] = field(default_factory=list)   # each input file: its input, release, key column

    @property
    def failed_rows(self) -> list[dict]:
        return [e for e in self.error_rows if e.get("severity") == "error"]

    def counts(self) -> dict[tuple[str, str], int]:
        """(sector, level) -> number of countries with that sector at that level in some phase."""
        counts: dict[tuple[str, str], int] = {}
        for assessment in self.assessments:
            best: dict[str, str] = {}
            for rec in (assessment or {}).get("recommendations", []):
                current = best.get(rec["sector"])
                if current is None or self.ruleset.level_rank(rec["level"]) < self.ruleset.level_rank(current):
                    best[rec["sector"]] = rec["level"]
            for sector, level in best.items():
                counts[(sector, level)] = counts.get((sector, level), 0) + 1
        return counts


def assess_many(ruleset: Ruleset, profiles: Sequence[dict]) -> list[dict]:
    """CONTRACT-shaped results (recommendations, coordination, derived facts) for many
    validated profiles at once. Each justification also lists `input_facts`: the input
    facts behind it, through derived facts, so a batch can explain it from the indicators."""
    evaluation = evaluate(ruleset, encode(ruleset, list(profiles)))
    upstream = {rule.id: sorted(upstream_input_facts(ruleset, rule)) for rule in ruleset.rules}
    results = []
    for row, profile in enumerate(profiles):
        derivation = evaluation.derivation(row, profile)
        result = {"ruleset": ruleset.summary(), "profile": dict(profile)}
        result.update(conclusions(ruleset, derivation))
        for rec in result["recommendations"]:
            for justification in rec["justifications"]:
                justification["input_facts"] = {f: profile[f] for f in upstream[justification["rule"]] if f in profile}
        results.append(result)
    return results


def run_batch(inputs: Sequence[str | Path], mapping_name: str | Path, ruleset_name: str | Path,
              output: str | Path | None, *, overrides: dict | None = None, encoding: str | None = None,
              progress: Progress | None = None, hxl: bool = False, id_column: str | None = None,
              name_column: str | None = None) -> BatchReport:
    """Read, map, assess and write one batch.  ``id_column`` keys the rows by that column
    (units that are not countries: admin codes, P-codes) and ``name_column`` names them,
    in place of the mapping's ISO3 and name columns."""
    ruleset = load_ruleset(ruleset_name)
    mapping = load_mapping(mapping_name, overrides=overrides, id_column=id_column, name_column=name_column)
    step = (lambda name: (lambda done, total: progress(name, done, total))) if progress else (lambda name: None)
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
            rejected.append(RowError(file=str(mapping_name), row=None, column=None, value=None,
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
    report = BatchReport(ruleset, profiles, [r for _, r in pairs], long_rows, summary_rows, error_rows,
                         not_assessed, units=units, files=table.files)
    report.provenance = batch_provenance(ruleset, mapping, inputs, report, id_column=id_column, name_column=name_column)
    if output is not None:
        report.written = write_outputs(output, long_rows, summary_rows, error_rows, report.provenance,
                                       sectors=ruleset.sector_slugs, hxl=hxl, units=units)
    return report


def batch_provenance(ruleset: Ruleset, mapping, inputs: Sequence[str | Path], report: "BatchReport", *,
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
        units.plural: len(report.profiles), "assessed": len(report.profiles) - len(report.not_assessed),
        "not_assessed": len(report.not_assessed), "failed_rows": len(report.failed_rows)})
    return {"schema_version": SCHEMA_VERSION, **record}
