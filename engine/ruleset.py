"""Loading a ruleset directory (YAML) into validated, typed objects.

Validation happens here, once, so the engine can trust what it compiles. Every error names
the file, the line, the rule id and the field, and suggests a fix where it can.
"""
from __future__ import annotations

import hashlib
import re
from functools import cached_property
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import conditions as cond
from .errors import RulesetError, did_you_mean, one_of
from .resources import bundled
from .sources import SourceDocument, format_citation, load_document
from .yamlio import line_of, load_yaml

BUILTIN_DIR = bundled("rulesets")
BUILTIN_NAMES = ("2012", "2021")
RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FACT_TYPES = ("bool", "enum", "number", "string")
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


def resolve_ruleset_path(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    if text in BUILTIN_NAMES:
        return BUILTIN_DIR / text
    path = Path(text)
    if path.is_file() and path.name == "ruleset.yaml":
        path = path.parent
    if not (path / "ruleset.yaml").is_file():
        raise RulesetError(
            f"no ruleset at '{text}'", where=text,
            hint=f"use {' or '.join(BUILTIN_NAMES)}, or a directory holding ruleset.yaml")
    return path


# directory -> (ruleset, the stat of every file it was read from): reused while no file changed
_CACHE: dict[Path, tuple[Ruleset, tuple]] = {}


def _stamp(files: list[Path]) -> tuple:
    try:
        return tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    except OSError:
        return ()


def load_ruleset(name_or_path: str | Path = "2012") -> Ruleset:
    """Load and validate a ruleset (built-in name or directory). Cached per process, and read
    again when one of its files has changed (or a new file would be read: rules/ is listed)."""
    directory = resolve_ruleset_path(name_or_path).resolve()
    cached = _CACHE.get(directory)
    if cached is None or _stamp(_watched(cached[0])) != cached[1]:
        ruleset = _Loader(directory).load()
        _CACHE[directory] = (ruleset, _stamp(_watched(ruleset)))
    return _CACHE[directory][0]


def _watched(ruleset: Ruleset) -> list[Path]:
    """The files a ruleset was read from, and the directories whose listing decides which."""
    return [*ruleset.files, ruleset.directory, ruleset.directory / "rules"]


class _Loader:
    def __init__(self, directory: Path):
        self.directory = directory
        self.files: list[Path] = []

    # ----------------------------------------------------------------- helpers
    def read(self, name: str, required: bool = True):
        path = self.directory / name
        if not path.exists():
            if required:
                raise RulesetError("file missing from the ruleset", where=str(path))
            return None
        self.files.append(path)
        return load_yaml(path, RulesetError)

    def fail(self, message: str, where: str, hint: str | None = None):
        raise RulesetError(message, where=where, hint=hint)

    def mapping(self, node, where: str, what: str) -> dict:
        if not isinstance(node, dict):
            self.fail(f"{what} must be a mapping, not {type(node).__name__}", where)
        return node

    def keys(self, node: dict, where: str, required: set[str], optional: set[str]):
        allowed = required | optional
        for key in node:
            if key not in allowed:
                self.fail(f"unknown field '{key}'", where,
                          did_you_mean(key, allowed) or f"allowed fields: {', '.join(sorted(allowed))}")
        for key in sorted(required - set(node)):
            self.fail(f"missing field '{key}'", where)

    def text(self, node: dict, key: str, where: str) -> str:
        value = node.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(f"field '{key}' must be non-empty text", where)
        return value.strip()

    def where(self, path: Path, node=None, item: str | None = None) -> str:
        line = line_of(node)
        place = f"{path}:{line}" if line else str(path)
        return f"{place} ({item})" if item else place

    def citation(self, node, where: str, field_name: str = "citation") -> Citation:
        node = self.mapping(node, f"{where} field '{field_name}'", field_name)
        self.keys(node, f"{where} field '{field_name}'", {"document", "paragraph"}, {"section"})
        document = node["document"]
        if document not in self.documents:
            self.fail(f"unknown document '{document}' in '{field_name}'", where,
                      did_you_mean(document, self.documents) or one_of(self.documents))
        paragraph = node["paragraph"]
        if not isinstance(paragraph, int) or isinstance(paragraph, bool):
            self.fail(f"'{field_name}.paragraph' must be a paragraph number, not {paragraph!r}", where)
        citation = Citation(document, node.get("section"), paragraph)
        if self.documents[document].paragraph(citation.section, paragraph) is None:
            self.fail(f"{citation} does not exist in {self.documents[document].path.name}", where)
        return citation

    def check_quote(self, quote: str, citation: Citation, where: str):
        document = self.documents[citation.document]
        if document.contains(quote, citation.section, citation.paragraph):
            return
        found = document.find(quote)
        hint = (f"the quote is in {format_citation(citation.document, *found[0])}: fix the citation"
                if found else "copy the sentence verbatim from the source (whitespace may differ)")
        self.fail(f"quote not found verbatim in {citation}", where, hint)

    # ----------------------------------------------------------------- sections
    def load(self) -> Ruleset:
        path = self.directory / "ruleset.yaml"
        head = self.mapping(self.read("ruleset.yaml"), str(path), "ruleset.yaml")
        self.keys(head, str(path), {"id", "title", "documents", "levels", "wording"},
                  {"inherits", "description"})
        self.documents = {}
        for key, spec in self.mapping(head["documents"], str(path), "documents").items():
            spec = self.mapping(spec, f"{path} (documents.{key})", "a document")
            doc_path = (self.directory / self.text(spec, "file", str(path))).resolve()
            if not doc_path.is_file():
                self.fail(f"source document not found: {doc_path}", f"{path} (documents.{key})")
            self.files.append(doc_path)
            self.documents[key] = load_document(key, doc_path)
        levels = head["levels"]
        if levels != ["critical", "important", "recommended"]:
            self.fail("levels must be [critical, important, recommended] (Annex I para. 3)", str(path))
        self.levels = levels
        self.wording = self.load_wording(head["wording"], path)

        parent = None
        if "inherits" in head:
            parent = self.load_parent(head["inherits"], path)

        self.linkage_targets = dict(parent.linkage_targets) if parent else {}
        self.linkage_targets.update(self.load_linkage_targets())
        sectors = self.load_sectors()
        facts = dict(parent.facts) if parent else {}
        facts.update(self.load_facts())
        for required in ("crisis_type", "phase"):
            if required not in facts:
                self.fail(f"the fact catalogue must define '{required}'", str(self.directory / "facts.yaml"))
        self.facts = facts
        scenarios = self.load_scenarios() or (list(parent.scenarios) if parent else [])
        reading_scope, unencoded = self.load_readings()
        partners = dict(parent.partners) if parent else {}
        partners.update(self.load_catalogue("partners.yaml", "partners", required=parent is None))
        self.sector_slugs = {s.slug for s in sectors}
        self.partners = partners
        self.modalities = self.load_catalogue("modalities.yaml", "modalities", required=False)
        self.cross_cutting = self.load_catalogue("cross_cutting.yaml", "cross_cutting", required=False)

        rules = self.load_rules()
        crosswalk: list[CrosswalkLink] = []
        if parent:
            crosswalk = self.load_crosswalk(head["inherits"], path, parent)
            rules = self.inherited_rules(parent, crosswalk) + rules
        self.check_unique_ids(rules)
        self.check_derived_facts(rules)

        return Ruleset(
            id=self.text(head, "id", str(path)), title=self.text(head, "title", str(path)),
            directory=self.directory, sha256=content_hash(self.files, self.directory.parent), levels=levels,
            wording=self.wording, documents=self.documents, sectors=sectors, facts=facts,
            partners=partners, linkage_targets=self.linkage_targets, scenarios=scenarios,
            reading_scope=reading_scope, unencoded=unencoded, modalities=self.modalities, cross_cutting=self.cross_cutting,
            rules=rules, crosswalk=crosswalk, parent=parent, files=sorted(set(self.files)))

    def load_wording(self, node, path: Path) -> list[dict]:
        if not isinstance(node, list) or not node:
            self.fail("'wording' must be a list of {words, level, why}", str(path))
        table = []
        for entry in node:
            where = self.where(path, entry, "wording")
            entry = self.mapping(entry, where, "a wording entry")
            self.keys(entry, where, {"words", "level", "why"}, set())
            if entry["level"] not in self.levels:
                self.fail(f"unknown level '{entry['level']}'", where,
                          did_you_mean(entry["level"], self.levels) or one_of(self.levels))
            if not isinstance(entry["words"], list) or not all(isinstance(w, str) for w in entry["words"]):
                self.fail("'words' must be a list of phrases", where)
            table.append({"words": entry["words"], "level": entry["level"], "why": entry["why"]})
        return table

    def level_of_wording(self, wording: str) -> str | None:
        for entry in self.wording:
            if any(w.lower() == wording.lower() for w in entry["words"]):
                return entry["level"]
        return None

    def load_parent(self, node, path: Path) -> Ruleset:
        node = self.mapping(node, f"{path} (inherits)", "inherits")
        self.keys(node, f"{path} (inherits)", {"ruleset", "crosswalk"}, set())
        parent_dir = (self.directory / node["ruleset"]).resolve()
        parent = load_ruleset(parent_dir)
        self.files.extend(parent.files)
        for key, document in parent.documents.items():
            self.documents.setdefault(key, document)
        return parent

    def load_sectors(self) -> list[Sector]:
        path = self.directory / "sectors.yaml"
        data = self.mapping(self.read("sectors.yaml"), str(path), "sectors.yaml")
        sectors = []
        for number, node in enumerate(data.get("sectors") or [], start=1):
            where = self.where(path, node, f"sector {node.get('slug', number) if isinstance(node, dict) else number}")
            node = self.mapping(node, where, "a sector")
            self.keys(node, where, {"slug", "number", "name", "objective", "citation"}, {"linkages"})
            citation = self.citation(node["citation"], where)
            objective = self.text(node, "objective", where)
            self.check_quote(objective, citation, where)
            if node["number"] != number:
                self.fail(f"sector number {node['number']} out of document order (expected {number})", where)
            linkages = self.load_linkages(node.get("linkages") or [], path, where)
            sectors.append(Sector(node["slug"], number, self.text(node, "name", where), objective, citation,
                                  linkages))
        if not sectors:
            self.fail("no sectors defined", str(path))
        slugs = [s.slug for s in sectors]
        duplicates = {s for s in slugs if slugs.count(s) > 1}
        if duplicates:
            self.fail(f"duplicate sector slug(s): {', '.join(sorted(duplicates))}", str(path))
        return sectors

    def load_readings(self) -> tuple[list[Citation], list[Unencoded]]:
        """The paragraphs read sentence by sentence, and the sentences no rule encodes."""
        data = self.read("readings.yaml", required=False)
        if data is None:
            return [], []
        path = self.directory / "readings.yaml"
        data = self.mapping(data, str(path), "readings.yaml")
        self.keys(data, str(path), {"scope"}, {"unencoded"})
        scope: list[Citation] = []
        for node in data["scope"] or []:
            where = self.where(path, node, "scope")
            node = self.mapping(node, where, "a scope entry")
            self.keys(node, where, {"document", "paragraphs"}, {"section"})
            span = node["paragraphs"]
            if not (isinstance(span, list) and len(span) == 2 and all(isinstance(n, int) for n in span)):
                self.fail("'paragraphs' must be [first, last]", where)
            for number in range(span[0], span[1] + 1):
                scope.append(self.citation({"document": node["document"], "section": node.get("section"),
                                            "paragraph": number}, where))
        unencoded: list[Unencoded] = []
        for node in data.get("unencoded") or []:
            where = self.where(path, node, "unencoded")
            node = self.mapping(node, where, "an unencoded sentence")
            self.keys(node, where, {"citation", "quote", "reason"}, set())
            citation = self.citation(node["citation"], where)
            quote = self.text(node, "quote", where)
            self.check_quote(quote, citation, where)
            unencoded.append(Unencoded(citation, quote, " ".join(self.text(node, "reason", where).split())))
        return scope, unencoded

    def load_scenarios(self) -> list[Scenario]:
        data = self.read("scenarios.yaml", required=False)
        if data is None:
            return []
        path = self.directory / "scenarios.yaml"
        data = self.mapping(data, str(path), "scenarios.yaml")
        crisis_types = self.facts["crisis_type"].values or []
        scenarios: list[Scenario] = []
        for node in data.get("scenarios") or []:
            where = self.where(path, node, "scenarios")
            node = self.mapping(node, where, "a scenario")
            self.keys(node, where, {"crisis_type", "name", "paragraphs", "citation", "quote"}, set())
            if node["crisis_type"] not in crisis_types:
                self.fail(f"unknown crisis type {node['crisis_type']!r}", where,
                          did_you_mean(str(node["crisis_type"]), crisis_types) or one_of(crisis_types))
            span = node["paragraphs"]
            if not (isinstance(span, list) and len(span) == 2 and all(isinstance(n, int) for n in span)):
                self.fail("'paragraphs' must be [first, last]", where)
            citation = self.citation(node["citation"], where)
            quote = self.text(node, "quote", where)
            self.check_quote(quote, citation, where)
            scenarios.append(Scenario(node["crisis_type"], self.text(node, "name", where), tuple(span),
                                      citation, quote))
        return scenarios

    def load_linkage_targets(self) -> dict[str, LinkageTarget]:
        data = self.read("linkages.yaml", required=False)
        if data is None:
            return {}
        path = self.directory / "linkages.yaml"
        data = self.mapping(data, str(path), "linkages.yaml")
        targets: dict[str, LinkageTarget] = {}
        for node in data.get("linkages") or []:
            where = self.where(path, node, "linkages")
            node = self.mapping(node, where, "an entry of linkages")
            self.keys(node, where, {"slug", "kind", "name", "short", "citation"}, {"quote"})
            slug = self.text(node, "slug", where)
            if slug in targets or slug in self.linkage_targets:
                self.fail(f"linkage target '{slug}' defined twice", where)
            if node["kind"] not in LINKAGE_KINDS:
                self.fail(f"unknown linkage kind {node['kind']!r}", where,
                          did_you_mean(str(node["kind"]), LINKAGE_KINDS) or one_of(LINKAGE_KINDS))
            citation = self.citation(node["citation"], where)
            quote = node.get("quote")
            if quote:
                self.check_quote(quote, citation, where)
            targets[slug] = LinkageTarget(slug, node["kind"], self.text(node, "name", where),
                                          self.text(node, "short", where), citation, quote)
        return targets

    def load_linkages(self, nodes, path: Path, sector_where: str) -> tuple[Linkage, ...]:
        """A sector's links: each cites the words that state it, or says why it is read without."""
        if not isinstance(nodes, list):
            self.fail("'linkages' must be a list of {to, citation, quote | interpretation}", sector_where)
        linkages: list[Linkage] = []
        for node in nodes:
            where = self.where(path, node, "linkage")
            node = self.mapping(node, where, "a linkage")
            self.keys(node, where, {"to", "citation"}, {"quote", "interpretation"})
            slug = node["to"]
            if slug not in self.linkage_targets:
                self.fail(f"unknown linkage target '{slug}'", where,
                          did_you_mean(str(slug), self.linkage_targets) or "declare it in linkages.yaml")
            if any(link.target.slug == slug for link in linkages):
                self.fail(f"linkage to '{slug}' listed twice for one sector", where)
            citation = self.citation(node["citation"], where)
            quote, interpretation = node.get("quote"), node.get("interpretation")
            if quote:
                self.check_quote(quote, citation, where)
            elif not interpretation:
                self.fail("a linkage needs a verbatim 'quote', or an 'interpretation' saying why it is "
                          "read without one", where)
            linkages.append(Linkage(self.linkage_targets[slug], citation, quote, interpretation))
        return tuple(linkages)

    def load_facts(self) -> dict[str, FactSpec]:
        path = self.directory / "facts.yaml"
        data = self.mapping(self.read("facts.yaml"), str(path), "facts.yaml")
        facts: dict[str, FactSpec] = {}
        for node in data.get("facts") or []:
            where = self.where(path, node, f"fact {node.get('name') if isinstance(node, dict) else node}")
            node = self.mapping(node, where, "a fact")
            self.keys(node, where, {"name", "type", "meaning", "source"},
                      {"values", "list", "derived", "min", "max", "quote"})
            name = self.text(node, "name", where)
            if name in facts:
                self.fail(f"fact '{name}' defined twice", where)
            if node["type"] not in FACT_TYPES:
                self.fail(f"unknown fact type '{node['type']}'", where,
                          did_you_mean(node["type"], FACT_TYPES) or one_of(FACT_TYPES))
            if node["type"] == "enum" and not isinstance(node.get("values"), list):
                self.fail("an enum fact needs 'values' (a list)", where)
            if node.get("derived") and node["type"] != "bool":
                # A derived fact is asserted when its rules hold and is otherwise not
                # established: it is a flag, never a quantity.
                self.fail("a derived fact must have type bool", where)
            source = self.citation(node["source"], where, "source")
            quote = node.get("quote")
            if quote:
                self.check_quote(quote, source, where)
            facts[name] = FactSpec(name=name, type=node["type"], meaning=self.text(node, "meaning", where),
                                   source=source, values=node.get("values"),
                                   is_list=bool(node.get("list", False)),
                                   derived=bool(node.get("derived", False)),
                                   minimum=node.get("min"), maximum=node.get("max"), quote=quote)
        return facts

    def load_catalogue(self, filename: str, key: str, required: bool) -> dict[str, Catalogued]:
        data = self.read(filename, required=required)
        if data is None:
            return {}
        path = self.directory / filename
        data = self.mapping(data, str(path), filename)
        entries: dict[str, Catalogued] = {}
        for node in data.get(key) or []:
            where = self.where(path, node, key)
            node = self.mapping(node, where, f"an entry of {key}")
            self.keys(node, where, {"slug", "name"}, {"citation", "quote"})
            citation = self.citation(node["citation"], where) if "citation" in node else None
            if node.get("quote"):
                if not citation:
                    self.fail("a quote needs a citation", where)
                self.check_quote(node["quote"], citation, where)
            entries[node["slug"]] = Catalogued(node["slug"], self.text(node, "name", where),
                                               citation, node.get("quote"))
        return entries

    # ----------------------------------------------------------------- rules
    def load_rules(self) -> list[Rule]:
        rules_dir = self.directory / "rules"
        rules: list[Rule] = []
        for path in sorted(rules_dir.glob("*.yaml")):
            if path.name.endswith(".test.yaml"):
                continue
            data = self.mapping(self.read(f"rules/{path.name}"), str(path), path.name)
            self.keys(data, str(path), {"rules"}, {"description"})
            for node in data["rules"] or []:
                rules.append(self.load_rule(node, path))
        return rules

    def load_rule(self, node, path: Path) -> Rule:
        rule_id = node.get("id") if isinstance(node, dict) else None
        where = self.where(path, node, f"rule {rule_id}" if rule_id else "rule")
        node = self.mapping(node, where, "a rule")
        self.keys(node, where, {"id", "citation", "quote", "when", "then"},
                  {"wording", "interpretation", "note"})
        if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
            self.fail(f"rule id {rule_id!r} must be lower-case letters, digits and dashes", where)
        citation = self.citation(node["citation"], where)
        quote = self.text(node, "quote", where)
        self.check_quote(quote, citation, where)
        condition = self.condition(node["when"], where, "when")
        conclusion = self.conclusion(node["then"], where)
        wording = node.get("wording")
        interpretation = node.get("interpretation")
        if conclusion.level is not None:
            if not wording:
                self.fail("field 'wording' is required: the words of the quote that set the level", where)
            if wording.lower() not in " ".join(quote.split()).lower():
                self.fail(f"wording '{wording}' does not occur in the quote", where)
            mapped = self.level_of_wording(wording)
            if mapped != conclusion.level and not interpretation:
                expected = f"the wording table maps '{wording}' to {mapped}" if mapped else \
                    f"'{wording}' is not in the wording table of ruleset.yaml"
                self.fail(f"level '{conclusion.level}' is not what the text says ({expected})", where,
                          "add an 'interpretation' explaining the level, or fix the level")
        self.check_phase_guard(condition, conclusion, where)
        return Rule(id=rule_id, citation=citation, quote=quote, condition=condition,
                    conclusion=conclusion, source_file=str(path), line=line_of(node),
                    wording=wording, interpretation=interpretation)

    def check_phase_guard(self, condition: cond.Condition, conclusion: Conclusion, where: str):
        """A rule that recommends for a phase must require that phase in every alternative,
        or it would recommend for a phase the profile is not in."""
        if conclusion.phase is None:
            return
        for alternative in cond.to_dnf(condition):
            if cond.Leaf("phase", "includes", conclusion.phase) not in alternative:
                self.fail(f"concludes for phase '{conclusion.phase}' but does not require it",
                          where, f"add {{fact: phase, includes: {conclusion.phase}}} to 'when'")

    def condition(self, node, where: str, field_path: str) -> cond.Condition:
        if not isinstance(node, dict) or len(node) == 0:
            self.fail(f"'{field_path}' must be a condition mapping", where)
        if "fact" in node:
            return self.leaf(node, where, field_path)
        if len(node) != 1:
            self.fail(f"'{field_path}' must have exactly one of all/any/not, or a 'fact'", where)
        (key, value), = node.items()
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                self.fail(f"'{field_path}.{key}' must be a non-empty list", where)
            parts = tuple(self.condition(v, where, f"{field_path}.{key}[{i}]") for i, v in enumerate(value))
            return cond.All(parts) if key == "all" else cond.Any(parts)
        if key == "not":
            inner = self.condition(value, where, f"{field_path}.not")
            try:
                return cond.negate(inner)
            except ValueError:
                self.fail(f"'{field_path}.not' negates 'includes', which is not allowed",
                          where, "list facts are matched by membership; test the other values instead")
        self.fail(f"unknown condition '{key}' in '{field_path}'", where,
                  did_you_mean(key, ["all", "any", "not", "fact"]) or "use all, any, not or fact")

    def leaf(self, node: dict, where: str, field_path: str) -> cond.Leaf:
        operators = [k for k in node if k != "fact"]
        if len(operators) != 1:
            self.fail(f"'{field_path}' must have one operator besides 'fact', found {operators or 'none'}",
                      where, one_of(cond.WRITABLE_OPERATORS))
        op = operators[0]
        if op not in cond.WRITABLE_OPERATORS:
            self.fail(f"unknown operator '{op}' in '{field_path}'", where,
                      did_you_mean(op, cond.WRITABLE_OPERATORS) or one_of(cond.WRITABLE_OPERATORS))
        name, value = node["fact"], node[op]
        spec = self.facts.get(name)
        if spec is None:
            self.fail(f"unknown fact '{name}' in '{field_path}'", where,
                      did_you_mean(name, self.facts) or "declare it in facts.yaml")
        problem = operand_problem(spec, op, value)
        if problem:
            self.fail(f"'{field_path}': {problem}", where)
        if op in ("in", "not_in"):
            value = tuple(value)
        return cond.Leaf(name, op, value)

    def conclusion(self, node, where: str) -> Conclusion:
        if not isinstance(node, dict) or len(node) != 1:
            self.fail("'then' must have exactly one conclusion", where, one_of(CONCLUSION_KINDS))
        (kind, body), = node.items()
        if kind not in CONCLUSION_KINDS:
            self.fail(f"unknown conclusion '{kind}'", where,
                      did_you_mean(kind, CONCLUSION_KINDS) or one_of(CONCLUSION_KINDS))
        body = self.mapping(body, where, f"then.{kind}")
        phases = self.facts["phase"].values
        if kind == "derive":
            self.keys(body, where, {"fact"}, {"value"})
            spec = self.facts.get(body["fact"])
            if spec is None:
                self.fail(f"then.derive: unknown fact '{body['fact']}'", where,
                          did_you_mean(body["fact"], self.facts) or "declare it in facts.yaml with derived: true")
            if not spec.derived:
                self.fail(f"then.derive: fact '{spec.name}' is an input fact", where,
                          "mark it derived: true in facts.yaml, or derive another fact")
            if body.get("value", True) is not True:
                self.fail("then.derive: a derived fact is asserted as true", where,
                          "derive another fact for the opposite case")
            return Conclusion("derive", spec.name)
        known = {"recommend": self.sector_slugs, "coordinate": self.partners, "modality": self.modalities,
                 "cross_cutting": self.cross_cutting}[kind]
        target_key = TARGET_KEYS[kind]
        needs_level = kind in ("recommend", "modality")
        needs_phase = kind != "cross_cutting"
        required = {target_key} | ({"level"} if needs_level else set()) | ({"phase"} if needs_phase else set())
        self.keys(body, where, required, set())
        target = body[target_key]
        if target not in known:
            self.fail(f"then.{kind}: unknown {target_key} '{target}'", where,
                      did_you_mean(target, known) or one_of(known))
        if needs_phase and body["phase"] not in phases:
            self.fail(f"then.{kind}: unknown phase '{body['phase']}'", where,
                      did_you_mean(body["phase"], phases) or one_of(phases))
        if needs_level and body["level"] not in self.levels:
            self.fail(f"then.{kind}: unknown level '{body['level']}'", where,
                      did_you_mean(body["level"], self.levels) or one_of(self.levels))
        return Conclusion(kind, target, phase=body.get("phase"), level=body.get("level"))

    def load_crosswalk(self, inherits: dict, path: Path, parent: Ruleset) -> list[CrosswalkLink]:
        name = inherits["crosswalk"]
        cw_path = self.directory / name
        data = self.mapping(self.read(name), str(cw_path), name)
        links: list[CrosswalkLink] = []
        kinds = {"sector": self.sector_slugs, "modality": self.modalities, "cross_cutting": self.cross_cutting}
        for node in data.get("links") or []:
            where = self.where(cw_path, node, f"link {node.get('id') if isinstance(node, dict) else ''}")
            node = self.mapping(node, where, "a crosswalk link")
            self.keys(node, where, {"id", "from", "to", "relation", "citation", "quote"},
                      {"interpretation", "note", "rules"})
            if node["from"] not in parent.sector_slugs:
                self.fail(f"unknown {parent.id} sector '{node['from']}'", where,
                          did_you_mean(node["from"], parent.sector_slugs) or one_of(parent.sector_slugs))
            carried = self.crosswalk_rules(node, parent, where)
            targets = []
            for target in node["to"] or []:
                if not isinstance(target, dict) or len(target) != 1:
                    self.fail("each 'to' entry is one of {sector: S}, {modality: M}, {cross_cutting: C}", where)
                (kind, slug), = target.items()
                if kind not in kinds:
                    self.fail(f"unknown target kind '{kind}'", where, did_you_mean(kind, kinds) or one_of(kinds))
                if slug not in kinds[kind]:
                    self.fail(f"unknown {kind} '{slug}'", where, did_you_mean(slug, kinds[kind]) or one_of(kinds[kind]))
                targets.append((kind, slug))
            citation = self.citation(node["citation"], where)
            self.check_quote(node["quote"], citation, where)
            links.append(CrosswalkLink(node["id"], node["from"], targets, node["relation"], citation,
                                       node["quote"].strip(), node.get("interpretation"), carried))
        missing = [s for s in parent.sector_slugs if s not in {link.source_sector for link in links}]
        if missing:
            self.fail(f"crosswalk does not account for {parent.id} sector(s): {', '.join(missing)}", str(cw_path))
        dropped = [r.id for r in parent.rules if r.conclusion.kind == "recommend"
                   and not any(link.carries(r) for link in links)]
        if dropped:
            self.fail(f"no crosswalk link carries {parent.id} rule(s) {', '.join(dropped)}", str(cw_path),
                      "add them to the 'rules' of a link from their sector")
        return links

    def crosswalk_rules(self, node: dict, parent: Ruleset, where: str) -> tuple[str, ...] | None:
        """A link's `rules`: parent rule ids, each recommending the link's `from` sector."""
        if "rules" not in node:
            return None
        ids = node["rules"]
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            self.fail("'rules' must be a non-empty list of rule ids", where)
        own = [r.id for r in parent.rules if r.conclusion.kind == "recommend" and r.conclusion.target == node["from"]]
        for rule_id in ids:
            if rule_id not in own:
                self.fail(f"{parent.id} rule '{rule_id}' does not recommend {node['from']}", where,
                          did_you_mean(rule_id, own) or one_of(own))
        return tuple(ids)

    def inherited_rules(self, parent: Ruleset, crosswalk: list[CrosswalkLink]) -> list[Rule]:
        """The parent's scenario rules, with sector recommendations carried through the crosswalk.

        Derivations and coordination rules are kept as they are; a recommendation of a parent
        sector becomes one rule per crosswalk target, and remembers both the parent rule and
        the link, so the justification shows the whole path.
        """
        rules: list[Rule] = []
        for rule in parent.rules:
            if rule.conclusion.kind != "recommend":
                rules.append(replace(rule, origin={"ruleset": parent.id, "rule": rule.id}))
                continue
            for link in crosswalk:
                if not link.carries(rule):
                    continue
                for kind, slug in link.targets:
                    conclusion = Conclusion(
                        {"sector": "recommend", "modality": "modality", "cross_cutting": "cross_cutting"}[kind],
                        slug, phase=rule.conclusion.phase if kind != "cross_cutting" else None,
                        level=rule.conclusion.level if kind != "cross_cutting" else None)
                    rules.append(Rule(
                        id=f"{rule.id}--{link.id}", citation=rule.citation, quote=rule.quote,
                        condition=rule.condition, conclusion=conclusion, source_file=rule.source_file,
                        line=rule.line, wording=rule.wording, interpretation=rule.interpretation,
                        origin={"ruleset": parent.id, "rule": rule.id,
                                "sector": rule.conclusion.target, "crosswalk": link.to_dict()}))
        return rules

    def check_unique_ids(self, rules: list[Rule]):
        seen: dict[str, Rule] = {}
        for rule in rules:
            if rule.id in seen:
                self.fail(f"duplicate rule id '{rule.id}' (first defined at {seen[rule.id].where})", rule.where)
            seen[rule.id] = rule

    def check_derived_facts(self, rules: list[Rule]):
        derivable = {r.conclusion.target for r in rules if r.conclusion.kind == "derive"}
        for rule in rules:
            for leaf in cond.leaves(rule.condition):
                spec = self.facts[leaf.fact]
                if spec.derived and leaf.fact not in derivable:
                    self.fail(f"reads derived fact '{leaf.fact}', which no rule derives", rule.where)
                if spec.derived and not is_flag_test(leaf):
                    # A derived fact is a flag, only ever asserted: "not derived" is not "false",
                    # and durable-rules could not see an absence mid-cascade anyway (notes).
                    self.fail(f"tests derived fact '{leaf.fact}' with '{leaf.describe()}'", rule.where,
                              f"a derived fact can only be required: write {{fact: {leaf.fact}, is: true}}")


def is_flag_test(leaf: cond.Leaf) -> bool:
    """The one test a derived fact admits, after `not` is pushed to the leaves: `is: true`."""
    return leaf.op == "is" and leaf.value is True


def content_hash(files: list[Path], root: Path) -> str:
    """sha256 over every file the ruleset is made of (names relative to `root`, and bytes),
    so an output can be tied to the exact rules and texts that produced it."""
    digest = hashlib.sha256()
    for file in sorted(set(files)):
        name = file.relative_to(root) if file.is_relative_to(root) else Path(file.name)
        digest.update(name.as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def operand_problem(spec: FactSpec, op: str, value) -> str | None:
    """Why `value` cannot be compared with fact `spec` by `op`, or None when it can."""
    if op == "includes":
        if not spec.is_list:
            return f"'includes' needs a list fact; '{spec.name}' is a single value (use equals or in)"
        return value_problem(spec, value)
    if spec.is_list:
        return f"'{spec.name}' is a list fact: use 'includes'"
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            return f"'{op}' needs a non-empty list"
        return next((p for p in (value_problem(spec, v) for v in value) if p), None)
    if op in cond.NUMERIC_OPERATORS and spec.type != "number":
        return f"'{op}' needs a number fact; '{spec.name}' is {spec.type}"
    if op == "is" and spec.type != "bool":
        return f"'is' needs a bool fact; '{spec.name}' is {spec.type} (use equals)"
    return value_problem(spec, value)


def value_problem(spec: FactSpec, value) -> str | None:
    if spec.type == "bool":
        return None if isinstance(value, bool) else f"'{spec.name}' is true or false, not {value!r}"
    if spec.type == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"'{spec.name}' is a number, not {value!r}"
        return None
    if spec.type == "enum":
        if value not in spec.values:
            hint = did_you_mean(value, spec.values) or one_of(spec.values)
            return f"'{value}' is not a value of '{spec.name}' ({hint})"
        return None
    return None if isinstance(value, str) else f"'{spec.name}' is text, not {value!r}"
