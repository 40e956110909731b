"""The output tables of a batch run: long, wide summary, errors."""
from __future__ import annotations

from typing import Iterable, Sequence

from ..assessment import phase_rank
from ..model import LEVELS
from .errors import RowError
from .profiles import CountryProfile

LONG_COLUMNS = ["iso3", "country", "sector", "phase", "level", "rules", "citations",
                "facts", "evidence", "unknown_facts", "note"]
ERROR_COLUMNS = ["file", "row", "column", "value", "reason", "severity", "iso3"]


def _rank(level: str | None, levels: Sequence[str]) -> int:
    """0 for the highest of ``levels`` (the ruleset's, highest first); unknown ones last."""
    return list(levels).index(level) if level in levels else len(levels)


def _fact_text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    return "" if v is None else str(v)


def _evidence_for(profile: CountryProfile, facts: Iterable[str]) -> list[str]:
    out = []
    want = set(facts)
    for e in profile.evidence:
        if e.fact not in want or e.kind == "context":
            continue
        if e.kind == "fact" and isinstance(profile.facts.get(e.fact), list) and e.status == "false":
            continue   # a list fact's membership is justified by the members that hold
        out.append(e.text)
    return out


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


def build_tables(results, sectors: list[str] | None = None, levels: Sequence[str] = LEVELS):
    """(long_rows, summary_rows) from a list of (CountryProfile, assessment_dict).

    ``assessment_dict`` has the CONTRACT.md JSON shape (``recommendations: [{sector, phase,
    level, justifications: [{rule, level, citation, quote, facts}]}]``).  ``sectors`` (the
    ruleset's sector slugs, in order) fixes the summary's sector columns; by default the
    sectors that occur, in order of appearance.  ``levels`` (highest first; every ruleset has
    the contract's three) picks a sector's summary level when it is recommended in several
    phases: the highest.
    """
    levels = list(levels)
    results = list(results)
    sector_order = _first_seen(list(sectors or []), (rec.get("sector") for _, a in results
                                                     for rec in _recommendations(a)))
    # Every country's summary row has the same columns: every fact and context label any has.
    fact_order = _first_seen([], (f for p, _ in results for f in list(p.facts) + list(p.unknown)))
    context_order = _first_seen([], (c for p, _ in results for c in p.context))
    long_rows: list[dict] = []
    summary_rows: list[dict] = []
    for profile, assessment in results:
        recs = _recommendations(assessment)
        recs.sort(key=lambda r: (sector_order.index(r.get("sector")) if r.get("sector") in sector_order else 999,
                                 phase_rank(r.get("phase"))))
        if not recs:
            long_rows.append(_no_recommendation_row(profile))
        long_rows.extend(_long_row(profile, rec) for rec in recs)
        summary_rows.append(_summary_row(profile, recs, fact_order, context_order, sector_order, levels))
    return long_rows, summary_rows


def _recommendations(assessment: dict | None) -> list[dict]:
    return list((assessment or {}).get("recommendations", []) or [])


def _first_seen(order: list, items: Iterable) -> list:
    """``order`` followed by the items not in it yet, in order of appearance."""
    for item in items:
        if item not in order:
            order.append(item)
    return order


def _no_recommendation_row(profile: CountryProfile) -> dict:
    """The one long row of a country with no recommendation, saying why."""
    return {"iso3": profile.iso3, "country": profile.name, "sector": "", "phase": "",
            "level": "", "rules": [], "citations": [], "facts": {},
            "evidence": _evidence_for(profile, [f for f in profile.facts if f != "phase"]),
            "unknown_facts": list(profile.unknown),
            "note": _no_recommendation_note(profile)}


def _long_row(profile: CountryProfile, rec: dict) -> dict:
    """One recommendation (sector, phase) of a country, with its rules and evidence."""
    justs = rec.get("justifications", []) or []
    used: dict = {}
    behind: dict = {}  # the input facts behind derived ones: the evidence starts there
    for j in justs:
        for k, v in (j.get("facts") or {}).items():
            used.setdefault(k, v)
        for k, v in (j.get("input_facts") or {}).items():
            behind.setdefault(k, v)
    return {
        "iso3": profile.iso3, "country": profile.name,
        "sector": rec.get("sector", ""), "phase": rec.get("phase", ""), "level": rec.get("level", ""),
        "rules": [j.get("rule", "") for j in justs],
        "citations": list(dict.fromkeys(j.get("citation", "") for j in justs if j.get("citation"))),
        "facts": used,
        "evidence": _evidence_for(profile, {**used, **behind}),
        "unknown_facts": list(profile.unknown),
        "note": "",
    }


def _summary_row(profile: CountryProfile, recs: list[dict], fact_order: list[str], context_order: list[str],
                 sector_order: list[str], levels: list[str]) -> dict:
    """A country's wide row: its facts, context labels and, per sector, its highest level."""
    row = {"iso3": profile.iso3, "country": profile.name}
    for f in fact_order:
        row[f] = _fact_text(profile.facts[f]) if f in profile.facts else "unknown"
    for c in context_order:
        row[c] = "" if profile.context.get(c) is None else profile.context.get(c)
    best: dict[str, str] = {}
    for rec in recs:
        s, lvl = rec.get("sector"), rec.get("level")
        if s not in best or _rank(lvl, levels) < _rank(best[s], levels):
            best[s] = lvl
    for s in sector_order:
        row[s] = best.get(s, "")
    row["unknown_facts"] = ", ".join(profile.unknown)
    row["row_errors"] = sum(1 for e in profile.row_errors if e.severity == "error")
    return row


def build_error_rows(errors) -> list[dict]:
    """Rows of the errors table from RowErrors (or an InputTable, or its ``errors``)."""
    errs = getattr(errors, "errors", errors) or []
    rows = []
    for e in errs:
        d = e.to_dict() if isinstance(e, RowError) else dict(e)
        rows.append({k: d.get(k, "") for k in ERROR_COLUMNS})
    return rows
