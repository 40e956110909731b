"""A mapping's facts for many threshold combinations at once, as arrays.

`profiles.build_profiles` decides one country's facts with their evidence texts, which costs
tens of microseconds per country: a threshold sweep of a thousand combinations over 191
countries would rebuild 191,000 profiles. A sweep needs the texts only where a level flips,
so here the same three-valued conditions are evaluated on whole arrays, one axis the
combinations and the other the countries (a threshold is a column of values, an indicator a
row), and the result is encoded straight into the vectorized evaluator's columns.
tests/batch/test_sweep.py checks it against `build_profiles` on the real tables.

A state is a pair of masks: `held` (known and true) and `failed` (known and false); neither
is unknown, as in `profiles._eval`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np

from ..profile import normalize_profile
from ..ruleset import Ruleset
from ..vectorized import Columns, encode
from .inputs import Cell
from .mapping import COMPARATORS, Mapping, apply_overrides

_COMPARE = {"gte": np.greater_equal, "gt": np.greater, "lte": np.less_equal, "lt": np.less}


@dataclass
class State:
    held: np.ndarray     # (combinations x countries); often a broadcast view of one row or column
    failed: np.ndarray


def combination_mappings(base: Mapping, combinations: Sequence[dict]) -> list[Mapping]:
    """`apply_overrides(base, combination)` for every combination, without a deep copy of the
    mapping each: each (name, value) is applied (and validated) once, and a combination's
    mapping shares those overridden thresholds and parameters."""
    single: dict[tuple[str, Any], Mapping] = {}
    out = []
    for combination in combinations:
        thresholds, parameters = dict(base.thresholds), dict(base.parameters)
        for name, value in combination.items():
            key = (name, repr(value))
            if key not in single:
                single[key] = apply_overrides(base, {name: value})
            if name in base.thresholds:
                thresholds[name] = single[key].thresholds[name]
            else:
                parameters[name] = single[key].parameters[name]
        out.append(replace(base, thresholds=thresholds, parameters=parameters))
    return out


class FactGrid:
    """The facts of ``iso3s`` (cells from `read_inputs`) under each of ``mappings`` (the same
    mapping with other threshold or parameter values), each state a (combinations x countries)
    array."""

    def __init__(self, mappings: Sequence[Mapping], cells: dict[str, dict[str, Cell]], iso3s: Sequence[str]):
        self.mappings, self.iso3s = list(mappings), list(iso3s)
        base = self.mappings[0]
        self.shape = (len(self.mappings), len(self.iso3s))
        self._cells = [cells[iso3] for iso3 in self.iso3s]
        self.values = {name: self._indicator_values(name, indicator.type)
                       for name, indicator in base.indicators.items()}
        self.bools: dict[str, State] = {}                                  # bool facts decided by `when`
        self.lists: dict[str, tuple[dict[str, State], np.ndarray]] = {}    # list facts: members, known
        self.parameters: dict[str, list] = {}                             # parameter facts, per combination
        for spec in base.facts.values():
            if spec.parameter:
                self.parameters[spec.name] = [m.parameters[spec.parameter].value for m in self.mappings]
            elif spec.type == "list":
                members = {value: self._condition(c) for value, c in spec.members.items()}
                # known unless no member holds and one is unknown (profiles._list_fact)
                unknown = [~m.held & ~m.failed for m in members.values()]
                held = [m.held for m in members.values()]
                known = np.logical_or.reduce(held + [~np.logical_or.reduce(unknown)]) if members \
                    else np.ones(self.shape, bool)
                self.lists[spec.name] = (members, known)
            else:
                self.bools[spec.name] = self._condition(spec.when)

    def _indicator_values(self, name: str, kind: str) -> tuple[np.ndarray, Any]:
        """(known mask, values) over the countries, as (1 x countries) rows; values are floats
        (NaN unknown) for number indicators, else the parsed values (None unknown)."""
        cells = [c.get(name) for c in self._cells]
        known = np.array([c is not None and c.known for c in cells], dtype=bool)
        values = [c.value if k else None for c, k in zip(cells, known)]
        if kind == "number":
            return known[None, :], np.array([np.nan if v is None else v for v in values], dtype=float)[None, :]
        return known[None, :], values

    def _full(self, held: np.ndarray, failed: np.ndarray) -> State:
        return State(np.broadcast_to(held, self.shape), np.broadcast_to(failed, self.shape))

    def _condition(self, cond: dict) -> State:
        """A mapping condition (as `profiles._eval`) on every cell of the grid."""
        if "any" in cond or "all" in cond:
            parts = [self._condition(c) for c in cond["any" if "any" in cond else "all"]]
            held, failed = [s.held for s in parts], [s.failed for s in parts]
            if "any" in cond:   # Kleene or: held if one part holds, failed if every part fails
                return State(np.logical_or.reduce(held), np.logical_and.reduce(failed))
            return State(np.logical_and.reduce(held), np.logical_or.reduce(failed))
        if "fact" in cond:
            return self._fact_condition(cond)
        known, values = self.values[cond["indicator"]]
        op = cond["op"]
        if op in COMPARATORS:
            thresholds = np.array([m.thresholds[cond["threshold"]].value for m in self.mappings])[:, None]
            with np.errstate(invalid="ignore"):
                test = _COMPARE[op](values, thresholds)
        elif op == "is":
            test = np.array([v is cond["value"] for v in values])[None, :]
        else:   # equals compares the text of the value
            test = np.array([str(v) == cond["value"] for v in values])[None, :]
        return self._full(known & test, known & ~test)

    def _fact_condition(self, cond: dict) -> State:
        """A condition on a fact decided above it, as `profiles._eval_fact`: `is` is known only
        on a yes/no fact; `includes` on a yes/no fact fails."""
        name, op, wanted = cond["fact"], cond["op"], cond["value"]
        if name in self.parameters:
            values = self.parameters[name]
            if op == "is":
                held = [isinstance(v, bool) and v is wanted for v in values]
                failed = [isinstance(v, bool) and v is not wanted for v in values]
            else:
                held = [wanted in (v if isinstance(v, list) else [v]) for v in values]
                failed = [not h for h in held]
            return self._full(np.array(held)[:, None], np.array(failed)[:, None])
        if name in self.bools:
            fact = self.bools[name]
            if op == "is":
                return State(fact.held, fact.failed) if wanted else State(fact.failed, fact.held)
            return State(np.zeros(self.shape, bool), fact.held | fact.failed)
        members, known = self.lists[name]
        if op == "is":
            return State(np.zeros(self.shape, bool), np.zeros(self.shape, bool))
        held = members[wanted].held if wanted in members else np.zeros(self.shape, bool)
        return State(known & held, known & ~held)

    # ------------------------------------------------------------------------ profiles

    def facts_at(self, combination: int, country: int) -> tuple[dict, set]:
        """One country's profile facts under one combination, and the facts left unknown (as
        `build_profiles` gives them): what that cell's evidence is computed from."""
        facts, unknown = {}, set()
        for name in self.mappings[0].facts:
            if name in self.parameters:
                value = self.parameters[name][combination]
                facts[name] = list(value) if isinstance(value, list) else value
            elif name in self.bools:
                state = self.bools[name]
                if state.held[combination, country] or state.failed[combination, country]:
                    facts[name] = bool(state.held[combination, country])
                else:
                    unknown.add(name)
            else:
                members, known = self.lists[name]
                if known[combination, country]:
                    facts[name] = [v for v, m in members.items() if m.held[combination, country]]
                else:
                    unknown.add(name)
        return facts, unknown

    def assessable(self) -> np.ndarray:
        """Which cells have a crisis type (known, not empty), as `CountryProfile.assessable`."""
        if "crisis_type" in self.lists:
            members = self.lists["crisis_type"][0].values()
            return np.logical_or.reduce([m.held for m in members]) if members else np.zeros(self.shape, bool)
        if "crisis_type" in self.bools:
            return np.asarray(self.bools["crisis_type"].held)
        values = self.parameters.get("crisis_type", [None] * self.shape[0])
        return np.broadcast_to(np.array([bool(v) for v in values])[:, None], self.shape)

    def columns(self, ruleset: Ruleset) -> Columns:
        """The vectorized evaluator's columns for every cell, combination-major. Validated as
        `normalize_profile` validates a profile, on the widest profile of each combination
        (every yes/no fact true, every list member in): a fact or value the ruleset does not
        know raises here as it would for a country."""
        combinations, countries = self.shape
        parameters = []
        for c in range(combinations):
            widest = {name: values[c] for name, values in self.parameters.items()}
            widest.update(dict.fromkeys(self.bools, True))
            widest.update({name: list(members) for name, (members, _) in self.lists.items()})
            normalized = normalize_profile(ruleset, widest)
            parameters.append({name: normalized[name] for name in self.parameters if name in normalized})
        # A parameter is the same for every country of a combination: encoded once each.
        data = {name: np.repeat(column, countries, axis=0) for name, column in encode(ruleset, parameters).data.items()}
        for name, state in self.bools.items():
            data[name] = np.where(state.held, 1, np.where(state.failed, 0, -1)).astype(np.int8).reshape(-1)
        for name, (members, _) in self.lists.items():
            none = np.zeros(self.shape, bool)
            data[name] = np.stack([members.get(v, State(none, none)).held.reshape(-1)
                                   for v in ruleset.facts[name].values], axis=1)
        return Columns(combinations * countries, data)
