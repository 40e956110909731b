"""The columnar batch path writes the very files the row path writes: every table and the
provenance byte for byte, on the real tables and on tables made to hit each of its cases
(releases lacking or splitting columns, units by id, duplicates, bad and missing cells,
broken rows, an Excel input, profiles the ruleset refuses, several chunks)."""
import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from batchdata import (INFORM, STOCK, inform_records, pcode, subnational_records, write_csv, write_inform_2016,
                       write_inform_2018)

import mcof.engine.batch.columnar as columnar
import mcof.engine.batch.pipeline as pipeline
from mcof.cli import main
from mcof.engine.batch.mapping import BUILTIN_DIR
from mcof.engine.batch.outputs import output_paths
from mcof.engine.batch.pipeline import BatchReport, run_batch
from mcof.engine.batch.columnar import StreamedBatch


@pytest.fixture(autouse=True)
def fixed_time(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def both_paths(tmp_path, inputs, mapping="inform", **options):
    """Run the row path and the columnar path; their files, and their outcomes."""
    row = run_batch(inputs, mapping, "2012", tmp_path / "row" / "out.csv", **options)
    col = run_batch(inputs, mapping, "2012", tmp_path / "col" / "out.csv", keep_profiles=False, **options)
    assert isinstance(row, BatchReport) and isinstance(col, StreamedBatch)
    files = {}
    for key in output_paths(tmp_path / "out.csv"):
        rows_file, col_file = (output_paths(tmp_path / side / "out.csv")[key] for side in ("row", "col"))
        files[key] = (rows_file.read_bytes(), col_file.read_bytes())
    return files, row, col


def assert_same(files, row, col):
    for key, (expected, got) in files.items():
        assert got == expected, f"{key} differs"
    assert (col.unit_count, col.counts(), col.not_assessed_reasons()) == \
        (row.unit_count, row.counts(), row.not_assessed_reasons())


@pytest.mark.parametrize("hxl", [False, True])
def test_the_real_tables_give_the_same_files(tmp_path, hxl):
    files, row, col = both_paths(tmp_path, [INFORM, STOCK], hxl=hxl)
    assert_same(files, row, col)
    assert col.unit_count == 191 and files["long"][0].count(b"\n") > 191


def test_several_chunks_and_a_duplicate_across_them(tmp_path, monkeypatch):
    monkeypatch.setenv("MCOF_BATCH_CHUNK", "7")
    recs = subnational_records(2, countries=20)
    recs.append(list(recs[3]))                     # a duplicate of a unit of the first chunk, at the end
    files, row, col = both_paths(tmp_path, [write_csv(tmp_path / "u.csv", recs)], id_column="admin1Pcode")
    assert_same(files, row, col)
    assert b"duplicate id" in files["errors"][0] and col.unit_count == 40


@pytest.mark.parametrize("write", [write_inform_2016, write_inform_2018])
def test_old_releases_give_the_same_files(tmp_path, write):
    table = write(tmp_path / "inform.csv", x_cells=[("SDN", "Drought"), ("AFG", "Flood")])
    assert_same(*both_paths(tmp_path, [table, STOCK]))


def test_a_split_column_with_missing_and_bad_parts_gives_the_same_files(tmp_path):
    recs = inform_records()
    head = recs[0]
    flood = head.index("Flood")
    out = [head[:flood] + ["River Flood"] + head[flood + 1:] + ["Coastal Flood"]]
    # Benin reaches a cut by its coastal flood; Angola, Botswana, Burkina Faso (no other
    # sudden-onset hazard) have a part missing, blank or bad, Burundi its river flood missing.
    coastal = {"BEN": "9.0", "AGO": "x", "BWA": "", "BFA": "high"}
    out += [r + [coastal.get(r[1], "0.5")] for r in recs[1:]]
    next(r for r in out if r[1] == "BDI")[flood] = "x"
    files, row, col = both_paths(tmp_path, [write_csv(tmp_path / "inform.csv", out)])
    assert_same(files, row, col)
    long_table = files["long"][0].decode("utf-8")
    assert "max(River Flood, Coastal Flood) 9.0 >= 6.5" in long_table
    assert "max(River Flood, Coastal Flood) unknown (missing value 'x' at inform.csv row 5; in column 'Coastal Flood')" \
        in long_table
    assert "missing value 'x' at inform.csv row 28; in column 'River Flood'" in long_table
    assert "bad value 'high' at inform.csv row 27 (reported in the errors table)" in long_table


def test_units_by_id_with_every_kind_of_bad_row_give_the_same_files(tmp_path):
    recs = subnational_records(3, countries=12)
    head = recs[0]
    recs[2][head.index("Drought")] = "high"                    # a bad cell
    recs[3][head.index("Epidemic")] = "x"                      # a missing one
    recs[4][head.index("Countries in HVC")] = "maybe"          # a bad flag
    recs[5][0] = ""                                            # no id
    recs.append(list(recs[7]))                                 # a duplicate
    recs.append(recs[8][:10])                                  # a short row
    table = write_csv(tmp_path / "units.csv", recs)
    shares = write_csv(tmp_path / "shares.csv", [["admin1Pcode", "Year", "Share of the population that was born in another country"],
                                                 [pcode("AFG", 1), "2020", "0.4"], [pcode("AFG", 1), "2015", "0.3"],
                                                 [pcode("AFG", 2), "2020", "x"], [pcode("ALB", 1), "2020", "150"],
                                                 ["ZZ0100", "2020", "3"]])
    files, row, col = both_paths(tmp_path, [table, shares], id_column="admin1Pcode", name_column="admin1Name")
    assert_same(files, row, col)
    errors = files["errors"][0].decode("utf-8")
    for reason in ("not a number", "not a yes/no value", "no id in column", "duplicate id", "cells where the header",
                   "out of range", "not in the primary input"):
        assert reason in errors


def test_countries_by_code_or_name_with_bad_rows_give_the_same_files(tmp_path):
    recs = inform_records()
    recs[1][1] = ""                        # Afghanistan by its name
    recs[2][1] = "ALX"                     # Albania by its name, the code wrong
    recs[3][0], recs[3][1] = "Atlantis", "XXX"
    recs.append(list(recs[10]))
    recs.insert(6, ['"stray quote', "DZA"])
    assert_same(*both_paths(tmp_path, [write_csv(tmp_path / "inform.csv", recs), STOCK]))


def test_an_excel_input_gives_the_same_files(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for r in inform_records():
        sheet.append([float(v) if v.replace(".", "", 1).isdigit() else (v or None) for v in r])
    workbook.save(tmp_path / "inform.xlsx")
    assert_same(*both_paths(tmp_path, [tmp_path / "inform.xlsx", STOCK]))


def test_no_unit_at_all_gives_the_same_files(tmp_path):
    recs = [inform_records()[0], ["Atlantis", "XXX"] + inform_records()[1][2:]]
    files, row, col = both_paths(tmp_path, [write_csv(tmp_path / "inform.csv", recs)], hxl=True)
    assert_same(files, row, col)
    assert col.unit_count == 0


def test_profiles_the_ruleset_refuses_give_the_same_files(tmp_path):
    raw = yaml.safe_load((BUILTIN_DIR / "inform.yaml").read_text(encoding="utf-8"))
    raw["facts"]["made_up_fact"] = {"type": "bool", "when": {"indicator": "drought", "gte": "drought"}}
    mapping = tmp_path / "made_up.yaml"
    mapping.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    files, row, col = both_paths(tmp_path, [INFORM], mapping=str(mapping))
    assert_same(files, row, col)
    assert b"made_up_fact" in files["errors"][0] and len(col.failed_rows) > 0


def test_a_long_primary_input_stays_on_the_row_path(tmp_path):
    raw = yaml.safe_load((BUILTIN_DIR / "inform.yaml").read_text(encoding="utf-8"))
    raw["inputs"] = {"migrant_stock": {**raw["inputs"]["migrant_stock"], "primary": True, "required": True}}
    raw["facts"] = {"phase": raw["facts"]["phase"], "many_third_country_nationals": raw["facts"]["many_third_country_nationals"]}
    raw.pop("context")
    mapping = tmp_path / "stock_only.yaml"
    mapping.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    assert columnar.supports(pipeline.load_mapping(mapping)) == "its primary input is a long table"
    outcome = run_batch([STOCK], str(mapping), "2012", tmp_path / "out.csv", keep_profiles=False)
    assert isinstance(outcome, BatchReport)


def test_the_command_line_writes_csv_by_the_columnar_path_unless_it_needs_the_units(tmp_path, monkeypatch):
    used = []
    real = pipeline.write_columnar
    monkeypatch.setattr(pipeline, "write_columnar", lambda *a, **k: used.append(True) or real(*a, **k))
    runner = CliRunner()
    assert runner.invoke(main, ["batch", str(INFORM), "-o", str(tmp_path / "a.csv")]).exit_code == 0
    assert used == [True]
    assert runner.invoke(main, ["batch", str(INFORM), "-o", str(tmp_path / "b.csv"), "--explain", "SDN"]).exit_code == 0
    assert runner.invoke(main, ["batch", str(INFORM), "-o", str(tmp_path / "c.json")]).exit_code == 0
    assert used == [True]
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
