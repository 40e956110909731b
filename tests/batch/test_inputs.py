"""Reading inputs: encodings, HXL, Excel, bad rows, missing columns, country names."""
import openpyxl
import pytest

from batchdata import INFORM, STOCK, by_iso, inform_records, write_csv

from mcof.engine.batch import BatchError, InputError, build_profiles, load_mapping, read_inputs


def facts_of(profiles):
    return [(p.iso3, p.name, p.facts, p.unknown) for p in profiles]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1", "cp1252"])
def test_encodings_give_same_profiles(tmp_path, mapping, real_profiles, encoding):
    f = write_csv(tmp_path / "inform.csv", inform_records(), encoding)
    profiles = build_profiles(read_inputs([f, STOCK], mapping), mapping)
    assert facts_of(profiles) == facts_of(real_profiles)
    assert by_iso(profiles)["CIV"].name == "Côte d'Ivoire"


def test_explicit_encoding(tmp_path, mapping):
    f = write_csv(tmp_path / "inform.csv", inform_records(), "utf-8")
    wrong = read_inputs([f], mapping, encoding="latin-1")
    assert by_iso(build_profiles(wrong, mapping))["CIV"].name != "Côte d'Ivoire"   # mojibake, as asked
    with pytest.raises(InputError) as e:
        read_inputs([f], mapping, encoding="no-such-codec")
    assert "encoding" in e.value.message


def test_hxl_tag_row_is_skipped(tmp_path, mapping, real_profiles):
    recs = inform_records()
    tags = ["#country+name", "#country+code"] + [""] * (len(recs[0]) - 2)
    f = write_csv(tmp_path / "inform_hxl.csv", [recs[0], tags] + recs[1:])
    table = read_inputs([f, STOCK], mapping)
    assert next(x for x in table.files if x.input == "inform").hxl
    assert facts_of(build_profiles(table, mapping)) == facts_of(real_profiles)
    # Row numbers still count as in a spreadsheet: the first country is on row 3 now.
    assert table.cells["AFG"]["drought"].row == 3


def test_columns_mapped_by_hxl_tag(tmp_path, mapping, real_profiles):
    # Headers renamed (e.g. translated), HXL tags carry the meaning: the mapping's tag
    # alternatives find the key and migrant-share columns.
    stock = [l.split(",") for l in STOCK.read_text(encoding="utf-8").splitlines()]
    header = ["Pays", "Code pays", "Année", "Part des migrants"]
    tags = ["#country+name", "#country+code", "#date+year", "#population+migrants+pct"]
    f = write_csv(tmp_path / "stock_fr.csv", [header, tags] + stock[1:])
    profiles = build_profiles(read_inputs([INFORM, f], mapping), mapping)
    assert facts_of(profiles) == facts_of(real_profiles)


def test_xlsx_input(tmp_path, mapping, real_profiles):
    recs = inform_records()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(recs[0])
    for r in recs[1:]:
        row = []
        for v in r:
            try:
                row.append(float(v))
            except ValueError:
                row.append(v if v != "" else None)
        ws.append(row)
    f = tmp_path / "inform.xlsx"
    wb.save(f)
    table = read_inputs([f, STOCK], mapping)
    assert facts_of(build_profiles(table, mapping)) == facts_of(real_profiles)
    assert table.errors == read_inputs([INFORM, STOCK], mapping).errors


def _bad_inform(tmp_path):
    """Rows: 1 header, 2 AFG, 3 unknown country, 4 ALB, 5 DZA, 6 DZA again, 7 AGO with text in Drought."""
    recs = inform_records()
    head = recs[0]
    afg, alb, dza, ago = (list(next(r for r in recs if r[1] == c)) for c in ("AFG", "ALB", "DZA", "AGO"))
    unknown = list(afg)
    unknown[0], unknown[1] = "Atlantis", "XXX"
    dup = list(dza)
    dup[head.index("Flood")] = "1.0"
    ago[head.index("Drought")] = "high"
    return write_csv(tmp_path / "bad.csv", [head, afg, unknown, alb, dza, dup, ago]), head


def test_bad_rows_reported_good_rows_kept(tmp_path, mapping):
    f, head = _bad_inform(tmp_path)
    table = read_inputs([f, STOCK], mapping)
    profiles = by_iso(build_profiles(table, mapping))
    errs = [e for e in table.errors if e.file == str(f)]
    assert len(errs) == 3
    unknown, dup, text = sorted(errs, key=lambda e: e.row)
    assert (unknown.row, unknown.column, unknown.value) == (3, "ISO3", "XXX")
    assert "unknown country" in unknown.reason and "Atlantis" in unknown.reason
    assert (dup.row, dup.column, dup.value) == (6, "ISO3", "DZA")
    assert "duplicate ISO3" in dup.reason and "row 5" in dup.reason
    assert (text.row, text.column, text.value) == (7, "Drought", "high")
    assert "not a number" in text.reason
    assert all(e.severity == "error" for e in errs)
    # Every good row still comes through; the duplicate keeps the first row's values.
    assert set(profiles) == {"AFG", "ALB", "DZA", "AGO"}
    first_dza = inform_records()
    flood = float(next(r for r in first_dza if r[1] == "DZA")[head.index("Flood")])
    assert table.cells["DZA"]["flood"].value == flood and table.cells["DZA"]["flood"].row == 5
    # The row with text in a numeric column: that cell is unknown, the rest of the row counts.
    ago = profiles["AGO"]
    assert "slow_onset_natural" in ago.partial["crisis_type"]
    assert ago.row_errors == [text]
    assert "prone_to_natural_disasters" in ago.facts


def test_row_error_carries_where_and_why(tmp_path, mapping):
    f, _ = _bad_inform(tmp_path)
    table = read_inputs([f], mapping)
    d = table.errors[0].to_dict()
    assert set(d) >= {"file", "row", "column", "value", "reason"}
    assert d["file"] == str(f)


def test_country_name_without_code(tmp_path, mapping):
    recs = inform_records()
    head = recs[0]
    civ = next(r for r in recs if r[1] == "CIV")
    tur = next(r for r in recs if r[1] == "TUR")
    fra = next(r for r in recs if r[1] == "FRA")
    civ = list(civ); civ[1] = ""             # no code: name lookup
    tur = list(tur); tur[1] = "TRK"          # invalid code: name (alias) lookup
    fra = list(fra); fra[0] = "Frace"; fra[1] = ""   # typo, no code: nothing found -> row error
    f = write_csv(tmp_path / "names.csv", [head, civ, tur, fra])
    table = read_inputs([f], mapping)
    assert set(table.cells) == {"CIV", "TUR"}
    warnings = [e for e in table.errors if e.severity == "warning"]
    assert {(e.row, e.iso3) for e in warnings} == {(2, "CIV"), (3, "TUR")}
    assert "'TRK' is not an ISO 3166" in next(e.reason for e in warnings if e.iso3 == "TUR")
    err = [e for e in table.errors if e.severity == "error"]
    assert len(err) == 1 and err[0].row == 4 and err[0].value == "Frace" and err[0].column == "COUNTRY"


def test_missing_column_fails_naming_it(tmp_path, mapping):
    recs = inform_records()
    col = recs[0].index("Epidemic")
    # No Epidemic, but RISK CLASS still there: none of the releases the mapping knows.
    older = [r[:col] + r[col + 1:] for r in recs]
    f = write_csv(tmp_path / "inform_2019.csv", older)
    with pytest.raises(InputError) as e:
        read_inputs([f, STOCK], mapping)
    err = e.value
    assert isinstance(err, BatchError)
    assert err.column == "Epidemic" and err.file == str(f)
    assert "Epidemic" in str(err) and "inform_2019.csv" in str(err)
    assert "the releases it knows: " in err.hint and "INFORM 2016 to mid-2018" in err.hint


def test_missing_column_did_you_mean(tmp_path, mapping):
    recs = inform_records()
    recs[0][recs[0].index("Epidemic")] = "Epidemics"
    f = write_csv(tmp_path / "renamed.csv", recs)
    with pytest.raises(InputError) as e:
        read_inputs([f], mapping)
    assert e.value.column == "Epidemic" and "did you mean 'Epidemics'" in e.value.hint


def test_missing_value_in_one_fact_column_is_no_row_error(tmp_path, mapping):
    recs = inform_records()
    head = recs[0]
    for tok, iso in (("", "AFG"), ("NA", "ALB"), ("#VALUE!", "DZA"), ("x", "AGO")):
        next(r for r in recs if r[1] == iso)[head.index("Epidemic")] = tok
    f = write_csv(tmp_path / "inform.csv", recs)
    table = read_inputs([f], mapping)
    ps = by_iso(build_profiles(table, mapping))
    assert [e for e in table.errors if e.severity == "error"] == []
    for iso in ("AFG", "ALB", "DZA", "AGO"):
        assert ps[iso].partial.get("crisis_type") == ["health"]
        assert "health" not in ps[iso].facts.get("crisis_type", [])


def test_unrecognised_and_unreadable_files(tmp_path, mapping):
    f = write_csv(tmp_path / "other.csv", [["a", "b"], ["1", "2"]])
    with pytest.raises(InputError) as e:
        read_inputs([f], mapping)
    assert e.value.file == str(f) and "expects" in e.value.hint
    with pytest.raises(InputError):
        read_inputs([tmp_path / "nope.csv"], mapping)
    bad_xlsx = tmp_path / "broken.xlsx"
    bad_xlsx.write_bytes(b"not a zip")
    with pytest.raises(InputError):
        read_inputs([bad_xlsx], mapping)
    with pytest.raises(InputError) as e:
        read_inputs([STOCK], mapping)          # the primary input is required
    assert "inform" in e.value.message
    with pytest.raises(InputError) as e:
        read_inputs([INFORM, INFORM], mapping)
    assert "two files" in e.value.message


def test_semicolon_csv(tmp_path, mapping, real_profiles):
    import csv, io
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=";", lineterminator="\n").writerows(inform_records())
    f = tmp_path / "semi.csv"
    f.write_text(buf.getvalue(), encoding="utf-8")
    assert facts_of(build_profiles(read_inputs([f, STOCK], mapping), mapping)) == facts_of(real_profiles)


# ------------------------------------------------------------------ review fixes

def _inform_of(tmp_path, isos=("AFG", "SDN"), edit=None, name="inform.csv"):
    recs = inform_records()
    head = recs[0]
    rows = [list(next(r for r in recs if r[1] == c)) for c in isos]
    if edit:
        edit(head, rows)
    return write_csv(tmp_path / name, [head] + rows), head


STOCK_HEAD = ["Entity", "Code", "Year", "Share of the population that was born in another country"]


def test_country_only_in_secondary_input_is_reported_skipped(tmp_path, mapping):
    inform, _ = _inform_of(tmp_path)
    stock = write_csv(tmp_path / "stock.csv", [
        STOCK_HEAD,
        ["Afghanistan", "AFG", "2020", "0.4"],           # row 2
        ["France", "FRA", "2015", "12.1"],              # row 3: FRA is not in the INFORM file
        ["France", "FRA", "2020", "150"],               # row 4: out of range, but FRA is not profiled
        ["Narnia", "NRN", "2020", "1"],                 # row 5: unknown country, a real error
        ["Monaco", "MCO", "20x0", "60"],                # row 6: bad year, MCO only here
        ["Sudan", "SDN", "2020", "3.5"],                # row 7
    ])
    table = read_inputs([stock, inform], mapping)       # the order of the files does not matter
    assert set(table.cells) == {"AFG", "SDN"}
    assert not hasattr(table, "notes")                  # nothing kept where nobody reads it
    skipped = {e.iso3: e for e in table.errors if e.severity == "skipped" and e.reason.startswith("not in")}
    assert set(skipped) == {"FRA", "MCO"}
    fra = skipped["FRA"]
    assert (fra.file, fra.row, fra.column, fra.value) == (str(stock), 3, "Code", "FRA")
    assert fra.reason == "not in the primary input 'inform': not profiled"
    assert skipped["MCO"].row == 6
    range_err = next(e for e in table.errors if e.iso3 == "FRA" and e.row == 4)
    assert range_err.severity == "skipped"
    assert range_err.reason.startswith("not profiled; out of range [0.0, 100.0]")
    year_err = next(e for e in table.errors if e.iso3 == "MCO" and e.row == 6)
    assert year_err.severity == "skipped" and "year is not a whole number" in year_err.reason
    # Only the row that names no country at all still fails the run.
    failed = [e for e in table.errors if e.severity == "error"]
    assert [(e.row, e.value) for e in failed] == [(5, "NRN")]


def test_second_sheet_ignored_is_a_warning(tmp_path, mapping):
    recs = inform_records()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Risk"
    for r in [recs[0], next(r for r in recs if r[1] == "AFG")]:
        ws.append([float(v) if v.replace(".", "", 1).isdigit() else (v or None) for v in r])
    wb.create_sheet("Notes").append(["read me"])
    f = tmp_path / "two_sheets.xlsx"
    wb.save(f)
    table = read_inputs([f], mapping)
    warn = [e for e in table.errors if e.severity == "warning" and e.file == str(f)]
    assert len(warn) == 1 and "first sheet 'Risk' of 2" in warn[0].reason and "'Notes'" in warn[0].reason
    assert set(table.cells) == {"AFG"}


def test_xlsx_formula_without_saved_value_is_a_bad_cell(tmp_path, mapping):
    # openpyxl (like many tools) saves formulas without a cached value; read with
    # data_only=True they came back blank, and a blank HVC cell reads as a definite "no".
    recs = inform_records()
    head = recs[0]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(head)
    for iso in ("AFG", "ALB"):
        r = next(r for r in recs if r[1] == iso)
        ws.append([float(v) if v.replace(".", "", 1).isdigit() else (v or None) for v in r])
    hvc = head.index("Countries in HVC") + 1
    drought = head.index("Drought") + 1
    ws.cell(row=2, column=hvc, value='=IF(1=1,"YES","")')
    ws.cell(row=3, column=drought, value="=2*3")
    f = tmp_path / "formulas.xlsx"
    wb.save(f)
    table = read_inputs([f], mapping)
    assert table.cells["AFG"]["countries_in_hvc"].status == "bad"     # not a definite False
    assert table.cells["ALB"]["drought"].status == "bad"
    errs = {(e.iso3, e.column): e for e in table.errors if e.severity == "error"}
    assert set(errs) == {("AFG", "Countries in HVC"), ("ALB", "Drought")}
    e = errs[("AFG", "Countries in HVC")]
    assert e.row == 2 and e.value is not None and str(e.value) == '=IF(1=1,"YES","")'
    assert e.reason.startswith("formula without a saved value: open and save the file in Excel, or export CSV")
    p = by_iso(build_profiles(table, mapping))["AFG"]
    assert "protracted" in p.partial["crisis_type"]      # HVC unknown: whether it is protracted is unknown
    # A blank cell (no formula) is still blank.
    assert table.cells["ALB"]["countries_in_hvc"].status == "ok"
    assert table.cells["ALB"]["countries_in_hvc"].value is False


def test_flag_true_false_values_win_over_missing_values(tmp_path):
    import yaml
    m = load_mapping("inform")
    raw = dict(m.raw)
    inform = dict(raw["inputs"]["inform"])
    inform["indicators"] = {**inform["indicators"], "countries_in_hvc": {
        **inform["indicators"]["countries_in_hvc"], "true_values": ["x"], "false_values": ["-"]}}
    raw["inputs"] = {**raw["inputs"], "inform": inform}
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    m2 = load_mapping(path)

    def edit(head, rows):
        rows[0][head.index("Countries in HVC")] = "x"
        rows[1][head.index("Countries in HVC")] = "-"
        rows[2][head.index("Countries in HVC")] = "N/A"

    f, _ = _inform_of(tmp_path, ("AFG", "SDN", "ALB"), edit)
    table = read_inputs([f], m2)
    cells = {iso: table.cells[iso]["countries_in_hvc"] for iso in ("AFG", "SDN", "ALB")}
    assert (cells["AFG"].status, cells["AFG"].value) == ("ok", True)     # "x" is this flag's yes
    assert (cells["SDN"].status, cells["SDN"].value) == ("ok", False)    # "-" is this flag's no
    assert cells["ALB"].status == "missing"                              # still a missing value
    assert [e for e in table.errors if e.severity == "error"] == []


@pytest.mark.parametrize("year, why", [("inf", "infinite"), ("2019.7", "fraction"), ("-inf", "infinite"),
                                       ("nan", "nan"), ("1e400", "overflow")])
def test_bad_year_is_a_row_error(tmp_path, mapping, year, why):
    inform, _ = _inform_of(tmp_path)
    stock = write_csv(tmp_path / "stock.csv", [
        STOCK_HEAD,
        ["Afghanistan", "AFG", "2015", "0.3"],
        ["Afghanistan", "AFG", year, "0.9"],            # row 3
        ["Sudan", "SDN", "2019.0", "3.5"],              # a whole number written with .0 is fine
    ])
    table = read_inputs([inform, stock], mapping)
    errs = [e for e in table.errors if e.severity == "error"]
    assert [(e.row, e.column, e.value, e.iso3) for e in errs] == [(3, "Year", year, "AFG")]
    assert "year is not a whole number" in errs[0].reason
    assert table.cells["AFG"]["migrant_share"].value == 0.3       # 2019.7 is not read as 2019
    assert table.cells["SDN"]["migrant_share"].year == 2019


def test_data_row_holding_only_a_hashtag_is_not_the_hxl_row(tmp_path, mapping):
    recs = inform_records()
    head = recs[0]
    afg, alb, sdn = (list(next(r for r in recs if r[1] == c)) for c in ("AFG", "ALB", "SDN"))
    comment = ["#comment"] + [""] * (len(head) - 1)
    # Right under the header: it was taken for the tag row (and silently dropped).
    f = write_csv(tmp_path / "c1.csv", [head, comment, afg, alb])
    table = read_inputs([f], mapping)
    assert not table.files[0].hxl and set(table.cells) == {"AFG", "ALB"}
    assert table.cells["AFG"]["drought"].row == 3
    err = [e for e in table.errors if e.severity == "error"]
    assert len(err) == 1 and err[0].row == 2 and err[0].value == "#comment"
    # Further down: the row above it was taken for the header, and the file was refused.
    f = write_csv(tmp_path / "c2.csv", [head, afg, alb, comment, sdn])
    table = read_inputs([f], mapping)
    assert not table.files[0].hxl and set(table.cells) == {"AFG", "ALB", "SDN"}
    assert [e.row for e in table.errors if e.severity == "error"] == [4]
    # A real tag row (two tags or more) under the header is still found, and a table whose
    # first row is its tags too.
    tags = ["#country+name", "#country+code"] + [""] * (len(head) - 2)
    f = write_csv(tmp_path / "c3.csv", [head, tags, afg])
    table = read_inputs([f], mapping)
    assert table.files[0].hxl and table.cells["AFG"]["drought"].row == 3


def test_missing_column_hint_lists_known_columns(tmp_path, mapping):
    # No near name: the hint lists the file's columns (suggestion_hint) when there are few.
    f = write_csv(tmp_path / "few.csv", [["ISO3", "COUNTRY", "Shaking"], ["AFG", "Afghanistan", "1"]])
    with pytest.raises(InputError) as e:
        read_inputs([f], mapping)
    assert e.value.column == "Earthquake"
    assert e.value.hint.startswith("known columns: COUNTRY, ISO3, Shaking; ")
    assert "needs it" in e.value.hint


# ------------------------------------------------------- the units read_inputs is made of

from mcof.engine.batch import inputs as inputs_module  # noqa: E402
from mcof.engine.batch.inputs import Cell  # noqa: E402
from mcof.engine.batch.readers import read_raw  # noqa: E402


def test_match_input_picks_the_input_by_its_columns(tmp_path, mapping):
    inform, _ = _inform_of(tmp_path)
    stock = write_csv(tmp_path / "stock.csv", [STOCK_HEAD, ["Afghanistan", "AFG", "2020", "0.4"]])
    assert inputs_module._match_input(read_raw(inform), mapping) == "inform"
    assert inputs_module._match_input(read_raw(stock), mapping) == next(s for s in mapping.inputs if s != "inform")
    other = write_csv(tmp_path / "other.csv", [["a", "b"], ["1", "2"]])
    with pytest.raises(InputError, match="no input of mapping 'inform' matches"):
        inputs_module._match_input(read_raw(other), mapping)


def test_two_files_for_one_input(tmp_path, mapping):
    first, _ = _inform_of(tmp_path)
    second, _ = _inform_of(tmp_path, ("ALB",), name="inform2.csv")
    with pytest.raises(InputError, match="two files for input 'inform'") as e:
        read_inputs([first, second], mapping)
    assert e.value.file == str(second)


def test_required_input_missing(tmp_path, mapping):
    stock = write_csv(tmp_path / "stock.csv", [STOCK_HEAD, ["Afghanistan", "AFG", "2020", "0.4"]])
    with pytest.raises(InputError, match="needs input 'inform'"):
        read_inputs([stock], mapping)


def test_duplicate_country_and_year_in_a_long_table(tmp_path, mapping):
    inform, _ = _inform_of(tmp_path)
    stock = write_csv(tmp_path / "stock.csv", [
        STOCK_HEAD,
        ["Afghanistan", "AFG", "2020", "0.4"],          # row 2
        ["Afghanistan", "AFG", "2020", "0.9"],          # row 3: same country and year
        ["Afghanistan", "AFG", "2015", "0.3"],          # row 4: another year is fine
    ])
    table = read_inputs([inform, stock], mapping)
    errs = [e for e in table.errors if e.severity == "error"]
    assert [(e.row, e.column, e.value, e.iso3) for e in errs] == [(3, "Code", "AFG", "AFG")]
    assert errs[0].reason == "duplicate ISO3 and year AFG 2020: rows 2, 3; the first (row 2) is used, this row is not"
    assert table.cells["AFG"]["migrant_share"].value == 0.4


def test_latest_known_takes_the_latest_year_with_a_value(mapping):
    spec = next(s for s in mapping.inputs.values() if s.shape == "long")
    ind = next(iter(spec.indicators))
    by_year = {2010: {ind: Cell(ind, "ok", 1.0, "1", year=2010)},
               2020: {ind: Cell(ind, "missing", None, "x", "f.csv", 9, "Share", 2020)},
               2015: {ind: Cell(ind, "ok", 2.0, "2", year=2015)}}
    assert inputs_module._latest_known(spec, by_year)[ind].year == 2015
    del by_year[2015], by_year[2010]
    by_year[2012] = {ind: Cell(ind, "bad", None, "?", year=2012)}
    none = inputs_module._latest_known(spec, by_year)[ind]
    assert (none.status, none.year, none.row) == ("missing", 2020, 9)   # the latest year's cell
    assert none.note == "no year with a value (years 2012-2020)"


def test_ticker_reports_every_50_rows_and_the_last():
    calls = []
    tick = inputs_module._ticker(lambda done, total: calls.append((done, total)), 120)
    for _ in range(120):
        tick()
    assert calls == [(50, 120), (100, 120), (120, 120)]
    inputs_module._ticker(None, 3)()        # no progress hook: nothing to call
