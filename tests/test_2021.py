"""The 2021 Addendum: crosswalk, inherited scenarios, new rules, modalities, compare."""
import itertools
import json

import pytest
from click.testing import CliRunner

from mcof.cli import main
from mcof.engine import assess, build_profile, explain, load_ruleset
from mcof.engine.compare import compare
from mcof.engine.lint import rule_test_cases
from tests.test_rulesets import SECTORS_2012

CASH = ["markets_functioning", "financial_infrastructure_available", "financial_literacy_sufficient"]


@pytest.fixture(scope="module")
def r2021():
    return load_ruleset("2021")


@pytest.fixture(scope="module")
def r2012():
    return load_ruleset("2012")


def modality_levels(result):
    return {(m["modality"], m["phase"]): m["level"] for m in result.get("modalities", [])}


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
    during = next(p for p in result["phases"] if p["phase"] == "during")
    assert not during["recommended"]
    assert {"fact": missing, "value": True, "level": during["rules"][0]["level"]} in during["would_change_if"]
    opened = [leaf for rule in during["rules"] for cond in rule["conditions"]
              for producer in cond.get("derived_by", []) for leaf in producer["conditions"]]
    assert [leaf["fact"] for leaf in opened if leaf["status"] != "held"] == [missing]


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
                reached |= {r["sector"] for r in result["recommendations"]}
    assert reached == set(r2021.sector_slugs)


def test_inherited_justification_shows_the_2012_rule_and_the_crosswalk_link(r2021):
    result = assess(r2021, build_profile(r2021, {"crisis_type": "man_made", "phase": "during",
                                                 "international_migrants_caught": True}))
    merged = next(r for r in result["recommendations"]
                  if r["sector"] == "humanitarian_border_management_citizens_abroad")
    origins = {(j["origin"]["sector"], j["origin"]["crosswalk"]["id"]) for j in merged["justifications"]
               if "origin" in j}
    assert {o[0] for o in origins} == {"humanitarian_border_management", "emergency_consular_assistance"}


@pytest.mark.parametrize("crisis", ["man_made", "sudden_onset_natural", "slow_onset_natural", "protracted", "health"])
@pytest.mark.parametrize("phase", ["before", "during", "after"])
def test_compare_every_annex_scenario_and_phase(r2012, r2021, crisis, phase):
    result = compare(r2012, r2021, build_profile(r2021, {"crisis_type": crisis, "phase": phase}))
    old = {(r["sector"], r["phase"]) for r in result["2012"]["recommendations"]}
    mapped = {(r["sector_2012"], r["phase"]) for r in result["rows"] if r["sector_2012"]}
    assert old == mapped  # every 2012 recommendation has its 2021 row
    for row in result["rows"]:
        assert row["kind"] in {"renamed", "merged", "split", "absorbed", "moved_out", "changed_level", "new"}
        if row["sector_2012"]:
            assert row["crosswalk"] and row["level_2021"], row
        if row["kind"] == "new":
            assert row["rules_2021"] and all(r.startswith("a21-") for r in row["rules_2021"]
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
