"""The typed result model (engine/results.py) and the one render function (engine/output.py)."""
import dataclasses
import json

import pytest

from mcof.engine import assess, build_profile, explain, load_ruleset
from mcof.engine.output import render
from mcof.engine.results import Assessment, Explanation, Recommendation, to_dict

PROFILE = {"crisis_type": "man_made", "phase": "during", "international_migrants_caught": True}


def test_results_are_frozen_and_serialise_in_the_contracts_key_order():
    rs = load_ruleset("2012")
    result = assess(rs, build_profile(rs, PROFILE))
    assert isinstance(result, Assessment) and isinstance(result.recommendations[0], Recommendation)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.recommendations[0].level = "recommended"
    data = to_dict(result)
    assert list(data)[:5] == ["tool", "ruleset", "profile", "unknown_facts", "recommendations"]
    assert list(data["recommendations"][0]) == ["sector", "phase", "level", "justifications", "linkages"]
    assert list(data["recommendations"][0]["justifications"][0])[:5] == ["rule", "level", "citation", "quote", "facts"]
    assert "modalities" not in data and "cross_cutting" not in data  # 2012 has neither
    assert json.loads(render(result, "json", ruleset=rs)) == data


def test_render_dispatches_on_the_result_type():
    rs = load_ruleset("2012")
    profile = build_profile(rs, PROFILE)
    explanation = explain(rs, profile, "transport_assistance")
    assert isinstance(explanation, Explanation)
    assert render(explanation, "table").startswith("Why Transport Assistance")
    assert render(assess(rs, profile), "markdown", ruleset=rs).startswith("# MCOF assessment (mcof-2012)")
    with pytest.raises(TypeError, match="not an engine result"):
        render(to_dict(explanation), "json")  # a raw dict is not a result
    with pytest.raises(ValueError):
        render(explanation, "pdf")
