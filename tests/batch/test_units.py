"""Batches over units that are not countries (--id-column, mapping `id:`): a synthetic
sub-national table made from INFORM 2020, each country split into admin units that carry
its values and are keyed by P-codes."""
import csv
import json

import pytest
import yaml
from click.testing import CliRunner

from batchdata import INFORM, STOCK, by_iso, inform_records, pcode, subnational_records, write_csv

from mcof.cli import main
from mcof.engine.batch import InputError, MappingError, build_profiles, load_mapping, read_inputs
from mcof.engine.batch.mapping import BUILTIN_DIR
from mcof.engine.batch.pipeline import run_batch

UNITS = {"id_column": "admin1Pcode", "name_column": "admin1Name"}


@pytest.fixture(scope="module")
def units_mapping():
    return load_mapping("inform", **UNITS)


@pytest.fixture(scope="module")
def country_profiles():
    """INFORM 2020 alone (no migrant stock), by ISO3: what every admin unit should inherit."""
    mapping = load_mapping("inform")
    return by_iso(build_profiles(read_inputs([INFORM], mapping), mapping))


def test_each_unit_gets_its_countrys_profile(tmp_path, units_mapping, country_profiles):
    f = write_csv(tmp_path / "admin1.csv", subnational_records(3))
    table = read_inputs([f], units_mapping)
    profiles = build_profiles(table, units_mapping)
    assert len(profiles) == 3 * 191 and table.units.key == "unit_id"
    assert list(table.frame.columns[:2]) == ["unit_id", "name"]
    assert not [e for e in table.errors if e.severity == "error"]
    for iso3, country in country_profiles.items():
        for n in (1, 2, 3):
            unit = next(p for p in profiles if p.iso3 == pcode(iso3, n))
            assert unit.name == f"{country.name} unit {n}"
            assert (unit.facts, unit.unknown, unit.partial, unit.context) == \
                (country.facts, country.unknown, country.partial, country.context)


def test_ids_are_taken_as_written_and_the_name_column_is_optional(tmp_path):
    recs = inform_records()
    head = recs[0]
    rows = [["district", *head[2:]]] + [[code, *next(r for r in recs if r[1] == iso3)[2:]]
                                        for code, iso3 in (("not-a-country", "AFG"), ("xy 12", "SDN"), ("007", "FRA"))]
    f = write_csv(tmp_path / "districts.csv", rows)
    mapping = load_mapping("inform", id_column="district")
    table = read_inputs([f], mapping)
    assert [(key, table.names[key]) for key in table.cells] == [("not-a-country", ""), ("xy 12", ""), ("007", "")]
    assert not table.errors   # no ISO3 check, no name lookup, no warning


def test_duplicate_ids_are_error_rows_naming_every_row_never_merged(tmp_path, units_mapping):
    recs = subnational_records(1, countries=4)       # rows 2-5: AFG, ALB, DZA, AGO
    head = recs[0]
    flood = head.index("Flood")
    again = [list(recs[1]), list(recs[1]), list(recs[3])]
    again[0][flood], again[1][flood], again[2][flood] = "0.1", "0.2", "0.3"
    f = write_csv(tmp_path / "dups.csv", recs + again)   # rows 6, 7 repeat AF0100; row 8 repeats DZ0100
    table = read_inputs([f], units_mapping)
    errors = sorted((e for e in table.errors if e.severity == "error"), key=lambda e: e.row)
    assert [(e.row, e.column, e.value, e.iso3) for e in errors] == \
        [(6, "admin1Pcode", "AF0100", "AF0100"), (7, "admin1Pcode", "AF0100", "AF0100"),
         (8, "admin1Pcode", "DZ0100", "DZ0100")]
    assert errors[0].reason == errors[1].reason == \
        "duplicate id AF0100: rows 2, 6, 7; the first (row 2) is used, this row is not"
    assert errors[2].reason == "duplicate id DZ0100: rows 4, 8; the first (row 4) is used, this row is not"
    assert len(table.cells) == 4
    assert table.cells["AF0100"]["flood"].value == float(recs[1][flood]) and table.cells["AF0100"]["flood"].row == 2


def test_duplicates_group_into_one_problem_of_the_errors_summary(tmp_path):
    recs = subnational_records(1, countries=3)
    f = write_csv(tmp_path / "dups.csv", recs + [recs[1], recs[1], recs[2]])
    report = run_batch([f], "inform", "2012", tmp_path / "out.csv", **UNITS)
    with open(tmp_path / "out.errors_summary.csv", encoding="utf-8", newline="") as handle:
        groups = list(csv.DictReader(handle))
    assert [(g["severity"], g["count"], g["reason"]) for g in groups] == \
        [("error", "3", "duplicate id {unit_id}: rows {rows}; the first (row {row}) is used, this row is not")]
    assert json.loads(groups[0]["unit_id"]) == [pcode("AFG", 1), pcode("ALB", 1)]
    assert len(report.failed_rows) == 3


def test_a_row_without_an_id_is_an_error_row(tmp_path, units_mapping):
    recs = subnational_records(1, countries=2)
    recs[2][0] = " "
    table = read_inputs([write_csv(tmp_path / "blank.csv", recs)], units_mapping)
    assert list(table.cells) == [pcode("AFG", 1)]
    [error] = table.errors
    assert (error.row, error.column, error.value, error.severity) == (3, "admin1Pcode", "Albania unit 1", "error")
    assert error.reason == "no id in column 'admin1Pcode'; row not used"


def test_several_inputs_are_joined_on_the_id(tmp_path, units_mapping):
    """A migrant-stock table per admin unit (each with its country's shares, years reversed)
    gives every unit its country's migrant facts; a unit only it lists is skipped, reported."""
    mapping = load_mapping("inform")
    countries = by_iso(build_profiles(read_inputs([INFORM, STOCK], mapping), mapping))
    with open(STOCK, encoding="utf-8", newline="") as handle:
        stock = list(csv.reader(handle))
    informed = {r[1] for r in inform_records()[1:]}
    rows = [["admin1Pcode", "Year", stock[0][3]]]
    for entity, code, year, share in reversed(stock[1:]):
        if code in informed:
            rows += [[pcode(code, n), year, share] for n in (1, 2)]
    rows.append(["ZZ9900", "2020", "50"])
    shares = write_csv(tmp_path / "shares.csv", rows)
    table = read_inputs([write_csv(tmp_path / "admin1.csv", subnational_records(2)), shares], units_mapping)
    profiles = by_iso(build_profiles(table, units_mapping))
    migrant_facts = ("many_third_country_nationals", "international_migrants_caught")
    for iso3, country in countries.items():
        for n in (1, 2):
            unit = profiles[pcode(iso3, n)]
            assert {f: unit.facts.get(f) for f in migrant_facts} == {f: country.facts.get(f) for f in migrant_facts}
    [skipped] = [e for e in table.errors if e.iso3 == "ZZ9900"]
    assert skipped.severity == "skipped" and "not in the primary input" in skipped.reason


def test_a_missing_id_column_is_named_with_a_did_you_mean(tmp_path):
    f = write_csv(tmp_path / "admin1.csv", subnational_records(1, countries=2))
    with pytest.raises(InputError) as e:
        read_inputs([f], load_mapping("inform", id_column="admin_pcode"))
    assert e.value.column == "admin_pcode" and e.value.file == str(f)
    assert "did you mean 'admin1Pcode'?" in e.value.hint


def _units_yaml(tmp_path, edit):
    raw = yaml.safe_load((BUILTIN_DIR / "inform.yaml").read_text(encoding="utf-8"))
    edit(raw["inputs"])
    path = tmp_path / "units.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_a_mapping_keys_its_inputs_by_id(tmp_path, country_profiles):
    def by_pcode(inputs):
        for spec in inputs.values():
            spec.pop("iso3")
            spec["id"] = {"column": ["admin1Pcode", "#adm1+code"]}
        inputs["inform"]["name"] = "admin1Name"
    mapping = load_mapping(_units_yaml(tmp_path, by_pcode))
    assert mapping.units.key == "unit_id"
    table = read_inputs([write_csv(tmp_path / "admin1.csv", subnational_records(1))], mapping)
    afg = build_profiles(table, mapping)[0]
    assert (afg.iso3, afg.name, afg.facts) == ("AF0100", "Afghanistan unit 1", country_profiles["AFG"].facts)


@pytest.mark.parametrize("edit, message", [
    (lambda inputs: inputs["inform"].update(id="admin1Pcode"), "keyed by an 'id' column or by an 'iso3' column, not both"),
    (lambda inputs: (inputs["inform"].pop("iso3"), inputs["inform"].update(id="admin1Pcode")),
     "input 'inform' is keyed by an 'id' column, 'migrant_stock' is not"),
])
def test_inputs_keyed_two_ways_are_refused(tmp_path, edit, message):
    with pytest.raises(MappingError) as e:
        load_mapping(_units_yaml(tmp_path, edit))
    assert message in e.value.message


def test_cli_batch_of_2k_admin_units(tmp_path):
    """2,101 admin units (11 per country) end to end: key and name columns named for units,
    the id column in the provenance, HXL location tags, --explain by id."""
    f = write_csv(tmp_path / "admin1.csv", subnational_records(11))
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["batch", str(f), "--id-column", "admin1Pcode", "--name-column", "admin1Name",
                                       "--output", str(out), "--hxl", "--explain", "SD0300"])
    assert result.exit_code == 0, result.output
    assert "2101 units: " in result.stdout and "Units per sector" in result.stdout
    assert "Sudan unit 3 (SD0300)\n  from the indicators:" in result.stdout

    def table(suffix):
        with open(out.with_name(f"out{suffix}.csv"), encoding="utf-8", newline="") as handle:
            records = list(csv.reader(handle))
        return records[0], records[1], [dict(zip(records[0], r)) for r in records[2:]]
    head, tags, summary = table(".summary")
    assert head[:2] == ["unit_id", "unit_name"] and tags[:2] == ["#loc+code", "#loc+name"]
    assert "iso3" not in head and len(summary) == 2101
    head, _, long_rows = table("")
    assert head[:2] == ["unit_id", "unit_name"]
    assert {r["unit_id"] for r in long_rows} == {r["unit_id"] for r in summary}
    head, tags, _ = table(".errors")
    assert head[-1] == "unit_id" and tags[-1] == "#loc+code"
    provenance = json.loads(out.with_name("out.provenance.json").read_text(encoding="utf-8"))
    assert provenance["parameters"]["unit"] == {"kind": "id", "key": "unit_id", "name": "unit_name",
                                                "id_column": "admin1Pcode", "name_column": "admin1Name"}
    assert provenance["parameters"]["units"] == 2101 and "countries" not in provenance["parameters"]
    assert (provenance["inputs"][0]["key_column"], provenance["inputs"][0]["name_column"]) == ("admin1Pcode", "admin1Name")


def test_an_id_batch_verifies_against_its_inputs(tmp_path):
    f = write_csv(tmp_path / "admin1.csv", subnational_records(2, countries=30))
    out = tmp_path / "out.json"
    assert CliRunner().invoke(main, ["batch", str(f), "--id-column", "admin1Pcode", "--output", str(out)]).exit_code == 0
    result = CliRunner().invoke(main, ["verify", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["differences"] == []


def test_an_unknown_unit_for_explain_names_some_that_exist(tmp_path):
    f = write_csv(tmp_path / "admin1.csv", subnational_records(1, countries=2))
    result = CliRunner().invoke(main, ["batch", str(f), "--id-column", "admin1Pcode", "--output",
                                       str(tmp_path / "out.csv"), "--explain", "SY0100"])
    assert result.exit_code != 0
    assert "Error: --explain: unit SY0100 is not in the batch (use the id of a unit in the inputs, e.g. AF0100, AL0100)" \
        in result.stderr


def test_the_batch_report_of_units_has_no_world_map(tmp_path):
    f = write_csv(tmp_path / "admin1.csv", subnational_records(2, countries=5))
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["batch", str(f), "--id-column", "admin1Pcode", "--output", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<title>MCOF batch: 10 units (" in page and "<h2>Units per sector and level</h2>" in page
    assert '<svg class="map"' not in page and "the report draws no world map" in page
    assert page.count('<tr data-iso3="') == 10 and '<tr data-iso3="AF0200">' in page
