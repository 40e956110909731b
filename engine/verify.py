"""`mcof verify FILE`: does a saved mcof JSON result still hold?

An assessment (``mcof assess --format json``) carries its profile and its provenance: the
tool version, the ruleset id and sha256, the input files with their sha256. Verifying runs
the recorded profile again under today's ruleset and compares what matters to an auditor:
each recommendation (sector, phase, level, the rules behind it) and each coordination
partner. When the result no longer reproduces, it says why: the ruleset changed (with the
behavioural difference, entry by entry, and the rules gained or lost), or nothing did and
the engine disagrees (a bug to report).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from .assessment import assess
from .errors import McofError
from .profile import normalize_profile
from .ruleset import BUILTIN_NAMES, Ruleset, load_ruleset


def ruleset_for(record: dict, given: str | None) -> Ruleset:
    """The ruleset a record names (a built-in by its id), or the one the user points to."""
    if given:
        return load_ruleset(given)
    wanted = record["ruleset"]["id"]
    for name in BUILTIN_NAMES:
        if load_ruleset(name).id == wanted:
            return load_ruleset(name)
    raise McofError(f"the result was produced by ruleset {wanted!r}, which is not built in",
                    hint="give the ruleset directory with --ruleset PATH")


def _entries(result: dict) -> dict[tuple[str, str, str | None], dict]:
    """What a verification compares: conclusions with their level and supporting rules (and,
    for levelled conclusions, each rule's own level: a rule edited to a lower level is a change
    even where the entry's level holds through another rule)."""
    out = {}
    for kind, key in (("recommendations", "sector"), ("modalities", "modality")):
        for e in result.get(kind, []):
            out[(kind, e[key], e["phase"])] = {"level": e["level"], "rules": sorted(j["rule"] for j in e["justifications"]),
                                               "rule_levels": {j["rule"]: j.get("level") for j in e["justifications"]}}
    for e in result["coordination"]:
        out[("coordination", e["partner"], e["phase"])] = {"level": None,
                                                           "rules": sorted(j["rule"] for j in e["justifications"])}
    return out


def _input_checks(record: dict) -> list[dict]:
    checks = []
    for entry in record.get("provenance", {}).get("inputs", []):
        if "sha256" not in entry:
            continue
        path = Path(entry["file"])
        now = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        checks.append({"file": entry["file"], "recorded_sha256": entry["sha256"], "current_sha256": now,
                       "unchanged": now == entry["sha256"]})
    return checks


def verify(record: dict, ruleset_path: str | None = None) -> dict:
    """Re-run a saved assessment (from its recorded profile) or batch (from its recorded
    inputs, mapping and thresholds) and compare what it concluded."""
    if "long" in record and "provenance" in record:
        return _verify_batch(record, ruleset_path)
    if "recommendations" not in record or "profile" not in record or "ruleset" not in record:
        raise McofError("not an mcof assessment or batch result (needs ruleset, profile and recommendations, "
                        "or a batch's long table and provenance)",
                        hint="verify the JSON that `mcof assess --format json` or `mcof batch -o out.json` wrote")
    ruleset = ruleset_for(record, ruleset_path)
    again = assess(ruleset, normalize_profile(ruleset, record["profile"], origin="the recorded profile"),
                   explain_absent=False).to_dict()  # compared with the recorded JSON, key by key
    return _report("assessment", ruleset, record["ruleset"], record, _differences(_entries(record), _entries(again)))


def _verify_batch(record: dict, ruleset_path: str | None) -> dict:
    from .batch.pipeline import run_batch
    recorded = record["provenance"]
    ruleset = ruleset_for({"ruleset": recorded["ruleset"]}, ruleset_path)
    settings = {**recorded["parameters"]["thresholds"], **recorded["parameters"]["parameters"]}
    overrides = {name: s["value"] for name, s in settings.items() if s.get("overridden")}
    missing = [i["file"] for i in recorded["inputs"] if not Path(i["file"]).is_file()]
    if missing:
        raise McofError(f"the batch's input tables are gone: {', '.join(missing)}",
                        hint="verify where the inputs are, or restore them")
    again = run_batch([i["file"] for i in recorded["inputs"]], recorded["parameters"]["mapping"]["file"],
                      ruleset.directory, None, overrides=overrides)
    def rows(long_rows):
        return {(r["iso3"], r["sector"], r["phase"]): {"level": r["level"] or None, "rules": sorted(_rule_list(r["rules"]))}
                for r in long_rows if r.get("sector")}
    differences = _differences(rows(record["long"]), rows(again.long_rows))
    return _report("batch", ruleset, recorded["ruleset"], record, differences)


def _rule_list(value) -> list[str]:
    """A long-table cell of rule ids, as written (a list, or text joined by '; ' or ', ')."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part.strip() for part in str(value or "").replace(";", ",").split(",") if part.strip()]


def _differences(before: dict, after: dict) -> list[dict]:
    out = []
    for key in sorted(set(before) | set(after), key=str):
        was, now = before.get(key), after.get(key)
        if was != now:
            out.append({"kind": key[0], "target": key[1], "phase": key[2], "recorded": was, "now": now,
                        "rules_gained": sorted(set(now["rules"] if now else []) - set(was["rules"] if was else [])),
                        "rules_lost": sorted(set(was["rules"] if was else []) - set(now["rules"] if now else [])),
                        "rules_changed_level": _level_changes(was, now)})
    return out


def _level_changes(was: dict | None, now: dict | None) -> list[dict]:
    """The rules behind both entries whose own level differs (the rule itself was edited)."""
    before, after = (was or {}).get("rule_levels", {}), (now or {}).get("rule_levels", {})
    return [{"rule": rule, "recorded": before[rule], "now": after[rule]}
            for rule in sorted(set(before) & set(after)) if before[rule] != after[rule]]


def _report(kind: str, ruleset: Ruleset, recorded_ruleset: dict, record: dict, differences: list[dict]) -> dict:
    return {"kind": kind, "reproduces": not differences, "ruleset": ruleset.summary(),
            "recorded_ruleset": recorded_ruleset, "ruleset_changed": recorded_ruleset["sha256"] != ruleset.sha256,
            "recorded_tool": record.get("provenance", {}).get("tool") or record.get("tool"),
            "inputs": _input_checks(record), "differences": differences}


def _level_change_text(change: dict) -> str:
    return f"{change['rule']} ({change['recorded']} -> {change['now']})"


def verify_text(report: dict) -> str:
    lines = []
    verdict = "reproduces" if report["reproduces"] else "does NOT reproduce"
    lines.append(f"The result {verdict} under ruleset {report['ruleset']['id']} sha256:{report['ruleset']['sha256']}.")
    if report["ruleset_changed"]:
        lines.append(f"The ruleset changed since: it was sha256:{report['recorded_ruleset']['sha256']}.")
    for check in report["inputs"]:
        state = "unchanged" if check["unchanged"] else "missing" if check["current_sha256"] is None else "changed"
        rerun = "the recorded profile is what was re-run" if report["kind"] == "assessment" else "re-read and re-run"
        lines.append(f"Input {check['file']}: {state} ({rerun})")
    for d in report["differences"]:
        was = (d["recorded"]["level"] or "named") if d["recorded"] else "absent"
        now = (d["now"]["level"] or "named") if d["now"] else "absent"
        lines.append(f"- {d['kind']} {d['target']} ({d['phase']}): {was} -> {now}"
                     + (f"; rules gained: {', '.join(d['rules_gained'])}" if d["rules_gained"] else "")
                     + (f"; rules lost: {', '.join(d['rules_lost'])}" if d["rules_lost"] else "")
                     + (f"; rules whose level changed: {', '.join(_level_change_text(c) for c in d['rules_changed_level'])}"
                        if d["rules_changed_level"] else ""))
    if not report["reproduces"] and not report["ruleset_changed"]:
        lines.append("Nothing in the ruleset changed: please report this as a bug.")
    return "\n".join(lines) + "\n"
