"""What-if analysis: the difference between two profiles, and sweeps over fact values."""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any as AnyValue, Mapping, Sequence

from .assessment import assess, phase_rank, upstream_input_facts
from .results import Assessment, CoordinationChange, Diff, Recommendation, SectorChange
from .ruleset import Ruleset

if TYPE_CHECKING:
    import numpy as np

UNKNOWN = "unknown"
# How a (sector, phase) entry can differ from profile A to profile B (diff's `change`).
CHANGE_KINDS = ("added", "removed", "level_raised", "level_lowered", "justification_changed")


def sector_phase_order(ruleset: Ruleset, key: tuple[str, str]) -> tuple[int, int]:
    """(sector, phase) in the document's sector order, then in time order."""
    return ruleset.sector_slugs.index(key[0]), phase_rank(key[1])


def level_grid(ruleset: Ruleset, outcomes: list[dict[tuple[str, str], str]]) -> list[dict]:
    """One row per (sector, phase) recommended anywhere: its level in each outcome."""
    rows = []
    for sector, phase in sorted({key for outcome in outcomes for key in outcome},
                                key=lambda key: sector_phase_order(ruleset, key)):
        levels = [outcome.get((sector, phase)) for outcome in outcomes]
        rows.append({"sector": sector, "phase": phase, "levels": levels, "varies": len(set(levels)) > 1})
    return rows


def rank_grid(ruleset: Ruleset, ranks: Mapping[tuple[str, str], np.ndarray],
              shape: tuple[int, int]) -> tuple[list[tuple[str, str]], np.ndarray]:
    """The vectorized evaluator's level ranks (`Evaluation.levels`, each reshaped to ``shape``:
    combinations x units) stacked in sector and phase order: (keys, keys x combinations x units)."""
    import numpy as np
    keys = sorted(ranks, key=lambda key: sector_phase_order(ruleset, key))
    return keys, np.stack([ranks[key] for key in keys]) if keys else np.zeros((0, *shape), np.uint8)


def level_rows(ruleset: Ruleset, keys: list[tuple[str, str]], grid: np.ndarray) -> list[list[dict]]:
    """`level_grid` of every unit (a country, or the one profile of a fact sweep) at once,
    from `rank_grid`: per unit, one row per (sector, phase) recommended in some combination."""
    import numpy as np

    from .vectorized import NO_LEVEL
    names = np.full(NO_LEVEL + 1, None, dtype=object)
    names[:len(ruleset.levels)] = ruleset.levels
    recommended = (grid != NO_LEVEL).any(axis=1)                  # keys x units
    varies = (grid.min(axis=1) != grid.max(axis=1)).tolist()
    per_unit = names[grid.transpose(2, 0, 1)]                      # units x keys x combinations
    out = []
    for unit, (levels, present) in enumerate(zip(per_unit, recommended.T)):
        chosen = np.flatnonzero(present)
        out.append([{"sector": keys[k][0], "phase": keys[k][1], "levels": row, "varies": varies[k][unit]}
                    for k, row in zip(chosen.tolist(), levels[chosen].tolist())])
    return out


def _levels(result: Assessment) -> dict[tuple[str, str], Recommendation]:
    return {(r.sector, r.phase): r for r in result.recommendations}


def _rule_ids(entry: Recommendation | None) -> set[str]:
    return {j.rule for j in entry.justifications} if entry else set()


def changed_facts(a: Mapping, b: Mapping) -> dict[str, list]:
    """fact -> [value in A, value in B], unknown where a profile leaves the fact out."""
    return {name: [a.get(name, UNKNOWN), b.get(name, UNKNOWN)]
            for name in sorted(set(a) | set(b)) if a.get(name, UNKNOWN) != b.get(name, UNKNOWN)}


def change_kind(ruleset: Ruleset, level_a: str | None, level_b: str | None, same_rules: bool) -> str | None:
    """How one (sector, phase) entry differs from A to B (one of CHANGE_KINDS; a level is None
    where the entry is not recommended), or None when it does not differ."""
    if level_a == level_b and same_rules:
        return None
    if level_a is None:
        return "added"
    if level_b is None:
        return "removed"
    if level_a != level_b:
        return "level_raised" if ruleset.level_rank(level_b) < ruleset.level_rank(level_a) else "level_lowered"
    return "justification_changed"


def facts_behind(ruleset: Ruleset, rule_ids) -> set[str]:
    """The input facts the given rules read, through derived facts: where a change's causes lie."""
    causes: set[str] = set()
    for rule_id in rule_ids:
        causes |= upstream_input_facts(ruleset, ruleset.rule(rule_id))
    return causes


def diff(ruleset: Ruleset, profile_a: Mapping[str, AnyValue], profile_b: Mapping[str, AnyValue]) -> Diff:
    """Sectors added, removed or changed in level from A to B, each with the facts that
    changed under the rules that caused it, and those rules."""
    a, b = assess(ruleset, profile_a), assess(ruleset, profile_b)
    facts = changed_facts(a.profile, b.profile)
    levels_a, levels_b = _levels(a), _levels(b)
    changes = []
    for key in sorted(set(levels_a) | set(levels_b), key=lambda k: sector_phase_order(ruleset, k)):
        entry_a, entry_b = levels_a.get(key), levels_b.get(key)
        level_a = entry_a.level if entry_a else None
        level_b = entry_b.level if entry_b else None
        change = change_kind(ruleset, level_a, level_b, _rule_ids(entry_a) == _rule_ids(entry_b))
        if change is None:
            continue
        gained, lost = _rule_ids(entry_b) - _rule_ids(entry_a), _rule_ids(entry_a) - _rule_ids(entry_b)
        causes = facts_behind(ruleset, gained | lost)
        changes.append(SectorChange(sector=key[0], phase=key[1], change=change, from_level=level_a, to_level=level_b,
                                    rules_gained=tuple(sorted(gained)), rules_lost=tuple(sorted(lost)),
                                    facts_changed={f: v for f, v in facts.items() if f in causes}))
    coord_a = {(c.partner, c.phase) for c in a.coordination}
    coord_b = {(c.partner, c.phase) for c in b.coordination}
    coordination = ([CoordinationChange(p, ph, "added") for p, ph in sorted(coord_b - coord_a)]
                    + [CoordinationChange(p, ph, "removed") for p, ph in sorted(coord_a - coord_b)])
    return Diff(ruleset=ruleset.summary(), a=a, b=b, facts_changed=facts, changes=tuple(changes),
                coordination_changes=tuple(coordination))


def parse_vary(ruleset: Ruleset, text: str) -> tuple[str, list]:
    """`FACT=V1,V2,...` -> (fact, values typed and validated as in a profile)."""
    from .errors import ProfileError
    from .profile import coerce_text, input_fact_spec, normalize_value
    name, sep, values = text.partition("=")
    if not sep or not values.strip():
        raise ProfileError(f"--vary expects FACT=V1,V2,..., got '{text}'", hint="e.g. --vary phase=before,during")
    spec = input_fact_spec(ruleset, name.strip(), "--vary")
    parts = [v.strip() for v in values.split(",") if v.strip()]
    where = f"--vary {name.strip()}"
    if spec.is_list:
        # each value of a list fact is one alternative; `a+b` gives both at once
        return spec.name, [normalize_value(spec, p.split("+"), where) for p in parts]
    return spec.name, [normalize_value(spec, coerce_text(spec, p), where) for p in parts]


def sweep(ruleset: Ruleset, base: Mapping[str, AnyValue], variations: Sequence[tuple[str, list]], *,
          engine: str = "vectorized") -> dict:
    """Assess every combination of the varied facts; report each (sector, phase)'s level
    per combination, and the rows whose level changes across the grid. ``engine``:
    "vectorized" evaluates all combinations in one pass; "durable" (or "reference") assesses
    them one by one, which tests/test_whatif_lint.py checks gives the same."""
    from .profile import normalize_profile
    names = [name for name, _ in variations]
    combinations = [dict(zip(names, values)) for values in itertools.product(*(vals for _, vals in variations))]
    profiles = [normalize_profile(ruleset, {**base, **combination}, "--vary") for combination in combinations]
    if engine == "vectorized":
        from .vectorized import encode, evaluate
        levels = evaluate(ruleset, encode(ruleset, profiles)).levels()
        rows = level_rows(ruleset, *rank_grid(ruleset, {key: r[:, None] for key, r in levels.items()},
                                              (len(profiles), 1)))[0]
    else:
        rows = level_grid(ruleset, [assess(ruleset, p, engine=engine, explain_absent=False).levels() for p in profiles])
    return {"ruleset": ruleset.summary(), "base": dict(base), "vary": names, "combinations": combinations,
            "rows": rows}
