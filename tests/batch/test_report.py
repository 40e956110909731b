"""The batch report (HTML): map, heat table, counts, errors, provenance, from a real batch."""
import re

import pytest
from click.testing import CliRunner

from mcof.cli import main
from mcof.engine.batch.countries import country_argument
from mcof.engine.batch.pipeline import run_batch
from mcof.engine.errors import ProfileError
from mcof.engine.report.batch_html import render_batch_report
from mcof.engine.report.worldmap import country_shapes
from tests.batch.batchdata import DATA

INPUTS = [str(DATA / "inform_risk_2020_v040.csv"), str(DATA / "migrant_stock_share_undesa2024.csv")]


@pytest.fixture(scope="module")
def batch():
    report = run_batch(INPUTS, "inform", "2012", None)
    return report, render_batch_report(report)


def test_every_country_is_in_the_heat_table_with_its_highest_levels(batch):
    report, html = batch
    rows = re.findall(r'<tr data-iso3="([A-Z]{3})">', html)
    assert rows == [p.iso3 for p in report.profiles]
    afg = html[html.index('<tr data-iso3="AFG">'):html.index("</tr>", html.index('<tr data-iso3="AFG">'))]
    assessment = report.assessments[[p.iso3 for p in report.profiles].index("AFG")]
    for rec in assessment["recommendations"]:
        assert rec["justifications"][0]["rule"] in afg  # the justifications open from the row


def test_map_colours_each_mapped_country_by_its_highest_level(batch):
    report, html = batch
    shapes = country_shapes()
    assert html.count("<path d=") == len(shapes)
    levels = ("critical", "important", "recommended")
    for profile, assessment in zip(report.profiles, report.assessments):
        match = re.search(rf'data-iso3="{profile.iso3}" class="([^"]*)"', html)
        if not assessment:
            assert match is None or "lvl-" not in match.group(1)
            continue
        if match is None:
            assert profile.name in html[html.index("Too small for the map"):]  # listed, not lost
            continue
        top = min((r["level"] for r in assessment["recommendations"]), key=levels.index, default=None)
        assert (f"lvl-{top}" in match.group(1)) if top else "lvl-" not in match.group(1)


def test_counts_errors_and_provenance(batch):
    report, html = batch
    counts = report.counts()
    row = html[html.index('<tr data-sector="disaster_risk_reduction_resilience">'):]
    assert f"<td>{counts[('disaster_risk_reduction_resilience', 'critical')]}</td>" in row[:row.index("</tr>")]
    reasons = {e["reason"] for e in report.error_rows}
    assert html.count("<td><details><summary>") == len(reasons)  # one row per distinct reason
    for entry in report.provenance["inputs"]:
        assert entry["sha256"] in html
    assert "drought = " in html and report.ruleset.sha256 in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_cli_writes_the_report_as_output_or_beside_the_tables(tmp_path):
    result = CliRunner().invoke(main, ["batch", *INPUTS, "--output", str(tmp_path / "report.html")])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "report.html").read_text().startswith("<!DOCTYPE html>")
    result = CliRunner().invoke(main, ["batch", *INPUTS, "--output", str(tmp_path / "out.csv"),
                                       "--report", str(tmp_path / "r.html")])
    assert result.exit_code == 0 and (tmp_path / "out.csv").is_file() and (tmp_path / "r.html").is_file()


@pytest.mark.parametrize("given,iso3", [("SDN", "SDN"), ("sd", "SDN"), ("Sudan", "SDN"), ("Ivory Coast", "CIV")])
def test_countries_are_taken_by_code_or_name(given, iso3):
    assert country_argument(given, "--explain") == iso3


def test_an_unknown_country_is_refused_before_the_batch_runs(tmp_path):
    with pytest.raises(ProfileError, match="did you mean .*SDN \\(Sudan\\)"):
        country_argument("SUD", "--explain")
    result = CliRunner().invoke(main, ["batch", *INPUTS, "--output", str(tmp_path / "o.csv"), "--explain", "SUD"])
    assert result.exit_code == 1 and "SDN (Sudan)" in result.stderr
    assert not (tmp_path / "o.csv").exists()  # refused before anything ran or was written


try:
    from tests.browser import chromium
except ImportError:  # pragma: no cover
    from browser import chromium  # type: ignore[no-redef]
CHROMIUM = chromium.find_chromium()


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
def test_browser_switches_the_map_to_a_sector_and_phase(batch, tmp_path):
    report, html = batch
    choose = ('<script>document.getElementById("map-sector").value="health_support";'
              'document.getElementById("map-phase").value="before";'
              'document.getElementById("map-sector").dispatchEvent(new Event("change"));</script></body>')
    page = tmp_path / "report.html"
    page.write_text(html.replace("</body>", choose), encoding="utf-8")
    dom = chromium.dump_dom(page, CHROMIUM)
    for profile, assessment in zip(report.profiles, report.assessments):
        match = re.search(rf'<path [^>]*data-iso3="{profile.iso3}" class="([^"]*)"', dom)
        if not match or not assessment:
            continue
        health = {r["level"] for r in assessment["recommendations"]
                  if r["sector"] == "health_support" and r["phase"] == "before"}
        assert ("lvl-critical" in match.group(1)) == ("critical" in health), profile.iso3
    png = chromium.screenshot(page, tmp_path / "map.png", "1300,900", CHROMIUM)
    assert png.stat().st_size > 50_000
