"""Fixtures of the web tests: the app under Starlette's TestClient (no server, no network)."""
import warnings

import pytest

pytest.importorskip("starlette", reason="the web tests need the serve extra: pip install '.[serve]'")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx (the test extra)")

# Starlette 1.x asks for httpx2 in its TestClient; httpx still works and is what the extra installs.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient  # noqa: E402

from mcof.web.app import Settings, create_app  # noqa: E402
from mcof.web.service import Service  # noqa: E402


@pytest.fixture(scope="session")
def service():
    return Service()


def make_client(service, **settings) -> TestClient:
    settings.setdefault("allowed_hosts", ("testserver",))
    return TestClient(create_app(Settings(**settings), service=service), raise_server_exceptions=False)


@pytest.fixture(scope="session")
def client(service):
    return make_client(service)


@pytest.fixture
def epoch(monkeypatch):
    """Fixed provenance time: the CLI and the server then write identical bytes."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
