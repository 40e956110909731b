"""One way from a result to text: ``render(result, fmt, **context)``.

Dispatches on the result's type (`engine.results`: Assessment, Explanation, Diff, Compare,
Diagrams) and on ``fmt`` (table, json, markdown, html) to the renderers of `engine.render`
(terminal table, markdown) and `engine.report.html` (HTML). JSON is always the one
serialiser, `engine.results.to_dict`. The renderers and jinja are imported lazily, so JSON
output and start-up stay fast.

Context, where a format needs it:

- ``ruleset``: the Ruleset the result came from (sector names and catalogue; for Compare
  the newer ruleset, whose parent is the older);
- ``title``: the HTML report's title (Assessment);
- ``color``: colour the terminal table (Assessment);
- ``by_linkage``: Assessment grouped by linked system, cluster and group (JSON adds a
  ``by_linkage`` list; HTML always has the section).
"""
from __future__ import annotations

from typing import Any

from .results import Assessment, Compare, Diagrams, Diff, Explanation

FORMATS = ("table", "json", "markdown", "html")


def _names(ruleset) -> dict[str, str]:
    return {s.slug: f"{s.number}. {s.name}" for s in ruleset.sectors}


def _catalogue(ruleset) -> list[dict]:
    return [s.to_dict() for s in ruleset.sectors]


def _assessment(result: Assessment, fmt: str, *, ruleset, title: str | None = None, color: bool = False,
                by_linkage: bool = False) -> str:
    from . import render as text
    if fmt == "html":
        from .report.html import render_assessment
        return render_assessment(result, _catalogue(ruleset), title=title)
    if by_linkage:
        from .linkages import by_linkage as group_by_linkage
        groups = group_by_linkage(result, list(ruleset.linkage_targets))
        if fmt == "json":
            return text.to_json({**result.to_dict(), "by_linkage": groups})
        return text.by_linkage_text(groups, result, _names(ruleset), markdown=fmt == "markdown")
    if fmt == "json":
        return text.to_json(result.to_dict())
    if fmt == "markdown":
        return text.assessment_markdown(result, _names(ruleset))
    return text.assessment_table(result, _names(ruleset), color=color)


def _explanation(result: Explanation, fmt: str, **_context) -> str:
    from . import render as text
    if fmt == "json":
        return text.to_json(result.to_dict())
    if fmt == "html":
        raise ValueError("an explanation has no HTML form (use table, json or markdown)")
    return text.explain_text(result, markdown=fmt == "markdown")


def _diff(result: Diff, fmt: str, *, ruleset, **_context) -> str:
    from . import render as text
    if fmt == "json":
        return text.to_json(result.to_dict())
    if fmt == "html":
        from .report.html import render_diff
        return render_diff(result, _catalogue(ruleset))
    return text.diff_text(result, _names(ruleset), markdown=fmt == "markdown")


def _compare(result: Compare, fmt: str, *, ruleset, **_context) -> str:
    from . import render as text
    if fmt == "json":
        return text.to_json(result.to_dict())
    if fmt == "html":
        from .report.html import render_compare
        return render_compare(result, _catalogue(ruleset.parent), _catalogue(ruleset))
    return text.compare_text(result, markdown=fmt == "markdown")


def _diagrams(result: Diagrams, fmt: str, **_context) -> str:
    from . import render as text
    if fmt == "json":
        return text.to_json(result.to_dict())
    if fmt == "html":
        from .report.html import render_diagrams
        return render_diagrams(result.data)
    return text.diagrams_text(result.data, markdown=fmt == "markdown")


_RENDERERS = {Assessment: _assessment, Explanation: _explanation, Diff: _diff, Compare: _compare,
              Diagrams: _diagrams}


def render(result: Any, fmt: str, **context) -> str:
    """``result`` as ``fmt`` (table, json, markdown or html); see the module's docstring for
    the context each needs."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    for kind, renderer in _RENDERERS.items():
        if isinstance(result, kind):
            return renderer(result, fmt, **context)
    raise TypeError(f"cannot render a {type(result).__name__}: not an engine result")
