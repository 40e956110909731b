"""Loading a ruleset directory (YAML) into validated, typed objects.

Validation happens once, at load, so the engine can trust what it compiles. It is done in
layers, each its own module:

- structure (engine/schemas.py, engine/structure.py): every file against its JSON Schema,
  with jsonschema; fields, types and fixed values;
- semantics (engine/loader_semantics.py for the catalogue files, engine/loader_rules.py for
  rules): citations exist, quotes are verbatim, levels follow the wording, phases are
  guarded, ids are unique, derived facts are derived;
- crosswalk inheritance (engine/crosswalk.py): a ruleset that inherits another.

This module ties them together, caches loaded rulesets, and is where the rest of mcof imports
the ruleset's objects from (they are defined in engine/model.py). Every error names the file,
the line, the rule id and the field, and suggests a fix where it can.
"""
from __future__ import annotations

from pathlib import Path

from . import rulesetcache
from .rulesetcache import content_hash
from .errors import RulesetError
from .model import (CONCLUSION_KINDS, DEPARTS, FACT_TYPES, LEVELS, LINKAGE_KINDS, RULE_ID, TARGET_KEYS,
                    Catalogued, Citation, Conclusion, CrosswalkLink, FactSpec, Linkage, LinkageTarget, Rule,
                    Ruleset, Scenario, Sector, Unencoded, is_flag_test)
from .resources import bundled

__all__ = ["BUILTIN_DIR", "BUILTIN_NAMES", "CONCLUSION_KINDS", "DEPARTS", "FACT_TYPES", "LEVELS", "LINKAGE_KINDS",
           "RULE_ID", "TARGET_KEYS", "Catalogued", "Citation", "Conclusion", "CrosswalkLink", "FactSpec",
           "Linkage", "LinkageTarget", "Rule", "Ruleset", "Scenario", "Sector", "Unencoded", "content_hash",
           "is_flag_test", "load_ruleset", "resolve_ruleset_path"]

BUILTIN_DIR = bundled("rulesets")
BUILTIN_NAMES = ("2012", "2021")


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
# the directories being loaded right now, outermost first: a parent already on it closes a cycle
_LOADING: list[Path] = []


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
        ruleset = rulesetcache.read(directory)
        if ruleset is None:
            ruleset = _load_once(directory)
            rulesetcache.write(ruleset)
        _CACHE[directory] = (ruleset, _stamp(_watched(ruleset)))
    return _CACHE[directory][0]


def _load_once(directory: Path) -> Ruleset:
    if directory in _LOADING:
        chain = " -> ".join(str(d) for d in [*_LOADING[_LOADING.index(directory):], directory])
        raise RulesetError(f"rulesets inherit in a cycle: {chain}", where=str(_LOADING[-1] / "ruleset.yaml"),
                           hint="`inherits: ruleset:` must name a different ruleset that does not inherit this one")
    _LOADING.append(directory)
    try:
        return _load(directory)
    finally:
        _LOADING.pop()


def _watched(ruleset: Ruleset) -> list[Path]:
    """The files a ruleset was read from, and the directories whose listing decides which."""
    return [*ruleset.files, ruleset.directory, ruleset.directory / "rules"]


def _load(directory: Path) -> Ruleset:
    """Read a ruleset directory, file by file, in the order their references need."""
    # Imported here: a ruleset read from the cache needs no loader (and no jsonschema).
    from .crosswalk import inherited_rules, load_crosswalk
    from .loader_rules import check_derived_facts, check_unique_ids, load_rules
    from .loader_semantics import (Reader, load_catalogue, load_documents, load_facts, load_linkage_targets,
                                   load_readings, load_scenarios, load_sectors, load_wording)
    r = Reader(directory)
    path = directory / "ruleset.yaml"
    head = r.read("ruleset.yaml", "ruleset")
    load_documents(r, head, path)
    r.wording = load_wording(r, head["wording"])
    parent = _load_parent(r, head["inherits"]) if "inherits" in head else None

    r.linkage_targets = dict(parent.linkage_targets) if parent else {}
    r.linkage_targets.update(load_linkage_targets(r))
    sectors = load_sectors(r)
    r.facts = {**(parent.facts if parent else {}), **load_facts(r)}
    for required in ("crisis_type", "phase"):
        if required not in r.facts:
            r.fail(f"the fact catalogue must define '{required}'", str(directory / "facts.yaml"))
    scenarios = load_scenarios(r) or (list(parent.scenarios) if parent else [])
    reading_scope, unencoded = load_readings(r)
    r.partners = {**(parent.partners if parent else {}),
                  **load_catalogue(r, "partners.yaml", "partners", required=parent is None)}
    r.sector_slugs = {s.slug for s in sectors}
    r.modalities = load_catalogue(r, "modalities.yaml", "modalities", required=False)
    r.cross_cutting = load_catalogue(r, "cross_cutting.yaml", "cross_cutting", required=False)

    rules = load_rules(r)
    crosswalk: list[CrosswalkLink] = []
    if parent:
        crosswalk = load_crosswalk(r, head["inherits"], parent)
        rules = inherited_rules(parent, crosswalk) + rules
    check_unique_ids(r, rules)
    check_derived_facts(r, rules)

    return Ruleset(
        id=head["id"].strip(), title=head["title"].strip(), directory=directory,
        sha256=content_hash(r.files, directory.parent), levels=list(r.levels), wording=r.wording,
        documents=r.documents, sectors=sectors, facts=r.facts, partners=r.partners,
        linkage_targets=r.linkage_targets, scenarios=scenarios, reading_scope=reading_scope, unencoded=unencoded,
        modalities=r.modalities, cross_cutting=r.cross_cutting, rules=rules, crosswalk=crosswalk, parent=parent,
        files=sorted(set(r.files)))


def _load_parent(r, inherits: dict) -> Ruleset:
    parent = load_ruleset(r.path(inherits["ruleset"], f"{r.directory / 'ruleset.yaml'} (inherits.ruleset)"))
    r.files.extend(parent.files)
    for key, document in parent.documents.items():
        r.documents.setdefault(key, document)
    return parent
