"""Conditions over facts: parsing, negation normal form, DNF, and three-valued evaluation.

A condition is a tree of `All`, `Any` and `Leaf` nodes. `not` is pushed down to the leaves
when parsing (De Morgan, and each operator has an exact negated twin), so the engine never
needs durable-rules' `none`, which is unsafe inside a chaining cascade
(shared/notes/durable-rules.md). A leaf on a fact that is absent is *unknown*: it neither
holds nor fails, so neither does its negation.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Any as AnyValue, Callable, Mapping, Union

# operator -> (negated operator, human-readable form)
OPERATORS: dict[str, tuple[str, str]] = {
    "is": ("is_not", "is"),
    "is_not": ("is", "is not"),
    "equals": ("not_equals", "="),
    "not_equals": ("equals", "!="),
    "in": ("not_in", "in"),
    "not_in": ("in", "not in"),
    "includes": ("", "includes"),
    "gt": ("lte", ">"),
    "gte": ("lt", ">="),
    "lt": ("gte", "<"),
    "lte": ("gt", "<="),
}
# `is_not` exists only as the negation of `is`; rule files write `is: false` instead.
WRITABLE_OPERATORS = [op for op in OPERATORS if op != "is_not"]
NUMERIC_OPERATORS = {"gt", "gte", "lt", "lte"}

TRUE, FALSE, UNKNOWN = "held", "failed", "unknown"


@dataclass(frozen=True)
class Leaf:
    fact: str
    op: str
    value: AnyValue

    def describe(self) -> str:
        value = self.value
        if isinstance(value, bool):
            value = str(value).lower()
        elif isinstance(value, (list, tuple)):
            value = "[" + ", ".join(map(str, value)) + "]"
        return f"{self.fact} {OPERATORS[self.op][1]} {value}"

    def negated(self) -> "Leaf":
        negated_op = OPERATORS[self.op][0]
        if not negated_op:
            raise ValueError(f"'{self.op}' cannot be negated")
        return Leaf(self.fact, negated_op, self.value)

    def test(self, value: AnyValue) -> bool:
        """Does a known value satisfy this leaf?"""
        op, expected = self.op, self.value
        if op == "is":
            return value is expected
        if op == "is_not":
            return value is not expected
        if op == "equals":
            return value == expected
        if op == "not_equals":
            return value != expected
        if op == "in":
            return value in expected
        if op == "not_in":
            return value not in expected
        if op == "includes":
            return expected in value
        if op == "gt":
            return value > expected
        if op == "gte":
            return value >= expected
        if op == "lt":
            return value < expected
        if op == "lte":
            return value <= expected
        raise ValueError(op)

    def evaluate(self, facts: Mapping[str, AnyValue]) -> str:
        if self.fact not in facts:
            return UNKNOWN
        return TRUE if self.test(facts[self.fact]) else FALSE


@dataclass(frozen=True)
class All:
    parts: tuple["Condition", ...]

    def describe(self) -> str:
        return " and ".join(_parenthesize(p) for p in self.parts)


@dataclass(frozen=True)
class Any:
    parts: tuple["Condition", ...]

    def describe(self) -> str:
        return " or ".join(_parenthesize(p) for p in self.parts)


Condition = Union[Leaf, All, Any]


def _parenthesize(condition: Condition) -> str:
    text = condition.describe()
    return f"({text})" if isinstance(condition, (All, Any)) and len(condition.parts) > 1 else text


def negate(condition: Condition) -> Condition:
    if isinstance(condition, Leaf):
        return condition.negated()
    if isinstance(condition, All):
        return Any(tuple(negate(p) for p in condition.parts))
    return All(tuple(negate(p) for p in condition.parts))


def leaves(condition: Condition) -> list[Leaf]:
    if isinstance(condition, Leaf):
        return [condition]
    return [leaf for part in condition.parts for leaf in leaves(part)]


def dnf_size(condition: Condition) -> int:
    """How many alternatives `to_dnf` would make (before duplicates are removed), computed
    without making them."""
    if isinstance(condition, Leaf):
        return 1
    sizes = [dnf_size(p) for p in condition.parts]
    if isinstance(condition, Any):
        return sum(sizes)
    total = 1
    for size in sizes:
        total *= size
    return total


def to_dnf(condition: Condition) -> list[tuple[Leaf, ...]]:
    """Disjunctive normal form: a list of alternatives, each a conjunction of leaves.

    The compiler turns each alternative into its own durable-rules rule, instead of `$or`,
    which fires once per true branch (durable-rules #308).
    """
    if isinstance(condition, Leaf):
        return [(condition,)]
    if isinstance(condition, Any):
        alternatives = [alt for part in condition.parts for alt in to_dnf(part)]
    else:
        alternatives = [tuple(leaf for conj in combo for leaf in conj)
                        for combo in product(*(to_dnf(p) for p in condition.parts))]
    return list(dict.fromkeys(tuple(dict.fromkeys(alternative)) for alternative in alternatives))


def evaluate(condition: Condition, leaf_status: Callable[[Leaf], str]) -> str:
    """Kleene three-valued logic (held / failed / unknown) over a valuation of the leaves: the
    one condition evaluator, whatever says what a leaf is (the facts of a profile, or the
    explanation's view of facts that could still be derived)."""
    if isinstance(condition, Leaf):
        return leaf_status(condition)
    results = [evaluate(p, leaf_status) for p in condition.parts]
    if isinstance(condition, All):
        if FALSE in results:
            return FALSE
        return UNKNOWN if UNKNOWN in results else TRUE
    if TRUE in results:
        return TRUE
    return UNKNOWN if UNKNOWN in results else FALSE
