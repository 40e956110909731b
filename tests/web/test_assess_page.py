"""The assess page against the engine: grid, form, why / why not, pin and diff, downloads."""
import html
import json
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from click.testing import CliRunner
from pageparse import attribute_values, by_id, cell_levels, elements, form_query, inside

from mcof import assess, build_profile, explain, load_ruleset, read_profile_file
from mcof.cli import main
from mcof.engine.whatif import diff
from mcof.web.query import assignments, profile_from_pairs, profile_pairs

ROOT = Path(__file__).resolve().parents[2]
LIBYA = ROOT / "examples" / "libya-2011.yaml"


def page_query(ruleset: str, profile: dict, **extra) -> str:
    rs = load_ruleset(ruleset)
    return urlencode([("ruleset", ruleset), *profile_pairs(rs, profile), *extra.items()])


def libya(ruleset="2012"):
    rs = load_ruleset(ruleset)
    return rs, build_profile(rs, read_profile_file(LIBYA))


@pytest.mark.parametrize("ruleset", ["2012", "2021"])
def test_the_grid_shows_every_sector_at_the_engines_level(client, ruleset):
    rs, profile = libya(ruleset)
    result = assess(rs, profile)
    page = client.get("/?" + page_query(ruleset, profile))
    assert page.status_code == 200
    text = html.unescape(page.text)
    for sector in rs.sectors:
        assert sector.name in text
    assert {r.sector for r in result.recommendations} <= {s.slug for s in rs.sectors}
    assert cell_levels(page.text) == result.levels()
    assert by_id(page.text, "wheel") is not None and "<svg" in page.text


def test_the_form_is_the_fact_catalogue(client):
    rs = load_ruleset("2021")
    page = client.get("/?ruleset=2021").text
    text = html.unescape(page)
    for name, spec in rs.input_facts().items():
        assert by_id(page, f"fact-{name}") is not None, name
        assert spec.meaning in text
        if spec.source:
            assert str(spec.source) in text
        if spec.type == "bool":  # three-way: true, false, unknown
            assert [by_id(page, f"f-{name}-{v}") is not None for v in ("true", "false", "unknown")] == [True] * 3
    assert by_id(page, "start-hint") is not None  # no profile yet: no grid, a hint


def test_three_way_facts_round_trip_through_the_url(client):
    rs = load_ruleset("2012")
    profile = build_profile(rs, {"crisis_type": ["man_made", "health"], "phase": "during",
                                 "international_migrants_caught": True, "large_cross_border_movements": False})
    page = client.get("/?" + page_query("2012", profile)).text
    checked = {a["id"] for _, a in elements(page).elements if "checked" in a}
    assert {"f-international_migrants_caught-true", "f-large_cross_border_movements-false",
            "f-many_third_country_nationals-unknown"} <= checked
    submitted = parse_qsl(form_query(page), keep_blank_values=True)
    assert profile_from_pairs(rs, submitted) == profile  # true, false and unknown come back as they went
    again = client.get("/?" + form_query(page)).text
    assert cell_levels(again) == assess(rs, profile).levels()


def _panel(client, ruleset, profile, sector, phase):
    response = client.get("/why?" + page_query(ruleset, profile, cell=f"{sector}:{phase}"))
    assert response.status_code == 200
    return response.text


def test_why_shows_the_engines_justifications(client):
    rs, profile = libya()
    sector, phase = "transport_assistance", "during"
    expected = next(p for p in explain(rs, profile, sector).phases if p.phase == phase)
    assert expected.recommended
    panel = _panel(client, "2012", profile, sector, phase)
    shown = [a["data-rule"] for _, a in elements(inside(panel, "why-justifications")).elements
             if "just" in a.get("class", "").split()]
    assert shown == [j.rule for j in expected.justifications]
    text = html.unescape(panel)
    for j in expected.justifications:
        assert " ".join(j.quote.split()) in " ".join(text.split()) and j.citation in text
    links = rs.sector(sector).to_dict()["linkages"]
    assert links and attribute_values(inside(panel, "why-linkages"), "data-to") == [link["to"] for link in links]
    assert 'id="cell-input"' in panel and 'hx-swap-oob="true"' in panel  # the form keeps the opened cell


def test_why_not_shows_statuses_and_try_it_sets_the_fact(client):
    rs = load_ruleset("2012")
    profile = build_profile(rs, {"crisis_type": "man_made", "phase": "during"})
    sector, phase = "counter_trafficking_protection", "during"
    expected = next(p for p in explain(rs, profile, sector).phases if p.phase == phase)
    assert not expected.recommended and expected.would_change_if
    panel = _panel(client, "2012", profile, sector, phase)
    rules = [(a["data-rule"], a["data-status"]) for _, a in elements(panel).elements
             if "whynot-rule" in a.get("class", "")]
    assert rules == [(r.rule, r.status) for r in expected.rules]
    statuses = [a["data-status"] for _, a in elements(panel).elements if a.get("data-status") and "data-fact" in a]
    assert statuses == [c.status for r in expected.rules for c in _flat(r.conditions)]
    tries = [a for _, a in elements(panel).elements if "try-it" in a.get("class", "")]
    assert [(t["data-fact"], t["data-value"]) for t in tries] == \
        [(w.fact, "true" if w.value is True else str(w.value)) for w in expected.would_change_if]
    followed = client.get(tries[0]["href"].split("#")[0])
    tried = build_profile(rs, {**profile, expected.would_change_if[0].fact: expected.would_change_if[0].value})
    assert cell_levels(followed.text)[(sector, phase)] == expected.would_change_if[0].level == \
        assess(rs, tried).levels()[(sector, phase)]


def _flat(conditions):
    for c in conditions:
        yield c
        for producer in c.derived_by or ():
            yield from _flat(producer.conditions)


def test_the_diff_against_the_pin_is_the_engines(client):
    rs, pinned = libya()
    now = {**pinned, "international_migrants_caught": False, "large_cross_border_movements": False}
    pin = urlencode(profile_pairs(rs, pinned))
    page = client.get("/?" + page_query("2012", now, pin=pin)).text
    shown = [(a["data-sector"], a["data-phase"], a["data-change"]) for _, a in elements(page).elements
             if "data-change" in a and a.get("data-sector")]
    expected = diff(rs, pinned, now)
    assert shown and shown == [(c.sector, c.phase, c.change) for c in expected.changes]
    facts = [a["data-fact"] for _, a in elements(page[page.index('id="facts-changed"'):]).elements if "data-fact" in a]
    assert facts[:len(expected.facts_changed)] == list(expected.facts_changed)
    assert by_id(page, "unpin-button") is not None
    # pinning is a link that puts the current profile in the URL
    unpinned = client.get("/?" + page_query("2012", now)).text
    pin_link = by_id(unpinned, "pin-button")["href"]
    assert dict(parse_qsl(urlsplit(pin_link).query))["pin"] == urlencode(profile_pairs(rs, now))


def test_the_ruleset_switch_keeps_the_facts_the_other_ruleset_knows(client):
    rs21 = load_ruleset("2021")
    profile = build_profile(rs21, {"crisis_type": "man_made", "phase": "during", "markets_functioning": True,
                                   "international_migrants_caught": True})
    page = client.get("/?" + page_query("2021", profile)).text
    switched = dict(parse_qsl(urlsplit(by_id(page, "ruleset-2012")["href"]).query))
    assert switched == {"ruleset": "2012", "crisis_type": "man_made", "phase": "during",
                        "international_migrants_caught": "true"}


def test_bad_values_get_the_engines_message_and_keep_the_form(client):
    page = client.get("/?ruleset=2012&crisis_type=man_made&phase=durin&international_migrants_caught=true")
    assert page.status_code == 400
    message = html.unescape(page.text)
    assert "'durin' is not a valid phase (did you mean 'during'?)" in message
    assert "checked" in str(by_id(page.text, "f-international_migrants_caught-true"))
    unknown = client.get("/?ruleset=2012&crisis_type=man_made&phase=during&phse=during")
    assert unknown.status_code == 400 and "unknown fact &#39;phse&#39;" in unknown.text


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_downloads_are_the_bytes_the_cli_writes(client, epoch, fmt):
    rs, profile = libya()
    served = client.get(f"/download/assessment.{fmt}?" + page_query("2012", profile))
    assert served.status_code == 200
    args = ["assess", "--ruleset", "2012", "--format", fmt]
    for assignment in assignments(rs, profile):
        args += ["--set", assignment]
    cli = CliRunner().invoke(main, args)
    assert cli.exit_code == 0
    assert served.content == cli.stdout_bytes
    if fmt == "json":
        assert json.loads(served.content)["provenance"]["inputs"] == [{"set": assignments(rs, profile)}]


def test_a_form_half_filled_in_says_what_is_still_to_choose(client):
    page = client.get("/?ruleset=2012&crisis_type=man_made&international_migrants_caught=true")
    assert page.status_code == 200 and by_id(page.text, "error") is None
    assert "Still to choose: <code>phase</code>." in inside(page.text, "start-hint")
    checked = {a["id"] for _, a in elements(page.text).elements if "checked" in a}
    assert {"f-crisis_type-man_made", "f-international_migrants_caught-true"} <= checked  # kept as given
    assert client.get("/?ruleset=2012&phase=during").status_code == 200
    bad = client.get("/?ruleset=/etc&crisis_type=man_made")  # a fault besides: that is what it says
    assert bad.status_code == 400 and "unknown ruleset" in bad.text
