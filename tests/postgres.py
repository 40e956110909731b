"""A throwaway PostgreSQL server for the tests that need a real one (decision records).

The session starts its own cluster: `initdb` into a temporary directory and `pg_ctl start`
listening only on a unix socket in that directory (no TCP port, no system service). As root
(CI), PostgreSQL refuses to run, so both run as the `postgres` OS user (`runuser`), who owns
the directory. Each test gets a database of its own, dropped afterwards. When the binaries
(Debian's `postgresql` package, which .ci/run installs), psycopg, or the postgres user are
missing, or the server cannot start, the tests that need it are skipped with the reason.
"""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

PORT = 5432  # only names the socket file (.s.PGSQL.5432) in our own directory


def postgres_bin_dir() -> Path | None:
    """Debian's newest /usr/lib/postgresql/N/bin, else initdb's directory on PATH."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                    key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if debian:
        return debian[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@dataclass(frozen=True)
class PostgresCluster:
    socket_dir: Path

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket_dir}&port={PORT}"

    def admin(self, sql: str) -> None:
        import psycopg
        with psycopg.connect(host=str(self.socket_dir), port=PORT, user="postgres", dbname="postgres",
                             autocommit=True) as connection:
            connection.execute(sql)


def _run_as() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("PostgreSQL will not run as root, and there is no postgres user to run it as")
    if shutil.which("runuser") is None:
        pytest.skip("PostgreSQL will not run as root, and runuser (to run it as postgres) is missing")
    return ["runuser", "-u", "postgres", "--"]


@pytest.fixture(scope="session")
def postgres_cluster():
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql; .ci/run installs it)")
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install '.[test]')")
    as_postgres = _run_as()
    base = Path(tempfile.mkdtemp(prefix="mcof-pg-"))  # short: a socket path has at most 107 bytes
    if as_postgres:
        shutil.chown(base, "postgres", "postgres")
    data, log = base / "data", base / "server.log"
    pg_ctl = [*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data)]
    try:
        subprocess.run([*as_postgres, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                        "-E", "UTF8", "--locale=C"], check=True, capture_output=True, text=True, timeout=120)
        subprocess.run([*pg_ctl, "-l", str(log), "-w", "-t", "60",
                        "-o", f"-k {base} -p {PORT} -c listen_addresses='' -c fsync=off", "start"],
                       check=True, capture_output=True, text=True, timeout=90)
    except (OSError, subprocess.SubprocessError) as error:
        detail = getattr(error, "stderr", None) or (log.read_text(errors="replace") if log.is_file() else "") or error
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"PostgreSQL could not start: {str(detail).strip()[-500:]}")
    try:
        yield PostgresCluster(base)
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_cluster):
    """A SQLAlchemy URL of a new, empty database on the session's cluster."""
    name = f"mcof_test_{uuid.uuid4().hex[:12]}"
    postgres_cluster.admin(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_cluster.url(name)
    finally:
        postgres_cluster.admin(f'DROP DATABASE "{name}" WITH (FORCE)')
