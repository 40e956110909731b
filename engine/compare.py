"""`mcof compare`: one profile under the 2012 framework and the 2021 Addendum, side by side.

The 2021 ruleset inherits the 2012 scenario rules through the crosswalk, so every 2012
recommendation has a 2021 counterpart whose justification names both the 2012 rule and the
crosswalk link. Each row says how the two relate: renamed, merged, split, absorbed, moved
out of the sectors (to an operating modality or a cross-cutting issue), a changed level, or
new in 2021.
"""
from __future__ import annotations

from typing import Any as AnyValue, Mapping

from .assessment import assess, phase_rank
from .profile import normalize_profile
from .results import Compare, CompareRow
from .ruleset import Ruleset


def _index(entries, key: str) -> dict[tuple[str, str | None], object]:
    return {(getattr(e, key), getattr(e, "phase", None)): e for e in entries}


def compare(old: Ruleset, new: Ruleset, profile: Mapping[str, AnyValue]) -> Compare:
    if new.parent is None or new.parent.sha256 != old.sha256:
        from .errors import RulesetError
        raise RulesetError(f"{new.id} does not inherit {old.id} through a crosswalk", where=str(new.directory))
    known_to_old = {k: v for k, v in profile.items() if k in old.facts}
    result_old = assess(old, normalize_profile(old, known_to_old), explain_absent=False)
    result_new = assess(new, normalize_profile(new, profile), explain_absent=False)
    targets = {"sector": _index(result_new.recommendations, "sector"),
               "modality": _index(result_new.modalities or (), "modality"),
               "cross_cutting": {(e.issue, None): e for e in result_new.cross_cutting or ()}}
    explained: set[tuple[str, str, str | None]] = set()
    rows = []
    for rec in result_old.recommendations:
        for link in (link for link in new.crosswalk if link.source_sector == rec.sector):
            for kind, slug in link.targets or [("none", None)]:
                phase = rec.phase if kind != "cross_cutting" else None
                entry = targets.get(kind, {}).get((slug, phase))
                explained.add((kind, slug, phase))
                level_new = _level(entry) if entry else None
                row_kind = link.relation
                if entry and _level(entry) not in (None, "attached") and entry.level != rec.level:
                    row_kind = "changed_level"
                rows.append(CompareRow(
                    sector_2012=rec.sector, phase=rec.phase, level_2012=rec.level,
                    target_kind=kind, target_2021=slug, level_2021=level_new, kind=row_kind,
                    crosswalk=link.id, relation=link.relation, citation=str(link.citation),
                    explanation=_explain(rec, link, kind, slug, entry),
                    rules_2012=tuple(j.rule for j in rec.justifications),
                    rules_2021=tuple(j.rule for j in entry.justifications) if entry else ()))
    for kind, index in targets.items():
        for (slug, phase), entry in index.items():
            if (kind, slug, phase) in explained:
                continue
            own = [j.rule for j in entry.justifications if not j.origin]
            rows.append(CompareRow(
                sector_2012=None, phase=phase, level_2012=None, target_kind=kind,
                target_2021=slug, level_2021=_level(entry), kind="new",
                crosswalk=None, relation=None, citation=None,
                explanation=f"new in 2021: {', '.join(own) or 'carried by the crosswalk'}",
                rules_2012=(), rules_2021=tuple(j.rule for j in entry.justifications)))
    rows.sort(key=lambda r: (phase_rank(r.phase), r.sector_2012 is None,
                             old.sector_slugs.index(r.sector_2012) if r.sector_2012 else 0,
                             r.target_2021 or ""))
    return Compare(profile=dict(profile), old=result_old, new=result_new, rows=tuple(rows),
                   rulesets={"2012": old.summary(), "2021": new.summary()})


def _level(entry) -> str:
    """A recommendation's or modality's level; a cross-cutting issue has none: "attached"."""
    return getattr(entry, "level", "attached")


def _explain(rec, link, kind: str, slug: str | None, entry) -> str:
    where = {"sector": "sector", "modality": "operating modality", "cross_cutting": "cross-cutting issue"}.get(kind)
    text = f"{rec.sector} {link.relation} → {where} {slug} ({link.citation})" if slug else \
        f"{rec.sector}: no 2021 counterpart ({link.citation})"
    if entry and _level(entry) != "attached" and entry.level != rec.level:
        text += f"; level {rec.level} → {entry.level}"
        others = [j.rule for j in entry.justifications if (j.origin or {}).get("sector") != rec.sector]
        if others:
            text += f" because of {', '.join(others)}"
    if link.interpretation:
        text += " [interpretation]"
    return text
