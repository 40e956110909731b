"""Safe by default (docs/serve.md, "Security model"): one ASGI middleware that every request
passes, and the CSRF check of the forms that write.

The middleware, in order:

1. **token** (when ``mcof serve --token`` is given): every request but the static files and
   the login page needs ``Authorization: Bearer TOKEN`` or the ``mcof_token`` cookie that the
   login page sets (HttpOnly, SameSite=Strict); otherwise 401;
2. **body size**: a body over the limit of its path (uploads: ``max_upload_bytes``, anything
   else: ``max_body_bytes``) is refused with 413, by its Content-Length before it is read and
   by counting as it streams when it has none;
3. **CSRF cookie**: a request without the ``mcof_csrf`` cookie gets a fresh random one (its
   value is in ``request.state.csrf_token`` for the forms to echo: the double-submit pattern);
4. **headers** on every response: a strict Content-Security-Policy (no inline script or style;
   scripts and styles from this server only; no framing), ``X-Content-Type-Options:
   nosniff``, ``Referrer-Policy: no-referrer`` (a page's URL holds its profile),
   ``X-Frame-Options: DENY``, ``Cache-Control: no-store``. A response that sets its own CSP (the
   engine's self-contained HTML documents) keeps it, and may be framed by this server only.

The JSON API needs no CSRF token: its POSTs must be ``Content-Type: application/json`` (which
no HTML form can send) and, when a browser sends an ``Origin`` header, it must be this
server's own; with a token, the token cookie is SameSite=Strict besides.
"""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from starlette.datastructures import FormData, Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request

# The app's own pages: no inline script or style at all, nothing from elsewhere.
APP_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
           "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
# The engine's self-contained documents (the HTML report, the diagrams, the batch report): the
# policy they carry in their own <meta> (inline style and script, nothing fetched, no form
# posts anywhere); framed only by this server's own pages (the batch page shows its report
# in a sandboxed frame, whose scripts run in an origin of their own).
DOCUMENT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
                "base-uri 'none'; form-action 'none'; frame-ancestors 'self'")

CSRF_COOKIE, CSRF_FIELD = "mcof_csrf", "csrf_token"
TOKEN_COOKIE = "mcof_token"
OPEN_PATHS = ("/static/", "/login")


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int
    max_upload_bytes: int
    upload_paths: tuple[str, ...] = ("/batch",)

    def for_path(self, path: str) -> int:
        return self.max_upload_bytes if path in self.upload_paths else self.max_body_bytes


def _cookies(headers: Headers) -> dict[str, str]:
    jar = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # noqa: BLE001 - a malformed Cookie header counts as no cookie
        return {}
    return {key: morsel.value for key, morsel in jar.items()}


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def token_ok(headers: Headers, cookies: dict[str, str], token: str) -> bool:
    scheme, _, given = headers.get("authorization", "").partition(" ")
    return (scheme.lower() == "bearer" and same(given.strip(), token)) or same(cookies.get(TOKEN_COOKIE), token)


def wants_json(path: str, headers: Headers) -> bool:
    return path.startswith("/api/") or "application/json" in headers.get("accept", "")


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"request body larger than {limit:,} bytes (the limit of this address); "
                              "send a smaller file or profile")


class Guard:
    """The middleware described in the module's docstring."""

    def __init__(self, app, *, token: str | None, limits: Limits, refuse):
        # refuse(scope, status, message) -> the Response (JSON for the API, HTML for pages)
        self.app, self.token, self.limits, self.refuse = app, token, limits, refuse

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        cookies = _cookies(headers)
        path = scope["path"]
        if self.token and not path.startswith(OPEN_PATHS) and not token_ok(headers, cookies, self.token):
            response = self.refuse(scope, 401, "this server needs its token: send the header Authorization: "
                                               "Bearer TOKEN, or log in at /login")
            return await response(scope, receive, _with_headers(send, None))
        limit = self.limits.for_path(path)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            too_large = BodyTooLarge(limit)
            response = self.refuse(scope, too_large.status_code, too_large.detail)
            return await response(scope, receive, _with_headers(send, None))
        fresh = None if cookies.get(CSRF_COOKIE) else secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_token"] = cookies.get(CSRF_COOKIE) or fresh
        await self.app(scope, _counting(receive, limit), _with_headers(send, fresh))


def _counting(receive, limit: int):
    seen = 0

    async def counted():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message
    return counted


def _with_headers(send, fresh_csrf: str | None):
    async def sending(message):
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            names = {name.lower() for name, _ in headers}
            document = b"content-security-policy" in names  # one of the engine's documents
            if not document:
                headers.append((b"content-security-policy", APP_CSP.encode()))
            for name, value in ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                                (b"x-frame-options", b"SAMEORIGIN" if document else b"DENY"),
                                (b"cache-control", b"no-store"),
                                (b"cross-origin-opener-policy", b"same-origin")):
                if name not in names:
                    headers.append((name, value))
            if fresh_csrf:
                headers.append((b"set-cookie", f"{CSRF_COOKIE}={fresh_csrf}; Path=/; HttpOnly; "
                                               "SameSite=Strict".encode()))
            message = {**message, "headers": headers}
        await send(message)
    return sending


async def checked_form(request: Request, **limits) -> FormData:
    """A form POST's fields, once its CSRF token matches the cookie's (double submit)."""
    form = await request.form(**limits)
    if not same(str(form.get(CSRF_FIELD, "")), request.cookies.get(CSRF_COOKIE)):
        raise HTTPException(403, "the form's CSRF token is missing or does not match this browser's "
                                 "(reload the page and send the form again)")
    return form


def check_api_post(request: Request) -> None:
    """The JSON API's defence against cross-site requests (see the module's docstring)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise HTTPException(415, f"send the body as Content-Type: application/json, not {content_type or 'nothing'}")
    origin = request.headers.get("origin")
    # netloc only: behind a TLS-terminating proxy the scheme this server sees is not the browser's
    if origin is not None and urlsplit(origin).netloc != request.url.netloc:
        raise HTTPException(403, f"cross-origin request from {origin} refused (the API answers this "
                                 f"server's own pages and non-browser clients)")
