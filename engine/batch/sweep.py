"""Threshold sweeps: at which values of a mapping's thresholds a country's recommendations
flip. The inputs are read once; each combination of threshold values rebuilds the profiles
with those overrides and assesses the chosen countries."""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Sequence

from ..errors import McofError
from ..profile import normalize_profile
from ..ruleset import load_ruleset
from ..whatif import level_grid
from .inputs import read_inputs
from .mapping import apply_overrides, load_mapping
from .pipeline import assess_many
from .profiles import build_profiles


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
                    encoding: str | None = None) -> dict:
    ruleset = load_ruleset(ruleset_name)
    base = load_mapping(mapping_name)
    table = read_inputs(list(inputs), base, encoding=encoding)
    names = [name for name, _ in variations]
    combinations = [dict(zip(names, values)) for values in itertools.product(*(v for _, v in variations))]
    per_country: dict[str, dict] = {}
    for combination in combinations:
        mapping = apply_overrides(base, combination)
        profiles = {p.iso3: p for p in build_profiles(table, mapping)}
        for iso3 in countries:
            if iso3 not in profiles:
                raise McofError(f"country {iso3} is not in the inputs", where="--country",
                                hint="use the ISO3 code of a country in the tables")
            profile = profiles[iso3]
            levels: dict[tuple[str, str], str] = {}
            if profile.assessable:
                result = assess_many(ruleset, [normalize_profile(ruleset, profile.facts)])[0]
                levels = {(r["sector"], r["phase"]): r["level"] for r in result["recommendations"]}
            entry = per_country.setdefault(iso3, {"name": profile.name, "outcomes": [], "evidence": []})
            entry["outcomes"].append(levels)
            entry["evidence"].append([e.text for e in profile.evidence if e.kind == "fact" and e.status != "false"])
    countries_out = []
    for iso3, entry in per_country.items():
        rows = level_grid(ruleset, entry["outcomes"])
        flips = []
        for row in rows:
            for i in range(1, len(combinations)):
                if row["levels"][i] != row["levels"][i - 1]:
                    changed = set(entry["evidence"][i]) ^ set(entry["evidence"][i - 1])
                    flips.append({"sector": row["sector"], "phase": row["phase"], "from": combinations[i - 1],
                                  "to": combinations[i], "level_from": row["levels"][i - 1],
                                  "level_to": row["levels"][i], "evidence_changed": sorted(changed)})
        countries_out.append({"iso3": iso3, "name": entry["name"], "rows": rows, "flips": flips})
    return {"ruleset": ruleset.summary(), "mapping": str(mapping_name), "vary": names,
            "combinations": combinations, "countries": countries_out}
