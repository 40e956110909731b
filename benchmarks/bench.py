"""mcof's speed against the alternatives, measured in one run, with identical results checked.

    python benchmarks/bench.py [--quick] [--output benchmarks/results.md]

1. Evaluators: the same rules and the same generated profiles through every evaluator in
   benchmarks/evaluators.py (durable-rules through its Host API and through its C driver,
   CLIPS, a plain Python forward chainer, mcof's durable-rules engine, reference evaluator
   and vectorized evaluator), in interleaved rounds; every evaluator's rule alternatives
   that held and facts derived must equal the reference evaluator's, profile by profile.
2. The vectorized evaluator at scale (a million profiles in chunks; its own process, for its
   peak RSS).
3. `mcof assess` wall time against `python -c pass`, run in alternation.
4. `mcof batch` (the library's `run_batch`) on synthetic tables of 1k / 100k / 1M rows,
   built by replicating the real INFORM 2020 and UN DESA rows of tests/data with new unit
   ids, each size in its own process (peak RSS). A size whose projected time or memory,
   from the size before, exceeds the budget is not run, and the report says so.
5. Threshold and fact sweeps: cost per combination, vectorized against the per-profile
   durable-rules path, whose results must be identical.

The machine is shared: figures are medians over rounds and ratios are taken within a round;
the report gives each spread and the load average. The results go to --output (Markdown,
with the machine, versions and date) and, shortened, to the terminal; the exit status is 1
when any identical-results check failed.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent   # the checkout: tests/data and examples (mcof itself is imported installed)
sys.path.insert(0, str(HERE))

import evaluators as ev  # noqa: E402 - beside this script
from batch_scale import synthetic_table  # noqa: E402 - one synthetic table for both scripts

from mcof.engine import load_ruleset  # noqa: E402
from mcof.engine.inference import durable_engine, reference_fixed_point  # noqa: E402
from mcof.engine.vectorized import Columns, encode, evaluate  # noqa: E402

DATA = ROOT / "tests" / "data"
INPUTS = [DATA / "inform_risk_2020_v040.csv", DATA / "migrant_stock_share_undesa2024.csv"]
RULESETS = ("2012", "2021")


# ---------------------------------------------------------------------------- profiles

def generate(ruleset, size: int, rng: np.random.Generator) -> Columns:
    """Random profiles as columns: each input fact unknown 30% of the time."""
    data = {}
    for name, spec in ruleset.input_facts().items():
        if spec.is_list:
            matrix = rng.random((size, len(spec.values))) < 0.4
            matrix[np.arange(size), rng.integers(0, len(spec.values), size)] = True  # never empty
            data[name] = matrix
        elif spec.type == "bool":
            data[name] = np.where(rng.random(size) < 0.3, -1, rng.integers(0, 2, size)).astype(np.int8)
        elif spec.type == "enum":
            data[name] = np.where(rng.random(size) < 0.3, -1, rng.integers(0, len(spec.values), size)).astype(np.int16)
        elif spec.type == "number":
            low = spec.minimum if spec.minimum is not None else 0
            high = spec.maximum if spec.maximum is not None else 100
            data[name] = np.where(rng.random(size) < 0.3, np.nan, rng.uniform(low, high, size))
        else:
            raise SystemExit(f"benchmark cannot generate {spec.type} fact {name}")
    return Columns(size, data)


def decode(ruleset, columns: Columns, row: int) -> dict:
    """One row of generated columns back to a validated profile dict."""
    profile = {}
    for name, spec in ruleset.input_facts().items():
        value = columns.data[name][row]
        if spec.is_list:
            profile[name] = [v for v, present in zip(spec.values, value) if present]
        elif spec.type == "bool" and value >= 0:
            profile[name] = bool(value)
        elif spec.type == "enum" and value >= 0:
            profile[name] = spec.values[value]
        elif spec.type == "number" and not np.isnan(value):
            profile[name] = float(value)
    return profile


# ---------------------------------------------------------------------------- measuring

def median_spread(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def run_process(command: list[str], timeout: float | None = None,
                memory_limit: int | None = None) -> tuple[float, int, str, str]:
    """(wall seconds, exit status, stdout, stderr) of one process; killed after ``timeout``
    seconds, and limited to ``memory_limit`` bytes of address space."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    start = time.perf_counter()
    try:
        # Without a preexec_fn, subprocess starts the child with vfork: no copy of this (large)
        # process's page tables, whose cost would be counted in the child's wall time.
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              preexec_fn=limit if memory_limit else None)
    except subprocess.TimeoutExpired as expired:
        return time.perf_counter() - start, -9, "", f"killed after {expired.timeout:,.0f} s"
    return time.perf_counter() - start, proc.returncode, proc.stdout, proc.stderr


def peak_rss_mb() -> float:
    """This process's own peak RSS. Not getrusage: a child's ru_maxrss also counts the RSS of
    the parent it was forked from (Linux records the old memory's peak at exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(kind: str, **arguments) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--worker", kind, json.dumps(arguments)]


# ---------------------------------------------------------------------------- 1. evaluators

def vectorized_results(ruleset, profiles: list[dict]) -> list:
    evaluation = evaluate(ruleset, encode(ruleset, profiles))
    return [ev.result_of(evaluation.derivation(row, profile)) for row, profile in enumerate(profiles)]


def contenders(ruleset) -> dict:
    """name -> (run over a list of profiles, what its results are checked as)."""
    tag = f"{ruleset.id}-{ruleset.sha256[:8]}"
    host = ev.DurableHost(ruleset, f"host-{tag}")
    retracting = ev.DurableHost(ruleset, f"retract-{tag}", retract=True)
    driver = ev.DurableDriver(ruleset, f"driver-{tag}")
    engine = durable_engine(ruleset)
    chain = ev.python_chainer(ruleset)
    out = {
        "durable-rules Host API, a session per profile": lambda ps: [host.run(p) for p in ps],
        "durable-rules Host API, one session, retracting": lambda ps: [retracting.run(p) for p in ps],
        "durable-rules C driver (durable_rules_engine)": lambda ps: [driver.run(p) for p in ps],
        "mcof DurableEngine (a message per fact value: the old baseline)":
            lambda ps: [ev.result_of(engine.run(p)) for p in ps],
    }
    try:
        clips = ev.Clips(ruleset)
        out["CLIPS (clipspy), batches of 1,000"] = clips.run_many
    except ImportError:
        print("clipspy is not installed (pip install clipspy, or the test extra): CLIPS left out")
    out.update({
        "plain Python forward chainer": lambda ps: [chain(p) for p in ps],
        "mcof reference evaluator": lambda ps: [ev.result_of(reference_fixed_point(ruleset, p)) for p in ps],
        "mcof vectorized, per-profile results": lambda ps: vectorized_results(ruleset, ps),
        "mcof vectorized, evaluation only": lambda ps: evaluate(ruleset, encode(ruleset, ps)),
    })
    return out


HOST_LOOPS = ("durable-rules Host API, a session per profile", "durable-rules Host API, one session, retracting")
DRIVER = "durable-rules C driver (durable_rules_engine)"
EVALUATION_ONLY = "mcof vectorized, evaluation only"


def compare_evaluators(ruleset, size: int, rounds: int, seed: int) -> dict:
    columns = generate(ruleset, size, np.random.default_rng(seed))
    profiles = [decode(ruleset, columns, row) for row in range(size)]
    expected = [ev.result_of(reference_fixed_point(ruleset, p)) for p in profiles]
    runs = contenders(ruleset)
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    identical: dict[str, int | None] = {}
    for _ in range(rounds):
        for name, run in runs.items():   # interleaved: every round runs each once, in turn
            start = time.perf_counter()
            got = run(profiles)
            seconds[name].append(time.perf_counter() - start)
            if name not in identical:
                identical[name] = None if name == EVALUATION_ONLY else sum(a == b for a, b in zip(got, expected))
    best_host = max(HOST_LOOPS, key=lambda n: size / statistics.median(seconds[n]))
    rows = []
    for name, times in seconds.items():
        speeds = [size / t for t in times]
        rows.append({"evaluator": name, "per_s": median_spread(speeds),
                     # ratios within each round, then their median: robust to the machine's drift
                     "vs_host": statistics.median(h / t for h, t in zip(seconds[best_host], times)),
                     "vs_driver": statistics.median(d / t for d, t in zip(seconds[DRIVER], times)),
                     "identical": identical[name]})
    return {"ruleset": ruleset, "profiles": size, "rounds": rounds, "best_host": best_host, "rows": rows,
            "alternatives": len(ev.compiled(ruleset))}


# ---------------------------------------------------------------------------- 2. at scale

def scale_worker(ruleset: str, profiles: int, chunk: int, seed: int) -> dict:
    rs = load_ruleset(ruleset)
    rng = np.random.default_rng(seed)
    evaluating = 0.0
    done = 0
    while done < profiles:
        size = min(chunk, profiles - done)
        columns = generate(rs, size, rng)
        start = time.perf_counter()
        evaluate(rs, columns).levels()
        evaluating += time.perf_counter() - start
        done += size
    return {"seconds": evaluating, "rss_mb": peak_rss_mb()}


def at_scale(ruleset: str, profiles: int, chunk: int, seed: int) -> dict:
    _, code, out, err = run_process(worker("scale", ruleset=ruleset, profiles=profiles, chunk=chunk, seed=seed))
    if code != 0:
        raise SystemExit(f"the vectorized worker failed:\n{err}")
    record = json.loads(out.splitlines()[-1])
    return {"ruleset": ruleset, "profiles": profiles, "chunk": chunk, "per_s": profiles / record["seconds"],
            "seconds": record["seconds"], "rss_mb": record["rss_mb"]}


# ---------------------------------------------------------------------------- 3. assess start-up

def mcof_command() -> list[str]:
    script = Path(sys.executable).with_name("mcof")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mcof"]


def assess_startup(ruleset: str, pairs: int) -> dict:
    profile = str(ROOT / "examples" / "libya-2011.yaml")
    command = mcof_command() + ["assess", profile, "--format", "json", "--ruleset", ruleset]
    baseline = [sys.executable, "-c", "pass"]
    run_process(command)   # warm: the ruleset cache is written, the files are in the page cache
    mcof_times, python_times = [], []
    for _ in range(pairs):   # in alternation, so a drift of the machine hits both
        wall, code, _, err = run_process(command)
        if code != 0:
            raise SystemExit(f"mcof assess failed:\n{err}")
        mcof_times.append(wall)
        python_times.append(run_process(baseline)[0])
    return {"ruleset": ruleset, "command": " ".join(["mcof"] + command[len(mcof_command()):]).replace(str(ROOT) + "/", ""),
            "mcof": median_spread(mcof_times), "python": median_spread(python_times),
            "ratio": median_spread([m / p for m, p in zip(mcof_times, python_times)]), "pairs": pairs}


# ---------------------------------------------------------------------------- 4. batch

def batch_worker(inputs: list[str], ruleset: str, output: str, synthetic: bool = True) -> dict:
    """`run_batch` as `mcof batch -o out.csv` runs it: the synthetic units by their id column
    through the columnar path (keep_profiles=False); the real tables by ISO3."""
    from mcof.engine.batch.pipeline import run_batch
    extra = {"id_column": "unit_id", "keep_profiles": False} if synthetic else {"keep_profiles": False}
    start = time.perf_counter()
    report = run_batch(inputs, "inform", ruleset, output, **extra)
    seconds = time.perf_counter() - start
    mode = "`--id-column unit_id`, columnar path" if synthetic else "ISO3 codes (the real tables)"
    return {"seconds": seconds, "units": report.unit_count, "assessed": report.unit_count - sum(report.not_assessed_reasons().values()),
            "mode": mode, "rss_mb": peak_rss_mb()}


def idle_worker() -> dict:
    """What a batch worker holds before any row: the imports."""
    from mcof.engine.batch.pipeline import run_batch  # noqa: F401
    load_ruleset("2012")
    return {"rss_mb": peak_rss_mb()}


def batch_run(inputs: list[Path], ruleset: str, output: Path, budget: float, memory_gb: float,
              synthetic: bool = True) -> dict:
    """One `run_batch` in its own process: its figures, or why it did not complete."""
    wall, code, out, err = run_process(
        worker("batch", inputs=[str(p) for p in inputs], ruleset=ruleset, output=str(output), synthetic=synthetic),
        timeout=budget * 1.5, memory_limit=int(memory_gb * 2 ** 30))
    if code != 0:
        why = err.strip().splitlines()[-1] if err.strip() else f"exit status {code}"
        return {"skipped": f"did not complete ({why}; after {wall:,.0f} s)"}
    return json.loads(out.splitlines()[-1])


def batch_sizes(sizes: list[int], ruleset: str, budget: float, memory_gb: float) -> list[dict]:
    """Each size in its own process. A size runs only if the one before completed and the
    projection from it (time per row; memory per row above the idle worker's) fits the budget."""
    base_mb = json.loads(run_process(worker("idle"))[2].splitlines()[-1])["rss_mb"]
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="mcof-bench-") as tmp:
        folder = Path(tmp)
        real = batch_run(INPUTS, ruleset, folder / "out-real.csv", budget, memory_gb, synthetic=False)
        for path in folder.iterdir():
            path.unlink()
        real_row = {"rows": real.get("units", 191), "real": True, **real}
        for rows in sizes:
            last = results[-1] if results else None
            if last and "skipped" in last:
                results.append({"rows": rows, "skipped": f"a smaller size ({last['rows']:,} rows) did not run"})
                continue
            if last:
                projected_s = last["seconds"] * rows / last["rows"]
                projected_gb = (base_mb + (last["rss_mb"] - base_mb) * rows / last["rows"]) / 1024
                if projected_s > budget or projected_gb > memory_gb:
                    results.append({"rows": rows, "skipped": f"projected {projected_s:,.0f} s and {projected_gb:,.1f} GB "
                                    f"from {last['rows']:,} rows: over the budget ({budget:,.0f} s, {memory_gb:,.0f} GB)"})
                    continue
            record = batch_run([synthetic_table(folder / f"units-{rows}.csv", rows)], ruleset, folder / f"out-{rows}.csv",
                               budget, memory_gb)
            for path in folder.iterdir():
                path.unlink()
            results.append({"rows": rows, **record})
    return [real_row] + results, base_mb


# ---------------------------------------------------------------------------- 5. sweeps

def sweep_costs(rounds: int, shapes: dict[str, list], durable_values: list[float]) -> list[dict]:
    from mcof.engine.batch import load_mapping, read_inputs
    from mcof.engine.batch.sweep import threshold_sweep
    inputs = [str(p) for p in INPUTS]
    reading = []
    for _ in range(max(rounds, 3)):
        start = time.perf_counter()
        table = read_inputs(inputs, load_mapping("inform"))
        reading.append(time.perf_counter() - start)
    countries = list(table.cells)
    read_s = statistics.median(reading)
    rows = []
    for ruleset in RULESETS:
        for shape, variations in shapes.items():
            combos = len(list(itertools.product(*(v for _, v in variations))))
            times = []
            for _ in range(rounds):
                start = time.perf_counter()
                threshold_sweep(inputs, "inform", ruleset, countries, variations)
                times.append(time.perf_counter() - start)
            total = statistics.median(times)
            rows.append({"ruleset": ruleset, "sweep": shape, "combinations": combos, "countries": len(countries),
                         "total": total, "per_combination": total / combos})
        # the cost of one more combination: the difference between the largest and the smallest sweep
        small, large = rows[-len(shapes)], rows[-1]
        large["marginal"] = (large["total"] - small["total"]) / (large["combinations"] - small["combinations"])
        # the per-profile durable-rules path on a few combinations, and the identical check
        variations = [("drought", durable_values)]
        start = time.perf_counter()
        durable = threshold_sweep(inputs, "inform", ruleset, countries, variations, engine="durable")
        durable_s = time.perf_counter() - start
        start = time.perf_counter()
        vectorized = threshold_sweep(inputs, "inform", ruleset, countries, variations)
        vector_s = time.perf_counter() - start
        rows.append({"ruleset": ruleset, "sweep": f"drought = {', '.join(map(str, durable_values))}",
                     "combinations": len(durable_values), "countries": len(countries),
                     "per_combination": vector_s / len(durable_values),
                     "durable_per_combination": durable_s / len(durable_values), "identical": vectorized == durable})
    return rows, read_s


def fact_sweep_cost(rounds: int) -> list[dict]:
    from mcof.engine import build_profile, read_profile_file
    from mcof.engine.whatif import parse_vary, sweep
    rows = []
    for ruleset_name in RULESETS:
        ruleset = load_ruleset(ruleset_name)
        base = build_profile(ruleset, read_profile_file(ROOT / "examples" / "libya-2011.yaml"))
        variations = [parse_vary(ruleset, "phase=before,during,after,before+during+after")] + [
            (name, [True, False]) for name in ("international_migrants_caught", "many_third_country_nationals",
                                               "large_cross_border_movements", "acute_humanitarian_needs")]
        combos = len(list(itertools.product(*(v for _, v in variations))))
        timings = {"vectorized": [], "durable": []}
        results = {}
        for _ in range(rounds):
            for engine in timings:
                start = time.perf_counter()
                results[engine] = sweep(ruleset, base, variations, engine=engine)
                timings[engine].append(time.perf_counter() - start)
        rows.append({"ruleset": ruleset_name, "combinations": combos,
                     "vectorized": statistics.median(timings["vectorized"]) / combos,
                     "durable": statistics.median(timings["durable"]) / combos,
                     "identical": results["vectorized"] == results["durable"]})
    return rows


# ---------------------------------------------------------------------------- report

def versions() -> str:
    from importlib import metadata
    names = ["durable_rules", "numpy", "pandas", "clipspy"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} not installed")
    return ", ".join(found)


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() \
        else platform.processor()
    memory = next((int(line.split()[1]) / 2 ** 20 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0
    return f"{model}, {os.cpu_count()} cores, {memory:,.0f} GiB, {platform.system()} {platform.release()}"


def commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def fmt_rate(value: float) -> str:
    return f"{value:,.0f}"


def render(args, start_load, sections: dict) -> str:
    from mcof.engine.version import __version__
    end_load = os.getloadavg()
    lines = ["# Benchmark results", "",
             f"Generated by `python benchmarks/bench.py{' --quick' if args.quick else ''}` on "
             f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; mcof {__version__} ({commit()}), Python "
             f"{platform.python_version()}, {versions()}.", "",
             f"Machine: {machine()}. Load average (1, 5, 15 min) {', '.join(f'{x:.1f}' for x in start_load)} at the "
             f"start, {', '.join(f'{x:.1f}' for x in end_load)} at the end: other processes shared the cores, so "
             "every figure is a median over rounds, every ratio is taken within a round, and the spreads "
             f"(min-max) show the noise. The whole run took {sections['elapsed']:,.0f} s.", ""]
    lines += ["## 1. Evaluators on the same rules and profiles", ""]
    for result in sections["evaluators"]:
        rs = result["ruleset"]
        lines += [f"**{rs.id}** ({len(rs.rules)} rules, {result['alternatives']} alternatives after DNF), "
                  f"{result['profiles']:,} generated profiles, {result['rounds']} interleaved rounds. Ratios: "
                  f"throughput over the best durable-rules Host loop ({result['best_host']}) and over the "
                  "C-driver loop, the fastest durable-rules loop here.", "",
                  "| evaluator | profiles/s (median) | min-max | vs best Host loop | vs C driver | identical results |",
                  "| --- | ---: | ---: | ---: | ---: | --- |"]
        for row in result["rows"]:
            median, low, high = row["per_s"]
            same = ("(checked through the row above)" if row["identical"] is None
                    else f"{row['identical']:,} / {result['profiles']:,}")
            lines.append(f"| {row['evaluator']} | {fmt_rate(median)} | {fmt_rate(low)}-{fmt_rate(high)} | "
                         f"{row['vs_host']:,.2f}x | {row['vs_driver']:,.2f}x | {same} |")
        lines.append("")
    lines += ["Identical results: per profile, the rule alternatives that held and the facts derived equal "
              "the reference evaluator's. Every durable-rules and CLIPS loop is compiled from the same "
              "normalised rules (benchmarks/evaluators.py); the Host and C-driver loops send one message per "
              "profile, mcof's DurableEngine one per fact value.", ""]
    lines += ["## 2. The vectorized evaluator at scale", "",
              "| ruleset | profiles | chunk | evaluation | profiles/s | peak RSS |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for row in sections["scale"]:
        lines.append(f"| {row['ruleset']} | {row['profiles']:,} | {row['chunk']:,} | {row['seconds']:.2f} s | "
                     f"{fmt_rate(row['per_s'])} | {row['rss_mb']:,.0f} MB |")
    lines += ["", "Evaluation only (generating the random columns is not counted); peak RSS of the whole "
              "worker process.", ""]
    lines += ["## 3. `mcof assess` start-up", "",
              "| command | wall (median) | `python -c pass` | ratio (median of pairs) | ratio min-max |",
              "| --- | ---: | ---: | ---: | ---: |"]
    for row in sections["assess"]:
        lines.append(f"| `{row['command']}` | {row['mcof'][0] * 1000:,.0f} ms | {row['python'][0] * 1000:,.0f} ms | "
                     f"**{row['ratio'][0]:.1f}x** | {row['ratio'][1]:.1f}-{row['ratio'][2]:.1f}x |")
    lines += ["", f"{sections['assess'][0]['pairs']} pairs in alternation after a warm-up run (ruleset cache "
              "written); whole-process wall time.", ""]
    lines += ["## 4. Batch cost per row (synthetic tables)", ""]
    vector_per_row = {row["ruleset"]: 1 / row["per_s"] for row in sections["scale"]}
    batch_rs = sections["batch_ruleset"]
    lines += [f"Ruleset {batch_rs}; first the real INFORM 2020 and UN DESA tables, then synthetic admin units "
              "(benchmarks/batch_scale.py's table: INFORM's countries split into units with moved scores); "
              "`run_batch` reads, maps, assesses and writes the CSV outputs as `mcof batch -o out.csv` does. Wall time of "
              f"`run_batch` alone; peak RSS of its process (an idle one, imports only: {sections['idle_mb']:,.0f} MB).", "",
              "| rows | wall | per row | peak RSS | per row vs vectorized evaluation | how ids are taken |",
              "| ---: | ---: | ---: | ---: | ---: | --- |"]
    for row in sections["batch"]:
        if "skipped" in row:
            lines.append(f"| {row['rows']:,} | not run | | | | {row['skipped']} |")
            continue
        if row.get("real"):
            row["mode"] = f"the real tables: {row['units']} countries, {row['assessed']} assessed"
        per_row = row["seconds"] / row["rows"]
        lines.append(f"| {row['rows']:,} | {row['seconds']:,.1f} s | {per_row * 1e6:,.0f} µs | {row['rss_mb']:,.0f} MB | "
                     f"{per_row / vector_per_row[batch_rs]:,.0f}x | {row['mode']} |")
    lines += ["", "`--batch-sizes`, `--batch-budget` and `--batch-memory` bound the run.", ""]
    sweeps, read_s = sections["sweeps"]
    lines += ["## 5. Sweeps", "",
              f"Threshold sweeps over every country of the real tables (`threshold_sweep`, all {sweeps[0]['countries']} "
              f"countries followed); reading the two tables is a fixed {read_s * 1000:,.0f} ms of each sweep. "
              "Per combination: the whole sweep's time over its combinations (reading included); one more "
              "combination: the difference between the larger and the smaller sweep over the difference in "
              "combinations.", "",
              "| ruleset | thresholds varied | combinations | per combination | one more combination | "
              "per-profile durable path | identical |", "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for row in sweeps:
        beyond = f"{row['marginal'] * 1000:,.2f} ms" if "marginal" in row else ""
        durable = f"{row['durable_per_combination'] * 1000:,.0f} ms" if "durable_per_combination" in row else ""
        same = ("yes" if row["identical"] else "**no**") if "identical" in row else ""
        lines.append(f"| {row['ruleset']} | {row['sweep']} | {row['combinations']:,} | {row['per_combination'] * 1000:,.2f} ms | "
                     f"{beyond} | {durable} | {same} |")
    lines += ["", "Fact sweeps (`mcof sweep PROFILE`): examples/libya-2011.yaml, phase x four yes/no facts.", "",
              "| ruleset | combinations | vectorized per combination | per-profile durable path | identical |",
              "| --- | ---: | ---: | ---: | --- |"]
    for row in sections["fact_sweeps"]:
        lines.append(f"| {row['ruleset']} | {row['combinations']} | {row['vectorized'] * 1000:,.2f} ms | "
                     f"{row['durable'] * 1000:,.2f} ms | {'yes' if row['identical'] else '**no**'} |")
    return "\n".join(lines) + "\n"


def failures(sections: dict) -> list[str]:
    found = []
    for result in sections["evaluators"]:
        for row in result["rows"]:
            if row["identical"] is not None and row["identical"] != result["profiles"]:
                found.append(f"{result['ruleset'].id}: {row['evaluator']} differs on "
                             f"{result['profiles'] - row['identical']} profiles")
    for row in sections["sweeps"][0] + sections["fact_sweeps"]:
        if row.get("identical") is False:
            found.append(f"{row['ruleset']}: the vectorized sweep differs from the per-profile path")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, one round: a smoke test of every check")
    parser.add_argument("--output", default=str(HERE / "results.md"), help="where the Markdown report goes")
    parser.add_argument("--profiles", type=int, help="profiles per evaluator (default 2,000; quick 150)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 3; quick 1)")
    parser.add_argument("--batch-sizes", help="comma-separated row counts (default 1000,100000,1000000; quick 1000)")
    parser.add_argument("--batch-budget", type=float, default=150, help="seconds a batch size may take (projected)")
    parser.add_argument("--batch-memory", type=float, default=6, help="GB a batch size may use (projected, and its limit)")
    parser.add_argument("--seed", type=int, default=2012)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.worker:
        function = {"scale": scale_worker, "batch": batch_worker, "idle": idle_worker}[args.worker]
        print(json.dumps(function(**json.loads(rest[0]))))
        return
    quick = args.quick
    size = args.profiles or (150 if quick else 2000)
    rounds = args.rounds or (1 if quick else 3)
    start_load, started = os.getloadavg(), time.perf_counter()
    sections: dict = {"evaluators": [], "scale": [], "assess": []}
    for name in RULESETS:
        ruleset = load_ruleset(name)
        print(f"[1] evaluators, {name}: {size:,} profiles x {rounds} rounds", flush=True)
        sections["evaluators"].append(compare_evaluators(ruleset, size, rounds, args.seed))
        print(f"[2] vectorized at scale, {name}", flush=True)
        sections["scale"].append(at_scale(name, 20_000 if quick else 1_000_000, 10_000 if quick else 100_000, args.seed))
        print(f"[3] mcof assess start-up, {name}", flush=True)
        sections["assess"].append(assess_startup(name, 2 if quick else 7))
    sizes = [int(s) for s in (args.batch_sizes or ("1000" if quick else "1000,100000,1000000")).split(",")]
    sections["batch_ruleset"] = "2012"
    print(f"[4] batch, {', '.join(f'{s:,}' for s in sizes)} rows", flush=True)
    sections["batch"], sections["idle_mb"] = batch_sizes(sizes, "2012", args.batch_budget, args.batch_memory)
    print("[5] sweeps", flush=True)
    tens = [3.0 + 0.5 * i for i in range(3 if quick else 10)]
    shapes = {"drought": [("drought", tens)],
              "drought x conflict_risk x many_tcn_share": [("drought", tens), ("conflict_risk", tens),
                                                            ("many_tcn_share", [2.0 * v for v in tens])]}
    sections["sweeps"] = sweep_costs(1 if quick else 3, shapes, [4.0, 5.0] if quick else [4.0, 5.0, 6.0])
    sections["fact_sweeps"] = fact_sweep_cost(1 if quick else 3)
    sections["elapsed"] = time.perf_counter() - started
    text = render(args, start_load, sections)
    from mcof.engine.outputfile import write_file
    write_file(args.output, text)
    print(text)
    problems = failures(sections)
    if problems:
        raise SystemExit("identical-results checks failed:\n" + "\n".join(problems))
    print(f"every identical-results check passed; written {args.output}")


if __name__ == "__main__":
    main()
