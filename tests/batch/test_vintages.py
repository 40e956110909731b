"""Any INFORM release: the 2016 and mid-2018 shapes (no Epidemic, no RISK CLASS, no Countries
in HVC; the 2016 file UTF-8 with a blank line after every row and a trailing empty column,
the mid-2018 file Latin-1; missing values `x`) and a release with river and coastal flood
in separate columns, all built from the 2020 table."""
from pathlib import Path

import pytest

from batchdata import (INFORM, STOCK, by_iso, inform_records, write_csv, write_inform_2016,
                       write_inform_2018)

from mcof.engine.batch import InputError, MappingError, build_profiles, load_mapping, read_inputs
from mcof.engine.batch.pipeline import run_batch
from mcof.engine.render import batch_summary

LACKING = {"epidemic": "Epidemic", "countries_in_hvc": "Countries in HVC"}


@pytest.fixture(scope="module")
def profiles_2020():
    mapping = load_mapping("inform")
    return by_iso(build_profiles(read_inputs([INFORM, STOCK], mapping), mapping))


@pytest.fixture(scope="module", params=["2016", "mid-2018"])
def old_release(request, tmp_path_factory):
    """(table, report) of one old release, Sudan's Drought written 'x'."""
    where = tmp_path_factory.mktemp(request.param)
    write = write_inform_2016 if request.param == "2016" else write_inform_2018
    table = write(where / f"inform_{request.param}.csv", x_cells=[("SDN", "Drought")])
    return table, run_batch([table, STOCK], "inform", "2012", where / "out.json")


def test_an_old_release_batches_every_country_without_an_error(old_release):
    table, report = old_release
    assert len(report.profiles) == 191 == len(report.summary_rows)
    assert {r["iso3"] for r in report.long_rows} == {p.iso3 for p in report.profiles}
    assert report.failed_rows == []
    assert by_iso(report.profiles)["CIV"].name == "Côte d'Ivoire"   # UTF-8 and Latin-1 both read right


def test_the_release_is_named_in_the_summary_the_provenance_and_the_warnings(old_release):
    table, report = old_release
    title = "INFORM 2016 to mid-2018 (no Epidemic, no RISK CLASS, no Countries in HVC)"
    assert f"{table}: {title} (release recognised by its columns)" in batch_summary(report)
    [record] = [i for i in report.provenance["inputs"] if i["file"] == str(table)]
    assert record["vintage"] == {"id": "2016-2018", "title": title, "absent": ["epidemic", "countries_in_hvc"],
                                 "detected_by": "has Flood, Drought; lacks Epidemic, RISK CLASS"}
    warnings = [e for e in report.error_rows if e["severity"] == "warning"]
    assert warnings[0]["reason"] == f"release recognised by its columns (has Flood, Drought; lacks Epidemic, RISK CLASS): {title}"


def test_each_indicator_the_release_lacks_is_one_warning_naming_the_facts_it_leaves_unknown(old_release):
    table, report = old_release
    warnings = {e["column"]: e for e in report.error_rows if e["severity"] == "warning" and e["column"]}
    assert set(warnings) == set(LACKING.values())
    assert warnings["Epidemic"]["reason"] == (
        f"column 'Epidemic' not published in INFORM 2016 to mid-2018 (no Epidemic, no RISK CLASS, no Countries "
        f"in HVC), the release of {table.name}: epidemic is unknown for every country, and so are crisis_type "
        "(health) wherever the other indicators do not decide them")
    assert "crisis_type (protracted), international_migrants_caught" in warnings["Countries in HVC"]["reason"]


def test_what_the_release_has_gives_the_2020_answers(old_release, profiles_2020):
    """Facts that read neither Epidemic nor Countries in HVC are as in 2020; crisis types are
    the 2020 ones less health and protracted, and health is unknown everywhere (Sudan, whose
    Drought is 'x' here, aside)."""
    _, report = old_release
    same = ("prone_to_natural_disasters", "many_third_country_nationals", "large_cross_border_movements",
            "acute_humanitarian_needs")
    for profile in report.profiles:
        if profile.iso3 == "SDN":
            continue
        before = profiles_2020[profile.iso3]
        assert {f: profile.facts.get(f) for f in same} == {f: before.facts.get(f) for f in same}
        left = set(before.facts["crisis_type"]) - {"health", "protracted"}
        assert set(profile.facts.get("crisis_type", [])) == left
        assert ("crisis_type" in profile.unknown) == (not left)
        assert "health" in profile.partial["crisis_type"]
        # Countries in HVC and many migrants: unknown unless the migrants decide it (false)
        assert ("international_migrants_caught" in profile.unknown) == \
            (profile.facts.get("many_third_country_nationals") is not False)
        why = [t for t in profile.explanation(["crisis_type"]) if t.startswith("Epidemic unknown")]
        assert why == ["Epidemic unknown (not published in INFORM 2016 to mid-2018 (no Epidemic, no RISK CLASS, "
                       f"no Countries in HVC), the release of {Path(report.files[0].path).name})"
                       " -> whether crisis_type includes health is unknown"]


def test_an_x_cell_of_an_old_release_is_unknown_at_its_line(old_release, profiles_2020):
    table, report = old_release
    sudan = by_iso(report.profiles)["SDN"]
    position = next(n for n, r in enumerate(inform_records()) if r[1] == "SDN")   # 1: the first country
    line = 2 * position + 1 if "2016" in table.name else position + 1          # 2016: a blank line after each row
    assert f"Drought unknown (missing value 'x' at {table.name} row {line})" in " ".join(sudan.explanation())
    assert "slow_onset_natural" in profiles_2020["SDN"].facts["crisis_type"]
    assert "slow_onset_natural" in sudan.partial["crisis_type"]


def river_and_coastal(tmp_path, coastal: dict[str, str]):
    """The 2020 table as a later release has it: Flood renamed River Flood and a Coastal
    Flood column at the end (0 unless ``coastal`` gives a country's value)."""
    recs = inform_records()
    head = recs[0]
    flood = head.index("Flood")
    out = [head[:flood] + ["River Flood"] + head[flood + 1:] + ["Coastal Flood"]]
    out += [r + [coastal.get(r[1], "0")] for r in recs[1:]]
    return write_csv(tmp_path / "inform_2024.csv", out)


def test_a_release_with_river_and_coastal_flood_reads_the_higher_of_the_two(tmp_path, profiles_2020):
    # Benin: no sudden-onset hazard in 2020; a coastal flood score of 9 gives it one.
    assert "sudden_onset_natural" not in profiles_2020["BEN"].facts["crisis_type"]
    report = run_batch([river_and_coastal(tmp_path, {"BEN": "9.0"}), STOCK], "inform", "2012", None)
    assert report.files[0].vintage.id == "river-coastal-flood" and report.failed_rows == []
    profiles = by_iso(report.profiles)
    assert "sudden_onset_natural" in profiles["BEN"].facts["crisis_type"]
    assert any(t.startswith("max(River Flood, Coastal Flood) 9.0 >= 6.5") for t in profiles["BEN"].explanation(["crisis_type"]))
    assert all(p.facts == profiles_2020[p.iso3].facts for p in report.profiles if p.iso3 != "BEN")
    [release] = [e for e in report.error_rows if e["severity"] == "warning"]
    assert release["reason"].endswith("INFORM after 2020, with river and coastal flood in separate columns")


def test_a_part_missing_makes_the_split_indicator_unknown(tmp_path, profiles_2020):
    report = run_batch([river_and_coastal(tmp_path, {"BEN": "x"})], "inform", "2012", None)
    benin = by_iso(report.profiles)["BEN"]
    assert "sudden_onset_natural" in benin.partial["crisis_type"]
    assert any("max(River Flood, Coastal Flood) unknown (missing value 'x'" in t and "in column 'Coastal Flood'" in t
               for t in benin.explanation(["crisis_type"]))


def test_a_table_of_no_known_release_still_fails_on_the_column_it_lacks(tmp_path):
    recs = inform_records()
    flood = recs[0].index("Flood")
    f = write_csv(tmp_path / "inform.csv", [r[:flood] + r[flood + 1:] for r in recs])
    with pytest.raises(InputError) as e:
        read_inputs([f], load_mapping("inform"))
    assert e.value.column == "Flood" and "the releases it knows: INFORM after 2020" in e.value.hint


MINIMAL = """
mapping: drought-only
inputs:
  table:
    iso3: ISO3
    indicators:
      drought: {column: Drought index, optional: true}
thresholds:
  drought: {value: 5, basis: policy_choice, why: test}
facts:
  dry: {type: bool, when: {indicator: drought, gte: drought}}
"""


def test_a_mapping_that_can_read_nothing_fails_clearly(tmp_path):
    mapping = tmp_path / "drought.yaml"
    mapping.write_text(MINIMAL, encoding="utf-8")
    table = write_csv(tmp_path / "t.csv", [["ISO3", "Flood"], ["AFG", "1"]])
    with pytest.raises(InputError) as e:
        read_inputs([table], load_mapping(mapping))
    assert e.value.message == "none of the columns mapping 'drought-only' reads is in the inputs"
    assert "'Drought index'" in e.value.hint


@pytest.mark.parametrize("vintage, message", [
    ({"title": "x", "has": ["A"], "absent": ["epidemics"]}, "unknown indicator 'epidemics'"),
    ({"title": "x", "absent": ["drought"]}, "a vintage is recognised by its columns"),
    ({"title": "x", "has": ["A"], "columns": {"dry": "B"}}, "unknown indicator 'dry'"),
])
def test_a_vintage_naming_what_is_not_there_is_refused(tmp_path, vintage, message):
    import yaml
    raw = yaml.safe_load(MINIMAL)
    raw["inputs"]["table"]["vintages"] = {"old": vintage}
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(MappingError) as e:
        load_mapping(path)
    assert message in e.value.message
