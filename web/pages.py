"""The HTML pages: the assess page (and its why fragment and downloads), the diagrams page, the
API docs page and the login page. Every template is autoescaped; nothing here decides a level.
"""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..engine.errors import McofError
from ..engine.palette import level_css_variables
from ..engine.provenance import footer_line
from ..engine.report.html import fmt_value
from ..engine.version import __version__
from .assess_page import CHANGE_WORDS, REQUIRED, page_context, why_panel
from .query import DEFAULT_RULESET, View, parse_view, profile_pairs, raw_facts
from .security import DOCUMENT_CSP, TOKEN_COOKIE, checked_form, same

templates = Environment(loader=PackageLoader("mcof.web", "templates"), autoescape=select_autoescape(default=True),
                        trim_blocks=True, lstrip_blocks=True)
templates.filters["fmt"] = fmt_value


def placeholders(pattern: str) -> Markup:
    """A grouped reason of the batch errors summary (engine/batch/tables.reason_pattern) with
    its placeholders, ``{iso3}``, ``{name}``, ``{value}``, ``{row}``, shown as variables
    (each row's own), not as braces a reader takes for a formatting fault."""
    return Markup(re.sub(r"\{([a-z0-9_]+)\}", r"<var>\1</var>", str(escape(pattern))))


templates.filters["placeholders"] = placeholders
templates.globals.update(version=__version__, phases=("before", "during", "after"), change_words=CHANGE_WORDS)


def page(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
    context.setdefault("csrf_token", request.scope.get("state", {}).get("csrf_token", ""))
    return HTMLResponse(templates.get_template(name).render(**context), status_code=status)


def document(text: str, filename: str | None = None, media_type: str = "text/html") -> Response:
    """One of the engine's own outputs, byte for byte as the CLI writes it; an HTML document
    keeps the policy it was made for (DOCUMENT_CSP: its inline style and script, nothing fetched)."""
    headers = {"content-security-policy": DOCUMENT_CSP}
    if filename:
        headers["content-disposition"] = f'attachment; filename="{filename}"'
    return Response(text.encode("utf-8"), media_type=f"{media_type}; charset=utf-8", headers=headers)


def _view(request: Request) -> View:
    return parse_view(parse_qsl(request.url.query, keep_blank_values=True), request.app.state.service.rulesets)


def _titles(service) -> dict[str, str]:
    return {name: f"{name}: {rs.title}" for name, rs in service.rulesets.items()}


async def assess_page(request: Request) -> HTMLResponse:
    service = request.app.state.service
    try:
        view = _view(request)
        context, status = page_context(service, view), 200
    except McofError as error:
        # the form keeps what the user gave, and the engine's message says what is wrong
        pairs = parse_qsl(request.url.query, keep_blank_values=True)
        name = dict(pairs).get("ruleset")
        view = View(name if name in service.rulesets else DEFAULT_RULESET, None, None, None)
        given = raw_facts(pairs)
        context = page_context(service, view, given)
        missing = [fact for fact in REQUIRED if fact not in given]
        if given and missing and (name or DEFAULT_RULESET).strip() in service.rulesets:
            # a form being filled in, not a mistake: say what is still to choose
            context["missing"], status = missing, 200
        else:
            context["error"], status = str(error), 400
    ruleset = context["ruleset"]
    result = context.get("result")
    context.update(
        page="assess", rulesets_titles=_titles(service),
        pin_text=urlencode(profile_pairs(ruleset, view.pin)) if view.pin else "",
        profile_text=json.dumps(view.profile, sort_keys=True) if view.profile else "",
        records_ready=request.app.state.records.ready,
        footer=footer_line(result.provenance) if result else "")
    return page(request, "assess.html.j2", status, **context)


async def why_fragment(request: Request) -> HTMLResponse:
    service = request.app.state.service
    view = _view(request)
    if view.profile is None or view.cell is None:
        raise HTTPException(400, "the why panel needs a profile (crisis_type and phase) and a cell=SECTOR:PHASE")
    rules = service.ruleset(view.ruleset)
    return page(request, "why_fragment.html.j2", view=view, why=why_panel(service, view, rules),
                query_no_cell=view.query(cell=None, rules=rules))


def _profile_view(request: Request) -> View:
    view = _view(request)
    if view.profile is None:
        raise HTTPException(400, "no profile: give crisis_type and phase (and any other fact) in the query")
    return view


async def download_json(request: Request) -> Response:
    """`mcof assess --set ... --format json`, the same bytes."""
    service, view = request.app.state.service, _profile_view(request)
    result = service.assess(view.ruleset, view.profile)
    return document(service.text(result, "json", view.ruleset), "assessment.json", "application/json")


async def download_html(request: Request) -> Response:
    """`mcof assess --set ... --format html`, the same bytes (and the CLI's title for --set)."""
    service, view = request.app.state.service, _profile_view(request)
    rules = service.ruleset(view.ruleset)
    result = service.assess(view.ruleset, view.profile)
    return document(service.text(result, "html", view.ruleset, title=f"Crisis profile: MCOF assessment ({rules.title})"),
                    "assessment.html")


async def levels_css(request: Request) -> Response:
    """The level colours, from engine/palette.py (one definition for every output)."""
    return Response(f":root {{ {level_css_variables()} }}\n", media_type="text/css")


# ------------------------------------------------------------------------------ diagrams

def _ruleset_param(request: Request) -> str:
    name = request.path_params["name"]
    if name not in request.app.state.service.rulesets:
        raise HTTPException(404, f"no ruleset {name!r}: the diagrams are of {', '.join(request.app.state.service.rulesets)}")
    return name


async def diagrams_page(request: Request) -> HTMLResponse:
    from ..engine.report.wheel import wheel_svg
    from ..engine.render import condition_label
    service = request.app.state.service
    sets = []
    for name in service.rulesets:
        data = service.diagrams(name).data
        scenarios = []
        for s in data["scenarios"]:
            cells = {(c["sector"], c["phase"]): c for c in s["cells"]}
            rows = [{**sector, "cells": [{**cells[(sector["slug"], p)],
                                          "notes": [f"if {condition_label(o['fact'], o['value'])}: {o['level']}"
                                                    for o in cells[(sector["slug"], p)]["conditional"]]}
                                         for p in data["phases"]]} for sector in data["sectors"]]
            title = f"{s['name']}: sectors of assistance by phase ({data['ruleset']['id']})"
            scenarios.append({**s, "rows": rows, "svg": wheel_svg(s, data["sectors"], data["phases"], title)})
        sets.append({"name": name, "data": data, "scenarios": scenarios, "footer": footer_line(data["provenance"])})
    return page(request, "diagrams.html.j2", page="diagrams", sets=sets)


async def diagrams_document(request: Request) -> Response:
    """`mcof diagrams --ruleset NAME --format html|json`, the same bytes."""
    name, fmt = _ruleset_param(request), request.path_params["fmt"]
    service = request.app.state.service
    text = service.text(service.diagrams(name), fmt, name)
    if fmt == "json":
        return document(text, f"diagrams-{name}.json", "application/json")
    return document(text)


# ------------------------------------------------------------------------------ login

async def login_page(request: Request) -> Response:
    settings = request.app.state.settings
    if request.method == "GET":
        return page(request, "login.html.j2", page="login", needed=bool(settings.token), error=None)
    form = await checked_form(request)
    if not settings.token or not same(str(form.get("token", "")), settings.token):
        return page(request, "login.html.j2", 401, page="login", needed=bool(settings.token),
                    error="that is not this server's token")
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(TOKEN_COOKIE, settings.token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response

