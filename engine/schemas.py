"""The JSON Schemas of the files mcof reads: every ruleset file kind, and batch mapping files.

They are built here from Python dicts rather than kept as engine/schemas/*.json so that the
vocabulary the loader checks (levels, fact types, conclusion kinds, operators, linkage kinds,
a mapping's threshold bases ...) is written once: the schemas take it from engine/model.py
and engine/conditions.py, and cannot drift from what the loader accepts. They are published
as data all the same: ``engine.schema.json_schema`` returns them, ``mcof schema`` prints them.

A schema states structure only: which fields a file has, their types, the fixed values. What
needs more than one file (a cited paragraph exists, a quote is verbatim in it, a rule names a
declared fact, a level matches the wording) is checked afterwards (engine/loader_semantics.py,
engine/loader_rules.py, engine/crosswalk.py). ``additionalProperties: false`` stands wherever
the loader refuses unknown fields; the top level of the list files (sectors.yaml, facts.yaml,
...) stays open, as the loader has always left it.

Four annotations, ignored by validators, phrase the errors (engine/structure.py):
``x-unknown`` names what an unknown key or value is ("operator", "level"); ``x-message``
replaces the message of any error of that schema, ``x-messages`` does so per keyword, and
``x-hint`` gives the fix.
"""
from __future__ import annotations

from . import conditions as cond
from .model import CONCLUSION_KINDS, FACT_TYPES, LEVELS, LINKAGE_KINDS, RULE_ID

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_ID = "https://github.com/iom-mcof/mcof/schemas/"   # an identifier, not a download address

TEXT = {"type": "string", "pattern": r"\S"}              # non-empty text
SCALAR = {"type": ["string", "number", "boolean"]}


def strict(required: list[str], optional: dict | None = None, **properties) -> dict:
    """An object with exactly these fields: `required` ones (of the schemas given in
    `properties`, text by default) and `optional` ones."""
    props = {name: properties.get(name, TEXT) for name in required}
    props.update(optional or {})
    return {"type": "object", "required": required, "properties": props, "additionalProperties": False}


def listing(key: str, item: dict, *, required: bool = False) -> dict:
    """A file whose content is one list under `key` (top level left open)."""
    schema = {"type": "object", "properties": {key: {"type": ["array", "null"], "items": item}}}
    if required:
        schema["required"] = [key]
    return schema


CITATION = {"$ref": "#/$defs/citation"}
SPAN = {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "integer"},
        "x-message": "'paragraphs' must be [first, last]"}

COMMON_DEFS = {
    "citation": strict(["document", "paragraph"], {"section": {"type": "string"}},
                       document=TEXT, paragraph={"type": "integer", "minimum": 0}),
}

# ---------------------------------------------------------------------------- ruleset files

RULESET_HEAD = strict(
    ["id", "title", "documents", "levels", "wording"],
    {"description": {"type": "string"},
     "inherits": strict(["ruleset", "crosswalk"])},
    documents={"type": "object", "minProperties": 1,
               "additionalProperties": {"type": "object", "required": ["file"],
                                        "properties": {"file": TEXT, "title": {"type": "string"}}}},
    levels={"const": list(LEVELS),
            "x-message": f"levels must be [{', '.join(LEVELS)}] (Annex I para. 3)"},
    wording={"type": "array", "minItems": 1,
             "x-messages": {"type": "'wording' must be a list of {words, level, why}",
                            "minItems": "'wording' must be a list of {words, level, why}"},
             "items": strict(["words", "level", "why"],
                             words={"type": "array", "items": {"type": "string"},
                                    "x-message": "'words' must be a list of phrases"},
                             level={"enum": list(LEVELS), "x-unknown": "level"})},
)

LINKAGE = strict(["to", "citation"], {"quote": TEXT, "interpretation": TEXT}, citation=CITATION)
SECTORS = listing("sectors", strict(
    ["slug", "number", "name", "objective", "citation"],
    {"linkages": {"type": "array", "items": LINKAGE,
                  "x-messages": {"type": "'linkages' must be a list of {to, citation, quote | interpretation}"}}},
    number={"type": "integer"}, citation=CITATION))

FACTS = listing("facts", {
    **strict(["name", "type", "meaning", "source"],
             {"values": {"type": "array", "items": SCALAR}, "list": {"type": "boolean"},
              "derived": {"type": "boolean"}, "min": {"type": "number"}, "max": {"type": "number"},
              "quote": TEXT},
             type={"enum": list(FACT_TYPES), "x-unknown": "fact type"}, source=CITATION),
    "allOf": [
        {"if": {"properties": {"type": {"const": "enum"}}, "required": ["type"]},
         "then": {"required": ["values"], "x-message": "an enum fact needs 'values' (a list)"}},
        # A derived fact is asserted when its rules hold and is otherwise not established:
        # a flag, never a quantity.
        {"if": {"properties": {"derived": {"const": True}}, "required": ["derived"]},
         "then": {"properties": {"type": {"const": "bool", "x-message": "a derived fact must have type bool"}}}},
    ],
})

CATALOGUE_ENTRY = {**strict(["slug", "name"], {"citation": CITATION, "quote": TEXT}),
                   "dependentRequired": {"quote": ["citation"]},
                   "x-messages": {"dependentRequired": "a quote needs a citation"}}

LINKAGE_TARGETS = listing("linkages", strict(
    ["slug", "kind", "name", "short", "citation"], {"quote": TEXT},
    kind={"enum": list(LINKAGE_KINDS), "x-unknown": "linkage kind"}, citation=CITATION))

SCENARIOS = listing("scenarios", strict(["crisis_type", "name", "paragraphs", "citation", "quote"],
                                        paragraphs=SPAN, citation=CITATION))

READINGS = strict(
    ["scope"],
    {"unencoded": {"type": ["array", "null"],
                   "items": strict(["citation", "quote", "reason"], citation=CITATION)}},
    scope={"type": ["array", "null"],
           "items": strict(["document", "paragraphs"], {"section": {"type": "string"}}, paragraphs=SPAN)})

TO_ENTRY = {"type": "object", "minProperties": 1, "maxProperties": 1, "x-unknown": "target kind",
            "properties": {"sector": TEXT, "modality": TEXT, "cross_cutting": TEXT},
            "additionalProperties": False}
TO_ENTRY["x-messages"] = {k: "each 'to' entry is one of {sector: S}, {modality: M}, {cross_cutting: C}"
                          for k in ("type", "minProperties", "maxProperties")}
CROSSWALK = listing("links", strict(
    ["id", "from", "to", "relation", "citation", "quote"],
    {"interpretation": TEXT, "note": {"type": "string"},
     "rules": {"type": "array", "minItems": 1, "items": {"type": "string"},
               "x-message": "'rules' must be a non-empty list of rule ids"}},
    to={"type": ["array", "null"], "items": TO_ENTRY}, citation=CITATION))

NUMBER = {"type": "number"}
OPERANDS = {"is": {"type": "boolean"}, "equals": SCALAR, "not_equals": SCALAR,
            "in": {"type": "array", "minItems": 1, "items": SCALAR},
            "not_in": {"type": "array", "minItems": 1, "items": SCALAR},
            "includes": SCALAR, "gt": NUMBER, "gte": NUMBER, "lt": NUMBER, "lte": NUMBER}
assert set(OPERANDS) == set(cond.WRITABLE_OPERATORS), "every operator a rule may write has a schema"
# One leaf ({fact, operator}) or one combinator; which combinations are allowed (exactly one
# operator beside `fact`, one combinator) is the loader's, with its own messages.
CONDITION = {
    "type": "object", "minProperties": 1, "additionalProperties": False, "x-unknown": "operator",
    "x-messages": {"type": "a condition is a mapping: {fact: F, <operator>: V}, {all: [...]}, "
                           "{any: [...]} or {not: ...}"},
    "properties": {"fact": TEXT,
                   "all": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}},
                   "any": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}},
                   "not": {"$ref": "#/$defs/condition"}, **OPERANDS},
}
LEVEL = {"enum": list(LEVELS), "x-unknown": "level"}
CONCLUSIONS = {
    "recommend": strict(["sector", "phase", "level"], level=LEVEL),
    "derive": strict(["fact"], {"value": {"const": True, "x-message": "then.derive: a derived fact is asserted as true",
                                                    "x-hint": "derive another fact for the opposite case"}}),
    "coordinate": strict(["partner", "phase"]),
    "modality": strict(["modality", "phase", "level"], level=LEVEL),
    "cross_cutting": strict(["issue"]),
}
assert tuple(CONCLUSIONS) == CONCLUSION_KINDS
THEN = {"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
        "x-unknown": "conclusion", "properties": CONCLUSIONS}
THEN["x-messages"] = {k: f"'then' must have exactly one conclusion: one of {', '.join(CONCLUSION_KINDS)}"
                      for k in ("type", "minProperties", "maxProperties")}
RULE = strict(["id", "citation", "quote", "when", "then"],
              {"wording": TEXT, "interpretation": TEXT, "note": {"type": "string"}},
              id={"type": "string", "pattern": RULE_ID.pattern,
                  "x-message": "rule id must be lower-case letters, digits and dashes"},
              citation=CITATION, when={"$ref": "#/$defs/condition"}, then=THEN)
RULES = strict(["rules"], {"description": {"type": "string"}},
               rules={"type": ["array", "null"], "items": RULE})

# A case is a crisis profile; `mcof rules test` reports a bad one as a failed case (with the
# profile's own error), so the file's structure stops at the list.
CASE = {"description": "a crisis profile (see the ruleset's profile schema)"}
CASE_RULE = "each case entry names its 'rule'"
CASES_FILE = "a test file holds 'cases:', a list of {rule, fires, does_not_fire}"
RULE_TESTS = {"type": "object", "required": ["cases"],
              "x-messages": {"required": CASES_FILE, "type": CASES_FILE},
              "properties": {"cases": {
                  "type": "array",
                  "x-messages": {"type": CASES_FILE},
                  "items": {**strict(["rule"], {"fires": {"type": ["array", "null"], "items": CASE},
                                                "does_not_fire": {"type": ["array", "null"], "items": CASE}},
                                     rule={"type": "string", "x-message": CASE_RULE}),
                            "x-messages": {"required": CASE_RULE, "type": CASE_RULE}}}}}

# file kind -> (its schema, a title); the file names are those of docs/ruleset-format.md
RULESET_FILES: dict[str, tuple[dict, str]] = {
    "ruleset": (RULESET_HEAD, "ruleset.yaml: id, documents, levels and the wording -> level table"),
    "sectors": (SECTORS, "sectors.yaml: the sectors of assistance, each objective quoted"),
    "facts": (FACTS, "facts.yaml: the fact catalogue"),
    "partners": (listing("partners", CATALOGUE_ENTRY), "partners.yaml: coordination partners"),
    "linkages": (LINKAGE_TARGETS, "linkages.yaml: the systems, clusters and groups sectors link to"),
    "scenarios": (SCENARIOS, "scenarios.yaml: Annex I's generic scenarios"),
    "readings": (READINGS, "readings.yaml: the reading scope and the sentences no rule encodes"),
    "modalities": (listing("modalities", CATALOGUE_ENTRY), "modalities.yaml: operating modalities (2021)"),
    "cross_cutting": (listing("cross_cutting", CATALOGUE_ENTRY), "cross_cutting.yaml: cross-cutting issues (2021)"),
    "crosswalk": (CROSSWALK, "crosswalk.yaml: how the parent ruleset's sectors map onto this one's"),
    "rules": (RULES, "rules/<name>.yaml: rules"),
    "rule_tests": (RULE_TESTS, "rules/<name>.test.yaml: cases each rule must and must not fire on"),
}
FILE_DEFS = {**COMMON_DEFS, "condition": CONDITION}

# ---------------------------------------------------------------------------- batch mappings

MAPPING_BASES = ("source", "policy_choice")
INDICATOR_TYPES = ("number", "flag", "text")
COLUMN = {"anyOf": [TEXT, {"type": "array", "minItems": 1, "items": TEXT},
                    strict(["column"], column={"anyOf": [TEXT, {"type": "array", "minItems": 1, "items": TEXT}]})],
          "x-message": "a column is a header name, an HXL tag (#...), or a list of alternatives"}
TEXTS = {"type": "array", "items": {"type": ["string", "number", "boolean"]}}


def named(item: dict, **extra) -> dict:
    """A mapping of name -> item (thresholds, inputs, facts ...)."""
    return {"type": ["object", "null"], "additionalProperties": item, **extra}


THRESHOLD = {
    **strict(["value", "basis"], {"source": {"type": "string"}, "why": {"type": "string"},
                                  "unit": {"type": "string"}, "indicator": {"type": "string"}},
             value=NUMBER, basis={"enum": list(MAPPING_BASES), "x-unknown": "basis"}),
    "allOf": [
        {"if": {"properties": {"basis": {"const": "source"}}, "required": ["basis"]},
         "then": {"required": ["source"], "properties": {"source": TEXT},
                  "x-message": "a threshold with basis 'source' must state its source"}},
        {"if": {"properties": {"basis": {"const": "policy_choice"}}, "required": ["basis"]},
         "then": {"required": ["why"], "properties": {"why": TEXT},
                  "x-message": "a policy-choice threshold must say why ('why:')"}},
    ],
}
PARAMETER = strict(["value"], {"choices": TEXTS, "basis": {"type": "string"}, "source": {"type": "string"},
                               "why": {"type": "string"}},
                   value={"type": ["string", "array"]})
INDICATOR = {
    **strict(["column"], {
        "type": {"enum": list(INDICATOR_TYPES), "x-unknown": "indicator type"},
        "range": {"type": "array", "minItems": 2, "maxItems": 2, "items": NUMBER, "x-message": "range is [min, max]"},
        "true_values": TEXTS, "false_values": TEXTS, "blank": {}, "blank_why": TEXT,
        "meaning": {"type": "string"}, "optional": {"type": "boolean"}, "unit": {"type": "string"}},
        column=COLUMN),
    "dependentRequired": {"blank": ["blank_why"]},
    "x-messages": {"dependentRequired": "say why a blank cell has a meaning ('blank_why:')"},
}
# A release of an input recognised by its columns (docs/batch.md, "Vintages").
VINTAGE = strict(["title"], {
    "has": {"type": "array", "items": TEXT}, "lacks": {"type": "array", "items": TEXT},
    "absent": {"type": "array", "items": TEXT, "x-message": "absent lists the indicators this release lacks"},
    "columns": {"type": "object", "additionalProperties": {
        "anyOf": [COLUMN, strict(["max_of"], {"why": {"type": "string"}},
                                 max_of={"type": "array", "minItems": 2, "items": COLUMN})],
        "x-message": "a vintage's column is a column (name, HXL tag, alternatives) or {max_of: [columns]}"}},
    "why": {"type": "string"}})
INPUT = strict(["indicators"], {
    "title": {"type": "string"}, "source": {"type": "string"},
    "shape": {"enum": ["wide", "long"], "x-unknown": "shape"},
    "primary": {"type": "boolean"}, "required": {"type": "boolean"},
    "iso3": COLUMN, "name": COLUMN, "year": COLUMN, "id": COLUMN, "vintages": named(VINTAGE),
    "take": {"const": "latest_with_value", "x-message": "only 'latest_with_value' is supported"},
    "skip": {"type": ["object", "null"], "additionalProperties": False,
             "properties": {"empty_iso3": {"type": "boolean"}, "iso3_prefixes": TEXTS, "reason": {"type": "string"}}}},
    indicators=named(INDICATOR))
# A mapping's conditions name indicators, thresholds and facts declared elsewhere in the file:
# engine/batch/mapping.py checks them, with messages that name what is declared.
MAPPING_CONDITION = {"type": "object"}
MAPPING_FACT = strict(["type"], {"when": MAPPING_CONDITION, "parameter": {"type": "string"},
                                 "why": {"type": "string"}, "empty": {"type": "string"},
                                 "members": {"type": "object",
                                             "additionalProperties": strict(["when"], {"why": {"type": "string"}},
                                                                            when=MAPPING_CONDITION)}},
                      type={"type": "string"})
CONTEXT = strict(["indicator", "bands", "otherwise"], {"why": {"type": "string"}},
                 bands={"type": ["array", "null"],
                        "items": strict(["gte", "label"], label={"type": ["string", "number"]})},
                 otherwise={"type": ["string", "number"]})
MAPPING = strict(
    ["mapping", "inputs", "facts"],
    {"version": {"type": ["integer", "string"]}, "title": {"type": "string"}, "description": {"type": "string"},
     "notes": {}, "parameters": named(PARAMETER), "thresholds": named(THRESHOLD), "context": named(CONTEXT),
     "missing_values": {"type": "array", "items": {"type": "string"}, "x-message": "must be a list of texts"}},
    inputs=named(INPUT, minProperties=1,
                 **{"x-messages": {"minProperties": "a mapping needs at least one input"}}),
    facts=named(MAPPING_FACT))


def file_schema(kind: str) -> dict:
    """The standalone schema of one file kind (a key of RULESET_FILES, or "mapping")."""
    if kind == "mapping":
        return {"$schema": DIALECT, "$id": BASE_ID + "mapping.json",
                "title": "mcof batch mapping (engine/mappings/*.yaml)", **MAPPING}
    schema, title = RULESET_FILES[kind]
    return {"$schema": DIALECT, "$id": BASE_ID + f"{kind}.json", "title": title, **schema, "$defs": FILE_DEFS}
