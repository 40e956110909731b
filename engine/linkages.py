"""MCOF's third pillar read the other way round: who an officer must coordinate with.

An assessment lists sectors, each carrying its linkages to systems, clusters and groups
(``sectors.yaml``). ``by_linkage`` turns that inside out: for each system, cluster or group,
the recommended sectors that link to it, with the words that state each link.
"""
from __future__ import annotations

from typing import Sequence

from .results import Assessment
from .ruleset import LINKAGE_KINDS


def by_linkage(result: Assessment, order: Sequence[str] = ()) -> list[dict]:
    """The result's recommendations grouped by linkage target: systems, then clusters, then
    groups, each in ``order`` (the catalogue's, i.e. the legend's) or else as first met.
    JSON-shaped (``mcof assess --by-linkage --format json`` prints it as is)."""
    groups: dict[str, dict] = {}
    for rec in result.recommendations:
        for link in rec.linkages:
            group = groups.setdefault(link.to, {"to": link.to, "kind": link.kind, "name": link.name,
                                                "recommendations": []})
            group["recommendations"].append(
                {"sector": rec.sector, "phase": rec.phase, "level": rec.level,
                 "citation": link.citation, "quote": link.quote,
                 **({"interpretation": link.interpretation} if link.interpretation else {})})
    rank = {slug: i for i, slug in enumerate([*order, *(g for g in groups if g not in order)])}
    return sorted(groups.values(), key=lambda g: (LINKAGE_KINDS.index(g["kind"]), rank[g["to"]]))
