"""What the engine produces: the typed result model of `assess`, `explain`, `diff` and `compare`.

`engine/model.py` is the *ruleset* model (what the framework says); this module is the
*result* model (what the engine concluded for one profile). Every class is a frozen
dataclass; renderers read its attributes, so a renderer reading something the engine no
longer produces fails loudly (AttributeError, or a test), not silently with an empty cell.

One serialiser, `to_dict(result)` (each class's ``to_dict()``), gives the JSON of
``--format json`` (CONTRACT.md): the keys and their order are fixed there and by the golden
outputs, optional keys are left out exactly where the engine always left them out. A result
that carries `provenance` (see `engine.provenance.with_provenance`) serialises with
``schema_version`` and ``provenance`` as its first keys.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Optional, Sequence

__all__ = ["Source", "Linkage", "Justification", "Recommendation", "ModalityEntry", "Coordination",
           "DerivedFact", "CrossCuttingIssue", "Conclusions", "ConditionStatus", "RuleStatus",
           "WouldChange", "NotRecommended", "PhaseExplanation", "Assessment", "Explanation",
           "SectorChange", "CoordinationChange", "Diff", "CompareRow", "Compare", "Diagrams",
           "Provenanced", "to_dict", "UNSET"]


class _Unset:
    """A key the JSON leaves out (distinct from a value that is None)."""
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()


def _plain(value: Any) -> Any:
    """A model value as JSON-shaped data (dataclasses, tuples and mappings, recursively)."""
    kind = type(value)
    if kind in (str, int, float, bool) or value is None:  # most values: no ABC checks on the hot path
        return value
    if kind is dict:
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def to_dict(result: Any) -> Any:
    """The one serialiser: any result of this module as the dict its JSON prints."""
    return _plain(result)


# --------------------------------------------------------------------------- justifications

@dataclass(frozen=True)
class Source:
    """Where a rule is written: a file relative to the folder holding the ruleset, and a line."""
    file: str
    line: int

    @classmethod
    def from_dict(cls, data: Mapping) -> "Source":
        return cls(data["file"], data["line"])

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line}


@dataclass(frozen=True)
class Linkage:
    """A sector's link to a system, cluster or group (CONTRACT.md, "Linkages")."""
    to: str
    kind: str
    name: str
    short: str
    citation: str
    quote: Optional[str]
    interpretation: Optional[str] = None

    @classmethod
    def from_dict(cls, data: Mapping) -> "Linkage":
        return cls(data["to"], data["kind"], data["name"], data["short"], data["citation"], data["quote"],
                   data.get("interpretation"))

    def to_dict(self) -> dict:
        data = {"to": self.to, "kind": self.kind, "name": self.name, "short": self.short,
                "citation": self.citation, "quote": self.quote}
        if self.interpretation:
            data["interpretation"] = self.interpretation
        return data


@dataclass(frozen=True)
class Justification:
    """One rule's support for a conclusion: its citation, verbatim quote and the facts it read.

    `level` is None for rules that conclude no level (coordination, derived facts, issues);
    `origin` (a mapping: ruleset, rule, sector, crosswalk) is set on rules a ruleset inherits."""
    rule: str
    level: Optional[str]
    citation: str
    quote: str
    facts: Mapping[str, Any]
    derived_facts: tuple[str, ...]
    source: Source
    interpretation: Optional[str] = None
    origin: Optional[Mapping[str, Any]] = None

    @classmethod
    def from_dict(cls, data: Mapping) -> "Justification":
        return cls(data["rule"], data.get("level"), data["citation"], data["quote"], data["facts"],
                   tuple(data["derived_facts"]), Source.from_dict(data["source"]), data.get("interpretation"),
                   data.get("origin"))

    def to_dict(self) -> dict:
        data: dict[str, Any] = {"rule": self.rule}
        if self.level:
            data["level"] = self.level
        data.update({"citation": self.citation, "quote": self.quote, "facts": dict(self.facts),
                     "derived_facts": list(self.derived_facts), "source": self.source.to_dict()})
        if self.interpretation:
            data["interpretation"] = self.interpretation
        if self.origin:
            data["origin"] = _plain(self.origin)
        return data


def _justifications(data: Mapping) -> tuple[Justification, ...]:
    return tuple(Justification.from_dict(j) for j in data["justifications"])


class _Justified:
    """An entry supported by justifications: `rules` are their rule ids, winning level first."""
    justifications: tuple[Justification, ...]

    @property
    def rules(self) -> list[str]:
        return [j.rule for j in self.justifications]


@dataclass(frozen=True)
class Recommendation(_Justified):
    """One (sector, phase): the highest level among its justifications, every one listed."""
    sector: str
    phase: str
    level: str
    justifications: tuple[Justification, ...]
    linkages: tuple[Linkage, ...]

    @classmethod
    def from_dict(cls, data: Mapping) -> "Recommendation":
        return cls(data["sector"], data["phase"], data["level"], _justifications(data),
                   tuple(Linkage.from_dict(link) for link in data["linkages"]))

    def to_dict(self) -> dict:
        return {"sector": self.sector, "phase": self.phase, "level": self.level,
                "justifications": _plain(self.justifications), "linkages": _plain(self.linkages)}


@dataclass(frozen=True)
class ModalityEntry(_Justified):
    """An operating modality (2021) recommended for a phase."""
    modality: str
    phase: str
    level: str
    justifications: tuple[Justification, ...]

    @classmethod
    def from_dict(cls, data: Mapping) -> "ModalityEntry":
        return cls(data["modality"], data["phase"], data["level"], _justifications(data))

    def to_dict(self) -> dict:
        return {"modality": self.modality, "phase": self.phase, "level": self.level,
                "justifications": _plain(self.justifications)}


@dataclass(frozen=True)
class Coordination(_Justified):
    partner: str
    partner_name: str
    phase: str
    justifications: tuple[Justification, ...]

    @classmethod
    def from_dict(cls, data: Mapping) -> "Coordination":
        return cls(data["partner"], data["partner_name"], data["phase"], _justifications(data))

    def to_dict(self) -> dict:
        return {"partner": self.partner, "partner_name": self.partner_name, "phase": self.phase,
                "justifications": _plain(self.justifications)}


@dataclass(frozen=True)
class DerivedFact:
    """A fact the rules derived, with its own justifications (the chain back to input facts)."""
    fact: str
    value: Any
    justifications: tuple[Justification, ...]

    @classmethod
    def from_dict(cls, data: Mapping) -> "DerivedFact":
        return cls(data["fact"], data["value"], _justifications(data))

    def to_dict(self) -> dict:
        return {"fact": self.fact, "value": self.value, "justifications": _plain(self.justifications)}


@dataclass(frozen=True)
class CrossCuttingIssue:
    issue: str
    name: str
    justifications: tuple[Justification, ...]

    @classmethod
    def from_dict(cls, data: Mapping) -> "CrossCuttingIssue":
        return cls(data["issue"], data["name"], _justifications(data))

    def to_dict(self) -> dict:
        return {"issue": self.issue, "name": self.name, "justifications": _plain(self.justifications)}


@dataclass(frozen=True)
class Conclusions:
    """What the fired rules concluded, grouped and ordered (`assessment.conclusions`)."""
    recommendations: tuple[Recommendation, ...]
    coordination: tuple[Coordination, ...]
    derived_facts: tuple[DerivedFact, ...]
    modalities: tuple[ModalityEntry, ...]
    cross_cutting: tuple[CrossCuttingIssue, ...]

    def to_dict(self) -> dict:
        return {"recommendations": _plain(self.recommendations), "coordination": _plain(self.coordination),
                "derived_facts": _plain(self.derived_facts), "modalities": _plain(self.modalities),
                "cross_cutting": _plain(self.cross_cutting)}


# --------------------------------------------------------------------------- why not

@dataclass(frozen=True)
class ConditionStatus:
    """One condition of a rule: held / failed / unknown. `value` is UNSET when the fact is
    not known; a derived fact that does not hold lists the rules that derive it."""
    condition: str
    fact: str
    status: str
    value: Any = UNSET
    derived: bool = False
    derived_by: Optional[tuple["RuleStatus", ...]] = None

    @classmethod
    def from_dict(cls, data: Mapping) -> "ConditionStatus":
        derived_by = data.get("derived_by")
        return cls(data["condition"], data["fact"], data["status"], data.get("value", UNSET), data.get("derived", False),
                   None if derived_by is None else tuple(RuleStatus.from_dict(r) for r in derived_by))

    @property
    def known(self) -> bool:
        return self.value is not UNSET

    def to_dict(self) -> dict:
        data: dict[str, Any] = {"condition": self.condition, "fact": self.fact, "status": self.status}
        if self.known:
            data["value"] = self.value
        if self.derived:
            data["derived"] = True
            if self.derived_by is not None:
                data["derived_by"] = _plain(self.derived_by)
        return data


@dataclass(frozen=True)
class RuleStatus:
    """A rule that could conclude something, and the status of each of its conditions."""
    rule: str
    level: Optional[str]
    phase: Optional[str]
    citation: str
    quote: str
    status: str
    conditions: tuple[ConditionStatus, ...]

    @classmethod
    def from_dict(cls, data: Mapping) -> "RuleStatus":
        return cls(data["rule"], data["level"], data["phase"], data["citation"], data["quote"], data["status"],
                   tuple(ConditionStatus.from_dict(c) for c in data["conditions"]))

    def to_dict(self) -> dict:
        return {"rule": self.rule, "level": self.level, "phase": self.phase, "citation": self.citation,
                "quote": self.quote, "status": self.status, "conditions": _plain(self.conditions)}


@dataclass(frozen=True)
class WouldChange:
    """An unknown input fact that, with this value, would recommend the target at `level`."""
    fact: str
    value: Any
    level: str

    @classmethod
    def from_dict(cls, data: Mapping) -> "WouldChange":
        return cls(data["fact"], data["value"], data["level"])

    def to_dict(self) -> dict:
        return {"fact": self.fact, "value": self.value, "level": self.level}


@dataclass(frozen=True)
class NotRecommended:
    """Why a sector (or, with target_key "modality", a modality) is not recommended for a
    phase: the rules that could recommend it, and the unknown facts that would."""
    target: str
    phase: str
    rules: tuple[RuleStatus, ...]
    would_change_if: tuple[WouldChange, ...]
    target_key: str = "sector"

    @classmethod
    def from_dict(cls, data: Mapping) -> "NotRecommended":
        key = "modality" if "modality" in data else "sector"
        return cls(data[key], data["phase"], tuple(RuleStatus.from_dict(r) for r in data["rules"]),
                   tuple(WouldChange.from_dict(w) for w in data["would_change_if"]), key)

    @property
    def sector(self) -> str:
        return self.target

    def to_dict(self) -> dict:
        return {self.target_key: self.target, "phase": self.phase, "rules": _plain(self.rules),
                "would_change_if": _plain(self.would_change_if)}


@dataclass(frozen=True)
class PhaseExplanation(NotRecommended):
    """`mcof explain`: one phase of the target, recommended or not, and why."""
    in_profile: bool = False
    recommended: bool = False
    level: Optional[str] = None
    justifications: tuple[Justification, ...] = ()

    def to_dict(self) -> dict:
        data = super().to_dict()
        data.update({"in_profile": self.in_profile, "recommended": self.recommended, "level": self.level,
                     "justifications": _plain(self.justifications)})
        return data


# --------------------------------------------------------------------------- top-level results

class Provenanced:
    """Results that can carry what produced them (`engine.provenance.with_provenance`)."""
    schema_version: Optional[str]
    provenance: Optional[Mapping[str, Any]]

    def with_provenance(self, schema_version: str, provenance: Mapping[str, Any]):
        return replace(self, schema_version=schema_version, provenance=provenance)

    def _head(self) -> dict:
        if self.provenance is None:
            return {}
        return {"schema_version": self.schema_version, "provenance": _plain(self.provenance)}


@dataclass(frozen=True)
class Assessment(Provenanced):
    """`assess()`: one profile's recommendations and everything that explains them.

    `modalities` and `cross_cutting` are None for a ruleset that has none (the JSON then
    leaves the key out); `not_recommended` is None with ``explain_absent=False``."""
    tool: Mapping[str, str]
    ruleset: Mapping[str, Any]
    profile: Mapping[str, Any]
    unknown_facts: tuple[str, ...]
    recommendations: tuple[Recommendation, ...]
    coordination: tuple[Coordination, ...]
    derived_facts: tuple[DerivedFact, ...]
    modalities: Optional[tuple[ModalityEntry, ...]] = None
    cross_cutting: Optional[tuple[CrossCuttingIssue, ...]] = None
    not_recommended: Optional[tuple[NotRecommended, ...]] = None
    schema_version: Optional[str] = None
    provenance: Optional[Mapping[str, Any]] = None

    @classmethod
    def from_dict(cls, data: Mapping) -> "Assessment":
        """The Assessment a saved ``--format json`` result describes (what `to_dict` gave), so a
        stored result renders as table, markdown or HTML again without re-running it."""
        def entries(key, kind):
            return None if key not in data else tuple(kind.from_dict(e) for e in data[key])
        return cls(data["tool"], data["ruleset"], data["profile"], tuple(data["unknown_facts"]),
                   entries("recommendations", Recommendation), entries("coordination", Coordination),
                   entries("derived_facts", DerivedFact), entries("modalities", ModalityEntry),
                   entries("cross_cutting", CrossCuttingIssue), entries("not_recommended", NotRecommended),
                   data.get("schema_version"), data.get("provenance"))

    def recommendation(self, sector: str, phase: str) -> Optional[Recommendation]:
        return next((r for r in self.recommendations if r.sector == sector and r.phase == phase), None)

    def levels(self) -> dict[tuple[str, str], str]:
        """(sector, phase) -> level."""
        return {(r.sector, r.phase): r.level for r in self.recommendations}

    def to_dict(self) -> dict:
        data = self._head()
        data.update({"tool": dict(self.tool), "ruleset": dict(self.ruleset), "profile": dict(self.profile),
                     "unknown_facts": list(self.unknown_facts),
                     "recommendations": _plain(self.recommendations), "coordination": _plain(self.coordination),
                     "derived_facts": _plain(self.derived_facts)})
        if self.modalities is not None:
            data["modalities"] = _plain(self.modalities)
        if self.cross_cutting is not None:
            data["cross_cutting"] = _plain(self.cross_cutting)
        if self.not_recommended is not None:
            data["not_recommended"] = _plain(self.not_recommended)
        return data


@dataclass(frozen=True)
class Explanation(Provenanced):
    """`explain()`: why (or why not) one sector or modality is recommended, phase by phase.
    `target_key` is "sector" or "modality"; `target` the catalogue entry (its to_dict())."""
    tool: Mapping[str, str]
    ruleset: Mapping[str, Any]
    profile: Mapping[str, Any]
    unknown_facts: tuple[str, ...]
    target_key: str
    target: Mapping[str, Any]
    phases: tuple[PhaseExplanation, ...]
    derived_facts: tuple[DerivedFact, ...]
    schema_version: Optional[str] = None
    provenance: Optional[Mapping[str, Any]] = None

    def to_dict(self) -> dict:
        data = self._head()
        data.update({"tool": dict(self.tool), "ruleset": dict(self.ruleset), "profile": dict(self.profile),
                     "unknown_facts": list(self.unknown_facts), "target": self.target_key,
                     self.target_key: _plain(self.target), "phases": _plain(self.phases),
                     "derived_facts": _plain(self.derived_facts)})
        return data


@dataclass(frozen=True)
class SectorChange:
    """One (sector, phase) that differs from A to B (`from_level`/`to_level`: JSON from/to)."""
    sector: str
    phase: str
    change: str
    from_level: Optional[str]
    to_level: Optional[str]
    rules_gained: tuple[str, ...]
    rules_lost: tuple[str, ...]
    facts_changed: Mapping[str, Sequence]

    def to_dict(self) -> dict:
        return {"sector": self.sector, "phase": self.phase, "change": self.change, "from": self.from_level,
                "to": self.to_level, "rules_gained": list(self.rules_gained), "rules_lost": list(self.rules_lost),
                "facts_changed": _plain(self.facts_changed)}


@dataclass(frozen=True)
class CoordinationChange:
    partner: str
    phase: str
    change: str

    def to_dict(self) -> dict:
        return {"partner": self.partner, "phase": self.phase, "change": self.change}


@dataclass(frozen=True)
class Diff(Provenanced):
    """`whatif.diff()`: two assessments of one ruleset and what changed between them.
    `facts_changed`: fact -> [value in A, value in B] ("unknown" where a profile lacks it)."""
    ruleset: Mapping[str, Any]
    a: Assessment
    b: Assessment
    facts_changed: Mapping[str, Sequence]
    changes: tuple[SectorChange, ...]
    coordination_changes: tuple[CoordinationChange, ...]
    schema_version: Optional[str] = None
    provenance: Optional[Mapping[str, Any]] = None

    def to_dict(self) -> dict:
        data = self._head()
        data.update({"ruleset": dict(self.ruleset), "a": self.a.to_dict(), "b": self.b.to_dict(),
                     "facts_changed": _plain(self.facts_changed), "changes": _plain(self.changes),
                     "coordination_changes": _plain(self.coordination_changes)})
        return data


@dataclass(frozen=True)
class CompareRow:
    """How one 2012 recommendation maps onto 2021, or what is new in 2021."""
    sector_2012: Optional[str]
    phase: Optional[str]
    level_2012: Optional[str]
    target_kind: str
    target_2021: Optional[str]
    level_2021: Optional[str]   # a level, "attached" (cross-cutting issue) or None
    kind: str
    crosswalk: Optional[str]
    relation: Optional[str]
    citation: Optional[str]
    explanation: str
    rules_2012: tuple[str, ...]
    rules_2021: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"sector_2012": self.sector_2012, "phase": self.phase, "level_2012": self.level_2012,
                "target_kind": self.target_kind, "target_2021": self.target_2021, "level_2021": self.level_2021,
                "kind": self.kind, "crosswalk": self.crosswalk, "relation": self.relation,
                "citation": self.citation, "explanation": self.explanation,
                "rules_2012": list(self.rules_2012), "rules_2021": list(self.rules_2021)}


@dataclass(frozen=True)
class Compare(Provenanced):
    """`compare()`: one profile under the older ruleset (JSON key "2012") and the newer ("2021")."""
    profile: Mapping[str, Any]
    old: Assessment
    new: Assessment
    rows: tuple[CompareRow, ...]
    rulesets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    schema_version: Optional[str] = None
    provenance: Optional[Mapping[str, Any]] = None

    def to_dict(self) -> dict:
        data = self._head()
        data.update({"profile": dict(self.profile), "2012": self.old.to_dict(), "2021": self.new.to_dict(),
                     "rows": _plain(self.rows), "rulesets": _plain(self.rulesets)})
        return data


@dataclass(frozen=True)
class Diagrams:
    """`diagrams()`'s output (JSON-shaped already, with its provenance) wrapped so that
    `render` can dispatch on its type."""
    data: Mapping[str, Any]

    def to_dict(self) -> dict:
        return dict(self.data)
