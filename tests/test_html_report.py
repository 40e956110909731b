"""The HTML report (``--format html``): engine/report/html.py.

Two layers:

* string checks on what the renderers return (always run): structure, escaping, the
  justification chain, why-not, profile, provenance, and no external asset of any kind;
* the same report loaded in headless Chromium (tests/browser/chromium.py): what the browser
  shows (15 x 3 grid, the colours by level, the quote hidden until the cell is opened and
  shown when printing, no resource fetched), a screenshot and a PDF.  Skipped, with a reason,
  when no Chromium is installed (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from mcof.engine import assess as assess_real, load_ruleset
from mcof.engine.report.html import render_assessment, render_compare, render_diff
try:  # tests/ is a rootdir-relative package or just a directory on sys.path
    from tests.browser import chromium
except ImportError:  # pragma: no cover
    from browser import chromium  # type: ignore[no-redef]

# ---------------------------------------------------------------------------------------------
# fixtures: results the engine produced (engine.results), never hand-written dicts, so that a
# renderer reading something the engine no longer produces fails here

from mcof.engine import build_profile  # noqa: E402
from mcof.engine.provenance import with_provenance  # noqa: E402
from mcof.engine.whatif import diff as engine_diff  # noqa: E402

RS_2012 = load_ruleset("2012")
SECTORS_2012 = [s.to_dict() for s in RS_2012.sectors]
# man_made, before and during, migrants caught: before has a critical, an important and a
# recommended sector, a why-not that an unknown fact would change, a coordination partner;
# during has derived facts behind its justifications; after is outside the profile
PROFILE_2012 = {"crisis_type": "man_made", "phase": ["before", "during"], "international_migrants_caught": True}
TRANSPORT_QUOTE = "critical life-saving protection activity for those caught"


def assessment_2012():
    result = assess_real(RS_2012, build_profile(RS_2012, PROFILE_2012))
    return with_provenance(result, RS_2012, [{"set": ["..."]}])


def _mini():
    from tests.conftest import MINI
    rs = load_ruleset(MINI)
    return rs, [s.to_dict() for s in rs.sectors]


def mini_assessment():
    """The mini ruleset chains two derived facts: international_migrants_caught -> border_pressure
    -> assistance_flowing -> humanitarian_communications."""
    rs, _ = _mini()
    return assess_real(rs, build_profile(rs, {"crisis_type": "man_made", "phase": "during",
                                              "international_migrants_caught": True}))


def _rec(result, sector, phase):
    rec = result.recommendation(sector, phase)
    assert rec is not None, (sector, phase)
    return rec


def _cell(doc_grid_rows, sector, phase):
    for row in doc_grid_rows:
        if row["sector"] == sector:
            for c in row["cells"]:
                if c["phase"] == phase:
                    return c
    raise KeyError((sector, phase))


# ---------------------------------------------------------------------------------------------
# a small DOM reader for the string checks (stdlib only)


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict]]:
    p = _Collector()
    p.feed(html)
    return p.tags


def _cell_html(html: str, cell_id: str) -> str:
    m = re.search(rf'<td id="{re.escape(cell_id)}".*?</td>', html, re.S)
    assert m, cell_id
    return m.group(0)


# ---------------------------------------------------------------------------------------------
# string checks


def test_assessment_grid_structure():
    result = assessment_2012()
    html = render_assessment(result, SECTORS_2012)
    assert html.startswith("<!DOCTYPE html>")
    rows = re.findall(r'<tr id="row-([a-z_]+)" data-sector', html)
    assert rows == [s["slug"] for s in SECTORS_2012]
    cells = re.findall(r'<td id="cell-([a-z_]+)-(before|during|after)"', html)
    assert len(cells) == 45
    transport = _cell_html(html, "cell-transport_assistance-during")
    assert 'class="cell lvl-critical"' in transport and 'data-level="critical"' in transport
    assert re.search(r"<summary><span class=\"level-word\">critical</span>", transport)
    assert "<blockquote" in transport and TRANSPORT_QUOTE in transport
    rec = _rec(result, "transport_assistance", "during")
    assert rec.justifications[0].citation in transport
    assert all(j.rule in transport for j in rec.justifications)
    # an empty cell in an assessed phase; columns outside the profile's phase are marked
    assert 'class="cell empty"' in _cell_html(html, "cell-land_property_support-during")
    assert 'class="cell unassessed"' in _cell_html(html, "cell-transport_assistance-after")
    assert "phase not in profile" in html


def test_level_word_always_printed_not_colour_alone():
    html = render_assessment(assessment_2012(), SECTORS_2012)
    levels = set()
    for m in re.finditer(r'<td id="[^"]+" class="cell lvl-(\w+)".*?</td>', html, re.S):
        assert f'<span class="level-word">{m.group(1)}</span>' in m.group(0)
        levels.add(m.group(1))
    assert levels == {"critical", "important", "recommended"}


def test_chain_of_derived_facts_is_nested_back_to_input_facts():
    rs, sectors = _mini()
    html = render_assessment(mini_assessment(), sectors)
    cell = _cell_html(html, "cell-humanitarian_communications-during")
    # communications <- assistance_flowing <- border_pressure <- international_migrants_caught (input)
    i1 = cell.index('data-fact="assistance_flowing"')
    i2 = cell.index("assistance-flows", i1)
    i3 = cell.index('data-fact="border_pressure"', i2)
    i4 = cell.index("derive-border-pressure", i3)
    i5 = cell.index('data-fact="international_migrants_caught"', i4)
    assert i1 < i2 < i3 < i4 < i5
    assert cell.count('class="chain"') == 2
    assert cell.count("badge-derived") == 2
    assert 'class="fact fact-input" data-fact="international_migrants_caught"' in cell


def test_chain_cycle_does_not_recurse_forever():
    from dataclasses import replace
    rs, sectors = _mini()
    result = mini_assessment()
    # a (broken) ruleset where two derived facts justify each other: border_pressure read
    # from assistance_flowing, which is read from border_pressure
    border = next(d for d in result.derived_facts if d.fact == "border_pressure")
    j = replace(border.justifications[0], facts={"assistance_flowing": True}, derived_facts=("assistance_flowing",))
    facts = tuple(replace(d, justifications=(j,)) if d is border else d for d in result.derived_facts)
    html = render_assessment(replace(result, derived_facts=facts), sectors)
    assert "chain shown above" in html


def test_sections_profile_why_not_footer():
    result = assessment_2012()
    html = render_assessment(result, SECTORS_2012)
    for section in ("Crisis profile", "Coordination", "Why not", "Derived facts"):
        assert f">{section}</h2>" in html
    # profile: given facts with values, unknown facts marked unknown
    assert re.search(r'<tr data-fact="international_migrants_caught">\s*<th scope="row"><code>'
                     r'international_migrants_caught</code></th>\s*<td>true</td>', html)
    assert result.unknown_facts
    for fact in result.unknown_facts:
        assert re.search(rf'<tr data-fact="{fact}" class="unknown">.*?badge-unknown">unknown<', html, re.S)
    # why not: the rule, its unknown condition, what would change it; linked from the grid cell
    assert 'id="whynot-humanitarian_border_management-before"' in html
    assert 'href="#whynot-humanitarian_border_management-before"' in html
    assert "? unknown" in html and "many_third_country_nationals is true" in html
    assert re.search(r"Would change if known:</strong> <code>many_third_country_nationals</code>", html)
    # coordination partners
    for c in result.coordination:
        assert c.partner_name in html
    # provenance
    assert '<code class="ruleset-id">mcof-2012</code>' in html
    assert f'<code class="ruleset-sha256">{RS_2012.sha256}</code>' in html
    assert f'<span class="tool">mcof {result.tool["version"]}</span>' in html
    # interpretation shown, and escaped ("can also be" + "critical" is read as critical)
    assert "Level: &#34;can also be&#34; + &#34;critical&#34; is read as critical" in html


def _assert_self_contained(html: str) -> None:
    tags = _tags(html)
    names = [t for t, _ in tags]
    assert "link" not in names and "img" not in names and "iframe" not in names and "object" not in names
    for tag, attrs in tags:
        for attr in ("src", "href", "action", "data", "poster", "srcset"):
            value = (attrs.get(attr) or "").strip().lower()
            assert not value or value.startswith("#"), (tag, attr, value)
    assert not re.search(r"url\(\s*['\"]?\s*(https?:|//)", html, re.I)
    assert "@import" not in html and "@font-face" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "default-src 'none'" in html  # the CSP forbids any fetch even if one slipped in


def test_no_external_assets_in_any_report():
    _assert_self_contained(render_assessment(assessment_2012(), SECTORS_2012))
    _assert_self_contained(render_diff(_diff(), SECTORS_2012))
    result, r12, r21 = _real_compare()
    _assert_self_contained(render_compare(result, [x.to_dict() for x in r12.sectors],
                                          [x.to_dict() for x in r21.sectors]))


def test_text_is_escaped():
    from dataclasses import replace
    result = assessment_2012()
    evil = '<script>alert("x")</script><img src="http://example.org/x.png">'
    first = result.recommendations[0]
    first = replace(first, justifications=(replace(first.justifications[0], quote=evil),) + first.justifications[1:])
    result = replace(result, recommendations=(first,) + result.recommendations[1:],
                     profile={**result.profile, "note": "</td><b>bold</b>"})
    html = render_assessment(result, SECTORS_2012, title="<i>title</i>")
    assert evil not in html and "<b>bold</b>" not in html and "<i>title</i>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;i&gt;title&lt;/i&gt;" in html
    _assert_self_contained(html)


def test_print_css_and_script():
    html = render_assessment(assessment_2012(), SECTORS_2012)
    assert "@media print" in html and "print-color-adjust: exact" in html
    assert "break-inside: avoid" in html
    assert 'addEventListener("beforeprint"' in html


def test_sector_missing_from_the_catalogue_gets_its_own_row():
    result = assessment_2012()
    catalogue = [s for s in SECTORS_2012 if s["slug"] != "transport_assistance"]
    html = render_assessment(result, catalogue)
    rows = re.findall(r'<tr id="row-([a-z_]+)" data-sector', html)
    assert rows[-1] == "transport_assistance" and len(rows) == 15
    assert 'data-level="critical"' in _cell_html(html, "cell-transport_assistance-during")


def test_modalities_and_cross_cutting_2021():
    rs = load_ruleset("2021")
    result = assess_real(rs, build_profile(rs, {"crisis_type": "sudden_onset_natural", "phase": "during",
                                                "markets_functioning": True,
                                                "financial_infrastructure_available": True,
                                                "financial_literacy_sufficient": True}))
    assert result.modalities and result.cross_cutting
    html = render_assessment(result, [s.to_dict() for s in rs.sectors])
    assert ">Operating modalities</h2>" in html
    assert 'id="mod-cell-cash_based_interventions-during"' in html
    assert ">Cross-cutting issues</h2>" in html
    for issue in result.cross_cutting:
        assert issue.issue in html


# ---------------------------------------------------------------------------------------------
# diff and compare


def _diff():
    """A diff the engine computed: A is PROFILE_2012, B adds many_third_country_nationals
    (border management and consular assistance added before, at important)."""
    a = build_profile(RS_2012, PROFILE_2012)
    b = build_profile(RS_2012, dict(PROFILE_2012, many_third_country_nationals=True))
    return engine_diff(RS_2012, a, b)


def test_diff_report():
    result = _diff()
    assert {(c.sector, c.phase, c.change) for c in result.changes} >= {
        ("humanitarian_border_management", "before", "added")}
    html = render_diff(result, SECTORS_2012)
    added = _cell_html(html, "cell-humanitarian_border_management-before")
    assert 'data-change="added"' in added and "lvl-important" in added and "A: not recommended" in added
    assert re.search(r'<tr data-fact="many_third_country_nationals" class="changed">', html)
    assert 'id="changes-table"' in html and "many_third_country_nationals</code>: unknown &rarr; true" in html
    assert html.count('<code class="ruleset-id">mcof-2012</code>') == 1  # same ruleset listed once


def test_diff_report_shows_what_no_longer_holds():
    a = build_profile(RS_2012, PROFILE_2012)
    b = build_profile(RS_2012, dict(PROFILE_2012, international_migrants_caught=False))
    result = engine_diff(RS_2012, a, b)
    html = render_diff(result, SECTORS_2012)
    removed = _cell_html(html, "cell-emergency_consular_assistance-during")
    assert 'data-change="removed"' in removed and "Justifications under A (no longer hold)" in removed


def _real_compare(name="libya-2011"):
    from mcof.engine.compare import compare
    from mcof.engine.profile import build_profile as build, read_profile_file
    from tests.conftest import ROOT
    r12, r21 = load_ruleset("2012"), load_ruleset("2021")
    data = read_profile_file(ROOT / "examples" / f"{name}.yaml")
    return compare(r12, r21, build(r21, data)), r12, r21


def test_compare_report_shows_every_2021_entry_and_rule_the_engine_produced():
    result, r12, r21 = _real_compare()
    html = render_compare(result, [s.to_dict() for s in r12.sectors], [s.to_dict() for s in r21.sectors])
    table = html[html.index('id="compare-table"'):html.index("</table>", html.index('id="compare-table"'))]
    assert len(re.findall(r"<tr data-kind=", table)) == len(result.rows)
    for row in result.rows:
        if row.target_kind == "sector":
            assert f'data-target-2021="{row.target_2021}"' in table
            assert r21.sector(row.target_2021).name in table
        for rule in row.rules_2012 + row.rules_2021:
            assert f"<code>{rule}</code>" in table, rule
    for rec in result.new.recommendations:  # the 2021 grid has every 2021 recommendation
        assert f'id="y2021-cell-{rec.sector}-{rec.phase}"' in html
    assert "None" not in table  # cross-cutting rows say "all phases"
    assert '<code class="ruleset-id">mcof-2012</code>' in html and '<code class="ruleset-id">mcof-2021</code>' in html


def test_compare_report_puts_results_before_unknowns():
    result, r12, r21 = _real_compare("haiti-cholera-2010")
    html = render_compare(result, [s.to_dict() for s in r12.sectors], [s.to_dict() for s in r21.sectors])
    assert html.index('id="compare-table"') < html.index('id="profile-table"') or 'id="profile-table"' not in html


# ---------------------------------------------------------------------------------------------
# a real assessment from the engine


def _real_assessment():
    import mcof as engine
    rs = engine.load_ruleset("2012")
    profile = engine.build_profile(rs, {"crisis_type": "man_made", "phase": "during",
                                        "international_migrants_caught": True})
    return engine.assess(rs, profile), [s.to_dict() for s in rs.sectors]


def test_real_engine_assessment_renders():
    result, sectors = _real_assessment()
    html = render_assessment(result, sectors)
    assert len(re.findall(r'<tr id="row-', html)) == 15
    for rec in result.recommendations:
        cell = _cell_html(html, f"cell-{rec.sector}-{rec.phase}")
        assert f'data-level="{rec.level}"' in cell
        for j in rec.justifications:
            assert j.rule in cell
    transport = _cell_html(html, "cell-transport_assistance-during")
    assert 'data-level="critical"' in transport and "critical life-saving protection activity" in transport
    for w in result.not_recommended:
        assert f'id="whynot-{w.sector}-{w.phase}"' in html
    assert result.ruleset["sha256"] in html
    _assert_self_contained(html)


# ---------------------------------------------------------------------------------------------
# in a real browser

CHROMIUM = chromium.find_chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")


def _luminance(css: str) -> float:
    r, g, b = (int(x) for x in re.findall(r"\d+", css)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.fixture(scope="module")
def browser_view(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("chromium not installed (apt-get install chromium)")
    d = tmp_path_factory.mktemp("report")
    path = d / "assessment.html"
    path.write_text(chromium.with_probe(render_assessment(assessment_2012(), SECTORS_2012)), encoding="utf-8")
    return chromium.probe(path, CHROMIUM)


@needs_chromium
def test_browser_shows_grid(browser_view):
    grid = browser_view["grids"]["grid"]
    assert grid["phases"] == ["before", "during", "after"]
    assert [r["sector"] for r in grid["rows"]] == [s["slug"] for s in SECTORS_2012]
    assert all(len(r["cells"]) == 3 for r in grid["rows"])
    # the sector's number and name, then the systems and clusters it links to
    assert grid["rows"][2]["label"].startswith("3 Transport Assistance for Affected Populations")
    result = assessment_2012()
    rec = _rec(result, "humanitarian_border_management", "during")
    (derived,) = rec.justifications[0].derived_facts  # read from one derived fact
    chain = next(d for d in result.derived_facts if d.fact == derived)
    cell = _cell(grid["rows"], "humanitarian_border_management", "during")
    assert cell["shown"].startswith("CRITICAL")  # the word is displayed (uppercased by CSS)
    assert cell["hasDetails"] and cell["open"] is False
    assert cell["quotes"][0] == rec.justifications[0].quote  # then the chain's quote
    assert cell["quotesVisible"] == [False, False]  # closed until the reader opens it
    assert cell["rules"] == [rec.justifications[0].rule, chain.justifications[0].rule]
    assert cell["chains"] == 1 and cell["derivedBadges"] == 1
    # an empty cell: a dash, "not recommended" and (the engine lists its why-not) a link to it
    assert _cell(grid["rows"], "land_property_support", "during")["shown"] == "\u2014 not recommended why not?"


@needs_chromium
def test_browser_colours_by_level(browser_view):
    rows = browser_view["grids"]["grid"]["rows"]
    crit = _luminance(_cell(rows, "counter_trafficking_protection", "before")["background"])
    imp = _luminance(_cell(rows, "community_stabilization_transition", "before")["background"])
    rec = _luminance(_cell(rows, "migration_policy_legislation", "before")["background"])
    empty = _luminance(_cell(rows, "land_property_support", "before")["background"] .replace("rgba(0, 0, 0, 0)", "rgb(255,255,255)"))
    assert crit < imp < rec < empty, (crit, imp, rec, empty)  # darker = higher level
    # text stays readable on the dark cell
    assert _luminance(_cell(rows, "transport_assistance", "during")["color"]) > 200


@needs_chromium
def test_browser_print_opens_everything_and_nothing_is_fetched(browser_view):
    v = browser_view
    assert v["openBefore"] == 0 and v["quotesVisibleBefore"] == 0
    assert v["openDuringPrint"] == v["detailsCount"] > 0
    assert v["quotesVisibleDuringPrint"] == v["quotesTotal"] > 0
    assert v["openAfterPrint"] == 0
    assert v["resources"] == []  # the browser fetched nothing besides the file itself
    assert "default-src 'none'" in v["csp"]
    assert {"Crisis profile", "Why not", "Coordination", "Derived facts"} <= set(v["sections"])
    assert "whynot-humanitarian_border_management-before" in v["whyNot"]
    unknown = {p["fact"] for p in v["profile"] if p["unknown"]}
    assert unknown == set(assessment_2012().unknown_facts)
    assert all(p["shown"].startswith("unknown") for p in v["profile"] if p["unknown"])
    version = assessment_2012().tool["version"]
    assert "mcof-2012" in v["footer"] and RS_2012.sha256 in v["footer"] and f"mcof {version}" in v["footer"]


@needs_chromium
def test_browser_diff_and_compare_load(tmp_path):
    p1 = tmp_path / "diff.html"
    p1.write_text(chromium.with_probe(render_diff(_diff(), SECTORS_2012)), encoding="utf-8")
    v = chromium.probe(p1, CHROMIUM)
    cell = _cell(v["grids"]["grid"]["rows"], "humanitarian_border_management", "before")
    assert cell["level"] == "important" and "added" in cell["shown"]
    assert v["resources"] == []
    p2 = tmp_path / "compare.html"
    result, r12, r21 = _real_compare()
    p2.write_text(chromium.with_probe(render_compare(result, [x.to_dict() for x in r12.sectors],
                                                     [x.to_dict() for x in r21.sectors])), encoding="utf-8")
    v = chromium.probe(p2, CHROMIUM)
    assert len(v["grids"]["y2012-grid"]["rows"]) == 15 and len(v["grids"]["y2021-grid"]["rows"]) == 15
    assert _cell(v["grids"]["y2021-grid"]["rows"], "movement_assistance", "during")["shown"].startswith("CRITICAL")
    assert v["resources"] == []


@needs_chromium
def test_browser_screenshot_and_pdf(tmp_path):
    path = tmp_path / "assessment.html"
    path.write_text(render_assessment(assessment_2012(), SECTORS_2012), encoding="utf-8")
    png = chromium.screenshot(path, tmp_path / "shot.png", "1280,2000", CHROMIUM)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2000)
    pdf = chromium.print_to_pdf(path, tmp_path / "report.pdf", CHROMIUM)
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 5_000
    if shutil.which("pdftotext"):  # poppler-utils: check the printed text, details opened
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        flat = re.sub(r"\s+", " ", text)
        assert "Transport Assistance" in flat and "Counter-trafficking" in flat
        assert "protection activity for those caught" in flat  # a quote from inside a closed <details>
        assert "would change if known" in flat.lower()  # why-not prints its one-line summaries
        assert RS_2012.sha256 in flat.replace(" ", "")


@needs_chromium
def test_browser_real_engine_assessment(tmp_path):
    result, sectors = _real_assessment()
    path = tmp_path / "real.html"
    path.write_text(chromium.with_probe(render_assessment(result, sectors)), encoding="utf-8")
    v = chromium.probe(path, CHROMIUM)
    rows = v["grids"]["grid"]["rows"]
    assert len(rows) == 15 and all(len(r["cells"]) == 3 for r in rows)
    cell = _cell(rows, "transport_assistance", "during")
    assert cell["shown"].startswith("CRITICAL")
    assert any("critical life-saving protection activity" in q for q in cell["quotes"])
    assert v["quotesVisibleDuringPrint"] == v["quotesTotal"] and v["resources"] == []


def test_real_2021_report_shows_the_crosswalk_behind_an_inherited_recommendation():
    from mcof.engine import assess, build_profile, load_ruleset
    from mcof.engine.report.html import render_assessment
    ruleset = load_ruleset("2021")
    result = assess(ruleset, build_profile(ruleset, {"crisis_type": "man_made", "phase": "during",
                                                     "international_migrants_caught": True}))
    html = render_assessment(result, [s.to_dict() for s in ruleset.sectors])
    link = next(l for l in ruleset.crosswalk if l.source_sector == "transport_assistance")
    assert "Inherited</strong> from mcof-2012 rule <code>mm-during-transport-caught</code>" in html
    assert f"carried by crosswalk link <code>{link.id}</code>" in html


def test_why_not_opens_derived_facts_down_to_their_inputs():
    from mcof.engine import assess, build_profile, load_ruleset
    from mcof.engine.report.html import render_assessment
    ruleset = load_ruleset("2012")
    result = assess(ruleset, build_profile(ruleset, {"crisis_type": "slow_onset_natural", "phase": "during"}))
    html = render_assessment(result, [s.to_dict() for s in ruleset.sectors])
    assert "derived by ch-acute-slow-onset-crisis (MC/2355 Annex I, para. 21)" in html
    assert "<code>acute_humanitarian_needs is true</code>" in html


def test_report_names_the_crisis_its_date_and_inputs(tmp_path, monkeypatch):
    from click.testing import CliRunner
    from mcof.cli import main
    from tests.conftest import ROOT
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
    out = tmp_path / "libya.html"
    result = CliRunner().invoke(main, ["assess", str(ROOT / "examples" / "libya-2011.yaml"), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    html = out.read_text()
    assert "<title>Libya 2011: MCOF assessment" in html and '<time datetime="2025-12-01T00:00:00Z">2025-12-01</time>' in html
    assert "libya-2011.yaml</code> sha256" in html


@needs_chromium
def test_libya_report_prints_in_at_most_eight_pages_with_every_justification(tmp_path):
    from mcof.engine import build_profile, read_profile_file
    from tests.conftest import ROOT
    rs = load_ruleset("2012")
    result = assess_real(rs, build_profile(rs, read_profile_file(ROOT / "examples" / "libya-2011.yaml")))
    page = tmp_path / "libya.html"
    html = render_assessment(result, [s.to_dict() for s in rs.sectors])
    printed = html[html.index('<section class="print-list"'):]
    for rec in result.recommendations:  # the printed list carries every justification the engine gave
        for j in rec.justifications:
            assert f'data-rule="{j.rule}"' in printed
    page.write_text(html, encoding="utf-8")
    pdf = chromium.print_to_pdf(page, tmp_path / "libya.pdf", CHROMIUM).read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 8, pages


def test_every_change_kind_the_engine_writes_has_its_own_mark():
    from mcof.engine.whatif import CHANGE_KINDS
    html = render_diff(_diff(), SECTORS_2012)
    for kind in CHANGE_KINDS:
        assert f'td.cell[data-change="{kind}"]::before' in html, kind  # a symbol as well as a colour
