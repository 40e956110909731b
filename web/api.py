"""The JSON API: the CLI's ``--format json`` over HTTP, and its OpenAPI description.

- ``POST /api/assess?ruleset=2012``, body: a profile (the JSON of a profile file) ->
  ``mcof assess --format json``;
- ``POST /api/explain?ruleset=2012&sector=SLUG`` (or ``modality=SLUG``), body: a profile ->
  ``mcof explain --format json``;
- ``POST /api/diff?ruleset=2012``, body ``{"a": profile, "b": profile}`` -> ``mcof diff --format json``.

The bytes are the CLI's, with the profile recorded in the provenance as the ``--set`` list
that gives it (``mcof assess --set ...`` reproduces the answer). Bad input is a 4xx whose
``{"error": ...}`` is the CLI's ``Error:`` line.
"""
from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..engine.errors import ProfileError
from ..engine.jsonio import parse_json
from ..engine.profile import normalize_profile, profile_mapping
from ..engine.schema import json_schema
from ..engine.version import __version__
from . import pages
from .query import canonical, ruleset_name
from .security import check_api_post

JSON = "application/json"


def json_text(text: str, status: int = 200) -> Response:
    return Response(text.encode("utf-8"), status_code=status, media_type=JSON)


async def body_json(request: Request):
    check_api_post(request)
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProfileError("the body is not UTF-8 text", where="request body", hint="send UTF-8 JSON") from None
    if not text.strip():
        raise ProfileError("the body is empty", where="request body", hint="send a profile as a JSON object")
    return parse_json(text, "request body", ProfileError)


def profile_of(request: Request, data, where: str = "request body") -> tuple[str, dict]:
    name = ruleset_name(request.query_params.get("ruleset"))
    ruleset = request.app.state.service.ruleset(name)
    return name, canonical(ruleset, normalize_profile(ruleset, profile_mapping(data, where), where))


async def api_assess(request: Request) -> Response:
    name, profile = profile_of(request, await body_json(request))
    return json_text(await request.app.state.service.json_answer("assess", name, profile))


async def api_explain(request: Request) -> Response:
    sector, modality = request.query_params.get("sector"), request.query_params.get("modality")
    if bool(sector) == bool(modality):
        raise HTTPException(400, "give one of the query parameters sector=SLUG or modality=SLUG")
    name, profile = profile_of(request, await body_json(request))
    kind = "recommend" if sector else "modality"
    return json_text(await request.app.state.service.json_answer("explain", name, profile, sector or modality, kind))


async def api_diff(request: Request) -> Response:
    data = await body_json(request)
    if not isinstance(data, dict) or set(data) != {"a", "b"}:
        raise ProfileError('a diff body is {"a": PROFILE, "b": PROFILE}', where="request body",
                           hint=f"got {sorted(data) if isinstance(data, dict) else type(data).__name__}")
    name, a = profile_of(request, data["a"], "request body (a)")
    _, b = profile_of(request, data["b"], "request body (b)")
    return json_text(await request.app.state.service.json_answer("diff", name, a, b))


# ------------------------------------------------------------------------------ OpenAPI

RULESET_PARAM = {"name": "ruleset", "in": "query", "required": False, "description": "A built-in ruleset.",
                 "schema": {"enum": ["2012", "2021"], "default": "2012"}}
ERROR = {"description": "Bad input: the CLI's Error: message (what, where, how to fix it).",
         "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _post(summary: str, description: str, body: dict, answer: str, params=()) -> dict:
    return {"post": {
        "summary": summary, "description": description, "parameters": [RULESET_PARAM, *params],
        "requestBody": {"required": True, "content": {JSON: {"schema": body}}},
        "responses": {"200": {"description": answer, "content": {JSON: {"schema": {"type": "object"}}}},
                      "400": ERROR, "401": ERROR, "403": ERROR, "413": ERROR, "415": ERROR}}}


def openapi(service) -> dict:
    """The API as OpenAPI 3.1, whose schemas are the engine's published JSON Schemas
    (``mcof schema profile|result``), so the two cannot drift apart."""
    profile = {"$ref": "#/components/schemas/Profile2021"}
    schemas = {f"Profile{name}": json_schema("profile", rs) for name, rs in service.rulesets.items()}
    schemas["Result2012"] = json_schema("result", service.ruleset("2012"))
    schemas["Error"] = {"type": "object", "required": ["error", "status"],
                        "properties": {"error": {"type": "string"}, "status": {"type": "integer"}}}
    target = [{"name": "sector", "in": "query", "required": False, "schema": {"type": "string"},
               "description": "The sector to explain: slug, number or name (give this or modality)."},
              {"name": "modality", "in": "query", "required": False, "schema": {"type": "string"},
               "description": "Or an operating modality (2021)."}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "mcof", "version": __version__,
                 "description": "IOM's Migration Crisis Operational Framework as an explainable rules engine: "
                                "the JSON of `mcof assess|explain|diff --format json`. A profile is the JSON "
                                "of a profile file (Profile2012 / Profile2021: the 2021 catalogue holds every "
                                "2012 fact). Authentication, when the server has a token: "
                                "Authorization: Bearer TOKEN."},
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{}, {"bearer": []}],
        "paths": {
            "/api/assess": _post("Assess a profile", "`mcof assess --format json`.", profile,
                                 "The assessment (schema: Result2012 for the 2012 ruleset)."),
            "/api/explain": _post("Why, or why not, a sector or modality", "`mcof explain --format json`.",
                                  profile, "The explanation, phase by phase.", target),
            "/api/diff": _post("What changes from profile a to profile b", "`mcof diff --format json`.",
                               {"type": "object", "required": ["a", "b"], "additionalProperties": False,
                                "properties": {"a": profile, "b": profile}},
                               "Sectors added, removed, raised or lowered, with the facts and rules."),
        }}


async def openapi_json(request: Request) -> JSONResponse:
    return JSONResponse(openapi(request.app.state.service))


async def docs_page(request: Request):
    return pages.page(request, "api.html.j2", page="api", spec=openapi(request.app.state.service),
                      token=bool(request.app.state.settings.token))


def routes() -> list:
    return [Route("/api", docs_page), Route("/api/openapi.json", openapi_json),
            Route("/api/assess", api_assess, methods=["POST"]), Route("/api/explain", api_explain, methods=["POST"]),
            Route("/api/diff", api_diff, methods=["POST"])]
