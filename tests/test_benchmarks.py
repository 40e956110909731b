"""benchmarks/: every evaluator the benchmark compares gives mcof's results, and its quick run
passes its own identical-results checks (timings are not asserted)."""
import re
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mcof.engine import build_profile, load_ruleset
from mcof.engine.inference import reference_fixed_point
from tests.conftest import ROOT
from tests.strategies import profiles
from tests.test_semantics import rulesets, write_ruleset

sys.path.insert(0, str(ROOT / "benchmarks"))
import bench  # noqa: E402
import evaluators as ev  # noqa: E402

try:
    import clips  # noqa: F401
    HAVE_CLIPS = True
except ImportError:
    HAVE_CLIPS = False


def every_evaluator(ruleset, name):
    """name -> run over a list of profiles, for each evaluator of benchmarks/evaluators.py."""
    host, retracting = ev.DurableHost(ruleset, f"host-{name}"), ev.DurableHost(ruleset, f"retract-{name}", retract=True)
    driver, chain = ev.DurableDriver(ruleset, f"driver-{name}"), ev.python_chainer(ruleset)
    runs = {"host": lambda ps: [host.run(p) for p in ps], "retracting": lambda ps: [retracting.run(p) for p in ps],
            "driver": lambda ps: [driver.run(p) for p in ps], "python": lambda ps: [chain(p) for p in ps]}
    if HAVE_CLIPS:
        runs["clips"] = ev.Clips(ruleset, batch=3).run_many   # several batches, so the reset between them counts
    return runs


_names = iter(range(10 ** 6))


# Generated rulesets cover every operator, negations, chains and cycles of derived facts.
@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(rulesets(), st.data())
def test_every_benchmarked_evaluator_agrees_on_generated_rulesets(generated, data):
    ruleset = load_ruleset(write_ruleset(*generated))
    rows = [build_profile(ruleset, data.draw(profiles(ruleset))) for _ in range(8)]
    expected = [ev.result_of(reference_fixed_point(ruleset, p)) for p in rows]
    for name, run in every_evaluator(ruleset, f"generated-{next(_names)}").items():
        assert run(rows) == expected, name


def test_a_cycle_of_derived_facts_reaches_the_fixed_point():
    derive = lambda fact, when: {"then": {"derive": {"fact": fact}}, "when": when}  # noqa: E731
    rules = [derive("d0", {"fact": "d1", "is": True}),   # needs d1, derived only after it in any one order
             derive("d1", {"fact": "d0", "is": True}),
             derive("d0", {"fact": "b0", "is": True}),
             {"when": {"all": [{"fact": "phase", "includes": "before"}, {"fact": "d0", "is": True}]},
              "then": {"recommend": {"sector": "transport_assistance", "phase": "before", "level": "critical"}}}]
    ruleset = load_ruleset(write_ruleset(["d0", "d1"], rules))
    assert not ev.is_acyclic(ev.compiled(ruleset))
    rows = [build_profile(ruleset, {"crisis_type": "health", "phase": "before", "b0": value}) for value in (True, False)]
    expected = [ev.result_of(reference_fixed_point(ruleset, p)) for p in rows]
    assert "r0#0" in expected[0][0]   # the rule whose input came later held
    for name, run in every_evaluator(ruleset, "cycle").items():
        assert run(rows) == expected, name


@pytest.mark.parametrize("name", ["2012", "2021"])
def test_producers_come_first_in_the_real_rulesets(name):
    alternatives = ev.compiled(load_ruleset(name))
    assert ev.is_acyclic(alternatives)   # the chainer needs one pass


def test_quick_run_checks_identical_results(tmp_path):
    out = tmp_path / "results.md"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick", "--output", str(out),
                           "--batch-sizes", "300"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "every identical-results check passed" in proc.stdout
    text = out.read_text()
    counts = re.findall(r"\| ([\d,]+) / ([\d,]+) \|", text)
    assert len(counts) == 2 * (8 if HAVE_CLIPS else 7)   # every evaluator, both rulesets
    assert all(same == total for same, total in counts)
    assert "| no |" not in text and "**no**" not in text and "not run" not in text
    assert "Load average" in text and "cores" in text


def test_a_difference_fails_the_run():
    ruleset = load_ruleset("2012")
    sections = {"evaluators": [{"ruleset": ruleset, "profiles": 10,
                                "rows": [{"evaluator": "x", "identical": 9}, {"evaluator": "y", "identical": None}]}],
                "sweeps": ([{"ruleset": "2012", "identical": False}, {"ruleset": "2012"}], 0.0),
                "fact_sweeps": [{"ruleset": "2021", "identical": True}]}
    assert bench.failures(sections) == ["mcof-2012: x differs on 1 profiles",
                                        "2012: the vectorized sweep differs from the per-profile path"]
