"""The semantic checks of rules (``rules/*.yaml``), once their structure is known good.

What the rule schema cannot say: the quote is verbatim in the cited paragraph, a condition
names declared facts with operands of their type, a conclusion names a declared sector,
partner, modality or issue, the level is what the quoted wording says (or an interpretation
says why not), a phase recommendation requires its phase, ids are unique, and every derived
fact read is derived by some rule and only ever required.
"""
from __future__ import annotations

from pathlib import Path

from . import conditions as cond, limits
from .errors import did_you_mean, one_of
from .loader_semantics import Reader, level_of_wording
from .model import TARGET_KEYS, Conclusion, FactSpec, Rule, is_flag_test
from .yamlio import line_of


def load_rules(r: Reader) -> list[Rule]:
    rules: list[Rule] = []
    for path in sorted((r.directory / "rules").glob("*.yaml")):
        if path.name.endswith(".test.yaml"):
            continue
        data = r.read(f"rules/{path.name}", "rules")
        rules.extend(load_rule(r, node, path) for node in data["rules"] or [])
    return rules


def load_rule(r: Reader, node: dict, path: Path) -> Rule:
    where = r.where(path, node, f"rule {node['id']}")
    citation, quote = r.quoted(node, where)
    condition = read_condition(r, node["when"], where, "when")
    check_condition_size(r, condition, where)
    conclusion = read_conclusion(r, node["then"], where)
    wording, interpretation = node.get("wording"), node.get("interpretation")
    if conclusion.level is not None:
        check_level(r, quote, wording, interpretation, conclusion, where)
    check_phase_guard(r, condition, conclusion, where)
    return Rule(id=node["id"], citation=citation, quote=quote, condition=condition, conclusion=conclusion,
                source_file=str(path), line=line_of(node), wording=wording, interpretation=interpretation)


def check_level(r: Reader, quote: str, wording: str | None, interpretation: str | None,
                conclusion: Conclusion, where: str):
    """The words of the quote that set the level map to it in the wording table, or an
    interpretation says why the level is read otherwise."""
    if not wording:
        r.fail("field 'wording' is required: the words of the quote that set the level", where)
    if wording.lower() not in " ".join(quote.split()).lower():
        r.fail(f"wording '{wording}' does not occur in the quote", where)
    mapped = level_of_wording(r.wording, wording)
    if mapped != conclusion.level and not interpretation:
        expected = f"the wording table maps '{wording}' to {mapped}" if mapped else \
            f"'{wording}' is not in the wording table of ruleset.yaml"
        r.fail(f"level '{conclusion.level}' is not what the text says ({expected})", where,
               "add an 'interpretation' explaining the level, or fix the level")


def check_condition_size(r: Reader, condition: cond.Condition, where: str):
    """Refuse a condition whose disjunctive normal form would explode (each alternative
    becomes a durable-rules rule), before anything expands it."""
    size, limit = cond.dnf_size(condition), limits.DNF_ALTERNATIVES.value()
    if size > limit:
        r.fail(f"'when' expands to {size:,} alternatives (all of several 'any'); at most {limit} per rule", where,
               f"split the rule, one per sentence or case; {limits.DNF_ALTERNATIVES.how_to_raise()}")


def check_phase_guard(r: Reader, condition: cond.Condition, conclusion: Conclusion, where: str):
    """A rule that recommends for a phase must require that phase in every alternative,
    or it would recommend for a phase the profile is not in."""
    if conclusion.phase is None:
        return
    for alternative in cond.to_dnf(condition):  # bounded: check_condition_size ran first
        if cond.Leaf("phase", "includes", conclusion.phase) not in alternative:
            r.fail(f"concludes for phase '{conclusion.phase}' but does not require it",
                   where, f"add {{fact: phase, includes: {conclusion.phase}}} to 'when'")


# ------------------------------------------------------------------------------- conditions

def read_condition(r: Reader, node: dict, where: str, field_path: str) -> cond.Condition:
    if "fact" in node:
        return read_leaf(r, node, where, field_path)
    if len(node) != 1:
        r.fail(f"'{field_path}' must have exactly one of all/any/not, or a 'fact'", where)
    (key, value), = node.items()
    if key in ("all", "any"):
        parts = tuple(read_condition(r, v, where, f"{field_path}.{key}[{i}]") for i, v in enumerate(value))
        return cond.All(parts) if key == "all" else cond.Any(parts)
    if key == "not":
        inner = read_condition(r, value, where, f"{field_path}.not")
        try:
            return cond.negate(inner)
        except ValueError:
            r.fail(f"'{field_path}.not' negates 'includes', which is not allowed",
                   where, "list facts are matched by membership; test the other values instead")
    r.fail(f"'{field_path}' has operator '{key}' but no 'fact'", where, "add {fact: F} beside it")


def read_leaf(r: Reader, node: dict, where: str, field_path: str) -> cond.Leaf:
    operators = [k for k in node if k != "fact"]
    if len(operators) != 1:
        r.fail(f"'{field_path}' must have one operator besides 'fact', found {operators or 'none'}",
               where, one_of(cond.WRITABLE_OPERATORS))
    op = operators[0]
    if op not in cond.WRITABLE_OPERATORS:
        r.fail(f"'{field_path}' combines 'fact' with '{op}'", where, one_of(cond.WRITABLE_OPERATORS))
    name, value = node["fact"], node[op]
    spec = r.facts.get(name)
    if spec is None:
        r.fail(f"unknown fact '{name}' in '{field_path}'", where,
               did_you_mean(name, r.facts) or "declare it in facts.yaml")
    problem = operand_problem(spec, op, value)
    if problem:
        r.fail(f"'{field_path}': {problem}", where)
    if op in ("in", "not_in"):
        value = tuple(value)
    return cond.Leaf(name, op, value)


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


# ------------------------------------------------------------------------------ conclusions

def read_conclusion(r: Reader, node: dict, where: str) -> Conclusion:
    (kind, body), = node.items()
    if kind == "derive":
        return read_derivation(r, body, where)
    known = {"recommend": r.sector_slugs, "coordinate": r.partners, "modality": r.modalities,
             "cross_cutting": r.cross_cutting}[kind]
    target_key = TARGET_KEYS[kind]
    target = body[target_key]
    if target not in known:
        r.fail(f"then.{kind}: unknown {target_key} '{target}'", where, did_you_mean(target, known) or one_of(known))
    phases = r.facts["phase"].values
    if "phase" in body and body["phase"] not in phases:
        r.fail(f"then.{kind}: unknown phase '{body['phase']}'", where,
               did_you_mean(body["phase"], phases) or one_of(phases))
    return Conclusion(kind, target, phase=body.get("phase"), level=body.get("level"))


def read_derivation(r: Reader, body: dict, where: str) -> Conclusion:
    spec = r.facts.get(body["fact"])
    if spec is None:
        r.fail(f"then.derive: unknown fact '{body['fact']}'", where,
               did_you_mean(body["fact"], r.facts) or "declare it in facts.yaml with derived: true")
    if not spec.derived:
        r.fail(f"then.derive: fact '{spec.name}' is an input fact", where,
               "mark it derived: true in facts.yaml, or derive another fact")
    return Conclusion("derive", spec.name)


# --------------------------------------------------------------------- across all the rules

def check_unique_ids(r: Reader, rules: list[Rule]):
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            r.fail(f"duplicate rule id '{rule.id}' (first defined at {seen[rule.id].where})", rule.where)
        seen[rule.id] = rule


def check_derived_facts(r: Reader, rules: list[Rule]):
    derivable = {rule.conclusion.target for rule in rules if rule.conclusion.kind == "derive"}
    for rule in rules:
        for leaf in cond.leaves(rule.condition):
            spec = r.facts[leaf.fact]
            if spec.derived and leaf.fact not in derivable:
                r.fail(f"reads derived fact '{leaf.fact}', which no rule derives", rule.where)
            if spec.derived and not is_flag_test(leaf):
                # A derived fact is a flag, only ever asserted: "not derived" is not "false",
                # and durable-rules could not see an absence mid-cascade anyway (notes).
                r.fail(f"tests derived fact '{leaf.fact}' with '{leaf.describe()}'", rule.where,
                       f"a derived fact can only be required: write {{fact: {leaf.fact}, is: true}}")
