"""The 2012 framework's own scenarios, end to end through the command line."""
import json
import re

import pytest
from click.testing import CliRunner

from mcof.cli import main
from mcof.engine import assess, build_profile, load_ruleset, read_profile_file
from tests.conftest import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
CITED_CRISES = ["syrian-arab-republic-2012", "libya-2011", "cote-divoire-2011", "pakistan-2010",
                "haiti-earthquake-2010", "japan-2011", "indian-ocean-tsunami-2004", "bangladesh-2009",
                "horn-of-africa-2011", "sahel-2012", "democratic-republic-of-the-congo", "haiti-cholera-2010",
                "typhoon-haiyan-2013"]


def test_contract_example_migrants_caught_in_a_man_made_crisis():
    result = CliRunner().invoke(main, ["assess", "--ruleset", "2012", "--set", "crisis_type=man_made",
                                       "--set", "phase=during", "--set", "international_migrants_caught=true",
                                       "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    recommended = {r["sector"]: r for r in data["recommendations"] if r["phase"] == "during"}
    paragraph9 = load_ruleset("2012").documents["MC/2355"].paragraph("Annex I", 9)
    for sector in ("transport_assistance", "humanitarian_border_management", "emergency_consular_assistance",
                   "counter_trafficking_protection"):
        assert sector in recommended
        quotes = [j for j in recommended[sector]["justifications"] if j["citation"] == "MC/2355 Annex I, para. 9"]
        assert quotes and all(j["quote"] in paragraph9 for j in quotes)
    origin = [c for c in data["coordination"] if c["partner"] == "country_of_origin"]
    assert origin and origin[0]["justifications"][0]["citation"] == "MC/2355 Annex I, para. 7"
    # the derived facts the justifications read are themselves justified, back to input facts
    derived = {d["fact"]: d for d in data["derived_facts"]}
    for rec in data["recommendations"]:
        for j in rec["justifications"]:
            for fact in j["derived_facts"]:
                assert fact in derived


def test_every_cited_crisis_has_an_example():
    assert [p.stem for p in EXAMPLES] == sorted(CITED_CRISES)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_facts_are_each_annotated_with_their_support(path):
    data = read_profile_file(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    for fact in data:
        line = next(l for l in lines if re.match(rf"^{fact}\s*:", l))
        assert "#" in line, f"{path.name}: fact {fact} has no annotation"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("ruleset_name", ["2012", "2021"])
def test_examples_assess_under_both_rulesets(path, ruleset_name):
    if not (ROOT / "rulesets" / ruleset_name / "ruleset.yaml").exists():
        pytest.skip(f"ruleset {ruleset_name} not present")
    ruleset = load_ruleset(ruleset_name)
    profile = build_profile(ruleset, read_profile_file(path))
    result = assess(ruleset, profile)
    assert result.recommendations
    for rec in result.recommendations:
        assert rec.phase in profile["phase"]
        best = min(ruleset.level_rank(j.level) for j in rec.justifications)
        assert ruleset.level_rank(rec.level) == best


SCENARIO_SECTORS_2012 = {
    # (crisis type, phase): sectors the Annex I paragraph names without any condition
    ("man_made", "before"): {"community_stabilization_transition", "counter_trafficking_protection"},
    ("man_made", "after"): {"community_stabilization_transition", "land_property_support",
                            "diaspora_human_resource_mobilization"},
    ("sudden_onset_natural", "before"): {"disaster_risk_reduction_resilience"},
    ("sudden_onset_natural", "during"): {"camp_management_displacement_tracking", "shelter_nfi", "health_support",
                                         "psychosocial_support", "humanitarian_communications"},
    ("sudden_onset_natural", "after"): {"disaster_risk_reduction_resilience", "reintegration_assistance"},
    ("slow_onset_natural", "before"): {"disaster_risk_reduction_resilience"},
    ("slow_onset_natural", "after"): {"disaster_risk_reduction_resilience", "land_property_support",
                                      "reintegration_assistance"},
    ("protracted", "before"): {"community_stabilization_transition"},
    ("protracted", "during"): {"health_support", "psychosocial_support", "shelter_nfi",
                               "camp_management_displacement_tracking", "community_stabilization_transition",
                               "reintegration_assistance", "counter_trafficking_protection"},
    ("protracted", "after"): {"community_stabilization_transition", "reintegration_assistance",
                              "psychosocial_support"},
    ("health", "before"): {"disaster_risk_reduction_resilience", "health_support", "humanitarian_border_management"},
    ("health", "during"): {"health_support", "psychosocial_support", "shelter_nfi", "humanitarian_communications",
                           "humanitarian_border_management", "diaspora_human_resource_mobilization"},
    ("health", "after"): {"health_support", "disaster_risk_reduction_resilience", "humanitarian_border_management"},
}


@pytest.mark.parametrize("crisis,phase", sorted(SCENARIO_SECTORS_2012))
def test_each_annex_scenario_names_its_unconditional_sectors(crisis, phase):
    ruleset = load_ruleset("2012")
    result = assess(ruleset, build_profile(ruleset, {"crisis_type": crisis, "phase": phase}))
    assert SCENARIO_SECTORS_2012[(crisis, phase)] <= {r.sector for r in result.recommendations}


def test_transport_is_critical_on_man_made_during_alone():
    """Para. 9, with no "if": "Transportation assistance can also be a critical life-saving
    protection activity for those caught in a crisis" (the fidelity issue's first defect)."""
    result = CliRunner().invoke(main, ["assess", "--ruleset", "2012", "--set", "crisis_type=man_made",
                                       "--set", "phase=during", "--format", "json"])
    data = json.loads(result.stdout)
    transport = next(r for r in data["recommendations"] if r["sector"] == "transport_assistance")
    assert transport["level"] == "critical"
    quotes = {j["quote"] for j in transport["justifications"] if j["citation"] == "MC/2355 Annex I, para. 9"}
    assert any(q.startswith("Transportation assistance can also be a critical life-saving protection activity")
               for q in quotes)


@pytest.mark.parametrize("ruleset", ["2012", "2021"])
def test_country_in_crisis_in_every_phase_of_every_scenario(ruleset):
    rs = load_ruleset(ruleset)
    for crisis in rs.facts["crisis_type"].values:
        for phase in rs.facts["phase"].values:
            result = assess(rs, build_profile(rs, {"crisis_type": crisis, "phase": phase}))
            assert "country_in_crisis" in {c.partner for c in result.coordination if c.phase == phase}, \
                (crisis, phase)
