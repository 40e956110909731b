"""The cache of loaded rulesets: used only when provably current, rebuilt otherwise."""
import pickle
import subprocess
import sys

import pytest

from mcof.engine import ruleset as ruleset_module
from mcof.engine import rulesetcache
from mcof.engine.ruleset import load_ruleset


@pytest.fixture
def fresh(monkeypatch, tmp_path, mini_copy):
    """An empty cache directory, and no in-process copy of the mini ruleset."""
    monkeypatch.setenv("MCOF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MCOF_NO_CACHE", raising=False)
    ruleset_module._CACHE.clear()
    loads = []
    real = ruleset_module._load
    monkeypatch.setattr(ruleset_module, "_load", lambda directory: loads.append(directory) or real(directory))
    return mini_copy.resolve(), loads


def reload(directory):
    ruleset_module._CACHE.clear()  # as a new process would
    return load_ruleset(directory)


def test_a_second_load_reads_the_cache(fresh):
    directory, loads = fresh
    first = reload(directory)
    second = reload(directory)
    assert len(loads) == 1 and second is not first and second.sha256 == first.sha256
    assert [r.id for r in second.rules] == [r.id for r in first.rules]


def test_a_changed_file_is_not_read_from_the_cache(fresh):
    directory, loads = fresh
    reload(directory)
    sectors = directory / "sectors.yaml"
    sectors.write_text(sectors.read_text().replace("name: Transport\n", "name: Transport Assistance\n"))
    assert reload(directory).sector("transport_assistance").name == "Transport Assistance" and len(loads) == 2


def test_a_new_rule_file_is_not_missed(fresh):
    directory, loads = fresh
    reload(directory)
    (directory / "rules" / "extra.yaml").write_text("rules: []\n")
    assert any(f.name == "extra.yaml" for f in reload(directory).files) and len(loads) == 2


def test_a_corrupt_or_foreign_entry_is_rebuilt(fresh):
    directory, loads = fresh
    reload(directory)
    entry = next(rulesetcache.cache_dir().glob("ruleset-*.pickle"))
    entry.write_bytes(b"not a pickle")
    assert reload(directory).id == "mini" and len(loads) == 2
    entry.write_bytes(pickle.dumps({"version": "0.0.0", "listing": [], "ruleset": None}))
    assert reload(directory).id == "mini" and len(loads) == 3


def test_no_cache_reads_the_yaml(fresh, monkeypatch):
    directory, loads = fresh
    monkeypatch.setenv("MCOF_NO_CACHE", "1")
    reload(directory)
    reload(directory)
    assert len(loads) == 2 and not list(rulesetcache.cache_dir().glob("*.pickle"))


def test_a_cached_command_gives_the_same_output(tmp_path):
    env = {"MCOF_CACHE_DIR": str(tmp_path / "c"), "SOURCE_DATE_EPOCH": "1764547200", "PATH": "/usr/bin:/bin"}
    args = [sys.executable, "-m", "mcof", "assess", "--ruleset", "2021", "--set", "crisis_type=health",
            "--set", "phase=during", "--format", "json"]
    cold = subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout
    warm = subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout
    assert cold == warm and list((tmp_path / "c").glob("ruleset-*.pickle"))
