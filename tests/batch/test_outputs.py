"""Output tables and writing them: CSV, Excel, JSON, atomically."""
import csv
import json
import os

import openpyxl
import pytest

import mcof.engine.batch.outputs as outputs
import mcof.engine.outputfile as outputfile
from mcof.engine.batch import OutputError, build_error_rows, build_tables, output_paths, write_outputs

# what run_batch passes: a provenance record (engine/batch/pipeline.py batch_provenance)
PROVENANCE = {"schema_version": "1", "tool": {"name": "mcof", "version": "test"}}


def fake_assessment(profile):
    """A stand-in for the engine: CONTRACT.md shape, two rules for one sector."""
    recs = []
    ct = profile.facts.get("crisis_type") or []
    if "man_made" in ct:
        recs.append({"sector": "community_stabilization_transition", "phase": "before", "level": "critical",
                     "justifications": [
                         {"rule": "mm-before-cst", "level": "critical", "citation": "MC/2355 Annex I, para. 8",
                          "quote": "...", "facts": {"crisis_type": ct, "phase": ["before"]}},
                         {"rule": "pc-before-cst", "level": "important", "citation": "MC/2355 Annex I, para. 26",
                          "quote": "...", "facts": {"crisis_type": ct}}]})
    if profile.facts.get("prone_to_natural_disasters"):
        recs.append({"sector": "disaster_risk_reduction_resilience", "phase": "before", "level": "important",
                     "justifications": [{"rule": "pc-before-drr", "level": "important",
                                         "citation": "MC/2355 Annex I, para. 26", "quote": "...",
                                         "facts": {"prone_to_natural_disasters": True}}]})
    return {"recommendations": recs}


@pytest.fixture(scope="module")
def tables(real_profiles, real_table):
    results = [(p, fake_assessment(p)) for p in real_profiles]
    long_rows, summary = build_tables(results, sectors=["disaster_risk_reduction_resilience",
                                                        "community_stabilization_transition"])
    return long_rows, summary, build_error_rows(real_table)


def test_long_table(tables, real_profiles):
    long_rows, _, _ = tables
    assert {r["iso3"] for r in long_rows} == {p.iso3 for p in real_profiles}    # every country appears
    afg = [r for r in long_rows if r["iso3"] == "AFG"]
    cst = next(r for r in afg if r["sector"] == "community_stabilization_transition")
    assert cst["rules"] == ["mm-before-cst", "pc-before-cst"] and cst["level"] == "critical"
    assert cst["citations"] == ["MC/2355 Annex I, para. 8", "MC/2355 Annex I, para. 26"]
    assert any(t.endswith("-> crisis_type includes man_made") for t in cst["evidence"])
    drr = next(r for r in afg if r["sector"] == "disaster_risk_reduction_resilience")
    assert drr["evidence"] and all("prone_to_natural_disasters" in t for t in drr["evidence"])
    assert afg.index(drr) < afg.index(cst)     # sector order given by the caller


def test_no_crisis_type_is_a_note_not_an_error(tables, real_profiles):
    long_rows, _, errors = tables
    empty = [p.iso3 for p in real_profiles if p.facts.get("crisis_type") == []
             and not p.facts.get("prone_to_natural_disasters")]
    assert empty
    row = next(r for r in long_rows if r["iso3"] == empty[0])
    assert row["sector"] == "" and row["note"] == "no crisis type above threshold"
    assert not [e for e in errors if e["iso3"] == empty[0]]


def test_unassessable_country_passes_none(real_profiles):
    p = next(p for p in real_profiles if p.facts.get("crisis_type") == [])
    assert not p.assessable
    long_rows, summary = build_tables([(p, None)])
    assert len(long_rows) == 1 and long_rows[0]["note"] == "no crisis type above threshold"
    assert summary[0]["crisis_type"] == []          # an empty list, not a blank (which would be unknown)


def test_summary_table(tables, real_profiles):
    _, summary, _ = tables
    assert len(summary) == len(real_profiles)
    afg = next(r for r in summary if r["iso3"] == "AFG")
    assert afg["community_stabilization_transition"] == "critical"
    assert afg["phase"] == ["before"] and "man_made" in afg["crisis_type"]
    assert list(summary[0])[:2] == ["iso3", "country"]
    assert "inform_risk_class" in afg


def test_csv_outputs(tmp_path, tables):
    long_rows, summary, errors = tables
    out = tmp_path / "out.csv"
    written = write_outputs(out, long_rows, summary, errors, PROVENANCE)
    assert set(written) == set(output_paths(out).values())
    assert {p.name for p in tmp_path.iterdir()} == {"out.csv", "out.summary.csv", "out.errors.csv",
                                                    "out.errors_summary.csv", "out.provenance.json"}
    assert json.loads((tmp_path / "out.provenance.json").read_text()) == PROVENANCE
    with open(out, encoding="utf-8", newline="") as fh:
        back = list(csv.DictReader(fh))
    assert len(back) == len(long_rows)
    assert back[0]["iso3"] == long_rows[0]["iso3"]
    civ = [r for r in back if r["iso3"] == "CIV"]
    assert civ and civ[0]["country"] == "Côte d'Ivoire"
    with open(tmp_path / "out.errors.csv", encoding="utf-8", newline="") as fh:
        errs = list(csv.DictReader(fh))
    assert len(errs) == len(errors) and set(errs[0]) >= {"file", "row", "column", "value", "reason"}


def test_xlsx_round_trip(tmp_path, tables):
    long_rows, summary, errors = tables
    out = tmp_path / "out.xlsx"
    write_outputs(out, long_rows, summary, errors, PROVENANCE)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["long", "summary", "errors", "errors_summary", "provenance"]
    assert [c.value for c in wb["provenance"][2]] == ["schema_version", "1"]
    for name, rows in (("long", long_rows), ("summary", summary), ("errors", errors)):
        ws = wb[name]
        head = [c.value for c in ws[1]]
        back = [dict(zip(head, (c.value for c in r))) for r in ws.iter_rows(min_row=2)]
        assert len(back) == len(rows)
        for orig, got in zip(rows, back):
            for k, v in orig.items():
                want = outputs._xlsx_value(v)
                assert got[k] == (None if want == "" else want), (name, k)


def test_xlsx_text_never_becomes_formula(tmp_path):
    out = tmp_path / "f.xlsx"
    write_outputs(out, [{"iso3": "XXX", "country": "=1+1"}], [], [], PROVENANCE)
    ws = openpyxl.load_workbook(out)["long"]
    cell = ws["B2"]
    assert cell.value == "=1+1" and cell.data_type == "s"


def test_json_output(tmp_path, tables):
    long_rows, summary, errors = tables
    out = tmp_path / "out.json"
    write_outputs(out, long_rows, summary, errors, PROVENANCE)
    obj = json.loads(out.read_text(encoding="utf-8"))
    assert set(obj) == {"schema_version", "provenance", "long", "summary", "errors", "errors_summary"}
    assert obj["provenance"] == PROVENANCE
    assert len(obj["long"]) == len(long_rows)
    afg = next(r for r in obj["long"] if r["iso3"] == "AFG" and r["sector"])
    assert isinstance(afg["rules"], list) and isinstance(afg["evidence"], list)


def test_unknown_output_extension(tmp_path):
    with pytest.raises(OutputError) as e:
        write_outputs(tmp_path / "out.txt", [], [], [], PROVENANCE)
    assert ".csv" in e.value.hint


def test_output_under_a_file_is_a_located_output_error(tmp_path):
    (tmp_path / "plain").write_text("not a directory")
    with pytest.raises(OutputError) as e:
        write_outputs(tmp_path / "plain" / "out.csv", [], [], [], PROVENANCE)
    assert e.value.file == str(tmp_path / "plain" / "out.csv") and e.value.hint
    assert [p.name for p in tmp_path.iterdir()] == ["plain"]


class Boom(RuntimeError):
    pass


def fails_on_call(n, real, error):
    """``real``, except that its ``n``-th call raises ``error``."""
    calls = []

    def wrapper(*args):
        calls.append(args)
        if len(calls) == n:
            raise error
        return real(*args)
    return wrapper


def test_xlsx_failure_mid_write_leaves_nothing(tmp_path, tables, monkeypatch):
    long_rows, summary, errors = tables
    out = tmp_path / "out.xlsx"

    def broken(fh, *args):
        fh.write(b"PK\x03\x04 half a workbook")
        raise Boom("disk full")
    monkeypatch.setattr(outputs, "_xlsx_write", broken)
    with pytest.raises(Boom):
        write_outputs(out, long_rows, summary, errors, PROVENANCE)
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_previous_output_whole(tmp_path, tables, monkeypatch):
    long_rows, summary, errors = tables
    out = tmp_path / "out.csv"
    write_outputs(out, long_rows, summary, errors, PROVENANCE)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    monkeypatch.setattr(outputs, "_csv_bytes", fails_on_call(3, outputs._csv_bytes, Boom("killed")))
    with pytest.raises(Boom):
        write_outputs(out, long_rows[:1], summary[:1], errors[:1], PROVENANCE)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before   # old files intact, no temp left


def test_failure_in_json_dump_leaves_nothing(tmp_path, monkeypatch):
    out = tmp_path / "out.json"

    def no_replace(a, b):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(outputfile.os, "replace", no_replace)
    with pytest.raises(OutputError) as e:
        write_outputs(out, [{"iso3": "AFG"}], [], [], PROVENANCE)
    monkeypatch.undo()
    assert e.value.file == str(out) and "No space left" in e.value.message
    assert list(tmp_path.iterdir()) == []


def test_json_columns_computed_once_per_table(tmp_path, monkeypatch):
    # The columns of a table were recomputed for every row: quadratic in the rows.
    real = outputs._columns
    calls = []

    def counted(rows, pref):
        calls.append(len(rows))
        return real(rows, pref)
    monkeypatch.setattr(outputs, "_columns", counted)
    rows = [{"iso3": f"C{i:02d}", "country": str(i), "extra": i} for i in range(50)]
    write_outputs(tmp_path / "out.json", rows, rows, [], PROVENANCE)
    assert len(calls) <= 4                       # one per table at most (long, summary, errors, errors_summary)
    obj = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert len(obj["long"]) == 50 and obj["summary"][7] == {"iso3": "C07", "country": "7", "extra": 7}
    assert list(obj["long"][0])[:2] == ["iso3", "country"] and "extra" in obj["long"][0]


# ------------------------------------------------------------ one writer (engine.outputfile)

@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_csv_outputs_follow_the_umask(tmp_path, tables, umask_022):
    long_rows, summary, errors = tables
    written = write_outputs(tmp_path / "out.csv", long_rows, summary, errors, PROVENANCE)
    assert sorted(p.name for p in written) == ["out.csv", "out.errors.csv", "out.errors_summary.csv",
                                               "out.provenance.json", "out.summary.csv"]
    assert {p.name: p.stat().st_mode & 0o777 for p in written} == {p.name: 0o644 for p in written}


def test_missing_output_directory_is_created(tmp_path):
    out = tmp_path / "no" / "such" / "dir.csv"
    written = write_outputs(out, [{"iso3": "AFG"}], [], [], PROVENANCE)
    assert set(written) == set(output_paths(out).values()) and all(p.is_file() for p in written)


def test_failure_writing_the_second_csv_changes_nothing(tmp_path, tables, monkeypatch):
    long_rows, summary, errors = tables
    out = tmp_path / "out.csv"
    write_outputs(out, long_rows, summary, errors, PROVENANCE)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    disk_full = OSError(28, "No space left on device")
    monkeypatch.setattr(outputfile.os, "fsync", fails_on_call(2, os.fsync, disk_full))   # the second file's
    with pytest.raises(OutputError) as e:
        write_outputs(out, long_rows[:1], summary[:1], errors[:1], PROVENANCE)
    monkeypatch.undo()
    assert e.value.file == str(output_paths(out)["summary"]) and "No space left" in e.value.message
    assert e.value.hint                                       # located, with a hint, as batch errors are
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before   # first target unchanged, no .tmp


@pytest.mark.parametrize("cell,written", [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("-2+3", "'-2+3"),
    ("\tx", "'\tx"),
    ("-2.5", "-2.5"),          # a negative number stays a number
    ("Côte d'Ivoire", "Côte d'Ivoire"),
])
def test_csv_cells_that_would_run_as_formulas_are_neutralised(tmp_path, cell, written):
    import csv as csvmodule
    from mcof.engine.batch.outputs import write_outputs
    out = tmp_path / "out.csv"
    write_outputs(out, [{"country": cell, "sector": "s"}], [{"country": cell}], [], PROVENANCE)
    rows = list(csvmodule.reader(out.open(encoding="utf-8")))
    assert rows[1][rows[0].index("country")] == written


class FullDisk:
    """A file handle on a full disk: every write fails with ENOSPC."""

    def __init__(self, handle):
        self.handle = handle

    def write(self, data):
        raise OSError(28, "No space left on device")

    def __getattr__(self, name):
        return getattr(self.handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()


def test_xlsx_on_a_full_disk_is_an_error_line_with_no_traceback_and_no_temp_file(tmp_path, tables, monkeypatch):
    import gc
    import sys
    long_rows, summary, errors = tables
    real_fdopen = os.fdopen
    monkeypatch.setattr(outputfile.os, "fdopen", lambda fd, mode: FullDisk(real_fdopen(fd, mode)))
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    with pytest.raises(OutputError, match="No space left on device"):
        write_outputs(tmp_path / "out.xlsx", long_rows, summary, errors, PROVENANCE)
    gc.collect()
    assert unraisable == [] and list(tmp_path.iterdir()) == []


def test_sigterm_during_a_write_leaves_no_temp_file(tmp_path):
    import signal
    from mcof.cli import exit_cleanly_on_termination
    previous = signal.getsignal(signal.SIGTERM)
    exit_cleanly_on_termination()
    try:
        def killed_mid_write(handle):
            handle.write(b"half")
            os.kill(os.getpid(), signal.SIGTERM)
        with pytest.raises(SystemExit) as stopped:
            outputfile.stage(tmp_path / "out.xlsx", killed_mid_write)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert stopped.value.code == 128 + signal.SIGTERM and list(tmp_path.iterdir()) == []


def test_temp_files_of_killed_processes_are_removed_by_the_next_write(tmp_path):
    dead = tmp_path / ".mcof-999999999-abcd.tmp"      # no such process
    alive = tmp_path / f".mcof-{os.getppid()}-abcd.tmp"  # a running process's write in progress
    unrelated = tmp_path / ".mcof-notes.tmp"
    for path in (dead, alive, unrelated):
        path.write_bytes(b"x")
    outputfile.write_file(tmp_path / "out.json", "{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, unrelated.name, "out.json"])


def test_a_250_character_output_name_is_written(tmp_path):
    target = tmp_path / ("r" * 245 + ".json")
    assert outputfile.write_file(target, "{}").read_text() == "{}"
