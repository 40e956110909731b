"""diff, sweep, lint and coverage."""
import json

import pytest
from click.testing import CliRunner

from mcof.engine.results import CoordinationChange
from mcof.cli import main
from mcof.engine import build_profile, load_ruleset, read_profile_file
from mcof.engine.lint import lint
from mcof.engine.ruleset import BUILTIN_DIR
from mcof.engine.whatif import diff, parse_vary, sweep
from tests.conftest import MINI, ROOT
from tests.test_ruleset_errors import corrupt

BASE = {"crisis_type": "man_made", "phase": "during"}


def test_diff_names_changes_with_their_facts_and_rules(mini):
    a = build_profile(mini, BASE)
    b = build_profile(mini, dict(BASE, international_migrants_caught=True, migrant_share=50))
    result = diff(mini, a, b)
    changes = {(c.sector, c.phase): c for c in result.changes}
    border = changes[("humanitarian_border_management", "during")]
    assert border.change == "added" and border.to_level == "critical"
    assert border.rules_gained == ("border-during",)
    assert border.facts_changed == {"international_migrants_caught": ["unknown", True]}
    assert result.coordination_changes == (CoordinationChange("country_of_origin", "during", "added"),)
    # the JSON keeps its names: from/to, lists
    assert result.to_dict()["changes"][0]["to"] == "critical"
    assert result.to_dict()["coordination_changes"] == [{"partner": "country_of_origin", "phase": "during",
                                                         "change": "added"}]
    back = diff(mini, b, a)
    assert {c.change for c in back.changes} == {"removed"}


def test_diff_level_change(mini):
    a = build_profile(mini, dict(BASE, migrant_share=50))
    b = build_profile(mini, dict(BASE, migrant_share=50, large_cross_border_movements=True))
    transport = next(c for c in diff(mini, a, b).changes if c.sector == "transport_assistance")
    assert (transport.change, transport.from_level, transport.to_level) == ("level_raised", "recommended", "critical")


def test_sweep_grid(mini):
    result = sweep(mini, {"crisis_type": ["man_made"]},
                   [parse_vary(mini, "phase=before,during"), parse_vary(mini, "international_migrants_caught=true,false")])
    assert len(result["combinations"]) == 4
    border = next(r for r in result["rows"] if r["sector"] == "humanitarian_border_management")
    assert border["levels"] == [None, None, "critical", None] and border["varies"]


@pytest.mark.parametrize("ruleset_name", [n for n in ("2012", "2021") if (BUILTIN_DIR / n / "ruleset.yaml").exists()])
def test_vectorized_fact_sweep_equals_durable_rules_on_every_example(ruleset_name):
    ruleset = load_ruleset(ruleset_name)
    examples = sorted((ROOT / "examples").glob("*.yaml"))
    read = {name for rule in ruleset.rules for name in rule.facts_read()}
    yes_no = [n for n, spec in ruleset.input_facts().items() if spec.type == "bool" and n in read]
    for path in examples:
        base = build_profile(ruleset, read_profile_file(path))
        # every phase and a pair, a yes/no fact of the profile flipped, one it leaves unknown set
        flipped = next(n for n in yes_no if n in base)
        added = next(n for n in yes_no if n not in base)
        variations = [parse_vary(ruleset, "phase=before,during,after,before+after"),
                      (flipped, [True, False]), (added, [True, False])]
        vectorized = sweep(ruleset, base, variations)
        assert vectorized == sweep(ruleset, base, variations, engine="durable"), path.name
        assert any(row["varies"] for row in vectorized["rows"])


def test_sweep_rejects_bad_values(mini):
    from mcof.engine import ProfileError
    with pytest.raises(ProfileError, match="did you mean 'during'"):
        parse_vary(mini, "phase=durin")
    with pytest.raises(ProfileError, match="FACT=V1,V2"):
        parse_vary(mini, "phase")


def test_cli_diff_and_sweep(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text("crisis_type: man_made\nphase: during\n")
    out = CliRunner().invoke(main, ["diff", str(a), "--ruleset", str(MINI), "--set", "international_migrants_caught=true"])
    assert out.exit_code == 0 and "+ 2. Border (during): added, — → critical" in out.stdout
    assert "because: international_migrants_caught unknown → true" in out.stdout
    out = CliRunner().invoke(main, ["sweep", str(a), "--ruleset", str(MINI), "--vary", "large_cross_border_movements=true,false",
                                    "--format", "json"])
    assert out.exit_code == 0 and json.loads(out.stdout)["vary"] == ["large_cross_border_movements"]


@pytest.mark.parametrize("name", [n for n in ("2012", "2021") if (BUILTIN_DIR / n / "ruleset.yaml").exists()])
def test_builtin_rulesets_lint_clean(name):
    _, findings = lint(name)
    errors = [f for f in findings if f.severity == "error"]
    assert not errors, errors


def test_lint_finds_a_rule_that_can_never_fire(mini_copy):
    corrupt(mini_copy, "rules/mini.yaml", "        - not: {fact: migrant_share, lt: 10}",
            "        - not: {fact: migrant_share, lt: 10}\n        - {fact: migrant_share, lt: 5}")
    _, findings = lint(mini_copy)
    never = [f for f in findings if f.check == "never-fires"]
    assert len(never) == 1 and "transport-during" in never[0].message and "migrant_share" in never[0].message


def test_lint_finds_contradiction_and_untested_rules(mini_copy):
    rules = (mini_copy / "rules/mini.yaml").read_text()
    copy = rules.split("  - id: transport-during\n")[1].split("  - id:")[0]
    twin = "  - id: transport-during-twin\n" + copy.replace("level: recommended", "level: important") \
        .replace("wording: can also be", "wording: can also be\n    interpretation: test")
    (mini_copy / "rules/mini.yaml").write_text(rules + twin)
    ruleset, findings = lint(mini_copy)
    checks = {f.check for f in findings}
    assert "contradiction" in checks and "untested" in checks


def test_lint_cli_exits_non_zero_on_errors(mini_copy):
    corrupt(mini_copy, "rules/mini.yaml", "quote: responses will require", "quote: responses will perhaps require")
    result = CliRunner().invoke(main, ["rules", "lint", "--ruleset", str(mini_copy)])
    assert result.exit_code == 1 and "quote not found verbatim" in result.stdout
    assert result.stderr.startswith("Error: 1 lint error(s)")


def test_coverage_reports_rules_never_fired(tmp_path):
    example = tmp_path / "e.yaml"
    example.write_text("crisis_type: man_made\nphase: during\ninternational_migrants_caught: true\n")
    result = CliRunner().invoke(main, ["rules", "coverage", "--ruleset", str(MINI), "--examples", str(tmp_path),
                                       "--format", "json"])
    data = json.loads(result.stdout)
    assert data["profiles"] == 1  # the mini ruleset has no test files
    assert data["never_fired"] == ["transport-during"]


def test_lint_reads_the_reading_rules(mini_copy):
    """Reading rules 1-2 (a condition with no words for it), 5 (a scope word as level), 7 (departures listed)."""
    _, findings = lint(mini_copy)
    by_check = {}
    for f in findings:
        by_check.setdefault(f.check, []).append(f)
    # transport-during-critical reads border_pressure, derived from another sentence of para. 9
    assert any("transport-during-critical reads border_pressure" in f.message
               for f in by_check["condition-not-in-sentence"])
    # border-during reads it too, but its own sentence is the one border_pressure is derived from? no:
    # its quote is the clause after the "if", so only a rule whose words state no condition is flagged
    assert all(f.severity == "warning" for f in by_check["condition-not-in-sentence"])
    scope = by_check["scope-word-as-level"]
    assert scope[0].severity == "error" and "communications-chain" in scope[0].message
    assert "departure" not in by_check
    corrupt(mini_copy, "rules/mini.yaml", "    interpretation: test chain",
            "    interpretation: 'Departs from reading rule 5: the test needs it.'")
    _, findings = lint(mini_copy)
    notes = [f for f in findings if f.check == "departure"]
    assert notes and notes[0].severity == "note" and "Departs from reading rule 5: the test needs it." in notes[0].message
    assert not [f for f in findings if f.check == "scope-word-as-level"]  # a declared departure is listed, not an error


@pytest.mark.parametrize("name", ["2012", "2021"])
def test_builtin_departures_are_listed(name):
    ruleset, findings = lint(name)
    listed = {f.message.split(":")[0].removeprefix("rule ") for f in findings if f.check == "departure"}
    assert listed == {r.id for r in ruleset.rules if r.origin is None and r.departs_from}
    assert listed, "the documented departures (docs/interpretations-*.md) are listed"
