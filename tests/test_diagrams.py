"""`mcof diagrams`: the lost Annex I scenario diagrams, reconstructed from the rules."""
import json

import pytest
from click.testing import CliRunner

from mcof import assess, build_profile, load_ruleset
from mcof.cli import main
from mcof.engine.diagrams import diagrams
from mcof.engine.report.html import render_diagrams

PHASES = ["before", "during", "after"]


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module", params=["2012", "2021"])
def built(request):
    ruleset = load_ruleset(request.param)
    return ruleset, diagrams(ruleset)


def test_five_scenarios_each_a_full_sector_by_phase_grid(built):
    ruleset, result = built
    assert [s["crisis_type"] for s in result["scenarios"]] == ruleset.facts["crisis_type"].values
    for scenario in result["scenarios"]:
        assert [(c["sector"], c["phase"]) for c in scenario["cells"]] == [
            (s.slug, p) for s in ruleset.sectors for p in PHASES]


def test_base_cells_are_what_crisis_type_and_phase_alone_give(built):
    ruleset, result = built
    for scenario in result["scenarios"]:
        alone = assess(ruleset, build_profile(ruleset, {"crisis_type": scenario["crisis_type"], "phase": PHASES}))
        expected = alone.levels()
        drawn = {(c["sector"], c["phase"]): c["level"] for c in scenario["cells"] if c["level"]}
        assert drawn == expected


def test_conditional_cells_are_what_that_one_fact_adds(built):
    ruleset, result = built
    checked = 0
    for scenario in result["scenarios"]:
        for cell in scenario["cells"]:
            for option in cell["conditional"][:1]:
                profile = build_profile(ruleset, {"crisis_type": scenario["crisis_type"], "phase": PHASES,
                                                  option["fact"]: option["value"]})
                levels = assess(ruleset, profile).levels()
                assert levels[(cell["sector"], cell["phase"])] == option["level"]
                assert cell["level"] is None or ruleset.level_rank(option["level"]) < ruleset.level_rank(cell["level"])
                assert option["rules"], "a conditional cell names the rules that add it"
                checked += 1
    assert checked > 10


def test_man_made_diagram_reads_para_8_and_9():
    result = diagrams(load_ruleset("2012"), ["man_made"])
    cells = {(c["sector"], c["phase"]): c for c in result["scenarios"][0]["cells"]}
    assert cells[("transport_assistance", "during")]["level"] == "critical"          # para. 9, no "if"
    border = cells[("humanitarian_border_management", "before")]
    assert border["level"] is None                                                    # para. 8 "If ... many"
    assert {"fact": "many_third_country_nationals", "value": True, "level": "important",
            "rules": ["mm-before-border-management"]} in border["conditional"]


def test_slow_onset_during_is_drawn_as_waiting_for_acute_needs():
    result = diagrams(load_ruleset("2012"), ["slow_onset_natural"])
    during = [c for c in result["scenarios"][0]["cells"] if c["phase"] == "during"]
    land = next(c for c in during if c["sector"] == "land_property_support")
    assert land["level"] is None and land["conditional"][0]["fact"] == "acute_humanitarian_needs"


def test_country_in_crisis_in_every_phase_of_every_scenario(built):
    _, result = built
    for scenario in result["scenarios"]:
        phases = {c["phase"] for c in scenario["coordination"] if c["partner"] == "country_in_crisis"}
        assert phases == set(PHASES), scenario["crisis_type"]


def test_diagrams_json_carries_provenance_and_linkages():
    data = json.loads(run("diagrams", "--format", "json").stdout)
    assert data["schema_version"] and data["provenance"]["ruleset"]["id"] == "mcof-2012"
    assert len(data["provenance"]["ruleset"]["sha256"]) == 64 and data["provenance"]["tool"]["name"] == "mcof"
    assert data["sectors"][0]["linkages"] and len(data["linkage_targets"]) >= 23


def test_diagrams_table_and_markdown():
    table = run("diagrams", "--crisis-type", "man_made").stdout
    assert "Man-made disaster" in table and "15. Humanitarian Communications" in table
    markdown = run("diagrams", "--format", "markdown", "--crisis-type", "man_made").stdout
    assert markdown.startswith("## Man-made disaster") and "| sector | before | during | after |" in markdown
    border = next(line for line in markdown.splitlines() if "Humanitarian Border Management" in line)
    assert "if many_third_country_nationals: important" in border


def test_unknown_crisis_type_is_a_clean_error():
    result = CliRunner().invoke(main, ["diagrams", "--crisis-type", "man-made"])
    assert result.exit_code == 1 and "Error:" in result.stderr and "did you mean 'man_made'" in result.stderr


def test_html_has_a_grid_and_a_wheel_per_scenario(built):
    ruleset, result = built
    html = render_diagrams(result)
    assert html.count('<table class="dgrid">') == 5 and html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 5
    for scenario in result["scenarios"]:
        for cell in scenario["cells"]:
            if cell["level"]:  # every coloured cell of the engine's result is drawn, in the grid and the wheel
                assert f'data-sector="{cell["sector"]}" data-phase="{cell["phase"]}" data-level="{cell["level"]}"' in html
    for sector in ruleset.sectors:
        for link in sector.linkages:
            assert f">{link.target.short}</text>" in html.replace("&amp;", "&")
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_every_linkage_target_has_a_short_label_the_legend_explains():
    result = diagrams(load_ruleset("2012"), ["health"])
    html = render_diagrams(result)
    for target in result["linkage_targets"]:
        assert target["short"] and f"<strong>{target['short']}</strong> {target['name']}" in html.replace("&amp;", "&")


# ---------------------------------------------------------------------------------------------
# what a person sees: the diagrams page in headless Chromium (skipped without a browser)

try:
    from tests.browser import chromium
except ImportError:  # pragma: no cover
    from browser import chromium  # type: ignore[no-redef]

CHROMIUM = chromium.find_chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")


@needs_chromium
@pytest.mark.parametrize("name", ["2012", "2021"])
def test_browser_draws_five_grids_and_five_wheels(tmp_path, name):
    import re
    ruleset = load_ruleset(name)
    result = diagrams(ruleset)
    page = tmp_path / "diagrams.html"
    page.write_text(render_diagrams(result), encoding="utf-8")
    dom = chromium.dump_dom(page, CHROMIUM)
    assert len(re.findall(r'<svg [^>]*class="wheel"', dom)) == 5 and dom.count('<table class="dgrid">') == 5
    coloured = sum(1 for s in result["scenarios"] for c in s["cells"] if c["level"])
    assert len(re.findall(r'<path [^>]*data-level="(?:critical|important|recommended)"', dom)) == coloured
    png = chromium.screenshot(page, tmp_path / "diagrams.png", size="1300,1300", binary=CHROMIUM)
    assert png.stat().st_size > 50_000  # a drawn page, not a blank one
    pdf = chromium.print_to_pdf(page, tmp_path / "diagrams.pdf", binary=CHROMIUM)
    assert pdf.read_bytes().count(b"/Type /Page") - pdf.read_bytes().count(b"/Type /Pages") >= 5  # a scenario a page
