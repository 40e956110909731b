"""A bounded load test of `mcof serve`'s /api/assess, on loopback only.

    python benchmarks/serve_load.py                      # 20 clients, 30 s: writes benchmarks/serve-load.md
    python benchmarks/serve_load.py --clients 1 --seconds 10 --report /tmp/one-client.md
    python benchmarks/serve_load.py --quick --report /tmp/smoke.md --json    # a few seconds

It starts its own server (tests/web/liveserver.py: `mcof serve` on 127.0.0.1, a free port,
records in a temporary SQLite file), then runs ``--clients`` closed-loop clients (each sends
its next request as soon as the last is answered, over one kept-alive connection) for a
warm-up and then ``--seconds``, each request a random valid profile built from the fact
catalogue of one of the two built-in rulesets. It reports the requests, the errors (any
answer but 200 with a JSON body, any connection failure), the p50 / p90 / p99 latency, the
throughput, and the server's resident memory (its processes' VmRSS) at start, after warm-up
and at the end, into a Markdown file with the machine and the date.

Nothing is sent anywhere but 127.0.0.1, and every loop stops by its deadline.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "web"))

from liveserver import HOST, LiveServer  # noqa: E402  (the server the browser tests drive, too)

from mcof.engine.outputfile import write_file  # noqa: E402
from mcof.engine.provenance import generated_at  # noqa: E402
from mcof.engine.ruleset import BUILTIN_NAMES, Ruleset, load_ruleset  # noqa: E402

DEFAULT_REPORT = ROOT / "benchmarks" / "serve-load.md"
GOAL_P50_MS, GOAL_P99_MS = 20.0, 100.0


# ------------------------------------------------------------------------------ profiles

def random_profile(ruleset: Ruleset, rng: random.Random) -> dict:
    """A valid profile of `ruleset`: one or more crisis types and phases, and each other
    input fact true, false or unknown (left out), a value of its own kind when not boolean."""
    profile = {}
    for name, spec in ruleset.input_facts().items():
        required = name in ("crisis_type", "phase")
        if not required and rng.random() < 1 / 3:
            continue  # unknown
        if spec.type == "bool":
            profile[name] = rng.random() < 0.5
        elif spec.type == "enum" and spec.is_list:
            profile[name] = rng.sample(spec.values, rng.randint(1, min(2, len(spec.values)) if name == "crisis_type"
                                       else len(spec.values)))
        elif spec.type == "enum":
            profile[name] = rng.choice(spec.values)
        else:  # a number within the catalogue's bounds
            low = spec.minimum if spec.minimum is not None else 0
            high = spec.maximum if spec.maximum is not None else low + 100
            profile[name] = round(rng.uniform(low, high), 2)
    return profile


def profile_pool(count: int, seed: int) -> list[tuple[str, dict]]:
    """`count` (ruleset, profile) pairs, the two rulesets alternating."""
    rng = random.Random(seed)
    rulesets = {name: load_ruleset(name) for name in BUILTIN_NAMES}
    names = list(rulesets)
    return [(names[i % len(names)], random_profile(rulesets[names[i % len(names)]], rng)) for i in range(count)]


# ------------------------------------------------------------------------------ clients

@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    samples: list[dict] = field(default_factory=list)

    def merge(self, other: "Tally") -> None:
        self.latencies_ms += other.latencies_ms
        self.errors += other.errors
        self.samples += other.samples


def _client(port: int, pool: list[tuple[str, dict]], seed: int, deadline: float, keep_samples: int,
            tally: Tally) -> None:
    """One closed-loop client: a request, its whole answer, the next request, until the deadline."""
    rng = random.Random(seed)
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        while time.perf_counter() < deadline:
            ruleset, profile = pool[rng.randrange(len(pool))]
            body = json.dumps(profile)
            start = time.perf_counter()
            try:
                connection.request("POST", f"/api/assess?ruleset={ruleset}", body,
                                   {"Content-Type": "application/json"})
                answer = connection.getresponse()
                data = answer.read()
            except (OSError, http.client.HTTPException) as error:
                tally.errors.append(f"{type(error).__name__}: {error}")
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=30)
                continue
            tally.latencies_ms.append((time.perf_counter() - start) * 1000)
            if answer.status != 200 or not data.startswith(b"{"):
                tally.errors.append(f"HTTP {answer.status}: {data[:200]!r}")
            elif len(tally.samples) < keep_samples:
                tally.samples.append({"ruleset": ruleset, "profile": profile, "answer": data.decode("utf-8")})
    finally:
        connection.close()


def run_clients(port: int, pool, clients: int, seconds: float, seed: int, keep_samples: int = 0) -> tuple[Tally, float]:
    """`clients` threads for `seconds`; the merged tally and the elapsed wall time."""
    tallies = [Tally() for _ in range(clients)]
    start = time.perf_counter()
    deadline = start + seconds
    threads = [threading.Thread(target=_client, args=(port, pool, seed * 1000 + i, deadline,
                                                      keep_samples if i == 0 else 0, tallies[i]), daemon=True)
               for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)  # a request in flight at the deadline is let finish (30 s timeout)
    elapsed = time.perf_counter() - start
    merged = Tally()
    for tally in tallies:
        merged.merge(tally)
    return merged, elapsed


# ------------------------------------------------------------------------------ the server's memory

def process_tree(pid: int) -> list[int]:
    """The process and its descendants (uvicorn's workers, with --workers)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                queue += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of the server's processes, in MiB (VmRSS summed; shared pages count
    once per process)."""
    total_kb = 0
    for member in process_tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            pass
    return total_kb / 1024


# ------------------------------------------------------------------------------ the report

def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(share * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def summary(tally: Tally, elapsed: float, rss: dict[str, float], options) -> dict:
    latencies = sorted(tally.latencies_ms)
    return {
        "clients": options.clients, "seconds": round(elapsed, 2), "warmup_seconds": options.warmup,
        "workers": options.workers, "requests": len(latencies) + sum(e[:4] != "HTTP" for e in tally.errors),
        "errors": len(tally.errors), "error_examples": sorted(set(tally.errors))[:5],
        "throughput_rps": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(latencies, 0.50), 2), "p90_ms": round(percentile(latencies, 0.90), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2), "max_ms": round(latencies[-1], 2) if latencies else None,
        "rss_mb": {k: round(v, 1) for k, v in rss.items()},
        "rss_growth_mb": round(rss["end"] - rss["after_warmup"], 1),
    }


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    memory = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:")), 0)
    versions = {name: metadata.version(name) for name in ("mcof", "starlette", "uvicorn", "durable-rules")}
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mib": memory, "os": platform.platform(),
            "python": platform.python_version(), "versions": versions, "load_average": os.getloadavg()}


def markdown(result: dict, info: dict, command: str) -> str:
    def goal(value: float, limit: float) -> str:
        return "met" if value <= limit else "missed"
    rss = result["rss_mb"]
    lines = [
        "# `mcof serve` under load: /api/assess", "",
        f"Generated by `{command}` on {generated_at()}. Loopback only; closed loop: each client sends "
        "its next request when the last is answered, over one kept-alive connection; every request a "
        "random valid profile of the fact catalogue, the 2012 and 2021 rulesets alternating.", "",
        "| figure | value |", "| --- | --- |",
        f"| clients | {result['clients']} |", f"| server processes (uvicorn workers) | {result['workers']} |",
        f"| measured for | {result['seconds']} s (after a {result['warmup_seconds']} s warm-up) |",
        f"| requests | {result['requests']:,} |", f"| errors | {result['errors']} |",
        f"| throughput | {result['throughput_rps']} requests/s |",
        f"| latency p50 | {result['p50_ms']} ms (goal ≤ {GOAL_P50_MS:g} ms: {goal(result['p50_ms'], GOAL_P50_MS)}) |",
        f"| latency p90 | {result['p90_ms']} ms |",
        f"| latency p99 | {result['p99_ms']} ms (goal ≤ {GOAL_P99_MS:g} ms: {goal(result['p99_ms'], GOAL_P99_MS)}) |",
        f"| latency max | {result['max_ms']} ms |",
        f"| server RSS at start / after warm-up / at the end | {rss['start']} / {rss['after_warmup']} / "
        f"{rss['end']} MiB (growth over the run: {result['rss_growth_mb']:+} MiB) |", "",
        "## Machine", "",
        f"- CPU: {info['cpu']}, {info['cores']} cores (shared: the load clients run on the same cores as "
        "the server, and other work may run on the machine; figures are noisy)",
        f"- memory: {info['memory_mib']:,} MiB; load average at start: "
        + ", ".join(f"{x:.2f}" for x in info["load_average"]),
        f"- {info['os']}, Python {info['python']}",
        "- " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()), "",
    ]
    if result["error_examples"]:
        lines += ["## Errors (first kinds)", "", *[f"- `{e}`" for e in result["error_examples"]], ""]
    return "\n".join(lines)


# ------------------------------------------------------------------------------ main

def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20, help="concurrent closed-loop clients (default 20)")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured seconds (default 30)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring (default 3)")
    parser.add_argument("--workers", type=int, default=1, help="server processes: mcof serve --workers N (default 1)")
    parser.add_argument("--quick", action="store_true", help="a smoke test: 4 clients, 2 s, 0.5 s warm-up")
    parser.add_argument("--seed", type=int, default=2012, help="random profiles' seed")
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT, help=f"Markdown report (default {DEFAULT_REPORT.relative_to(ROOT)})")
    parser.add_argument("--samples", type=Path, help="also write some requests and their answers as JSON (for checks)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    options = parser.parse_args(argv)
    if options.quick:
        options.clients, options.seconds, options.warmup = 4, 2.0, 0.5
    if options.clients < 1 or options.seconds <= 0 or options.warmup < 0 or options.workers < 1:
        parser.error("--clients and --workers take a positive whole number, --seconds a positive number")
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    pool = profile_pool(2000, options.seed)
    info = machine()
    with tempfile.TemporaryDirectory(prefix="mcof-serve-load-") as scratch:
        args = ("--workers", str(options.workers)) if options.workers > 1 else ()
        with LiveServer(Path(scratch) / "records.sqlite", args) as server:
            rss = {"start": rss_mb(server.pid)}
            if options.warmup:
                warm, _ = run_clients(server.port, pool, options.clients, options.warmup, options.seed + 1)
                if warm.errors:
                    print(f"warm-up errors: {warm.errors[:3]}", file=sys.stderr)
            rss["after_warmup"] = rss_mb(server.pid)
            tally, elapsed = run_clients(server.port, pool, options.clients, options.seconds, options.seed,
                                         keep_samples=20 if options.samples else 0)
            rss["end"] = rss_mb(server.pid)
    result = summary(tally, elapsed, rss, options)
    command = "python benchmarks/serve_load.py " + " ".join(argv if argv is not None else sys.argv[1:])
    write_file(options.report, markdown(result, info, command.strip()))
    if options.samples:
        write_file(options.samples, json.dumps(tally.samples, indent=1, ensure_ascii=False))
    if options.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['requests']} requests, {result['errors']} errors, {result['throughput_rps']} req/s, "
              f"p50 {result['p50_ms']} ms, p90 {result['p90_ms']} ms, p99 {result['p99_ms']} ms; RSS "
              f"{rss['start']:.0f} -> {rss['after_warmup']:.0f} -> {rss['end']:.0f} MiB; report: {options.report}")
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
