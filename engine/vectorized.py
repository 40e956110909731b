"""The ruleset compiled into numpy array operations, for batches of many profiles.

durable-rules is the engine of record, and runs one profile per session (a few thousand
profiles a second). A batch of countries, or a sweep of a million what-if profiles, instead
evaluates every rule on whole columns at once: one boolean mask per leaf, AND across an
alternative, OR across alternatives, iterated until the derived facts stop changing (the
same fixed point). Semantics are identical, leaf by leaf: an unknown fact never holds, and
the differential tests compare this evaluator with durable-rules on every rule and row.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Mapping

import numpy as np

from . import conditions as cond
from .inference import Derivation, alternatives
from .ruleset import FactSpec, Ruleset, is_flag_test

NO_LEVEL = 255  # level code for "not recommended"
_NUMERIC = {"equals": np.equal, "not_equals": np.not_equal, "gt": np.greater, "gte": np.greater_equal,
            "lt": np.less, "lte": np.less_equal}


@dataclass
class Columns:
    """Profiles as columns. Unknown: -1 (bool, enum), NaN (number), all-False row (list)."""
    size: int
    data: dict[str, np.ndarray]


def encode(ruleset: Ruleset, profiles: list[Mapping]) -> Columns:
    """Validated profile dicts (see `profile.build_profile`) to columns."""
    size = len(profiles)
    data: dict[str, np.ndarray] = {}
    for name, spec in ruleset.input_facts().items():
        values = [p.get(name) for p in profiles]
        if spec.is_list:
            matrix = np.zeros((size, len(spec.values)), dtype=bool)
            index = {v: i for i, v in enumerate(spec.values)}
            for row, items in enumerate(values):
                for item in items or ():
                    matrix[row, index[item]] = True
            data[name] = matrix
        elif spec.type == "bool":
            data[name] = np.array([-1 if v is None else int(v) for v in values], dtype=np.int8)
        elif spec.type == "number":
            data[name] = np.array([np.nan if v is None else v for v in values], dtype=float)
        elif spec.type == "enum":
            index = {v: i for i, v in enumerate(spec.values)}
            data[name] = np.array([-1 if v is None else index[v] for v in values], dtype=np.int16)
        else:
            data[name] = np.array(values, dtype=object)
    return Columns(size, data)


def _leaf_mask(spec: FactSpec, leaf: cond.Leaf, column: np.ndarray) -> np.ndarray:
    """Rows where the leaf holds (known and true)."""
    op, value = leaf.op, leaf.value
    if spec.is_list:  # only `includes` is allowed on list facts
        return column[:, spec.values.index(value)]
    if spec.type == "bool":
        wanted = int(value) if op == "is" else int(not value)
        return column == wanted
    if spec.type == "number":
        known = ~np.isnan(column)
        if op in ("in", "not_in"):
            hit = np.isin(column, value)
            return hit if op == "in" else known & ~hit
        with np.errstate(invalid="ignore"):
            return known & _NUMERIC[op](column, value)
    if spec.type == "enum":
        codes = [spec.values.index(v) for v in (value if op in ("in", "not_in") else (value,))]
        known = column >= 0
        hit = np.isin(column, codes)
        return hit if op in ("equals", "in") else known & ~hit
    known = np.array([v is not None for v in column])
    hit = np.isin(column, list(value) if op in ("in", "not_in") else [value])
    return hit if op in ("equals", "in") else known & ~hit


@dataclass
class Evaluation:
    """Per rule alternative, the rows where it held; per derived fact, the rows deriving it."""
    ruleset: Ruleset
    size: int
    held: dict[str, list[np.ndarray]]        # rule id -> one mask per alternative
    derived: dict[str, np.ndarray]

    def fired(self, rule_id: str) -> np.ndarray:
        return np.logical_or.reduce(self.held[rule_id]) if self.held[rule_id] else np.zeros(self.size, bool)

    @cached_property
    def _held_matrix(self) -> tuple[np.ndarray, list[tuple[str, int]]]:
        """All alternatives' masks as one (rows x alternatives) matrix, for per-row lookups."""
        keys = [(rule_id, i) for rule_id, masks in self.held.items() for i in range(len(masks))]
        columns = [mask for masks in self.held.values() for mask in masks]
        matrix = np.column_stack(columns) if columns else np.zeros((self.size, 0), bool)
        return matrix, keys

    def derivation(self, row: int, profile: Mapping) -> Derivation:
        """The same record a durable-rules session produces, for one row."""
        result = Derivation(facts=dict(profile))
        for name, mask in self.derived.items():
            if mask[row]:
                result.derived[name] = True
                result.facts[name] = True
        matrix, keys = self._held_matrix
        for column in np.flatnonzero(matrix[row]):
            rule_id, alternative = keys[column]
            result.fired.setdefault(rule_id, set()).add(alternative)
        return result

    def levels(self) -> dict[tuple[str, str], np.ndarray]:
        """(sector, phase) -> level rank per row (0 = critical), NO_LEVEL where not recommended."""
        out: dict[tuple[str, str], np.ndarray] = {}
        for rule in self.ruleset.rules:
            c = rule.conclusion
            if c.kind != "recommend":
                continue
            key = (c.target, c.phase)
            current = out.setdefault(key, np.full(self.size, NO_LEVEL, dtype=np.uint8))
            rank = self.ruleset.level_rank(c.level)
            np.minimum(current, np.where(self.fired(rule.id), rank, NO_LEVEL).astype(np.uint8), out=current)
        return out


def evaluate(ruleset: Ruleset, columns: Columns) -> Evaluation:
    facts = ruleset.facts
    derived = {name: np.zeros(columns.size, dtype=bool) for name, spec in facts.items() if spec.derived}
    input_masks: dict[cond.Leaf, np.ndarray] = {}

    def mask(leaf: cond.Leaf) -> np.ndarray:
        if facts[leaf.fact].derived:
            assert is_flag_test(leaf), leaf  # the loader admits no other test of a derived fact
            return derived[leaf.fact]
        if leaf not in input_masks:
            input_masks[leaf] = _leaf_mask(facts[leaf.fact], leaf, columns.data[leaf.fact])
        return input_masks[leaf]

    held: dict[str, list[np.ndarray]] = {}
    # Fixed point: derived facts only grow, so at most one pass per derived fact, plus one.
    for _ in range(len(derived) + 1):
        changed = False
        for rule in ruleset.rules:
            masks = [np.logical_and.reduce([mask(leaf) for leaf in alternative])
                     if len(alternative) > 1 else mask(alternative[0]).copy()
                     for alternative in alternatives(rule)]
            held[rule.id] = masks
            if rule.conclusion.kind == "derive":
                target = derived[rule.conclusion.target]
                new = np.logical_or.reduce(masks) & ~target
                if new.any():
                    target |= new
                    changed = True
        if not changed:
            break
    return Evaluation(ruleset, columns.size, held, derived)

