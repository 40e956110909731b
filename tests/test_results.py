"""The typed result model (engine/results.py) and the one render function (engine/output.py)."""
import dataclasses
import json
from pathlib import Path

import pytest

from mcof.engine import assess, build_profile, explain, load_ruleset, read_profile_file
from mcof.engine.output import render
from mcof.engine.provenance import with_provenance
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


@pytest.mark.parametrize("ruleset_name", ["2012", "2021"])
def test_a_saved_assessment_reads_back_into_the_model_it_came_from(ruleset_name):
    """Assessment.from_dict(saved JSON): the same JSON again, and the same table and HTML (a
    decision record is shown from its stored result, not re-run)."""
    rs = load_ruleset(ruleset_name)
    examples = sorted(Path(__file__).resolve().parent.parent.glob("examples/*.yaml"))
    for example in examples:
        result = with_provenance(assess(rs, build_profile(rs, read_profile_file(example))), rs, [])
        saved = json.loads(render(result, "json", ruleset=rs))
        again = Assessment.from_dict(saved)
        assert render(again, "json", ruleset=rs) == render(result, "json", ruleset=rs), example.name
        for fmt in ("table", "markdown", "html"):
            assert render(again, fmt, ruleset=rs) == render(result, fmt, ruleset=rs), (example.name, fmt)
    partial = Assessment.from_dict(to_dict(assess(rs, build_profile(rs, PROFILE), explain_absent=False)))
    assert partial.not_recommended is None and partial.provenance is None  # absent keys stay absent
