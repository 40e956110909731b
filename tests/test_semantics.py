"""One semantics: on random *rulesets* (facts, derived facts, chains, every operator, negation
where allowed) and random profiles, durable-rules (the engine of record), the reference
evaluator and the vectorized evaluator derive the same facts and fire the same rules."""
import itertools
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from mcof.engine import RulesetError, build_profile, load_ruleset
from mcof.engine.inference import durable_engine, reference_fixed_point
from mcof.engine.vectorized import encode, evaluate
from tests.conftest import MINI, ROOT
from tests.strategies import profiles

QUOTE = "responses will require proper and efficient border and identity management"
CITATION = {"document": "MC/2355", "section": "Annex I", "paragraph": 9}
SECTORS = ["transport_assistance", "humanitarian_border_management", "humanitarian_communications"]
PHASES = ["before", "during", "after"]
ENUM_VALUES = ["a", "b", "c"]
INPUTS = {"b0": "bool", "b1": "bool", "b2": "bool", "e0": "enum", "n0": "number"}
DERIVED = ["d0", "d1", "d2"]
_counter = itertools.count()


def input_leaf(name):
    kind = INPUTS[name]
    if kind == "bool":
        return st.builds(lambda v: {"fact": name, "is": v}, st.booleans())
    if kind == "enum":
        return st.one_of(
            st.builds(lambda op, v: {"fact": name, op: v}, st.sampled_from(["equals", "not_equals"]),
                      st.sampled_from(ENUM_VALUES)),
            st.builds(lambda op, v: {"fact": name, op: v}, st.sampled_from(["in", "not_in"]),
                      st.lists(st.sampled_from(ENUM_VALUES), min_size=1, max_size=2, unique=True)))
    return st.builds(lambda op, v: {"fact": name, op: v},
                     st.sampled_from(["gt", "gte", "lt", "lte", "equals", "not_equals"]), st.integers(0, 10))


def condition(derived_available):
    """A condition tree; `not` only over input facts (a derived fact can only be required)."""
    inputs = st.sampled_from(sorted(INPUTS)).flatmap(input_leaf)
    negated = st.builds(lambda c: {"not": c}, inputs)
    crisis = st.builds(lambda v: {"fact": "crisis_type", "includes": v}, st.sampled_from(["man_made", "health"]))
    leaves = [inputs, negated, crisis]
    if derived_available:
        leaves.append(st.builds(lambda d: {"fact": d, "is": True}, st.sampled_from(derived_available)))
    leaf = st.one_of(*leaves)
    return st.recursive(leaf, lambda inner: st.one_of(
        st.builds(lambda parts: {"all": parts}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda parts: {"any": parts}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda c: {"not": c}, inputs)), max_leaves=6)


@st.composite
def rulesets(draw):
    """Rules as data: first one or more rules per derived fact (chains: a later derived fact may
    read earlier ones, and an earlier one a later one: cycles are fine in a monotone fixed
    point), then recommendations reading any of them."""
    used = DERIVED[:draw(st.integers(0, len(DERIVED)))]
    rules = []
    for index, fact in enumerate(used):
        for _ in range(draw(st.integers(1, 2))):
            rules.append({"then": {"derive": {"fact": fact}}, "when": draw(condition(used[:index] or None))})
    for _ in range(draw(st.integers(1, 6))):
        phase = draw(st.sampled_from(PHASES))
        rules.append({"when": {"all": [{"fact": "phase", "includes": phase}, draw(condition(used or None))]},
                      "then": {"recommend": {"sector": draw(st.sampled_from(SECTORS)), "phase": phase,
                                             "level": draw(st.sampled_from(["critical", "important", "recommended"]))}}})
    return used, rules


def write_ruleset(used, rules) -> Path:
    directory = Path(tempfile.mkdtemp(prefix="mcof-generated-"))
    for name in ("ruleset.yaml", "sectors.yaml", "partners.yaml", "linkages.yaml"):
        text = (MINI / name).read_text()
        if name == "ruleset.yaml":
            text = text.replace("../../../rulesets/sources/MC2355.txt", str(ROOT / "rulesets/sources/MC2355.txt"))
        (directory / name).write_text(text)
    facts = yaml.safe_load((MINI / "facts.yaml").read_text())["facts"][:2]  # crisis_type, phase
    source = {"document": "MC/2355", "section": "Annex I", "paragraph": 9}
    for name, kind in INPUTS.items():
        fact = {"name": name, "type": kind, "meaning": "generated", "source": source}
        if kind == "enum":
            fact["values"] = ENUM_VALUES
        if kind == "number":
            fact.update({"min": 0, "max": 10})
        facts.append(fact)
    facts += [{"name": d, "type": "bool", "derived": True, "meaning": "generated", "source": source} for d in used]
    (directory / "facts.yaml").write_text(yaml.safe_dump({"facts": facts}))
    (directory / "rules").mkdir()
    written = [{"id": f"r{i}", "citation": CITATION, "quote": QUOTE, "interpretation": "generated", **rule,
                **({"wording": "will require"} if "recommend" in rule["then"] else {})}
               for i, rule in enumerate(rules)]
    (directory / "rules" / "generated.yaml").write_text(yaml.safe_dump({"rules": written}))
    return directory


@settings(max_examples=500, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(rulesets(), st.data())
def test_three_evaluators_agree_on_generated_rulesets(generated, data):
    ruleset = load_ruleset(write_ruleset(*generated))
    rows = [build_profile(ruleset, data.draw(profiles(ruleset))) for _ in range(8)]
    evaluation = evaluate(ruleset, encode(ruleset, rows))
    engine = durable_engine(ruleset)
    for row, profile in enumerate(rows):
        expected = engine.run(profile)
        reference = reference_fixed_point(ruleset, profile)
        vectorized = evaluation.derivation(row, profile)
        assert reference.fired == expected.fired and reference.derived == expected.derived, profile
        assert vectorized.fired == expected.fired and vectorized.derived == expected.derived, profile


@pytest.mark.parametrize("test", [{"is": False}, {"not": True}, {"equals": False}])
def test_a_negated_test_of_a_derived_fact_is_refused_at_load(test):
    leaf = {"fact": "d0", **({"is": True} if "not" in test else test)}
    rules = [{"then": {"derive": {"fact": "d0"}}, "when": {"fact": "b0", "is": True}},
             {"when": {"all": [{"fact": "phase", "includes": "during"}, {"not": leaf} if "not" in test else leaf]},
              "then": {"recommend": {"sector": "transport_assistance", "phase": "during", "level": "critical"}}}]
    with pytest.raises(RulesetError) as error:
        load_ruleset(write_ruleset(["d0"], rules))
    assert "tests derived fact 'd0'" in str(error.value) and "{fact: d0, is: true}" in str(error.value)
    assert "generated.yaml" in str(error.value)


def test_durable_rules_pattern_limit_is_refused_before_a_run_fails():
    """More than 256 rules on one pattern fail inside durable-rules with 'error code: 108';
    mcof says so, naming the fact, before any session runs, and lint reports it."""
    from mcof.engine import EngineError, assess
    from mcof.engine.lint import lint
    rules = [{"when": {"all": [{"fact": "phase", "includes": "during"}, {"fact": "n0", "gte": i % 10}]},
              "then": {"recommend": {"sector": "transport_assistance", "phase": "during", "level": "critical"}}}
             for i in range(260)]
    directory = write_ruleset([], rules)
    ruleset = load_ruleset(directory)
    with pytest.raises(EngineError) as error:
        assess(ruleset, build_profile(ruleset, {"crisis_type": "health", "phase": "during", "n0": 5}))
    assert "260 rule alternatives test the same fact (n=phase, v=during)" in str(error.value)
    _, findings = lint(directory)
    assert any(f.check == "pattern-limit" and f.severity == "error" for f in findings)


@pytest.mark.parametrize("name", ["2012", "2021"])
def test_shipped_rulesets_stay_clear_of_the_pattern_limit(name):
    from mcof.engine.inference import MAX_RULES_PER_PATTERN, pattern_load
    (_, users), *_ = pattern_load(load_ruleset(name))
    assert len(users) <= 0.8 * MAX_RULES_PER_PATTERN, len(users)


def test_a_condition_that_would_explode_into_alternatives_is_refused_at_load():
    import time
    pairs = [{"any": [{"fact": "b0", "is": True}, {"fact": "b1", "is": True}]} for _ in range(20)]
    rules = [{"when": {"all": [{"fact": "phase", "includes": "during"}, *pairs]},
              "then": {"recommend": {"sector": "transport_assistance", "phase": "during", "level": "critical"}}}]
    start = time.perf_counter()
    with pytest.raises(RulesetError) as error:
        load_ruleset(write_ruleset([], rules))
    assert time.perf_counter() - start < 2
    assert "expands to 1,048,576 alternatives" in str(error.value) and "generated.yaml" in str(error.value)
