"""Decision records (engine/records.py): saving, filtering, migrations, refusals and verify,
on SQLite and, when one can be started, on a real PostgreSQL (tests/postgres.py)."""
import json
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest

sa = pytest.importorskip("sqlalchemy", reason="the records extra is not installed: pip install '.[test]'")

from alembic import command  # noqa: E402
from alembic.autogenerate import compare_metadata  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.runtime.migration import MigrationContext  # noqa: E402

from mcof import assess, build_profile, load_ruleset  # noqa: E402
from mcof.engine.provenance import with_provenance  # noqa: E402
from mcof.engine.records import METADATA, MIGRATIONS, RecordStoreError, open_store, verify_record  # noqa: E402
from mcof.engine.version import __version__  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

# SOURCE_DATE_EPOCH values and the UTC times they stand for
NOV_14 = ("1700000000", "2023-11-14T22:13:20Z")
NOV_16 = ("1700100000", "2023-11-16T02:00:00Z")
NOV_17 = ("1700200000", "2023-11-17T05:46:40Z")


def assessed(ruleset="2012", **facts):
    """What `mcof assess --format json` gives for these facts, and the profile it ran."""
    rs = load_ruleset(ruleset)
    profile = build_profile(rs, facts)
    inputs = [{"set": [f"{k}={v}" for k, v in facts.items()]}]
    return json.loads(json.dumps(with_provenance(assess(rs, profile), rs, inputs).to_dict())), profile


MAN_MADE_DURING = dict(crisis_type="man_made", phase="during", international_migrants_caught=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """Where a test's store lives: a new SQLite file, or a new database on a PostgreSQL cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'records.sqlite'}"  # a path is taken too: see the tests below
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(store_url):
    with open_store(store_url) as opened:
        yield opened


def save_at(monkeypatch, store, moment, result, profile, **kw):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", moment[0])
    return store.save(result, profile, **kw)


def test_a_saved_record_holds_the_result_exactly_and_its_index_values(store, monkeypatch):
    result, profile = assessed(**MAN_MADE_DURING)
    saved = save_at(monkeypatch, store, NOV_14, result, profile, name=" Libya what-if ", note="for the audit")
    again = store.get(saved.id)
    assert again == saved
    assert json.dumps(again.result) == json.dumps(result)  # the same document, keys in the same order
    assert again.profile == profile and again.created == NOV_14[1]
    assert (again.name, again.note) == ("Libya what-if", "for the audit")
    rs = load_ruleset("2012")
    assert (again.ruleset, again.ruleset_sha256, again.version) == (rs.id, rs.sha256, __version__)
    assert again.crisis_types == ("man_made",) and again.phases == ("during",)
    assert set(again.sectors) == {r["sector"] for r in result["recommendations"]}
    assert again.sectors["transport_assistance"] == "critical"
    assert again.sectors["humanitarian_communications"] == "recommended"
    assert list(again.sectors.values()) == sorted(again.sectors.values(), key=["critical", "important",
                                                                               "recommended"].index)
    assert again.to_dict()["result"]["provenance"] == result["provenance"]
    assert again.assessment().to_dict() == result  # renders as the engine's own result


def test_a_record_keeps_the_highest_level_a_sector_has_in_any_phase(store):
    result, profile = assessed(crisis_type="man_made", phase=["before", "during"], many_third_country_nationals=True,
                               international_migrants_caught=True)
    levels = {(r["sector"], r["phase"]): r["level"] for r in result["recommendations"]}
    assert levels[("emergency_consular_assistance", "before")] == "important"
    assert levels[("emergency_consular_assistance", "during")] == "critical"
    saved = store.save(result, profile)
    assert saved.sectors["emergency_consular_assistance"] == "critical" and saved.phases == ("before", "during")


def test_list_filters_by_crisis_type_phase_sector_and_day(store, monkeypatch):
    libya = save_at(monkeypatch, store, NOV_14, *assessed(**MAN_MADE_DURING), name="libya")
    health = save_at(monkeypatch, store, NOV_16, *assessed(crisis_type="health", phase="before"), name="health")
    flood = save_at(monkeypatch, store, NOV_17, *assessed("2021", crisis_type="sudden_onset_natural", phase="after"),
                    name="flood")

    def ids(**filters):
        return [r.id for r in store.list(**filters)]
    assert ids() == [flood.id, health.id, libya.id]  # newest first
    assert ids(crisis_type="health") == [health.id]
    assert ids(phase="during") == [libya.id]
    assert ids(sector="transport_assistance") == [libya.id]
    assert ids(crisis_type="man_made", phase="before") == []
    assert ids(since="2023-11-16") == [flood.id, health.id]
    assert ids(until="2023-11-16") == [health.id, libya.id]  # a date counts whole
    assert ids(since="2023-11-16", until="2023-11-16") == [health.id]
    assert ids(since="2023-11-16T02:00:01Z") == [flood.id]
    assert ids(until="2023-11-14T22:13:20Z") == [libya.id]
    assert ids(limit=2) == [flood.id, health.id]
    assert ids(limit=None) == ids()
    assert ids(sector="health_support") == [health.id, libya.id]
    assert ids(sector="wash") == [flood.id]  # a 2021 sector
    assert ids(sector="reintegration_assistance") == []  # a sector no record recommends: no records, no error


@pytest.mark.parametrize("filters,message", [
    ({"phase": "durin"}, "unknown phase 'durin' (did you mean 'during'?)"),
    ({"crisis_type": "man-made"}, "unknown crisis type 'man-made' (did you mean 'man_made'?)"),
    ({"sector": "transport"}, "unknown sector 'transport' (did you mean 'transport_assistance'?)"),
    ({"since": "yesterday"}, "since 'yesterday' is not a date"),
    ({"until": "2023-02-30"}, "until '2023-02-30' is not a date"),
    ({"limit": 0}, "limit must be a whole number of at least 1"),
])
def test_bad_filters_are_clear_errors(store, filters, message):
    with pytest.raises(RecordStoreError, match=None) as caught:
        store.list(**filters)
    assert message in str(caught.value)


def test_a_missing_record_says_where_to_look(store):
    with pytest.raises(RecordStoreError) as caught:
        store.get(12)
    assert "no record 12" in str(caught.value) and "`mcof records list`" in str(caught.value)
    with pytest.raises(RecordStoreError, match="a record id is a whole number, not '12; drop table records'"):
        store.get("12; drop table records")


def test_save_refuses_what_is_not_an_assessment_with_provenance(store):
    result, profile = assessed(**MAN_MADE_DURING)
    bare = {k: v for k, v in result.items() if k != "provenance"}
    for bad in ({"rows": []}, bare, "text"):
        with pytest.raises(RecordStoreError, match="an mcof assessment with its provenance"):
            store.save(bad, profile)
    with pytest.raises(RecordStoreError, match="more than 200"):
        store.save(result, profile, name="x" * 201)
    with pytest.raises(RecordStoreError, match="not JSON data"):
        store.save(result, {"when": object()})
    assert store.list() == []  # nothing half-saved


def test_opening_an_empty_database_migrates_it_to_the_schema_the_code_uses(store_url):
    with open_store(store_url) as store, store.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_heads() == ("0001",)
        assert compare_metadata(context, METADATA) == []  # tables, columns, types, indexes, keys
    with open_store(store_url) as again:  # opening again changes nothing
        assert again.list() == []


def test_a_database_at_a_newer_schema_revision_is_refused_and_left_alone(store_url):
    with open_store(store_url) as store, store.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(RecordStoreError) as caught:
        open_store(store_url)
    assert "schema revision 0099" in str(caught.value) and "upgrade mcof" in str(caught.value)
    engine = sa.create_engine(store_url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0099"
    engine.dispose()


def test_a_failed_migration_leaves_nothing_behind(store_url):
    """The migration runs in one transaction (on SQLite too: pysqlite would commit before each DDL)."""
    engine = sa.create_engine(store_url)
    with engine.begin() as connection:  # a table in the way of the migration's third CREATE TABLE
        connection.execute(sa.text("CREATE TABLE record_phases (x INTEGER)"))
    engine.dispose()
    with pytest.raises(RecordStoreError, match="cannot use the records database"):
        open_store(store_url)
    engine = sa.create_engine(store_url)
    assert set(sa.inspect(engine).get_table_names()) == {"record_phases"}
    engine.dispose()


def test_downgrade_to_nothing_and_upgrade_again(tmp_path):
    path = tmp_path / "records.sqlite"
    open_store(str(path)).close()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()
    with open_store(str(path)) as store:
        assert store.list() == []


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "records.sqlite"
    path.write_bytes(b"these are my notes, not a database\n" * 100)
    with pytest.raises(RecordStoreError) as caught:
        open_store(str(path))
    assert str(path) in str(caught.value) and "file is not a database" in str(caught.value)
    assert path.read_bytes().startswith(b"these are my notes")


@pytest.mark.parametrize("given,message", [
    ("nosuchdb://host/db", "unknown kind of database 'nosuchdb'"),
    ("mysql+mysqldb://user@host/db", "the database driver is not installed"),
    ("postgresql+psycopg://user:secret@host:port/db", "not a database URL"),
])
def test_bad_urls_are_clear_errors(given, message):
    with pytest.raises(RecordStoreError) as caught:
        open_store(given)
    assert message in str(caught.value) and "secret" not in str(caught.value)


def test_a_directory_or_an_unreachable_server_is_a_clear_error(tmp_path):
    with pytest.raises(RecordStoreError, match="is a directory"):
        open_store(str(tmp_path))
    with pytest.raises(RecordStoreError) as caught:  # nothing listens on this socket directory
        open_store(f"postgresql+psycopg://someone:secret@/db?host={tmp_path}")
    assert "cannot use the records database" in str(caught.value) and "secret" not in str(caught.value)


def test_the_default_store_is_in_the_data_directory_unless_mcof_records_names_one(tmp_path, monkeypatch):
    monkeypatch.setenv("MCOF_DATA_DIR", str(tmp_path / "data"))
    with open_store() as store:
        assert store.where == str(tmp_path / "data" / "records.sqlite")
    monkeypatch.setenv("MCOF_RECORDS", str(tmp_path / "team.sqlite"))
    with open_store() as store:
        assert store.where == str(tmp_path / "team.sqlite")
    assert (tmp_path / "team.sqlite").is_file()


def test_processes_opening_one_new_store_at_once_all_succeed(tmp_path):
    """BEGIN IMMEDIATE: the first migrates, the others wait and find the schema current."""
    path, go = tmp_path / "records.sqlite", tmp_path / "go"
    code = ("import sys, time; from pathlib import Path; from mcof.engine.records import open_store\n"
            "Path(sys.argv[2]).touch()\n"
            "while not Path(sys.argv[3]).exists(): time.sleep(0.001)\n"
            "s = open_store(sys.argv[1]); print(len(s.list())); s.close()")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), str(tmp_path / f"ready{n}"), str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(4)]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready{n}").exists() for n in range(4)) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # all four open the new file at once
    outcomes = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    assert all(status == 0 and out.strip() == "0" for out, _, status in outcomes), outcomes
    assert sqlite3.connect(path).execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]


def test_a_record_verifies_when_nothing_changed(store):
    outcome = verify_record(store.save(*assessed(**MAN_MADE_DURING)))
    assert outcome.reproduces and outcome.differences == [] and not outcome.report["ruleset_changed"]
    assert "reproduces" in outcome.text() and outcome.to_dict()["record"]["id"] == outcome.record.id


def changed_ruleset(tmp_path, rule_file, old, new):
    """rulesets/2012 copied (with the source texts its quotes are checked against), one line edited."""
    shutil.copytree(ROOT / "rulesets" / "2012", tmp_path / "rulesets" / "2012")
    shutil.copytree(ROOT / "rulesets" / "sources", tmp_path / "rulesets" / "sources")
    path = tmp_path / "rulesets" / "2012" / "rules" / rule_file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    return str(tmp_path / "rulesets" / "2012")


def test_a_record_verified_after_a_rule_changed_level_reports_the_difference_and_the_rule(store, tmp_path):
    saved = store.save(*assessed(crisis_type="man_made", phase="before"))
    assert saved.sectors["counter_trafficking_protection"] == "critical"
    ruleset = changed_ruleset(tmp_path, "man_made.yaml",
                              "{sector: counter_trafficking_protection, phase: before, level: critical}",
                              "{sector: counter_trafficking_protection, phase: before, level: important}")
    outcome = verify_record(store.get(saved.id), ruleset)
    assert not outcome.reproduces and outcome.report["ruleset_changed"]
    (difference,) = outcome.differences
    assert (difference["target"], difference["phase"]) == ("counter_trafficking_protection", "before")
    assert (difference["recorded"]["level"], difference["now"]["level"]) == ("critical", "important")
    assert difference["rules_changed_level"] == [{"rule": "mm-before-counter-trafficking",
                                                  "recorded": "critical", "now": "important"}]
    assert "mm-before-counter-trafficking (critical -> important)" in outcome.text()
    assert f"Record {saved.id}" in outcome.text()
