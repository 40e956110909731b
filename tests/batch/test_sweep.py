"""Threshold sweeps: the vectorized pass (factgrid + vectorized evaluator) against profiles
rebuilt and assessed one by one with durable-rules, on the real INFORM 2020 + UN DESA tables."""
import itertools

import numpy as np
import pytest
from batchdata import INFORM, STOCK

from mcof.engine.batch import build_profiles
from mcof.engine.batch.factgrid import FactGrid, combination_mappings
from mcof.engine.batch.mapping import apply_overrides
from mcof.engine.batch.sweep import evidence_inputs, threshold_sweep
from mcof.engine.errors import McofError

INPUTS = [str(INFORM), str(STOCK)]

# Values at and around real scores (Sudan's Drought is 6.9: `gte` must hold at 6.9 exactly),
# a threshold another fact reads through a fact condition (many_tcn_share), and a parameter.
SWEEPS = {
    "2012": [("drought", [4.0, 6.9, 8.0]), ("many_tcn_share", [5.0, 15.0]), ("phase", ["before", "during"])],
    "2021": [("uprooted_people", [5.0, 7.0]), ("conflict_intensity", [0.5, 8.0])],
}


@pytest.fixture(scope="module")
def every_country(real_table):
    return list(real_table.cells)


@pytest.mark.parametrize("ruleset_name", sorted(SWEEPS))
def test_vectorized_sweep_equals_durable_rules_one_by_one(ruleset_name, every_country):
    variations = SWEEPS[ruleset_name]
    vectorized = threshold_sweep(INPUTS, "inform", ruleset_name, every_country, variations)
    durable = threshold_sweep(INPUTS, "inform", ruleset_name, every_country, variations, engine="durable")
    assert len(vectorized["countries"]) == 191
    flips = [f for country in durable["countries"] for f in country["flips"]]
    assert flips and any(f["evidence_changed"] for f in flips)   # the comparison covers flips and their evidence
    for ours, theirs in zip(vectorized["countries"], durable["countries"]):
        assert ours == theirs, ours["iso3"]
    assert vectorized == durable


def test_grid_facts_are_the_profiles_facts(mapping, real_table, every_country):
    combinations = [dict(zip(("drought", "uprooted_people", "phase"), values))
                    for values in itertools.product([0.0, 6.9, 10.0], [6.5, 9.0], ["during", "after"])]
    grid = FactGrid(combination_mappings(mapping, combinations), real_table.cells, every_country)
    assessable = grid.assessable()
    for c, combination in enumerate(combinations):
        profiles = build_profiles(real_table, apply_overrides(mapping, combination))
        for unit, profile in enumerate(profiles):
            assert grid.facts_at(c, unit) == (profile.facts, set(profile.unknown)), (combination, profile.iso3)
            assert assessable[c, unit] == profile.assessable
    assert 0 < assessable.sum() < assessable.size


def test_combination_mappings_are_apply_overrides(mapping):
    combinations = [{"drought": 6.0, "phase": "during"}, {"drought": 5.0, "phase": "before"}]
    for ours, combination in zip(combination_mappings(mapping, combinations), combinations):
        theirs = apply_overrides(mapping, combination)
        assert ours.thresholds == theirs.thresholds and ours.parameters == theirs.parameters
    # drought 5.0 is the mapping's own value: not marked overridden, as apply_overrides does
    assert not combination_mappings(mapping, combinations)[1].thresholds["drought"].overridden


def test_evidence_follows_fact_conditions(mapping):
    inputs = evidence_inputs(mapping)
    assert inputs["many_third_country_nationals"] == {"many_tcn_share"}
    # read through `{fact: many_third_country_nationals}`
    assert inputs["international_migrants_caught"] == {"many_tcn_share"}
    assert {"drought", "earthquake", "conflict_risk"} <= inputs["crisis_type"]
    assert inputs["phase"] == {"phase"}


def test_no_country_assessable_gives_empty_rows(every_country):
    # every crisis-type threshold above the 0-10 scale: no crisis type anywhere
    names = ["conflict_intensity", "conflict_risk", "earthquake", "flood", "tsunami", "tropical_cyclone",
             "drought", "epidemic", "uprooted_people"]
    result = threshold_sweep(INPUTS, "inform", "2012", every_country[:3], [(n, [11.0]) for n in names])
    assert [c["rows"] for c in result["countries"]] == [[], [], []]


def test_bad_values_and_countries_fail_clearly():
    with pytest.raises(McofError, match="threshold drought needs a number"):
        threshold_sweep(INPUTS, "inform", "2012", ["SDN"], [("drought", [5.0, "high"])])
    with pytest.raises(McofError, match="country ATA is not in the inputs"):
        threshold_sweep(INPUTS, "inform", "2012", ["ATA"], [("drought", [5.0])])
