"""The typed objects a ruleset is loaded into, and the vocabulary they share with the loader.

These are the lowest layer of ruleset loading: the loader's modules (engine/loader_*.py,
engine/crosswalk.py) build them, and engine/ruleset.py re-exports every name here, so the
rest of mcof imports them from there as before.
"""
from __future__ import annotations

import re
from functools import cached_property
from dataclasses import dataclass, field
from pathlib import Path

from . import conditions as cond
from .errors import RulesetError, did_you_mean
from .sources import SourceDocument, format_citation

RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FACT_TYPES = ("bool", "enum", "number", "string")
# the levels, highest first (Annex I para. 3); every ruleset has exactly these
LEVELS = ("critical", "important", "recommended")
# conclusion kind -> the key naming its target in `then:`
TARGET_KEYS = {"recommend": "sector", "derive": "fact", "coordinate": "partner", "modality": "modality",
               "cross_cutting": "issue"}
CONCLUSION_KINDS = tuple(TARGET_KEYS)
# "Departs from reading rule 1:" / "Departs from reading rules 1 and 3:" in an interpretation
DEPARTS = re.compile(r"[Dd]eparts from reading rules? (\d+(?:(?:, | and )\d+)*)")
# MCOF's third pillar: what a sector links to (CONTRACT.md, "Linkages"; the Annex I legends)
LINKAGE_KINDS = ("system", "cluster", "group")


@dataclass(frozen=True)
class Citation:
    document: str
    section: str | None
    paragraph: int

    def __str__(self) -> str:
        return format_citation(self.document, self.section, self.paragraph)


@dataclass(frozen=True)
class LinkageTarget:
    """A system, cluster or group a sector can link to (``linkages.yaml``)."""
    slug: str
    kind: str                       # one of LINKAGE_KINDS
    name: str
    short: str                      # the label where space is short (the wheel, terminal tables)
    citation: Citation
    quote: str | None = None


@dataclass(frozen=True)
class Linkage:
    """One sector's link to a system, cluster or group, with the words that state it."""
    target: LinkageTarget
    citation: Citation
    quote: str | None
    interpretation: str | None

    def to_dict(self) -> dict:
        data = {"to": self.target.slug, "kind": self.target.kind, "name": self.target.name, "short": self.target.short,
                "citation": str(self.citation), "quote": " ".join(self.quote.split()) if self.quote else None}
        if self.interpretation:
            data["interpretation"] = " ".join(self.interpretation.split())
        return data


@dataclass(frozen=True)
class Scenario:
    """One of Annex I's generic scenarios: a crisis type, its paragraphs and its diagram's title."""
    crisis_type: str
    name: str
    paragraphs: tuple[int, int]
    citation: Citation
    quote: str

    def to_dict(self) -> dict:
        return {"crisis_type": self.crisis_type, "name": self.name,
                "paragraphs": list(self.paragraphs), "citation": str(self.citation), "quote": self.quote}


@dataclass(frozen=True)
class Unencoded:
    """A sentence of the reading scope that no rule encodes, and why (``readings.yaml``)."""
    citation: Citation
    quote: str
    reason: str


@dataclass
class Sector:
    slug: str
    number: int
    name: str
    objective: str
    citation: Citation
    linkages: tuple[Linkage, ...] = ()

    def to_dict(self) -> dict:
        return {"slug": self.slug, "number": self.number, "name": self.name,
                "objective": self.objective, "citation": str(self.citation),
                "linkages": [link.to_dict() for link in self.linkages]}


@dataclass
class FactSpec:
    name: str
    type: str
    meaning: str
    source: Citation | None
    values: list | None = None
    is_list: bool = False
    derived: bool = False
    minimum: float | None = None
    maximum: float | None = None
    quote: str | None = None

    def to_dict(self) -> dict:
        data = {"name": self.name, "type": self.type, "list": self.is_list,
                "derived": self.derived, "meaning": self.meaning,
                "source": str(self.source) if self.source else None}
        if self.values is not None:
            data["values"] = self.values
        if self.minimum is not None:
            data["min"] = self.minimum
        if self.maximum is not None:
            data["max"] = self.maximum
        if self.quote:
            data["quote"] = self.quote
        return data


@dataclass
class Catalogued:
    """A named thing a rule can conclude: a partner, an operating modality, a cross-cutting issue."""
    slug: str
    name: str
    citation: Citation | None = None
    quote: str | None = None

    def to_dict(self) -> dict:
        return {"slug": self.slug, "name": self.name,
                "citation": str(self.citation) if self.citation else None, "quote": self.quote}


@dataclass
class Conclusion:
    kind: str                       # one of CONCLUSION_KINDS
    target: str                     # sector / fact / partner / modality / issue slug
    phase: str | None = None
    level: str | None = None


@dataclass(eq=False)  # identity: rules are looked up and cached by object
class Rule:
    id: str
    citation: Citation
    quote: str
    condition: cond.Condition
    conclusion: Conclusion
    source_file: str
    line: int | None
    wording: str | None = None
    interpretation: str | None = None
    # set when the rule is inherited through a crosswalk (2021 reads 2012's scenarios)
    origin: dict | None = None

    @property
    def where(self) -> str:
        return f"{self.source_file}:{self.line}" if self.line else self.source_file

    @cached_property
    def quote_text(self) -> str:
        """The quote on one line, as outputs show it."""
        return " ".join(self.quote.split())

    @cached_property
    def departs_from(self) -> list[int]:
        """The reading rules (docs/interpretations-*.md) this rule's interpretation says it departs from."""
        return sorted({int(n) for found in DEPARTS.findall(self.interpretation or "")
                       for n in re.findall(r"\d+", found)})

    @cached_property
    def interpretation_text(self) -> str | None:
        return " ".join(self.interpretation.split()) if self.interpretation else None

    def facts_read(self) -> list[str]:
        return list(dict.fromkeys(leaf.fact for leaf in cond.leaves(self.condition)))

    def to_dict(self) -> dict:
        c = self.conclusion
        then = {c.kind: {k: v for k, v in ((TARGET_KEYS[c.kind], c.target), ("phase", c.phase),
                                           ("level", c.level)) if v is not None}}
        data = {"id": self.id, "citation": str(self.citation), "quote": self.quote,
                "when": self.condition.describe(), "then": then, "wording": self.wording,
                "interpretation": self.interpretation, "file": self.where}
        if self.origin:
            data["origin"] = self.origin
        return data


@dataclass
class CrosswalkLink:
    id: str
    source_sector: str
    targets: list[tuple[str, str]]       # (kind: sector|modality|cross_cutting, slug)
    relation: str
    citation: Citation
    quote: str
    interpretation: str | None
    # the parent rules this link carries; None: every rule recommending source_sector. A split
    # names them, so each sentence goes only to the sector its own words name (reading rule 6).
    rules: tuple[str, ...] | None = None

    def carries(self, rule: "Rule") -> bool:
        return rule.conclusion.target == self.source_sector and (self.rules is None or rule.id in self.rules)

    def to_dict(self) -> dict:
        data = {"id": self.id, "from": self.source_sector,
                "to": [{kind: slug} for kind, slug in self.targets], "relation": self.relation,
                "citation": str(self.citation), "quote": self.quote,
                "interpretation": self.interpretation}
        if self.rules is not None:
            data["rules"] = list(self.rules)
        return data


@dataclass
class Ruleset:
    id: str
    title: str
    directory: Path
    sha256: str
    levels: list[str]
    wording: list[dict]
    documents: dict[str, SourceDocument]
    sectors: list[Sector]
    facts: dict[str, FactSpec]
    partners: dict[str, Catalogued]
    linkage_targets: dict[str, LinkageTarget] = field(default_factory=dict)
    scenarios: list[Scenario] = field(default_factory=list)
    reading_scope: list[Citation] = field(default_factory=list)
    unencoded: list[Unencoded] = field(default_factory=list)
    modalities: dict[str, Catalogued] = field(default_factory=dict)
    cross_cutting: dict[str, Catalogued] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    crosswalk: list[CrosswalkLink] = field(default_factory=list)
    parent: "Ruleset | None" = None
    files: list[Path] = field(default_factory=list)

    @cached_property
    def sector_linkages(self) -> dict[str, list[dict]]:
        """Each sector's linkages as outputs show them (computed once: every result carries them)."""
        return {s.slug: [link.to_dict() for link in s.linkages] for s in self.sectors}

    @property
    def sector_slugs(self) -> list[str]:
        return [s.slug for s in self.sectors]

    def sector(self, slug: str) -> Sector:
        for sector in self.sectors:
            if sector.slug == slug:
                return sector
        raise KeyError(slug)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise RulesetError(f"no rule '{rule_id}' in {self.id}",
                           hint=did_you_mean(rule_id, [r.id for r in self.rules])
                           or "list them with `mcof rules list`")

    def level_rank(self, level: str) -> int:
        """0 for the highest level."""
        return self.levels.index(level)

    def input_facts(self) -> dict[str, FactSpec]:
        return {n: f for n, f in self.facts.items() if not f.derived}

    def summary(self) -> dict:
        return {"id": self.id, "sha256": self.sha256, "title": self.title}




def is_flag_test(leaf: cond.Leaf) -> bool:
    """The one test a derived fact admits, after `not` is pushed to the leaves: `is: true`."""
    return leaf.op == "is" and leaf.value is True
