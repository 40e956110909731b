"""MCOF's third pillar: each sector's linkages to systems, clusters and groups (CONTRACT.md)."""
import json

import pytest
from click.testing import CliRunner

from mcof import assess, build_profile, load_ruleset
from mcof.cli import main
from mcof.engine import RulesetError
from mcof.engine.linkages import by_linkage
from mcof.engine.ruleset import LINKAGE_KINDS
from tests.conftest import MINI
from tests.test_ruleset_errors import corrupt

# CONTRACT.md, "Linkages": the slugs fixed for every ruleset, by kind, in the legend's order
CONTRACT_SLUGS = {
    "system": ["cluster_system", "refugee_regime", "development_actors", "security_peacebuilding_actors"],
    "cluster": ["cccm", "wash", "early_recovery", "education", "protection", "logistics",
                "emergency_telecommunications", "health", "food_security", "shelter"],
    "group": ["housing_land_property", "gender_based_violence", "coordination", "rule_of_law_justice", "mhpss",
              "safety_security", "environment", "child_protection", "agriculture"],
}


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("name", ["2012", "2021"])
def test_catalogue_holds_the_contract_slugs_in_the_legends_order(name):
    targets = load_ruleset(name).linkage_targets
    for kind, slugs in CONTRACT_SLUGS.items():
        ours = [t.slug for t in targets.values() if t.kind == kind and t.slug in slugs]
        assert ours == slugs


@pytest.mark.parametrize("name", ["2012", "2021"])
def test_every_sector_links_somewhere_and_every_link_is_stated_or_interpreted(name):
    ruleset = load_ruleset(name)
    for sector in ruleset.sectors:
        assert sector.linkages, f"{sector.slug} has no linkage"
        for link in sector.linkages:
            assert link.quote or link.interpretation
            if link.quote:  # verbatim in the paragraph it cites (the loader checks; so does this)
                document = ruleset.documents[link.citation.document]
                assert document.contains(link.quote, link.citation.section, link.citation.paragraph)


def _links(data, number):
    return {link["to"]: link for link in data[number - 1]["linkages"]}


def test_sectors_json_gives_the_stated_2012_links():
    result = run("sectors", "--ruleset", "2012", "--format", "json")
    data = json.loads(result.stdout)
    assert "cccm" in _links(data, 1) and _links(data, 1)["cccm"]["quote"]
    health = _links(data, 4)
    assert {"health", "cccm"} <= set(health) and health["health"]["quote"] and health["cccm"]["quote"]
    assert set(health["cccm"]) >= {"to", "kind", "name", "citation", "quote"}
    assert health["cccm"]["kind"] == "cluster" and health["cccm"]["name"] == "Camp Coordination & Camp Management (CCCM)"


def test_sectors_json_2021_links_carry_the_addendums_words():
    data = json.loads(run("sectors", "--ruleset", "2021", "--format", "json").stdout)
    assert all(s["linkages"] for s in data)
    cited = {link["citation"].split(",")[0] for s in data for link in s["linkages"] if link["quote"]}
    assert "2021 Addendum" in cited


def test_every_recommendation_carries_its_sectors_linkages():
    ruleset = load_ruleset("2012")
    result = assess(ruleset, build_profile(ruleset, {"crisis_type": "man_made", "phase": ["before", "during", "after"],
                                                     "international_migrants_caught": True}))
    assert result.recommendations
    for rec in result.recommendations:
        assert [link.to_dict() for link in rec.linkages] == [link.to_dict() for link in ruleset.sector(rec.sector).linkages]


def test_by_linkage_inverts_the_recommendations():
    ruleset = load_ruleset("2012")
    result = assess(ruleset, build_profile(ruleset, {"crisis_type": "health", "phase": "during"}))
    groups = by_linkage(result, list(ruleset.linkage_targets))
    kinds = [g["kind"] for g in groups]
    assert kinds == sorted(kinds, key=LINKAGE_KINDS.index)
    pairs = {(g["to"], r["sector"], r["phase"]) for g in groups for r in g["recommendations"]}
    expected = {(link.to, rec.sector, rec.phase) for rec in result.recommendations for link in rec.linkages}
    assert pairs == expected


def test_assess_by_linkage_json_and_table():
    args = ["assess", "--set", "crisis_type=health", "--set", "phase=during"]
    data = json.loads(run(*args, "--by-linkage", "--format", "json").stdout)
    assert data["recommendations"] and data["by_linkage"]
    health = next(g for g in data["by_linkage"] if g["to"] == "health")
    assert "health_support" in {r["sector"] for r in health["recommendations"]}
    table = run(*args, "--by-linkage").stdout
    assert "Health (cluster)" in table and "4. Health Support" in table


def test_assess_table_and_markdown_show_linkages():
    args = ["assess", "--set", "crisis_type=health", "--set", "phase=during"]
    assert "Links to" in run(*args).stdout
    markdown = run(*args, "--format", "markdown").stdout
    assert "- links to **Health** (cluster)" in markdown


def test_mini_linkages_load(mini):
    transport = mini.sector("transport_assistance")
    assert [link.target.slug for link in transport.linkages] == ["logistics", "cluster_system"]
    assert transport.linkages[1].quote is None and transport.linkages[1].interpretation


@pytest.mark.parametrize("file,old,new,expected", [
    ("sectors.yaml", "- to: logistics", "- to: logistic", "did you mean 'logistics'"),
    ("sectors.yaml", 'interpretation: "Test: a link read', 'note: "Test: a link read', "unknown field 'note'"),
    ("sectors.yaml", "quote: \"IOM routinely manages large logistics pipelines",
     "quote: \"IOM sometimes manages large logistics pipelines", "quote not found verbatim"),
    ("sectors.yaml", "        interpretation: \"Test: a link read from the legend alone carries an interpretation.\"\n",
     "", "needs a verbatim 'quote', or an 'interpretation'"),
    ("linkages.yaml", "kind: cluster", "kind: clusters", "did you mean 'cluster'"),
    ("linkages.yaml", "slug: logistics", "slug: cluster_system", "defined twice"),
])
def test_broken_linkages_are_located(mini_copy, file, old, new, expected):
    corrupt(mini_copy, file, old, new)
    with pytest.raises(RulesetError) as error:
        load_ruleset(mini_copy)
    assert expected in str(error.value) and str(mini_copy / file) in str(error.value)
