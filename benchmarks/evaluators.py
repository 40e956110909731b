"""Every way of evaluating a ruleset the benchmark compares, each given the same rules and the
same profiles and returning the same thing per profile: the rule alternatives that held
("rule#index") and the facts derived.

All of them are compiled from the same normalised rules mcof runs (`inference.alternatives`:
each condition in disjunctive normal form over leaves, negations pushed into the leaves), so
they share one semantics: a leaf on an unknown fact never holds, derived facts only grow.

- `DurableHost`: durable-rules through its `Host` API, one message per profile (every input
  fact a field of it, each list member a yes/no field) and one small fact per derived flag.
- `DurableDriver`: the same rules driven through durable-rules' C module directly
  (`durable_rules_engine`), without the Python `Host` layer.
- `Clips`: CLIPS through clipspy, profiles asserted and run in batches.
- `python_chainer`: a plain Python forward chainer over dicts and sets.
- mcof's own: its durable-rules engine (`DurableEngine`, one message per fact value), its
  reference evaluator (`reference_fixed_point`) and its vectorized evaluator.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from mcof.engine import conditions as cond
from mcof.engine.inference import Derivation, alternatives
from mcof.engine.ruleset import Ruleset

Result = tuple[frozenset, frozenset]   # (alternatives that held as "rule#index", facts derived)


def result_of(derivation: Derivation) -> Result:
    return (frozenset(f"{rule}#{i}" for rule, held in derivation.fired.items() for i in held),
            frozenset(derivation.derived))


@dataclass(frozen=True)
class Alternative:
    key: str                       # "rule#index"
    leaves: tuple[cond.Leaf, ...]  # on input facts
    needs: tuple[str, ...]         # derived facts it reads
    derives: str | None            # the derived fact it concludes, if any


def compiled(ruleset: Ruleset) -> list[Alternative]:
    """The rule alternatives, ordered so a derived fact's producers come before its readers
    when the derivations are acyclic (then one pass reaches the fixed point)."""
    out = []
    for rule in ruleset.rules:
        target = rule.conclusion.target if rule.conclusion.kind == "derive" else None
        for index, alternative in enumerate(alternatives(rule)):
            leaves = tuple(leaf for leaf in alternative if not ruleset.facts[leaf.fact].derived)
            needs = tuple(dict.fromkeys(leaf.fact for leaf in alternative if ruleset.facts[leaf.fact].derived))
            out.append(Alternative(f"{rule.id}#{index}", leaves, needs, target))
    return _producers_first(out)


def _producers_first(alts: list[Alternative]) -> list[Alternative]:
    ordered, done, pending = [], set(), list(alts)
    producers = {a.derives for a in alts if a.derives}
    while pending:
        ready = [a for a in pending if all(n in done or n not in producers for n in a.needs)]
        if not ready:
            return ordered + pending   # a cycle: callers then iterate to the fixed point
        ordered += ready
        pending = [a for a in pending if a not in ready]
        for a in ready:
            if a.derives and not any(p.derives == a.derives for p in pending):
                done.add(a.derives)
    return ordered


def is_acyclic(alts: list[Alternative]) -> bool:
    """True when, in this order, every derived fact read is complete (all its producers ran) first."""
    last = {a.derives: i for i, a in enumerate(alts) if a.derives}
    return all(last.get(n, -1) < i for i, a in enumerate(alts) for n in a.needs)


def read_derived(alts: list[Alternative]) -> set[str]:
    """Derived facts some rule reads: only those need asserting into an engine."""
    return {n for a in alts for n in a.needs}


# ------------------------------------------------------------------ plain Python

def _leaf_test(leaf: cond.Leaf) -> Callable:
    """`Leaf.test` specialised to the leaf's operator and value (one call, no dispatch)."""
    value = leaf.value
    return {"is": lambda v: v is value, "is_not": lambda v: v is not value,
            "equals": lambda v: v == value, "not_equals": lambda v: v != value,
            "in": lambda v: v in value, "not_in": lambda v: v not in value,
            "includes": lambda v: value in v,
            "gt": lambda v: v > value, "gte": lambda v: v >= value,
            "lt": lambda v: v < value, "lte": lambda v: v <= value}[leaf.op]


def python_chainer(ruleset: Ruleset) -> Callable[[Mapping], Result]:
    """Each distinct input leaf is tested once per profile, giving the set of what is true
    (leaf numbers, then derived fact names); an alternative holds when what it requires is a
    subset of that. One pass in producer-first order reaches the fixed point (or passes
    until nothing changes, on a cycle)."""
    alts = compiled(ruleset)
    leaves = list(dict.fromkeys(leaf for a in alts for leaf in a.leaves))
    number = {leaf: i for i, leaf in enumerate(leaves)}
    tests = [(i, leaf.fact, _leaf_test(leaf)) for i, leaf in enumerate(leaves)]
    plan = [(a.key, frozenset([number[leaf] for leaf in a.leaves] + list(a.needs)), a.derives) for a in alts]
    one_pass = is_acyclic(alts)

    def run(profile: Mapping) -> Result:
        true = {i for i, fact, test in tests if fact in profile and test(profile[fact])}
        fired: set[str] = set()
        while True:
            before = len(true)
            for key, required, derives in plan:
                if required <= true:
                    fired.add(key)
                    if derives:
                        true.add(derives)
            if one_pass or len(true) == before:
                return frozenset(fired), frozenset(x for x in true if isinstance(x, str))
    return run


# ------------------------------------------------------------------ durable-rules, one message per profile

def profile_message(ruleset: Ruleset, profile: Mapping, sid: str) -> dict:
    """A whole profile as one durable-rules message: list facts as one yes/no field per member."""
    message = {"sid": sid, "p": 1}
    for name, value in profile.items():
        if isinstance(value, list):
            for item in value:
                message[f"{name}__{item}"] = True
        else:
            message[name] = value
    return message


def _field_test(leaf: cond.Leaf) -> dict:
    op, value, fact = leaf.op, leaf.value, leaf.fact
    if op == "includes":
        return {f"{fact}__{value}": True}
    if op in ("is", "equals"):
        return {fact: value}
    if op in ("is_not", "not_equals"):
        return {"$neq": {fact: value}}   # false on a missing field: unknown never holds
    if op == "in":
        return {fact: value[0]} if len(value) == 1 else {"$or": [{fact: v} for v in value]}
    if op == "not_in":
        return {"$and": [{"$neq": {fact: v}} for v in value]}
    return {f"${op}": {fact: value}}


def durable_definition(ruleset: Ruleset, marker: bool = True) -> tuple[dict, list[Alternative]]:
    """The ruleset as durable-rules rules over profile messages and derived-fact messages
    ({"d": name}). Every test is inside `$and` (a pattern with several keys checks only the
    first). With ``marker``, a rule on the profile marker `p` fires for every profile, so
    every session has run an action before it is deleted (deleting one that has not can
    abort the process)."""
    alts = compiled(ruleset)
    rules = {}
    for a in alts:
        patterns = []
        if a.leaves:
            patterns.append({"m0": {"$and": [{"p": 1}] + [_field_test(leaf) for leaf in a.leaves]}})
        patterns += [{f"m{i + 1}": {"d": need}} for i, need in enumerate(a.needs)]
        rules[a.key] = {"all": patterns}
    if marker:
        rules[SEEN] = {"all": [{"m0": {"p": 1}}]}
    return rules, alts


SEEN = "__seen__"


class _Session:
    __slots__ = ("fired", "derived", "asserted")

    def __init__(self):
        self.fired: set[str] = set()
        self.derived: set[str] = set()
        self.asserted: list[dict] = []


class DurableHost:
    """durable-rules' `Host`, one profile message per profile. ``retract=False``: a session
    per profile, deleted after it; ``retract=True``: one session, the profile and what it
    derived retracted after it."""

    def __init__(self, ruleset: Ruleset, name: str, retract: bool = False):
        from durable import engine as durable
        from mcof.engine.inference import _QuietHost
        self.durable, self.ruleset, self.retract = durable, ruleset, retract
        rules, alts = durable_definition(ruleset, marker=not retract)
        wanted = read_derived(alts)
        self.sessions: dict[str, _Session] = {}
        for a in alts:
            rules[a.key]["run"] = self._action(a.key, a.derives, a.derives in wanted)
        if SEEN in rules:
            rules[SEEN]["run"] = lambda c: None
        self.name = name
        self.host = _QuietHost()
        self.host.set_rulesets({name: rules})
        self.counter = itertools.count(1)

    def _action(self, key: str, target: str | None, read: bool):
        observed = self.durable.MessageObservedException

        def action(c):
            session = self.sessions[c.s.sid]
            session.fired.add(key)
            if target and target not in session.derived:
                session.derived.add(target)
                if read:
                    for salt in range(8):   # a 32-bit identity collision (#376): retry salted
                        fact = {"sid": c.s.sid, "d": target, "salt": salt}
                        try:
                            c.assert_fact(dict(fact))
                            session.asserted.append(fact)
                            break
                        except observed:
                            continue
        return action

    def run(self, profile: Mapping) -> Result:
        sid = "1" if self.retract else str(next(self.counter))
        session = self.sessions[sid] = _Session()
        message = profile_message(self.ruleset, profile, sid)
        try:
            self.host.assert_fact(self.name, dict(message))
        except self.durable.MessageNotHandledException:
            # no pattern takes the profile (possible only without the marker rule): nothing held
            del self.sessions[sid]
            return frozenset(), frozenset()
        if self.retract:
            for fact in [message] + session.asserted:
                self.host.retract_fact(self.name, fact)
        else:
            self.host.delete_state(self.name, sid)
        del self.sessions[sid]
        return frozenset(session.fired), frozenset(session.derived)


class DurableDriver:
    """The same rules through durable-rules' C module: assert the profile message, take each
    pending action, record it and assert what it derives, complete it; delete the session."""

    def __init__(self, ruleset: Ruleset, name: str):
        import durable_rules_engine as driver
        self.driver, self.ruleset = driver, ruleset
        rules, alts = durable_definition(ruleset)
        wanted = read_derived(alts)
        self.plan = {a.key: (a.derives, a.derives in wanted) for a in alts}
        self.handle = driver.create_ruleset(name, json.dumps(rules))
        self.counter = itertools.count(1)

    def run(self, profile: Mapping) -> Result:
        driver, handle = self.driver, self.handle
        sid = str(next(self.counter))
        fired, derived = set(), set()
        code, state = driver.assert_fact(handle, json.dumps(profile_message(self.ruleset, profile, sid)))
        pending = driver.start_action_for_state(handle, state)
        message = pending[1] if pending else None
        while message:
            key = message[2:message.index('"', 2)]   # '{"rule#0": {...}}': the rule name
            if key != SEEN:
                fired.add(key)
                target, read = self.plan[key]
                if target and target not in derived:
                    derived.add(target)
                    if read:
                        for salt in range(8):   # a 32-bit identity collision (#376): retry salted
                            if driver.assert_fact(handle, json.dumps({"sid": sid, "d": target, "salt": salt}))[0] != 2:
                                break
            message = driver.complete_and_start_action(handle, state)
        driver.delete_state(handle, sid)
        return frozenset(fired), frozenset(derived)


# ------------------------------------------------------------------ CLIPS

def _clips_value(value) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(float(value))


def _clips_same(var: str, value) -> str:
    """Numbers compare by value (5 = 5.0), symbols and strings by identity."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"(and (numberp {var}) (= {var} {_clips_value(value)}))"
    return f"(eq {var} {_clips_value(value)})"


def _clips_test(leaf: cond.Leaf, var: str) -> str:
    """A CLIPS predicate on a bound slot; nil (unknown) never passes, negations included."""
    op, value = leaf.op, leaf.value
    if op == "includes":
        return f"(member$ {_clips_value(value)} {var})"
    if op in ("in", "not_in"):
        tests = [_clips_same(var, v) for v in value]
        either = tests[0] if len(tests) == 1 else f"(or {' '.join(tests)})"
        return either if op == "in" else f"(and (neq {var} nil) (not {either}))"
    if op in ("is", "equals"):
        return _clips_same(var, value)
    if op in ("is_not", "not_equals"):
        return f"(and (neq {var} nil) (not {_clips_same(var, value)}))"
    symbol = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
    return f"(and (numberp {var}) ({symbol} {var} {_clips_value(value)}))"


class Clips:
    """CLIPS (clipspy): a `p` template per profile (list facts as multislots), `d` facts for
    derived flags and `f` facts recording each alternative that held; profiles are asserted
    and run in batches, with a reset between batches. (CLIPS prints "[ENVRNMNT8] Environment
    data not fully deallocated" when an environment is freed after facts were reset: its
    own bookkeeping, not a result.)"""

    def __init__(self, ruleset: Ruleset, batch: int = 1000):
        import clips
        self.clips, self.ruleset, self.batch = clips, ruleset, batch
        self.env = clips.Environment()
        facts = ruleset.input_facts()
        slots = " ".join(f"(multislot {n})" if spec.is_list else f"(slot {n})" for n, spec in facts.items())
        self.env.build(f"(deftemplate p (slot id) {slots})")
        self.env.build("(deftemplate d (slot id) (slot n))")
        self.env.build("(deftemplate f (slot id) (slot r))")
        alts = compiled(ruleset)
        for number, a in enumerate(alts):
            by_fact: dict[str, list[cond.Leaf]] = {}
            for leaf in a.leaves:
                by_fact.setdefault(leaf.fact, []).append(leaf)
            constraints = []
            for fact, leaves in by_fact.items():
                var = f"?v{len(constraints)}"
                binding = f"${var}" if facts[fact].is_list else var
                tests = [_clips_test(leaf, var) for leaf in leaves]
                test = tests[0] if len(tests) == 1 else f"(and {' '.join(tests)})"
                constraints.append(f"({fact} {binding}&:{test})")
            lhs = f"(p (id ?id) {' '.join(constraints)})" + "".join(f' (d (id ?id) (n "{n}"))' for n in a.needs)
            rhs = f'(assert (f (id ?id) (r "{a.key}")))'
            if a.derives:
                rhs += f' (assert (d (id ?id) (n "{a.derives}")))'
            self.env.build(f"(defrule r{number} {lhs} => {rhs})")
        self.template = self.env.find_template("p")

    def run_many(self, profiles: list[Mapping]) -> list[Result]:
        out: list[Result] = []
        for start in range(0, len(profiles), self.batch):
            chunk = profiles[start:start + self.batch]
            for row, profile in enumerate(chunk):
                self.template.assert_fact(id=row, **profile)   # clipspy passes True as the symbol TRUE
            self.env.run()
            fired: list[set[str]] = [set() for _ in chunk]
            derived: list[set[str]] = [set() for _ in chunk]
            for fact in self.env.facts():
                name = fact.template.name
                if name == "f":
                    fired[fact["id"]].add(fact["r"])
                elif name == "d":
                    derived[fact["id"]].add(fact["n"])
            out += [(frozenset(f), frozenset(d)) for f, d in zip(fired, derived)]
            self.env.reset()   # the next batch starts empty (and no fact outlives the environment)
        return out


def run_each(run: Callable[[Mapping], Result], profiles: Iterable[Mapping]) -> list[Result]:
    return [run(p) for p in profiles]
