"""The ASGI application of ``mcof serve``: routes, error answers, and the safety middleware.

``create_app(Settings(...))`` gives a Starlette app; ``mcof serve`` runs it under uvicorn,
and the tests drive it with Starlette's TestClient. Bad input of any kind is answered 4xx
with the engine's own message (``McofError``: what, where, how to fix it), as JSON under
``/api/`` and as a page elsewhere; an unexpected failure is a 500 that names the error and
shows no traceback.
"""
from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from http import HTTPStatus

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..engine.errors import McofError
from ..engine import limits
from . import api, batch, pages, records
from .security import Guard, Limits, wants_json
from .service import Service

LOG = logging.getLogger("mcof.web")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    token: str | None = None
    records: str | None = None               # a SQLite path or an SQLAlchemy URL (None: the default store)
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    # a diff carries two profiles; a body is a profile or two and a little JSON around them
    max_body_bytes: int = field(default_factory=lambda: 2 * limits.PROFILE_BYTES.value() + 64 * 1024)
    allowed_hosts: tuple[str, ...] = field(default=())  # Host headers accepted (empty: see hosts())
    engine_processes: int = 0                # the JSON API's engine processes (0: in the server's process)

    def hosts(self) -> list[str]:
        """Bound to loopback, only loopback names are answered (a DNS-rebinding page cannot
        reach the server under its own name); bound elsewhere, any name unless given."""
        if self.allowed_hosts:
            return list(self.allowed_hosts)
        return [*LOOPBACK, "[::1]"] if self.host in LOOPBACK else ["*"]


def error_response(scope, status: int, message: str) -> Response:
    """An error as the client reads it: JSON ``{"error": ...}`` under /api/, else a page."""
    headers = {"www-authenticate": "Bearer"} if status == 401 else {}
    if wants_json(scope["path"], Headers(scope=scope)):
        return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)
    reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    html = pages.templates.get_template("error.html.j2").render(status=status, reason=reason, message=message,
                                                                 page=None)
    return HTMLResponse(html, status_code=status, headers=headers)


async def on_mcof_error(request: Request, error: McofError) -> Response:
    return error_response(request.scope, 400, str(error))


async def on_http_error(request: Request, error: HTTPException) -> Response:
    return error_response(request.scope, error.status_code, str(error.detail))


async def on_unexpected(request: Request, error: Exception) -> Response:
    LOG.exception("internal error on %s", request.url.path)
    return error_response(request.scope, 500, f"internal error: {type(error).__name__} (the server's log has the "
                                              "details; please report it)")


def routes() -> list:
    return [
        Route("/", pages.assess_page),
        Route("/why", pages.why_fragment),
        Route("/download/assessment.json", pages.download_json),
        Route("/download/assessment.html", pages.download_html),
        Route("/levels.css", pages.levels_css),
        Route("/diagrams", pages.diagrams_page),
        Route("/diagrams/{name}.{fmt:str}", pages.diagrams_document),
        Route("/login", pages.login_page, methods=["GET", "POST"]),
        *batch.routes(),
        *records.routes(),
        *api.routes(),
        Mount("/static", StaticFiles(packages=[("mcof.web", "static")]), name="static"),
    ]


@contextlib.asynccontextmanager
async def lifespan(app: Starlette):
    """The engine processes start with the server (before it answers) and stop with it; the
    batch jobs' temporary files go with it too."""
    app.state.service.start()
    try:
        yield
    finally:
        app.state.service.close()
        app.state.jobs.close()


def create_app(settings: Settings | None = None, service: Service | None = None) -> Starlette:
    settings = settings or Settings()
    app = Starlette(
        routes=routes(), lifespan=lifespan,
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=settings.hosts()),
                    Middleware(Guard, token=settings.token, refuse=error_response,
                               limits=Limits(settings.max_body_bytes, settings.max_upload_bytes))],
        exception_handlers={McofError: on_mcof_error, HTTPException: on_http_error, Exception: on_unexpected})
    app.state.settings = settings
    app.state.service = service or Service(processes=settings.engine_processes)
    app.state.records = records.RecordsAdapter(settings.records)
    app.state.jobs = batch.Jobs()
    return app

