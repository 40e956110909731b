"""Throughput of the batch path against a plain durable-rules loop, measured in one run.

    python benchmarks/bench.py [--profiles 1000000] [--loop 20000] [--chunk 100000] [--ruleset 2012]

(a) a generated sweep of PROFILES random profiles, evaluated chunk by chunk by the vectorized
    evaluator into per-(sector, phase, level) counts (memory bounded by the chunk size);
(b) the baseline: a plain loop asserting each profile into durable-rules, one session each,
    on the first LOOP profiles of the same sweep; their results must be identical;
(c) the whole `mcof batch` run on the real INFORM 2020 table joined with UN DESA migrant
    stock (191 countries), and its assessment step against the durable-rules loop over the
    same profiles.
Ratios are of throughputs measured here, now, on this machine. Peak RSS from getrusage.
"""
from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent  # the checkout: tests/data (mcof itself is imported installed)

from mcof.engine import load_ruleset
from mcof.engine.inference import durable_engine
from mcof.engine.vectorized import NO_LEVEL, Columns, evaluate


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
    """One row of generated columns back to a profile dict (for the durable-rules loop)."""
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


def sweep(ruleset, total: int, chunk: int, loop: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    counts: dict[tuple[str, str, int], int] = {}
    first = None
    start = time.perf_counter()
    done = 0
    while done < total:
        size = min(chunk, total - done)
        columns = generate(ruleset, size, rng)
        evaluation = evaluate(ruleset, columns)
        for key, ranks in evaluation.levels().items():
            for rank, count in zip(*np.unique(ranks, return_counts=True)):
                if rank != NO_LEVEL:
                    counts[key + (int(rank),)] = counts.get(key + (int(rank),), 0) + int(count)
        if first is None:
            first = (columns, evaluation)
        done += size
    vector_seconds = time.perf_counter() - start
    sweep_rss = peak_rss_mb()  # before the loop: the sweep's own peak, bounded by the chunk size

    columns, evaluation = first
    loop = min(loop, columns.size)
    profiles = [decode(ruleset, columns, row) for row in range(loop)]
    engine = durable_engine(ruleset)
    start = time.perf_counter()
    derivations = [engine.run(p) for p in profiles]
    loop_seconds = time.perf_counter() - start
    identical = sum(1 for row, d in enumerate(derivations)
                    if d.fired == evaluation.derivation(row, profiles[row]).fired)
    return {"profiles": total, "vector_per_s": total / vector_seconds, "vector_seconds": vector_seconds,
            "loop_profiles": loop, "loop_per_s": loop / loop_seconds, "identical": identical,
            "ratio": (total / vector_seconds) / (loop / loop_seconds), "entries_counted": sum(counts.values()),
            "sweep_rss_mb": sweep_rss}


def inform_pipeline(ruleset_name: str, repeats: int) -> dict:
    """The whole `mcof batch` run on the real tables, and its assessment step alone, against
    the durable-rules loop over the same profiles."""
    import tempfile

    from mcof.engine.batch.pipeline import assess_many, run_batch
    from mcof.engine.profile import normalize_profile
    data = ROOT / "tests" / "data"
    inputs = [data / "inform_risk_2020_v040.csv", data / "migrant_stock_share_undesa2024.csv"]
    ruleset = load_ruleset(ruleset_name)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        for _ in range(repeats):
            report = run_batch(inputs, "inform", ruleset_name, Path(tmp) / "out.csv")
        pipeline_seconds = (time.perf_counter() - start) / repeats
    profiles = [normalize_profile(ruleset, p.facts) for p in report.profiles if p.assessable]
    start = time.perf_counter()
    for _ in range(repeats):
        assess_many(ruleset, profiles)
    assess_seconds = (time.perf_counter() - start) / repeats
    engine = durable_engine(ruleset)
    start = time.perf_counter()
    for _ in range(repeats):
        for profile in profiles:
            engine.run(profile)
    loop_seconds = (time.perf_counter() - start) / repeats
    return {"countries": len(report.profiles), "assessed": len(profiles), "pipeline_seconds": pipeline_seconds,
            "assess_seconds": assess_seconds, "loop_seconds": loop_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--loop", type=int, default=20_000)
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument("--ruleset", default="2012")
    parser.add_argument("--seed", type=int, default=2012)
    args = parser.parse_args()
    ruleset = load_ruleset(args.ruleset)
    print(f"ruleset {ruleset.id} ({len(ruleset.rules)} rules) sha256:{ruleset.sha256[:16]}")
    inform = inform_pipeline(args.ruleset, repeats=5)
    print(f"(c) INFORM 2020 + UN DESA: {inform['countries']} countries ({inform['assessed']} with a crisis type): "
          f"whole batch run {inform['pipeline_seconds'] * 1000:,.0f} ms (read, map, assess, write 3 files); "
          f"assessment step {inform['assess_seconds'] * 1000:,.1f} ms vs durable-rules loop "
          f"{inform['loop_seconds'] * 1000:,.1f} ms = {inform['loop_seconds'] / inform['assess_seconds']:,.1f}x")
    result = sweep(ruleset, args.profiles, args.chunk, args.loop, args.seed)
    print(f"(a) vectorized sweep: {result['profiles']:,} profiles in {result['vector_seconds']:.2f} s "
          f"= {result['vector_per_s']:,.0f} profiles/s (chunks of {args.chunk:,}; peak RSS so far "
          f"{result['sweep_rss_mb']:,.0f} MB)")
    print(f"(b) durable-rules loop: {result['loop_profiles']:,} profiles = {result['loop_per_s']:,.0f} profiles/s; "
          f"identical results on {result['identical']:,}/{result['loop_profiles']:,}")
    print(f"    ratio (a)/(b): {result['ratio']:,.0f}x")
    print(f"    peak RSS of the whole run (the loop keeps its results): {peak_rss_mb():,.0f} MB")
    if result["identical"] != result["loop_profiles"]:
        raise SystemExit("results differ between the vectorized evaluator and durable-rules")


if __name__ == "__main__":
    main()
