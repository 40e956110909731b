"""Random valid profiles for any ruleset, drawn from its fact catalogue."""
from hypothesis import strategies as st


def value_strategy(ruleset, spec):
    if spec.is_list:
        return st.lists(st.sampled_from(spec.values), min_size=1, unique=True)
    if spec.type == "bool":
        return st.booleans()
    if spec.type == "enum":
        return st.sampled_from(spec.values)
    if spec.type == "number":
        low = spec.minimum if spec.minimum is not None else -1000
        high = spec.maximum if spec.maximum is not None else 1000
        thresholds = [leaf.value for rule in ruleset.rules for leaf in _leaves(rule)
                      if leaf.fact == spec.name and isinstance(leaf.value, (int, float))]
        return st.one_of(st.sampled_from(thresholds), st.integers(int(low), int(high))) if thresholds \
            else st.integers(int(low), int(high))
    return st.text(max_size=5)


def _leaves(rule):
    from mcof.engine.conditions import leaves
    return leaves(rule.condition)


def profiles(ruleset):
    """Any valid profile: crisis_type and phase always, every other input fact maybe."""
    facts = ruleset.input_facts()
    required = {name: value_strategy(ruleset, facts[name]) for name in ("crisis_type", "phase")}
    optional = {name: value_strategy(ruleset, spec) for name, spec in facts.items() if name not in required}
    return st.fixed_dictionaries(required, optional=optional)


def random_profile(ruleset, rnd):
    """A seeded random valid profile (for differential tests over thousands of rows)."""
    profile = {}
    for name, spec in ruleset.input_facts().items():
        required = name in ("crisis_type", "phase")
        if not required and rnd.random() < 0.3:
            continue  # unknown
        if spec.is_list:
            profile[name] = rnd.sample(spec.values, rnd.randint(1, len(spec.values)))
        elif spec.type == "bool":
            profile[name] = rnd.random() < 0.5
        elif spec.type == "enum":
            profile[name] = rnd.choice(spec.values)
        elif spec.type == "number":
            thresholds = [leaf.value for rule in ruleset.rules for leaf in _leaves(rule) if leaf.fact == name]
            low = spec.minimum if spec.minimum is not None else 0
            high = spec.maximum if spec.maximum is not None else 100
            profile[name] = rnd.choice(thresholds) if thresholds and rnd.random() < 0.3 else rnd.uniform(low, high)
    return profile
