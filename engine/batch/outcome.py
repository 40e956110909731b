"""What a batch run concludes, whichever path ran it (pipeline.py's row path, columnar.py's
columnar path): the assessments of many profiles at once, each one's highest level per
sector, and what every run reports (``BatchOutcome``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..assessment import conclusions, upstream_input_facts
from ..ruleset import Ruleset
from ..vectorized import encode, evaluate
from .inputs import InputFile
from .mapping import Units


def assess_many(ruleset: Ruleset, profiles: Sequence[dict]) -> list[dict]:
    """CONTRACT-shaped results (recommendations, coordination, derived facts) for many
    validated profiles at once. Each justification also lists `input_facts`: the input
    facts behind it, through derived facts, so a batch can explain it from the indicators."""
    evaluation = evaluate(ruleset, encode(ruleset, list(profiles)))
    upstream = {rule.id: sorted(upstream_input_facts(ruleset, rule)) for rule in ruleset.rules}
    results = []
    for row, profile in enumerate(profiles):
        derivation = evaluation.derivation(row, profile)
        result = {"ruleset": ruleset.summary(), "profile": dict(profile)}
        result.update(conclusions(ruleset, derivation))
        for rec in result["recommendations"]:
            for justification in rec["justifications"]:
                justification["input_facts"] = {f: profile[f] for f in upstream[justification["rule"]] if f in profile}
        results.append(result)
    return results


def best_levels(ruleset: Ruleset, assessment: dict | None) -> dict[str, str]:
    """Sector -> the highest level an assessment recommends it at, in any phase."""
    best: dict[str, str] = {}
    for rec in (assessment or {}).get("recommendations", []):
        current = best.get(rec["sector"])
        if current is None or ruleset.level_rank(rec["level"]) < ruleset.level_rank(current):
            best[rec["sector"]] = rec["level"]
    return best


@dataclass
class BatchOutcome:
    """What every batch run reports, however it ran: the error rows, the input files, the
    units, the files written, the provenance, and the counts the summary prints."""
    ruleset: Ruleset
    error_rows: list[dict]
    units: Units
    files: list[InputFile]
    written: list[Path] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)

    @property
    def failed_rows(self) -> list[dict]:
        return [e for e in self.error_rows if e.get("severity") == "error"]

    def row_accounts(self) -> list[dict]:
        """Each input file's data rows, every one accounted for once: used (it fed a unit's
        profile), failed (an error row) or skipped (set aside, with its reason). A row with
        several problems counts once, as failed if any of them is an error."""
        accounts = []
        for f in self.files:
            failed = {e["row"] for e in self.error_rows
                      if e.get("file") == f.path and e.get("row") not in (None, "") and e.get("severity") == "error"}
            skipped = {e["row"] for e in self.error_rows
                       if e.get("file") == f.path and e.get("row") not in (None, "") and e.get("severity") == "skipped"}
            skipped -= failed
            accounts.append({"file": f.path, "rows": f.records, "used": f.records - len(failed) - len(skipped),
                             "failed": len(failed), "skipped": len(skipped)})
        return accounts
