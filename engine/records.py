"""Decision records: saved assessments in a database, to list, show, export and verify later.

A record keeps what an auditor needs years on: the profile as given, its name and note, the
full result exactly as ``mcof assess --format json`` printed it (with its provenance), the
ruleset id and sha256 and the mcof version that produced it, and when it was saved
(``SOURCE_DATE_EPOCH`` respected). Its crisis types, phases and recommended sectors (each at
its highest level) are also written to index tables, so records can be filtered in SQL.

The store is any SQLAlchemy database: by default an SQLite file in the user data directory
(``$MCOF_DATA_DIR``, else the platform's, e.g. ``~/.local/share/mcof/records.sqlite``), or
a path, or a URL (``postgresql+psycopg://user@host/db`` for a shared team store).
``$MCOF_RECORDS`` names the store when none is given. Opening a store migrates its schema
to the newest revision (Alembic scripts in ``engine/migrations/``); a store whose schema is
newer than this mcof knows is refused, never altered. docs/records.md describes it all.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, Mapping

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from .errors import McofError, did_you_mean
from .model import LEVELS
from .outputfile import commit, discard, stage
from .provenance import SCHEMA_VERSION, generated_at, tool
from .results import Assessment
from .verify import verify, verify_text
from .version import __version__

__all__ = ["RecordStoreError", "Record", "RecordStore", "VerifyOutcome", "open_store", "verify_record",
           "default_store_path", "records_document", "write_export", "EXPORT_FORMATS"]

MIGRATIONS = Path(__file__).with_name("migrations")
NAME_MAX, NOTE_MAX = 200, 10_000  # a title and a paragraph or several; more is a mistake
PHASE_ORDER = ("before", "during", "after")


class RecordStoreError(McofError):
    """The records database cannot be opened or used, or a record is missing or malformed."""


# ------------------------------------------------------------------ schema (as the migrations leave it)

# Named constraints, so a later migration can alter them on every database (SQLite's batch mode).
METADATA = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_name)s", "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"})

RECORDS = sa.Table(
    "records", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created", sa.DateTime, nullable=False, index=True),  # UTC, naive: the same on every database
    sa.Column("name", sa.String(NAME_MAX)),
    sa.Column("note", sa.Text),
    sa.Column("ruleset", sa.String(200), nullable=False),
    sa.Column("ruleset_sha256", sa.String(64), nullable=False),
    sa.Column("version", sa.String(50), nullable=False),
    sa.Column("profile", sa.JSON, nullable=False),
    sa.Column("result", sa.JSON, nullable=False),  # JSON, not JSONB: PostgreSQL keeps the keys' order
)


def _index_table(name: str, *columns: sa.Column) -> sa.Table:
    return sa.Table(name, METADATA,
                    sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id"), primary_key=True), *columns)


CRISIS_TYPES = _index_table("record_crisis_types", sa.Column("crisis_type", sa.String(100), primary_key=True, index=True))
PHASES = _index_table("record_phases", sa.Column("phase", sa.String(100), primary_key=True, index=True))
SECTORS = _index_table("record_sectors", sa.Column("sector", sa.String(200), primary_key=True, index=True),
                       sa.Column("level", sa.String(100), nullable=False))


# ------------------------------------------------------------------ records

@dataclass(frozen=True)
class Record:
    """One saved assessment. `created` is UTC in the provenance's form (2024-05-01T12:00:00Z);
    `sectors` maps each recommended sector to its highest level, critical first."""
    id: int
    created: str
    name: str | None
    note: str | None
    ruleset: str
    ruleset_sha256: str
    version: str
    crisis_types: tuple[str, ...]
    phases: tuple[str, ...]
    sectors: Mapping[str, str]
    profile: Mapping[str, Any]
    result: Mapping[str, Any]

    def to_dict(self, with_result: bool = True) -> dict:
        data = {"id": self.id, "created": self.created, "name": self.name, "note": self.note,
                "ruleset": self.ruleset, "ruleset_sha256": self.ruleset_sha256, "version": self.version,
                "crisis_types": list(self.crisis_types), "phases": list(self.phases), "sectors": dict(self.sectors),
                "profile": dict(self.profile)}
        if with_result:
            data["result"] = dict(self.result)
        return data

    def assessment(self) -> Assessment:
        """The stored result as the engine's typed model, for the renderers (table, markdown, HTML)."""
        return Assessment.from_dict(self.result)


def _level_rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


def _as_list(value) -> list:
    return [] if value is None else list(value) if isinstance(value, (list, tuple)) else [value]


def summarise(result: Mapping) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, str]]:
    """What a record is filtered on: its crisis types, phases and sectors (highest level each)."""
    profile = result["profile"]
    best: dict[str, str] = {}
    for entry in result["recommendations"]:
        if entry["sector"] not in best or _level_rank(entry["level"]) < _level_rank(best[entry["sector"]]):
            best[entry["sector"]] = entry["level"]
    sectors = dict(sorted(best.items(), key=lambda item: (_level_rank(item[1]), item[0])))
    return tuple(_as_list(profile.get("crisis_type"))), tuple(_as_list(profile.get("phase"))), sectors


def _record(row) -> Record:
    crisis_types, phases, sectors = summarise(row.result)
    return Record(row.id, _iso(row.created), row.name, row.note, row.ruleset, row.ruleset_sha256, row.version,
                  crisis_types, phases, sectors, row.profile, row.result)


def _check_result(result) -> None:
    needed = {"provenance", "ruleset", "profile", "recommendations"}
    if not isinstance(result, Mapping) or not needed <= set(result):
        raise RecordStoreError("a record holds an mcof assessment with its provenance (ruleset, profile, "
                               "recommendations, provenance)",
                               hint="save what `mcof assess --format json` prints "
                                    "(in Python: with_provenance(assess(...), ruleset, inputs).to_dict())")
    _check_json("result", result)


def _check_json(what: str, value) -> None:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise RecordStoreError(f"the {what} is not JSON data: {error}",
                               hint="give plain mappings, lists, text, numbers and booleans") from None


def _text(what: str, value, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordStoreError(f"a record's {what} is text, not {type(value).__name__}")
    value = value.strip()
    if len(value) > limit:
        raise RecordStoreError(f"a record's {what} is {len(value):,} characters, more than {limit:,}",
                               hint=f"shorten the {what}")
    return value or None


# ------------------------------------------------------------------ time

def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(moment: datetime) -> datetime:
    """Naive UTC, as the created column holds it (a naive input is taken as UTC)."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def _moment(what: str, value, *, end_of_day: bool) -> datetime:
    """A --since/--until bound: a date (its whole day counts) or a date and time."""
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, date):
        return datetime.combine(value, time.max if end_of_day else time.min).replace(microsecond=0)
    text = str(value).strip()
    try:
        if len(text) == 10:
            return _moment(what, date.fromisoformat(text), end_of_day=end_of_day)
        return _utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise RecordStoreError(f"{what} {text!r} is not a date",
                               hint="give YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SSZ (UTC)") from None


# ------------------------------------------------------------------ opening a store

def default_store_path() -> Path:
    """records.sqlite in $MCOF_DATA_DIR, else in the platform's user data directory."""
    if os.environ.get("MCOF_DATA_DIR"):
        base = Path(os.environ["MCOF_DATA_DIR"])
    elif sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "mcof"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support" / "mcof"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "mcof"
    return base / "records.sqlite"


URL_HINT = "give a file path, or a SQLAlchemy URL such as sqlite:///records.sqlite or postgresql+psycopg://USER@HOST/DB"


def _store_url(given: str | None) -> tuple[sa.URL, str]:
    """The database URL, and how messages name it (a URL without its password)."""
    text = given if given is not None else os.environ.get("MCOF_RECORDS") or None
    if text is not None and "://" in text:
        try:
            url = sa.make_url(text)
        except (sa.exc.ArgumentError, ValueError):  # ValueError: a port that is not a number
            raise RecordStoreError("not a database URL", where=re.sub(r"(://[^/:@]*:)[^@/]*@", r"\1***@", text),
                                   hint=URL_HINT) from None
        return url, url.render_as_string(hide_password=True)
    path = Path(text).expanduser() if text else default_store_path()
    if path.is_dir():
        raise RecordStoreError("is a directory, not a records database file", where=str(path),
                               hint=f"give a file, e.g. {path / 'records.sqlite'}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RecordStoreError(f"cannot create the directory: {error.strerror or error}", where=str(path.parent),
                               hint="choose a records path in a writable directory") from None
    return sa.URL.create("sqlite+pysqlite", database=str(path)), str(path)


def _engine(url: sa.URL, where: str) -> sa.Engine:
    try:
        engine = sa.create_engine(url)
    except sa.exc.NoSuchModuleError:
        raise RecordStoreError(f"unknown kind of database {url.drivername!r}", where=where, hint=URL_HINT) from None
    except ModuleNotFoundError as missing:
        raise RecordStoreError(f"the database driver is not installed (no module {missing.name!r})", where=where,
                               hint="install it; for PostgreSQL use postgresql+psycopg://... with "
                                    "pip install 'psycopg[binary]'") from None
    except sa.exc.ArgumentError as error:
        raise RecordStoreError(f"bad database URL: {error}", where=where, hint=URL_HINT) from None
    if engine.dialect.name == "sqlite":
        _sqlite_transactions(engine)
    return engine


def _sqlite_transactions(engine: sa.Engine) -> None:
    """Every SQLite transaction opened by an explicit BEGIN, not by the driver (whose implicit
    BEGIN comes only before INSERT, UPDATE and DELETE: a migration's CREATE TABLEs would each
    commit alone, and a failed one leave half a schema); a migration's by BEGIN IMMEDIATE, so
    processes opening one new file at once wait for each other instead of all creating tables."""
    @sa.event.listens_for(engine, "connect")
    def _driver_leaves_transactions_to_us(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(connection):
        immediate = connection.get_execution_options().get("sqlite_immediate")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _reason(error: sa.exc.SQLAlchemyError) -> str:
    return str(getattr(error, "orig", None) or error).strip().splitlines()[0]


STORE_HINT = "is it an mcof records database you may read and write? Give another path or URL, or move the file away"


def _migrate(engine: sa.Engine, where: str) -> None:
    """Upgrade the schema to the newest revision this mcof ships, in one transaction;
    refuse a database at a revision it does not know (written by a newer mcof)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    known = {revision.revision for revision in script.walk_revisions()}
    with engine.connect() as connection:
        connection.execution_options(sqlite_immediate=True)
        with connection.begin():
            current = set(MigrationContext.configure(connection).get_current_heads())
            if current - known:
                raise RecordStoreError(
                    f"the records database is at schema revision {', '.join(sorted(current - known))}, which this "
                    f"mcof ({__version__}, newest revision {', '.join(script.get_heads())}) does not know", where=where,
                    hint="a newer mcof wrote it: upgrade mcof (pip install -U 'mcof[records]'), or use another store")
            if current != set(script.get_heads()):
                config.attributes["connection"] = connection
                command.upgrade(config, "head")


def open_store(url_or_path: str | None = None) -> "RecordStore":
    """The records store at a path or SQLAlchemy URL (default: $MCOF_RECORDS, else
    records.sqlite in the user data directory), its schema migrated to the newest revision."""
    url, where = _store_url(url_or_path)
    engine = _engine(url, where)
    try:
        _migrate(engine, where)
    except sa.exc.SQLAlchemyError as error:
        engine.dispose()
        raise RecordStoreError(f"cannot use the records database: {_reason(error)}", where=where,
                               hint=STORE_HINT) from None
    except RecordStoreError:
        engine.dispose()
        raise
    return RecordStore(engine, where)


# ------------------------------------------------------------------ the store

class RecordStore:
    """Save, list and get decision records. `where` names the store in messages (no password)."""

    def __init__(self, engine: sa.Engine, where: str):
        self.engine = engine
        self.where = where

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "RecordStore":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def save(self, result: Mapping, profile: Mapping, name: str | None = None, note: str | None = None) -> Record:
        """Store an assessment (``mcof assess --format json``'s dict, with provenance) and the
        profile it was made from; the record as the database now holds it."""
        _check_result(result)
        _check_json("profile", profile)
        name, note = _text("name", name, NAME_MAX), _text("note", note, NOTE_MAX)
        crisis_types, phases, sectors = summarise(result)
        recorded = result["provenance"]
        row = {"created": _moment("created", generated_at(), end_of_day=False), "name": name, "note": note,
               "ruleset": result["ruleset"]["id"], "ruleset_sha256": result["ruleset"]["sha256"],
               "version": (recorded.get("tool") or {}).get("version") or __version__,
               "profile": dict(profile), "result": dict(result)}
        with self._database_errors(), self.engine.begin() as connection:
            record_id = connection.execute(RECORDS.insert().values(row)).inserted_primary_key[0]
            for table, rows in ((CRISIS_TYPES, [{"crisis_type": t} for t in crisis_types]),
                                (PHASES, [{"phase": p} for p in phases]),
                                (SECTORS, [{"sector": s, "level": level} for s, level in sectors.items()])):
                if rows:
                    connection.execute(table.insert(), [{"record_id": record_id, **r} for r in rows])
        return self.get(record_id)

    def list(self, crisis_type: str | None = None, phase: str | None = None, sector: str | None = None,
             since=None, until=None, limit: int | None = 100) -> list[Record]:
        """Records newest first, filtered by crisis type, phase, recommended sector and the
        day or moment they were saved (`since`/`until`: a date counts whole); `limit=None`: all."""
        query = sa.select(RECORDS).order_by(RECORDS.c.id.desc())
        for what, table, value in (("crisis_type", CRISIS_TYPES, crisis_type), ("phase", PHASES, phase),
                                   ("sector", SECTORS, sector)):
            if value is not None:
                self._check_known(what, table, value)
                query = query.where(sa.exists().where(table.c.record_id == RECORDS.c.id, table.c[what] == value))
        if since is not None:
            query = query.where(RECORDS.c.created >= _moment("since", since, end_of_day=False))
        if until is not None:
            query = query.where(RECORDS.c.created <= _moment("until", until, end_of_day=True))
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
                raise RecordStoreError(f"limit must be a whole number of at least 1, not {limit!r}")
            query = query.limit(limit)
        with self._database_errors(), self.engine.connect() as connection:
            return [_record(row) for row in connection.execute(query)]

    def get(self, record_id: int) -> Record:
        if isinstance(record_id, bool) or not isinstance(record_id, int):
            raise RecordStoreError(f"a record id is a whole number, not {record_id!r}",
                                   hint="`mcof records list` shows the ids")
        with self._database_errors(), self.engine.connect() as connection:
            row = connection.execute(sa.select(RECORDS).where(RECORDS.c.id == record_id)).first()
        if row is None:
            raise RecordStoreError(f"no record {record_id}", where=self.where,
                                   hint="`mcof records list` shows the records it holds")
        return _record(row)

    def _check_known(self, what: str, table: sa.Table, value: str) -> None:
        """A filter value no record has and no built-in ruleset knows is a misspelling, not an empty answer."""
        with self._database_errors(), self.engine.connect() as connection:
            stored = set(connection.execute(sa.select(table.c[what]).distinct()).scalars())
        if value in stored:
            return
        known = stored | _builtin_values(what)
        if value not in known:
            raise RecordStoreError(f"unknown {what.replace('_', ' ')} {value!r}",
                                   hint=did_you_mean(value, known) or f"see `mcof facts` and `mcof sectors`")

    def _database_errors(self):
        return _DatabaseErrors(self.where)


class _DatabaseErrors:
    """A database failure mid-use (connection lost, disk full, locked) as a RecordStoreError."""

    def __init__(self, where: str):
        self.where = where

    def __enter__(self):
        return self

    def __exit__(self, kind, error, _traceback):
        if isinstance(error, sa.exc.SQLAlchemyError):
            raise RecordStoreError(f"records database error: {_reason(error)}", where=self.where,
                                   hint=STORE_HINT) from None
        return False


def _builtin_values(what: str) -> set[str]:
    from .ruleset import BUILTIN_NAMES, load_ruleset
    rulesets = [load_ruleset(name) for name in BUILTIN_NAMES]
    if what == "sector":
        return {s.slug for rs in rulesets for s in rs.sectors}
    return {v for rs in rulesets for v in rs.facts[what].values}


# ------------------------------------------------------------------ verifying

@dataclass(frozen=True)
class VerifyOutcome:
    """A record re-run today: `report` is engine.verify's (reproduces, ruleset_changed,
    differences with the rules gained and lost)."""
    record: Record
    report: Mapping[str, Any]

    @property
    def reproduces(self) -> bool:
        return self.report["reproduces"]

    @property
    def differences(self) -> list[dict]:
        return self.report["differences"]

    def to_dict(self) -> dict:
        return {"record": self.record.to_dict(with_result=False), **self.report}

    def text(self) -> str:
        rec = self.record
        title = f"Record {rec.id}" + (f" ({rec.name})" if rec.name else "") + f", saved {rec.created}"
        return f"{title}:\n{verify_text(self.report)}"


def verify_record(record: Record, ruleset_dir: str | None = None) -> VerifyOutcome:
    """Re-run the record's profile under today's ruleset (the built-in it names, or
    `ruleset_dir`) and compare it with what was recorded (engine.verify)."""
    return VerifyOutcome(record, verify(dict(record.result), ruleset_dir))


# ------------------------------------------------------------------ listing and exporting

EXPORT_FORMATS = {".jsonl": "jsonl", ".json": "json", ".csv": "csv"}
CSV_COLUMNS = ("id", "created", "name", "note", "ruleset", "ruleset_sha256", "version", "crisis_types", "phases",
               "sectors", "profile", "provenance")


def listing_provenance(store: RecordStore, filters: Mapping[str, Any]) -> dict:
    """What produced a listing or export: the tool, the store, the filters given, and when."""
    return {"tool": tool(), "records": store.where,
            "parameters": {k: v if isinstance(v, (str, int)) else str(v) for k, v in filters.items() if v is not None},
            "generated_at": generated_at()}


def records_document(records: list[Record], provenance: Mapping, with_result: bool) -> dict:
    return {"schema_version": SCHEMA_VERSION, "provenance": dict(provenance),
            "records": [r.to_dict(with_result=with_result) for r in records]}


def export_text(records: list[Record], fmt: str, provenance: Mapping) -> str:
    """JSON (one document with the export's provenance), JSON Lines (one record a line) or
    CSV (one record a row; JSON cells for lists, mappings and each result's provenance)."""
    if fmt == "json":
        return json.dumps(records_document(records, provenance, True), indent=2, ensure_ascii=False) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in records)
    from .batch.outputs import csv_safe
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        row = {**r.to_dict(with_result=False), "provenance": r.result["provenance"]}
        writer.writerow([csv_safe(_cell(row[c])) for c in CSV_COLUMNS])
    return buffer.getvalue()


def _cell(value):
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else value


def write_export(path: str | Path, records: list[Record], fmt: str, provenance: Mapping) -> list[Path]:
    """The export written whole or not at all; a CSV gets its <name>.provenance.json sidecar
    (CONTRACT.md, "Provenance"); JSON and JSON Lines carry provenance inside."""
    target = Path(path)
    files = {target: export_text(records, fmt, provenance)}
    if fmt == "csv":
        files[target.with_name(target.stem + ".provenance.json")] = json.dumps(
            {"schema_version": SCHEMA_VERSION, "provenance": dict(provenance)}, indent=2, ensure_ascii=False) + "\n"
    staged = []
    try:
        for file, text in files.items():
            payload = text.encode("utf-8")
            staged.append((stage(file, lambda handle, payload=payload: handle.write(payload)), file))
    except BaseException:
        discard(staged)
        raise
    return commit(staged)
