"""A bounded load test of `mcof serve`'s /api/assess, on loopback only.

    python benchmarks/serve_load.py       # 20 clients, 30 s, engine in the server then in 2 processes:
                                          # writes benchmarks/serve-load.md
    python benchmarks/serve_load.py --clients 1,20 --engine-processes 0,2   # four runs
    python benchmarks/serve_load.py --quick --report /tmp/smoke.md --json   # a few seconds

Each run starts a server of its own (tests/web/liveserver.py: `mcof serve --engine-processes
N` on 127.0.0.1, a free port, records in a temporary SQLite file), then runs ``--clients``
closed-loop clients (each sends its next request as soon as the last is answered, over one
kept-alive connection) for a warm-up and then ``--seconds``, each request a random valid
profile built from the fact catalogue of one of the two built-in rulesets. It reports the
requests, the errors (any answer but 200 with a JSON body, any connection failure), the p50 /
p90 / p99 latency, the throughput, the CPU per request of the server and of the clients, and
the server's resident memory (its processes' VmRSS) at start, after warm-up and at the end,
into a Markdown file with the machine, the date and what bounds the figures (the library's
own cost per request, measured in this process).

Nothing is sent anywhere but 127.0.0.1, and every loop stops by its deadline.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import resource
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
    """The process and its descendants (its engine processes)."""
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


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the server's processes have used so far."""
    ticks = 0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


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


def summary(tally: Tally, elapsed: float, rss: dict[str, float], cpu: dict[str, float], clients: int,
            engine_processes: int, warmup: float) -> dict:
    latencies = sorted(tally.latencies_ms)
    answered = max(1, len(latencies))
    return {
        "clients": clients, "engine_processes": engine_processes, "seconds": round(elapsed, 2),
        "warmup_seconds": warmup, "requests": len(latencies) + sum(e[:4] != "HTTP" for e in tally.errors),
        "errors": len(tally.errors), "error_examples": sorted(set(tally.errors))[:5],
        "throughput_rps": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(latencies, 0.50), 2), "p90_ms": round(percentile(latencies, 0.90), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2), "max_ms": round(latencies[-1], 2) if latencies else None,
        "rss_mb": {k: round(v, 1) for k, v in rss.items()},
        "rss_growth_mb": round(rss["end"] - rss["after_warmup"], 1),
        "server_cpu_ms_per_request": round(cpu["server"] / answered * 1000, 2),
        "client_cpu_ms_per_request": round(cpu["clients"] / answered * 1000, 2),
    }


def library_cost(pool: list[tuple[str, dict]], count: int) -> dict:
    """What the server's work costs in this process, without HTTP: the engine (assess with its
    why-nots) and the JSON text (to_dict and the CLI's indented serialisation), ms per profile."""
    from mcof.web.query import canonical
    from mcof.web.service import Service, set_inputs
    from mcof.engine.assessment import assess
    from mcof.engine.profile import build_profile
    from mcof.engine.provenance import with_provenance
    service = Service()
    engine = text = 0.0
    for name, data in pool[:count]:
        rules = service.ruleset(name)
        profile = canonical(rules, build_profile(rules, data))
        start = time.perf_counter()
        result = with_provenance(assess(rules, profile), rules, set_inputs(rules, profile))
        middle = time.perf_counter()
        service.text(result, "json", name)
        engine, text = engine + middle - start, text + time.perf_counter() - middle
    return {"profiles": count, "engine_ms": round(engine / count * 1000, 2), "json_ms": round(text / count * 1000, 2)}


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    memory = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:")), 0)
    versions = {name: metadata.version(name) for name in ("mcof", "starlette", "uvicorn", "durable-rules")}
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mib": memory, "os": platform.platform(),
            "python": platform.python_version(), "versions": versions, "load_average": os.getloadavg()}


def _goal(value: float, limit: float) -> str:
    return f"{value} ({'met' if value <= limit else 'missed'})"


def bound_rps(run: dict, cores: int) -> float:
    """The most requests per second the machine's cores allow at this run's CPU per request."""
    if not run["engine_processes"]:  # one process does the server's work: one core, beside the clients'
        per_request, usable = run["server_cpu_ms_per_request"], 1
    else:
        per_request, usable = run["server_cpu_ms_per_request"] + run["client_cpu_ms_per_request"], cores
    return round(usable / per_request * 1000, 1) if per_request else float("nan")


def markdown(runs: list[dict], cost: dict, info: dict, command: str) -> str:
    def row(label: str, cell) -> str:
        return f"| {label} | " + " | ".join(str(cell(run)) for run in runs) + " |"

    def engine(run: dict) -> str:
        return f"{run['engine_processes']} engine processes" if run["engine_processes"] else "engine in the server"
    lines = [
        "# `mcof serve` under load: /api/assess", "",
        f"Generated by `{command}` on {generated_at()}. Loopback only; closed loop: each client sends its "
        "next request when the last is answered, over one kept-alive connection; every request a random "
        "valid profile of the fact catalogue (each input fact true, false or unknown; one or two crisis "
        "types, one to three phases), the 2012 and 2021 rulesets alternating. Each run has a server of its "
        "own (`mcof serve --engine-processes N`, records in a temporary SQLite file).", "",
        "| figure | " + " | ".join(f"{run['clients']} clients, {engine(run)}" for run in runs) + " |",
        "| --- |" + " --- |" * len(runs),
        row("measured for", lambda r: f"{r['seconds']} s after {r['warmup_seconds']} s of warm-up"),
        row("requests", lambda r: f"{r['requests']:,}"), row("errors", lambda r: r["errors"]),
        row("throughput (requests/s)", lambda r: r["throughput_rps"]),
        row(f"latency p50, ms (goal ≤ {GOAL_P50_MS:g})", lambda r: _goal(r["p50_ms"], GOAL_P50_MS)),
        row("latency p90, ms", lambda r: r["p90_ms"]),
        row(f"latency p99, ms (goal ≤ {GOAL_P99_MS:g})", lambda r: _goal(r["p99_ms"], GOAL_P99_MS)),
        row("latency max, ms", lambda r: r["max_ms"]),
        row("server RSS, MiB: start / after warm-up / end",
            lambda r: f"{r['rss_mb']['start']} / {r['rss_mb']['after_warmup']} / {r['rss_mb']['end']}"),
        row("memory growth over the measured run, MiB", lambda r: f"{r['rss_growth_mb']:+}"),
        row("CPU per request, ms: server (all its processes) / load clients",
            lambda r: f"{r['server_cpu_ms_per_request']} / {r['client_cpu_ms_per_request']}"),
        row(f"most requests/s that CPU allows on {info['cores']} cores", lambda r: bound_rps(r, info["cores"])),
        row("clients / throughput, ms (Little's law: the p50 a closed loop must show)",
            lambda r: round(r["clients"] / r["throughput_rps"] * 1000, 1) if r["throughput_rps"] else "-"), "",
        "## What bounds it", "",
        f"The library work alone, in one process without HTTP (mean of {cost['profiles']} of the same random "
        f"profiles): the engine (assess, with every why-not) {cost['engine_ms']} ms, the JSON text (the "
        f"CLI's indented `--format json`, Python's pure-Python encoder since it indents) {cost['json_ms']} ms per "
        "request; HTTP, Starlette and the middleware add the rest of the server's CPU per request. A closed "
        "loop keeps every client waiting, so its median latency is about clients / throughput, and the "
        "throughput cannot pass the cores divided by the CPU per request: with the engine in the server "
        "process one core works for the engine (its calls are serialised by one lock, and durable-rules "
        "never releases the GIL); engine processes use every core, for some CPU spent passing each answer "
        "between processes.", "",
        "## Machine", "",
        f"- CPU: {info['cpu']}, {info['cores']} cores, shared: the load clients run on the same cores as the "
        "server, and other work may run on the machine, so the figures are noisy",
        f"- memory: {info['memory_mib']:,} MiB; load average before the runs: "
        + ", ".join(f"{x:.2f}" for x in info["load_average"]),
        f"- {info['os']}, Python {info['python']}",
        "- " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()), "",
    ]
    errors = sorted({e for run in runs for e in run["error_examples"]})
    if errors:
        lines += ["## Errors (first kinds)", "", *[f"- `{e}`" for e in errors[:5]], ""]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------ main

def whole_numbers(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give whole numbers, comma-separated (e.g. 0,2)") from None
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: no negative numbers")
    return values


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=whole_numbers, default=[20],
                        help="concurrent closed-loop clients; several (1,20) run one after another (default 20)")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured seconds of each run (default 30)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring (default 3)")
    parser.add_argument("--engine-processes", type=whole_numbers, default=[0, 2], metavar="N[,N...]",
                        help="mcof serve --engine-processes N for each run (default 0,2: in the server's "
                             "process, then two processes of their own)")
    parser.add_argument("--quick", action="store_true", help="a smoke test: 4 clients, 1.5 s a run, 0.5 s warm-up")
    parser.add_argument("--seed", type=int, default=2012, help="random profiles' seed")
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT,
                        help=f"Markdown report (default {DEFAULT_REPORT.relative_to(ROOT)})")
    parser.add_argument("--samples", type=Path, help="also write some requests and their answers as JSON (for checks)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    options = parser.parse_args(argv)
    if options.quick:
        options.clients, options.seconds, options.warmup = [4], 1.5, 0.5
    if 0 in options.clients or options.seconds <= 0 or options.warmup < 0:
        parser.error("--clients takes positive whole numbers, --seconds a positive number, --warmup zero or more")
    return options


def one_run(pool, clients: int, engine_processes: int, options, scratch: Path) -> tuple[dict, list[dict]]:
    """A server of its own, warmed up, then measured: its figures and the answers it kept."""
    records = scratch / f"records-{clients}-{engine_processes}.sqlite"
    with LiveServer(records, ("--engine-processes", str(engine_processes))) as server:
        rss = {"start": rss_mb(server.pid)}
        if options.warmup:
            warm, _ = run_clients(server.port, pool, clients, options.warmup, options.seed + 1)
            if warm.errors:
                print(f"warm-up errors: {warm.errors[:3]}", file=sys.stderr)
        rss["after_warmup"] = rss_mb(server.pid)
        server_cpu, clients_cpu = cpu_seconds(server.pid), own_cpu_seconds()
        tally, elapsed = run_clients(server.port, pool, clients, options.seconds, options.seed,
                                     keep_samples=20 if options.samples else 0)
        cpu = {"server": cpu_seconds(server.pid) - server_cpu, "clients": own_cpu_seconds() - clients_cpu}
        rss["end"] = rss_mb(server.pid)
    return summary(tally, elapsed, rss, cpu, clients, engine_processes, options.warmup), tally.samples


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    pool = profile_pool(2000, options.seed)
    info = machine()
    runs, samples = [], []
    with tempfile.TemporaryDirectory(prefix="mcof-serve-load-") as scratch:
        for clients in options.clients:
            for engine_processes in options.engine_processes:
                run, kept = one_run(pool, clients, engine_processes, options, Path(scratch))
                runs.append(run)
                samples += [{**sample, "engine_processes": engine_processes} for sample in kept]
                print(f"{clients} clients, --engine-processes {engine_processes}: {run['requests']} requests, "
                      f"{run['errors']} errors, {run['throughput_rps']} req/s, p50 {run['p50_ms']} ms, "
                      f"p90 {run['p90_ms']} ms, p99 {run['p99_ms']} ms; RSS {run['rss_mb']['start']:.0f} -> "
                      f"{run['rss_mb']['after_warmup']:.0f} -> {run['rss_mb']['end']:.0f} MiB", file=sys.stderr)
    cost = library_cost(pool, 40 if options.quick else 400)
    command = "python benchmarks/serve_load.py " + " ".join(argv if argv is not None else sys.argv[1:])
    write_file(options.report, markdown(runs, cost, info, command.strip()))
    if options.samples:
        write_file(options.samples, json.dumps(samples, indent=1, ensure_ascii=False))
    if options.json:
        print(json.dumps({"runs": runs, "library": cost}, indent=2))
    print(f"report: {options.report}", file=sys.stderr)
    return 0 if all(run["errors"] == 0 for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
