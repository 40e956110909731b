"""Self-contained HTML reports for ``mcof assess``, ``diff`` and ``compare`` (``--format html``).

The renderers take plain JSON-shaped dicts (the same objects ``--format json`` prints) and
return one HTML document as a string: no network, no external assets, CSS and the tiny print
script inline.  See docs/report.md.
"""

from .html import render_assessment, render_compare, render_diff

__all__ = ["render_assessment", "render_compare", "render_diff"]
