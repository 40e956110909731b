"""Published JSON Schemas: ``json_schema(kind, ruleset=None)`` for `mcof schema`.

- ``ruleset``: every ruleset file kind, one ``$defs`` entry each (engine/schemas.py);
- ``profile``: a crisis profile, built from a ruleset's fact catalogue (input facts only);
- ``mapping``: a batch mapping file (engine/mappings/*.yaml);
- ``result``: the object ``mcof assess --format json`` prints (CONTRACT.md, and the keys
  engine/assessment.py adds). The contract lets keys be added, so objects stay open there.
"""
from __future__ import annotations

from . import conditions as cond
from .model import LEVELS, LINKAGE_KINDS, FactSpec, Ruleset
from .ruleset import load_ruleset
from .schemas import BASE_ID, DIALECT, FILE_DEFS, RULESET_FILES, file_schema

KINDS = ("ruleset", "profile", "mapping", "result")


def json_schema(kind: str, ruleset: Ruleset | str | None = None) -> dict:
    """The JSON Schema of `kind` (one of KINDS). `ruleset` (a Ruleset, a built-in name or a
    directory; default 2012) decides the profile's facts and the result's slugs."""
    if kind == "ruleset":
        return {"$schema": DIALECT, "$id": BASE_ID + "ruleset.json",
                "title": "mcof ruleset files (docs/ruleset-format.md), one $defs entry per file kind",
                "$defs": {**FILE_DEFS, **{name: {"title": title, **schema}
                                          for name, (schema, title) in RULESET_FILES.items()}}}
    if kind == "mapping":
        return file_schema("mapping")
    if kind not in ("profile", "result"):
        raise ValueError(f"unknown schema kind {kind!r}: one of {', '.join(KINDS)}")
    ruleset = ruleset if isinstance(ruleset, Ruleset) else load_ruleset(ruleset or "2012")
    return profile_schema(ruleset) if kind == "profile" else result_schema(ruleset)


# ------------------------------------------------------------------------------------ profile

def fact_schema(spec: FactSpec) -> dict:
    """One input fact's values; a list fact takes one value or a list of them."""
    value: dict = {"bool": {"type": "boolean"}, "number": {"type": "number"},
                   "string": {"type": "string"}, "enum": {"enum": list(spec.values or [])}}[spec.type]
    if spec.type == "number":
        value.update({k: v for k, v in (("minimum", spec.minimum), ("maximum", spec.maximum)) if v is not None})
    schema = {"anyOf": [value, {"type": "array", "items": value}]} if spec.is_list else value
    # an explicit null is the same as leaving the fact out: unknown
    schema = {"anyOf": [schema, {"type": "null"}]}
    return {"description": " ".join(spec.meaning.split()) + (f" ({spec.source})" if spec.source else ""),
            **schema}


def profile_schema(ruleset: Ruleset) -> dict:
    facts = ruleset.input_facts()
    return {"$schema": DIALECT, "$id": BASE_ID + f"profile-{ruleset.id}.json",
            "title": f"A crisis profile for {ruleset.id}: input facts only (derived facts are set by rules)",
            "type": "object", "required": ["crisis_type", "phase"],
            "properties": {name: fact_schema(spec) for name, spec in facts.items()},
            "additionalProperties": False}


# ------------------------------------------------------------------------------------- result

def obj(required: dict, optional: dict | None = None) -> dict:
    """An open object (CONTRACT.md: more keys may be added) with these keys."""
    return {"type": "object", "required": list(required), "properties": {**required, **(optional or {})}}


STRING = {"type": "string"}
STRINGS = {"type": "array", "items": STRING}
PHASE = {"type": ["string", "null"]}


def result_defs(ruleset: Ruleset) -> dict:
    levels = {"enum": list(LEVELS)}
    justification = obj({"rule": STRING, "citation": STRING, "quote": STRING, "facts": {"type": "object"},
                         "derived_facts": STRINGS},
                        {"level": levels, "interpretation": STRING,
                         "origin": obj({"ruleset": STRING, "rule": STRING},
                                       {"sector": STRING, "crosswalk": {"type": "object"}})})
    justifications = {"type": "array", "items": {"$ref": "#/$defs/justification"}}
    condition_status = obj({"condition": STRING, "fact": STRING, "status": {"$ref": "#/$defs/status"}},
                           {"value": {}, "derived": {"type": "boolean"},
                            "derived_by": {"type": "array", "items": {"$ref": "#/$defs/rule_status"}}})
    return {
        "status": {"enum": [cond.TRUE, cond.FALSE, cond.UNKNOWN]},
        "justification": justification,
        "linkage": obj({"to": {"enum": list(ruleset.linkage_targets)}, "kind": {"enum": list(LINKAGE_KINDS)},
                        "name": STRING, "short": STRING, "citation": STRING, "quote": {"type": ["string", "null"]}},
                       {"interpretation": STRING}),
        "rule_status": obj({"rule": STRING, "level": {"enum": [*LEVELS, None]}, "phase": PHASE, "citation": STRING,
                            "quote": STRING, "status": {"$ref": "#/$defs/status"},
                            "conditions": {"type": "array", "items": condition_status}}),
        "recommendation": obj({"sector": {"enum": ruleset.sector_slugs}, "phase": STRING, "level": levels,
                               "justifications": justifications,
                               "linkages": {"type": "array", "items": {"$ref": "#/$defs/linkage"}}}),
    }


def result_schema(ruleset: Ruleset) -> dict:
    justifications = {"type": "array", "items": {"$ref": "#/$defs/justification"}}
    entries = {
        "coordination": obj({"partner": {"enum": list(ruleset.partners)}, "phase": STRING,
                             "justifications": justifications}, {"partner_name": STRING}),
        "derived_facts": obj({"fact": STRING, "value": {}, "justifications": justifications}),
        "modalities": obj({"modality": {"enum": list(ruleset.modalities)}, "phase": STRING,
                           "level": {"enum": list(LEVELS)}, "justifications": justifications}),
        "cross_cutting": obj({"issue": {"enum": list(ruleset.cross_cutting)}, "name": STRING,
                              "justifications": justifications}),
        "not_recommended": obj({"sector": STRING, "phase": STRING,
                                "rules": {"type": "array", "items": {"$ref": "#/$defs/rule_status"}},
                                "would_change_if": {"type": "array",
                                                    "items": obj({"fact": STRING, "value": {}, "level": STRING})}}),
        "by_linkage": obj({"to": STRING, "kind": {"enum": list(LINKAGE_KINDS)}, "name": STRING,
                           "recommendations": {"type": "array", "items": obj(
                               {"sector": STRING, "phase": STRING, "level": {"enum": list(LEVELS)},
                                "citation": STRING, "quote": {"type": ["string", "null"]}},
                               {"interpretation": STRING})}}),
    }
    lists = {key: {"type": "array", "items": item} for key, item in entries.items()}
    # written by assess() whatever the profile: the contract's keys, and these of assessment.py
    always = ["coordination", "derived_facts"] + [key for key in ("modalities", "cross_cutting")
                                                  if getattr(ruleset, key)]
    required = {"tool": obj({"name": {"const": "mcof"}, "version": STRING}),
                "ruleset": obj({"id": {"const": ruleset.id}, "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
                               {"title": STRING}),
                "profile": {"$ref": "#/$defs/profile"}, "unknown_facts": STRINGS,
                "recommendations": {"type": "array", "items": {"$ref": "#/$defs/recommendation"}},
                **{key: lists.pop(key) for key in always}}
    profile = {k: v for k, v in profile_schema(ruleset).items() if k not in ("$schema", "$id")}
    return {"$schema": DIALECT, "$id": BASE_ID + f"result-{ruleset.id}.json",
            "title": f"`mcof assess --format json` with {ruleset.id} (CONTRACT.md)",
            **obj(required, lists), "$defs": {**result_defs(ruleset), "profile": profile}}
