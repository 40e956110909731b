"""The output tables of a batch run: long, wide summary, errors, errors summary.

Cells keep their Python values (lists, dicts, booleans, numbers); the writers
(engine/batch/outputs.py) turn them into one form per format.
"""
from __future__ import annotations

import re
from typing import Iterable, Sequence

from ..assessment import phase_rank
from ..model import LEVELS
from .errors import RowError
from .mapping import COUNTRIES, Units
from .profiles import CountryProfile

# The columns of a batch of countries; units keyed by an id have unit_id and unit_name in
# place of iso3 and country (keyed()).
LONG_COLUMNS = ["iso3", "country", "sector_number", "sector", "sector_name", "phase", "level", "rules",
                "citations", "facts", "evidence", "unknown_facts", "note", "ruleset"]
# The summary: iso3, country, phase, the other facts, the context values, one column per
# sector (its highest level), unknown_facts, row_errors, ruleset.
ERROR_COLUMNS = ["file", "row", "column", "value", "reason", "severity", "iso3"]
ERROR_SUMMARY_COLUMNS = ["severity", "reason", "count", "file", "column", "first_row", "iso3", "values"]
SEVERITY_ORDER = ("error", "warning", "skipped")


def keyed(columns: Sequence[str], units: Units) -> list[str]:
    """``columns`` (as a batch of countries names them) with the key and name columns of
    ``units``: ``iso3`` and ``country`` become ``unit_id`` and ``unit_name`` for id units."""
    rename = {COUNTRIES.key: units.key, COUNTRIES.name: units.name}
    return [rename.get(c, c) for c in columns]


def _rank(level: str | None, levels: Sequence[str]) -> int:
    """0 for the highest of ``levels`` (the ruleset's, highest first); unknown ones last."""
    return list(levels).index(level) if level in levels else len(levels)


def _fact_value(v):
    """A fact as a summary cell: its value (a list stays a list, a bool a bool)."""
    return list(v) if isinstance(v, (list, tuple)) else v   # a copy: the profile keeps its own


def evidence_shown(kind: str, status: str, list_known: bool) -> bool:
    """Whether an evidence item goes into a long row: not a context label, and not a member
    of a known list fact that does not hold (the members that hold justify the list)."""
    return kind != "context" and not (kind == "fact" and list_known and status == "false")


def _evidence_for(profile: CountryProfile, facts: Iterable[str]) -> list[str]:
    want = set(facts)
    return [e.text for e in profile.evidence
            if e.fact in want and evidence_shown(e.kind, e.status, isinstance(profile.facts.get(e.fact), list))]


def recommendation_facts(rec: dict) -> tuple[dict, dict]:
    """(the facts a recommendation's rules read, with their values; the input facts behind
    the derived ones): its long row's evidence starts from both."""
    used: dict = {}
    behind: dict = {}
    for j in rec.get("justifications", []) or []:
        for k, v in (j.get("facts") or {}).items():
            used.setdefault(k, v)
        for k, v in (j.get("input_facts") or {}).items():
            behind.setdefault(k, v)
    return used, behind


def _no_recommendation_note(profile: CountryProfile) -> str:
    if profile.facts.get("crisis_type") == []:
        empty = [e for e in profile.evidence if e.fact == "crisis_type" and e.value == [] and e.status == "set"]
        return empty[0].text.split(" -> ")[0] if empty else "no crisis type above threshold"
    if "crisis_type" in profile.unknown:
        return "no recommendation: crisis_type unknown"
    s = "no recommendation: no rule's conditions hold"
    if profile.unknown:
        s += "; unknown facts: " + ", ".join(profile.unknown)
    return s


def build_tables(results, sectors: Sequence | None = None, levels: Sequence[str] = LEVELS, *,
                 ruleset: str | None = None, units: Units = COUNTRIES):
    """(long_rows, summary_rows) from a list of (CountryProfile, assessment_dict).

    ``assessment_dict`` has the CONTRACT.md JSON shape (``recommendations: [{sector, phase,
    level, justifications: [{rule, level, citation, quote, facts}]}]``).  ``sectors`` (the
    ruleset's sectors in order: ``Sector`` objects, whose number and name fill the long
    table's ``sector_number`` and ``sector_name``, or slugs) fixes the summary's sector
    columns; by default the sectors that occur, in order of appearance.  ``levels`` (highest
    first; every ruleset has the contract's three) picks a sector's summary level when it is
    recommended in several phases: the highest.  ``ruleset`` (its id) fills the ``ruleset``
    column; by default the id the assessments carry (``write_outputs`` fills it from the
    provenance when no country was assessed).  ``units`` names the key and name columns
    (``iso3`` and ``country``, or ``unit_id`` and ``unit_name``).
    """
    levels = list(levels)
    results = list(results)
    info = {s.slug: (s.number, s.name) for s in sectors or [] if hasattr(s, "slug")}
    slugs = [getattr(s, "slug", s) for s in sectors or []]
    sector_order = _first_seen(slugs, (rec.get("sector") for _, a in results for rec in _recommendations(a)))
    if ruleset is None:
        ruleset = next((a["ruleset"].get("id") for _, a in results
                        if isinstance((a or {}).get("ruleset"), dict)), None)
    ruleset = ruleset or ""
    # Every country's summary row has the same columns: every fact and context label any has.
    fact_order = _first_seen(["phase"], (f for p, _ in results for f in list(p.facts) + list(p.unknown)))
    context_order = _first_seen([], (c for p, _ in results for c in p.context))
    long_rows: list[dict] = []
    summary_rows: list[dict] = []
    for profile, assessment in results:
        recs = ordered_recommendations(assessment, sector_order)
        if not recs:
            long_rows.append(_no_recommendation_row(profile, ruleset, units))
        long_rows.extend(_long_row(profile, rec, info, ruleset, units) for rec in recs)
        summary_rows.append(_summary_row(profile, recs, fact_order, context_order, sector_order, levels, ruleset,
                                         units))
    return long_rows, summary_rows


def ordered_recommendations(assessment: dict | None, sector_order: list[str]) -> list[dict]:
    """An assessment's recommendations in the long table's order: by sector, then phase."""
    recs = _recommendations(assessment)
    recs.sort(key=lambda r: (sector_order.index(r.get("sector")) if r.get("sector") in sector_order else 999,
                             phase_rank(r.get("phase"))))
    return recs


def _recommendations(assessment: dict | None) -> list[dict]:
    return list((assessment or {}).get("recommendations", []) or [])


def _first_seen(order: list, items: Iterable) -> list:
    """``order`` followed by the items not in it yet, in order of appearance."""
    for item in items:
        if item not in order:
            order.append(item)
    return order


def _no_recommendation_row(profile: CountryProfile, ruleset: str, units: Units) -> dict:
    """The one long row of a unit with no recommendation, saying why."""
    return {units.key: profile.iso3, units.name: profile.name, "sector_number": None, "sector": "",
            "sector_name": "", "phase": "", "level": "", "rules": [], "citations": [], "facts": {},
            "evidence": _evidence_for(profile, [f for f in profile.facts if f != "phase"]),
            "unknown_facts": list(profile.unknown),
            "note": _no_recommendation_note(profile), "ruleset": ruleset}


def _long_row(profile: CountryProfile, rec: dict, info: dict, ruleset: str, units: Units) -> dict:
    """One recommendation (sector, phase) of a unit, with its rules and evidence."""
    justs = rec.get("justifications", []) or []
    used, behind = recommendation_facts(rec)
    number, name = info.get(rec.get("sector"), (None, ""))
    return {
        units.key: profile.iso3, units.name: profile.name, "sector_number": number,
        "sector": rec.get("sector", ""), "sector_name": name,
        "phase": rec.get("phase", ""), "level": rec.get("level", ""),
        "rules": [j.get("rule", "") for j in justs],
        "citations": list(dict.fromkeys(j.get("citation", "") for j in justs if j.get("citation"))),
        "facts": used,
        "evidence": _evidence_for(profile, {**used, **behind}),
        "unknown_facts": list(profile.unknown),
        "note": "", "ruleset": ruleset,
    }


def _summary_row(profile: CountryProfile, recs: list[dict], fact_order: list[str], context_order: list[str],
                 sector_order: list[str], levels: list[str], ruleset: str, units: Units) -> dict:
    """A unit's wide row: its facts (``unknown`` where unknown), context labels and, per
    sector, its highest level."""
    row = {units.key: profile.iso3, units.name: profile.name}
    for f in fact_order:
        row[f] = _fact_value(profile.facts[f]) if f in profile.facts else "unknown"
    for c in context_order:
        row[c] = "" if profile.context.get(c) is None else profile.context.get(c)
    best: dict[str, str] = {}
    for rec in recs:
        s, lvl = rec.get("sector"), rec.get("level")
        if s not in best or _rank(lvl, levels) < _rank(best[s], levels):
            best[s] = lvl
    for s in sector_order:
        row[s] = best.get(s, "")
    row["unknown_facts"] = list(profile.unknown)
    row["row_errors"] = sum(1 for e in profile.row_errors if e.severity == "error")
    row["ruleset"] = ruleset
    return row


def build_error_rows(errors, units: Units = COUNTRIES) -> list[dict]:
    """Rows of the errors table from RowErrors (or an InputTable, or its ``errors``); the
    unit's key column is ``iso3``, or ``unit_id`` for id ``units``."""
    errs = getattr(errors, "errors", errors) or []
    columns = list(zip(keyed(ERROR_COLUMNS, units), ERROR_COLUMNS))
    rows = []
    for e in errs:
        d = e.to_dict() if isinstance(e, RowError) else dict(e)
        rows.append({out: d.get(out, d.get(field, "")) for out, field in columns})
    return rows


def reason_pattern(row: dict, units: Units = COUNTRIES) -> str:
    """A row's reason with what is particular to the row put back as placeholders: the cell's
    value where it is quoted or bracketed (``'{value}'``, ``({value})``), its unit's key
    (``{iso3}``, ``{unit_id}``), a skipped row's name (``({name})``) and row numbers
    (``row {row}``, ``rows {rows}``), so that the same problem in many rows reads the same."""
    reason = str(row.get("reason") or "")
    value = row.get("value")
    if value not in (None, ""):
        text = str(value)
        for old, new in ((repr(text), "'{value}'"), (f"'{text}'", "'{value}'"), (f"({text})", "({value})")):
            reason = reason.replace(old, new)
    key = row.get(units.key)
    if key:
        reason = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(str(key))}(?![A-Za-z0-9_])", f"{{{units.key}}}", reason)
    if row.get("severity") == "skipped" and reason.startswith("skipped: "):
        reason = _name_in_brackets(reason)
    reason = re.sub(r"\brows \d+(, \d+)*", "rows {rows}", reason)
    return re.sub(r"\brow \d+\b", "row {row}", reason)


def _name_in_brackets(reason: str) -> str:
    """A skipped row's reason ends with the row's name in brackets (engine/batch/inputs.py),
    which may hold brackets itself ("Central America (UN)"): that name becomes ``{name}``."""
    if not reason.endswith(")"):
        return reason
    depth = 0
    for i in range(len(reason) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(reason[i], 0)
        if depth == 0:
            return reason[:i] + "({name})" if reason[i - 1:i] == " " else reason
    return reason


def build_error_summary(error_rows: Iterable[dict], units: Units = COUNTRIES) -> list[dict]:
    """One row per distinct problem of the errors table: severity, reason (as
    :func:`reason_pattern` words it), count, file and column, the first row it occurs in,
    and the distinct unit keys (``iso3`` or ``unit_id``) and values it concerns (in order of
    appearance).  Errors first, then warnings and skipped rows; the most frequent first
    within each."""
    groups: dict[tuple, dict] = {}
    for row in error_rows:
        key = (row.get("severity") or "", reason_pattern(row, units), row.get("file") or "", row.get("column") or "")
        group = groups.get(key)
        if group is None:
            group = groups[key] = {"severity": key[0], "reason": key[1], "count": 0, "file": key[2],
                                   "column": key[3], "first_row": row.get("row"), units.key: [], "values": []}
        group["count"] += 1
        if group["first_row"] in (None, "") and row.get("row") not in (None, ""):
            group["first_row"] = row.get("row")
        for name, item in ((units.key, row.get(units.key)), ("values", row.get("value"))):
            if item not in (None, "") and item not in group[name]:
                group[name].append(item)
    def order(g):
        sev = SEVERITY_ORDER.index(g["severity"]) if g["severity"] in SEVERITY_ORDER else len(SEVERITY_ORDER)
        return sev, -g["count"], g["file"], g["column"], g["reason"]
    return sorted(groups.values(), key=order)
