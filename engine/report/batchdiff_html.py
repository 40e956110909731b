"""The batch-diff report (``mcof batch-diff ... --format html``): one self-contained page.

Per step (each output to the next): what differs in the runs, the changes counted per
sector and kind (marked as ``mcof diff`` marks them: engine/palette.py), the units only one
output has, and the change table (sorts and filters, as the batch report's heat table does),
each change opening what is behind it. With three or more outputs, small multiples: per
sector a strip of units x outputs coloured by level, and the trend rows that change.
Works without JavaScript (the tables then keep their order and show every row).
"""
from __future__ import annotations

from ..model import LEVELS
from ..palette import CHANGE_MARKS
from ..provenance import footer_line
from ..render import change_behind_lines, change_counts, fmt_value, settings_lines
from .html import _env

CELL_W, CELL_H = 5, 9    # one unit x one output in a strip, in px


def _rank(level: str | None) -> int:
    """A level's sort key: the highest first, then not recommended, then absent."""
    return LEVELS.index(level) if level in LEVELS else len(LEVELS) + (level is None)


def _change(c, a: int, b: int) -> dict:
    symbol, colour = CHANGE_MARKS[c.change]
    return {"unit": c.unit, "name": c.name, "sector": c.sector, "sector_name": c.sector_name, "phase": c.phase,
            "change": c.change, "symbol": symbol, "colour": colour, "from": c.from_level, "to": c.to_level,
            "from_rank": _rank(c.from_level or ""), "to_rank": _rank(c.to_level or ""),   # None: not recommended
            "rules_gained": c.rules_gained, "rules_lost": c.rules_lost,
            "facts": [f"{k}: {fmt_value(x)} → {fmt_value(y)}" for k, (x, y) in c.facts_changed.items()],
            "behind": [line.strip() for line in change_behind_lines(c, a, b, "")]}


def _step(step, sectors: dict[str, str]) -> dict:
    a, b = step.a + 1, step.b + 1
    rows, kinds = change_counts(step, sectors)
    counts = step.counts()
    return {"a": a, "b": b, "settings": [line.strip() for line in settings_lines(step.settings_changed)],
            "count_rows": rows, "kinds": [{"kind": k, "symbol": CHANGE_MARKS[k][0], "colour": CHANGE_MARKS[k][1],
                                           "total": sum(counts[k].values())} for k in kinds],
            "changes": [_change(c, a, b) for c in step.changes],
            "only_in_a": step.only_in_a, "only_in_b": step.only_in_b}


def _strips(result) -> tuple[list[dict], int]:
    """Per sector with a trend row, its units' columns of cells (one per output, coloured by the
    unit's highest level there), each unit at the same x in every strip; and the strips' width."""
    units = list(dict.fromkeys(row["unit"] for row in result.trend if row["sector"]))
    strips: dict[str, dict] = {}
    for row in result.trend:
        if not row["sector"]:
            continue
        strip = strips.setdefault(row["sector"], {"sector": row["sector"], "name": row["sector_name"], "units": []})
        strip["units"].append({"x": units.index(row["unit"]) * CELL_W, "label": f"{row['name']} ({row['unit']})",
                               "changes": row["changes"], "levels": row["levels"],
                               "tooltip": " → ".join("absent" if lv is None else lv or "—" for lv in row["levels"])})
    order = list(result.sectors)
    return sorted(strips.values(), key=lambda s: order.index(s["sector"])), len(units) * CELL_W


def render_batch_diff_report(result, title: str | None = None) -> str:
    outputs = len(result.outputs)
    strips, strip_width = _strips(result) if outputs > 2 else ([], 0)
    return _env.get_template("batchdiff.html.j2").render(
        title=title or f"MCOF batch-diff: {outputs} batch outputs compared ({result.space['id']})",
        result=result, outputs=result.outputs, steps=[_step(s, result.sectors) for s in result.steps],
        strips=strips, strip_width=strip_width, trend=[r for r in result.trend if r["changes"]],
        cell_w=CELL_W, cell_h=CELL_H, rank=_rank, change_marks=CHANGE_MARKS,
        provenance=result.provenance, footer=footer_line(result.provenance) if result.provenance else "")
