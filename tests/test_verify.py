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


def test_a_changed_crosswalk_link_is_reported_on_the_2021_recommendations_it_carried(tmp_path):
    import yaml
    shutil.copytree(ROOT / "rulesets", tmp_path / "rulesets")
    ruleset = tmp_path / "rulesets" / "2021"
    out = saved(tmp_path, str(ROOT / "examples" / "libya-2011.yaml"), "--ruleset", str(ruleset))
    before = json.loads(out.read_text())
    carried = sorted({(r["sector"], r["phase"]) for r in before["recommendations"]
                      if any(j["rule"].endswith("--xw-transport-movement") for j in r["justifications"])})
    assert carried, "the Libya profile carries 2012 transport rules onto movement_assistance"
    crosswalk = ruleset / "crosswalk.yaml"
    data = yaml.safe_load(crosswalk.read_text())
    link = next(link for link in data["links"] if link["id"] == "xw-transport-movement")
    text = crosswalk.read_text()
    crosswalk.write_text(text.replace("    from: transport_assistance\n    to: [{sector: movement_assistance}]",
                                      "    from: transport_assistance\n    to: [{sector: shelter_settlements}]", 1))
    assert link["to"] == [{"sector": "movement_assistance"}] and crosswalk.read_text() != text
    result = run("verify", str(out), "--ruleset", str(ruleset), "--format", "json")
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["ruleset_changed"] and not report["reproduces"]
    moved = {(d["target"], d["phase"]) for d in report["differences"]}
    assert set(carried) <= moved and any(s == "shelter_settlements" for s, _ in moved)
    lost = {rule for d in report["differences"] for rule in d["rules_lost"]}
    gained = {rule for d in report["differences"] if d["target"] == "shelter_settlements" for rule in d["rules_gained"]}
    assert lost and lost == gained and all(rule.endswith("--xw-transport-movement") for rule in lost)


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
    assert result.exit_code == 1 and result.stderr.startswith("Error:") and "not an mcof assessment or batch result" in result.stderr
    bad.write_text("{nope")
    result = run("verify", str(bad))
    assert result.exit_code == 1 and "malformed JSON" in result.stderr and "x.json:1" in result.stderr


def test_a_batch_reproduces_from_its_recorded_inputs_mapping_and_thresholds(tmp_path):
    from tests.batch.batchdata import DATA
    out = tmp_path / "batch.json"
    inputs = [str(DATA / "inform_risk_2020_v040.csv"), str(DATA / "migrant_stock_share_undesa2024.csv")]
    assert run("batch", *inputs, "-t", "drought=6", "--output", str(out)).exit_code == 0
    result = run("verify", str(out))
    assert result.exit_code == 0 and "reproduces" in result.stdout and "re-read and re-run" in result.stdout
    record = json.loads(out.read_text())
    row = next(r for r in record["long"] if r.get("sector") and r["level"] == "critical")
    row["level"] = "recommended"  # a tampered (or stale) result
    out.write_text(json.dumps(record))
    result = run("verify", str(out), "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and not report["reproduces"] and report["kind"] == "batch"
    (difference,) = report["differences"]
    assert difference["kind"] == row["iso3"] and difference["recorded"]["level"] == "recommended"
    assert difference["now"]["level"] == "critical"
