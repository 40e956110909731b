"""A world map as SVG paths, from the Natural Earth shapes shipped with mcof (world-atlas
TopoJSON, engine/report/data/), for the batch report's choropleth. No network, no browser
library: TopoJSON's arcs are decoded and projected here (the Equal Earth projection, which
keeps areas true, so large countries do not dominate a map of levels by sheer size).
"""
from __future__ import annotations

import json
import math
from functools import lru_cache

from ..resources import bundled

WIDTH, HEIGHT = 960, 470
_A1, _A2, _A3, _A4 = 1.340264, -0.081106, 0.000893, 0.003796   # Equal Earth (Šavrič et al. 2018)
_M = math.sqrt(3) / 2
_X_MAX = 2.7066297319215575          # x of (180°, 0°) in Equal Earth's unit
_Y_MAX = 1.3173627591574133          # y of (0°, 90°)


def _project(lon: float, lat: float) -> tuple[float, float]:
    theta = math.asin(_M * math.sin(math.radians(lat)))
    t2, t6 = theta * theta, theta ** 6
    x = 2 * math.sqrt(3) * math.radians(lon) * math.cos(theta) / (3 * (_A1 + 3 * _A2 * t2 + t6 * (7 * _A3 + 9 * _A4 * t2)))
    y = theta * (_A1 + _A2 * t2 + t6 * (_A3 + _A4 * t2))
    return (x / _X_MAX + 1) * WIDTH / 2, (1 - y / _Y_MAX) * HEIGHT / 2


def _decoded_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Absolute (lon, lat) points of every arc (TopoJSON arcs are quantized and delta-encoded)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]   # ~i: arc i, reversed
        points.extend(arc[1:] if points else arc)                 # arcs share their end points
    return points


def _path(rings: list[list[tuple[float, float]]]) -> str:
    """SVG path data; a ring that crosses the antimeridian (Fiji, Chukotka) is broken where it
    jumps from one edge of the map to the other, instead of drawing a line across the world."""
    parts = []
    for ring in rings:
        xy = [_project(lon, lat) for lon, lat in ring]
        out, jumped = [], False
        for i, (x, y) in enumerate(xy):
            if i and abs(x - xy[i - 1][0]) > WIDTH / 2:
                jumped = True
                out.append(f"M{x:.1f},{y:.1f}")
            else:
                out.append(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}")
        parts.append("".join(out) + ("" if jumped else "Z"))
    return "".join(parts)


@lru_cache(maxsize=1)
def country_shapes() -> dict[str, tuple[str, str]]:
    """ISO 3166-1 numeric code -> (Natural Earth name, SVG path data)."""
    topology = json.loads(bundled("engine", "report", "data", "countries-110m.json").read_text(encoding="utf-8"))
    arcs = _decoded_arcs(topology)
    shapes = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        if "id" not in geometry or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        polygons = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]
        rings = [_ring(ring, arcs) for polygon in polygons for ring in polygon]
        shapes[geometry["id"]] = (geometry["properties"]["name"], _path(rings))
    return shapes
