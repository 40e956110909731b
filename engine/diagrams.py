"""The lost Annex I diagrams, reconstructed from the rules (``mcof diagrams``).

MC/2355 Annex I printed one diagram per generic scenario: the 15 sectors by phase, coloured
critical / important / recommended, beside a legend of the systems, clusters and groups they
link to. The drawings did not survive extraction, but the prose they illustrated is the
ruleset, so each diagram can be redrawn from it:

- **base** cells: what holds when only ``crisis_type`` and ``phase`` are known (the scenario
  as such, every phase at once);
- **conditional** cells: what one more input fact would add or raise, e.g. "if
  many_third_country_nationals = true: important". Each fact is tried alone, with every value
  it can take (``candidate_values``); conditions that need two unknown facts at once are not
  drawn, and a diagram says so.

Every cell lists the rules behind it, so a diagram is as traceable as an assessment.
"""
from __future__ import annotations

from typing import Any as AnyValue

from .assessment import PHASE_ORDER, assess, candidate_values
from .profile import normalize_profile
from .provenance import SCHEMA_VERSION, provenance
from .results import Assessment, Coordination, Recommendation
from .ruleset import Ruleset, Scenario

SCENARIO_FACTS = ("crisis_type", "phase")


def _levels(result: Assessment) -> dict[tuple[str, str], Recommendation]:
    return {(r.sector, r.phase): r for r in result.recommendations}


def _rules(entry: Recommendation | Coordination | None) -> list[str]:
    return [j.rule for j in entry.justifications] if entry else []


def scenario_diagram(ruleset: Ruleset, scenario: Scenario) -> dict:
    """One scenario's sector x phase grid: base levels and what single facts would add."""
    base_profile = {"crisis_type": [scenario.crisis_type], "phase": list(PHASE_ORDER)}
    base_result = assess(ruleset, normalize_profile(ruleset, base_profile), explain_absent=False)
    base = _levels(base_result)
    conditional: dict[tuple[str, str], list[dict]] = {}
    for name in ruleset.input_facts():
        if name in SCENARIO_FACTS:
            continue
        for value in candidate_values(ruleset, name):
            profile = normalize_profile(ruleset, {**base_profile, name: value})
            for key, entry in _levels(assess(ruleset, profile, explain_absent=False)).items():
                before = base.get(key)
                if before is None or ruleset.level_rank(entry.level) < ruleset.level_rank(before.level):
                    added = [r for r in _rules(entry) if r not in _rules(before)]
                    conditional.setdefault(key, []).append(
                        {"fact": name, "value": value, "level": entry.level, "rules": added})
    cells = []
    for sector in ruleset.sectors:
        for phase in PHASE_ORDER:
            entry = base.get((sector.slug, phase))
            options = sorted(conditional.get((sector.slug, phase), []),
                             key=lambda c: (ruleset.level_rank(c["level"]), c["fact"], str(c["value"])))
            cells.append({"sector": sector.slug, "phase": phase, "level": entry.level if entry else None,
                          "rules": _rules(entry), "conditional": options})
    return {**scenario.to_dict(), "cells": cells,
            "coordination": [{"partner": c.partner, "partner_name": c.partner_name, "phase": c.phase,
                              "rules": _rules(c)} for c in base_result.coordination]}


def diagrams(ruleset: Ruleset, crisis_types: list[str] | None = None) -> dict:
    """Every scenario's diagram (or those of ``crisis_types``), with the sector catalogue."""
    chosen = [s for s in ruleset.scenarios if not crisis_types or s.crisis_type in crisis_types]
    result: dict[str, AnyValue] = {
        "schema_version": SCHEMA_VERSION,
        "provenance": provenance(ruleset, parameters={"crisis_types": [s.crisis_type for s in chosen]}),
        "ruleset": ruleset.summary(),
        "phases": list(PHASE_ORDER),
        "levels": list(ruleset.levels),
        "sectors": [s.to_dict() for s in ruleset.sectors],
        "linkage_targets": [{"to": t.slug, "kind": t.kind, "name": t.name, "short": t.short}
                            for t in ruleset.linkage_targets.values()],
        "scenarios": [scenario_diagram(ruleset, s) for s in chosen],
        "method": ("base: only crisis_type and phase known (all three phases); conditional: one further "
                   "input fact set to one of its values adds or raises the cell; combinations of two or "
                   "more unknown facts are not drawn"),
    }
    return result
