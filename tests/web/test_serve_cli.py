"""`mcof serve`: its options reach the app; exposed without a token it warns; without the
extra it says what to install."""
import importlib.util

import pytest
from click.testing import CliRunner

from mcof.cli import main


@pytest.fixture
def started(monkeypatch):
    import uvicorn
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append((app, options)))
    return calls


def test_serve_binds_loopback_by_default(started):
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0 and "warning" not in result.stderr
    app, options = started[0]
    assert options["host"] == "127.0.0.1" and options["port"] == 8000
    assert app.state.settings.token is None and app.state.settings.max_upload_bytes == 20 * 1024 * 1024


def test_serve_warns_when_exposed_without_a_token(started):
    exposed = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--port", "9000"])
    assert exposed.exit_code == 0 and "warning: listening on 0.0.0.0 without --token" in exposed.stderr
    guarded = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--max-upload-mb", "5"],
                                 env={"MCOF_SERVE_TOKEN": "t0ken"})
    assert guarded.exit_code == 0 and "warning" not in guarded.stderr
    app, _ = started[-1]
    assert app.state.settings.token == "t0ken" and app.state.settings.max_upload_bytes == 5 * 1024 * 1024


def test_serve_without_the_extra_says_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a))
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2
    assert result.stderr.strip() == ("Error: mcof serve needs the web packages (uvicorn missing): "
                                     "pip install 'mcof[serve]'")
