"""Bad profiles are rejected with what, where and how to fix; good ones are normalised."""
import pytest

from mcof.engine import ProfileError, build_profile, read_profile_file


def test_list_facts_are_normalised_to_catalogue_order_without_duplicates(mini):
    profile = build_profile(mini, {"crisis_type": ["health", "man_made", "health"], "phase": "during"})
    assert profile["crisis_type"] == ["man_made", "health"] and profile["phase"] == ["during"]


def test_set_parses_types(mini):
    profile = build_profile(mini, {}, ["crisis_type=man_made,health", "phase=during",
                                       "international_migrants_caught=yes", "migrant_share=12.5"])
    assert profile == {"crisis_type": ["man_made", "health"], "phase": ["during"],
                       "international_migrants_caught": True, "migrant_share": 12.5}


def test_set_overrides_file_values(mini):
    profile = build_profile(mini, {"crisis_type": "health", "phase": "before"}, ["phase=after"])
    assert profile["phase"] == ["after"]


def test_null_means_unknown(mini):
    profile = build_profile(mini, {"crisis_type": "health", "phase": "before", "migrant_share": None})
    assert "migrant_share" not in profile


@pytest.mark.parametrize("data,assignments,expected", [
    ({"crisis_type": "man_made", "phase": "during", "migrants_caught": True}, [], "did you mean"),
    ({"crisis_type": "man_made", "phase": "durin"}, [], "did you mean 'during'"),
    ({"crisis_type": "man-made", "phase": "during"}, [], "did you mean 'man_made'"),
    ({"crisis_type": "man_made", "phase": "during", "international_migrants_caught": "maybe"}, [], "true or false"),
    ({"crisis_type": "man_made", "phase": "during", "migrant_share": "many"}, [], "must be a number"),
    ({"crisis_type": "man_made", "phase": "during", "migrant_share": 250}, [], "outside"),
    ({"crisis_type": "man_made", "phase": "during", "border_pressure": True}, [], "derived by the rules"),
    ({"phase": "during"}, [], "needs 'crisis_type'"),
    ({"crisis_type": "man_made"}, [], "needs 'phase'"),
    ({}, ["crisis_type"], "KEY=VALUE"),
    ({}, ["crisis_typo=man_made"], "did you mean 'crisis_type'"),
])
def test_bad_profiles(mini, data, assignments, expected):
    with pytest.raises(ProfileError, match=expected.replace("(", r"\(")):
        build_profile(mini, data, assignments)


@pytest.mark.parametrize("name,content,expected", [
    ("p.yaml", "crisis_type: [man_made\nphase: during\n", "malformed YAML"),
    ("p.yaml", "- crisis_type\n", "a mapping of facts"),
    ("p.json", '{"crisis_type": "man_made",}', "malformed JSON"),
    ("p.yaml", "crisis_type: a\ncrisis_type: b\n", "duplicate key"),
])
def test_malformed_files(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ProfileError, match=expected) as error:
        read_profile_file(path)
    assert str(path) in str(error.value)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(ProfileError, match="not found"):
        read_profile_file(tmp_path / "nope.yaml")
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ProfileError, match="UTF-8"):
        read_profile_file(binary)


def test_bounded_profiles_fail_fast_with_a_located_error(tmp_path):
    import time
    import pytest
    from mcof.engine import ProfileError, read_profile_file
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                    "crisis_type: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n")
    start = time.perf_counter()
    with pytest.raises(ProfileError, match="aliases") as error:
        read_profile_file(bomb)
    assert time.perf_counter() - start < 1 and "bomb.yaml:2" in str(error.value)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 5000 + "]" * 5000)
    with pytest.raises(ProfileError, match="JSON nested .* deep"):
        read_profile_file(deep)
    twice = tmp_path / "twice.json"
    twice.write_text('{"phase": "during", "phase": "after"}')
    with pytest.raises(ProfileError, match="duplicate key 'phase'"):
        read_profile_file(twice)
    with pytest.raises(ProfileError, match="regular file"):
        read_profile_file(tmp_path)
    big = tmp_path / "big.yaml"
    big.write_text("x: " + "y" * 1_100_000)
    with pytest.raises(ProfileError, match="larger than"):
        read_profile_file(big)
    bom = tmp_path / "bom.json"
    bom.write_text('\ufeff{"crisis_type": "health"}', encoding="utf-8")
    assert read_profile_file(bom) == {"crisis_type": "health"}
