"""A broken ruleset is reported with its file, line, rule and field, and a way to fix it."""
import pytest

from mcof.engine import RulesetError, load_ruleset


def corrupt(path, file, old, new):
    target = path / file
    text = target.read_text()
    assert old in text
    target.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("file,old,new,expected", [
    ("rules/mini.yaml", "{fact: large_cross_border_movements, is: true}",
     "{fact: large_cross_border_movement, is: true}", "did you mean 'large_cross_border_movements'"),
    ("rules/mini.yaml", "responses will require proper", "responses will need proper", "quote not found verbatim"),
    ("rules/mini.yaml", "section: Annex I, paragraph: 7}", "section: Annex I, paragraph: 9}",
     "the quote is in MC/2355 Annex I, para. 7"),
    ("rules/mini.yaml", "level: critical}", "level: crtical}", "did you mean 'critical'"),
    ("rules/mini.yaml", "sector: transport_assistance, phase: during, level: recommended",
     "sector: transport_assistance, phase: during, level: important", "wording table maps 'can also be'"),
    ("rules/mini.yaml", "recommend: {sector: humanitarian_border_management, phase: during",
     "recommend: {sector: humanitarian_border_management, phase: after", "does not require it"),
    ("rules/mini.yaml", "id: border-during", "id: derive-border-pressure", "duplicate rule id"),
    ("rules/mini.yaml", "    wording: will require", "    wordng: will require", "did you mean 'wording'"),
    ("rules/mini.yaml", "{fact: crisis_type, includes: man_made}", "{fact: crisis_type, equals: man_made}",
     "use 'includes'"),
    ("rules/mini.yaml", "derive: {fact: border_pressure}", "derive: {fact: large_cross_border_movements}",
     "is an input fact"),
    ("rules/mini.yaml", "  - id: coordinate-origin", "  - id: coordinate-origin\n   bad: [", "malformed YAML"),
    ("facts.yaml", "type: bool\n    meaning: m", "type: boolean\n    meaning: m", "did you mean 'bool'"),
    ("sectors.yaml", "To create a two-way exchange", "To create a one-way exchange", "quote not found"),
])
def test_broken_ruleset_is_reported_with_location_and_fix(mini_copy, file, old, new, expected):
    corrupt(mini_copy, file, old, new)
    with pytest.raises(RulesetError) as error:
        load_ruleset(mini_copy)
    message = str(error.value)
    assert expected in message
    assert str(mini_copy / file.split(":")[0]) in message  # names the file


def test_error_names_the_line_of_the_rule(mini_copy):
    corrupt(mini_copy, "rules/mini.yaml", "responses will require proper", "responses will need proper")
    with pytest.raises(RulesetError) as error:
        load_ruleset(mini_copy)
    lines = (mini_copy / "rules/mini.yaml").read_text().splitlines()
    line = int(str(error.value).split("mini.yaml:")[1].split()[0])
    assert lines[line - 1].strip() == "- id: border-during"
    assert "(rule border-during)" in str(error.value)


def test_missing_ruleset_directory():
    with pytest.raises(RulesetError, match="use 2012 or 2021"):
        load_ruleset("/nonexistent/ruleset")


def test_a_changed_ruleset_is_read_again(mini_copy):
    first = load_ruleset(mini_copy)
    assert load_ruleset(mini_copy) is first  # unchanged: the cached one
    corrupt(mini_copy, "sectors.yaml", "name: Transport\n", "name: Transport Assistance\n")
    assert load_ruleset(mini_copy).sector("transport_assistance").name == "Transport Assistance"
    (mini_copy / "rules" / "extra.yaml").write_text("rules: []\n")  # a new file is noticed too
    assert str(mini_copy / "rules" / "extra.yaml") in map(str, load_ruleset(mini_copy).files)
