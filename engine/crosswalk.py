"""Crosswalk inheritance: a ruleset that `inherits` another reads its parent's rules through
``crosswalk.yaml`` (2021 reads MC/2355's scenario rules onto the Addendum's sectors).

`load_crosswalk` checks the links (each parent sector accounted for, every parent
recommendation carried, each target declared); `inherited_rules` carries the parent's rules.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .errors import did_you_mean, one_of
from .loader_semantics import Reader
from .model import Conclusion, CrosswalkLink, Rule, Ruleset

# a crosswalk target kind -> the conclusion kind a carried recommendation becomes
CARRIED_AS = {"sector": "recommend", "modality": "modality", "cross_cutting": "cross_cutting"}


def load_crosswalk(r: Reader, inherits: dict, parent: Ruleset) -> list[CrosswalkLink]:
    name = inherits["crosswalk"]
    path = r.directory / name
    data = r.read(name, "crosswalk")
    links = [load_link(r, node, path, parent) for node in data.get("links") or []]
    missing = [s for s in parent.sector_slugs if s not in {link.source_sector for link in links}]
    if missing:
        r.fail(f"crosswalk does not account for {parent.id} sector(s): {', '.join(missing)}", str(path))
    dropped = [rule.id for rule in parent.rules if rule.conclusion.kind == "recommend"
               and not any(link.carries(rule) for link in links)]
    if dropped:
        r.fail(f"no crosswalk link carries {parent.id} rule(s) {', '.join(dropped)}", str(path),
               "add them to the 'rules' of a link from their sector")
    return links


def load_link(r: Reader, node: dict, path: Path, parent: Ruleset) -> CrosswalkLink:
    where = r.where(path, node, f"link {node['id']}")
    if node["from"] not in parent.sector_slugs:
        r.fail(f"unknown {parent.id} sector '{node['from']}'", where,
               did_you_mean(node["from"], parent.sector_slugs) or one_of(parent.sector_slugs))
    carried = link_rules(r, node, parent, where)
    kinds = {"sector": r.sector_slugs, "modality": r.modalities, "cross_cutting": r.cross_cutting}
    targets = []
    for target in node["to"] or []:
        (kind, slug), = target.items()
        if slug not in kinds[kind]:
            r.fail(f"unknown {kind} '{slug}'", where, did_you_mean(slug, kinds[kind]) or one_of(kinds[kind]))
        targets.append((kind, slug))
    citation, quote = r.quoted(node, where)
    return CrosswalkLink(node["id"], node["from"], targets, node["relation"], citation, quote,
                         node.get("interpretation"), carried)


def link_rules(r: Reader, node: dict, parent: Ruleset, where: str) -> tuple[str, ...] | None:
    """A link's `rules`: parent rule ids, each recommending the link's `from` sector."""
    if "rules" not in node:
        return None
    own = [rule.id for rule in parent.rules
           if rule.conclusion.kind == "recommend" and rule.conclusion.target == node["from"]]
    for rule_id in node["rules"]:
        if rule_id not in own:
            r.fail(f"{parent.id} rule '{rule_id}' does not recommend {node['from']}", where,
                   did_you_mean(rule_id, own) or one_of(own))
    return tuple(node["rules"])


def inherited_rules(parent: Ruleset, crosswalk: list[CrosswalkLink]) -> list[Rule]:
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
            if link.carries(rule):
                rules.extend(carried_rule(parent, rule, link, kind, slug) for kind, slug in link.targets)
    return rules


def carried_rule(parent: Ruleset, rule: Rule, link: CrosswalkLink, kind: str, slug: str) -> Rule:
    """A parent recommendation carried by one crosswalk link onto one of its targets."""
    phased = kind != "cross_cutting"
    conclusion = Conclusion(CARRIED_AS[kind], slug, phase=rule.conclusion.phase if phased else None,
                            level=rule.conclusion.level if phased else None)
    return Rule(id=f"{rule.id}--{link.id}", citation=rule.citation, quote=rule.quote,
                condition=rule.condition, conclusion=conclusion, source_file=rule.source_file,
                line=rule.line, wording=rule.wording, interpretation=rule.interpretation,
                origin={"ruleset": parent.id, "rule": rule.id,
                        "sector": rule.conclusion.target, "crosswalk": link.to_dict()})
