"""`mcof assess --record` and `mcof records list|show|verify|export` (SQLite stores in tmp)."""
import csv
import io
import json
import shutil
import sys

import pytest
from click.testing import CliRunner

pytest.importorskip("sqlalchemy", reason="the records extra is not installed: pip install '.[test]'")

from mcof.cli import main  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

LIBYA = str(ROOT / "examples" / "libya-2011.yaml")
HEALTH = ["--set", "crisis_type=health", "--set", "phase=before"]


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env={"SOURCE_DATE_EPOCH": "1700000000", **(env or {})})


@pytest.fixture
def store(tmp_path):
    return str(tmp_path / "records.sqlite")


def record(store, *args, epoch="1700000000"):
    """`mcof assess ... --record`; the record's id, read from what it printed."""
    result = run("assess", *args, "--record", "--records", store, env={"SOURCE_DATE_EPOCH": epoch})
    assert result.exit_code == 0, result.stderr
    words = result.stderr.split("recorded as record ")[1].split()
    return int(words[0])


def test_assess_record_leaves_the_output_unchanged_and_names_the_record(store):
    plain = run("assess", LIBYA, "--format", "json")
    recorded = run("assess", LIBYA, "--format", "json", "--record", "--name", "Libya 2011", "--note", "why",
                   "--records", store)
    assert recorded.exit_code == 0, recorded.stderr
    assert recorded.stdout == plain.stdout
    assert f"recorded as record 1 in {store}" in recorded.stderr and "mcof records show 1" in recorded.stderr
    shown = run("records", "show", 1, "--records", store, "--format", "json")
    assert shown.exit_code == 0 and shown.stdout == plain.stdout  # the very document, provenance and all


def test_record_options_need_record(store):
    result = run("assess", LIBYA, "--name", "x")
    assert result.exit_code == 2 and "--name only apply to a decision record: add --record" in result.stderr
    result = run("assess", LIBYA, "--records", store)
    assert result.exit_code == 2 and "add --record" in result.stderr


def test_a_bad_store_fails_before_anything_is_printed(tmp_path):
    (tmp_path / "notes.sqlite").write_text("not a database " * 100)
    result = run("assess", LIBYA, "--record", "--records", tmp_path / "notes.sqlite")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: ") and "file is not a database" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_default_store_and_mcof_records(tmp_path):
    result = run("assess", *HEALTH, "--record", env={"MCOF_DATA_DIR": str(tmp_path / "data")})
    assert result.exit_code == 0 and str(tmp_path / "data" / "records.sqlite") in result.stderr
    team = tmp_path / "team.sqlite"
    assert run("assess", *HEALTH, "--record", env={"MCOF_RECORDS": str(team)}).exit_code == 0
    listed = run("records", "list", "--format", "json", env={"MCOF_RECORDS": str(team)})
    assert json.loads(listed.stdout)["provenance"]["records"] == str(team)
    assert len(json.loads(listed.stdout)["records"]) == 1


def test_list_shows_and_filters_the_records(store):
    libya = record(store, LIBYA, "--name", "Libya 2011", epoch="1700000000")
    health = record(store, *HEALTH, epoch="1700100000")
    table = run("records", "list", "--records", store)
    assert table.exit_code == 0 and "2 decision record(s)" in table.stdout and "Libya 2011" in table.stdout
    assert table.stdout.index(" 2 ") < table.stdout.index(" 1 ")  # newest first

    def ids(*filters):
        result = run("records", "list", "--records", store, "--format", "json", *filters)
        assert result.exit_code == 0, result.stderr
        return [r["id"] for r in json.loads(result.stdout)["records"]]
    assert ids() == [health, libya]
    assert ids("--crisis-type", "man_made") == [libya]
    assert ids("--phase", "before") == [health, libya]
    assert ids("--sector", "transport_assistance") == [libya]
    assert ids("--since", "2023-11-15") == [health]
    assert ids("--until", "2023-11-14") == [libya]
    assert ids("--limit", "1") == [health]
    document = json.loads(run("records", "list", "--records", store, "--format", "json").stdout)
    assert "result" not in document["records"][0]  # a listing; `show` and `export` give the results
    assert document["provenance"]["tool"]["name"] == "mcof" and document["schema_version"] == "1"


def test_no_matching_records_is_said_in_words(store):
    record(store, *HEALTH)
    result = run("records", "list", "--records", store, "--crisis-type", "protracted")
    assert result.exit_code == 0 and "No decision records" in result.stdout


@pytest.mark.parametrize("args,message", [
    (["list", "--phase", "durin"], "Error: unknown phase 'durin' (did you mean 'during'?)"),
    (["list", "--since", "last week"], "Error: since 'last week' is not a date"),
    (["show", "7"], "no record 7 (`mcof records list` shows the records it holds)"),
    (["verify", "7"], "no record 7"),
])
def test_bad_requests_are_one_error_line(store, args, message):
    record(store, *HEALTH)
    result = run("records", *args, "--records", store)
    assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.stderr


def test_show_renders_the_stored_result_as_a_table_markdown_and_html(store, tmp_path):
    record(store, LIBYA, "--name", "Libya 2011", "--note", "for the audit")
    table = run("records", "show", 1, "--records", store)
    assert table.exit_code == 0, table.stderr
    assert table.stdout.startswith("Record 1: Libya 2011 (saved 2023-11-14T22:13:20Z")
    assert "Note: for the audit" in table.stdout and "mm-during-transport-caught" in table.stdout
    markdown = run("records", "show", 1, "--records", store, "--format", "markdown")
    assert markdown.stdout.startswith("Record 1: Libya 2011 (saved 2023-11-14T22:13:20Z, mcof ")
    assert "\n\nNote: for the audit\n\n# MCOF assessment" in markdown.stdout and "| during |" in markdown.stdout
    page = tmp_path / "record.html"
    html = run("records", "show", 1, "--records", store, "--output", page)
    assert html.exit_code == 0, html.stderr
    text = page.read_text()
    assert "<title>Libya 2011</title>" in text and "mm-during-transport-caught" in text
    assert 'generated <time datetime="2023-11-14T22:13:20Z">' in text  # the recorded provenance, in the footer


def copied_ruleset(tmp_path):
    shutil.copytree(ROOT / "rulesets" / "2012", tmp_path / "rulesets" / "2012")
    shutil.copytree(ROOT / "rulesets" / "sources", tmp_path / "rulesets" / "sources")
    return tmp_path / "rulesets" / "2012"


def test_verify_exits_0_when_it_reproduces_and_1_with_the_rules_when_it_does_not(store, tmp_path):
    record(store, "--set", "crisis_type=man_made", "--set", "phase=during", "--set", "international_migrants_caught=true")
    same = run("records", "verify", 1, "--records", store)
    assert same.exit_code == 0 and "The result reproduces" in same.stdout
    ruleset = copied_ruleset(tmp_path)
    rules = ruleset / "rules" / "man_made.yaml"
    rules.write_text(rules.read_text().replace("{sector: transport_assistance, phase: during, level: critical}",
                                               "{sector: transport_assistance, phase: during, level: recommended}"))
    changed = run("records", "verify", 1, "--records", store, "--ruleset", ruleset)
    assert changed.exit_code == 1, changed.stderr
    assert "does NOT reproduce" in changed.stdout and "The ruleset changed since" in changed.stdout
    assert ("recommendations transport_assistance (during): critical -> recommended; rules whose level changed: "
            "mm-during-transport-caught (critical -> recommended)") in changed.stdout
    report = json.loads(run("records", "verify", 1, "--records", store, "--ruleset", ruleset, "-f", "json").stdout)
    assert report["record"]["id"] == 1 and not report["reproduces"]
    assert [d["target"] for d in report["differences"]] == ["transport_assistance"]


def test_export_jsonl_json_and_csv_carry_provenance(store, tmp_path):
    record(store, LIBYA, "--name", "=HYPERLINK(\"http://x\")")  # a name a spreadsheet would run
    record(store, *HEALTH)
    lines = run("records", "export", "--records", store).stdout.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [2, 1]
    assert all(json.loads(line)["result"]["provenance"]["ruleset"]["id"] == "mcof-2012" for line in lines)
    only = run("records", "export", "--records", store, "--sector", "transport_assistance").stdout.splitlines()
    assert [json.loads(line)["id"] for line in only] == [1]

    out = tmp_path / "all.json"
    assert run("records", "export", "--records", store, "--output", out).exit_code == 0
    document = json.loads(out.read_text())
    assert document["provenance"]["records"] == store and len(document["records"]) == 2
    assert document["records"][1]["result"]["recommendations"]

    table = tmp_path / "all.csv"
    result = run("records", "export", "--records", store, "--output", table)
    assert result.exit_code == 0 and "2 record(s) exported" in result.stderr
    rows = list(csv.DictReader(io.StringIO(table.read_text())))
    assert [r["id"] for r in rows] == ["2", "1"] and rows[1]["name"].startswith("'=HYPERLINK")
    assert json.loads(rows[1]["provenance"])["inputs"][0]["file"] == LIBYA
    assert json.loads(rows[0]["sectors"])["health_support"] == "critical"
    sidecar = json.loads((tmp_path / "all.provenance.json").read_text())
    assert sidecar["provenance"]["records"] == store


@pytest.mark.parametrize("args,message", [
    (["--output", "x.txt"], "export writes .jsonl, .json or .csv"),
    (["--format", "csv", "--output", "x.jsonl"], "--format csv contradicts --output x.jsonl"),
])
def test_export_format_and_output_must_agree(store, args, message):
    result = run("records", "export", "--records", store, *args)
    assert result.exit_code == 2 and message in result.stderr


def test_without_the_records_extra_the_commands_say_how_to_install_it(monkeypatch):
    import mcof.engine
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)  # import sqlalchemy now fails
    monkeypatch.delitem(sys.modules, "mcof.engine.records", raising=False)  # as in a process that never had it
    monkeypatch.delattr(mcof.engine, "records", raising=False)
    message = "Error: decision records need the extra: pip install 'mcof[records]'"
    for args in (["records", "list"], ["assess", LIBYA, "--record"]):
        result = run(*args)
        assert result.exit_code == 2 and message in result.stderr and result.stdout == ""
    assert run("assess", LIBYA).exit_code == 0  # nothing else needs it
