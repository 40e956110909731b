"""MCOF's wheel as inline SVG: phases as rings (before inside, after outside), the sectors as
segments coloured by level, and the systems, clusters and groups each sector links to on the
outer ring. A cell that only a further fact would fill is hatched in that level's colour.

Pure string building (no drawing library): the picture is a few hundred shapes, and inline
SVG keeps the report self-contained under its Content-Security-Policy.
"""
from __future__ import annotations

import math
from html import escape

from ..palette import LEVEL_COLOURS


LEVEL_FILL = {level: fill for level, (fill, _) in LEVEL_COLOURS.items()}
LEVEL_INK = {level: ink for level, (_, ink) in LEVEL_COLOURS.items()}
SIZE = 840
CENTRE = SIZE / 2
RING_INNER, RING_WIDTH = 70.0, 62.0          # before: 70-132, during: 132-194, after: 194-256
NUMBER_RING = RING_INNER + 3 * RING_WIDTH + 16
LINK_RING = NUMBER_RING + 20


def _point(radius: float, angle: float) -> tuple[float, float]:
    """Angle in degrees, clockwise from twelve o'clock."""
    rad = math.radians(angle - 90)
    return CENTRE + radius * math.cos(rad), CENTRE + radius * math.sin(rad)


def _segment(r1: float, r2: float, a1: float, a2: float) -> str:
    (x1, y1), (x2, y2) = _point(r2, a1), _point(r2, a2)
    (x3, y3), (x4, y4) = _point(r1, a2), _point(r1, a1)
    return (f"M{x1:.1f},{y1:.1f} A{r2:.0f},{r2:.0f} 0 0 1 {x2:.1f},{y2:.1f} "
            f"L{x3:.1f},{y3:.1f} A{r1:.0f},{r1:.0f} 0 0 0 {x4:.1f},{y4:.1f} Z")


def _hatches() -> str:
    return "".join(
        f'<pattern id="hatch-{level}" width="8" height="8" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="8" height="8" fill="#ffffff"/>'
        f'<rect width="3.5" height="8" fill="{fill}"/></pattern>'
        for level, fill in LEVEL_FILL.items())


def wheel_svg(diagram: dict, sectors: list[dict], phases: list[str], title: str) -> str:
    """One scenario's wheel. ``diagram`` and ``sectors`` as ``engine.diagrams.diagrams`` gives them."""
    cells = {(c["sector"], c["phase"]): c for c in diagram["cells"]}
    step = 360 / len(sectors)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}" role="img" '
             f'class="wheel" aria-label="{escape(title)}"><title>{escape(title)}</title><defs>{_hatches()}</defs>']
    for i, sector in enumerate(sectors):
        a1, a2 = i * step, (i + 1) * step
        for ring, phase in enumerate(phases):
            cell = cells.get((sector["slug"], phase), {})
            r1 = RING_INNER + ring * RING_WIDTH
            level, options = cell.get("level"), cell.get("conditional") or []
            if level:
                fill, label = LEVEL_FILL[level], f"{level}"
            elif options:
                fill, label = f"url(#hatch-{options[0]['level']})", f"if {options[0]['fact']}: {options[0]['level']}"
            else:
                fill, label = "#ffffff", "not recommended"
            dash = ' stroke-dasharray="4 2"' if not level and options else ""
            parts.append(f'<path d="{_segment(r1, r1 + RING_WIDTH, a1, a2)}" fill="{fill}" stroke="#555" '
                         f'stroke-width="0.8"{dash} data-sector="{sector["slug"]}" data-phase="{phase}" '
                         f'data-level="{level or ""}"><title>{escape(sector["name"])}, {phase}: '
                         f'{escape(label)}</title></path>')
            if level:
                x, y = _point(r1 + RING_WIDTH / 2, (a1 + a2) / 2)
                mark = {"critical": "C", "important": "I", "recommended": "R"}[level]
                parts.append(f'<text x="{x:.1f}" y="{y:.1f}" class="mark" fill="{LEVEL_INK[level]}" '
                             f'text-anchor="middle" dominant-baseline="central">{mark}</text>')
        x, y = _point(NUMBER_RING, (a1 + a2) / 2)
        parts.append(f'<text x="{x:.1f}" y="{y:.1f}" class="num" text-anchor="middle" '
                     f'dominant-baseline="central">{sector["number"]}</text>')
        links = sector.get("linkages") or []
        for j, link in enumerate(links):
            angle = a1 + step * (j + 1) / (len(links) + 1)
            x, y = _point(LINK_RING, angle)
            flip = 180 < angle < 360
            rotation = angle - 90 + (180 if flip else 0)
            anchor = "end" if flip else "start"
            parts.append(f'<text x="{x:.1f}" y="{y:.1f}" class="link link-{link["kind"]}" text-anchor="{anchor}" '
                         f'dominant-baseline="central" transform="rotate({rotation:.1f} {x:.1f} {y:.1f})">'
                         f'<title>{escape(link["name"])} ({link["kind"]}): {escape(link["citation"])}</title>'
                         f'{escape(link["short"])}</text>')
    for ring, phase in enumerate(phases):
        x, y = _point(RING_INNER + ring * RING_WIDTH + 4, 0)
        parts.append(f'<text x="{x + 3:.1f}" y="{y + 9:.1f}" class="ring">{phase}</text>')
    words = diagram["name"].split()
    lines = [" ".join(words[: (len(words) + 1) // 2]), " ".join(words[(len(words) + 1) // 2:])]
    parts.append(f'<text x="{CENTRE}" y="{CENTRE - 8}" class="centre" text-anchor="middle">'
                 + "".join(f'<tspan x="{CENTRE}" dy="{0 if k == 0 else 16}">{escape(line)}</tspan>'
                           for k, line in enumerate(lines) if line) + "</text></svg>")
    return "".join(parts)
