"""Fixtures of the batch tests (helpers live in batchdata.py)."""
import pytest

from batchdata import INFORM, STOCK

from mcof.engine.batch import build_profiles, load_mapping, read_inputs


@pytest.fixture(scope="session")
def mapping():
    return load_mapping("inform")


@pytest.fixture(scope="session")
def real_table(mapping):
    return read_inputs([INFORM, STOCK], mapping)


@pytest.fixture(scope="session")
def real_profiles(real_table, mapping):
    return build_profiles(real_table, mapping)
