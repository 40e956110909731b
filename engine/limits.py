"""Every limit mcof enforces on what it reads, in one place.

Each limit names the environment variable that raises it. The defaults are generous for real
data (the shipped rulesets and the INFORM and UN DESA tables use a small fraction of each) and
stop what only a mistake or an attack produces: a few hundred bytes of YAML aliases that
expand to a billion values, a 5,000-digit number, a 1 GB cell. The README's table of limits
is generated from `LIMITS`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import McofError


@dataclass(frozen=True)
class Limit:
    env: str | None          # the variable that raises it; None for a limit of a dependency
    default: int
    unit: str
    applies_to: str

    def value(self) -> int:
        """The limit in force: the environment's, read at each use (a test or a long-lived
        server sees a change), else the default."""
        text = os.environ.get(self.env) if self.env else None
        if text is None or not text.strip():
            return self.default
        try:
            value = int(text.strip().replace("_", ""))
        except ValueError:
            value = 0
        if value <= 0:
            raise McofError(f"{self.env} must be a positive whole number, got {text!r}",
                            hint=f"unset it for the default, {self.default:,}")
        return value

    def how_to_raise(self) -> str:
        return f"raise the limit with {self.env}=N" if self.env else "a fixed limit of durable-rules"


INPUT_BYTES = Limit("MCOF_MAX_INPUT_BYTES", 512 * 1024 * 1024, "bytes",
                    "a batch input table, and what an .xlsx workbook unpacks to")
CELL_CHARS = Limit("MCOF_MAX_CELL_CHARS", 100_000, "characters",
                   "one cell of a batch input table (a longer cell fails its row, not the file)")
PROFILE_BYTES = Limit("MCOF_MAX_PROFILE_BYTES", 1_000_000, "bytes", "a crisis profile (YAML or JSON)")
YAML_NODES = Limit("MCOF_MAX_YAML_NODES", 100_000, "values",
                   "a ruleset or mapping YAML file, counted with its aliases (*name) expanded "
                   "(the largest shipped file holds 1,343)")
NUMBER_CHARS = Limit("MCOF_MAX_NUMBER_CHARS", 100, "characters", "one number in YAML or JSON")
JSON_DEPTH = Limit("MCOF_MAX_JSON_DEPTH", 64, "levels", "the nesting of a JSON profile or mcof JSON output")
DNF_ALTERNATIVES = Limit("MCOF_MAX_DNF", 64, "alternatives",
                         "one rule's condition in disjunctive normal form (`all` of n two-way `any` is 2^n)")
RULES_PER_PATTERN = Limit(None, 256, "rules",
                          "rules testing one fact value (durable-rules' BETA_LIST_LENGTH; past it, error code 108)")

LIMITS = {"input table": INPUT_BYTES, "table cell": CELL_CHARS, "profile": PROFILE_BYTES,
          "YAML file": YAML_NODES, "number": NUMBER_CHARS, "JSON nesting": JSON_DEPTH,
          "condition": DNF_ALTERNATIVES, "rules per pattern": RULES_PER_PATTERN}
