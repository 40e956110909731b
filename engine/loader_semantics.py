"""The semantic checks of a ruleset's catalogue files, once their structure is known good.

A `Reader` reads one ruleset directory: each file is parsed (engine/yamlio.py), checked
against its schema (engine/structure.py) and only then read here, so the code below trusts
every field's presence and type and checks what a schema cannot: a citation names a known
document and an existing paragraph, a quote is verbatim in its paragraph, sectors are in
document order, slugs are unique, a linkage names a declared target, a scenario a known
crisis type. Rules are read by engine/loader_rules.py, the crosswalk by engine/crosswalk.py.
"""
from __future__ import annotations

from pathlib import Path

from .errors import RulesetError, did_you_mean, one_of
from .model import LEVELS, Catalogued, Citation, FactSpec, Linkage, LinkageTarget, Scenario, Sector, Unencoded
from .sources import format_citation, load_document
from .structure import first_problem
from .yamlio import line_of, load_yaml


def check_structure(data, kind: str, path: Path):
    """Raise the first structural error of a file, with its line, field path and a hint."""
    problem = first_problem(data, kind)
    if problem is None:
        return
    place = f"{path}:{problem.line}" if problem.line else str(path)
    detail = ", ".join(p for p in (problem.item, f"field {problem.field}" if problem.path else None) if p)
    raise RulesetError(problem.message, where=f"{place} ({detail})" if detail else place, hint=problem.hint)


class Reader:
    """One ruleset directory being read: the files read so far and the catalogues built."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.files: list[Path] = []
        self.documents: dict = {}
        self.levels: list[str] = list(LEVELS)
        self.wording: list[dict] = []
        self.facts: dict[str, FactSpec] = {}
        self.sector_slugs: set[str] = set()
        self.partners: dict[str, Catalogued] = {}
        self.modalities: dict[str, Catalogued] = {}
        self.cross_cutting: dict[str, Catalogued] = {}
        self.linkage_targets: dict[str, LinkageTarget] = {}

    def read(self, name: str, kind: str, required: bool = True):
        """A file's data, its structure validated; None for an optional file that is absent."""
        path = self.directory / name
        if not path.exists():
            if required:
                raise RulesetError("file missing from the ruleset", where=str(path))
            return None
        self.files.append(path)
        data = load_yaml(path, RulesetError)
        check_structure(data, kind, path)
        return data

    def fail(self, message: str, where: str, hint: str | None = None):
        raise RulesetError(message, where=where, hint=hint)

    def path(self, text: str, where: str) -> Path:
        """A path the ruleset names, relative to its directory, resolved; a name no file
        system accepts (a NUL byte, a name too long) is a located error."""
        try:
            return (self.directory / text.strip()).resolve()
        except (OSError, ValueError) as error:
            self.fail(f"not a usable path: {text!r} ({error})", where, "name a file relative to the ruleset")

    def where(self, path: Path, node=None, item: str | None = None) -> str:
        line = line_of(node)
        place = f"{path}:{line}" if line else str(path)
        return f"{place} ({item})" if item else place

    def citation(self, node: dict, where: str, field_name: str = "citation") -> Citation:
        document = node["document"]
        if document not in self.documents:
            self.fail(f"unknown document '{document}' in '{field_name}'", where,
                      did_you_mean(document, self.documents) or one_of(self.documents))
        citation = Citation(document, node.get("section"), node["paragraph"])
        if self.documents[document].paragraph(citation.section, citation.paragraph) is None:
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

    def quoted(self, node: dict, where: str, key: str = "quote", cite: str = "citation") -> tuple[Citation, str]:
        """A node's citation and its quote, checked verbatim in the cited paragraph."""
        citation = self.citation(node[cite], where, cite)
        quote = node[key].strip()
        self.check_quote(quote, citation, where)
        return citation, quote


# ------------------------------------------------------------------------------- ruleset.yaml

def load_documents(r: Reader, head: dict, path: Path):
    for key, spec in head["documents"].items():
        doc_path = r.path(spec["file"], f"{path} (documents.{key})")
        if not doc_path.is_file():
            r.fail(f"source document not found: {doc_path}", f"{path} (documents.{key})")
        r.files.append(doc_path)
        r.documents[key] = load_document(key, doc_path)


def load_wording(r: Reader, nodes: list) -> list[dict]:
    return [{"words": entry["words"], "level": entry["level"], "why": entry["why"]} for entry in nodes]


def level_of_wording(wording_table: list[dict], wording: str) -> str | None:
    for entry in wording_table:
        if any(w.lower() == wording.lower() for w in entry["words"]):
            return entry["level"]
    return None


# ------------------------------------------------------------------- sectors and their links

def load_linkage_targets(r: Reader) -> dict[str, LinkageTarget]:
    data = r.read("linkages.yaml", "linkages", required=False)
    if data is None:
        return {}
    path = r.directory / "linkages.yaml"
    targets: dict[str, LinkageTarget] = {}
    for node in data.get("linkages") or []:
        where = r.where(path, node, "linkages")
        slug = node["slug"].strip()
        if slug in targets or slug in r.linkage_targets:
            r.fail(f"linkage target '{slug}' defined twice", where)
        citation = r.citation(node["citation"], where)
        quote = node.get("quote")
        if quote:
            r.check_quote(quote, citation, where)
        targets[slug] = LinkageTarget(slug, node["kind"], node["name"].strip(), node["short"].strip(),
                                      citation, quote)
    return targets


def load_sectors(r: Reader) -> list[Sector]:
    path = r.directory / "sectors.yaml"
    data = r.read("sectors.yaml", "sectors")
    sectors = []
    for number, node in enumerate(data.get("sectors") or [], start=1):
        where = r.where(path, node, f"sector {node['slug']}")
        citation, objective = r.quoted(node, where, "objective")
        if node["number"] != number:
            r.fail(f"sector number {node['number']} out of document order (expected {number})", where)
        linkages = load_linkages(r, node.get("linkages") or [], path)
        sectors.append(Sector(node["slug"], number, node["name"].strip(), objective, citation, linkages))
    if not sectors:
        r.fail("no sectors defined", str(path))
    slugs = [s.slug for s in sectors]
    duplicates = {s for s in slugs if slugs.count(s) > 1}
    if duplicates:
        r.fail(f"duplicate sector slug(s): {', '.join(sorted(duplicates))}", str(path))
    return sectors


def load_linkages(r: Reader, nodes: list, path: Path) -> tuple[Linkage, ...]:
    """A sector's links: each cites the words that state it, or says why it is read without."""
    linkages: list[Linkage] = []
    for node in nodes:
        where = r.where(path, node, "linkage")
        slug = node["to"]
        if slug not in r.linkage_targets:
            r.fail(f"unknown linkage target '{slug}'", where,
                   did_you_mean(str(slug), r.linkage_targets) or "declare it in linkages.yaml")
        if any(link.target.slug == slug for link in linkages):
            r.fail(f"linkage to '{slug}' listed twice for one sector", where)
        citation = r.citation(node["citation"], where)
        quote, interpretation = node.get("quote"), node.get("interpretation")
        if quote:
            r.check_quote(quote, citation, where)
        elif not interpretation:
            r.fail("a linkage needs a verbatim 'quote', or an 'interpretation' saying why it is "
                   "read without one", where)
        linkages.append(Linkage(r.linkage_targets[slug], citation, quote, interpretation))
    return tuple(linkages)


# ------------------------------------------------------------------------- facts, catalogues

def load_facts(r: Reader) -> dict[str, FactSpec]:
    path = r.directory / "facts.yaml"
    data = r.read("facts.yaml", "facts")
    facts: dict[str, FactSpec] = {}
    for node in data.get("facts") or []:
        name = node["name"].strip()
        where = r.where(path, node, f"fact {name}")
        if name in facts:
            r.fail(f"fact '{name}' defined twice", where)
        source = r.citation(node["source"], where, "source")
        quote = node.get("quote")
        if quote:
            r.check_quote(quote, source, where)
        facts[name] = FactSpec(name=name, type=node["type"], meaning=node["meaning"].strip(), source=source,
                               values=node.get("values"), is_list=node.get("list", False),
                               derived=node.get("derived", False),
                               minimum=node.get("min"), maximum=node.get("max"), quote=quote)
    return facts


def load_catalogue(r: Reader, filename: str, key: str, required: bool) -> dict[str, Catalogued]:
    """partners.yaml, modalities.yaml, cross_cutting.yaml: slug, name, an optional quote."""
    data = r.read(filename, key, required=required)
    if data is None:
        return {}
    path = r.directory / filename
    entries: dict[str, Catalogued] = {}
    for node in data.get(key) or []:
        where = r.where(path, node, key)
        citation = r.citation(node["citation"], where) if "citation" in node else None
        if node.get("quote"):
            r.check_quote(node["quote"], citation, where)
        entries[node["slug"]] = Catalogued(node["slug"], node["name"].strip(), citation, node.get("quote"))
    return entries


# ------------------------------------------------------------------------ scenarios, readings

def load_scenarios(r: Reader) -> list[Scenario]:
    data = r.read("scenarios.yaml", "scenarios", required=False)
    if data is None:
        return []
    path = r.directory / "scenarios.yaml"
    crisis_types = r.facts["crisis_type"].values or []
    scenarios: list[Scenario] = []
    for node in data.get("scenarios") or []:
        where = r.where(path, node, "scenarios")
        if node["crisis_type"] not in crisis_types:
            r.fail(f"unknown crisis type {node['crisis_type']!r}", where,
                   did_you_mean(str(node["crisis_type"]), crisis_types) or one_of(crisis_types))
        citation, quote = r.quoted(node, where)
        scenarios.append(Scenario(node["crisis_type"], node["name"].strip(), tuple(node["paragraphs"]),
                                  citation, quote))
    return scenarios


def load_readings(r: Reader) -> tuple[list[Citation], list[Unencoded]]:
    """The paragraphs read sentence by sentence, and the sentences no rule encodes."""
    data = r.read("readings.yaml", "readings", required=False)
    if data is None:
        return [], []
    path = r.directory / "readings.yaml"
    scope: list[Citation] = []
    for node in data["scope"] or []:
        where = r.where(path, node, "scope")
        first, last = node["paragraphs"]
        for number in range(first, last + 1):
            scope.append(r.citation({"document": node["document"], "section": node.get("section"),
                                     "paragraph": number}, where))
    unencoded: list[Unencoded] = []
    for node in data.get("unencoded") or []:
        where = r.where(path, node, "unencoded")
        citation, quote = r.quoted(node, where)
        unencoded.append(Unencoded(citation, quote, " ".join(node["reason"].split())))
    return scope, unencoded
