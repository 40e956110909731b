"""The installed project is one import package, ``mcof``, and nothing else (CONTRACT.md)."""
from __future__ import annotations

import site
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def fresh_install(tmp_path_factory):
    """A wheel built from this checkout, installed without dependencies into a new venv.

    The venv sees the test run's own site-packages through a .pth file, appended after its
    own, so the dependencies import while ``mcof`` itself comes from the fresh install.
    """
    work = tmp_path_factory.mktemp("install")
    wheels = work / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(wheels)],
                   check=True, capture_output=True, text=True)
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                  check=True, capture_output=True, text=True).stdout.strip())
    before = set(p.name for p in purelib.iterdir())
    wheel = next(wheels.glob("mcof-*.whl"))
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
                   check=True, capture_output=True, text=True)
    added = set(p.name for p in purelib.iterdir()) - before
    outer = [sysconfig.get_path("purelib"), sysconfig.get_path("platlib"), *site.getsitepackages()]
    (purelib / "zz-outer-deps.pth").write_text("\n".join(dict.fromkeys(outer)) + "\n")
    return python, purelib, added


def test_wheel_installs_only_the_mcof_package(fresh_install):
    _, _, added = fresh_install
    assert "mcof" in added
    assert {name for name in added if not name.endswith(".dist-info")} == {"mcof"}, added


def test_installed_package_carries_its_data_and_type_marker(fresh_install):
    _, purelib, _ = fresh_install
    package = purelib / "mcof"
    for part in ("py.typed", "rulesets/2012/ruleset.yaml", "rulesets/2021/crosswalk.yaml",
                 "rulesets/sources/MC2355.txt", "engine/mappings/inform.yaml",
                 "engine/report/templates/report.html.j2", "engine/report/data/countries-110m.json",
                 "engine/migrations/env.py", "engine/migrations/versions/0001_records.py"):
        assert (package / part).is_file(), part


def test_python_dash_m_mcof_assesses_an_example_from_the_fresh_install(fresh_install, tmp_path):
    python, purelib, _ = fresh_install
    proc = subprocess.run([str(python), "-m", "mcof", "assess", str(ROOT / "examples" / "libya-2011.yaml"),
                           "--format", "json"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert '"id": "mcof-2012"' in proc.stdout and '"transport_assistance"' in proc.stdout
    where = subprocess.run([str(python), "-c", "import mcof; print(mcof.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, check=True).stdout.strip()
    assert Path(where).is_relative_to(purelib)


def test_the_fresh_install_records_an_assessment_through_its_shipped_migrations(fresh_install, tmp_path):
    pytest.importorskip("sqlalchemy", reason="the records extra is not installed: pip install '.[test]'")
    python, _, _ = fresh_install
    store = tmp_path / "records.sqlite"
    proc = subprocess.run([str(python), "-m", "mcof", "assess", str(ROOT / "examples" / "libya-2011.yaml"),
                           "--record", "--records", str(store)], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0 and f"recorded as record 1 in {store}" in proc.stderr, proc.stderr
    proc = subprocess.run([str(python), "-m", "mcof", "records", "verify", "1", "--records", str(store)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0 and "The result reproduces" in proc.stdout, proc.stderr


def test_library_api_and_version_from_one_source():
    import mcof
    from mcof.engine.version import __version__
    assert mcof.__version__ == __version__
    assert callable(mcof.assess) and callable(mcof.load_ruleset)
    from importlib.metadata import version
    assert version("mcof") == __version__
