"""Threshold sweeps: at which values of a mapping's thresholds a country's recommendations
flip. The inputs are read once. Every (combination, country) is decided and evaluated in one
vectorized pass (`factgrid`, `vectorized`); the evidence texts, which cost most, are built
only where a level flips, and only for the facts the changed thresholds decide.
``engine="durable"`` instead rebuilds the profiles and assesses them one by one with
durable-rules, the engine of record: tests/batch/test_sweep.py checks both agree."""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Sequence

import numpy as np

from ..assessment import assess
from ..errors import McofError
from ..profile import normalize_profile
from ..ruleset import load_ruleset
from ..vectorized import NO_LEVEL, evaluate
from ..whatif import level_grid, level_rows, rank_grid
from .factgrid import FactGrid, combination_mappings
from .inputs import read_inputs
from .mapping import Mapping, load_mapping
from .profiles import build_profiles, fact_evidence


def parse_threshold_vary(text: str) -> tuple[str, list]:
    name, sep, values = text.partition("=")
    if not sep or not values.strip():
        raise McofError(f"--vary expects THRESHOLD=V1,V2,..., got '{text}'", hint="e.g. --vary drought=4,5,6,7")
    parsed = []
    for value in values.split(","):
        try:
            parsed.append(float(value))
        except ValueError:
            parsed.append(value.strip())
    return name.strip(), parsed


def threshold_sweep(inputs: Sequence[str | Path], mapping_name: str | Path, ruleset_name: str | Path,
                    countries: Sequence[str], variations: Sequence[tuple[str, list]],
                    encoding: str | None = None, *, engine: str = "vectorized") -> dict:
    ruleset = load_ruleset(ruleset_name)
    base = load_mapping(mapping_name)
    table = read_inputs(list(inputs), base, encoding=encoding)
    names = [name for name, _ in variations]
    combinations = [dict(zip(names, values)) for values in itertools.product(*(v for _, v in variations))]
    mappings = combination_mappings(base, combinations)   # validates every value first
    countries = list(dict.fromkeys(countries))
    for iso3 in countries:
        if iso3 not in table.cells:
            raise McofError(f"country {iso3} is not in the inputs", where="--country",
                            hint="use the ISO3 code of a country in the tables")
    followed = (_vectorized(ruleset, table, mappings, countries, combinations) if engine == "vectorized"
                else _one_by_one(ruleset, table, mappings, countries, combinations, engine))
    return {"ruleset": ruleset.summary(), "mapping": str(mapping_name), "vary": names,
            "combinations": combinations, "countries": followed}


def _vectorized(ruleset, table, mappings: list[Mapping], countries: list[str], combinations: list[dict]) -> list[dict]:
    grid = FactGrid(mappings, table.cells, countries)
    assessable = grid.assessable()
    ranks = {}
    if assessable.any():
        levels = evaluate(ruleset, grid.columns(ruleset)).levels()
        ranks = {key: np.where(assessable, rank.reshape(grid.shape), NO_LEVEL) for key, rank in levels.items()}
    keys, stacked = rank_grid(ruleset, ranks, grid.shape)
    evidence = _FlipEvidence(grid, table.cells, combinations)
    flips: list[list[dict]] = [[] for _ in countries]
    # Every level change at once, in row order then combination order (as the rows are):
    # (key, combination i, country) where i differs from i - 1.
    for k, i, unit in zip(*(axis.tolist() for axis in np.nonzero(stacked[:, 1:, :] != stacked[:, :-1, :]))):
        flips[unit].append((k, i + 1))
    out = []
    for unit, (iso3, rows) in enumerate(zip(countries, level_rows(ruleset, keys, stacked))):
        out.append({"iso3": iso3, "name": table.names.get(iso3, iso3), "rows": rows,
                    "flips": [_flip(keys[k], combinations, i, _level(ruleset, stacked[k, i - 1, unit]),
                                    _level(ruleset, stacked[k, i, unit]), evidence.changed(unit, i))
                              for k, i in flips[unit]]})
    return out


def _level(ruleset, rank) -> str | None:
    return None if rank == NO_LEVEL else ruleset.levels[rank]


def _flip(key: tuple[str, str], combinations: list[dict], i: int, level_from, level_to, evidence: list[str]) -> dict:
    return {"sector": key[0], "phase": key[1], "from": combinations[i - 1], "to": combinations[i],
            "level_from": level_from, "level_to": level_to, "evidence_changed": evidence}


def evidence_inputs(mapping: Mapping) -> dict[str, set[str]]:
    """Per fact, the thresholds and parameters its evidence texts depend on, through the facts
    its conditions read (a text quotes each threshold's value and whether it was overridden)."""
    out: dict[str, set[str]] = {}

    def walk(cond: dict) -> set[str]:
        if "any" in cond or "all" in cond:
            return set().union(*(walk(c) for c in cond["any" if "any" in cond else "all"]))
        if "fact" in cond:
            return out[cond["fact"]]
        return {cond["threshold"]} if "threshold" in cond else set()
    for spec in mapping.facts.values():
        if spec.parameter:
            out[spec.name] = {spec.parameter}
        elif spec.type == "list":
            out[spec.name] = set().union(*(walk(c) for c in spec.members.values()))
        else:
            out[spec.name] = walk(spec.when)
    return out


class _FlipEvidence:
    """The evidence lines that differ between two neighbouring combinations for one country,
    as the symmetric difference of the two profiles' fact evidence (kind fact, not false).
    A fact's lines depend only on its `evidence_inputs` (and every line names its fact), so
    only the facts whose inputs changed are built, each once per value of its inputs."""

    def __init__(self, grid: FactGrid, cells: dict, combinations: list[dict]):
        self.grid, self.cells, self.combinations = grid, cells, combinations
        self.specs = list(grid.mappings[0].facts.values())
        self.inputs = evidence_inputs(grid.mappings[0])
        self._lines: dict[tuple, list[str]] = {}

    def lines(self, unit: int, combination: int, spec) -> list[str]:
        values = self.combinations[combination]
        key = (unit, spec.name, tuple(repr(values[n]) for n in sorted(self.inputs[spec.name] & set(values))))
        if key not in self._lines:
            facts, unknown = self.grid.facts_at(combination, unit)
            found = fact_evidence(spec, self.cells[self.grid.iso3s[unit]], self.grid.mappings[combination],
                                  facts, unknown)
            self._lines[key] = [e.text for e in found if e.kind == "fact" and e.status != "false"]
        return self._lines[key]

    def changed(self, unit: int, i: int) -> list[str]:
        before, after = self.combinations[i - 1], self.combinations[i]
        moved = {name for name in after if before[name] != after[name]}
        lines: set[str] = set()
        for spec in self.specs:
            if self.inputs[spec.name] & moved:
                lines |= set(self.lines(unit, i - 1, spec)) ^ set(self.lines(unit, i, spec))
        return sorted(lines)


def _one_by_one(ruleset, table, mappings: list[Mapping], countries: list[str], combinations: list[dict],
                engine: str) -> list[dict]:
    """Each combination's profiles rebuilt with their evidence, each country assessed alone."""
    per_country: dict[str, dict] = {}
    for mapping in mappings:
        profiles = {p.iso3: p for p in build_profiles(table, mapping)}
        for iso3 in countries:
            profile = profiles[iso3]
            levels = (assess(ruleset, normalize_profile(ruleset, profile.facts), engine=engine,
                             explain_absent=False).levels() if profile.assessable else {})
            entry = per_country.setdefault(iso3, {"name": profile.name, "outcomes": [], "evidence": []})
            entry["outcomes"].append(levels)
            entry["evidence"].append([e.text for e in profile.evidence if e.kind == "fact" and e.status != "false"])
    out = []
    for iso3, entry in per_country.items():
        rows = level_grid(ruleset, entry["outcomes"])
        flips = []
        for row in rows:
            for i in range(1, len(combinations)):
                if row["levels"][i] != row["levels"][i - 1]:
                    changed = set(entry["evidence"][i]) ^ set(entry["evidence"][i - 1])
                    flips.append(_flip((row["sector"], row["phase"]), combinations, i, row["levels"][i - 1],
                                       row["levels"][i], sorted(changed)))
        out.append({"iso3": iso3, "name": entry["name"], "rows": rows, "flips": flips})
    return out
