"""batch-diff: what changed between batch outputs (vintages, rulesets, thresholds).

Reads two or more outputs of ``mcof batch`` (the ``.json``, or the long ``.csv`` with its
``.summary.csv`` and ``.provenance.json`` beside it) and compares them unit by unit (the long
table's first column: ``iso3``), sector by sector and phase by phase, in the vocabulary of
``mcof diff`` (`engine.whatif.CHANGE_KINDS`): added, removed, level_raised, level_lowered,
justification_changed. Each change says what is behind it: the rules that fire in one output
and not the other, the unit's facts those rules read that differ, the evidence lines on those
facts that only one output has (they carry the indicator values and the thresholds), the
indicator values both record differently, and the thresholds that differ between the runs.

Outputs of the 2012 and the 2021 ruleset are compared in the 2021 sectors: each 2012 entry is
carried through the crosswalk rule by rule, as the 2021 ruleset inherits it (a 2012 rule ``R``
carried by link ``L`` is the 2021 rule ``R--L``), so the rules compare by id. A split 2012
sector gives one entry per 2021 sector its rules go to; a merge gives one 2021 entry that
names every 2012 sector behind it (``crosswalk``); a 2012 sector moved out of the sectors (to
an operating modality or a cross-cutting issue, which the batch tables do not list) is a
change of its own kind, ``moved_out``, naming where it went.

Units only in some outputs are listed as such, never dropped. Three or more outputs (or two)
give a trend table too: per unit and sector, the highest level in any phase in each output.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..assessment import phase_rank
from ..outputfile import commit, discard, stage
from ..results import Provenanced
from ..ruleset import BUILTIN_NAMES, Ruleset, load_ruleset
from ..whatif import change_kind, facts_behind
from .errors import InputError
from .outputs import _csv_bytes, output_paths, read_csv_cell

# the long table's own columns; its first column names the unit (iso3, or a unit id)
LONG_KEYS = ("sector", "phase", "level", "rules", "facts", "evidence")
# summary columns that are neither a fact, a context value nor a sector
SUMMARY_META = ("country", "unknown_facts", "row_errors", "ruleset")
# provenance.parameters keys that count what a run did rather than say how it was set up
# what a run counted, not what it was set to (a batch of id units counts "units", not "countries")
RUN_COUNTS = ("countries", "units", "assessed", "not_assessed", "failed_rows", "rows")


def unit_count(provenance: dict):
    """How many units a batch output holds, by its provenance (countries or id units)."""
    params = provenance.get("parameters") or {}
    return params.get("countries", params.get("units", "?"))
# a 2012 entry whose crosswalk link leads out of the 2021 sectors
MOVED_OUT = "moved_out"
NOT_A_BATCH_OUTPUT = ("give the .json written by `mcof batch ... --output out.json`, or the long table "
                      "out.csv with out.summary.csv and out.provenance.json beside it")


# ------------------------------------------------------------------------------- reading

@dataclass(frozen=True)
class Entry:
    """One (unit, sector, phase) recommendation of an output; ``via`` lists the crosswalk
    links that carried it into another ruleset's sectors."""
    level: str
    rules: tuple[str, ...]
    via: tuple[dict, ...] = ()


@dataclass
class BatchOutput:
    """One batch output as read: its provenance, its units and their recommendations."""
    path: str
    files: list[str]
    provenance: dict
    ruleset: Ruleset
    unit_column: str
    names: dict[str, str]                                  # unit -> name, in the output's order
    entries: dict[tuple[str, str, str], Entry]             # (unit, sector, phase) -> entry
    evidence: dict[str, tuple[str, ...]]                   # unit -> its evidence lines
    settings: dict[str, dict]                              # unit -> its facts and context values
    warnings: list[str] = field(default_factory=list)


def read_batch_output(path: str | Path) -> BatchOutput:
    """A batch output (``.json``, or the long ``.csv`` with its sidecars) as a :class:`BatchOutput`;
    anything else raises :class:`InputError` naming the file and what to give instead."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".json":
        record, files = _read_json(p), [str(p)]
        provenance, long_rows, summary_rows = record["provenance"], record["long"], record["summary"]
    elif suffix == ".csv":
        provenance, long_rows, summary_rows, files = _read_csv(p)
    else:
        raise InputError(f"not a batch output this command reads ({p.suffix or 'no extension'})", file=str(p),
                         hint="batch-diff reads .json and .csv batch outputs: " + NOT_A_BATCH_OUTPUT)
    if not long_rows:
        raise InputError("the long table has no rows", file=files[0], hint="re-run `mcof batch` on a table with units")
    unit_column = next(iter(long_rows[0]))
    missing = [key for key in LONG_KEYS if key not in long_rows[0]]
    if missing:
        raise InputError(f"no column {', '.join(map(repr, missing))} in the long table: not an mcof batch output",
                         file=files[0], hint=NOT_A_BATCH_OUTPUT)
    ruleset, warnings = _ruleset_of(provenance, str(p))
    output = BatchOutput(str(p), files, provenance, ruleset, unit_column, {}, {}, {}, {}, warnings)
    _take_long(output, long_rows, files[0])
    _take_summary(output, summary_rows)
    return output


def _read_json(p: Path) -> dict:
    try:
        record = json.loads(p.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror or error}", file=str(p), hint="check the path") from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text: not an mcof batch output", file=str(p), hint=NOT_A_BATCH_OUTPUT) from None
    except json.JSONDecodeError as error:
        raise InputError(f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})", file=str(p),
                         hint="the file is damaged or cut short: write it again with `mcof batch ... --output "
                              f"{p.name}`") from None
    if not isinstance(record, dict) or not isinstance(record.get("provenance"), dict):
        raise InputError("no provenance: not an mcof output", file=str(p), hint=NOT_A_BATCH_OUTPUT)
    if not isinstance(record.get("long"), list) or not isinstance(record.get("summary"), list):
        made_by = "an mcof output, but not of `mcof batch`" if record.get("provenance", {}).get("tool") else \
            "not an mcof batch output"
        raise InputError(f"no long and summary tables: {made_by}", file=str(p), hint=NOT_A_BATCH_OUTPUT)
    _check_provenance(record["provenance"], str(p))
    return record


def _read_csv(p: Path) -> tuple[dict, list[dict], list[dict], list[str]]:
    """The long CSV, its summary and its provenance sidecar (`engine.batch.outputs.output_paths`)."""
    for sidecar in ("summary", "errors", "errors_summary", "provenance"):
        if p.name.endswith(f".{sidecar}.csv"):
            long_name = p.name[: -len(f".{sidecar}.csv")] + ".csv"
            raise InputError(f"this is the {sidecar.replace('_', ' ')} table of a batch output", file=str(p),
                             hint=f"give its long table, {long_name}")
    paths = output_paths(p)
    record_path = paths["provenance"]
    if not record_path.is_file():
        raise InputError(f"no provenance sidecar {record_path.name} beside it: not a complete mcof batch output",
                         file=str(p), hint=f"keep {record_path.name} and {paths['summary'].name} beside the CSV, "
                                           "or give the batch's .json output")
    provenance = _read_json_object(record_path)
    _check_provenance(provenance, str(record_path))
    long_rows = _read_csv_table(p)
    summary_rows = _read_csv_table(paths["summary"])
    return provenance, long_rows, summary_rows, [str(p), str(paths["summary"]), str(record_path)]


def _read_json_object(p: Path) -> dict:
    try:
        record = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"cannot read the provenance: {error}", file=str(p),
                         hint="write the batch output again with `mcof batch`") from None
    if not isinstance(record, dict):
        raise InputError("the provenance is not a JSON object", file=str(p), hint=NOT_A_BATCH_OUTPUT)
    return record


def _read_csv_table(p: Path) -> list[dict]:
    """A CSV table written by `write_outputs`, each cell back to its value; an HXL row is skipped."""
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("missing: a CSV batch output is several files", file=str(p),
                         hint="keep the files `mcof batch` wrote together") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read: {error}", file=str(p), hint=NOT_A_BATCH_OUTPUT) from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    if body and body[0] and all(cell == "" or cell.startswith("#") for cell in body[0]):
        body = body[1:]   # --hxl: the hashtag row under the header
    return [{name: read_csv_cell(cell) for name, cell in zip(header, row)} for row in body]


def _check_provenance(record: dict, where: str) -> None:
    ruleset = record.get("ruleset")
    if (record.get("tool") or {}).get("name") != "mcof" or not isinstance(ruleset, dict) or "id" not in ruleset:
        raise InputError("its provenance names no mcof ruleset: not an mcof batch output", file=where,
                         hint=NOT_A_BATCH_OUTPUT)
    if "mapping" not in (record.get("parameters") or {}):
        raise InputError("its provenance names no mapping: an mcof output, but not of `mcof batch`", file=where,
                         hint=NOT_A_BATCH_OUTPUT)


def _ruleset_of(provenance: dict, where: str) -> tuple[Ruleset, list[str]]:
    """The built-in ruleset an output was made with, and a warning when its files have changed
    since (the sector names and the crosswalk are then today's)."""
    wanted = provenance["ruleset"]
    for name in BUILTIN_NAMES:
        ruleset = load_ruleset(name)
        if ruleset.id == wanted["id"]:
            if ruleset.sha256 != wanted.get("sha256"):
                return ruleset, [f"{where} was made with {ruleset.id} sha256:{wanted.get('sha256')}, not today's "
                                 f"sha256:{ruleset.sha256}: its sectors and crosswalk are read from today's"]
            return ruleset, []
    raise InputError(f"made with ruleset {wanted['id']!r}, which is not built into mcof", file=where,
                     hint="batch-diff knows the sectors and the crosswalk of the built-in rulesets "
                          f"({', '.join(BUILTIN_NAMES)}) only")


def _take_long(output: BatchOutput, rows: list[dict], where: str) -> None:
    evidence: dict[str, dict[str, None]] = {}
    for number, row in enumerate(rows, 2):
        unit = str(row.get(output.unit_column) or "")
        if not unit:
            raise InputError(f"no {output.unit_column} in this row of the long table", file=where, row=number,
                             hint="the file was edited: write it again with `mcof batch`")
        output.names.setdefault(unit, str(row.get("country") or unit))
        evidence.setdefault(unit, {}).update(dict.fromkeys(row.get("evidence") or []))
        if row.get("sector"):
            output.entries[(unit, row["sector"], row["phase"])] = Entry(row["level"], tuple(row.get("rules") or ()))
    output.evidence = {unit: tuple(lines) for unit, lines in evidence.items()}


def _take_summary(output: BatchOutput, rows: list[dict]) -> None:
    skip = {output.unit_column, *SUMMARY_META, *output.ruleset.sector_slugs}
    for row in rows:
        unit = str(row.get(output.unit_column) or "")
        if unit:
            output.settings[unit] = {k: v for k, v in row.items() if k not in skip}


# --------------------------------------------------------------------------- the sector space

def sector_space(outputs: Sequence[BatchOutput]) -> Ruleset:
    """The ruleset whose sectors the outputs are compared in: their own when they share it,
    else the one whose crosswalk the other's inherit through (2021 for 2012 and 2021)."""
    rulesets = {o.ruleset.id: o.ruleset for o in outputs}
    for candidate in rulesets.values():
        if all(r is candidate or (candidate.parent is not None and candidate.parent.id == r.id)
               for r in rulesets.values()):
            return candidate
    raise InputError(f"the outputs were made with rulesets {', '.join(sorted(rulesets))}, which no crosswalk relates",
                     file=outputs[0].path, hint="compare outputs of one ruleset, or of 2012 and 2021")


def keyed_alike(outputs: Sequence[BatchOutput]) -> None:
    """Refuse outputs whose units are different kinds of key: nothing would match."""
    first = outputs[0]
    for other in outputs[1:]:
        if other.unit_column != first.unit_column:
            raise InputError(f"keyed by {other.unit_column!r}, but {first.path} by {first.unit_column!r}: their units "
                             "cannot be matched", file=other.path,
                             hint="compare outputs of batches keyed alike (the same mapping, or the same id column)")


def in_space(output: BatchOutput, space: Ruleset) -> tuple[dict[tuple[str, str, str], Entry], list[dict]]:
    """The output's entries in ``space``'s sectors, and its entries that leave them (moved out).

    An output of ``space.parent`` is carried through ``space``'s crosswalk rule by rule, as the
    ruleset inherits it: a carried rule keeps its level and is named ``RULE--LINK``."""
    if output.ruleset.id == space.id:
        return dict(output.entries), []
    parent_rules = {rule.id: rule for rule in output.ruleset.rules}
    carried: dict[tuple[str, str, str], dict] = {}
    moved: dict[tuple[str, str, str, str], dict] = {}
    for (unit, sector, phase), entry in output.entries.items():
        for rule_id in entry.rules:
            rule = parent_rules.get(rule_id)
            if rule is None:   # the output's ruleset had a rule today's has not (see the warning)
                continue
            for link in (link for link in space.crosswalk if link.carries(rule)):
                via = {"from": sector, "link": link.id, "relation": link.relation}
                for kind, slug in link.targets:
                    if kind == "sector":
                        slot = carried.setdefault((unit, slug, phase), {"levels": [], "rules": [], "via": []})
                        slot["levels"].append(rule.conclusion.level)
                        slot["rules"].append(f"{rule_id}--{link.id}")
                        if via not in slot["via"]:
                            slot["via"].append(via)
                    else:
                        moved.setdefault((unit, sector, phase, slug), {
                            "unit": unit, "sector": sector, "phase": phase, "level": entry.level,
                            "rules": list(entry.rules), "to": {kind: slug}, **via})
    entries = {key: Entry(min(slot["levels"], key=space.level_rank), tuple(dict.fromkeys(slot["rules"])),
                          tuple(slot["via"])) for key, slot in carried.items()}
    return entries, list(moved.values())


# -------------------------------------------------------------------------------- the model

@dataclass(frozen=True)
class UnitChange:
    """One (unit, sector, phase) that differs from output A to output B, and what is behind it."""
    unit: str
    name: str
    sector: str
    sector_name: str
    phase: str
    change: str
    from_level: str | None
    to_level: str | None
    rules_gained: tuple[str, ...] = ()
    rules_lost: tuple[str, ...] = ()
    facts_changed: dict = field(default_factory=dict)         # fact -> [A, B]
    indicators_changed: dict = field(default_factory=dict)    # indicator -> [A, B], as the evidence prints them
    thresholds_changed: dict = field(default_factory=dict)    # threshold -> [A, B]
    evidence_a: tuple[str, ...] = ()                          # evidence on those facts only A has
    evidence_b: tuple[str, ...] = ()
    crosswalk: tuple[dict, ...] = ()                          # {from, link, relation[, to]}

    def to_dict(self) -> dict:
        return {"unit": self.unit, "name": self.name, "sector": self.sector, "sector_name": self.sector_name,
                "phase": self.phase, "change": self.change, "from": self.from_level, "to": self.to_level,
                "rules_gained": list(self.rules_gained), "rules_lost": list(self.rules_lost),
                "facts_changed": self.facts_changed, "indicators_changed": self.indicators_changed,
                "thresholds_changed": self.thresholds_changed,
                "evidence_a": list(self.evidence_a), "evidence_b": list(self.evidence_b),
                "crosswalk": [dict(c) for c in self.crosswalk]}


@dataclass(frozen=True)
class DiffStep:
    """Output ``a`` to output ``b`` (indexes into the outputs, in the order given)."""
    a: int
    b: int
    settings_changed: dict
    changes: tuple[UnitChange, ...]
    only_in_a: tuple[dict, ...]
    only_in_b: tuple[dict, ...]

    def counts(self) -> dict[str, dict[str, int]]:
        """change kind -> sector -> number of changes."""
        counts: dict[str, dict[str, int]] = {}
        for c in self.changes:
            per_sector = counts.setdefault(c.change, {})
            per_sector[c.sector] = per_sector.get(c.sector, 0) + 1
        return counts

    def to_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "settings_changed": self.settings_changed,
                "counts": self.counts(), "changes": [c.to_dict() for c in self.changes],
                "only_in_a": list(self.only_in_a), "only_in_b": list(self.only_in_b)}


@dataclass(frozen=True)
class BatchDiff(Provenanced):
    """What changed across batch outputs: one step per consecutive pair, and the trend."""
    space: dict                       # the ruleset whose sectors are compared (summary)
    sectors: dict[str, str]           # slug -> "N. Name" (the space's, then moved-out 2012 ones)
    unit_column: str
    outputs: tuple[dict, ...]         # {file, files, ruleset, provenance}
    steps: tuple[DiffStep, ...]
    trend: tuple[dict, ...]           # {unit, name, sector, sector_name, levels: [level | "" | None], changes}
    warnings: tuple[str, ...] = ()
    schema_version: str | None = None
    provenance: dict | None = None

    def to_dict(self) -> dict:
        return {**self._head(), "compared_in": self.space, "unit_column": self.unit_column,
                "outputs": [dict(o) for o in self.outputs], "warnings": list(self.warnings),
                "steps": [s.to_dict() for s in self.steps], "trend": [dict(r) for r in self.trend],
                "sectors": dict(self.sectors)}


# ------------------------------------------------------------------------------ comparing

def compare_outputs(outputs: Sequence[BatchOutput], *, sectors: Iterable[str] | None = None,
                    units: Iterable[str] | None = None) -> BatchDiff:
    """Compare each output with the next, and all of them in the trend table; ``sectors``
    (slugs of the sector space) and ``units`` keep only those."""
    if len(outputs) < 2:
        raise InputError("give two or more batch outputs to compare", hint=NOT_A_BATCH_OUTPUT)
    keyed_alike(outputs)
    space = sector_space(outputs)
    placed = [in_space(o, space) for o in outputs]
    names = {s.slug: f"{s.number}. {s.name}" for s in space.sectors}
    for o in outputs:
        names.update({s.slug: f"{s.number}. {s.name} ({o.ruleset.id})" for s in o.ruleset.sectors
                      if s.slug not in names})
    keep_sectors = set(sectors) if sectors else None
    keep_units = set(units) if units else None

    def wanted(unit: str, sector: str, via: Iterable[dict] = ()) -> bool:
        return (keep_units is None or unit in keep_units) and (
            keep_sectors is None or sector in keep_sectors or any(v["from"] in keep_sectors for v in via))

    steps = []
    for i in range(len(outputs) - 1):
        a, b = outputs[i], outputs[i + 1]
        (entries_a, moved_a), (entries_b, moved_b) = placed[i], placed[i + 1]
        settings = settings_changed(a.provenance, b.provenance)
        changes = [c for c in _changes(a, b, entries_a, entries_b, space, names, settings.get("thresholds", {}))
                   if wanted(c.unit, c.sector, c.crosswalk)]
        changes += [c for c in _moved_out(a, b, moved_a, moved_b, names, space) if wanted(c.unit, c.sector)]
        order = _unit_order(a, b)
        changes.sort(key=lambda c: (order[c.unit], c.change == MOVED_OUT,
                                    list(names).index(c.sector), phase_rank(c.phase)))
        steps.append(DiffStep(i, i + 1, settings, tuple(changes),
                              tuple(_units(a, set(a.names) - set(b.names), keep_units)),
                              tuple(_units(b, set(b.names) - set(a.names), keep_units))))
    trend = [row for row in _trend(outputs, [entries for entries, _ in placed], space, names)
             if wanted(row["unit"], row["sector"])]
    return BatchDiff(space=space.summary(), sectors=names, unit_column=outputs[0].unit_column,
                     outputs=tuple({"file": o.path, "files": o.files, "ruleset": o.provenance["ruleset"],
                                    "units": unit_count(o.provenance), "provenance": o.provenance} for o in outputs),
                     steps=tuple(steps), trend=tuple(trend),
                     warnings=tuple(w for o in outputs for w in o.warnings))


def _unit_order(*outputs: BatchOutput) -> dict[str, int]:
    order: dict[str, int] = {}
    for o in outputs:
        for unit in o.names:
            order.setdefault(unit, len(order))
    return order


def _units(output: BatchOutput, units: set[str], keep: set[str] | None) -> list[dict]:
    return [{"unit": u, "name": output.names[u],
             "sectors": sorted({s for (unit, s, _) in output.entries if unit == u})}
            for u in output.names if u in units and (keep is None or u in keep)]


def settings_changed(a: dict, b: dict) -> dict:
    """What differs between two runs' provenance: ruleset, mapping, each threshold and
    parameter, the input files, the tool, and any other setting recorded (a vintage, ...)."""
    out: dict[str, Any] = {}
    for key in ("ruleset", "tool"):
        if a.get(key) != b.get(key):
            out[key] = [a.get(key), b.get(key)]
    inputs_a = [(i.get("file"), i.get("sha256")) for i in a.get("inputs") or []]
    inputs_b = [(i.get("file"), i.get("sha256")) for i in b.get("inputs") or []]
    if inputs_a != inputs_b:
        out["inputs"] = [a.get("inputs"), b.get("inputs")]
    pa, pb = a.get("parameters") or {}, b.get("parameters") or {}
    if (pa.get("mapping") or {}).get("sha256") != (pb.get("mapping") or {}).get("sha256") or \
            (pa.get("mapping") or {}).get("name") != (pb.get("mapping") or {}).get("name"):
        out["mapping"] = [pa.get("mapping"), pb.get("mapping")]
    for group in ("thresholds", "parameters"):
        ga, gb = pa.get(group) or {}, pb.get(group) or {}
        differ = {name: [(ga.get(name) or {}).get("value"), (gb.get(name) or {}).get("value")]
                  for name in list(ga) + [n for n in gb if n not in ga]
                  if (ga.get(name) or {}).get("value") != (gb.get(name) or {}).get("value")}
        if differ:
            out[group] = differ
    for key in list(pa) + [k for k in pb if k not in pa]:
        if key not in ("mapping", "thresholds", "parameters", *RUN_COUNTS) and pa.get(key) != pb.get(key):
            out[key] = [pa.get(key), pb.get(key)]
    return out


def _changes(a: BatchOutput, b: BatchOutput, entries_a: dict, entries_b: dict, space: Ruleset,
             names: dict[str, str], thresholds: dict) -> list[UnitChange]:
    rule_ids = {rule.id for rule in space.rules}
    both = set(a.names) & set(b.names)
    out = []
    for key in set(entries_a) | set(entries_b):
        unit, sector, phase = key
        if unit not in both:
            continue
        ea, eb = entries_a.get(key), entries_b.get(key)
        rules_a, rules_b = set(ea.rules) if ea else set(), set(eb.rules) if eb else set()
        kind = change_kind(space, ea.level if ea else None, eb.level if eb else None, rules_a == rules_b)
        if kind is None:
            continue
        gained, lost = rules_b - rules_a, rules_a - rules_b
        causes = facts_behind(space, (gained | lost) & rule_ids)
        out.append(UnitChange(
            unit=unit, name=b.names[unit], sector=sector, sector_name=names.get(sector, sector), phase=phase,
            change=kind, from_level=ea.level if ea else None, to_level=eb.level if eb else None,
            rules_gained=tuple(sorted(gained)), rules_lost=tuple(sorted(lost)),
            crosswalk=(ea.via if ea else ()) + tuple(v for v in (eb.via if eb else ()) if not ea or v not in ea.via),
            **_behind(a, b, unit, causes, thresholds)))
    return out


def _moved_out(a: BatchOutput, b: BatchOutput, moved_a: list[dict], moved_b: list[dict],
               names: dict[str, str], space: Ruleset) -> list[UnitChange]:
    """Entries that the crosswalk carries out of the sectors (no counterpart row). One side
    only: a ``moved_out`` change naming where it went. Both sides (two outputs of the older
    ruleset): compared with each other like any entry, so an unchanged one is no change."""
    both = set(a.names) & set(b.names)
    keyed_a = {(m["unit"], m["sector"], m["phase"]): m for m in moved_a if m["unit"] in both}
    keyed_b = {(m["unit"], m["sector"], m["phase"]): m for m in moved_b if m["unit"] in both}
    out = []
    for key in list(keyed_a) + [k for k in keyed_b if k not in keyed_a]:
        ma, mb = keyed_a.get(key), keyed_b.get(key)
        m = ma or mb
        if ma and mb:
            kind = change_kind(space, ma["level"], mb["level"], set(ma["rules"]) == set(mb["rules"]))
            if kind is None:
                continue
        else:
            kind = MOVED_OUT
        rules_a, rules_b = set(ma["rules"]) if ma else set(), set(mb["rules"]) if mb else set()
        out.append(UnitChange(
            unit=m["unit"], name=b.names[m["unit"]], sector=m["sector"],
            sector_name=names.get(m["sector"], m["sector"]), phase=m["phase"], change=kind,
            from_level=ma["level"] if ma else None, to_level=mb["level"] if mb else None,
            rules_lost=tuple(sorted(rules_a - rules_b)), rules_gained=tuple(sorted(rules_b - rules_a)),
            crosswalk=({"from": m["from"], "link": m["link"], "relation": m["relation"], "to": m["to"]},)))
    return out


def _behind(a: BatchOutput, b: BatchOutput, unit: str, causes: set[str], thresholds: dict) -> dict:
    """What differs behind a change: the unit's facts among ``causes`` (those its rules read)
    that differ, the evidence lines on them that only one output has, the indicator readings
    both record differently, and the thresholds those lines name that the runs set differently."""
    sa, sb = a.settings.get(unit, {}), b.settings.get(unit, {})
    facts = {f: [sa.get(f, "unknown"), sb.get(f, "unknown")] for f in sorted(causes)
             if sa.get(f, "unknown") != sb.get(f, "unknown")}
    # the lines on the facts that changed (a line on an unchanged fact can differ only in what
    # an output left out: a unit with no recommendation lists no phase)
    lines_a = [line for line in a.evidence.get(unit, ()) if concluded_fact(line) in facts]
    lines_b = [line for line in b.evidence.get(unit, ()) if concluded_fact(line) in facts]
    only_a = [line for line in lines_a if line not in lines_b]
    only_b = [line for line in lines_b if line not in lines_a]
    read_a, read_b = readings(only_a), readings(only_b)
    indicators = {label: [read_a[label], read_b[label]] for label in read_a
                  if label in read_b and read_a[label] != read_b[label]}
    named = {name for line in only_a + only_b for name in _THRESHOLD.findall(line)}
    return {"facts_changed": facts, "indicators_changed": indicators,
            "thresholds_changed": {name: v for name, v in thresholds.items() if name in named},
            "evidence_a": tuple(only_a), "evidence_b": tuple(only_b)}


# Evidence lines as engine/batch/profiles.py writes them: "CONDITION -> FACT ...", the
# condition's clauses joined by " or " / " and " after a closing bracket, each clause
# "LABEL VALUE OP THRESHOLD (threshold NAME, BASIS)", "LABEL 'RAW' (= yes)" / "LABEL blank
# (= no)" or "LABEL unknown (WHY)".
_CLAUSE_SPLIT = re.compile(r"(?<=\)) (?:or|and) ")
_COMPARISON = re.compile(r"(?P<label>.+) (?P<value>\S+) (?:>=|>|<=|<) \S+ \(threshold \w+, .*\)")
_FLAG = re.compile(r"(?P<label>.+) (?P<value>'.*'|blank) \(= (?:yes|no)\)")
_UNKNOWN = re.compile(r"(?P<label>.+?) (?P<value>unknown) \(.*\)")
_THRESHOLD = re.compile(r"\(threshold (\w+),")


def concluded_fact(line: str) -> str:
    """The fact an evidence line concludes on: ``... -> crisis_type includes man_made`` is
    about crisis_type, ``... -> whether X includes Y is unknown`` about X."""
    conclusion = line.rpartition(" -> ")[2].split()
    if conclusion[:1] == ["whether"]:
        conclusion = conclusion[1:]
    return conclusion[0] if conclusion else ""


def readings(lines: Iterable[str]) -> dict[str, str]:
    """indicator label -> value as the evidence lines print it (a number, 'YES', blank, unknown)."""
    found: dict[str, str] = {}
    for line in lines:
        condition = line.rpartition(" -> ")[0]
        for clause in _CLAUSE_SPLIT.split(condition):
            match = _COMPARISON.fullmatch(clause) or _FLAG.fullmatch(clause) or _UNKNOWN.fullmatch(clause)
            if match:
                found.setdefault(match["label"], match["value"])
    return found


def _trend(outputs: Sequence[BatchOutput], placed: list[dict], space: Ruleset,
           names: dict[str, str]) -> list[dict]:
    """Per unit and sector of the space: the highest level in any phase in each output ("" not
    recommended, None: the unit is not in that output); a unit with no sector in any output
    has one row with an empty sector, so that no unit is left out."""
    best = []
    for entries in placed:
        levels: dict[tuple[str, str], str] = {}
        for (unit, sector, _), entry in entries.items():
            current = levels.get((unit, sector))
            if current is None or space.level_rank(entry.level) < space.level_rank(current):
                levels[(unit, sector)] = entry.level
        best.append(levels)
    rows = []
    for unit in _unit_order(*outputs):
        name = next(o.names[unit] for o in reversed(outputs) if unit in o.names)
        for sector in space.sector_slugs:
            levels = [levels_k.get((unit, sector), "") if unit in o.names else None
                      for o, levels_k in zip(outputs, best)]
            if any(levels):
                rows.append({"unit": unit, "name": name, "sector": sector, "sector_name": names[sector],
                             "levels": levels, "changes": len(set(levels)) > 1})
        if not rows or rows[-1]["unit"] != unit:   # no sector in any output: one row, as the long table has
            present = ["" if unit in o.names else None for o in outputs]
            rows.append({"unit": unit, "name": name, "sector": "", "sector_name": "", "levels": present,
                         "changes": len(set(present)) > 1})
    return rows


# ------------------------------------------------------------------------------------ CSV

CHANGE_COLUMNS = ["step", "unit", "name", "sector", "sector_name", "phase", "change", "from", "to",
                  "rules_gained", "rules_lost", "facts_changed", "indicators_changed", "thresholds_changed",
                  "evidence_a", "evidence_b", "crosswalk"]


def write_csv(result: BatchDiff, path: str | Path) -> list[Path]:
    """The CSV form: ``X.csv`` (one row per change, each step numbered ``A>B`` by output),
    ``X.trend.csv`` (unit x sector, the level in each output; ``absent`` where the unit is not
    in that output) and ``X.provenance.json``; cells as in the batch tables, the files
    written together or not at all (engine/outputfile.py). The paths written."""
    p = Path(path)
    changes = [{"step": f"{s.a + 1}>{s.b + 1}", **c.to_dict()} for s in result.steps for c in s.changes]
    for row in changes:
        row.update({"from": row["from"] or "", "to": row["to"] or ""})
    labels = [f"level_{i + 1}" for i in range(len(result.outputs))]
    trend = [{"unit": r["unit"], "name": r["name"], "sector": r["sector"], "sector_name": r["sector_name"],
              **{label: "absent" if level is None else level for label, level in zip(labels, r["levels"])}}
             for r in result.trend]
    record = (json.dumps(result.provenance or {}, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    files = {p: _csv_bytes(changes, CHANGE_COLUMNS),
             p.with_name(p.stem + ".trend.csv"): _csv_bytes(trend, ["unit", "name", "sector", "sector_name", *labels]),
             p.with_name(p.stem + ".provenance.json"): record}
    staged: list[tuple[Path, Path]] = []
    try:
        for target, data in files.items():
            staged.append((stage(target, lambda handle, data=data: handle.write(data)), target))
        return commit(staged)
    finally:
        discard(staged)   # after a commit there is nothing left to discard

