"""Decision records on the web: the adapter to ``mcof.engine.records`` (imported lazily, so the
app starts, and says so, in a build that does not have it yet) and the records pages.
"""
from __future__ import annotations

import importlib

from starlette.requests import Request
from starlette.responses import HTMLResponse

from . import pages


class RecordsAdapter:
    """The records store named by ``mcof serve --records`` (None: the library's default), opened
    on first use."""

    def __init__(self, target: str | None):
        self.target = target
        self._store = None

    @staticmethod
    def module():
        try:
            return importlib.import_module("mcof.engine.records")
        except ModuleNotFoundError as error:
            if error.name not in ("mcof.engine.records",):
                raise
            return None

    @property
    def ready(self) -> bool:
        return self.module() is not None


async def records_page(request: Request) -> HTMLResponse:
    adapter: RecordsAdapter = request.app.state.records
    return pages.page(request, "records.html.j2", page="records", ready=adapter.ready)


def routes() -> list:
    from starlette.routing import Route
    return [Route("/records", records_page)]
