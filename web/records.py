"""Decision records on the web: the assess page's "Save as record", the records page (list,
filter, show, verify) and ``/api/records``, all over ``mcof.engine.records`` (what ``mcof
assess --record`` and ``mcof records`` use).

The library is imported lazily: an app whose build has no records library starts, and its
records pages say so (HTTP 503 under /api/records).
"""
from __future__ import annotations

import importlib

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..engine.errors import ProfileError
from ..engine.jsonio import parse_json
from ..engine.profile import normalize_profile, profile_mapping
from . import pages
from .assess_page import sector_names
from .query import View, canonical, ruleset_name
from .security import check_api_post, checked_form

FILTERS = ("crisis_type", "phase", "sector", "since", "until")
LIST_LIMIT = 200


class RecordsAdapter:
    """The records store named by ``mcof serve --records`` (None: the library's default store),
    opened on first use."""

    def __init__(self, target: str | None):
        self.target = target
        self._store = None

    @staticmethod
    def module():
        try:
            return importlib.import_module("mcof.engine.records")
        except ModuleNotFoundError as error:
            if error.name != "mcof.engine.records":
                raise  # the library is there, but one of its packages is not: say which
            return None

    @property
    def ready(self) -> bool:
        return self.module() is not None

    def library(self):
        module = self.module()
        if module is None:
            raise HTTPException(503, "decision records are not available in this build (no mcof.engine.records)")
        return module

    def store(self):
        if self._store is None:
            self._store = self.library().open_store(self.target)
        return self._store

    def get(self, record_id: int):
        store = self.store()
        try:
            return store.get(record_id)
        except self.library().RecordStoreError as error:
            if error.message.startswith("no record"):
                raise HTTPException(404, str(error)) from None
            raise


def _records(request: Request):
    return request.app.state.records


def _filters(request: Request) -> dict:
    return {name: request.query_params.get(name) or None for name in FILTERS}


def _save(request: Request, ruleset: str, data, name, note):
    """Assess the profile as `mcof assess` does and store the result (`mcof assess --record`)."""
    service = request.app.state.service
    rules = service.ruleset(ruleset)
    profile = canonical(rules, normalize_profile(rules, profile_mapping(data, "profile"), "profile"))
    result = service.assess(ruleset, profile).to_dict()
    return _records(request).store().save(result, profile, name or None, note or None)


def _record_id(request: Request) -> int:
    text = request.path_params["record"]
    if not text.isdigit():
        raise HTTPException(404, f"no record {text!r}: a record's id is a number")
    return int(text)


# ------------------------------------------------------------------------------ pages

async def records_page(request: Request) -> Response:
    adapter = _records(request)
    if not adapter.ready:
        return pages.page(request, "records.html.j2", page="records", ready=False)
    filters = _filters(request)
    found = adapter.store().list(**filters, limit=LIST_LIMIT)
    return pages.page(request, "records.html.j2", page="records", ready=True, records=found, filters=filters,
                      limit=LIST_LIMIT, rulesets=request.app.state.service.rulesets)


async def save_record(request: Request) -> Response:
    form = await checked_form(request)
    data = parse_json(str(form.get("profile", "")), "profile", ProfileError)
    record = _save(request, ruleset_name(str(form.get("ruleset", ""))), data, form.get("name"), form.get("note"))
    return RedirectResponse(f"/records/{record.id}", status_code=303)


def _about(request: Request, record) -> dict:
    """The record's link to the assess page and its sectors' names, when its ruleset is one
    this server has loaded (a record of another ruleset shows the slugs it stored)."""
    service = request.app.state.service
    name = next((n for n, rs in service.rulesets.items() if rs.id == record.ruleset), None)
    if name is None:
        return {"assess_link": "", "names": {}}
    rules = service.ruleset(name)
    return {"assess_link": "/?" + View(name, canonical(rules, dict(record.profile)), None, None).query(rules=rules),
            "names": sector_names(rules)}


async def record_page(request: Request) -> Response:
    record = _records(request).get(_record_id(request))
    return pages.page(request, "record.html.j2", page="records", record=record, outcome=None,
                      **_about(request, record))


async def verify_page(request: Request) -> Response:
    await checked_form(request)
    adapter = _records(request)
    record = adapter.get(_record_id(request))
    outcome = adapter.library().verify_record(record)
    return pages.page(request, "record.html.j2", page="records", record=record, outcome=outcome,
                      **_about(request, record))


# ------------------------------------------------------------------------------ API

async def api_list(request: Request) -> JSONResponse:
    adapter = _records(request)
    library, store = adapter.library(), adapter.store()
    filters = _filters(request)
    found = store.list(**filters, limit=LIST_LIMIT)
    return JSONResponse(library.records_document(found, library.listing_provenance(store, filters), with_result=False))


async def api_save(request: Request) -> JSONResponse:
    from .api import body_json  # the API's one way of reading a body (api imports nothing from here)
    _records(request).library()
    body = await body_json(request)
    if not isinstance(body, dict) or "profile" not in body or set(body) - {"profile", "name", "note"}:
        raise HTTPException(400, 'a record body is {"profile": PROFILE, "name": TEXT, "note": TEXT} '
                                 "(name and note optional)")
    record = _save(request, ruleset_name(request.query_params.get("ruleset")), body["profile"],
                   body.get("name"), body.get("note"))
    return JSONResponse(record.to_dict(), status_code=201, headers={"location": f"/api/records/{record.id}"})


async def api_get(request: Request) -> JSONResponse:
    return JSONResponse(_records(request).get(_record_id(request)).to_dict())


async def api_verify(request: Request) -> JSONResponse:
    check_api_post(request)  # as every API POST: JSON content type, this server's origin
    adapter = _records(request)
    return JSONResponse(adapter.library().verify_record(adapter.get(_record_id(request))).to_dict())


def routes() -> list:
    return [Route("/records", records_page, methods=["GET"]), Route("/records", save_record, methods=["POST"]),
            Route("/records/{record}", record_page), Route("/records/{record}/verify", verify_page, methods=["POST"]),
            Route("/api/records", api_list, methods=["GET"]), Route("/api/records", api_save, methods=["POST"]),
            Route("/api/records/{record}", api_get), Route("/api/records/{record}/verify", api_verify, methods=["POST"])]

