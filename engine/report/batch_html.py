"""The batch report (``mcof batch ... --output report.html`` or ``--report``): one
self-contained page an analyst can send. A world choropleth per sector and phase (countries
coloured by level; a country opens its justifications and indicator evidence), a country x
sector heat table that sorts and filters, the countries per sector and level, what was not
assessed and which input rows failed, grouped by reason, and the provenance.

Works without JavaScript (the map then shows each country's highest level in any sector,
and every country's details open in the table); the inline script only switches the map's
sector and phase, sorts and filters. No network: the shapes are package data (worldmap.py).
"""
from __future__ import annotations

import pycountry

from ..model import LEVELS
from .html import _env
from .worldmap import HEIGHT, WIDTH, country_shapes


def _numeric(iso3: str) -> str | None:
    country = pycountry.countries.get(alpha_3=iso3)
    return country.numeric if country else None


def _country(report, profile, assessment) -> dict:
    """One country: its levels by sector and phase, its justifications and evidence."""
    recs = assessment["recommendations"] if assessment else []
    levels: dict[str, dict[str, str]] = {}
    for rec in recs:
        levels.setdefault(rec["sector"], {})[rec["phase"]] = rec["level"]
    best = {sector: min(phases.values(), key=LEVELS.index) for sector, phases in levels.items()}
    return {"iso3": profile.iso3, "name": profile.name, "numeric": _numeric(profile.iso3),
            "assessed": assessment is not None, "why_not": report.not_assessed.get(profile.iso3),
            "levels": levels, "best": best,
            "top": min(best.values(), key=LEVELS.index) if best else None,
            "recommendations": [{"sector": r["sector"], "phase": r["phase"], "level": r["level"],
                                 "rules": [f'{j["rule"]} ({j["citation"]})' for j in r["justifications"]]}
                                for r in recs],
            "evidence": profile.explanation()}


def _grouped(rows: list[dict], key: str) -> list[dict]:
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(str(row[key]), []).append(row)
    return sorted(({"reason": reason, "count": len(items), "rows": items} for reason, items in groups.items()),
                  key=lambda g: -g["count"])


def render_batch_report(report, title: str | None = None) -> str:
    ruleset = report.ruleset
    countries = [_country(report, p, a) for p, a in zip(report.profiles, report.assessments)]
    mapped = report.units.kind == "iso3"   # units keyed by an id are not on the world map
    shapes = country_shapes() if mapped else {}
    by_numeric = {c["numeric"]: c for c in countries if c["numeric"]}
    paths = [{"numeric": n, "name": name, "d": d, "country": by_numeric.get(n)} for n, (name, d) in shapes.items()]
    counts = report.counts()
    sectors = [{"slug": s.slug, "number": s.number, "name": s.name,
                "counts": {level: counts.get((s.slug, level), 0) for level in LEVELS}} for s in ruleset.sectors]
    phases = sorted({r["phase"] for c in countries for r in c["recommendations"]}, key=["before", "during", "after"].index)
    not_assessed = report.not_assessed_reasons()
    data = {"countries": {c["iso3"]: {"levels": c["levels"], "name": c["name"]} for c in countries},
            "sectors": {s["slug"]: f'{s["number"]}. {s["name"]}' for s in sectors}}
    return _env.get_template("batch.html.j2").render(
        title=title or f"MCOF batch: {len(countries)} {report.units.plural} ({ruleset.title})",
        countries=countries, paths=paths, width=WIDTH, height=HEIGHT, sectors=sectors, phases=phases,
        levels=LEVELS, data=data, not_assessed=sorted(not_assessed.items(), key=lambda kv: -kv[1]),
        error_groups=_grouped(report.error_rows, "reason"),
        unmapped=[c for c in countries if c["numeric"] not in shapes], mapped=mapped, units=report.units,
        provenance=report.provenance, ruleset=ruleset.summary())
