"""Property tests on the real rulesets, over random valid profiles."""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mcof.engine import assess, build_profile, load_ruleset
from tests.strategies import profiles

RULESETS = {name: load_ruleset(name) for name in ("2012", "2021")}


def shuffled(profile, rnd):
    items = list(profile.items())
    rnd.shuffle(items)
    return {k: (rnd.sample(v, len(v)) if isinstance(v, list) else v) for k, v in items}


@pytest.mark.parametrize("name", sorted(RULESETS))
def test_random_profiles_never_crash_and_are_order_independent(name):
    ruleset = RULESETS[name]

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(profiles(ruleset), st.randoms(use_true_random=False))
    def check(data, rnd):
        profile = build_profile(ruleset, data)
        result = assess(ruleset, profile)
        assert assess(ruleset, build_profile(ruleset, shuffled(data, rnd))) == result
        assert assess(ruleset, profile, engine="reference") == result
        seen = set()
        for rec in result.recommendations:
            key = (rec.sector, rec.phase)
            assert key not in seen  # one entry per (sector, phase)
            seen.add(key)
            assert rec.phase in profile["phase"]
            levels = [ruleset.level_rank(j.level) for j in rec.justifications]
            assert ruleset.level_rank(rec.level) == min(levels)  # the highest of its justifications
        derived = {d.fact for d in result.derived_facts}
        for entry in result.recommendations + result.coordination:
            for j in entry.justifications:
                for fact, value in j.facts.items():
                    assert fact in derived or profile[fact] == value  # every fact read traces back
    check()
