"""benchmarks/serve_load.py --quick, as a smoke test: a few seconds of load on a real server,
in the server's process and in engine processes; no error, and the answers are the CLI's.
Timings are not asserted (the machine is shared)."""
import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from mcof import build_profile, load_ruleset
from mcof.cli import main
from mcof.web.query import assignments, canonical

ROOT = Path(__file__).resolve().parents[2]
EPOCH = "1764547200"


def test_serve_load_quick_has_no_errors_and_answers_as_the_cli(tmp_path, monkeypatch):
    report, samples = tmp_path / "serve-load.md", tmp_path / "samples.json"
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "serve_load.py"), "--quick", "--json",
                          "--report", str(report), "--samples", str(samples)],
                         capture_output=True, text=True, timeout=120, env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH})
    assert run.returncode == 0, run.stderr[-3000:]
    runs = json.loads(run.stdout)["runs"]
    assert [r["engine_processes"] for r in runs] == [0, 2]
    assert all(r["requests"] > 0 and r["errors"] == 0 for r in runs)
    assert "| errors | 0 | 0 |" in report.read_text(encoding="utf-8")
    kept = json.loads(samples.read_text(encoding="utf-8"))
    assert {s["engine_processes"] for s in kept} == {0, 2} and {s["ruleset"] for s in kept} == {"2012", "2021"}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    for sample in kept:
        rules = load_ruleset(sample["ruleset"])
        args = ["assess", "--ruleset", sample["ruleset"], "--format", "json"]
        for assignment in assignments(rules, canonical(rules, build_profile(rules, sample["profile"]))):
            args += ["--set", assignment]
        cli = CliRunner().invoke(main, args)
        assert cli.exit_code == 0, cli.output
        assert sample["answer"] == cli.stdout, f"{sample['ruleset']} {sample['profile']}"
