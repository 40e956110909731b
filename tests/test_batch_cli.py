"""`mcof batch` end to end on the real INFORM 2020 and UN DESA tables."""
import csv
import json

import pytest
from click.testing import CliRunner

from mcof.cli import main
from mcof.engine import build_profile, load_ruleset
from mcof.engine.batch.pipeline import run_batch
from mcof.engine.inference import durable_engine
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data"
INPUTS = [str(DATA / "inform_risk_2020_v040.csv"), str(DATA / "migrant_stock_share_undesa2024.csv")]


@pytest.fixture(scope="module")
def canonical(tmp_path_factory):
    out = tmp_path_factory.mktemp("batch") / "out.csv"
    result = CliRunner().invoke(main, ["batch", *INPUTS, "--mapping", "inform", "--ruleset", "2012",
                                       "--output", str(out), "--explain", "SDN"])
    return result, out


def read(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_one_result_per_country_for_all_191(canonical):
    result, out = canonical
    summary = read(out.with_name("out.summary.csv"))
    assert len(summary) == 191 and len({row["iso3"] for row in summary}) == 191
    assert {row["iso3"] for row in read(out)} == {row["iso3"] for row in summary}  # none dropped from the long table


def test_real_tables_report_their_bad_cells_without_failing(canonical):
    result, out = canonical
    errors = read(out.with_name("out.errors.csv"))
    bonaire = [e for e in errors if e["iso3"] == "BES"]
    # Bonaire's migrant shares above 100 % are reported, as skipped: BES is not in INFORM
    assert all(e["severity"] == "skipped" for e in bonaire)
    assert len([e for e in bonaire if "out of range" in e["reason"]]) == 3
    assert any("not in the primary input" in e["reason"] for e in bonaire)
    assert not [e for e in errors if e["severity"] == "error"]
    assert result.exit_code == 0, result.stderr


def test_bad_row_is_reported_good_rows_processed_and_exit_status_non_zero(tmp_path):
    text = (DATA / "inform_risk_2020_v040.csv").read_text(encoding="latin-1").splitlines()
    header = text[0].split(",")
    drought = header.index("Drought")
    row = next(i for i, line in enumerate(text) if line.split(",")[1] == "AGO")
    cells = text[row].split(",")
    cells[drought] = "high"
    text[row] = ",".join(cells)
    bad = tmp_path / "inform.csv"
    bad.write_text("\n".join(text), encoding="latin-1")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["batch", str(bad), INPUTS[1], "--output", str(out)])
    assert result.exit_code == 1 and "1 row(s) could not be used" in result.stderr
    failed = [e for e in read(out.with_name("out.errors.csv")) if e["severity"] == "error"]
    assert [(e["iso3"], e["row"], e["column"], e["value"]) for e in failed] == [("AGO", str(row + 1), "Drought", "high")]
    assert len(read(out.with_name("out.summary.csv"))) == 191  # Angola too: only its drought is unknown


def test_summary_and_explanation_start_at_indicator_values(canonical):
    result, _ = canonical
    assert "191 countries" in result.stdout and "Countries per sector" in result.stdout
    assert "not assessed (no crisis type above the mapping's thresholds)" in result.stdout
    sudan = result.stdout.split("Sudan (SDN)")[1]
    assert "Drought 6.9 >= 5.0" in sudan and "crisis_type includes slow_onset_natural" in sudan
    assert "mm-before-counter-trafficking (MC/2355 Annex I, para. 8)" in sudan


def test_long_table_rows_carry_rules_citations_and_evidence(canonical):
    _, out = canonical
    rows = [r for r in read(out) if r["iso3"] == "AFG" and r["sector"] == "counter_trafficking_protection"]
    assert rows and rows[0]["level"] == "critical"
    assert "mm-before-counter-trafficking" in rows[0]["rules"] and "para. 8" in rows[0]["citations"]
    assert "Current Highly Violent Conflict Intensity" in rows[0]["evidence"]


def test_batch_results_equal_durable_rules_for_every_country():
    report = run_batch(INPUTS, "inform", "2012", None)
    ruleset = load_ruleset("2012")
    engine = durable_engine(ruleset)
    checked = 0
    for profile, assessment in zip(report.profiles, report.assessments):
        if assessment is None:
            continue
        expected = engine.run(build_profile(ruleset, profile.facts))
        got = {j["rule"] for key in ("recommendations", "coordination", "derived_facts")
               for e in assessment[key] for j in e["justifications"]}
        assert got == set(expected.fired), profile.iso3
        checked += 1
    assert checked == sum(1 for p in report.profiles if p.assessable)


def test_thresholds_override_and_json_output(tmp_path):
    out = tmp_path / "out.json"
    strict = run_batch(INPUTS, "inform", "2012", None, overrides={"drought": 9.9})
    loose = run_batch(INPUTS, "inform", "2012", out, overrides={"drought": 1.0})
    def slow(report):
        return sum(1 for p in report.profiles if "slow_onset_natural" in p.facts.get("crisis_type", []))
    assert slow(strict) < slow(loose)
    data = json.loads(out.read_text())
    assert set(data) == {"schema_version", "provenance", "long", "summary", "errors", "errors_summary"}
    assert data["provenance"]["parameters"]["thresholds"]["drought"]["overridden"] is True


def test_batch_under_2021(tmp_path):
    if not (ROOT / "rulesets" / "2021" / "ruleset.yaml").exists():
        pytest.skip("2021 ruleset not present")
    report = run_batch(INPUTS, "inform", "2021", tmp_path / "out.xlsx")
    assert len(report.summary_rows) == 191 and (tmp_path / "out.xlsx").exists()


def test_missing_column_fails_at_once_naming_it(tmp_path):
    old = tmp_path / "inform_old.csv"
    lines = (DATA / "inform_risk_2020_v040.csv").read_text(encoding="latin-1").splitlines()
    header = lines[0].split(",")
    index = header.index("Epidemic")
    old.write_text("\n".join(",".join(c for i, c in enumerate(l.split(",")) if i != index) for l in lines),
                   encoding="latin-1")
    result = CliRunner().invoke(main, ["batch", str(old), INPUTS[1], "--output", str(tmp_path / "o.csv")])
    assert result.exit_code == 1 and "Epidemic" in result.stderr and "Traceback" not in result.stderr
    assert not list(tmp_path.glob("o*.csv"))  # nothing written


def test_progress_is_silent_when_not_a_terminal(canonical):
    result, _ = canonical
    assert "reading" not in result.stderr and "%" not in result.stderr


def test_threshold_sweep_finds_where_a_country_flips():
    from mcof.engine.batch.sweep import threshold_sweep
    result = threshold_sweep(INPUTS, "inform", "2012", ["SDN"], [("drought", [5.0, 6.0, 7.0, 8.0])])
    sudan = result["countries"][0]
    flips = [f for f in sudan["flips"] if f["sector"] == "transport_assistance"]
    # Sudan's Drought score is 6.9: slow-onset (and its planned-relocation rule) stops between 6 and 7
    assert [(f["from"]["drought"], f["to"]["drought"]) for f in flips] == [(6.0, 7.0)]
    assert any("Drought 6.9" in line for line in flips[0]["evidence_changed"])


def test_threshold_sweep_cli_errors():
    result = CliRunner().invoke(main, ["sweep", "--mapping", "inform", "--data", INPUTS[0], "--data", INPUTS[1],
                                       "--country", "XXX", "--vary", "drought=5,6"])
    assert result.exit_code == 1 and "unknown country 'XXX'" in result.stderr  # not a country at all
    result = CliRunner().invoke(main, ["sweep", "--mapping", "inform", "--data", INPUTS[0], "--data", INPUTS[1],
                                       "--country", "Antarctica", "--vary", "drought=5,6"])
    assert result.exit_code == 1 and "country ATA is not in the inputs" in result.stderr
    result = CliRunner().invoke(main, ["sweep", "--mapping", "inform", "--data", INPUTS[0], "--data", INPUTS[1],
                                       "--country", "SDN", "--vary", "drougt=5,6"])
    assert result.exit_code == 1 and "did you mean 'drought'" in result.stderr


def test_why_a_country_was_not_assessed():
    report = run_batch(INPUTS, "inform", "2012", None)
    switzerland = next(p for p in report.profiles if p.iso3 == "CHE")
    assert switzerland.facts["crisis_type"] == []
    assert report.not_assessed["CHE"] == "no crisis type above the mapping's thresholds"
    assert len(report.not_assessed) == sum(1 for a in report.assessments if a is None)
