import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"

# The test run keeps its own cache of loaded rulesets (engine/rulesetcache.py), not the user's.
os.environ.setdefault("MCOF_CACHE_DIR", tempfile.mkdtemp(prefix="mcof-test-cache-"))
# ... and its own default decision records store, never the user's (engine/records.py).
os.environ["MCOF_DATA_DIR"] = tempfile.mkdtemp(prefix="mcof-test-data-")
os.environ.pop("MCOF_RECORDS", None)


@pytest.fixture(scope="session")
def mini():
    from mcof.engine import load_ruleset
    return load_ruleset(MINI)


@pytest.fixture
def mini_copy(tmp_path):
    """A writable copy of the mini ruleset (for corrupting it), with its source path fixed."""
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    head = target / "ruleset.yaml"
    head.write_text(head.read_text().replace("../../../rulesets/sources/MC2355.txt",
                                             str(ROOT / "rulesets" / "sources" / "MC2355.txt")))
    return target


# A throwaway PostgreSQL cluster and a fresh database on it, for any test (skipped with the
# reason when PostgreSQL is not installed or cannot start): tests/postgres.py.
from tests.postgres import postgres_cluster, postgres_url  # noqa: E402,F401
