"""mcof batch-diff: outputs of real batches (2012 vs 2021, a changed threshold, a trimmed table,
three outputs), each expectation computed from the raw outputs in a simpler way than the engine's."""
import csv
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from batchdata import INFORM, STOCK, inform_records, write_csv

from mcof.cli import main
from mcof.engine.batch.batchdiff import compare_outputs, concluded_fact, read_batch_output, readings, write_csv as write_diff_csv
from mcof.engine.batch.errors import InputError
from mcof.engine.batch.pipeline import run_batch
from mcof.engine.model import LEVELS
from mcof.engine.provenance import with_provenance
from mcof.engine.report.batchdiff_html import render_batch_diff_report
from mcof.engine.ruleset import load_ruleset

INPUTS = [str(INFORM), str(STOCK)]
DROPPED = ["AFG", "SDN", "NOR"]   # left out of the trimmed table


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Real batch outputs: 2012 (JSON and CSV), 2021, 2012 with two thresholds raised, and
    2012 on the INFORM table without three countries."""
    d = tmp_path_factory.mktemp("batches")
    records = inform_records()
    trimmed = write_csv(d / "inform_trimmed.csv", [records[0]] + [r for r in records[1:] if r[1] not in DROPPED])
    paths = {"2012": d / "b2012.json", "2012csv": d / "b2012.csv", "2021": d / "b2021.json",
             "raised": d / "raised.json", "trimmed": d / "trimmed.json"}
    run_batch(INPUTS, "inform", "2012", paths["2012"])
    run_batch(INPUTS, "inform", "2012", paths["2012csv"])
    run_batch(INPUTS, "inform", "2021", paths["2021"])
    run_batch(INPUTS, "inform", "2012", paths["raised"], overrides={"drought": 7.0, "many_tcn_share": 20.0})
    run_batch([str(trimmed), str(STOCK)], "inform", "2012", paths["trimmed"])
    return paths


def raw(path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def raw_entries(record) -> dict:
    """(iso3, sector, phase) -> (level, rules) straight from a batch JSON's long table."""
    return {(r["iso3"], r["sector"], r["phase"]): (r["level"], frozenset(r["rules"])) for r in record["long"] if r["sector"]}


def diff_of(*paths):
    return compare_outputs([read_batch_output(p) for p in paths])


def keys(step) -> set:
    return {(c.unit, c.sector, c.phase) for c in step.changes}


def assert_exactly_the_differing_entries(step, entries_a, entries_b, units):
    differing = {k for k in set(entries_a) | set(entries_b) if k[0] in units and entries_a.get(k) != entries_b.get(k)}
    assert keys(step) == differing
    for c in step.changes:
        key = (c.unit, c.sector, c.phase)
        assert c.from_level == (entries_a[key][0] if key in entries_a else None)
        assert c.to_level == (entries_b[key][0] if key in entries_b else None)
        rules_a, rules_b = entries_a.get(key, (None, frozenset()))[1], entries_b.get(key, (None, frozenset()))[1]
        assert set(c.rules_gained) == rules_b - rules_a and set(c.rules_lost) == rules_a - rules_b
        expected = ("added" if c.from_level is None else "removed" if c.to_level is None
                    else "justification_changed" if c.from_level == c.to_level
                    else "level_raised" if LEVELS.index(c.to_level) < LEVELS.index(c.from_level) else "level_lowered")
        assert c.change == expected


# ------------------------------------------------------------------------------ thresholds

def test_a_raised_threshold_changes_exactly_the_entries_whose_level_or_rules_differ(runs):
    a, b = raw(runs["2012"]), raw(runs["raised"])
    step = diff_of(runs["2012"], runs["raised"]).steps[0]
    units = {r["iso3"] for r in a["summary"]}
    assert_exactly_the_differing_entries(step, raw_entries(a), raw_entries(b), units)
    assert step.changes, "raising drought and many_tcn_share must change some countries"
    assert step.settings_changed == {"thresholds": {"drought": [5.0, 7.0], "many_tcn_share": [10.0, 20.0]}}


def test_each_threshold_change_says_which_facts_thresholds_and_evidence_are_behind_it(runs):
    a, b = raw(runs["2012"]), raw(runs["raised"])
    facts_a = {r["iso3"]: r for r in a["summary"]}
    facts_b = {r["iso3"]: r for r in b["summary"]}
    evidence = [{}, {}]
    for side, record in enumerate((a, b)):
        for row in record["long"]:
            evidence[side].setdefault(row["iso3"], set()).update(row["evidence"])
    step = diff_of(runs["2012"], runs["raised"]).steps[0]
    for c in step.changes:
        # only thresholds were raised: each change lost a rule because a fact it reads changed
        assert c.rules_lost and c.facts_changed, c
        for fact, (was, now) in c.facts_changed.items():
            assert facts_a[c.unit][fact] == was and facts_b[c.unit][fact] == now != was
        assert c.thresholds_changed and set(c.thresholds_changed) <= {"drought", "many_tcn_share"}
        assert c.evidence_a, c   # the line that no longer holds, with its indicator value
        for line in c.evidence_a:
            assert line in evidence[0][c.unit] and line not in evidence[1].get(c.unit, set())
            assert concluded_fact(line) in c.facts_changed
        assert any(f"threshold {name}," in line for line in c.evidence_a for name in c.thresholds_changed)


def test_readings_parse_every_indicator_value_the_real_evidence_prints(runs):
    lines = {line for row in raw(runs["2012"])["long"] for line in row["evidence"]}
    checked = 0
    for line in lines:
        for label, value in readings([line]).items():
            assert f"{label} {value}" in line
            checked += 1
    assert checked > 300
    assert readings(["Drought 7.9 >= 5.0 (threshold drought, policy choice) or Flood 7.2 >= 6.5 (threshold flood, "
                     "overridden; mapping default 6.5) -> crisis_type includes slow_onset_natural"]) == \
        {"Drought": "7.9", "Flood": "7.2"}


def test_indicator_values_that_differ_are_named(tmp_path, runs):
    """A new vintage: Sudan's Drought drops below its threshold (a sector goes) and its
    Projected Conflict Risk changes but stays above (man_made holds by both values). The
    outputs record a value only in the evidence of what holds, so the conflict risk is named
    with both values and the drought by the line that no longer holds."""
    records = inform_records()
    header = records[0]
    drought, risk = header.index("Drought"), header.index("Projected Conflict Risk")
    sdn = next(r for r in records[1:] if r[1] == "SDN")
    old_drought, new_risk = sdn[drought], "9.5" if float(sdn[risk]) != 9.5 else "9.6"
    sdn[drought], sdn[risk] = "4.0", new_risk
    vintage = write_csv(tmp_path / "inform_vintage.csv", records)
    out = tmp_path / "vintage.json"
    run_batch([str(vintage), str(STOCK)], "inform", "2012", out)
    step = diff_of(runs["2012"], out).steps[0]
    assert step.changes and {c.unit for c in step.changes} == {"SDN"}
    man_made = next(line for row in raw(runs["2012"])["long"] if row["iso3"] == "SDN" for line in row["evidence"]
                    if line.endswith("includes man_made"))
    for c in step.changes:
        assert c.indicators_changed == {"Projected Conflict Risk": [readings([man_made])["Projected Conflict Risk"],
                                                                     new_risk]}
        assert any(line.startswith(f"Drought {float(old_drought):.1f} >= ") for line in c.evidence_a)
    assert step.settings_changed["inputs"][0][0]["sha256"] != step.settings_changed["inputs"][1][0]["sha256"]


# ------------------------------------------------------------------------------ 2012 vs 2021

def carried(record_2012, ruleset_2021):
    """A 2012 long table in 2021 sectors, through the rules the 2021 ruleset inherits (each
    records its 2012 rule), and the 2012 entries that no 2021 sector carries."""
    inherited: dict[str, list] = {}
    for rule in ruleset_2021.rules:
        if (rule.origin or {}).get("crosswalk"):
            inherited.setdefault(rule.origin["rule"], []).append(rule)
    entries, moved = {}, set()
    for row in record_2012["long"]:
        if not row["sector"]:
            continue
        for rule_id in row["rules"]:
            for rule in inherited[rule_id]:
                if rule.conclusion.kind != "recommend":
                    moved.add((row["iso3"], row["sector"], row["phase"]))
                    continue
                key = (row["iso3"], rule.conclusion.target, row["phase"])
                level, rules = entries.get(key, (None, frozenset()))
                best = min((level or rule.conclusion.level, rule.conclusion.level), key=LEVELS.index)
                entries[key] = (best, rules | {rule.id})
    return entries, moved


def test_2012_and_2021_outputs_are_compared_through_the_crosswalk(runs):
    a, b = raw(runs["2012"]), raw(runs["2021"])
    entries_a, moved = carried(a, load_ruleset("2021"))
    step = diff_of(runs["2012"], runs["2021"]).steps[0]
    in_sectors = [c for c in step.changes if c.change != "moved_out"]
    units = {r["iso3"] for r in a["summary"]}

    class Sectors:   # the step without its moved-out entries, for the shared check
        changes = in_sectors
    assert_exactly_the_differing_entries(Sectors, entries_a, raw_entries(b), units)
    assert {(c.unit, c.sector, c.phase) for c in step.changes if c.change == "moved_out"} == moved
    assert moved, "2012's migration policy sector is a cross-cutting issue in 2021"
    for c in in_sectors:
        if c.from_level:   # carried from 2012: the crosswalk link and the 2012 sector are named
            assert c.crosswalk and all(r.partition("--")[2] in {v["link"] for v in c.crosswalk}
                                       for r in c.rules_lost)
    # a merge: a country with both 2012 sectors 11 and 12 has one 2021 entry naming both
    both = {r["iso3"] for r in a["summary"]
            if r["humanitarian_border_management"] and r["emergency_consular_assistance"]}
    merged = [c for c in step.changes if c.sector == "humanitarian_border_management_citizens_abroad" and c.unit in both]
    assert merged and all({v["from"] for v in c.crosswalk} == {"humanitarian_border_management",
                                                               "emergency_consular_assistance"} for c in merged)
    assert step.settings_changed["ruleset"][0]["id"] == "mcof-2012" and "thresholds" not in step.settings_changed


def test_a_2012_sector_given_to_sector_reads_through_the_crosswalk(runs):
    result = CliRunner().invoke(main, ["batch-diff", str(runs["2012"]), str(runs["2021"]), "--sector",
                                       "health_support", "--format", "json"])
    assert result.exit_code == 0, result.output
    changes = json.loads(result.stdout)["steps"][0]["changes"]
    assert changes and {c["sector"] for c in changes} == {"health"}
    assert "health_support (mcof-2012) is health in mcof-2021" in result.stderr


# ------------------------------------------------------------------------------ units, trend

def test_units_only_in_one_output_are_listed_never_dropped(runs):
    result = diff_of(runs["2012"], runs["trimmed"])
    step = result.steps[0]
    assert {u["unit"] for u in step.only_in_a} == set(DROPPED) and not step.only_in_b
    assert not {c.unit for c in step.changes} & set(DROPPED)
    for row in result.trend:
        if row["unit"] in DROPPED:
            assert row["levels"][1] is None and row["changes"]
    assert {r["unit"] for r in result.trend} == {r["iso3"] for r in raw(runs["2012"])["summary"]}


def best_levels(record) -> dict:
    best = {}
    for (unit, sector, _), (level, _) in raw_entries(record).items():
        if (unit, sector) not in best or LEVELS.index(level) < LEVELS.index(best[(unit, sector)]):
            best[(unit, sector)] = level
    return best


def test_three_outputs_give_a_trend_of_each_units_highest_level(runs):
    paths = [runs["2012"], runs["raised"], runs["trimmed"]]
    result = diff_of(*paths)
    assert len(result.steps) == 2 and [(s.a, s.b) for s in result.steps] == [(0, 1), (1, 2)]
    records = [raw(p) for p in paths]
    best = [best_levels(r) for r in records]
    present = [{r["iso3"] for r in record["summary"]} for record in records]
    expected = {(u, s) for levels in best for (u, s) in levels}
    assert {(r["unit"], r["sector"]) for r in result.trend if r["sector"]} == expected
    for row in result.trend:
        if not row["sector"]:
            continue
        want = [levels.get((row["unit"], row["sector"]), "") if row["unit"] in units else None
                for levels, units in zip(best, present)]
        assert row["levels"] == want and row["changes"] == (len(set(want)) > 1)


def test_two_older_outputs_compared_in_the_newer_sectors_show_only_what_differs_between_them(runs):
    """With a 2021 output among them, two 2012 outputs are compared in 2021's sectors; what the
    crosswalk moves out of the sectors is the same entry on both sides, so it is no change."""
    in_2021 = diff_of(runs["2012"], runs["raised"], runs["2021"]).steps[0]
    in_2012 = diff_of(runs["2012"], runs["raised"]).steps[0]
    assert not [c for c in in_2021.changes if c.change == "moved_out"]
    assert {(c.unit, c.phase, c.change) for c in in_2021.changes if c.sector == "migration_policy_legislation"} == \
        {(c.unit, c.phase, c.change) for c in in_2012.changes if c.sector == "migration_policy_legislation"}


def test_csv_input_gives_the_same_comparison_as_json(runs):
    from_json = diff_of(runs["2012"], runs["raised"]).steps[0]
    from_csv = diff_of(runs["2012csv"], runs["raised"]).steps[0]
    assert [c.to_dict() for c in from_csv.changes] == [c.to_dict() for c in from_json.changes]


# ------------------------------------------------------------------------------ renderers

@pytest.fixture(scope="module")
def three(runs):
    """A comparison with provenance, as the command line makes it."""
    outputs = [read_batch_output(p) for p in (runs["2012"], runs["2021"], runs["raised"])]
    return with_provenance(compare_outputs(outputs), load_ruleset("2021"), [], {"outputs": [o.provenance for o in outputs]})


def test_html_report_shows_every_change_the_counts_and_the_small_multiples(three):
    html = render_batch_diff_report(three)
    rows = re.findall(r'<tr data-unit="([^"]+)" data-sector="([^"]+)" data-phase="([^"]*)" data-change="([^"]+)">', html)
    assert rows == [(c.unit, c.sector, c.phase, c.change) for s in three.steps for c in s.changes]
    for s in three.steps:
        table = html[html.index(f'id="counts-{s.a + 1}-{s.b + 1}"'):]
        table = table[:table.index("</table>")]
        for kind, per_sector in s.counts().items():
            assert f"<th>{sum(per_sector.values())}</th>" in table
    strips = re.findall(r'<div class="strip" data-sector="([^"]+)">', html)
    assert strips == list(dict.fromkeys(s for s in three.sectors if any(r["sector"] == s for r in three.trend)))
    assert html.count('<tr data-unit=') == sum(len(s.changes) for s in three.steps) + \
        sum(1 for r in three.trend if r["changes"])
    for o in three.outputs:
        assert o["provenance"]["ruleset"]["sha256"] in html


def test_csv_files_carry_every_change_the_trend_and_the_provenance(three, tmp_path):
    written = write_diff_csv(three, tmp_path / "changes.csv")
    assert [p.name for p in written] == ["changes.csv", "changes.trend.csv", "changes.provenance.json"]
    with open(written[0], encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["step"], r["unit"], r["sector"], r["phase"], r["change"]) for r in rows] == \
        [(f"{s.a + 1}>{s.b + 1}", c.unit, c.sector, c.phase, c.change) for s in three.steps for c in s.changes]
    assert [json.loads(r["rules_gained"]) for r in rows] == [list(c.rules_gained) for s in three.steps for c in s.changes]
    with open(written[1], encoding="utf-8", newline="") as handle:
        trend = list(csv.DictReader(handle))
    assert len(trend) == len(three.trend)
    assert [[r[f"level_{i}"] for i in (1, 2, 3)] for r in trend] == \
        [["absent" if v is None else v for v in row["levels"]] for row in three.trend]
    assert json.loads(written[2].read_text(encoding="utf-8")) == three.provenance


def test_cli_formats_carry_the_provenance_of_the_diff_and_of_each_input(runs, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    args = ["batch-diff", str(runs["2012csv"]), str(runs["raised"]), "--country", "Albania"]
    first = CliRunner().invoke(main, args + ["--format", "json"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert data["provenance"]["generated_at"] == "2023-11-14T22:13:20Z"
    files = [i["file"] for i in data["provenance"]["inputs"]]
    assert files == [str(runs["2012csv"]), str(runs["2012csv"]).replace(".csv", ".summary.csv"),
                     str(runs["2012csv"]).replace(".csv", ".provenance.json"), str(runs["raised"])]
    assert [o["ruleset"]["sha256"] for o in data["provenance"]["parameters"]["outputs"]] == \
        [raw(runs["raised"])["provenance"]["ruleset"]["sha256"]] * 2
    assert {c["unit"] for c in data["steps"][0]["changes"]} == {"ALB"}
    assert CliRunner().invoke(main, args + ["--format", "json"]).stdout == first.stdout   # reproducible
    table = CliRunner().invoke(main, args)
    for change in data["steps"][0]["changes"]:
        assert f"{change['sector_name']} ({change['phase']}): {change['change']}" in table.stdout
    assert data["provenance"]["ruleset"]["sha256"] in table.stdout
    markdown = CliRunner().invoke(main, args + ["-o", str(tmp_path / "changes.md")])
    text = (tmp_path / "changes.md").read_text(encoding="utf-8")
    assert markdown.exit_code == 0 and text.count("| Albania (ALB) |") == len(data["steps"][0]["changes"])


# ------------------------------------------------------------------------------ bad input

def fails(*args) -> str:
    result = CliRunner().invoke(main, ["batch-diff", *map(str, args)])
    assert result.exit_code == 2, result.output
    assert "Error: " in result.stderr and "Traceback" not in result.output
    return result.stderr


def test_bad_inputs_are_refused_with_the_file_and_the_fix(runs, tmp_path):
    good = runs["2012"]
    text = (tmp_path / "notes.json")
    text.write_text("{\"hello\": 1}", encoding="utf-8")
    assert str(text) in (message := fails(good, text)) and "mcof batch" in message
    cut = tmp_path / "cut.json"
    cut.write_bytes(Path(good).read_bytes()[:5000])
    assert "not valid JSON (line" in (message := fails(good, cut)) and str(cut) in message and "write it again" in message
    assessed = tmp_path / "assess.json"
    assessed.write_text(CliRunner().invoke(main, ["assess", "--set", "crisis_type=health", "--set", "phase=during",
                                                  "--format", "json"]).stdout, encoding="utf-8")
    assert "an mcof output, but not of `mcof batch`" in fails(good, assessed)
    summary = Path(str(runs["2012csv"]).replace(".csv", ".summary.csv"))
    assert "give its long table, b2012.csv" in fails(good, summary)
    lonely = tmp_path / "lonely.csv"
    lonely.write_bytes(Path(runs["2012csv"]).read_bytes())
    assert "no provenance sidecar lonely.provenance.json" in fails(good, lonely)
    assert "reads .json and .csv batch outputs" in fails(good, INFORM.with_suffix(".xlsx"))
    assert "give two or more batch outputs" in fails(good)


def test_outputs_keyed_differently_or_of_an_unknown_ruleset_are_refused(runs, tmp_path):
    record = raw(runs["2012"])
    record["long"] = [{"pcode": r["iso3"], **{k: v for k, v in r.items() if k != "iso3"}} for r in record["long"]]
    pcodes = tmp_path / "pcodes.json"
    pcodes.write_text(json.dumps(record), encoding="utf-8")
    message = fails(runs["2012"], pcodes)
    assert f"{pcodes}: keyed by 'pcode', but {runs['2012']} by 'iso3'" in message and "keyed alike" in message
    record = raw(runs["2012"])
    record["provenance"]["ruleset"]["id"] = "my-ruleset"
    custom = tmp_path / "custom.json"
    custom.write_text(json.dumps(record), encoding="utf-8")
    assert "made with ruleset 'my-ruleset', which is not built into mcof" in fails(runs["2012"], custom)
    assert "unknown country 'Atlantis'" in fails(runs["2012"], runs["raised"], "--country", "Atlantis")
    assert "give --output FILE.csv" in fails(runs["2012"], runs["raised"], "--format", "csv")


def test_input_error_names_the_file(runs):
    with pytest.raises(InputError) as error:
        read_batch_output(INFORM)
    assert error.value.file == str(INFORM) and "provenance sidecar" in error.value.message


def test_report_opens_in_chromium_with_every_change_and_strip(runs, tmp_path):
    from tests.browser.chromium import dump_dom, find_chromium, screenshot
    if find_chromium() is None:
        pytest.skip("no chromium installed (apt-get install chromium)")
    outputs = [read_batch_output(p) for p in (runs["2012"], runs["2021"], runs["raised"])]
    result = with_provenance(compare_outputs(outputs, units={"ALB", "BHS", "SDN"}), load_ruleset("2021"), [], {})
    page = tmp_path / "batch-diff.html"
    html = render_batch_diff_report(result)
    # click the "#2" header (sort by level) and filter on one country, as a reader would
    probe = """<script>
var t = document.getElementById("changes-1-2"); t.tHead.rows[0].cells[5].click();
var ranks = Array.prototype.map.call(t.tBodies[0].rows, function (r) { return +r.cells[5].getAttribute("data-rank"); });
var input = document.querySelector('input[data-filter="changes-1-2"]'); input.value = "sudan";
input.dispatchEvent(new Event("input"));
var shown = Array.prototype.filter.call(t.tBodies[0].rows, function (r) { return r.style.display !== "none"; }).length;
var out = document.createElement("pre"); out.id = "probe"; out.textContent = JSON.stringify({ranks: ranks, shown: shown});
document.body.appendChild(out);
</script>"""
    page.write_text(html.replace("</body>", probe + "</body>"), encoding="utf-8")
    dom = dump_dom(page)
    seen = json.loads(re.search(r'<pre id="probe">(.*?)</pre>', dom).group(1))
    assert seen["ranks"] == sorted(seen["ranks"]) and len(seen["ranks"]) == len(result.steps[0].changes)
    assert seen["shown"] == sum(1 for c in result.steps[0].changes if c.unit == "SDN") > 0
    for step in result.steps:
        for c in step.changes:
            assert f'<tr data-unit="{c.unit}" data-sector="{c.sector}" data-phase="{c.phase}" data-change="{c.change}"' in dom
    assert dom.count('<div class="strip"') == len({r["sector"] for r in result.trend if r["sector"]}) > 0
    assert screenshot(page, tmp_path / "batch-diff.png", "1280,900").stat().st_size > 10_000


def test_outputs_of_id_units_compare_by_their_id_and_count_their_units(tmp_path):
    from batchdata import subnational_records
    table = write_csv(tmp_path / "admin1.csv", subnational_records(2, countries=20))
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    units = {"id_column": "admin1Pcode", "name_column": "admin1Name"}
    run_batch([str(table)], "inform", "2012", a, **units)
    run_batch([str(table)], "inform", "2012", b, overrides={"drought": 7.0}, **units)
    result = diff_of(a, b)
    count = raw(a)["provenance"]["parameters"]["units"]
    assert count == 40 and [o["units"] for o in result.outputs] == [40, 40]
    assert result.unit_column == "unit_id" and "rows" not in result.steps[0].settings_changed
    assert {c.unit for c in result.steps[0].changes} <= {r[0] for r in subnational_records(2, countries=20)[1:]}
