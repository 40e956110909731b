"""What each attack of the corpus (tests/attacks.py) costs now: wall time, peak RSS and the
first `Error:` line, each case in its own `mcof` process (as a user would meet it).

    python benchmarks/attacks.py [--markdown]

Prints one row per case; the closing note of issue #13 quotes it beside the figures the
issue measured before the fixes.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from attacks import build  # noqa: E402  (the corpus lives with the tests that assert on it)


def run_case(argv: list[str]) -> tuple[float, int, int, str]:
    """Seconds, peak RSS in MB, exit status and the first Error line of `mcof ARGV`, the
    resources read for that one process (os.wait4)."""
    env = dict(os.environ, MCOF_NO_CACHE="1")
    with tempfile.TemporaryFile("w+") as stderr:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "mcof", *argv], stdout=subprocess.DEVNULL,
                                   stderr=stderr, env=env, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        stderr.seek(0)
        error = next((line for line in stderr.read().splitlines() if line.startswith("Error:")), "")
    return seconds, usage.ru_maxrss // 1024, os.waitstatus_to_exitcode(status), error


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mcof-attacks-") as scratch:
        cases = build(Path(scratch) / "corpus")
        rows = []
        for name, argv, _ in cases:
            seconds, peak_mb, status, error = run_case(argv)
            short = error.replace(scratch + "/corpus/", "").replace(str(ROOT) + "/", "")
            rows.append((name, f"{seconds:.2f} s", f"{peak_mb} MB", str(status), short[:160]))
    header = ("attack", "time", "peak RSS", "exit", "message")
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + " --- |" * len(header))
        for row in rows:
            print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    else:
        for row in rows:
            print("  ".join(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
