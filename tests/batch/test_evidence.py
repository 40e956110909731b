"""The units a country profile is built from: each fact, context label and basis text on its
own, so a change to one shows here rather than only in a whole-table comparison."""
import pytest

from mcof.engine.batch import build_tables, load_mapping
from mcof.engine.batch import profiles as P
from mcof.engine.batch.inputs import Cell


@pytest.fixture(scope="module")
def overridden():
    return load_mapping("inform", overrides={"drought": 6.0})


def ok(indicator, value, column="Col"):
    return Cell(indicator, "ok", value, str(value), "inform.csv", 2, column)


def test_basis_of_thresholds_and_parameters(mapping, overridden):
    assert P._basis(mapping.thresholds["drought"]) == "policy choice"
    assert P._basis(mapping.thresholds["risk_high"]).startswith("source: INFORM methodology")
    assert P._basis(overridden.thresholds["drought"]) == "overridden; mapping default 5.0"
    assert P._thr_text(overridden, "drought") == "threshold drought, overridden; mapping default 5.0"
    assert P._basis(mapping.parameters["phase"]) == "policy choice"


def test_parameter_fact(mapping):
    value, evidence = P._parameter_fact(mapping.facts["phase"], mapping)
    assert value == ["before"] and (evidence.status, evidence.kind) == ("set", "parameter")
    assert evidence.text == "mapping parameter phase = [before] (policy choice) -> phase = [before]"


def test_condition_fact_true_false_unknown(mapping):
    spec = mapping.facts["prone_to_natural_disasters"]
    state, ev = P._condition_fact(spec, {"natural": ok("natural", 7.0, "Natural")}, mapping, {}, set())
    assert state is True and ev.status == "true" and ev.text.endswith("-> prone_to_natural_disasters = true")
    state, ev = P._condition_fact(spec, {"natural": ok("natural", 1.0, "Natural")}, mapping, {}, set())
    assert state is False and ev.status == "false"
    state, ev = P._condition_fact(spec, {}, mapping, {}, set())
    assert state is None and ev.status == "unknown" and "left out of the profile" in ev.text


def test_list_fact_all_unknown_is_unknown(mapping):
    members, unknown_members, evidence = P._list_fact(mapping.facts["crisis_type"], {}, mapping, {}, set())
    assert members is None and unknown_members == list(mapping.facts["crisis_type"].members)
    assert evidence[-1].status == "unknown" and evidence[-1].text.startswith("every crisis_type member")


def test_context_bands(mapping):
    cs = mapping.context["inform_risk_class"]
    label, ev = P._context_value(cs, {"inform_risk": ok("inform_risk", 5.2, "INFORM RISK")}, mapping)
    assert label == "High" and ev.kind == "context"
    assert ev.text.startswith("INFORM RISK 5.2 >= 5.0 (threshold risk_high, source: ")
    label, ev = P._context_value(cs, {"inform_risk": ok("inform_risk", 1.0, "INFORM RISK")}, mapping)
    assert label == "Very Low" and " < 2.0 (threshold risk_low, " in ev.text
    label, ev = P._context_value(cs, {}, mapping)
    assert label is None and ev.text == "inform_risk unknown (not in the table) -> inform_risk_class unknown"


def test_summary_level_is_the_highest_of_the_rulesets_levels(real_profiles):
    profile = real_profiles[0]
    recs = [{"sector": "s", "phase": "before", "level": "recommended", "justifications": []},
            {"sector": "s", "phase": "during", "level": "critical", "justifications": []},
            {"sector": "s", "phase": "after", "level": "important", "justifications": []}]
    _, summary = build_tables([(profile, {"recommendations": recs})], sectors=["s"],
                              levels=["critical", "important", "recommended"])
    assert summary[0]["s"] == "critical"
