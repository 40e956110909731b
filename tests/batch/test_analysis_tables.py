"""Analysis-ready batch tables, on the real INFORM 2020 and UN DESA tables through run_batch:
list cells as JSON, sector numbers and names, phase and ruleset columns, typed and styled
XLSX, HXL hashtags, and the errors summary."""
import csv
import json
import re

import openpyxl
import pytest
from click.testing import CliRunner

from batchdata import INFORM, STOCK

import mcof.engine.batch.outputs as outputs
from mcof.cli import main
from mcof.engine.batch import build_tables, write_outputs
from mcof.engine.batch.pipeline import run_batch
from mcof.engine.batch.tables import (ERROR_SUMMARY_COLUMNS, LONG_COLUMNS, build_error_summary,
                                      reason_pattern)
from tests.conftest import ROOT

INPUTS = [str(INFORM), str(STOCK)]
LIST_COLUMNS = ("rules", "citations", "facts", "evidence", "unknown_facts")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """One run, written as CSV (with HXL), XLSX and JSON."""
    where = tmp_path_factory.mktemp("analysis")
    report = run_batch(INPUTS, "inform", "2012", where / "out.csv", hxl=True)
    for name in ("out.xlsx", "out.json"):
        write_outputs(where / name, report.long_rows, report.summary_rows, report.error_rows, report.provenance,
                      sectors=report.ruleset.sector_slugs)
    return report, where


def read_csv(path, hxl=True):
    """(header, hxl tags or None, rows as dicts)."""
    with open(path, encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    head, tags = records[0], records[1] if hxl else None
    return head, tags, [dict(zip(head, r)) for r in records[2 if hxl else 1:]]


# ------------------------------------------------------------------ 1. list cells as JSON

def test_csv_list_cells_are_json_and_split_back_exactly(written):
    report, where = written
    _, _, rows = read_csv(where / "out.csv")
    assert len(rows) == len(report.long_rows)
    for got, want in zip(rows, report.long_rows):
        for column in LIST_COLUMNS:
            assert json.loads(got[column]) == want[column], (want["iso3"], column)
    afg = next(r for r in rows if r["iso3"] == "AFG" and r["sector"] == "counter_trafficking_protection")
    assert isinstance(json.loads(afg["facts"]), dict) and json.loads(afg["unknown_facts"]) == []


def test_csv_summary_lists_and_booleans_have_one_form(written):
    report, where = written
    _, _, rows = read_csv(where / "out.summary.csv")
    afg = next(r for r in rows if r["iso3"] == "AFG")
    assert json.loads(afg["phase"]) == ["before"]
    assert "man_made" in json.loads(afg["crisis_type"])
    assert afg["prone_to_natural_disasters"] == "true" and afg["many_third_country_nationals"] == "false"
    che = next(r for r in rows if r["iso3"] == "CHE")                 # no crisis type above threshold
    assert che["crisis_type"] == "[]" and json.loads(che["unknown_facts"]) == []
    unknown = [r for r in report.summary_rows if r["unknown_facts"]]
    for want in unknown:
        got = next(r for r in rows if r["iso3"] == want["iso3"])
        assert json.loads(got["unknown_facts"]) == want["unknown_facts"]
        assert all(got[f] == "unknown" for f in want["unknown_facts"])


def test_json_cells_in_csv_are_still_neutralised(tmp_path):
    row = {"iso3": "XXX", "country": "=cmd", "rules": ["=1+1", "a; b"], "facts": {"=x": "+y"}}
    write_outputs(tmp_path / "out.csv", [row], [], [], {"schema_version": "1"})
    _, _, (back,) = read_csv(tmp_path / "out.csv", hxl=False)
    assert back["country"] == "'=cmd"                                  # a plain text cell: quoted
    assert back["rules"].startswith("[") and json.loads(back["rules"]) == ["=1+1", "a; b"]
    assert json.loads(back["facts"]) == {"=x": "+y"}
    assert outputs.csv_safe(outputs._flat(["=1+1"])) == '["=1+1"]'  # a JSON cell never starts a formula


def test_json_output_keeps_real_lists_booleans_and_numbers(written):
    _, where = written
    obj = json.loads((where / "out.json").read_text(encoding="utf-8"))
    afg = next(r for r in obj["summary"] if r["iso3"] == "AFG")
    assert afg["phase"] == ["before"] and isinstance(afg["crisis_type"], list)
    assert afg["prone_to_natural_disasters"] is True and afg["unknown_facts"] == [] and afg["row_errors"] == 0
    long_afg = next(r for r in obj["long"] if r["iso3"] == "AFG" and r["sector"])
    assert isinstance(long_afg["rules"], list) and isinstance(long_afg["facts"], dict)
    assert isinstance(long_afg["sector_number"], int)
    assert sum(g["count"] for g in obj["errors_summary"]) == len(obj["errors"])


# ------------------------------------------------------- 2. sector, phase and ruleset columns

def test_long_table_columns_and_sector_names(written):
    report, where = written
    head, _, rows = read_csv(where / "out.csv")
    assert head == LONG_COLUMNS == ["iso3", "country", "sector_number", "sector", "sector_name", "phase", "level",
                                    "rules", "citations", "facts", "evidence", "unknown_facts", "note", "ruleset"]
    for r in rows:
        assert r["ruleset"] == report.ruleset.id == "mcof-2012"
        if r["sector"]:
            sector = report.ruleset.sector(r["sector"])
            assert (r["sector_number"], r["sector_name"]) == (str(sector.number), sector.name)
            assert r["phase"] in ("before", "during", "after")
        else:                                                          # a country with no recommendation
            assert r["sector_number"] == r["sector_name"] == "" and r["note"]


def test_summary_columns_carry_phase_and_ruleset(written):
    report, where = written
    head, _, rows = read_csv(where / "out.summary.csv")
    assert head[:3] == ["iso3", "country", "phase"] and head[-3:] == ["unknown_facts", "row_errors", "ruleset"]
    sectors = report.ruleset.sector_slugs
    assert head[-3 - len(sectors):-3] == sectors
    assert {r["ruleset"] for r in rows} == {"mcof-2012"} and len(rows) == 191


def test_ruleset_column_filled_from_the_provenance_when_nothing_was_assessed(tmp_path, real_profiles):
    p = next(p for p in real_profiles if not p.assessable)
    long_rows, summary = build_tables([(p, None)], sectors=["s"])
    assert long_rows[0]["ruleset"] == "" and summary[0]["ruleset"] == ""
    prov = {"schema_version": "1", "ruleset": {"id": "mcof-2021", "sha256": "x"}}
    write_outputs(tmp_path / "out.json", long_rows, summary, [], prov)
    obj = json.loads((tmp_path / "out.json").read_text())
    assert obj["long"][0]["ruleset"] == obj["summary"][0]["ruleset"] == "mcof-2021"
    assert long_rows[0]["ruleset"] == ""                               # the caller's rows are not changed


# ------------------------------------------------------------------------------ 3. XLSX

def test_xlsx_has_real_booleans_and_numbers(written):
    report, where = written
    wb = openpyxl.load_workbook(where / "out.xlsx")
    ws = wb["long"]
    head = [c.value for c in ws[1]]
    first = {h: c for h, c in zip(head, ws[2])}
    assert isinstance(first["sector_number"].value, int) and first["sector_number"].data_type == "n"
    assert json.loads(first["rules"].value) == report.long_rows[0]["rules"]
    summary = wb["summary"]
    shead = [c.value for c in summary[1]]
    afg = {h: c.value for h, c in zip(shead, summary[2])}
    assert afg["iso3"] == "AFG" and afg["prone_to_natural_disasters"] is True
    assert afg["many_third_country_nationals"] is False and afg["row_errors"] == 0
    assert "true" not in {c.value for row in summary.iter_rows(min_row=2) for c in row}
    errors = wb["errors"]
    assert all(isinstance(r[1].value, int) for r in errors.iter_rows(min_row=2) if r[1].value is not None)


def test_xlsx_sheets_are_styled_frozen_filtered_and_sized(written):
    _, where = written
    wb = openpyxl.load_workbook(where / "out.xlsx")
    assert wb.sheetnames == ["long", "summary", "errors", "errors_summary", "provenance"]
    for ws in wb.worksheets:
        header = ws[1]
        assert all(c.font.b for c in header) and all(c.fill.fgColor.rgb.endswith("D9E1F2") for c in header)
        assert ws.freeze_panes in ("A2", "C2")
        assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(ws.max_column)}{ws.max_row}"
        widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width for i in range(1, ws.max_column + 1)]
        assert all(8 <= w <= 60 for w in widths), ws.title
    assert wb["long"].freeze_panes == "C2"                              # iso3 and country stay in view
    long_head = [c.value for c in wb["long"][1]]
    widths = {h: wb["long"].column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width
              for i, h in enumerate(long_head)}
    assert widths["evidence"] == 60 and widths["iso3"] < 12           # wide text capped, codes narrow


def test_xlsx_level_cells_are_coloured_by_level(written):
    report, where = written
    level_columns = {"level", *report.ruleset.sector_slugs}
    wb = openpyxl.load_workbook(where / "out.xlsx")
    want = {"critical": ("8E1B1B", "FFFFFF"), "important": ("E8804F", None), "recommended": ("FBE3C6", None)}
    for name in ("long", "summary"):
        ws = wb[name]
        head = [c.value for c in ws[1]]
        seen = set()
        for row in ws.iter_rows(min_row=2):
            for column, cell in zip(head, row):
                if column in level_columns and cell.value in want:
                    fill, font = want[cell.value]
                    assert cell.fill.fgColor.rgb.endswith(fill), (name, column, cell.value)
                    if font:
                        assert cell.font.color.rgb.endswith(font)
                    seen.add(cell.value)
        assert seen == set(want), name
    iso = wb["long"]["A2"]
    assert iso.fill.fill_type is None                                   # other cells are plain


def test_xlsx_keeps_provenance_and_formula_like_text(tmp_path, written):
    report, where = written
    prov = openpyxl.load_workbook(where / "out.xlsx")["provenance"]
    keys = {r[0].value: r[1].value for r in prov.iter_rows(min_row=2)}
    assert keys["schema_version"] == report.provenance["schema_version"]
    assert json.loads(keys["ruleset"])["id"] == "mcof-2012"
    write_outputs(tmp_path / "f.xlsx", [{"iso3": "XXX", "country": "=1+1", "level": "critical"}], [], [],
                  {"schema_version": "1"})
    cell = openpyxl.load_workbook(tmp_path / "f.xlsx")["long"]["B2"]
    assert cell.value == "=1+1" and cell.data_type == "s"


# ------------------------------------------------------------------------------- 4. HXL

HXL_TAG = re.compile(r"#[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*")


def test_hxl_row_under_every_csv_header(written):
    report, where = written
    expected = {"out.csv": {"iso3": "#country+code", "country": "#country+name", "sector_number": "#sector+num",
                            "sector": "#sector+code", "sector_name": "#sector+name", "phase": "#status+phase",
                            "level": "#severity+level", "rules": "#meta+rules", "ruleset": "#meta+ruleset"},
                "out.summary.csv": {"iso3": "#country+code", "phase": "#status+phase",
                                    "crisis_type": "#indicator+crisis_type",
                                    "inform_risk_class": "#indicator+inform_risk_class",
                                    "health_support": "#severity+level+health_support"},
                "out.errors.csv": {"iso3": "#country+code", "reason": "#description+reason",
                                   "severity": "#status+severity"},
                "out.errors_summary.csv": {"count": "#meta+count+num", "reason": "#description+reason",
                                           "iso3": "#country+code+list"}}
    for name, tags in expected.items():
        head, row, rows = read_csv(where / name)
        assert len(row) == len(head) and rows
        got = dict(zip(head, row))
        assert {c: got[c] for c in tags} == tags, name
        assert all(t == "" or HXL_TAG.fullmatch(t) for t in row), name
    summary_head, summary_tags, _ = read_csv(where / "out.summary.csv")
    sector_tags = [t for t in summary_tags if t.startswith("#severity+level+")]
    assert len(sector_tags) == len(report.ruleset.sectors)             # a sector never recommended too


def test_a_column_without_a_sensible_tag_gets_an_empty_tag():
    assert outputs.hxl_tags("long", ["iso3", "Extra Column"], set()) == ["#country+code", ""]
    assert outputs.hxl_tags("summary", ["Odd Name", "s"], {"s"}) == ["", "#severity+level+s"]


def test_hxl_tags_are_documented():
    text = (ROOT / "docs" / "batch.md").read_text(encoding="utf-8")
    for tag in [*outputs.HXL_TAGS.values(), *outputs.HXL_ERROR_TAGS.values(), *outputs.HXL_ERROR_SUMMARY_TAGS.values()]:
        assert f"`{tag}`" in text, tag


def test_without_hxl_the_csv_has_no_tag_row(tmp_path):
    result = CliRunner().invoke(main, ["batch", *INPUTS, "--output", str(tmp_path / "out.csv")])
    assert result.exit_code == 0
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as handle:
        assert not next(csv.reader([handle.readlines()[1]]))[0].startswith("#")


def test_hxl_cli_flag_and_its_csv_only_error(tmp_path):
    result = CliRunner().invoke(main, ["batch", *INPUTS, "--hxl", "--output", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()[1].startswith("#country+code,")
    result = CliRunner().invoke(main, ["batch", *INPUTS, "--hxl", "--output", str(tmp_path / "out.xlsx")])
    assert result.exit_code == 2 and "--hxl adds a hashtag row to CSV outputs" in result.stderr  # before any work
    assert not (tmp_path / "out.xlsx").exists()


# ---------------------------------------------------------------------- 5. errors summary

def test_errors_table_keeps_one_row_per_problem_and_summary_groups_them(written):
    report, where = written
    _, _, errors = read_csv(where / "out.errors.csv")
    head, _, groups = read_csv(where / "out.errors_summary.csv")
    assert len(errors) == len(report.error_rows) == 364
    assert head == ERROR_SUMMARY_COLUMNS
    assert sum(int(g["count"]) for g in groups) == len(errors)
    assert [(g["severity"], int(g["count"])) for g in groups] == [("skipped", 320), ("skipped", 41), ("skipped", 3)]
    aggregates, not_primary, bonaire = groups
    assert aggregates["reason"].endswith("without an ISO3 code ({name})")
    assert {"Africa", "OWID_WRL", "Central America (UN)"} <= set(json.loads(aggregates["values"]))
    assert not_primary["reason"] == "not in the primary input 'inform': not profiled"
    assert "BES" in json.loads(not_primary["iso3"]) and len(json.loads(not_primary["iso3"])) == 41
    assert bonaire["reason"].endswith("treated as unknown for {iso3}") and json.loads(bonaire["iso3"]) == ["BES"]
    assert int(bonaire["first_row"]) == min(int(e["row"]) for e in errors if e["iso3"] == "BES"
                                            and "out of range" in e["reason"])
    assert len({(g["severity"], g["reason"], g["file"], g["column"]) for g in groups}) == len(groups)


def test_errors_summary_puts_errors_first_and_words_reasons_alike():
    rows = [{"file": "a.csv", "row": 5, "column": "Drought", "value": "high", "severity": "error", "iso3": "AGO",
             "reason": "not a number; drought treated as unknown for AGO"},
            {"file": "a.csv", "row": 9, "column": "Drought", "value": "n/a?", "severity": "error", "iso3": "SDN",
             "reason": "not a number; drought treated as unknown for SDN"},
            {"file": "a.csv", "row": 12, "column": "ISO3", "value": "AFG", "severity": "error", "iso3": "AFG",
             "reason": "duplicate ISO3 AFG: first at row 3; this row not used"},
            {"file": "a.csv", "row": 2, "column": "ISO3", "value": "Atlantis", "severity": "warning", "iso3": "",
             "reason": "unknown country: no code or name 'Atlantis'; row not used"},
            {"file": "a.csv", "row": 3, "column": "ISO3", "value": "Atlantis", "severity": "warning", "iso3": "",
             "reason": "unknown country: no code or name 'Atlantis'; row not used"}]
    groups = build_error_summary(rows)
    assert [(g["severity"], g["count"]) for g in groups] == [("error", 2), ("error", 1), ("warning", 2)]
    assert groups[0]["reason"] == "not a number; drought treated as unknown for {iso3}"
    assert groups[0]["iso3"] == ["AGO", "SDN"] and groups[0]["values"] == ["high", "n/a?"]
    assert groups[0]["first_row"] == 5
    assert groups[1]["reason"] == "duplicate ISO3 {iso3}: first at row {row}; this row not used"
    assert groups[2]["reason"] == "unknown country: no code or name '{value}'; row not used"
    assert reason_pattern({"reason": "out of range [0.0, 100.0]", "value": "0"}) == "out of range [0.0, 100.0]"
