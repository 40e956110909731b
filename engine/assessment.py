"""From a profile to an explained result (the JSON shape of CONTRACT.md, and more).

`assess` runs the durable-rules engine and assembles what it derived into recommendations,
coordination partners, derived facts (each with its own justifications, so every chain
leads back to input facts), and the sectors *not* recommended with the reasons.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any as AnyValue, Mapping, Sequence

from . import conditions as cond
from .inference import Derivation, alternatives, derive_closure, durable_engine, reference_fixed_point
from .results import (Assessment, ConditionStatus, Conclusions, Coordination, CrossCuttingIssue, DerivedFact,
                      Explanation, Justification, Linkage, ModalityEntry, NotRecommended, PhaseExplanation,
                      Recommendation, RuleStatus, Source, UNSET, WouldChange)
from .ruleset import Rule, Ruleset
from .version import __version__

PHASE_ORDER = ("before", "during", "after")


def phase_rank(phase: str | None) -> int:
    """Phases in time order; no phase (cross-cutting issues) last."""
    return PHASE_ORDER.index(phase) if phase in PHASE_ORDER else len(PHASE_ORDER)


def justification(ruleset: Ruleset, rule: Rule, derivation: Derivation) -> Justification:
    """One rule's support for a conclusion: its citation, quote and the facts it read."""
    read: dict[str, AnyValue] = {}
    for index in sorted(derivation.fired.get(rule.id, ())):
        for leaf in alternatives(rule)[index]:
            read[leaf.fact] = derivation.facts[leaf.fact]
    return Justification(
        rule=rule.id, level=rule.conclusion.level or None, citation=str(rule.citation), quote=rule.quote_text,
        facts={name: read[name] for name in sorted(read)},
        derived_facts=tuple(sorted(n for n in read if ruleset.facts[n].derived)),
        source=rule_source(ruleset, rule),
        interpretation=rule.interpretation_text if rule.interpretation else None,
        origin=rule.origin or None)


# (ruleset sha256, rule id) -> where the rule is written: a batch asks in every justification.
_SOURCES: dict[tuple[str, str], Source] = {}


def rule_source(ruleset: Ruleset, rule: Rule) -> Source:
    """Where the rule is written, relative to the folder holding the ruleset (so the same
    ruleset gives the same output on every machine): an inherited rule names its 2012 file."""
    key = (ruleset.sha256, rule.id)
    if key not in _SOURCES:
        relative = Path(os.path.relpath(rule.source_file, ruleset.directory.parent)).as_posix()
        _SOURCES[key] = Source(relative, rule.line)
    return _SOURCES[key]


def _sort_justifications(ruleset: Ruleset, entries: list[Justification]) -> tuple[Justification, ...]:
    return tuple(sorted(entries, key=lambda j: (ruleset.level_rank(j.level) if j.level else 0, j.rule)))


# ruleset sha256 -> sector -> its linkages, built once: every recommendation carries them.
_LINKAGES: dict[str, dict[str, tuple[Linkage, ...]]] = {}


def _linkages(ruleset: Ruleset, sector: str) -> tuple[Linkage, ...]:
    if ruleset.sha256 not in _LINKAGES:
        _LINKAGES[ruleset.sha256] = {slug: tuple(Linkage.from_dict(link) for link in links)
                                     for slug, links in ruleset.sector_linkages.items()}
    return _LINKAGES[ruleset.sha256][sector]


def build_conclusions(ruleset: Ruleset, derivation: Derivation) -> Conclusions:
    """Group fired rules by what they concluded; one entry per (target, phase)."""
    grouped: dict[tuple[str, str, str | None], list[Rule]] = {}
    for rule in ruleset.rules:
        if rule.id in derivation.fired:
            c = rule.conclusion
            grouped.setdefault((c.kind, c.target, c.phase), []).append(rule)
    recommendations, modalities, coordination, derived, cross_cutting = [], [], [], [], []
    for (kind, target, phase), rules in grouped.items():
        justs = _sort_justifications(ruleset, [justification(ruleset, r, derivation) for r in rules])
        if kind in ("recommend", "modality"):
            level = min((r.conclusion.level for r in rules), key=ruleset.level_rank)
            if kind == "recommend":
                recommendations.append(Recommendation(target, phase, level, justs, _linkages(ruleset, target)))
            else:
                modalities.append(ModalityEntry(target, phase, level, justs))
        elif kind == "coordinate":
            coordination.append(Coordination(target, ruleset.partners[target].name, phase, justs))
        elif kind == "derive":
            derived.append(DerivedFact(target, derivation.derived[target], justs))
        else:
            cross_cutting.append(CrossCuttingIssue(target, ruleset.cross_cutting[target].name, justs))
    sector_rank = {s: i for i, s in enumerate(ruleset.sector_slugs)}
    modality_rank = {s: i for i, s in enumerate(ruleset.modalities)}
    recommendations.sort(key=lambda r: (phase_rank(r.phase), ruleset.level_rank(r.level), sector_rank[r.sector]))
    modalities.sort(key=lambda r: (phase_rank(r.phase), ruleset.level_rank(r.level),
                                   modality_rank.get(r.modality, 0)))
    coordination.sort(key=lambda r: (phase_rank(r.phase), r.partner))
    derived.sort(key=lambda r: r.fact)
    cross_cutting.sort(key=lambda r: r.issue)
    return Conclusions(tuple(recommendations), tuple(coordination), tuple(derived), tuple(modalities),
                       tuple(cross_cutting))


def conclusions(ruleset: Ruleset, derivation: Derivation) -> dict[str, list[dict]]:
    """`build_conclusions` serialised (the JSON shape): what batch assembles its rows from."""
    return build_conclusions(ruleset, derivation).to_dict()


# ------------------------------------------------------------------------- why, and why not

@dataclass
class FactView:
    """Three-valued view of the facts after a run: a derived fact that was not derived is
    *unknown* if it could still be derived once unknown inputs are known, else *failed*."""
    ruleset: Ruleset
    derivation: Derivation
    possibly_derived: set[str]

    def leaf(self, leaf: cond.Leaf) -> str:
        facts = self.derivation.facts
        if leaf.fact in facts:
            return cond.TRUE if leaf.test(facts[leaf.fact]) else cond.FALSE
        if self.ruleset.facts[leaf.fact].derived and leaf.fact not in self.possibly_derived:
            return cond.FALSE
        return cond.UNKNOWN

    def condition(self, condition: cond.Condition) -> str:
        return cond.evaluate(condition, self.leaf)


def fact_view(ruleset: Ruleset, derivation: Derivation) -> FactView:
    # Optimistic fixed point: every leaf on an unknown input fact counts as holding.
    def holds(alternative: tuple[cond.Leaf, ...], possible: set[str]) -> bool:
        return all(_optimistic(ruleset, leaf, derivation.facts, possible) for leaf in alternative)
    return FactView(ruleset, derivation, derive_closure(ruleset, holds, set(derivation.derived)))


def _optimistic(ruleset: Ruleset, leaf: cond.Leaf, facts: Mapping, possible: set[str]) -> bool:
    if leaf.fact in facts:
        return leaf.test(facts[leaf.fact])
    spec = ruleset.facts[leaf.fact]
    return leaf.fact in possible if spec.derived else True


def upstream_input_facts(ruleset: Ruleset, rule: Rule, seen: set[str] | None = None) -> set[str]:
    """The input facts a rule depends on, through the derived facts it reads."""
    seen = set() if seen is None else seen
    found: set[str] = set()
    for name in rule.facts_read():
        if not ruleset.facts[name].derived:
            found.add(name)
        elif name not in seen:
            seen.add(name)
            for producer in ruleset.rules:
                if producer.conclusion.kind == "derive" and producer.conclusion.target == name:
                    found |= upstream_input_facts(ruleset, producer, seen)
    return found


def candidate_values(ruleset: Ruleset, name: str) -> list:
    spec = ruleset.facts[name]
    if spec.type == "bool":
        return [True, False]
    if spec.type == "enum":
        return [[v] for v in spec.values] if spec.is_list else list(spec.values)
    if spec.type == "number":
        thresholds = sorted({leaf.value for rule in ruleset.rules for leaf in cond.leaves(rule.condition)
                             if leaf.fact == name and isinstance(leaf.value, (int, float))})
        return sorted({t + d for t in thresholds for d in (-1, 0, 1)})
    return []


class WhatIf:
    """Single-fact changes to a profile and what they would recommend (computed once)."""

    def __init__(self, ruleset: Ruleset, profile: Mapping[str, AnyValue]):
        self.ruleset, self.profile = ruleset, dict(profile)
        self._cache: dict[str, list[tuple[AnyValue, dict]]] = {}

    def outcomes(self, name: str) -> list[tuple[AnyValue, dict[tuple[str, str], str]]]:
        if name not in self._cache:
            results = []
            for value in candidate_values(self.ruleset, name):
                derivation = reference_fixed_point(self.ruleset, {**self.profile, name: value})
                results.append((value, recommended_levels(self.ruleset, derivation)))
            self._cache[name] = results
        return self._cache[name]


def recommended_levels(ruleset: Ruleset, derivation: Derivation) -> dict[tuple[str, str, str], str]:
    """(kind, target, phase) -> level, for sector and modality recommendations."""
    levels: dict[tuple[str, str, str], str] = {}
    for rule in ruleset.rules:
        c = rule.conclusion
        if c.level is not None and rule.id in derivation.fired:
            key = (c.kind, c.target, c.phase)
            if key not in levels or ruleset.level_rank(c.level) < ruleset.level_rank(levels[key]):
                levels[key] = c.level
    return levels


def rule_status(ruleset: Ruleset, rule: Rule, view: FactView, _seen: frozenset[str] = frozenset()) -> RuleStatus:
    """Each condition of a rule as held / failed / unknown. A derived fact that does not
    hold is opened up: the rules that derive it, and their own conditions, down to the
    input fact that is missing or false."""
    leaves = []
    for leaf in dict.fromkeys(cond.leaves(rule.condition)):
        status = view.leaf(leaf)
        derived = ruleset.facts[leaf.fact].derived
        derived_by = None
        if derived and status != cond.TRUE and leaf.fact not in _seen:
            derived_by = tuple(rule_status(ruleset, producer, view, _seen | {leaf.fact})
                               for producer in ruleset.rules
                               if producer.conclusion.kind == "derive" and producer.conclusion.target == leaf.fact)
        leaves.append(ConditionStatus(
            condition=leaf.describe(), fact=leaf.fact, status=status,
            value=view.derivation.facts[leaf.fact] if leaf.fact in view.derivation.facts else UNSET,
            derived=bool(derived), derived_by=derived_by))
    return RuleStatus(rule=rule.id, level=rule.conclusion.level, phase=rule.conclusion.phase,
                      citation=str(rule.citation), quote=rule.quote_text,
                      status=view.condition(rule.condition), conditions=tuple(leaves))


def _would_change(ruleset: Ruleset, profile: Mapping, candidates: list[Rule], target: str, phase: str,
                  whatif: WhatIf, current_level: str | None, kind: str) -> tuple[WouldChange, ...]:
    unknown_inputs = sorted({f for r in candidates for f in upstream_input_facts(ruleset, r)} - set(profile))
    changes = []
    for name in unknown_inputs:
        reported: set[str] = set()
        for value, levels in whatif.outcomes(name):
            level = levels.get((kind, target, phase))
            better = level and (current_level is None or ruleset.level_rank(level) < ruleset.level_rank(current_level))
            if better and level not in reported:  # the first value that reaches a level is enough
                reported.add(level)
                changes.append(WouldChange(name, value, level))
    return tuple(changes)


def _candidates(ruleset: Ruleset, target: str, phase: str, kind: str) -> list[Rule]:
    return [r for r in ruleset.rules
            if r.conclusion.kind == kind and r.conclusion.target == target and r.conclusion.phase == phase]


def why_not(ruleset: Ruleset, profile: Mapping[str, AnyValue], derivation: Derivation,
            target: str, phase: str, view: FactView, whatif: WhatIf, current_level: str | None = None,
            kind: str = "recommend") -> NotRecommended:
    """The rules that could recommend `target` (a sector, or a modality with kind="modality")
    for `phase`, their conditions' status, and the unknown facts that, once known, would
    recommend it (or raise its level)."""
    candidates = _candidates(ruleset, target, phase, kind)
    return NotRecommended(target=target, phase=phase,
                          rules=tuple(rule_status(ruleset, r, view) for r in candidates),
                          would_change_if=_would_change(ruleset, profile, candidates, target, phase, whatif,
                                                        current_level, kind),
                          target_key="sector" if kind == "recommend" else "modality")


TOOL = {"name": "mcof", "version": __version__}


def assess(ruleset: Ruleset, profile: Mapping[str, AnyValue], *, engine: str = "durable",
           explain_absent: bool = True) -> Assessment:
    """Assess a validated profile (see `profile.build_profile`)."""
    derivation = durable_engine(ruleset).run(profile) if engine == "durable" \
        else reference_fixed_point(ruleset, profile)
    found = build_conclusions(ruleset, derivation)
    return Assessment(
        tool=dict(TOOL), ruleset=ruleset.summary(), profile=dict(profile),
        unknown_facts=tuple(unknown_facts(ruleset, profile)),
        recommendations=found.recommendations, coordination=found.coordination,
        derived_facts=found.derived_facts,
        modalities=found.modalities if ruleset.modalities else None,
        cross_cutting=found.cross_cutting if ruleset.cross_cutting else None,
        not_recommended=not_recommended(ruleset, profile, derivation, found.recommendations)
        if explain_absent else None)


def unknown_facts(ruleset: Ruleset, profile: Mapping) -> list[str]:
    read = {leaf.fact for rule in ruleset.rules for leaf in cond.leaves(rule.condition)}
    return sorted(n for n, spec in ruleset.facts.items() if not spec.derived and n in read and n not in profile)


def not_recommended(ruleset: Ruleset, profile: Mapping, derivation: Derivation,
                    recommendations: Sequence[Recommendation]) -> tuple[NotRecommended, ...]:
    present = {(r.sector, r.phase) for r in recommendations}
    view, whatif = fact_view(ruleset, derivation), WhatIf(ruleset, profile)
    absent = []
    for phase in profile.get("phase", []):
        for sector in ruleset.sector_slugs:
            if (sector, phase) not in present:
                entry = why_not(ruleset, profile, derivation, sector, phase, view, whatif)
                rules = tuple(r for r in entry.rules if _mentions_profile_crisis(r, profile)) or entry.rules
                absent.append(replace(entry, rules=rules))
    return tuple(absent)


def _mentions_profile_crisis(status: RuleStatus, profile: Mapping) -> bool:
    """Keep the why-not short: rules of the profile's own crisis types come first; rules of
    other crisis types fail on crisis_type alone and say nothing new."""
    for leaf in status.conditions:
        if leaf.fact == "crisis_type" and leaf.status == cond.FALSE:
            return False
    return True


def explain(ruleset: Ruleset, profile: Mapping[str, AnyValue], target: str, kind: str = "recommend") -> Explanation:
    """Why (or why not) `target` (a sector, or with kind="modality" an operating modality)
    is recommended, phase by phase, for `mcof explain`."""
    key = "sector" if kind == "recommend" else "modality"
    derivation = durable_engine(ruleset).run(profile)
    found = build_conclusions(ruleset, derivation)
    entries = found.recommendations if kind == "recommend" else found.modalities
    view, whatif = fact_view(ruleset, derivation), WhatIf(ruleset, profile)
    chains = {d.fact: d for d in found.derived_facts}
    phases = []
    for phase in PHASE_ORDER:
        recommended = next((r for r in entries if getattr(r, key) == target and r.phase == phase), None)
        entry = why_not(ruleset, profile, derivation, target, phase, view, whatif,
                        current_level=recommended.level if recommended else None, kind=kind)
        explained = PhaseExplanation(
            target=entry.target, phase=entry.phase, rules=entry.rules, would_change_if=entry.would_change_if,
            target_key=entry.target_key, in_profile=phase in profile.get("phase", []),
            recommended=recommended is not None, level=recommended.level if recommended else None,
            justifications=recommended.justifications if recommended else ())
        if explained.rules or explained.in_profile:
            phases.append(explained)
    used = {f for p in phases for j in p.justifications for f in j.derived_facts}
    return Explanation(
        tool=dict(TOOL), ruleset=ruleset.summary(), profile=dict(profile),
        unknown_facts=tuple(unknown_facts(ruleset, profile)), target_key=key,
        target=(ruleset.sector(target) if kind == "recommend" else ruleset.modalities[target]).to_dict(),
        phases=tuple(phases), derived_facts=tuple(chains[f] for f in sorted(_closure(used, chains))))


def _closure(names: set[str], chains: dict[str, DerivedFact]) -> set[str]:
    """The derived facts reachable from `names` through their justifications."""
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name in seen or name not in chains:
            continue
        seen.add(name)
        for j in chains[name].justifications:
            todo.extend(j.derived_facts)
    return seen
