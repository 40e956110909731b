"""`mcof batch` at scale: time and peak memory of a batch of N synthetic sub-national units.

    python benchmarks/batch_scale.py                       # 1,000, 100,000 and 1,000,000 units, columnar path
    python benchmarks/batch_scale.py --rows 100000 --row-path   # also the row path (slow: ~0.5 ms a unit)

The table: INFORM 2020's 191 countries, each split into admin units keyed by an id
(``unit_id``), every hazard and vulnerability score moved by up to +-1.5 (seeded, rounded
to one decimal, kept in 0-10) so that units differ as real ones do. Each run is a fresh
process (``run_batch`` to a CSV output, as ``mcof batch --id-column unit_id`` runs it);
its wall time excludes the interpreter's start, its peak RSS is the process's
(``resource.getrusage``). The vectorized evaluation alone (``engine.vectorized``: encode and
evaluate as many profiles) is timed for the ratio the issue sets (per-row cost at most 20x
the evaluation's). Figures are noisy on a shared machine: compare them within one run.
"""
from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
INFORM = ROOT / "tests" / "data" / "inform_risk_2020_v040.csv"
MOVED = ("Earthquake", "Flood", "Tsunami", "Tropical Cyclone", "Drought", "Epidemic", "Natural",
         "Projected Conflict Risk", "Uprooted people", "Food Security", "VULNERABILITY", "INFORM RISK")

CHILD = """
import json, resource, sys, time
from mcof.engine.batch.pipeline import run_batch
start = time.perf_counter()
outcome = run_batch([sys.argv[1]], "inform", "2012", sys.argv[2], id_column="unit_id", keep_profiles=sys.argv[3] == "row")
print(json.dumps({"seconds": time.perf_counter() - start, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "units": outcome.unit_count, "failed_rows": len(outcome.failed_rows)}))
"""


def synthetic_table(path: Path, rows: int, seed: int = 11) -> Path:
    """``rows`` admin units made from the 191 INFORM countries, written in chunks."""
    records = list(csv.reader(INFORM.read_text(encoding="latin-1").splitlines()))
    head, countries = records[0], records[1:]
    moved = [head.index(c) for c in MOVED]
    rng = np.random.default_rng(seed)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["unit_id", "unit_name"] + head[2:])
        for start in range(0, rows, 50_000):
            count = min(50_000, rows - start)
            which = np.arange(start, start + count) % len(countries)
            noise = np.round(rng.uniform(-1.5, 1.5, size=(count, len(moved))), 1)
            out = []
            for k, (c, shift) in enumerate(zip(which, noise)):
                row = list(countries[c])
                for j, delta in zip(moved, shift):
                    try:
                        row[j] = f"{min(10.0, max(0.0, float(row[j]) + delta)):.1f}"
                    except ValueError:
                        pass   # a missing value ('x') stays missing
                out.append([f"{row[1]}-{start + k:07d}", f"{row[0]} unit {start + k}"] + row[2:])
            writer.writerows(out)
    return path


def run(table: Path, out: Path, path: str) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(table), str(out), path], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def vectorized_seconds(units: int) -> float:
    """encode + evaluate ``units`` profiles (the 191 real ones, repeated)."""
    from mcof.engine.batch import build_profiles, load_mapping, read_inputs
    from mcof.engine.profile import normalize_profile
    from mcof.engine.ruleset import load_ruleset
    from mcof.engine.vectorized import encode, evaluate
    ruleset, mapping = load_ruleset("2012"), load_mapping("inform")
    real = [normalize_profile(ruleset, p.facts) for p in build_profiles(read_inputs([INFORM], mapping), mapping)
            if p.assessable]
    profiles = [real[i % len(real)] for i in range(units)]
    start = time.perf_counter()
    evaluate(ruleset, encode(ruleset, profiles))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    parser.add_argument("--row-path", action="store_true", help="also run the row path (slow)")
    args = parser.parse_args()
    print(f"{'units':>9}  {'path':<8} {'seconds':>8} {'us/unit':>8} {'peak RSS MB':>11} {'x vectorized':>12}")
    with tempfile.TemporaryDirectory(prefix="mcof-scale-") as where:
        for rows in args.rows:
            table = synthetic_table(Path(where) / f"units_{rows}.csv", rows)
            evaluation = vectorized_seconds(rows)
            for path in ["columnar"] + (["row"] if args.row_path else []):
                result = run(table, Path(where) / f"out_{rows}_{path}.csv", path)
                assert result["units"] == rows and result["failed_rows"] == 0, result
                per_unit = result["seconds"] / rows
                print(f"{rows:>9,}  {path:<8} {result['seconds']:>8.2f} {per_unit * 1e6:>8.1f} "
                      f"{result['peak_rss_mb']:>11.0f} {per_unit / (evaluation / rows):>12.1f}", flush=True)
            print(f"{rows:>9,}  {'(vectorized evaluation alone)':<29} {evaluation:.3f} s, "
                  f"{rows / evaluation:,.0f} profiles/s", flush=True)


if __name__ == "__main__":
    main()
