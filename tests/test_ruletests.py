"""`mcof rules test`: a ruleset's own cases, runnable without pytest (engine/ruletests.py)."""
import json

from click.testing import CliRunner

from mcof import load_ruleset
from mcof.cli import main
from mcof.engine.ruletests import load_cases, run_tests


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_json_reports_every_case_with_file_and_line():
    result = run("rules", "test", "--ruleset", "2012", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    cases = load_cases(load_ruleset("2012"))
    assert data["passed"] == len(cases) and data["failed"] == 0 and len(data["cases"]) == len(cases)
    for case in data["cases"]:
        assert case["file"].endswith(".test.yaml") and isinstance(case["line"], int)
    first = data["cases"][0]
    lines = open(first["file"], encoding="utf-8").read().splitlines()
    assert "{" in lines[first["line"] - 1]  # the line holds the profile itself


def test_a_broken_rule_fails_its_cases_with_a_non_zero_exit(tmp_path):
    import shutil
    from tests.conftest import ROOT
    shutil.copytree(ROOT / "rulesets", tmp_path / "rulesets")
    rules = tmp_path / "rulesets" / "2012" / "rules" / "man_made.yaml"
    text = rules.read_text()
    broken = text.replace("{fact: many_third_country_nationals, is: true}", "{fact: many_third_country_nationals, is: false}")
    assert broken != text
    rules.write_text(broken)
    result = run("rules", "test", "--ruleset", str(tmp_path / "rulesets" / "2012"), "--failures")
    assert result.exit_code == 1 and "case(s) failed" in result.stderr
    assert "FAIL" in result.stdout and "mm-before-consular-assistance" in result.stdout
    assert "man_made.test.yaml:" in result.stdout


def test_a_rule_without_cases_is_reported_untested(mini_copy):
    (mini_copy / "rules" / "mini.test.yaml").write_text("cases: []\n")
    report = run_tests(load_ruleset(mini_copy))
    assert not report.ok and {u["rule"] for u in report.untested} >= {"border-during"}
    result = run("rules", "test", "--ruleset", str(mini_copy))
    assert result.exit_code == 1 and "UNTESTED border-during" in result.stdout


def test_a_case_naming_an_unknown_fact_fails_with_the_reason(mini_copy):
    (mini_copy / "rules" / "mini.test.yaml").write_text(
        "cases:\n  - rule: border-during\n    fires:\n      - {crisis_type: man_made, phase: during, phse: x}\n")
    result = run("rules", "test", "--ruleset", str(mini_copy), "--format", "json")
    data = json.loads(result.stdout)
    assert result.exit_code == 1 and data["failed"] == 1
    assert "bad profile" in data["cases"][0]["message"] and "phse" in data["cases"][0]["message"]
    assert data["cases"][0]["line"] == 4


def test_coverage_option():
    result = run("rules", "test", "--ruleset", "2012", "--coverage", "--failures")
    assert result.exit_code == 0 and "coverage: rules fired" in result.stdout
