"""Safe by default: headers, CSRF, token, Host, no inline script, nothing names a server path."""
import re
from pathlib import Path

import pytest
from conftest import make_client
from pageparse import by_id, elements

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["/", "/?ruleset=2012&crisis_type=man_made&phase=during&cell=transport_assistance:during",
         "/diagrams", "/batch", "/api", "/records", "/login"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_strict_policy_and_no_inline_script_or_style(client, path):
    response = client.get(path)
    assert response.status_code < 500
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    parsed = elements(response.text)
    assert parsed.inline_scripts == 0
    assert not [a for _, a in parsed.elements if "style" in a or any(k.startswith("on") for k in a)]
    assert {a["src"] for tag, a in parsed.elements if tag == "script"} <= {"/static/htmx.min.js", "/static/app.js"}


def test_the_vendored_htmx_is_served_from_here(client):
    script = client.get("/static/htmx.min.js")
    assert script.status_code == 200 and "htmx" in script.text[:2000]
    assert "Zero-Clause BSD" in client.get("/static/htmx.LICENSE").text


def test_engine_documents_keep_their_own_policy(client):
    response = client.get("/download/assessment.html?crisis_type=man_made&phase=during")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "form-action 'none'" in csp and "connect-src" not in csp
    assert response.headers["x-frame-options"] == "SAMEORIGIN"


def test_templates_escape_what_users_send(client):
    from urllib.parse import quote
    evil = "<script>alert(1)</script>"
    response = client.get(f"/?crisis_type=man_made&phase=during&{quote(evil)}=true")
    assert response.status_code == 400
    assert evil not in response.text and "unknown fact &#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39;" in response.text


def test_csrf_refuses_a_form_post_without_the_token(client, service):
    fresh = make_client(service)
    page = fresh.get("/batch")
    token = by_id(page.text, "batch-form") and [a for _, a in elements(page.text).elements
                                                 if a.get("name") == "csrf_token"][0]["value"]
    assert fresh.cookies.get("mcof_csrf") == token  # double submit: the cookie and the field
    files = {"tables": ("t.csv", b"iso3,x\nAFG,1\n", "text/csv")}
    missing = fresh.post("/batch", data={"ruleset": "2012", "mapping": "inform"}, files=files)
    assert missing.status_code == 403 and "CSRF token" in missing.text
    wrong = fresh.post("/batch", data={"ruleset": "2012", "mapping": "inform", "csrf_token": "guess"}, files=files)
    assert wrong.status_code == 403
    other = make_client(service)  # another browser: its cookie does not match this page's token
    other.get("/batch")
    assert other.post("/batch", data={"csrf_token": token, "mapping": "inform"}, files=files).status_code == 403


def test_the_csrf_cookie_is_httponly_and_strict(service):
    response = make_client(service).get("/")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("mcof_csrf=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_a_token_is_required_when_the_server_has_one(service):
    guarded = make_client(service, token="s3cret-token")
    page = guarded.get("/")
    assert page.status_code == 401 and by_id(page.text, "login-link") is not None
    api = guarded.post("/api/assess", json={"crisis_type": "man_made", "phase": "during"})
    assert api.status_code == 401 and "Bearer" in api.json()["error"] and api.headers["www-authenticate"] == "Bearer"
    wrong = guarded.get("/", headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401
    ok = guarded.post("/api/assess", json={"crisis_type": "man_made", "phase": "during"},
                      headers={"authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200
    assert guarded.get("/static/app.css").status_code == 200  # the login page needs its styles
    login = guarded.get("/login")
    token = [a for _, a in elements(login.text).elements if a.get("name") == "csrf_token"][0]["value"]
    refused = guarded.post("/login", data={"csrf_token": token, "token": "nope"}, follow_redirects=False)
    assert refused.status_code == 401
    accepted = guarded.post("/login", data={"csrf_token": token, "token": "s3cret-token"}, follow_redirects=False)
    assert accepted.status_code == 303
    assert "HttpOnly" in accepted.headers["set-cookie"] and "SameSite=strict" in accepted.headers["set-cookie"]
    assert guarded.get("/").status_code == 200  # the cookie now carries the token


def test_only_loopback_names_are_answered_on_loopback(service):
    from mcof.web.app import Settings
    assert "*" not in Settings(host="127.0.0.1").hosts()
    assert Settings(host="0.0.0.0").hosts() == ["*"]
    local = make_client(service, allowed_hosts=())
    assert local.get("/", headers={"host": "evil.example"}).status_code == 400
    assert local.get("/", headers={"host": "127.0.0.1:8000"}).status_code == 200


def test_nothing_a_user_sends_names_a_server_path(client):
    for path in ("/?ruleset=/etc&crisis_type=man_made&phase=during", "/?ruleset=../rulesets/2012"):
        response = client.get(path)
        assert response.status_code == 400 and "unknown ruleset" in response.text
    assert client.get("/diagrams/..%2F..%2Fetc.json").status_code == 404
    assert client.get("/static/../web/app.py").status_code == 404


def test_the_engine_never_imports_the_web_app():
    for path in (ROOT / "engine").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"from \.\.+web|mcof\.web|import web\b", source), path
