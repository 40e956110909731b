"""What the assess page shows, built from the engine's results: the form from the fact
catalogue, the sector x phase grid, the wheel, the why / why-not panel of the opened cell and
the diff against the pinned profile. Presentation only: every level, reason and change is the
engine's (``Service``); this module lays them out and makes the links.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..engine.assessment import PHASE_ORDER
from ..engine.report.html import fmt_value
from ..engine.report.wheel import wheel_svg
from ..engine.results import Assessment, Diff, Explanation, PhaseExplanation
from ..engine.ruleset import Ruleset
from .query import View, kept_in, profile_pairs, raw_facts
from .service import Service

# The facts a profile cannot do without (engine/profile.py refuses a profile lacking them).
REQUIRED = ("crisis_type", "phase")
CHANGE_WORDS = {"added": "added", "removed": "removed", "level_raised": "raised", "level_lowered": "lowered",
                "justification_changed": "rules changed"}


def sector_names(ruleset: Ruleset) -> dict[str, str]:
    """Each sector's slug -> "N. Name", as the pages show a sector."""
    return {s.slug: f"{s.number}. {s.name}" for s in ruleset.sectors}


def form_fields(ruleset: Ruleset, texts: dict[str, list[str]]) -> list[dict]:
    """Every input fact as a form field: its kind of control, values, meaning, source, and
    the value it holds (``texts``: each fact's values as the query gives them)."""
    fields = []
    for name, spec in ruleset.input_facts().items():
        given = texts.get(name, [])
        if spec.type == "bool":
            control = "three-way"
        elif spec.type == "enum":
            control = "checkboxes" if spec.is_list else "select"
        else:
            control = spec.type
        current = given if spec.is_list else (given[0] if given else "")
        fields.append({"name": name, "control": control, "choices": spec.values or [], "current": current,
                       "meaning": spec.meaning, "source": str(spec.source) if spec.source else None,
                       "quote": spec.quote, "min": spec.minimum, "max": spec.maximum,
                       "required": name in REQUIRED})
    return fields


def _changes(diff: Diff | None) -> dict[tuple[str, str], Any]:
    return {(c.sector, c.phase): c for c in (diff.changes if diff else ())}


def grid(ruleset: Ruleset, result: Assessment, view: View, diff: Diff | None) -> list[dict]:
    """One row per sector, one cell per phase: level, whether the phase was assessed, the
    change since the pin, and the link that opens the cell's why / why-not."""
    levels = result.levels()
    changes = _changes(diff)
    phases = result.profile.get("phase", [])
    rows = []
    for sector in ruleset.sectors:
        cells = []
        for phase in PHASE_ORDER:
            change = changes.get((sector.slug, phase))
            cells.append({
                "id": f"cell-{sector.slug}-{phase}", "phase": phase, "level": levels.get((sector.slug, phase)),
                "assessed": phase in phases, "open": view.cell == (sector.slug, phase),
                "change": CHANGE_WORDS[change.change] if change else None,
                "was": change.from_level if change else None,
                "query": view.query(cell=(sector.slug, phase), rules=ruleset)})
        rows.append({"slug": sector.slug, "number": sector.number, "name": sector.name, "cells": cells})
    return rows


def wheel(ruleset: Ruleset, result: Assessment) -> str:
    """The assessment as MCOF's wheel (engine/report/wheel.py): a cell that one unknown fact
    would fill is hatched, as in the diagrams."""
    conditional = {(n.sector, n.phase): [w.to_dict() for w in n.would_change_if]
                   for n in result.not_recommended or ()}
    cells = [{"sector": s.slug, "phase": p, "level": result.levels().get((s.slug, p)),
              "conditional": conditional.get((s.slug, p), [])} for s in ruleset.sectors for p in PHASE_ORDER]
    names = {s.crisis_type: s.name for s in ruleset.scenarios}
    crisis = " + ".join(names.get(c, c) for c in result.profile.get("crisis_type", []))
    return wheel_svg({"name": crisis, "cells": cells}, [s.to_dict() for s in ruleset.sectors], list(PHASE_ORDER),
                     f"{crisis}: sectors of assistance by phase ({ruleset.id})")


def try_query(view: View, ruleset: Ruleset, fact: str, value: Any) -> str:
    """The page with one more fact set (a why-not's "try it")."""
    profile = {**(view.profile or {}), fact: value}
    return view.query(profile=profile, rules=ruleset)


@dataclass
class WhyPanel:
    """The opened cell: the engine's explanation of its sector, and the phase clicked."""
    explanation: Explanation
    phase: PhaseExplanation | None
    sector: dict
    derived: dict[str, Any]          # derived fact -> its DerivedFact (the chain back to inputs)
    try_links: list[dict]


def why_panel(service: Service, view: View, ruleset: Ruleset) -> WhyPanel | None:
    if view.cell is None or view.profile is None:
        return None
    sector, phase = view.cell
    explanation = service.explain(view.ruleset, view.profile, sector)
    entry = next((p for p in explanation.phases if p.phase == phase), None)
    tries = [{"fact": w.fact, "value": fmt_value(w.value), "level": w.level,
              "query": try_query(view, ruleset, w.fact, w.value)}
             for w in (entry.would_change_if if entry else ())]
    return WhyPanel(explanation, entry, ruleset.sector(sector).to_dict(),
                    {d.fact: d for d in explanation.derived_facts}, tries)


def switch_query(view: View, service: Service, target: str) -> str:
    """The same view under the other ruleset, keeping the facts it knows."""
    rs = service.ruleset(target)
    profile = kept_in(rs, view.profile)
    return View(target, profile, kept_in(rs, view.pin), None).query(rules=rs)


def page_context(service: Service, view: View, texts: dict[str, list[str]] | None = None) -> dict:
    """Everything the assess template needs for this view (``texts``: the form's values when
    the query could not be read as a profile, so the form keeps what the user typed)."""
    ruleset = service.ruleset(view.ruleset)
    if texts is None:
        texts = raw_facts(profile_pairs(ruleset, view.profile or {}))
    context: dict[str, Any] = {
        "view": view, "ruleset": ruleset, "fields": form_fields(ruleset, texts),
        "switch": {name: switch_query(view, service, name) for name in service.rulesets},
        "result": None, "diff": None, "why": None}
    if view.profile is None:
        return context
    result = service.assess(view.ruleset, view.profile)
    diff = service.diff(view.ruleset, view.pin, view.profile) if view.pin and view.pin != view.profile else None
    context.update(
        result=result, diff=diff, names=sector_names(ruleset), grid=grid(ruleset, result, view, diff),
        wheel=wheel(ruleset, result), why=why_panel(service, view, ruleset),
        query=view.query(rules=ruleset), query_no_cell=view.query(cell=None, rules=ruleset),
        pin_query=View(view.ruleset, view.profile, view.profile, view.cell).query(rules=ruleset),
        unpin_query=view.query(pin=None, rules=ruleset),
        profile_query=View(view.ruleset, view.profile, None, None).query(rules=ruleset))
    return context
