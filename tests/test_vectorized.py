"""The vectorized evaluator used by batches agrees with durable-rules on every rule and row."""
import random

import pytest

from mcof.engine import build_profile, load_ruleset
from mcof.engine.inference import durable_engine
from mcof.engine.ruleset import BUILTIN_DIR
from mcof.engine.vectorized import NO_LEVEL, encode, evaluate
from tests.conftest import MINI
from tests.strategies import random_profile

RULESETS = [str(MINI)] + [n for n in ("2012", "2021") if (BUILTIN_DIR / n / "ruleset.yaml").exists()]


def draw_many(ruleset, count, seed):
    rnd = random.Random(seed)
    return [build_profile(ruleset, random_profile(ruleset, rnd)) for _ in range(count)]


@pytest.mark.parametrize("name", RULESETS)
def test_every_rule_and_row_agrees_with_durable_rules(name):
    ruleset = load_ruleset(name)
    rows = draw_many(ruleset, 1500, seed=11)
    evaluation = evaluate(ruleset, encode(ruleset, rows))
    engine = durable_engine(ruleset)
    for row, profile in enumerate(rows):
        expected = engine.run(profile)
        got = evaluation.derivation(row, profile)
        assert got.fired == expected.fired, profile
        assert got.derived == expected.derived, profile


@pytest.mark.parametrize("name", RULESETS)
def test_levels_are_the_highest_of_the_fired_rules(name):
    ruleset = load_ruleset(name)
    rows = draw_many(ruleset, 300, seed=5)
    evaluation = evaluate(ruleset, encode(ruleset, rows))
    for (sector, phase), ranks in evaluation.levels().items():
        for row in range(len(rows)):
            fired = [ruleset.level_rank(r.conclusion.level) for r in ruleset.rules
                     if r.conclusion.kind == "recommend" and (r.conclusion.target, r.conclusion.phase) == (sector, phase)
                     and evaluation.fired(r.id)[row]]
            assert ranks[row] == (min(fired) if fired else NO_LEVEL)
