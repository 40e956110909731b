"""The built-in rulesets: fidelity to the source texts, the CONTRACT's names, and every
rule's own cases (rules/<name>.test.yaml beside each rule file, as semgrep-rules does)."""
from pathlib import Path

import pytest

from mcof.engine import assess, build_profile, load_ruleset
from mcof.engine.ruletests import check_case, load_cases, run_tests
from mcof.engine.ruleset import BUILTIN_DIR
from mcof.engine.sources import normalize

SECTORS_2012 = [
    "camp_management_displacement_tracking", "shelter_nfi", "transport_assistance", "health_support",
    "psychosocial_support", "reintegration_assistance", "community_stabilization_transition",
    "disaster_risk_reduction_resilience", "land_property_support", "counter_trafficking_protection",
    "humanitarian_border_management", "emergency_consular_assistance", "diaspora_human_resource_mobilization",
    "migration_policy_legislation", "humanitarian_communications"]
SECTORS_2021 = [
    "camp_coordination_camp_management", "displacement_tracking", "shelter_settlements", "wash", "health",
    "mental_health_psychosocial_support", "protection", "peacebuilding_social_cohesion",
    "livelihoods_economic_recovery", "basic_infrastructure_services", "transitional_justice", "land_property",
    "disaster_risk_management", "humanitarian_border_management_citizens_abroad", "movement_assistance"]
CONTRACT_FACTS = ["many_third_country_nationals", "international_migrants_caught", "large_cross_border_movements",
                  "prone_to_natural_disasters", "acute_humanitarian_needs"]
BUILTINS = [name for name in ("2012", "2021") if (BUILTIN_DIR / name / "ruleset.yaml").exists()]


def rule_cases(name):
    """Every case of a ruleset's rules/*.test.yaml, as `mcof rules test` reads them."""
    return [pytest.param(name, case, id=f"{name}:{case.rule}:{case.kind}:{Path(case.file).name}:{case.line}")
            for case in load_cases(load_ruleset(name))]


@pytest.mark.parametrize("name", BUILTINS)
def test_every_quote_is_verbatim_in_its_cited_paragraph(name):
    ruleset = load_ruleset(name)
    quoted = [(r.id, r.quote, r.citation) for r in ruleset.rules]
    quoted += [(s.slug, s.objective, s.citation) for s in ruleset.sectors]
    quoted += [(f.name, f.quote, f.source) for f in ruleset.facts.values() if f.quote]
    quoted += [(link.id, link.quote, link.citation) for link in ruleset.crosswalk]
    for catalogue in (ruleset.partners, ruleset.modalities, ruleset.cross_cutting):
        quoted += [(c.slug, c.quote, c.citation) for c in catalogue.values() if c.quote]
    assert quoted
    for what, quote, citation in quoted:
        paragraph = ruleset.documents[citation.document].paragraph(citation.section, citation.paragraph)
        assert paragraph is not None, f"{what}: {citation} does not exist"
        assert normalize(quote) in paragraph, f"{what}: quote not verbatim in {citation}: {quote!r}"


def test_source_texts_are_the_seed_documents():
    seeds = Path(__file__).resolve().parents[2] / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip("shared/seeds not beside the checkout")
    assert (BUILTIN_DIR / "sources" / "MC2355.txt").read_bytes() == (seeds / "003_732095c05493b0d7.txt").read_bytes()
    assert (BUILTIN_DIR / "sources" / "MCOF-2021-Addendum.txt").read_bytes() == \
        (seeds / "004_53d036f7a7b9d005.txt").read_bytes()


@pytest.mark.parametrize("name,expected", [("2012", SECTORS_2012), ("2021", SECTORS_2021)])
def test_sectors_are_the_contract_slugs_in_document_order(name, expected):
    if name not in BUILTINS:
        pytest.skip(f"ruleset {name} not present")
    assert load_ruleset(name).sector_slugs == expected


@pytest.mark.parametrize("name", BUILTINS)
def test_contract_facts_exist_as_booleans(name):
    facts = load_ruleset(name).facts
    for fact in CONTRACT_FACTS:
        assert facts[fact].type == "bool" and not facts[fact].derived
    assert facts["crisis_type"].values == ["man_made", "sudden_onset_natural", "slow_onset_natural", "protracted",
                                           "health"]
    assert facts["phase"].values == ["before", "during", "after"]


@pytest.mark.parametrize("name", BUILTINS)
def test_every_rule_has_cases_that_fire_it_and_cases_that_must_not(name):
    report = run_tests(load_ruleset(name))
    assert not report.untested, report.untested


@pytest.mark.parametrize("name,case", [c for n in BUILTINS for c in rule_cases(n)])
def test_rule_case(name, case):
    result = check_case(load_ruleset(name), case)
    assert result.passed, f"{case.where}: {case.rule} {result.message} on {case.profile}"


@pytest.mark.parametrize("name", BUILTINS)
def test_every_sector_can_be_recommended_by_some_rule(name):
    ruleset = load_ruleset(name)
    recommended = {r.conclusion.target for r in ruleset.rules if r.conclusion.kind == "recommend"}
    assert set(ruleset.sector_slugs) <= recommended, set(ruleset.sector_slugs) - recommended


@pytest.mark.parametrize("name", BUILTINS)
def test_every_scenario_and_phase_recommends_something(name):
    """On crisis type and phase alone, or, where the paragraph opens with a condition (para. 21:
    "During a slow-onset natural disaster that leads to acute humanitarian needs"), once one
    further fact holds: every Annex I phase paragraph names some sector."""
    from mcof.engine.diagrams import diagrams
    ruleset = load_ruleset(name)
    for scenario in diagrams(ruleset)["scenarios"]:
        for phase in ruleset.facts["phase"].values:
            cells = [c for c in scenario["cells"] if c["phase"] == phase]
            assert any(c["level"] or c["conditional"] for c in cells), f"{scenario['crisis_type']}/{phase}"
            result = assess(ruleset, build_profile(ruleset, {"crisis_type": scenario["crisis_type"], "phase": phase}))
            for rec in result.recommendations:
                assert rec.phase == phase


def test_slow_onset_during_waits_for_acute_needs():
    ruleset = load_ruleset("2012")
    bare = assess(ruleset, build_profile(ruleset, {"crisis_type": "slow_onset_natural", "phase": "during"}))
    assert bare.recommendations == ()
    acute = assess(ruleset, build_profile(ruleset, {"crisis_type": "slow_onset_natural", "phase": "during",
                                                    "acute_humanitarian_needs": True}))
    levels = {r.sector: r.level for r in acute.recommendations}
    assert levels["land_property_support"] == "important"
    assert levels["disaster_risk_reduction_resilience"] == "critical"


