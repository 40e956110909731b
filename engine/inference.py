"""Forward chaining to a fixed point, two ways with one result type.

`DurableEngine` is the engine of record: the ruleset compiled into durable-rules, one
isolated session per profile. `reference_fixed_point` is the same semantics in plain Python;
explanations use it to ask "what if" cheaply. Both, and the vectorized evaluator, run the
same normalised rules (`alternatives`: each condition in disjunctive normal form over leaves),
and tests/test_semantics.py proves all three agree on hundreds of generated rulesets.
`derive_closure` is the one fixed-point loop every part of mcof uses.

What a run produces is a `Derivation`: which rules fired through which of their
alternatives, and which facts were derived. Assembly into results happens elsewhere, from
this alone, so both engines give identical output.
"""
from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any as AnyValue, Callable, Mapping

from durable import engine as durable

from . import conditions as cond, limits
from .errors import EngineError
from .ruleset import Rule, Ruleset


@dataclass
class Derivation:
    facts: dict[str, AnyValue]                               # input and derived, final values
    derived: dict[str, AnyValue] = field(default_factory=dict)
    fired: dict[str, set[int]] = field(default_factory=dict)  # rule id -> alternatives that held

    def record(self, rule: Rule, alternative: int) -> None:
        self.fired.setdefault(rule.id, set()).add(alternative)

    def derive(self, rule: Rule) -> bool:
        """Record the fact a rule derives (derived facts are flags, always true); True when it
        is new (and must be asserted)."""
        fact = rule.conclusion.target
        if fact in self.derived:
            return False
        self.derived[fact] = self.facts[fact] = True
        return True


@lru_cache(maxsize=None)
def _alternatives(rule: Rule) -> tuple[tuple[cond.Leaf, ...], ...]:
    return tuple(cond.to_dnf(rule.condition))


def alternatives(rule: Rule) -> tuple[tuple[cond.Leaf, ...], ...]:
    """The rule's condition in disjunctive normal form (cached)."""
    return _alternatives(rule)


Holds = Callable[[tuple[cond.Leaf, ...], set[str]], bool]


def derive_closure(ruleset: Ruleset, holds: Holds, derived: set[str] | frozenset[str] = frozenset()) -> set[str]:
    """The one fixed point: derived facts grow until no rule adds one.

    ``holds(alternative, derived)`` says whether a rule alternative holds once the facts in
    ``derived`` are derived. Every use is this loop with its own ``holds``: evaluation (the
    reference evaluator), explanation (what could still be derived if unknowns turned out
    well) and lint (what some profile could derive).
    """
    derived = set(derived)
    changed = True
    while changed:
        changed = False
        for rule in ruleset.rules:
            target = rule.conclusion.target
            if rule.conclusion.kind == "derive" and target not in derived and \
                    any(holds(alternative, derived) for alternative in alternatives(rule)):
                derived.add(target)
                changed = True
    return derived


def reference_fixed_point(ruleset: Ruleset, profile: Mapping[str, AnyValue]) -> Derivation:
    """The durable-rules engine's semantics in plain Python (explanations ask "what if" with it)."""
    def holds(alternative: tuple[cond.Leaf, ...], derived: set[str]) -> bool:
        return all(leaf.fact in derived if ruleset.facts[leaf.fact].derived
                   else leaf.evaluate(profile) == cond.TRUE for leaf in alternative)

    derived = derive_closure(ruleset, holds)
    derivation = Derivation(facts={**profile, **dict.fromkeys(sorted(derived), True)},
                            derived=dict.fromkeys(sorted(derived), True))
    for rule in ruleset.rules:
        for index, alternative in enumerate(alternatives(rule)):
            if holds(alternative, derived):
                derivation.record(rule, index)
    return derivation


# ---------------------------------------------------------------------------- durable-rules

def _fact_message(name: str, value, sid: str, salt: int = 0) -> dict:
    message = {"t": "f", "n": name, "v": value, "sid": sid}
    if salt:
        # Fact identity is a 32-bit hash of the content (durable-rules #376): a distinct fact
        # can be rejected as "already observed". A salt field no pattern reads changes the hash.
        message["salt"] = salt
    return message


def _value_test(leaf: cond.Leaf) -> list[dict]:
    op, value = leaf.op, leaf.value
    if op in ("is", "equals", "includes"):
        return [{"v": value}]
    if op in ("is_not", "not_equals"):
        return [{"$neq": {"v": value}}]
    if op == "in":
        # One fact has one value, so at most one branch holds and `$or` fires once.
        return [{"v": value[0]}] if len(value) == 1 else [{"$or": [{"v": v} for v in value]}]
    if op == "not_in":
        return [{"$neq": {"v": v}} for v in value]
    return [{f"${op}": {"v": value}}]


def compile_alternative(ruleset: Ruleset, alternative: tuple[cond.Leaf, ...]) -> list[dict]:
    """One durable-rules pattern per fact message the alternative joins.

    Every test is inside `$and`, because a pattern with several keys checks only the first.
    Leaves on one scalar fact share a pattern (one message carries that fact); each value a
    list fact must include is a message of its own.
    """
    tests_by_fact: dict[tuple[str, AnyValue], list[dict]] = {}
    for leaf in alternative:
        key = (leaf.fact, leaf.value if leaf.op == "includes" else None)
        tests_by_fact.setdefault(key, []).extend(_value_test(leaf))
    return [{f"m{i}": {"$and": [{"t": "f"}, {"n": fact}] + tests}}
            for i, ((fact, _), tests) in enumerate(tests_by_fact.items())]


# durable-rules keeps at most this many rules on one alpha node (BETA_LIST_LENGTH in its
# rules.h); past it, running fails with "error code: 108" (shared/notes/durable-rules.md).
MAX_RULES_PER_PATTERN = limits.RULES_PER_PATTERN.default


def pattern_load(ruleset: Ruleset) -> list[tuple[dict, list[str]]]:
    """Each distinct durable-rules pattern with the rule alternatives that share it, most shared first."""
    shared: dict[str, tuple[dict, list[str]]] = {}
    for rule in ruleset.rules:
        for index, alternative in enumerate(alternatives(rule)):
            for pattern in compile_alternative(ruleset, alternative):
                (test,) = pattern.values()
                key = repr(test)
                shared.setdefault(key, (test, []))[1].append(f"{rule.id}#{index}")
    return sorted(shared.values(), key=lambda item: -len(item[1]))


def check_pattern_limit(ruleset: Ruleset) -> None:
    """Refuse, before durable-rules fails mid-run, a ruleset with too many rules on one pattern."""
    for test, users in pattern_load(ruleset):
        if len(users) > MAX_RULES_PER_PATTERN:
            leaf = ", ".join(f"{k}={v}" for part in test["$and"] for k, v in part.items() if k in ("n", "v"))
            named = ", ".join(sorted({user.split("#")[0] for user in users})[:5])
            raise EngineError(
                f"{len(users)} rule alternatives test the same fact ({leaf}), among them {named}; durable-rules "
                f"runs at most {MAX_RULES_PER_PATTERN} on one pattern (its error code 108)", where=str(ruleset.directory),
                hint="give some of those rules a more specific first condition, or split the ruleset: "
                     "the limit is compiled into durable-rules")
        break  # sorted: the first is the most shared


class _QuietHost(durable.Host):
    """A host without the background timer threads (we use no timers or events)."""

    def _run(self):
        pass


class DurableEngine:
    """The ruleset compiled into one durable-rules ruleset; one session per assessment."""

    END_RULE = "__end__"

    def __init__(self, ruleset: Ruleset):
        check_pattern_limit(ruleset)
        self.ruleset = ruleset
        self.name = f"{ruleset.id}-{ruleset.sha256[:12]}"
        self.host = _QuietHost()
        self._sessions: dict[str, tuple[Derivation, list[BaseException]]] = {}
        self._sid_counter = itertools.count(1)
        definition: dict[str, dict] = {}
        for rule in ruleset.rules:
            for index, alternative in enumerate(alternatives(rule)):
                definition[f"{rule.id}#{index}"] = {
                    "all": compile_alternative(ruleset, alternative),
                    "run": self._action(rule, index)}
        # Guarantees an action has run in every session before it is deleted: delete_state on
        # a session where none ran can free uninitialised memory and abort the process.
        definition[self.END_RULE] = {"all": [{"m0": {"t": "end"}}], "run": self._end_action}
        # set_rulesets mutates its argument (it removes "run"); keep ours intact.
        self.host.set_rulesets({self.name: copy.copy(definition)})

    def _action(self, rule: Rule, alternative: int):
        def action(c):
            # Exceptions raised in an action are swallowed by durable-rules (#305): catch them
            # all and hand them back to the caller of `run`.
            derivation, errors = self._sessions[c.s.sid]
            try:
                derivation.record(rule, alternative)
                if rule.conclusion.kind == "derive" and derivation.derive(rule):
                    self._assert(lambda m: c.assert_fact(m), rule.conclusion.target, True, c.s.sid)
            except BaseException as exc:  # noqa: BLE001 - re-raised by run()
                errors.append(exc)
        return action

    def _end_action(self, c):
        pass

    @staticmethod
    def _assert(post, name: str, value, sid: str) -> None:
        for salt in range(0, 8):
            try:
                post(_fact_message(name, value, sid, salt))
                return
            except durable.MessageObservedException:
                # We never assert a fact twice, so this is a hash collision: retry salted.
                continue
            except durable.MessageNotHandledException:
                return  # no rule can ever match this fact: nothing to derive from it
        raise EngineError(f"durable-rules rejected fact '{name}' as already observed 8 times",
                          hint="report this: the engine's fact identity check failed")

    def run(self, profile: Mapping[str, AnyValue]) -> Derivation:
        sid = str(next(self._sid_counter))
        derivation = Derivation(facts=dict(profile))
        errors: list[BaseException] = []
        self._sessions[sid] = (derivation, errors)
        post = lambda message: self.host.assert_fact(self.name, message)  # noqa: E731
        try:
            # Sorted, so a session is the same whatever order the profile was written in.
            for name in sorted(profile):
                value = profile[name]
                for item in (value if isinstance(value, list) else [value]):
                    self._assert(post, name, item, sid)
        finally:
            self.host.assert_fact(self.name, {"t": "end", "sid": sid})
            self.host.delete_state(self.name, sid)
            del self._sessions[sid]
        if errors:
            raise EngineError(f"a rule action failed: {errors[0]!r}") from errors[0]
        return derivation


_ENGINES: dict[str, DurableEngine] = {}


def durable_engine(ruleset: Ruleset) -> DurableEngine:
    """One compiled durable-rules ruleset per ruleset content and process (names cannot be
    registered twice on a host, and compiling is the slow part)."""
    key = ruleset.sha256
    if key not in _ENGINES:
        _ENGINES[key] = DurableEngine(ruleset)
    return _ENGINES[key]
