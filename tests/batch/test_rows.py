"""A CSV reader that loses nothing and invents nothing: broken rows are error rows, located."""
from pathlib import Path

import pytest

from tests.conftest import ROOT
from mcof.engine.batch.readers import read_raw

HEADER = "ISO3,Country,Drought,Flood\n"


def table(tmp_path, body):
    path = tmp_path / "t.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return read_raw(path)


def test_a_stray_quote_costs_its_row_and_the_lines_it_swallowed_are_read_again(tmp_path):
    raw = table(tmp_path, 'AFG,Afghanistan,7.9,5\n"AGO,Angola,3,4\nALB,Albania,1,2\nDZA,Algeria,5,6\n')
    assert [(n, cells[0]) for n, cells in raw.rows] == [(2, "AFG"), (4, "ALB"), (5, "DZA")]
    (error,) = raw.errors
    assert error.row == 3 and error.severity == "error"
    assert "opened on line 3 runs to line 5" in error.reason and "2 line(s) it swallowed" in error.reason


def test_stray_quotes_on_every_line_cost_each_its_own_row_in_linear_time(tmp_path):
    import time
    rows = "".join(f'"AF{k},Name {k},1,2\n' for k in range(20_000))
    start = time.perf_counter()
    raw = table(tmp_path, rows)
    assert time.perf_counter() - start < 5
    assert len(raw.rows) + len(raw.errors) == 20_000


def test_short_and_long_rows_are_error_rows_never_padded(tmp_path):
    raw = table(tmp_path, "AFG,Afghanistan,7.9,5\nAGO,Angola,3\nALB,Albania,1,2,9\nDZA,Algeria,5,6,,\n")
    assert [n for n, _ in raw.rows] == [2, 5]  # a trailing empty cell (stray comma) is harmless
    reasons = {e.row: e.reason for e in raw.errors}
    assert "3 cells where the header has 4" in reasons[3] and "nothing is padded" in reasons[3]
    assert "5 cells where the header has 4" in reasons[4]


def test_rows_are_numbered_by_the_line_they_start_on(tmp_path):
    raw = table(tmp_path, 'AFG,"Afghanistan, Islamic Republic of",7.9,5\nAGO,Angola,3,4\n')
    assert [n for n, _ in raw.rows] == [2, 3] and not raw.errors


def test_inputs_that_never_end_or_are_too_large_are_refused(tmp_path, monkeypatch):
    import os
    import pytest
    from mcof.engine.batch import readers
    from mcof.engine.batch.errors import InputError
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        read_raw(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        read_raw("/dev/zero")
    big = tmp_path / "big.csv"
    big.write_text(HEADER + "AFG,Afghanistan,1,2\n" * 100)
    monkeypatch.setenv("MCOF_MAX_INPUT_BYTES", "1000")
    with pytest.raises(InputError, match="over the limit of 1,000") as error:
        read_raw(big)
    assert "MCOF_MAX_INPUT_BYTES" in error.value.hint


def test_a_workbook_is_read_by_the_rows_it_has_not_the_extent_it_claims(tmp_path):
    import time
    import zipfile
    import openpyxl
    path = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["ISO3", "Country", "Drought", "Flood"])
    ws.append(["AFG", "Afghanistan", 7.9, 5])
    wb.save(path)
    # claim a million rows and thousands of columns in the sheet's dimension
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b'<dimension ref="A1:D2"/>', b'<dimension ref="A1:XFD1048576"/>')
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    start = time.perf_counter()
    raw = read_raw(path)
    assert time.perf_counter() - start < 5 and [n for n, _ in raw.rows] == [2] and len(raw.headers) == 4


def test_a_zip_bomb_workbook_is_refused_before_it_unpacks(tmp_path, monkeypatch):
    import zipfile
    import pytest
    from mcof.engine.batch import readers
    from mcof.engine.batch.errors import InputError
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"0" * 5_000_000)
    monkeypatch.setenv("MCOF_MAX_INPUT_BYTES", "1_000_000")
    with pytest.raises(InputError, match="unpacks to 5,000,000 bytes"):
        read_raw(path)


def test_latin1_names_are_read_as_latin1_not_guessed(tmp_path):
    path = tmp_path / "latin1.csv"
    rows = "".join(f"C{i:02d},Côte d'Ivoire {i},1,2\n" for i in range(50))
    path.write_bytes((HEADER + rows).encode("latin-1"))
    raw = read_raw(path)
    assert raw.encoding == "cp1252" and raw.rows[0][1][1] == "Côte d'Ivoire 0" and not raw.errors


def test_mixed_encodings_are_reported_row_by_row(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(HEADER.encode() + "CIV,Côte d'Ivoire,1,2\n".encode("utf-8")
                     + "CUW,Curaçao,1,2\n".encode("latin-1"))
    raw = read_raw(path)
    (warning,) = raw.errors
    assert warning.severity == "warning" and "mixed encodings" in warning.reason and warning.row == 2


@pytest.mark.parametrize("keep_profiles", [True, False], ids=["row path", "columnar path"])
def test_every_input_row_is_accounted_for_once_in_summary_and_provenance(tmp_path, keep_profiles):
    """rows = used + failed + skipped for each file, with the rows counted independently (the
    non-blank lines after the header: no field of these tables spans lines) and the primary
    input's used rows equal to its units."""
    import json
    from mcof.engine.batch.pipeline import run_batch
    from mcof.engine.render import batch_summary
    data = ROOT / "tests" / "data"
    lines = (data / "inform_risk_2020_v040.csv").read_bytes().split(b"\n")
    lines[5] = b'"' + lines[5]                                 # a stray quote: one row fails
    lines[9] = b",".join(lines[9].split(b",")[:3])             # a truncated row: another
    inform = tmp_path / "inform.csv"
    inform.write_bytes(b"\n".join(lines))
    stock = data / "migrant_stock_share_undesa2024.csv"
    report = run_batch([inform, stock], "inform", "2012", tmp_path / "out.csv", keep_profiles=keep_profiles)
    accounts = {Path(a["file"]).name: a for a in report.row_accounts()}
    for path, encoding in ((inform, "latin-1"), (stock, "utf-8")):
        data_lines = [line for line in path.read_text(encoding=encoding).splitlines()[1:] if line.strip(", \r")]
        account = accounts[path.name]
        assert account["rows"] == len(data_lines)
        assert account["used"] + account["failed"] + account["skipped"] == account["rows"]
    assert accounts["inform.csv"]["failed"] == 2 and accounts["inform.csv"]["used"] == report.unit_count == 189
    provenance = json.loads((tmp_path / "out.provenance.json").read_text())
    assert provenance["parameters"]["rows"] == report.row_accounts()
    assert f"{accounts['inform.csv']['rows']} rows = 189 used + 2 failed + 0 skipped" in batch_summary(report)
