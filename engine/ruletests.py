"""`mcof rules test`: run a ruleset's own test cases (``rules/*.test.yaml``), as ``opa test`` does.

Each case is a profile under a rule, in ``fires`` (the rule must fire on it) or
``does_not_fire`` (it must not). Every case reports pass or fail with its file and line, so a
country office adapting a ruleset (``--ruleset PATH``) can check its changes without pytest.
Rules are run on the engine of record (durable-rules).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import McofError
from .inference import durable_engine
from .loader_semantics import check_structure
from .profile import build_profile
from .ruleset import Ruleset
from .yamlio import line_of, load_yaml

KINDS = ("fires", "does_not_fire")


@dataclass(frozen=True)
class Case:
    rule: str
    kind: str               # fires | does_not_fire
    profile: dict
    file: str
    line: int | None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class CaseResult:
    case: Case
    passed: bool
    message: str

    def to_dict(self) -> dict:
        return {"rule": self.case.rule, "kind": self.case.kind, "file": self.case.file, "line": self.case.line,
                "profile": self.case.profile, "passed": self.passed, "message": self.message}


@dataclass
class TestReport:
    ruleset: dict
    results: list[CaseResult] = field(default_factory=list)
    untested: list[dict] = field(default_factory=list)    # rules lacking a kind of case

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.untested

    def to_dict(self) -> dict:
        return {"ruleset": self.ruleset, "passed": len(self.results) - len(self.failed),
                "failed": len(self.failed), "untested": self.untested,
                "cases": [r.to_dict() for r in self.results]}


def load_cases(ruleset: Ruleset) -> list[Case]:
    """Every case of every ``rules/*.test.yaml``, with the line it is written on."""
    cases = []
    for path in sorted((ruleset.directory / "rules").glob("*.test.yaml")):
        data = load_yaml(path, McofError)
        check_structure(data, "rule_tests", path)      # a RulesetError, so a McofError
        for entry in data["cases"]:
            for kind in KINDS:
                for profile in entry.get(kind) or []:
                    cases.append(Case(entry["rule"], kind, dict(profile) if isinstance(profile, dict) else profile,
                                      str(path), line_of(profile) or line_of(entry)))
    return cases


def check_case(ruleset: Ruleset, case: Case) -> CaseResult:
    own = {r.id for r in ruleset.rules if r.origin is None}
    if case.rule not in own:
        return CaseResult(case, False, f"no rule '{case.rule}' in {ruleset.id}")
    if not isinstance(case.profile, dict):
        return CaseResult(case, False, "a case is a profile: a mapping of facts")
    try:
        profile = build_profile(ruleset, case.profile, origin=case.where)
    except McofError as error:
        return CaseResult(case, False, f"bad profile: {error.message}")
    fired = case.rule in durable_engine(ruleset).run(profile).fired
    if fired == (case.kind == "fires"):
        return CaseResult(case, True, "fired" if fired else "did not fire")
    return CaseResult(case, False, "did not fire, but must" if case.kind == "fires" else "fired, but must not")


def run_tests(ruleset: Ruleset) -> TestReport:
    """Every case checked, and every rule of the ruleset's own that lacks a kind of case."""
    cases = load_cases(ruleset)
    report = TestReport(ruleset.summary(), [check_case(ruleset, case) for case in cases])
    kinds: dict[str, set[str]] = {}
    for case in cases:
        kinds.setdefault(case.rule, set()).add(case.kind)
    for rule in ruleset.rules:
        if rule.origin is None and kinds.get(rule.id, set()) != set(KINDS):
            missing = sorted(set(KINDS) - kinds.get(rule.id, set()))
            report.untested.append({"rule": rule.id, "missing": missing, "where": rule.where})
    return report
