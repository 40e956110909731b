"""`mcof rules lint`: checks a ruleset beyond what loading already enforces.

Loading rejects malformed rules outright (unknown facts, sectors or levels, quotes not in
their paragraph, duplicate ids). Lint reports, all at once, what a well-formed ruleset can
still get wrong: rules that can never fire, contradictions, sectors no rule can recommend,
facts no rule reads, rules without test cases.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from . import conditions as cond
from .errors import RulesetError
from .inference import MAX_RULES_PER_PATTERN, alternatives, derive_closure, pattern_load
from .ruleset import FactSpec, Rule, Ruleset, load_ruleset
from .ruletests import load_cases
from .sentences import split_sentences
from .sources import normalize


@dataclass
class Finding:
    severity: str      # error | warning | note (listed, never fails the lint)
    check: str
    message: str
    where: str

    def to_dict(self) -> dict:
        return asdict(self)


def satisfiable(alternative: tuple[cond.Leaf, ...], facts: dict[str, FactSpec], derivable: set[str]) -> str | None:
    """None when some profile can make every leaf hold; else why not."""
    by_fact: dict[str, list[cond.Leaf]] = {}
    for leaf in alternative:
        by_fact.setdefault(leaf.fact, []).append(leaf)
    for name, leaves in by_fact.items():
        spec = facts[name]
        if spec.derived:
            if name not in derivable:
                return f"derived fact '{name}' can never be derived"
            continue
        if spec.is_list:
            continue  # `includes` of catalogue values: any combination can be given
        if spec.type == "number":
            low, high = (spec.minimum if spec.minimum is not None else -math.inf,
                         spec.maximum if spec.maximum is not None else math.inf)
            candidates = {low, high} | {leaf.value + d for leaf in leaves if isinstance(leaf.value, (int, float))
                                        for d in (-1e-9, 0, 1e-9)}
            if not any(low <= x <= high and all(leaf.test(x) for leaf in leaves) for x in candidates):
                return f"no value of '{name}' satisfies " + " and ".join(leaf.describe() for leaf in leaves)
            continue
        domain = [True, False] if spec.type == "bool" else spec.values if spec.type == "enum" else None
        if domain is not None and not any(all(leaf.test(v) for leaf in leaves) for v in domain):
            return f"no value of '{name}' satisfies " + " and ".join(leaf.describe() for leaf in leaves)
    return None


def lint(ruleset_name: str | Path) -> tuple[Ruleset | None, list[Finding]]:
    try:
        ruleset = load_ruleset(ruleset_name)
    except RulesetError as error:
        return None, [Finding("error", "load", error.message + (f" ({error.hint})" if error.hint else ""),
                              error.where or str(ruleset_name))]
    findings: list[Finding] = []
    own = [r for r in ruleset.rules if r.origin is None]

    # rules that can never fire (fixed point over the facts some profile could derive)
    derivable = derive_closure(ruleset, lambda alt, derived: satisfiable(alt, ruleset.facts, derived) is None)
    for rule in own:
        reasons = [satisfiable(alt, ruleset.facts, derivable) for alt in alternatives(rule)]
        if all(reasons):
            findings.append(Finding("error", "never-fires", f"rule {rule.id} can never fire: {reasons[0]}", rule.where))
        else:
            for index, reason in enumerate(reasons):
                if reason:
                    findings.append(Finding("warning", "dead-alternative",
                                            f"rule {rule.id}: alternative {index + 1} can never hold: {reason}",
                                            rule.where))

    # contradictions: the same condition concluding different levels for the same target
    seen: dict[tuple, Rule] = {}
    for rule in own:
        c = rule.conclusion
        if c.level is None:
            continue
        key = (c.kind, c.target, c.phase, frozenset(frozenset(alt) for alt in alternatives(rule)))
        other = seen.get(key)
        if other and other.conclusion.level != c.level:
            # Two sentences may well support one sector at two levels (the entry takes the
            # highest and lists both); one sentence read at two levels is a contradiction.
            same_text = other.quote_text == rule.quote_text
            findings.append(Finding(
                "error" if same_text else "warning", "contradiction" if same_text else "overlap",
                f"rules {other.id} ({other.conclusion.level}) and {rule.id} ({c.level}) have the same conditions "
                f"and conclude different levels for {c.target} ({c.phase})"
                + ("" if same_text else " from different sentences; the entry takes the highest"), rule.where))
        seen.setdefault(key, rule)

    recommended = {r.conclusion.target for r in ruleset.rules if r.conclusion.kind == "recommend"}
    for sector in ruleset.sectors:
        if sector.slug not in recommended:
            findings.append(Finding("error", "unreachable-sector", f"no rule can recommend sector {sector.slug}",
                                    str(ruleset.directory / "sectors.yaml")))

    read = {leaf.fact for r in ruleset.rules for leaf in cond.leaves(r.condition)}
    for name, spec in ruleset.facts.items():
        if name not in read:
            findings.append(Finding("warning", "unused-fact", f"no rule reads fact {name}",
                                    str(ruleset.directory / "facts.yaml")))
    named = {r.conclusion.target for r in ruleset.rules if r.conclusion.kind == "coordinate"}
    for slug in ruleset.partners:
        if slug not in named:
            findings.append(Finding("warning", "unused-partner", f"no rule names coordination partner {slug}",
                                    str(ruleset.directory / "partners.yaml")))

    for rule in own:
        document = ruleset.documents[rule.citation.document]
        if not document.contains(rule.quote, rule.citation.section, rule.citation.paragraph):
            findings.append(Finding("error", "quote", f"rule {rule.id}: quote not found in {rule.citation}", rule.where))

    findings += reading_rule_findings(ruleset, own)
    findings += pattern_limit_findings(ruleset)

    tested = tested_rules(ruleset)
    for rule in own:
        kinds = tested.get(rule.id, set())
        if kinds != {"fires", "does_not_fire"}:
            missing = {"fires", "does_not_fire"} - kinds
            findings.append(Finding("error", "untested", f"rule {rule.id} has no '{' and '.join(sorted(missing))}' "
                                    "test case (rules/<name>.test.yaml)", rule.where))
    return ruleset, findings


# Words that make a sentence conditional; without one (in the sentence or in its paragraph's
# opening clause) a rule has no text to take a condition from (reading rules 1 and 2).
CONDITIONAL = re.compile(r"\b(if|when|where|whenever|unless|in case|provided|depending on|that leads to|"
                         r"in the context of|in [\w-]+(?: and [\w-]+)? (?:settings|environments|contexts))\b", re.I)
# Words about how often or where: they set scope, never a level (reading rule 5).
SCOPE_WORDS = re.compile(r"\b(always|where necessary|at any point|usually|often)\b", re.I)
SCENARIO_FACTS = {"crisis_type", "phase"}


def _opening_clause(ruleset: Ruleset, rule: Rule) -> str:
    """'During a slow-onset natural disaster that leads to acute humanitarian needs' (para. 21):
    the paragraph's words before its first comma, which scope every sentence of it."""
    text = ruleset.documents[rule.citation.document].paragraph(rule.citation.section, rule.citation.paragraph) or ""
    return re.sub(r"^\d{1,3}\.\s+", "", text).split(",", 1)[0]


def _facts_from_elsewhere(ruleset: Ruleset, rule: Rule) -> list[str]:
    """Facts beyond crisis type and phase that a rule reads, other than facts derived from the
    rule's own words (a derivation whose quote and the rule's overlap: one sentence read in two
    steps, e.g. para. 9's "if there are large cross-border movements and/or ...")."""
    own_words = normalize(rule.quote)
    from_own_sentence = {r.conclusion.target for r in ruleset.rules if r.conclusion.kind == "derive"
                         and r.citation == rule.citation
                         and (normalize(r.quote) in own_words or own_words in normalize(r.quote))}
    return [f for f in rule.facts_read() if f not in SCENARIO_FACTS and f not in from_own_sentence]


def pattern_limit_findings(ruleset: Ruleset) -> list[Finding]:
    """durable-rules' hidden limit, seen before a run fails on it: past it an error, near it a warning."""
    (test, users), *_ = pattern_load(ruleset) or [({}, [])]
    if len(users) <= 0.8 * MAX_RULES_PER_PATTERN:
        return []
    leaf = ", ".join(f"{k}={v}" for part in test["$and"] for k, v in part.items() if k in ("n", "v"))
    severity = "error" if len(users) > MAX_RULES_PER_PATTERN else "warning"
    return [Finding(severity, "pattern-limit", f"{len(users)} rule alternatives share the pattern {leaf}; "
                    f"durable-rules runs at most {MAX_RULES_PER_PATTERN} (error code 108)", str(ruleset.directory))]


def _departure_reason(rule: Rule) -> str:
    """The sentence of the interpretation that states the departure (the rest is in `rules show`)."""
    text = rule.interpretation_text or ""
    start = text.lower().find("departs from reading rule")
    reason = text[start:] if start >= 0 else text
    spans = split_sentences(reason)
    first = reason[spans[0][0]:spans[0][1]] if spans else reason
    return first if len(first) <= 240 else first[:237] + "..."


def reading_rule_findings(ruleset: Ruleset, own: list[Rule]) -> list[Finding]:
    """The reading rules (docs/interpretations-2012.md, section 0), where a check can see them."""
    findings = []
    for rule in own:
        if rule.departs_from:
            findings.append(Finding("note", "departure", f"rule {rule.id}: {_departure_reason(rule)}", rule.where))
        extra = _facts_from_elsewhere(ruleset, rule)
        if (extra and not CONDITIONAL.search(rule.quote_text) and not CONDITIONAL.search(_opening_clause(ruleset, rule))
                and 1 not in rule.departs_from):
            findings.append(Finding("warning", "condition-not-in-sentence",
                                    f"rule {rule.id} reads {', '.join(extra)} but neither its sentence nor its "
                                    "paragraph's opening states a condition (reading rules 1-2): drop the "
                                    "condition, or say in the interpretation 'Departs from reading rule 1: ...'",
                                    rule.where))
        if rule.wording and SCOPE_WORDS.search(rule.wording) and 5 not in rule.departs_from:
            findings.append(Finding("error", "scope-word-as-level",
                                    f"rule {rule.id}: its level is read from {rule.wording!r}, a word of scope "
                                    "(how often or where), not of level (reading rule 5)", rule.where))
    return findings


def rule_test_cases(ruleset: Ruleset) -> list[tuple[str, str, dict, str]]:
    """(rule id, 'fires'|'does_not_fire', profile, file) from the rules' test files."""
    return [(c.rule, c.kind, c.profile, c.file) for c in load_cases(ruleset)]


def tested_rules(ruleset: Ruleset) -> dict[str, set[str]]:
    tested: dict[str, set[str]] = {}
    for rule_id, kind, _, _ in rule_test_cases(ruleset):
        tested.setdefault(rule_id, set()).add(kind)
    return tested
