"""`mcof verify`: a saved result re-run from its own profile and provenance."""
import json
import shutil

from click.testing import CliRunner

from mcof.cli import main
from tests.conftest import ROOT


def run(*args):
    return CliRunner().invoke(main, list(args))


def saved(tmp_path, *args):
    out = tmp_path / "result.json"
    assert run("assess", *args, "--format", "json", "--output", str(out)).exit_code == 0
    return out


def test_an_unchanged_result_reproduces(tmp_path):
    out = saved(tmp_path, str(ROOT / "examples" / "libya-2011.yaml"))
    result = run("verify", str(out), "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["reproduces"] and not report["ruleset_changed"] and report["differences"] == []
    assert report["inputs"][0]["unchanged"]


def test_a_changed_ruleset_is_named_with_the_behavioural_difference(tmp_path):
    shutil.copytree(ROOT / "rulesets", tmp_path / "rulesets")
    ruleset = tmp_path / "rulesets" / "2012"
    out = saved(tmp_path, "--ruleset", str(ruleset), "--set", "crisis_type=man_made", "--set", "phase=before",
                "--set", "many_third_country_nationals=true")
    rules = ruleset / "rules" / "man_made.yaml"
    text = rules.read_text()  # the first rule reading the fact is mm-before-consular-assistance
    rules.write_text(text.replace("{fact: many_third_country_nationals, is: true}",
                                  "{fact: many_third_country_nationals, is: false}", 1))
    result = run("verify", str(out), "--ruleset", str(ruleset))
    assert result.exit_code == 1, result.stderr
    assert "does NOT reproduce" in result.stdout and "The ruleset changed since" in result.stdout
    assert ("recommendations emergency_consular_assistance (before): important -> absent; "
            "rules lost: mm-before-consular-assistance") in result.stdout
    assert "humanitarian_border_management" not in result.stdout  # unchanged entries are not listed


def test_edited_input_file_is_reported_but_the_recorded_profile_is_rerun(tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text("crisis_type: health\nphase: during\n")
    out = saved(tmp_path, str(profile))
    profile.write_text("crisis_type: man_made\nphase: during\n")
    result = run("verify", str(out))
    assert result.exit_code == 0 and "p.yaml: changed" in result.stdout


def test_what_is_not_a_result_is_a_clean_error(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"rows": []}')
    result = run("verify", str(bad))
    assert result.exit_code == 1 and result.stderr.startswith("Error:") and "not an mcof assessment result" in result.stderr
    bad.write_text("{nope")
    result = run("verify", str(bad))
    assert result.exit_code == 1 and "not JSON" in result.stderr and "x.json:1" in result.stderr
