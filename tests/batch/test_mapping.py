"""Mappings: thresholds with sources, overrides, validation."""
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from batchdata import by_iso, inform_records

from mcof.engine.batch import MappingError, build_profiles, builtin_mappings, load_mapping
from mcof.engine.batch.mapping import BUILTIN_DIR


def test_builtin_inform_declares_every_threshold_basis(mapping):
    assert "inform" in builtin_mappings()
    assert mapping.thresholds
    for t in mapping.thresholds.values():
        assert t.basis in ("source", "policy_choice")
        assert (t.source if t.basis == "source" else t.why)
    # INFORM risk classes are sourced; the text's "many third-country nationals" is a choice.
    assert [mapping.thresholds[n].value for n in ("risk_very_high", "risk_high", "risk_medium", "risk_low")] \
        == [6.5, 5.0, 3.5, 2.0]
    assert all(mapping.thresholds[n].basis == "source" for n in ("risk_very_high", "risk_low"))
    assert mapping.thresholds["many_tcn_share"].basis == "policy_choice"
    assert mapping.parameters["phase"].value == ["before"]


def test_override_changes_facts(real_table, real_profiles):
    base = by_iso(real_profiles)
    drought = {r[1]: float(r[inform_records()[0].index("Drought")]) for r in inform_records()[1:]}
    values = sorted(set(drought.values()))
    cut = values[len(values) // 2]
    m = load_mapping("inform", overrides={"drought": cut})
    ps = by_iso(build_profiles(real_table, m))
    for iso, d in drought.items():
        assert ("slow_onset_natural" in ps[iso].facts["crisis_type"]) == (d >= cut)
    changed = [i for i in ps if ps[i].facts["crisis_type"] != base[i].facts["crisis_type"]]
    assert changed
    ev = [e for e in ps["AFG"].evidence_for("crisis_type") if e.value == "slow_onset_natural"][0]
    assert "overridden" in ev.text and "default 5.0" in ev.text
    assert m.overrides() == {"drought": (cut, 5.0)}


def test_override_migrant_share(real_table):
    low = by_iso(build_profiles(real_table, load_mapping("inform", overrides={"many_tcn_share": 0.0})))
    assert all(p.facts["many_third_country_nationals"] is True for p in low.values()
               if "many_third_country_nationals" in p.facts)


def test_unknown_override_suggests(mapping):
    with pytest.raises(MappingError) as e:
        load_mapping("inform", overrides={"drougth": 6.0})
    assert "drougth" in e.value.message and "'drought'" in e.value.hint


def test_override_needs_a_number():
    with pytest.raises(MappingError) as e:
        load_mapping("inform", overrides={"drought": "high"})
    assert e.value.field == "thresholds.drought"


def test_phase_parameter(real_table):
    m = load_mapping("inform", overrides={"phase": "before,during"})
    p = build_profiles(real_table, m)[0]
    assert p.facts["phase"] == ["before", "during"]
    assert "overridden" in p.explanation(["phase"])[0]
    with pytest.raises(MappingError) as e:
        load_mapping("inform", overrides={"phase": "durin"})
    assert "'during'" in e.value.hint


def test_unknown_builtin_mapping():
    with pytest.raises(MappingError) as e:
        load_mapping("infrom")
    assert "'inform'" in e.value.hint


def _write(tmp_path, raw):
    p = tmp_path / "m.yaml"
    p.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return p


def test_threshold_without_source_or_why_is_refused(tmp_path, mapping):
    raw = dict(mapping.raw)
    raw["thresholds"] = {**raw["thresholds"], "drought": {"value": 5.0, "basis": "policy_choice"}}
    with pytest.raises(MappingError) as e:
        load_mapping(_write(tmp_path, raw))
    assert e.value.field == "thresholds.drought.why"
    raw["thresholds"]["drought"] = {"value": 5.0, "basis": "source"}
    with pytest.raises(MappingError) as e:
        load_mapping(_write(tmp_path, raw))
    assert e.value.field == "thresholds.drought.source"


def test_condition_on_undeclared_threshold_is_refused(tmp_path, mapping):
    raw = dict(mapping.raw)
    raw["facts"] = {**raw["facts"],
                    "prone_to_natural_disasters": {"type": "bool", "when": {"indicator": "natural", "gte": "naturl"}}}
    with pytest.raises(MappingError) as e:
        load_mapping(_write(tmp_path, raw))
    assert "'natural'" in e.value.hint and e.value.file.endswith("m.yaml")


def test_malformed_yaml(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("mapping: x\n  inputs: [\n", encoding="utf-8")
    with pytest.raises(MappingError) as e:
        load_mapping(p)
    assert e.value.file == str(p)


@settings(max_examples=25, deadline=None)
@given(st.floats(min_value=0, max_value=10.5, allow_nan=False))
def test_epidemic_threshold_is_a_plain_cut(real_table, t):
    m = load_mapping("inform", overrides={"epidemic": t})
    epi = {r[1]: float(r[inform_records()[0].index("Epidemic")]) for r in inform_records()[1:]}
    for p in build_profiles(real_table, m):
        assert ("health" in p.facts["crisis_type"]) == (epi[p.iso3] >= t)


def test_duplicate_key_in_mapping_is_refused_with_its_line(tmp_path):
    # yaml.safe_load kept the last of two equal keys silently (here: drought 5.0 became 9.0).
    text = (BUILTIN_DIR / "inform.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  drought:"))
    lines.insert(at, "  drought: {value: 9.0, basis: policy_choice, why: a second drought}")
    p = tmp_path / "dup.yaml"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(MappingError) as e:
        load_mapping(p)
    assert "duplicate key 'drought'" in e.value.message
    assert e.value.file == str(p) and e.value.row == at + 2      # the second one, 1-based
    assert "once" in e.value.hint


def test_mapping_raw_is_plain_yaml_again(mapping):
    # The line-recording loader's dicts do not leak into Mapping.raw (tests and tools dump it).
    assert type(mapping.raw) is dict
    assert yaml.safe_load(yaml.safe_dump(mapping.raw)) == mapping.raw


def test_indicators_and_missing_values_built_once(mapping):
    assert mapping.indicators is mapping.indicators                 # no dict rebuilt per access
    assert {"x", "n/a", "#value!", ""} <= mapping.missing_lower
    assert isinstance(mapping.missing_lower, frozenset)
    m = load_mapping("inform", overrides={"drought": 6.0})          # apply_overrides deep-copies
    assert m.indicators is m.indicators
    assert m.indicators["drought"] is m.inputs["inform"].indicators["drought"]
    assert m.indicators["drought"] is not mapping.indicators["drought"]
    assert m.missing_lower == mapping.missing_lower
    assert list(m.indicators) == list(mapping.indicators)
