"""`mcof rules coverage`: which rules and conditions the examples and test cases exercise.

A rule is exercised when some profile fires it; a condition (leaf) is exercised when some
profile makes it hold and some profile makes it fail, so both of its outcomes are tested.
"""
from __future__ import annotations

from pathlib import Path

from . import conditions as cond
from .errors import McofError
from .inference import reference_fixed_point
from .lint import rule_test_cases
from .profile import build_profile, read_profile_file
from .ruleset import Ruleset


def coverage(ruleset: Ruleset, example_paths: list[Path]) -> dict:
    profiles: list[tuple[str, dict]] = []
    for path in example_paths:
        profiles.append((str(path), build_profile(ruleset, read_profile_file(path), origin=str(path))))
    for rule_id, kind, data, file in rule_test_cases(ruleset):
        try:
            profiles.append((f"{file} ({rule_id} {kind})", build_profile(ruleset, data, origin=file)))
        except McofError:
            continue  # lint and the test suite report broken cases; coverage counts the rest
    fired_by: dict[str, int] = {r.id: 0 for r in ruleset.rules if r.origin is None}
    outcomes: dict[tuple[str, cond.Leaf], set[str]] = {}
    for _, profile in profiles:
        derivation = reference_fixed_point(ruleset, profile)
        for rule in ruleset.rules:
            if rule.origin is not None:
                continue
            if rule.id in derivation.fired:
                fired_by[rule.id] += 1
            for leaf in cond.leaves(rule.condition):
                outcomes.setdefault((rule.id, leaf), set()).add(leaf.evaluate(derivation.facts))
    rules = [{"rule": rule_id, "profiles_firing": count} for rule_id, count in fired_by.items()]
    conditions = [{"rule": rule_id, "condition": leaf.describe(),
                   "held": cond.TRUE in seen, "failed": cond.FALSE in seen, "unknown": cond.UNKNOWN in seen}
                  for (rule_id, leaf), seen in outcomes.items()]
    never_fired = [r["rule"] for r in rules if r["profiles_firing"] == 0]
    half = [c for c in conditions if not (c["held"] and c["failed"])]
    return {"ruleset": ruleset.summary(), "profiles": len(profiles),
            "examples": [str(p) for p in example_paths],
            "rules_total": len(rules), "rules_fired": len(rules) - len(never_fired), "never_fired": never_fired,
            "conditions_total": len(conditions),
            "conditions_both_outcomes": len(conditions) - len(half),
            "conditions_missing_an_outcome": half, "rules": rules}
