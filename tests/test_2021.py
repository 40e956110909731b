"""The 2021 Addendum: crosswalk, inherited scenarios, new rules, modalities, compare."""
import itertools
import json

import pytest
from click.testing import CliRunner

from mcof.cli import main
from mcof.engine import assess, build_profile, explain, load_ruleset
from mcof.engine.compare import compare
from mcof.engine.lint import rule_test_cases
from mcof.engine.results import WouldChange
from tests.test_rulesets import SECTORS_2012

CASH = ["markets_functioning", "financial_infrastructure_available", "financial_literacy_sufficient"]


@pytest.fixture(scope="module")
def r2021():
    return load_ruleset("2021")


@pytest.fixture(scope="module")
def r2012():
    return load_ruleset("2012")


def modality_levels(result):
    return {(m.modality, m.phase): m.level for m in result.modalities or ()}


@pytest.mark.parametrize("values", list(itertools.product([True, False], repeat=3)))
def test_cash_only_when_all_three_conditions_hold(r2021, values):
    profile = build_profile(r2021, dict({"crisis_type": "sudden_onset_natural", "phase": ["during", "after"]},
                                        **dict(zip(CASH, values))))
    levels = modality_levels(assess(r2021, profile))
    recommended = ("cash_based_interventions", "during") in levels
    assert recommended is all(values)


@pytest.mark.parametrize("missing", CASH)
def test_explain_names_the_missing_cash_condition(r2021, missing):
    facts = dict({"crisis_type": "man_made", "phase": "during"}, **{c: True for c in CASH})
    del facts[missing]
    result = explain(r2021, build_profile(r2021, facts), "cash_based_interventions", kind="modality")
    during = next(p for p in result.phases if p.phase == "during")
    assert not during.recommended
    assert WouldChange(missing, True, during.rules[0].level) in during.would_change_if
    opened = [leaf for rule in during.rules for cond in rule.conditions
              for producer in cond.derived_by or () for leaf in producer.conditions]
    assert [leaf.fact for leaf in opened if leaf.status != "held"] == [missing]


def test_explain_cli_for_a_modality():
    result = CliRunner().invoke(main, ["explain", "--ruleset", "2021", "--modality", "cash_based_interventions",
                                       "--set", "crisis_type=man_made", "--set", "phase=during",
                                       "--set", "markets_functioning=true", "--set", "financial_literacy_sufficient=false"])
    assert result.exit_code == 0
    assert "✘ failed   financial_literacy_sufficient is true (is false)" in result.stdout
    assert "? unknown  financial_infrastructure_available is true" in result.stdout


def test_crosswalk_accounts_for_every_2012_sector(r2021):
    assert {link.source_sector for link in r2021.crosswalk} == set(SECTORS_2012)
    for link in r2021.crosswalk:
        if link.relation == "moved_out":
            assert link.interpretation, link.id
    result = CliRunner().invoke(main, ["crosswalk", "--format", "json"])
    assert {link["from"] for link in json.loads(result.stdout)} == set(SECTORS_2012)


def test_every_2021_sector_is_reachable_by_some_profile(r2021, r2012):
    reached = set()
    for ruleset in (r2021, r2012):
        for _, kind, data, _ in rule_test_cases(ruleset):
            if kind == "fires":
                result = assess(r2021, build_profile(r2021, data), explain_absent=False)
                reached |= {r.sector for r in result.recommendations}
    assert reached == set(r2021.sector_slugs)


def test_inherited_justification_shows_the_2012_rule_and_the_crosswalk_link(r2021):
    result = assess(r2021, build_profile(r2021, {"crisis_type": "man_made", "phase": "during",
                                                 "international_migrants_caught": True}))
    merged = next(r for r in result.recommendations
                  if r.sector == "humanitarian_border_management_citizens_abroad")
    origins = {(j.origin["sector"], j.origin["crosswalk"]["id"]) for j in merged.justifications
               if j.origin}
    assert {o[0] for o in origins} == {"humanitarian_border_management", "emergency_consular_assistance"}


@pytest.mark.parametrize("crisis", ["man_made", "sudden_onset_natural", "slow_onset_natural", "protracted", "health"])
@pytest.mark.parametrize("phase", ["before", "during", "after"])
def test_compare_every_annex_scenario_and_phase(r2012, r2021, crisis, phase):
    result = compare(r2012, r2021, build_profile(r2021, {"crisis_type": crisis, "phase": phase}))
    old = {(r.sector, r.phase) for r in result.old.recommendations}
    mapped = {(r.sector_2012, r.phase) for r in result.rows if r.sector_2012}
    assert old == mapped  # every 2012 recommendation has its 2021 row
    for row in result.rows:
        assert row.kind in {"renamed", "merged", "split", "absorbed", "moved_out", "changed_level", "new"}
        if row.sector_2012:
            assert row.crosswalk and row.level_2021, row
        if row.kind == "new":
            assert row.rules_2021 and all(r.startswith("a21-") for r in row.rules_2021
                                             if "--" not in r), row


def test_compare_cli_and_html(tmp_path):
    result = CliRunner().invoke(main, ["compare", "examples/libya-2011.yaml"])
    assert result.exit_code == 0 and "absorbed" in result.stdout and "mcof-2021" in result.stdout
    out = tmp_path / "compare.html"
    result = CliRunner().invoke(main, ["compare", "examples/libya-2011.yaml", "--format", "html", "-o", str(out)])
    assert result.exit_code == 0 and "<html" in out.read_text()


def test_compare_needs_an_inheriting_ruleset():
    result = CliRunner().invoke(main, ["compare", "examples/libya-2011.yaml", "--ruleset", "2012"])
    assert result.exit_code == 1 and "inherits no older ruleset" in result.stderr


def _levels(ruleset, profile):
    result = assess(ruleset, build_profile(ruleset, profile))
    return {(r.sector, r.phase): r for r in result.recommendations}


def test_split_sends_each_sentence_only_to_the_sector_it_names(r2021):
    """Reading rule 6: MC/2355's "tracking displacement" (para. 15) is displacement tracking, never
    camp coordination and camp management (para. 35: "IOM does not advocate the establishment of camps")."""
    sudden = _levels(r2021, {"crisis_type": "sudden_onset_natural", "phase": "during"})
    assert ("camp_coordination_camp_management", "during") not in sudden or all(
        j.origin["rule"] != "so-during-displacement-tracking"
        for j in sudden[("camp_coordination_camp_management", "during")].justifications if j.origin)
    tracking = sudden[("displacement_tracking", "during")]
    assert "so-during-displacement-tracking" in {j.origin["rule"] for j in tracking.justifications if j.origin}
    protracted = _levels(r2021, {"crisis_type": "protracted", "phase": "during"})
    cccm = protracted[("camp_coordination_camp_management", "during")]
    assert cccm.level == "important"
    assert "pr-during-camp-management" in {j.origin["rule"] for j in cccm.justifications if j.origin}
    carried_to_tracking = {j.origin["rule"] for j in protracted[("displacement_tracking", "during")].justifications
                           if j.origin} if ("displacement_tracking", "during") in protracted else set()
    assert "pr-during-camp-management" not in carried_to_tracking


def test_disaster_risk_management_is_not_critical_before_every_crisis(r2021):
    """Para. 29(a)'s "(always)" is scope, not level (reading rule 5)."""
    for crisis in ("man_made", "health"):
        before = _levels(r2021, {"crisis_type": crisis, "phase": "before"})
        entry = before.get(("disaster_risk_management", "before"))
        assert entry is None or entry.level != "critical" or any(
            j.origin for j in entry.justifications if j.level == "critical")


def test_2021_partners_are_named_with_their_words(r2021):
    own = {slug: p for slug, p in r2021.partners.items() if slug not in r2021.parent.partners}
    assert len(own) >= 10
    assert all(p.citation and p.quote for p in own.values())
    cited = {p.citation.paragraph for p in own.values()}
    assert {20, 21, 32} <= cited


@pytest.mark.parametrize("old,new,expected", [
    ("rules: [pr-during-camp-management]", "rules: [pr-during-shelter-nfi]", "does not recommend"),
    ("rules: [pr-during-camp-management]", "rules: []", "non-empty list"),
    ("rules: [so-during-displacement-tracking, sl-during-population-tracking]",
     "rules: [so-during-displacement-tracking]", "no crosswalk link carries mcof-2012 rule(s) sl-during-population-tracking"),
])
def test_crosswalk_rule_routing_is_validated(tmp_path, old, new, expected):
    import shutil
    from mcof.engine import RulesetError
    from tests.conftest import ROOT
    shutil.copytree(ROOT / "rulesets", tmp_path / "rulesets")
    crosswalk = tmp_path / "rulesets" / "2021" / "crosswalk.yaml"
    text = crosswalk.read_text()
    assert old in text
    crosswalk.write_text(text.replace(old, new, 1))
    with pytest.raises(RulesetError) as error:
        load_ruleset(tmp_path / "rulesets" / "2021")
    assert expected in str(error.value) and "crosswalk.yaml" in str(error.value)
