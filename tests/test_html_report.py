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

import copy
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
# fixtures: JSON-shaped dicts as the engine emits them

SECTORS_2012 = [
    {"slug": s, "number": i, "name": n, "objective": o}
    for i, (s, n, o) in enumerate(
        [
            ("camp_management_displacement_tracking", "Camp Management and Displacement Tracking",
             "To improve living conditions of displaced persons and migrants in transit"),
            ("shelter_nfi", "Shelter and Non-food Items", "To address the needs for shelters and non-food items"),
            ("transport_assistance", "Transport Assistance for Affected Populations",
             "To provide protection through the provision of humane and orderly transport assistance"),
            ("health_support", "Health Support", "To provide comprehensive migrant health-care and prevention services"),
            ("psychosocial_support", "Psychosocial Support", "To promote, protect and support the well-being"),
            ("reintegration_assistance", "(Re)integration Assistance", "To end displacement situations"),
            ("community_stabilization_transition", "Community Stabilization and Transition", "To provide assistance"),
            ("disaster_risk_reduction_resilience", "Disaster Risk Reduction and Resilience Building", "To reduce"),
            ("land_property_support", "Land and Property Support", "To assist governments and societies"),
            ("counter_trafficking_protection", "Counter-trafficking and Protection of Vulnerable Migrants", "To protect"),
            ("humanitarian_border_management", "Technical Assistance for Humanitarian Border Management", "To support"),
            ("emergency_consular_assistance", "Emergency Consular Assistance", "To support States"),
            ("diaspora_human_resource_mobilization", "Diaspora and Human Resource Mobilization", "To mobilize"),
            ("migration_policy_legislation", "Migration Policy and Legislation Support", "To support States"),
            ("humanitarian_communications", "Humanitarian Communications", "To create a two-way exchange"),
        ],
        start=1,
    )
]

PARA9_TRANSPORT = (
    "Transportation assistance can also be a critical life-saving protection activity for those caught "
    "in a crisis, including non-nationals in need of migrant assistance."
)
PARA9_HUMANITARIAN = (
    "the provision of humanitarian assistance (e.g. shelter, NFIs, health and psychosocial support, etc.), "
    "which is usually coordinated through humanitarian communications, to displaced persons in camps or in "
    "host communities inside or outside the country in crisis is essential to relieve suffering"
)
PARA9_BORDER = (
    "During a man-made disaster, if there are large cross-border movements and/or international migrants "
    "trapped in the country in crisis, responses will require proper and efficient border and identity "
    "management, coordination with consular services and mechanisms to identify and refer vulnerable persons."
)
CITE9 = "MC/2355 Annex I, para. 9"
BASE_FACTS = {"crisis_type": ["man_made"], "phase": ["during"]}


def _j(rule, level, quote, facts, citation=CITE9, interpretation=None):
    return {"rule": rule, "level": level, "citation": citation, "quote": quote,
            "facts": {**BASE_FACTS, **facts}, "interpretation": interpretation}


def assessment_2012() -> dict:
    result = _assessment_2012()
    for rec in result["recommendations"]:  # every recommendation carries its sector's linkages
        rec["linkages"] = [LINK_CCCM] if rec["sector"] == "camp_management_displacement_tracking" else []
    return result


LINK_CCCM = {"to": "cccm", "kind": "cluster", "name": "Camp Coordination & Camp Management (CCCM)", "short": "CCCM",
             "citation": "MC/2355, para. 9",
             "quote": "IOM is the cluster lead for camp coordination and camp management (CCCM)"}


def _assessment_2012() -> dict:
    caught = {"migrants_caught_or_cross_border": True}
    return {
        "tool": {"name": "mcof", "version": "0.1.0"},
        "ruleset": {"id": "mcof-2012", "sha256": "3f" * 32,
                    "title": "IOM Migration Crisis Operational Framework (2012)"},
        "profile": {"crisis_type": ["man_made"], "phase": ["during"], "international_migrants_caught": True},
        "unknown_facts": ["many_third_country_nationals", "large_cross_border_movements",
                          "prone_to_natural_disasters", "acute_humanitarian_needs"],
        "recommendations": [
            {"sector": "transport_assistance", "phase": "during", "level": "critical", "justifications": [
                _j("mm-during-transport", "critical", PARA9_TRANSPORT, caught)]},
            {"sector": "shelter_nfi", "phase": "during", "level": "critical", "justifications": [
                _j("mm-during-humanitarian-shelter", "critical", PARA9_HUMANITARIAN, {})]},
            {"sector": "health_support", "phase": "during", "level": "critical", "justifications": [
                _j("mm-during-humanitarian-health", "critical", PARA9_HUMANITARIAN, {})]},
            {"sector": "psychosocial_support", "phase": "during", "level": "critical", "justifications": [
                _j("mm-during-humanitarian-psychosocial", "critical", PARA9_HUMANITARIAN, {})]},
            {"sector": "humanitarian_communications", "phase": "during", "level": "important", "justifications": [
                _j("mm-during-communications", "important", PARA9_HUMANITARIAN, {},
                   interpretation="\"usually coordinated through\" read as a significant role, so important.")]},
            {"sector": "humanitarian_border_management", "phase": "during", "level": "important", "justifications": [
                _j("mm-during-border", "important", PARA9_BORDER, caught)]},
            {"sector": "emergency_consular_assistance", "phase": "during", "level": "important", "justifications": [
                _j("mm-during-consular", "important", PARA9_BORDER, {"migrants_need_consular_support": True})]},
            {"sector": "camp_management_displacement_tracking", "phase": "during", "level": "recommended",
             "justifications": [_j("mm-during-camps", "recommended", PARA9_HUMANITARIAN, {},
                                   interpretation="Camps are named, the sector is not: recommended.")]},
        ],
        "coordination": [
            {"partner": "country_of_origin", "partner_name": "Countries of origin of the international migrants",
             "phase": "during", "justifications": [
                 _j("mm-during-coord-origin", "important", PARA9_BORDER, caught)]},
        ],
        "derived_facts": [
            {"fact": "migrants_caught_or_cross_border", "value": True, "justifications": [
                {"rule": "derive-migrants-caught", "level": None, "citation": CITE9,
                 "quote": "if there are large cross-border movements and/or international migrants trapped in the "
                          "country in crisis",
                 "facts": {"international_migrants_caught": True}, "interpretation": None}]},
            {"fact": "migrants_need_consular_support", "value": True, "justifications": [
                {"rule": "derive-consular-support", "level": None, "citation": CITE9,
                 "quote": "coordination with consular services",
                 "facts": {"migrants_caught_or_cross_border": True}, "interpretation": None}]},
        ],
        "not_recommended": [
            {"sector": "counter_trafficking_protection", "phase": "during", "rules": [
                {"rule": "mm-during-vulnerable", "level": "important", "citation": CITE9,
                 "quote": "mechanisms to identify and refer vulnerable persons",
                 "conditions": [
                     {"condition": "crisis_type includes man_made", "status": "held", "fact": "crisis_type",
                      "value": ["man_made"]},
                     {"condition": "large_cross_border_movements is true", "status": "unknown",
                      "fact": "large_cross_border_movements"},
                 ]}],
             "would_change_if": [{"fact": "large_cross_border_movements", "value": True, "level": "important"}]},
        ],
    }


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
    html = render_assessment(assessment_2012(), SECTORS_2012)
    assert html.startswith("<!DOCTYPE html>")
    rows = re.findall(r'<tr id="row-([a-z_]+)" data-sector', html)
    assert rows == [s["slug"] for s in SECTORS_2012]
    cells = re.findall(r'<td id="cell-([a-z_]+)-(before|during|after)"', html)
    assert len(cells) == 45
    transport = _cell_html(html, "cell-transport_assistance-during")
    assert 'class="cell lvl-critical"' in transport and 'data-level="critical"' in transport
    assert re.search(r"<summary><span class=\"level-word\">critical</span>", transport)
    assert "<blockquote" in transport and PARA9_TRANSPORT in transport
    assert CITE9 in transport and "mm-during-transport" in transport
    # an empty cell in an assessed phase; columns outside the profile's phase are marked
    assert 'class="cell empty"' in _cell_html(html, "cell-land_property_support-during")
    assert 'class="cell unassessed"' in _cell_html(html, "cell-transport_assistance-before")
    assert "phase not in profile" in html


def test_level_word_always_printed_not_colour_alone():
    html = render_assessment(assessment_2012(), SECTORS_2012)
    for m in re.finditer(r'<td id="[^"]+" class="cell lvl-(\w+)".*?</td>', html, re.S):
        assert f'<span class="level-word">{m.group(1)}</span>' in m.group(0)


def test_chain_of_derived_facts_is_nested_back_to_input_facts():
    html = render_assessment(assessment_2012(), SECTORS_2012)
    consular = _cell_html(html, "cell-emergency_consular_assistance-during")
    # consular support <- migrants_caught_or_cross_border <- international_migrants_caught (input)
    i1 = consular.index('data-fact="migrants_need_consular_support"')
    i2 = consular.index("derive-consular-support", i1)
    i3 = consular.index('data-fact="migrants_caught_or_cross_border"', i2)
    i4 = consular.index("derive-migrants-caught", i3)
    i5 = consular.index('data-fact="international_migrants_caught"', i4)
    assert i1 < i2 < i3 < i4 < i5
    assert consular.count('class="chain"') == 2
    assert consular.count("badge-derived") == 2
    assert 'class="fact fact-input" data-fact="international_migrants_caught"' in consular


def test_chain_cycle_does_not_recurse_forever():
    result = assessment_2012()
    # a (broken) ruleset where two derived facts justify each other
    result["derived_facts"][0]["justifications"][0]["facts"] = {"migrants_need_consular_support": True}
    html = render_assessment(result, SECTORS_2012)
    assert "chain shown above" in html


def test_sections_profile_why_not_footer():
    html = render_assessment(assessment_2012(), SECTORS_2012)
    for section in ("Crisis profile", "Coordination", "Why not", "Derived facts"):
        assert f">{section}</h2>" in html
    # profile: given facts with values, unknown facts marked unknown
    assert re.search(r'<tr data-fact="international_migrants_caught">\s*<th scope="row"><code>'
                     r'international_migrants_caught</code></th>\s*<td>true</td>', html)
    for fact in assessment_2012()["unknown_facts"]:
        assert re.search(rf'<tr data-fact="{fact}" class="unknown">.*?badge-unknown">unknown<', html, re.S)
    # why not: the rule, its unknown condition, what would change it; linked from the grid cell
    assert 'id="whynot-counter_trafficking_protection-during"' in html
    assert 'href="#whynot-counter_trafficking_protection-during"' in html
    assert "? unknown" in html and "large_cross_border_movements is true" in html
    assert re.search(r"Would change if known:</strong> <code>large_cross_border_movements</code>", html)
    # coordination partner
    assert "Countries of origin of the international migrants" in html
    # provenance
    assert '<code class="ruleset-id">mcof-2012</code>' in html
    assert f'<code class="ruleset-sha256">{"3f" * 32}</code>' in html
    assert '<span class="tool">mcof 0.1.0</span>' in html
    # interpretation shown, and escaped
    assert "&#34;usually coordinated through&#34; read as a significant role" in html


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
    a = assessment_2012()
    b = _assessment_b()
    _assert_self_contained(render_assessment(a, SECTORS_2012))
    _assert_self_contained(render_diff(_diff(a, b), SECTORS_2012))
    result, r12, r21 = _real_compare()
    _assert_self_contained(render_compare(result, [x.to_dict() for x in r12.sectors],
                                          [x.to_dict() for x in r21.sectors]))


def test_text_is_escaped():
    result = assessment_2012()
    evil = '<script>alert("x")</script><img src="http://example.org/x.png">'
    result["recommendations"][0]["justifications"][0]["quote"] = evil
    result["profile"]["note"] = "</td><b>bold</b>"
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


def test_missing_optional_keys_and_unknown_sector():
    result = {
        "ruleset": {"id": "mcof-2012", "sha256": "ab" * 32},
        "profile": {"crisis_type": "health"},
        "recommendations": [{"sector": "not_in_catalogue", "phase": "after", "level": "recommended",
                             "justifications": [{"rule": "r", "level": "recommended", "citation": "c",
                                                 "quote": "q", "facts": {}}], "linkages": []}],
        "coordination": [],
    }
    html = render_assessment(result, SECTORS_2012)
    assert 'id="row-not_in_catalogue"' in html
    assert "unknown" in html  # tool version unknown
    assert 'class="cell empty"' in _cell_html(html, "cell-shelter_nfi-before")  # phase unknown: all assessed


def test_modalities_and_cross_cutting_2021():
    result = assessment_2012()
    result["modalities"] = [{"modality": "cash_based_interventions", "phase": "during", "level": "important",
                             "justifications": [_j("m-cbi", "important", "Cash-based interventions.", {},
                                                   citation="MCOF 2021 Addendum, para. 22")]}]
    result["cross_cutting"] = [{"issue": "gender_equality", "justifications": [
        _j("cc-gender", None, "gender considerations are fundamental", {}, citation="MCOF 2021 Addendum, para. 26")]}]
    html = render_assessment(result, SECTORS_2012)
    assert ">Operating modalities</h2>" in html and 'id="mod-cell-cash_based_interventions-during"' in html
    assert ">Cross-cutting issues</h2>" in html and "gender_equality" in html


# ---------------------------------------------------------------------------------------------
# diff and compare


def _assessment_b() -> dict:
    b = assessment_2012()
    b["profile"]["large_cross_border_movements"] = True
    b["unknown_facts"].remove("large_cross_border_movements")
    b["recommendations"].append(
        {"sector": "counter_trafficking_protection", "phase": "during", "level": "important", "justifications": [
            _j("mm-during-vulnerable", "important", "mechanisms to identify and refer vulnerable persons",
               {"large_cross_border_movements": True})], "linkages": []})
    b["recommendations"] = [r for r in b["recommendations"] if r["sector"] != "camp_management_displacement_tracking"]
    b["not_recommended"] = []
    return b


def _diff(a, b) -> dict:
    return {"a": a, "b": b, "changes": [
        {"sector": "counter_trafficking_protection", "phase": "during", "change": "added", "from": None,
         "to": "important", "facts_changed": {"large_cross_border_movements": ["unknown", True]},
         "rules_gained": ["mm-during-vulnerable"], "rules_lost": []},
        {"sector": "camp_management_displacement_tracking", "phase": "during", "change": "removed",
         "from": "recommended", "to": None, "facts_changed": {}, "rules_gained": [], "rules_lost": ["mm-during-camps"]},
    ]}


def test_diff_report():
    a, b = assessment_2012(), _assessment_b()
    html = render_diff(_diff(a, b), SECTORS_2012)
    added = _cell_html(html, "cell-counter_trafficking_protection-during")
    assert 'data-change="added"' in added and "lvl-important" in added and "A: not recommended" in added
    removed = _cell_html(html, "cell-camp_management_displacement_tracking-during")
    assert 'data-change="removed"' in removed and "Justifications under A (no longer hold)" in removed
    assert re.search(r'<tr data-fact="large_cross_border_movements" class="changed">', html)
    assert 'id="changes-table"' in html and "large_cross_border_movements</code>: unknown &rarr; true" in html
    assert html.count('<code class="ruleset-id">mcof-2012</code>') == 1  # same ruleset listed once


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
    assert len(re.findall(r"<tr data-kind=", table)) == len(result["rows"])
    for row in result["rows"]:
        if row["target_kind"] == "sector":
            assert f'data-target-2021="{row["target_2021"]}"' in table
            assert r21.sector(row["target_2021"]).name in table
        for rule in row["rules_2012"] + row["rules_2021"]:
            assert f"<code>{rule}</code>" in table, rule
    for rec in result["2021"]["recommendations"]:  # the 2021 grid has every 2021 recommendation
        assert f'id="y2021-cell-{rec["sector"]}-{rec["phase"]}"' in html
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
    for rec in result["recommendations"]:
        cell = _cell_html(html, f"cell-{rec['sector']}-{rec['phase']}")
        assert f'data-level="{rec["level"]}"' in cell
        for j in rec["justifications"]:
            assert j["rule"] in cell
    transport = _cell_html(html, "cell-transport_assistance-during")
    assert 'data-level="critical"' in transport and "critical life-saving protection activity" in transport
    for w in result["not_recommended"]:
        assert f'id="whynot-{w["sector"]}-{w["phase"]}"' in html
    assert result["ruleset"]["sha256"] in html
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
    assert grid["rows"][2]["label"] == "3 Transport Assistance for Affected Populations"
    cell = _cell(grid["rows"], "transport_assistance", "during")
    assert cell["shown"].startswith("CRITICAL")  # the word is displayed (uppercased by CSS)
    assert cell["hasDetails"] and cell["open"] is False
    assert cell["quotes"][0] == PARA9_TRANSPORT  # then the chain's quote
    assert cell["quotesVisible"] == [False, False]  # closed until the reader opens it
    assert cell["rules"] == ["mm-during-transport", "derive-migrants-caught"]
    assert cell["chains"] == 1 and cell["derivedBadges"] == 1
    assert _cell(grid["rows"], "land_property_support", "during")["shown"] in ("\u2014 not recommended", "\u2014")


@needs_chromium
def test_browser_colours_by_level(browser_view):
    rows = browser_view["grids"]["grid"]["rows"]
    crit = _luminance(_cell(rows, "transport_assistance", "during")["background"])
    imp = _luminance(_cell(rows, "humanitarian_border_management", "during")["background"])
    rec = _luminance(_cell(rows, "camp_management_displacement_tracking", "during")["background"])
    empty = _luminance(_cell(rows, "land_property_support", "during")["background"] .replace("rgba(0, 0, 0, 0)", "rgb(255,255,255)"))
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
    assert "whynot-counter_trafficking_protection-during" in v["whyNot"]
    unknown = {p["fact"] for p in v["profile"] if p["unknown"]}
    assert unknown == set(assessment_2012()["unknown_facts"])
    assert all(p["shown"].startswith("unknown") for p in v["profile"] if p["unknown"])
    assert "mcof-2012" in v["footer"] and "3f" * 32 in v["footer"] and "mcof 0.1.0" in v["footer"]


@needs_chromium
def test_browser_diff_and_compare_load(tmp_path):
    a, b = assessment_2012(), _assessment_b()
    p1 = tmp_path / "diff.html"
    p1.write_text(chromium.with_probe(render_diff(_diff(a, b), SECTORS_2012)), encoding="utf-8")
    v = chromium.probe(p1, CHROMIUM)
    cell = _cell(v["grids"]["grid"]["rows"], "counter_trafficking_protection", "during")
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
        assert "3f" * 32 in flat.replace(" ", "")


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
    for rec in result["recommendations"]:  # the printed list carries every justification the engine gave
        for j in rec["justifications"]:
            assert f'data-rule="{j["rule"]}"' in printed
    page.write_text(html, encoding="utf-8")
    pdf = chromium.print_to_pdf(page, tmp_path / "libya.pdf", CHROMIUM).read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 8, pages
