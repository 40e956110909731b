"""The published JSON Schemas (engine/schema.py, engine/schemas.py), checked with jsonschema."""
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from mcof.cli import main
from mcof.engine import RulesetError, load_ruleset
from mcof.engine.batch import MappingError, load_mapping
from mcof.engine.batch.mapping import BUILTIN_DIR as MAPPINGS
from mcof.engine.ruleset import BUILTIN_DIR
from mcof.engine.schema import KINDS, json_schema
from mcof.engine.yamlio import load_yaml
from tests.conftest import MINI, ROOT
from tests.test_ruleset_errors import corrupt

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def file_kind(path: Path) -> str:
    if path.name.endswith(".test.yaml"):
        return "rule_tests"
    return "rules" if path.parent.name == "rules" else path.stem


def ruleset_files():
    for directory in (BUILTIN_DIR / "2012", BUILTIN_DIR / "2021", MINI):
        yield from sorted(directory.glob("*.yaml")) + sorted(directory.glob("rules/*.yaml"))


def validator(schema: dict, ref: str | None = None):
    jsonschema.Draft202012Validator.check_schema(schema)
    if ref:   # one $defs entry of a bundle, its own $refs resolved against the bundle
        schema = {**schema, "$ref": f"#/$defs/{ref}"}
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("kind", KINDS)
def test_every_schema_is_a_valid_2020_12_schema(kind):
    schema = json_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")


def test_the_ruleset_bundle_has_a_def_per_file_kind():
    defs = json_schema("ruleset")["$defs"]
    assert {"ruleset", "sectors", "facts", "partners", "linkages", "scenarios", "readings", "modalities",
            "cross_cutting", "crosswalk", "rules", "rule_tests"} <= set(defs)


@pytest.mark.parametrize("path", list(ruleset_files()), ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.name}")
def test_each_builtin_ruleset_file_validates(path):
    errors = list(validator(json_schema("ruleset"), file_kind(path)).iter_errors(load_yaml(path)))
    assert not errors, [e.message for e in errors]


def test_the_builtin_mapping_validates():
    errors = list(validator(json_schema("mapping")).iter_errors(load_yaml(MAPPINGS / "inform.yaml")))
    assert not errors, [e.message for e in errors]


def test_the_schemas_refuse_unknown_fields_where_the_loader_does():
    rules = validator(json_schema("ruleset"), "rules")
    rule = {"id": "r", "citation": {"document": "d", "paragraph": 1}, "quote": "q",
            "when": {"fact": "phase", "includes": "during"}, "then": {"derive": {"fact": "f"}}}
    assert rules.is_valid({"rules": [rule]})
    assert not rules.is_valid({"rules": [{**rule, "wordng": "w"}]})
    assert not rules.is_valid({"rules": [{**rule, "when": {"fact": "phase", "include": "during"}}]})
    assert not rules.is_valid({"rules": [{**rule, "then": {"recomend": {}}}]})


@pytest.mark.parametrize("file,old,new,line_text,expected,hint", [
    ("rules/mini.yaml", "    wording: will require", "    wordng: will require", "wordng: will require",
     "unknown field 'wordng'", "did you mean 'wording'?"),
    ("rules/mini.yaml", "level: critical}", "level: crtical}", "level: crtical}",
     "unknown level 'crtical'", "did you mean 'critical'?"),
    ("rules/mini.yaml", "{fact: crisis_type, includes: man_made}", "{fact: crisis_type, include: man_made}",
     "include: man_made", "unknown operator 'include'", "did you mean 'includes'?"),
    ("rules/mini.yaml", "recommend: {sector: humanitarian_border_management",
     "recomend: {sector: humanitarian_border_management", "recomend:", "unknown conclusion 'recomend'",
     "did you mean 'recommend'?"),
    ("facts.yaml", "type: bool\n    meaning: m", "type: boolean\n    meaning: m", "type: boolean",
     "unknown fact type 'boolean'", "did you mean 'bool'?"),
    ("sectors.yaml", "    number: 3\n", "    numbr: 3\n", "numbr: 3", "unknown field 'numbr'", "did you mean 'number'?"),
])
def test_a_broken_field_is_located_by_file_line_and_path(mini_copy, file, old, new, line_text, expected, hint):
    corrupt(mini_copy, file, old, new)
    with pytest.raises(RulesetError) as error:
        load_ruleset(mini_copy)
    assert error.value.message == expected and error.value.hint == hint
    where = error.value.where
    assert where.startswith(f"{mini_copy / file}:") and "field " in where
    line = int(where.split(":")[1].split()[0])
    assert line_text in (mini_copy / file).read_text().splitlines()[line - 1]


def test_a_structural_error_names_the_rule_and_the_field_path(mini_copy):
    corrupt(mini_copy, "rules/mini.yaml", "    wording: will require", "    wordng: will require")
    with pytest.raises(RulesetError) as error:
        load_ruleset(mini_copy)
    assert "(rule border-during, field rules[1].wordng)" in error.value.where


def test_a_broken_mapping_field_gives_line_path_and_did_you_mean(tmp_path):
    text = (MAPPINGS / "inform.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  drought:"))
    assert lines[at + 2].strip() == "basis: policy_choice"
    lines[at + 2] = "    basis: policy_choise"
    path = tmp_path / "m.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(MappingError) as error:
        load_mapping(path)
    assert error.value.field == "thresholds.drought.basis" and error.value.row == at + 3
    assert "'policy_choice'" in error.value.hint and error.value.file == str(path)


@pytest.mark.parametrize("name", ["2012", "2021"])
def test_the_profile_schema_accepts_every_example_and_refuses_an_unknown_fact(name):
    schema = json_schema("profile", load_ruleset(name))
    check = validator(schema)
    for example in EXAMPLES:
        errors = list(check.iter_errors(load_yaml(example)))
        assert not errors, (example.name, [e.message for e in errors])
    profile = dict(load_yaml(EXAMPLES[0]))
    assert not check.is_valid({**profile, "crisis_typ": "man_made"})
    assert not check.is_valid({**profile, "crisis_type": "man-made"})
    derived = [n for n, spec in load_ruleset(name).facts.items() if spec.derived]
    assert derived and not set(derived) & set(schema["properties"])
    assert not check.is_valid({**profile, derived[0]: True})


def test_the_profile_schema_follows_the_catalogue():
    facts = json_schema("profile", load_ruleset("2012"))["properties"]
    phase = facts["phase"]["anyOf"][0]["anyOf"]
    assert phase[0]["enum"] == ["before", "during", "after"] and phase[1]["type"] == "array"
    numbers = [spec for spec in load_ruleset("2012").input_facts().values() if spec.type == "number"]
    for spec in numbers:
        value = facts[spec.name]["anyOf"][0]
        assert value.get("minimum") == spec.minimum and value.get("maximum") == spec.maximum


@pytest.mark.parametrize("name", ["2012", "2021"])
def test_assess_json_of_every_example_validates_against_the_result_schema(name):
    check = validator(json_schema("result", load_ruleset(name)))
    for example in EXAMPLES:
        for extra in ([], ["--by-linkage"]):
            result = CliRunner().invoke(main, ["assess", str(example), "--ruleset", name, "--format", "json", *extra])
            assert result.exit_code == 0, result.output
            data = json.loads(result.stdout)
            errors = list(check.iter_errors(data))
            assert not errors, (example.name, [(list(e.absolute_path), e.message) for e in errors])
            assert {"ruleset", "profile", "recommendations", "coordination"} <= set(data)


def test_the_result_schema_refuses_a_result_missing_a_contract_key():
    check = validator(json_schema("result"))
    result = CliRunner().invoke(main, ["assess", str(EXAMPLES[0]), "--format", "json"])
    data = json.loads(result.stdout)
    assert check.is_valid(data)
    assert not check.is_valid({k: v for k, v in data.items() if k != "coordination"})
    data["recommendations"][0]["level"] = "vital"
    assert not check.is_valid(data)


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="one of ruleset, profile, mapping, result"):
        json_schema("rules")
