"""Render assessments, diffs and 2012/2021 comparisons as one self-contained HTML file.

Input is the engine's result model (``engine.results``: Assessment, Diff, Compare; the
diagrams' JSON-shaped dict); output is a string holding a
complete HTML document with its CSS and a few lines of script inline.  The document loads
nothing: no ``<link>``, no external script, image or font, and a Content-Security-Policy that
forbids any fetch, so it opens the same offline, from an e-mail attachment or from an archive.

Everything here is presentation.  The renderers never decide a level; they lay out what the
engine decided, with each decision's justifications (rule, citation, verbatim quote, the facts
read and, for derived facts, the chain back to input facts).

This module must not import click (engine/ never does).
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from ..assessment import PHASE_ORDER, phase_rank
from ..linkages import by_linkage
from ..model import LEVELS
from ..palette import CHANGE_MARKS, level_css_variables
from ..results import Assessment, Compare, Diff, Justification, RuleStatus, ConditionStatus, WouldChange

__all__ = ["PHASES", "LEVELS", "render_assessment", "render_diff", "render_compare"]

PHASES: tuple[str, ...] = PHASE_ORDER
_MAX_CHAIN_DEPTH = 12

_env = Environment(
    loader=PackageLoader(__package__, "templates"),
    autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


# ---------------------------------------------------------------------------------------------
# value formatting


def fmt_value(value: Any) -> str:
    """A fact value as the report prints it (JSON-ish, but lists without brackets)."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt_value(v) for v in value) if value else "(none)"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


_env.filters["fmt"] = fmt_value
_env.globals["level_css"] = level_css_variables()  # every template colours levels from engine/palette.py
_env.globals["change_marks"] = CHANGE_MARKS        # and marks changes from there


def _wbr(name: Any) -> Markup:
    """Escape, then allow line breaks after underscores (long fact names in narrow cells)."""
    return Markup(str(escape(name)).replace("_", "_<wbr>"))


_env.filters["wbr"] = _wbr


# ---------------------------------------------------------------------------------------------
# justifications and the chain of derived facts


def _derived_index(result: Assessment) -> dict[str, list]:
    index: dict[str, list] = {}
    for entry in result.derived_facts:
        index.setdefault(entry.fact, []).append(entry)
    return index


def _justification(j: Justification, derived: dict[str, list], seen: frozenset[str], depth: int) -> dict:
    return {
        "rule": j.rule,
        "level": j.level,
        "citation": j.citation,
        "quote": j.quote,
        "interpretation": j.interpretation,
        "origin": _origin(j.origin),
        "facts": _fact_nodes(j.facts, derived, seen, depth, set(j.derived_facts)),
    }


def _origin(origin: dict | None) -> dict | None:
    """Where an inherited rule comes from: the older ruleset's rule and, for a carried
    recommendation, the crosswalk link that maps its sector (the ruleset's `origin` mapping,
    whose crosswalk key only a carried recommendation has)."""
    if not origin:
        return None
    link = origin.get("crosswalk") or {}
    return {"ruleset": origin["ruleset"], "rule": origin["rule"], "sector": origin.get("sector"),
            "link": link.get("id"), "relation": link.get("relation"), "citation": link.get("citation"),
            "quote": link.get("quote"), "interpretation": link.get("interpretation")}


def _fact_nodes(
    facts: dict, derived: dict[str, list], seen: frozenset[str], depth: int, marked: set[str] | None = None
) -> list[dict]:
    nodes = []
    for name, value in facts.items():
        entries = derived.get(name)
        node: dict[str, Any] = {
            "name": name,
            "value": fmt_value(value),
            "derived": bool(entries) or name in (marked or ()),
            "truncated": False,
            "because": [],
        }
        if entries:
            if name in seen or depth >= _MAX_CHAIN_DEPTH:
                node["truncated"] = True  # a cycle or an absurdly deep chain; say so, stop
            else:
                for entry in entries:
                    for j in entry.justifications:
                        node["because"].append(_justification(j, derived, seen | {name}, depth + 1))
        nodes.append(node)
    return nodes


def _justifications(items: Iterable[Justification], derived: dict[str, list]) -> list[dict]:
    # already in order: the engine lists the winning level first
    return [_justification(j, derived, frozenset(), 0) for j in items]


# ---------------------------------------------------------------------------------------------
# the grid


def _catalogue(sectors: list[dict] | None, keys: Iterable[str]) -> list[dict]:
    """The sector catalogue (`Sector.to_dict()` of the ruleset), plus (at the end) any slug the
    result names that it lacks (a modality grid has no catalogue: its slugs are its rows)."""
    rows = [
        {
            "slug": s["slug"],
            "number": s["number"],
            "name": s["name"],
            "objective": s["objective"] or "",
            "linkages": s["linkages"],
        }
        for s in (sectors or [])
    ]
    known = {r["slug"] for r in rows}
    for key in keys:
        if key and key not in known:
            known.add(key)
            rows.append({"slug": key, "number": "", "name": key, "objective": "", "linkages": []})
    return rows


def _profile_phases(profile: dict) -> list[str] | None:
    phase = profile.get("phase")
    if phase is None:
        return None  # phase unknown: every column counts as assessed
    return [phase] if isinstance(phase, str) else list(phase)


def _grid(
    entries: Iterable,
    catalogue: list[dict] | None,
    derived: dict[str, list],
    profile: dict,
    key: str = "sector",
    why_not: set[tuple[str, str]] | None = None,
    prefix: str = "",
) -> dict:
    """A sector (or, key="modality", modality) x phase grid of Recommendation/ModalityEntry."""
    by_cell = {(getattr(e, key), e.phase): e for e in entries}
    rows_src = _catalogue(catalogue, (slug for slug, _ in by_cell))
    in_profile = _profile_phases(profile)
    counts = {level: 0 for level in LEVELS}
    rows = []
    for s in rows_src:
        cells = []
        for phase in PHASES:
            e = by_cell.get((s["slug"], phase))
            level = e.level if e else None
            if level in counts:
                counts[level] += 1
            cells.append(
                {
                    "id": f"{prefix}cell-{s['slug']}-{phase}",
                    "phase": phase,
                    "level": level,
                    "assessed": in_profile is None or phase in in_profile,
                    "why_not": bool(why_not and (s["slug"], phase) in why_not),
                    "why_not_id": f"{prefix}whynot-{s['slug']}-{phase}",
                    "justifications": _justifications(e.justifications, derived) if e else [],
                }
            )
        rows.append({**s, "cells": cells})
    return {
        "rows": rows,
        "counts": counts,
        "phases": PHASES,
        "in_profile": in_profile,
        "prefix": prefix,
        "widths": _widths(in_profile),
    }


def _widths(in_profile: list[str] | None) -> dict[str, float]:
    """Column widths (%): phases outside the profile get a narrow column, so the phases that
    were assessed have room for their opened justifications."""
    sector = 26.0
    out = [p for p in PHASES if in_profile is not None and p not in in_profile]
    narrow = 9.0 if len(out) < len(PHASES) else (100 - sector) / len(PHASES)
    wide = (100 - sector - narrow * len(out)) / max(1, len(PHASES) - len(out))
    widths = {p: round(narrow if p in out else wide, 2) for p in PHASES}
    widths["sector"] = sector
    return widths


# ---------------------------------------------------------------------------------------------
# the other sections


def _profile_rows(profile: dict, unknown: Iterable[str]) -> list[dict]:
    rows = [{"fact": k, "value": fmt_value(v), "unknown": False} for k, v in profile.items()]
    given = {r["fact"] for r in rows}
    for name in unknown:
        if name not in given:
            rows.append({"fact": name, "value": "unknown", "unknown": True})
    return rows


def _coordination(result: Assessment, derived: dict[str, list]) -> list[dict]:
    out = [{"partner": c.partner, "partner_name": c.partner_name, "phase": c.phase,
            "justifications": _justifications(c.justifications, derived)} for c in result.coordination]
    out.sort(key=lambda c: (phase_rank(c["phase"]), c["partner_name"]))
    return out


def _would_change(items: Iterable[WouldChange]) -> list[dict]:
    return [{"fact": item.fact, "value": fmt_value(item.value), "level": item.level} for item in items]


def _condition_rows(conditions: Iterable[ConditionStatus], depth: int = 0) -> list[dict]:
    """A rule's conditions as table rows; a derived fact that does not hold is followed by
    the rules that derive it and their own conditions, indented, down to the inputs."""
    rows = []
    for c in conditions:
        rows.append({"condition": c.condition, "status": c.status, "fact": c.fact, "derived": c.derived,
                     "depth": depth, "value": fmt_value(c.value) if c.known else None, "producer": None})
        for producer in c.derived_by or ():
            rows.append({"condition": f"derived by {producer.rule} ({producer.citation})",
                         "status": producer.status, "fact": None, "derived": False,
                         "depth": depth + 1, "value": None, "producer": producer.rule})
            rows += _condition_rows(producer.conditions, depth + 2)
    return rows


def _rule_view(r: RuleStatus) -> dict:
    return {"rule": r.rule, "level": r.level, "citation": r.citation, "quote": r.quote, "status": r.status,
            "conditions": _condition_rows(r.conditions)}


def _why_not(result: Assessment, names: dict[str, str], prefix: str = "") -> list[dict]:
    out = []
    for entry in result.not_recommended or ():
        rules = [_rule_view(r) for r in entry.rules]
        changes = _would_change(entry.would_change_if)
        out.append(
            {
                "id": f"{prefix}whynot-{entry.sector}-{entry.phase}",
                "sector": entry.sector,
                "name": names.get(entry.sector, entry.sector),
                "phase": entry.phase,
                "rules": rules,
                "would_change_if": changes,
                # the entries worth reading first: an unknown fact could change them
                "open_question": bool(changes) or any(c["status"] == "unknown" for r in rules for c in r["conditions"]),
            }
        )
    out.sort(key=lambda w: (not w["open_question"], phase_rank(w["phase"])))
    return out


def _cross_cutting(result: Assessment, derived: dict[str, list]) -> list[dict]:
    return [{"issue": c.issue, "justifications": _justifications(c.justifications, derived)}
            for c in result.cross_cutting or ()]


def _derived_facts(result: Assessment, derived: dict[str, list]) -> list[dict]:
    return [
        {
            "fact": d.fact,
            "value": fmt_value(d.value),
            "justifications": [_justification(j, derived, frozenset({d.fact}), 1) for j in d.justifications],
        }
        for d in result.derived_facts
    ]


def _meta(result: Assessment) -> dict:
    return {
        "tool_name": result.tool["name"],
        "tool_version": result.tool["version"],
        "ruleset_id": result.ruleset["id"],
        "ruleset_title": result.ruleset["title"] or "",
        "ruleset_sha256": result.ruleset["sha256"],
        # present when the CLI recorded what produced the result (engine/provenance.py)
        "generated_at": result.provenance["generated_at"] if result.provenance else None,
        "inputs": result.provenance["inputs"] if result.provenance else [],
    }


def _assessment_view(result: Assessment, sectors: list[dict] | None, prefix: str = "") -> dict:
    """Everything the template needs to draw one assessment."""
    derived = _derived_index(result)
    catalogue = _catalogue(sectors, (r.sector for r in result.recommendations))
    names = {s["slug"]: s["name"] for s in catalogue}
    why_not = _why_not(result, names, prefix)
    why_not_cells = {(w["sector"], w["phase"]) for w in why_not}
    profile = result.profile
    modalities = result.modalities or ()
    modality_catalogue = _catalogue([], (m.modality for m in modalities))
    return {
        "prefix": prefix,
        "meta": _meta(result),
        "grid": _grid(result.recommendations, catalogue, derived, profile, "sector", why_not_cells, prefix),
        "profile_rows": _profile_rows(profile, result.unknown_facts),
        "unknown_facts": list(result.unknown_facts),
        "coordination": _coordination(result, derived),
        "why_not": why_not,
        "modalities": (
            _grid(modalities, modality_catalogue, derived, profile, "modality", None, prefix + "mod-")
            if modalities
            else None
        ),
        "cross_cutting": _cross_cutting(result, derived),
        "derived_facts": _derived_facts(result, derived),
        "by_linkage": _by_linkage(result, names),
    }


def _by_linkage(result: Assessment, names: dict[str, str]) -> list[dict]:
    groups = by_linkage(result)
    for group in groups:
        for rec in group["recommendations"]:
            rec["sector_name"] = names.get(rec["sector"], rec["sector"])
    return groups


def _footer_rulesets(*results: Assessment) -> list[dict]:
    seen, out = set(), []
    for r in results:
        m = _meta(r)
        key = (m["ruleset_id"], m["ruleset_sha256"])
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out


def _tool(*results: Assessment, recorded=None) -> dict:
    """The footer's tool line; `recorded` is the diff or compare whose provenance the CLI set."""
    meta = _meta(results[0])
    if recorded is not None and recorded.provenance:
        meta.update(generated_at=recorded.provenance["generated_at"], inputs=recorded.provenance["inputs"])
    return meta


# ---------------------------------------------------------------------------------------------
# public API


def render_assessment(result: Assessment, sectors: list[dict], title: str | None = None) -> str:
    """One assessment (``mcof assess --format html``)."""
    view = _assessment_view(result, sectors)
    meta = view["meta"]
    if title is None:
        title = "MCOF assessment" + (f" \u2014 {meta['ruleset_title']}" if meta["ruleset_title"] else f" \u2014 {meta['ruleset_id']}")
    return _env.get_template("report.html.j2").render(
        kind="assessment",
        title=title,
        a=view,
        levels=LEVELS,
        tool=meta,
        rulesets=_footer_rulesets(result),
    )


def render_diff(diff: Diff, sectors: list[dict]) -> str:
    """Two assessments of one ruleset and what changed between them (``mcof diff``)."""
    a, b = diff.a, diff.b
    slugs = [r.sector for x in (a, b) for r in x.recommendations]
    slugs += [c.sector for c in diff.changes]
    sectors = _catalogue(sectors, slugs)  # both grids get the same rows, in the same order
    va, vb = _assessment_view(a, sectors, "a-"), _assessment_view(b, sectors, "b-")
    names = {row["slug"]: row["name"] for row in vb["grid"]["rows"]}  # both grids have the same rows
    changes = []
    for c in diff.changes:
        changes.append(
            {
                "sector": c.sector,
                "name": names[c.sector],
                "phase": c.phase,
                "change": c.change,
                "from": c.from_level,
                "to": c.to_level,
                "direction": CHANGE_LABELS[c.change],
                "facts_changed": [
                    {"fact": k, "old": fmt_value(old), "new": fmt_value(new)}
                    for k, (old, new) in c.facts_changed.items()
                ],
                "rules_gained": list(c.rules_gained),
                "rules_lost": list(c.rules_lost),
            }
        )
    partner_names = {c.partner: c.partner_name for r in (a, b) for c in r.coordination}
    coordination_changes = [
        {"partner": c.partner, "partner_name": partner_names[c.partner], "phase": c.phase, "change": c.change}
        for c in diff.coordination_changes
    ]
    by_cell = {(c["sector"], c["phase"]): c for c in changes}
    # one grid: B's levels, each cell also saying what A had and what changed
    rows = []
    for row_b, row_a in zip(vb["grid"]["rows"], va["grid"]["rows"]):
        cells = []
        for cb, ca in zip(row_b["cells"], row_a["cells"]):
            change = by_cell.get((row_b["slug"], cb["phase"]))
            cells.append({"b": cb, "a": ca, "change": change})
        rows.append({**{k: row_b[k] for k in ("slug", "number", "name", "objective")}, "cells": cells})
    profile_cmp = _profile_compare(va["profile_rows"], vb["profile_rows"])
    tool = _tool(a, b, recorded=diff)
    title = f"MCOF diff \u2014 {tool['ruleset_title'] or tool['ruleset_id']}"
    return _env.get_template("report.html.j2").render(
        kind="diff",
        title=title,
        a=va,
        b=vb,
        diff_rows=rows,
        changes=changes,
        coordination_changes=coordination_changes,
        profile_cmp=profile_cmp,
        levels=LEVELS,
        tool=tool,
        rulesets=_footer_rulesets(a, b),
    )


def render_compare(compare: Compare, sectors_2012: list[dict], sectors_2021: list[dict]) -> str:
    """One profile under the 2012 Framework and the 2021 Addendum (``mcof compare``)."""
    r12, r21 = compare.old, compare.new
    v12, v21 = _assessment_view(r12, sectors_2012, "y2012-"), _assessment_view(r21, sectors_2021, "y2021-")
    n12 = {row["slug"]: row["name"] for row in v12["grid"]["rows"]}
    n21 = {row["slug"]: row["name"] for row in v21["grid"]["rows"]}
    target_label = {"sector": "", "modality": "operating modality: ", "cross_cutting": "cross-cutting issue: ",
                    "none": ""}
    rows = [{
        "sector_2012": r.sector_2012,
        "name_2012": n12[r.sector_2012] if r.sector_2012 else None,
        "target_kind": r.target_kind,
        "target_2021": r.target_2021,
        "name_2021": (target_label[r.target_kind] + (n21[r.target_2021] if r.target_kind == "sector"
                                                     else r.target_2021)) if r.target_2021 else None,
        "phase": r.phase or "all phases",
        "level_2012": r.level_2012,
        "level_2021": r.level_2021 if r.level_2021 in LEVELS else None,
        "attached": r.level_2021 == "attached",
        "kind": r.kind,
        "explanation": r.explanation,
        "rules_2012": list(r.rules_2012),
        "rules_2021": list(r.rules_2021),
        "crosswalk": r.crosswalk,
    } for r in compare.rows]
    rows.sort(key=lambda r: (r["level_2012"] is None and r["level_2021"] is None, phase_rank(r["phase"])))
    unknown = sorted(set(r12.unknown_facts) | set(r21.unknown_facts))
    return _env.get_template("report.html.j2").render(
        kind="compare",
        title="MCOF 2012 and 2021 compared",
        a=v12,
        b=v21,
        compare_rows=rows,
        profile_rows=_profile_rows(compare.profile, unknown),
        levels=LEVELS,
        tool=_tool(r12, r21, recorded=compare),
        rulesets=_footer_rulesets(r12, r21),
    )


# ---------------------------------------------------------------------------------------------
# diff helpers


# engine.whatif.diff's change kinds, as a cell says them
CHANGE_LABELS = {"added": "added", "removed": "removed", "level_raised": "raised", "level_lowered": "lowered",
                 "justification_changed": "rules changed"}


def _profile_compare(rows_a: list[dict], rows_b: list[dict]) -> list[dict]:
    a = {r["fact"]: r for r in rows_a}
    b = {r["fact"]: r for r in rows_b}
    order = list(a) + [k for k in b if k not in a]
    out = []
    for k in order:
        va = a[k]["value"] if k in a else "unknown"
        vb = b[k]["value"] if k in b else "unknown"
        out.append(
            {
                "fact": k,
                "a": va,
                "b": vb,
                "a_unknown": k not in a or a[k]["unknown"],
                "b_unknown": k not in b or b[k]["unknown"],
                "changed": va != vb,
            }
        )
    return out


def render_diagrams(diagrams: dict) -> str:
    """The scenario diagrams (``mcof diagrams --format html``): per scenario a grid and a wheel."""
    from ..provenance import footer_line
    from .wheel import wheel_svg
    from ..render import condition_label
    scenarios = []
    for s in diagrams["scenarios"]:
        cells = {(c["sector"], c["phase"]): c for c in s["cells"]}
        rows = [{**sector, "cells": [{**cells[(sector["slug"], p)],
                                      "conditional": [{**o, "fact_label": condition_label(o["fact"], o["value"])}
                                                      for o in cells[(sector["slug"], p)]["conditional"]]}
                                     for p in diagrams["phases"]]}
                for sector in diagrams["sectors"]]
        title = f"{s['name']}: sectors of assistance by phase ({diagrams['ruleset']['id']})"
        scenarios.append({**s, "rows": rows,
                          "svg": Markup(wheel_svg(s, diagrams["sectors"], diagrams["phases"], title))})
    view = diagrams
    return _env.get_template("diagrams.html.j2").render(
        title=f"MCOF scenario diagrams, reconstructed \u2014 {diagrams['ruleset']['title']}",
        d=view, scenarios=scenarios, phases=diagrams["phases"], provenance=diagrams["provenance"],
        footer=footer_line(diagrams["provenance"]))
