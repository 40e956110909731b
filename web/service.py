"""The library calls behind every page and API endpoint: the same functions as the CLI's
commands (cli.py), never a subprocess.

- assess: ``engine.assessment.assess`` + ``engine.provenance.with_provenance`` (``mcof assess``);
- explain: ``engine.assessment.explain`` (``mcof explain``);
- diff: ``engine.whatif.diff`` (``mcof diff``);
- diagrams: ``engine.diagrams.diagrams`` (``mcof diagrams``);
- outputs: ``engine.output.render`` (every ``--format``).

The rulesets are loaded once, when the app starts. durable-rules' C code never releases the
GIL and its host is shared by every session, so engine calls are serialised by one lock:
threads would give no speed-up (shared/notes/durable-rules.md), and one call at a time keeps
its callbacks from ever interleaving.

The JSON API's answers can be computed in engine processes of their own instead
(``mcof serve --engine-processes N``; ``Service(processes=N)``, started by ``start()``): each
is spawned once, loads the rulesets once and runs the same ``json_text`` as the server would,
so the bytes are the same, while the server's event loop goes on reading and writing other
requests. Processes, not uvicorn workers: everything the server keeps between requests (batch
jobs, the diagrams it computed, the records store) stays in the one server process.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Mapping, TypeVar

from ..engine.assessment import assess, explain
from ..engine.diagrams import diagrams
from ..engine.errors import ProfileError, did_you_mean
from ..engine.names import resolve_sector
from ..engine.output import render
from ..engine.provenance import with_provenance
from ..engine.results import Assessment, Diagrams, Diff, Explanation
from ..engine.ruleset import BUILTIN_NAMES, Ruleset, load_ruleset
from ..engine.whatif import diff
from .query import assignments

T = TypeVar("T")


def set_inputs(ruleset: Ruleset, *profiles: Mapping[str, Any]) -> list[dict]:
    """Provenance inputs of profiles sent to the server: each as the `--set` list that gives it
    on the command line (the command that reproduces the output, byte for byte)."""
    return [{"set": assignments(ruleset, profile)} for profile in profiles]


class Service:
    """The loaded rulesets and the engine calls the web app makes on them."""

    def __init__(self, names: tuple[str, ...] = BUILTIN_NAMES, processes: int = 0):
        self.names, self.processes = tuple(names), processes
        self.rulesets: dict[str, Ruleset] = {name: load_ruleset(name) for name in names}
        self._lock = threading.Lock()
        self._diagrams: dict[str, Diagrams] = {}
        self._pool: ProcessPoolExecutor | None = None

    # ----------------------------------------------------------------- engine processes

    def start(self) -> None:
        """Spawn the engine processes (if any), each loading the rulesets before it answers."""
        if self.processes and self._pool is None:
            # spawned, not forked: a fork would copy the server's threads' locks mid-use
            self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_engine_process, initargs=(self.names,))
            for ready in [self._pool.submit(_engine_process_ready) for _ in range(self.processes)]:
                ready.result()

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def json_text(self, command: str, name: str, *args) -> str:
        """`mcof assess|explain|diff ... --format json`'s text (command: the method's name)."""
        if command not in JSON_COMMANDS:
            raise ValueError(f"no JSON command {command!r}")
        return self.text(getattr(self, command)(name, *args), "json", name)

    async def json_answer(self, command: str, name: str, *args) -> str:
        """json_text, in an engine process when there are some (a bad input's McofError comes
        back as itself), else here."""
        if self._pool is None:
            return self.json_text(command, name, *args)
        return await asyncio.get_running_loop().run_in_executor(self._pool, _json_in_engine_process,
                                                                command, name, args)

    def locked(self, call: Callable[..., T], *args) -> T:
        with self._lock:
            return call(*args)

    def ruleset(self, name: str) -> Ruleset:
        return self.rulesets[name]

    # ----------------------------------------------------------------- the CLI's commands

    def assess(self, name: str, profile: Mapping[str, Any]) -> Assessment:
        """`mcof assess --set ...` on this profile, with its provenance."""
        rs = self.rulesets[name]
        return with_provenance(self.locked(assess, rs, profile), rs, set_inputs(rs, profile))

    def explain(self, name: str, profile: Mapping[str, Any], target: str, kind: str = "recommend") -> Explanation:
        """`mcof explain --set ... --sector S` (or --modality M)."""
        rs = self.rulesets[name]
        if kind == "recommend":
            target, _ = resolve_sector(rs, target, where="sector")
        elif target not in rs.modalities:
            raise ProfileError(f"unknown modality '{target}' in ruleset {rs.id}", where="modality",
                               hint=did_you_mean(target, rs.modalities) or f"ruleset {rs.id} has no modalities")
        result = self.locked(explain, rs, profile, target, kind)
        return with_provenance(result, rs, set_inputs(rs, profile),
                               {"target": target, "kind": "sector" if kind == "recommend" else "modality"})

    def diff(self, name: str, a: Mapping[str, Any], b: Mapping[str, Any]) -> Diff:
        """`mcof diff A B`."""
        rs = self.rulesets[name]
        return with_provenance(self.locked(diff, rs, a, b), rs, set_inputs(rs, a, b))

    def diagrams(self, name: str) -> Diagrams:
        """`mcof diagrams`: computed once per ruleset (they depend on the rules alone)."""
        if name not in self._diagrams:
            self._diagrams[name] = Diagrams(self.locked(diagrams, self.rulesets[name]))
        return self._diagrams[name]

    def text(self, result: Any, fmt: str, name: str, **context) -> str:
        """`--format fmt` of a result, exactly as the CLI prints it."""
        return render(result, fmt, ruleset=self.rulesets[name], **context)


JSON_COMMANDS = ("assess", "explain", "diff")

# The Service of an engine process (set by its initializer; None in the server's own process).
_ENGINE_SERVICE: Service | None = None


def _start_engine_process(names: tuple[str, ...]) -> None:
    global _ENGINE_SERVICE
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C stops the server, which shuts its engine processes down
    _ENGINE_SERVICE = Service(names)


def _engine_process_ready() -> bool:
    return _ENGINE_SERVICE is not None


def _json_in_engine_process(command: str, name: str, args: tuple) -> str:
    assert _ENGINE_SERVICE is not None, "not an engine process"
    return _ENGINE_SERVICE.json_text(command, name, *args)
