"""The engine on a small ruleset whose outcomes we control: chaining, alternatives, levels,
unknown facts, and each durable-rules trap listed in shared/notes/durable-rules.md."""
import random

import pytest
from durable import engine as durable
from hypothesis import given, settings, strategies as st

from mcof.engine import EngineError, assess, build_profile
from mcof.engine import inference
from mcof.engine.inference import DurableEngine, durable_engine

MIGRANTS_DURING = {"crisis_type": "man_made", "phase": "during", "international_migrants_caught": True}


def levels(result):
    return {(r.sector, r.phase): r.level for r in result.recommendations}


def fired(result):
    rules = set()
    for key in ("recommendations", "coordination", "derived_facts"):
        for entry in getattr(result, key):
            rules |= {j.rule for j in entry.justifications}
    return rules


def test_forward_chains_through_two_derived_facts(mini):
    result = assess(mini, build_profile(mini, MIGRANTS_DURING))
    # international_migrants_caught -> border_pressure -> assistance_flowing -> communications
    assert levels(result)[("humanitarian_communications", "during")] == "important"
    derived = {d.fact: d for d in result.derived_facts}
    assert derived["assistance_flowing"].justifications[0].facts["border_pressure"] is True
    assert derived["border_pressure"].justifications[0].facts == {"international_migrants_caught": True}


def test_alternatives_fire_once_and_list_facts_of_each(mini):
    both = dict(MIGRANTS_DURING, large_cross_border_movements=True)
    result = assess(mini, build_profile(mini, both))
    border = next(d for d in result.derived_facts if d.fact == "border_pressure")
    assert len(border.justifications) == 1
    assert border.justifications[0].facts == {"international_migrants_caught": True,
                                                    "large_cross_border_movements": True}


def test_entry_level_is_highest_and_all_supporting_rules_listed(mini):
    profile = build_profile(mini, dict(MIGRANTS_DURING, migrant_share=40))
    transport = next(r for r in assess(mini, profile).recommendations if r.sector == "transport_assistance")
    assert transport.level == "critical"
    assert [j.rule for j in transport.justifications] == ["transport-during-critical", "transport-during"]


def test_unknown_is_not_false(mini):
    unknown = assess(mini, build_profile(mini, {"crisis_type": "man_made", "phase": "during"}))
    known_false = assess(mini, build_profile(mini, {"crisis_type": "man_made", "phase": "during",
                                                    "international_migrants_caught": False,
                                                    "large_cross_border_movements": False}))
    assert "international_migrants_caught" in unknown.unknown_facts
    assert "international_migrants_caught" not in known_false.unknown_facts
    hints = {(c.fact, c.value) for a in unknown.not_recommended for c in a.would_change_if}
    assert ("international_migrants_caught", True) in hints
    assert not [c for a in known_false.not_recommended for c in a.would_change_if
                if c.fact == "international_migrants_caught"]


def test_negated_numeric_condition_on_unknown_fact_stays_unknown(mini):
    # `not migrant_share < 10` must not hold when migrant_share is unknown
    result = assess(mini, build_profile(mini, {"crisis_type": "man_made", "phase": "during"}))
    assert ("transport_assistance", "during") not in levels(result)
    result = assess(mini, build_profile(mini, {"crisis_type": "man_made", "phase": "during", "migrant_share": 10}))
    assert levels(result)[("transport_assistance", "during")] == "recommended"


def test_sessions_are_isolated(mini):
    assert assess(mini, build_profile(mini, MIGRANTS_DURING)).recommendations
    after = assess(mini, build_profile(mini, {"crisis_type": "health", "phase": "during"}))
    assert after.recommendations == () and after.derived_facts == ()


def test_errors_inside_actions_are_raised_not_swallowed(mini, monkeypatch):
    def broken(self, rule, alternative):
        raise RuntimeError("boom")
    monkeypatch.setattr(inference.Derivation, "record", broken)
    with pytest.raises(EngineError, match="boom"):
        durable_engine(mini).run(build_profile(mini, MIGRANTS_DURING))


def test_salted_retry_when_a_distinct_fact_is_rejected_as_observed(mini, monkeypatch):
    """Simulate durable-rules #376 (32-bit fact identity): the first message for the derived
    fact is made identical to an input fact already in the session, so durable-rules really
    rejects it; the engine must retry with a salt and the chain must go on."""
    real = inference._fact_message

    def colliding(name, value, sid, salt=0):
        if name == "border_pressure" and salt == 0:
            return real("international_migrants_caught", True, sid)
        return real(name, value, sid, salt)

    monkeypatch.setattr(inference, "_fact_message", colliding)
    engine = DurableEngine(mini)  # a fresh host: the compiled actions use the patched function
    derivation = engine.run(build_profile(mini, MIGRANTS_DURING))
    assert derivation.derived == {"border_pressure": True, "assistance_flowing": True}
    assert "communications-chain" in derivation.fired


def test_retry_gives_up_with_an_error_after_repeated_rejection():
    def always_observed(message):
        raise durable.MessageObservedException(message)
    with pytest.raises(EngineError, match="already observed"):
        DurableEngine._assert(always_observed, "x", True, "1")


def test_facts_no_rule_can_match_are_dropped_quietly(mini):
    # migrant_share=3 matches no pattern: durable-rules raises MessageNotHandledException
    result = assess(mini, build_profile(mini, {"crisis_type": "slow_onset_natural", "phase": "after",
                                               "migrant_share": 3}))
    assert result.recommendations == ()


profiles = st.fixed_dictionaries(
    {"crisis_type": st.lists(st.sampled_from(["man_made", "health", "protracted"]), min_size=1, unique=True),
     "phase": st.lists(st.sampled_from(["before", "during", "after"]), min_size=1, unique=True)},
    optional={"international_migrants_caught": st.booleans(), "large_cross_border_movements": st.booleans(),
              "migrant_share": st.integers(0, 100)})


@settings(max_examples=200, deadline=None)
@given(profiles, st.randoms())
def test_durable_equals_reference_and_ignores_fact_order(mini, profile, rnd):
    normalized = build_profile(mini, profile)
    items = list(normalized.items())
    rnd.shuffle(items)
    shuffled = {k: (rnd.sample(v, len(v)) if isinstance(v, list) else v) for k, v in items}
    a = assess(mini, normalized)
    assert assess(mini, build_profile(mini, shuffled)) == a
    assert assess(mini, normalized, engine="reference") == a


def test_hundred_thousand_sessions(mini):
    """Long run of sessions, including ones where nothing fires (delete_state crash trap) and
    more than the 1024 live sessions durable-rules allows: every one deleted, answers right."""
    engine = durable_engine(mini)
    rnd = random.Random(7)
    choices = [
        ({"crisis_type": ["man_made"], "phase": ["during"], "international_migrants_caught": True}, True),
        ({"crisis_type": ["health"], "phase": ["after"]}, False),
        ({"crisis_type": ["man_made"], "phase": ["before"], "migrant_share": 3}, False),
        ({"crisis_type": ["man_made"], "phase": ["during"], "large_cross_border_movements": True}, True),
    ]
    for _ in range(100_000):
        profile, expect_border = rnd.choice(choices)
        derivation = engine.run(profile)
        assert ("border_pressure" in derivation.derived) is expect_border
    assert engine._sessions == {}
