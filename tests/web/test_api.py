"""The JSON API gives the CLI's JSON, and the CLI's messages for bad input."""
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TestClient, make_client

from mcof import build_profile, load_ruleset, read_profile_file
from mcof.cli import main
from mcof.web.app import Settings, create_app
from mcof.web.query import assignments

ROOT = Path(__file__).resolve().parents[2]
LIBYA = ROOT / "examples" / "libya-2011.yaml"


def cli_json(*args) -> bytes:
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def set_args(ruleset: str, profile: dict) -> list[str]:
    args = []
    for assignment in assignments(load_ruleset(ruleset), profile):
        args += ["--set", assignment]
    return args


@pytest.mark.parametrize("ruleset", ["2012", "2021"])
def test_assess_is_mcof_assess_format_json(client, epoch, ruleset):
    data = read_profile_file(LIBYA)
    response = client.post(f"/api/assess?ruleset={ruleset}", json=data)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    profile = build_profile(load_ruleset(ruleset), data)
    assert response.content == cli_json("assess", "--ruleset", ruleset, *set_args(ruleset, profile))


def test_assess_equals_the_cli_on_the_profile_file_but_for_the_inputs(client):
    # without SOURCE_DATE_EPOCH: equal modulo the provenance's time, and the input named as a file
    served = client.post("/api/assess", json=read_profile_file(LIBYA)).json()
    cli = json.loads(cli_json("assess", str(LIBYA)))
    for record in (served, cli):
        record["provenance"].pop("generated_at")
        record["provenance"].pop("inputs")
    assert served == cli


def test_explain_and_diff_are_the_clis(client, epoch, tmp_path):
    rs = load_ruleset("2012")
    profile = build_profile(rs, read_profile_file(LIBYA))
    explained = client.post("/api/explain?sector=transport_assistance", json=profile)
    assert explained.status_code == 200
    assert explained.content == cli_json("explain", "--sector", "transport_assistance", *set_args("2012", profile))
    b = {**profile, "international_migrants_caught": False, "large_cross_border_movements": False}
    a_file, b_file = tmp_path / "a.json", tmp_path / "b.json"
    a_file.write_text(json.dumps(profile))
    b_file.write_text(json.dumps(b))
    served = client.post("/api/diff", json={"a": profile, "b": b})
    assert served.status_code == 200
    cli = json.loads(cli_json("diff", str(a_file), str(b_file)))
    served_json = served.json()
    assert served_json["provenance"]["inputs"] == [{"set": assignments(rs, profile)}, {"set": assignments(rs, b)}]
    for record in (served_json, cli):
        record["provenance"].pop("inputs")
    assert served_json == cli and served_json["changes"]


def test_modality_explanations_in_2021(client):
    profile = {"crisis_type": "sudden_onset_natural", "phase": "during", "markets_functioning": True}
    response = client.post("/api/explain?ruleset=2021&modality=cash_based_interventions", json=profile)
    assert response.status_code == 200 and response.json()["target"] == "modality"
    wrong = client.post("/api/explain?ruleset=2021&modality=cash", json=profile)
    assert wrong.status_code == 400 and "unknown modality 'cash'" in wrong.json()["error"]


@pytest.mark.parametrize("body, status, message", [
    (b'{"crisis_type": "man_made", "phase": ', 400, "malformed JSON"),
    (b'{"crisis_type": "man_made", "crisis_type": "health", "phase": "during"}', 400, "duplicate key 'crisis_type'"),
    (b'["man_made"]', 400, "a profile is a mapping of facts, not a list"),
    (b'{"crisis_type": "man_made", "phse": "during"}', 400, "unknown fact 'phse' (did you mean 'phase'?)"),
    (b'{"crisis_type": "man_made", "phase": "during", "international_migrants_caught": "maybe"}', 400,
     "'international_migrants_caught' must be true or false, not 'maybe'"),
    (b'{"crisis_type": "man_made"}', 400, "the profile needs 'phase'"),
    (b"", 400, "the body is empty"),
    (b"\xff\xfe", 400, "the body is not UTF-8 text"),
])
def test_bad_bodies_get_the_clis_message(client, body, status, message):
    response = client.post("/api/assess", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert message in response.json()["error"] and response.json()["status"] == status
    assert "Traceback" not in response.text


def test_the_message_is_the_clis_error_line(client):
    response = client.post("/api/assess", json={"crisis_type": "man_made", "phse": "during"})
    cli = CliRunner().invoke(main, ["assess", "--set", "crisis_type=man_made", "--set", "phse=during"])
    # the same words after the place: the CLI names "--set", the API the request body
    assert cli.stderr.split(": ", 2)[-1].strip() == response.json()["error"].split(": ", 1)[-1]


def test_bad_query_parameters(client):
    profile = {"crisis_type": "man_made", "phase": "during"}
    assert client.post("/api/assess?ruleset=/etc", json=profile).json()["error"] == \
        "ruleset: unknown ruleset '/etc' (one of: 2012, 2021)"
    assert "(did you mean '20" in client.post("/api/assess?ruleset=2013", json=profile).json()["error"]
    assert client.post("/api/explain", json=profile).status_code == 400
    unknown = client.post("/api/explain?sector=transport", json=profile)
    assert unknown.status_code == 400 and "unknown sector 'transport'" in unknown.json()["error"]
    diff = client.post("/api/diff", json={"a": profile})
    assert diff.status_code == 400 and 'a diff body is {"a": PROFILE, "b": PROFILE}' in diff.json()["error"]


def test_content_type_origin_and_size(client):
    profile = json.dumps({"crisis_type": "man_made", "phase": "during"})
    as_form = client.post("/api/assess", content=profile, headers={"content-type": "text/plain"})
    assert as_form.status_code == 415 and "application/json" in as_form.json()["error"]
    cross = client.post("/api/assess", content=profile, headers={"content-type": "application/json",
                                                                 "origin": "https://evil.example"})
    assert cross.status_code == 403 and "cross-origin" in cross.json()["error"]
    same = client.post("/api/assess", content=profile, headers={"content-type": "application/json",
                                                                "origin": "http://testserver"})
    assert same.status_code == 200
    limit = client.app.state.settings.max_body_bytes
    huge = client.post("/api/assess", content=b" " * (limit + 1), headers={"content-type": "application/json"})
    assert huge.status_code == 413 and f"larger than {limit:,} bytes" in huge.json()["error"]

    def chunks():  # no Content-Length: counted as it streams
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536
    streamed = client.post("/api/assess", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


def test_unknown_paths_and_methods_are_json_4xx(client):
    assert client.get("/api/assess").status_code == 405
    missing = client.get("/api/nothing")
    assert missing.status_code == 404 and missing.json()["status"] == 404


def test_openapi_describes_the_endpoints_with_the_engines_schemas(client):
    from mcof.engine.schema import json_schema
    spec = client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert {"/api/assess", "/api/explain", "/api/diff"} <= set(spec["paths"])
    assert spec["components"]["schemas"]["Profile2021"] == json_schema("profile", "2021")
    assert spec["components"]["schemas"]["Result2012"] == json_schema("result", "2012")
    docs = client.get("/api")
    assert docs.status_code == 200 and "/api/openapi.json" in docs.text
    for path in spec["paths"]:
        assert path in docs.text


def test_engine_processes_give_the_same_bytes_and_messages(service, epoch):
    """`mcof serve --engine-processes 1`: the API's answers computed in a process of their own
    (started and stopped by the app's lifespan) are the in-process answers, errors included."""
    data = read_profile_file(LIBYA)
    inline = make_client(service)
    app = create_app(Settings(allowed_hosts=("testserver",), engine_processes=1))
    with TestClient(app, raise_server_exceptions=False) as pooled:
        assert app.state.service._pool is not None  # the lifespan started it
        for path, body in (("/api/assess?ruleset=2021", data), ("/api/diff", {"a": data, "b": {**data, "phase": "after"}}),
                           ("/api/explain?sector=transport_assistance", data)):
            answer = pooled.post(path, json=body)
            assert answer.status_code == 200 and answer.content == inline.post(path, json=body).content, path
        bad = pooled.post("/api/explain?sector=transprt", json=data)
        assert bad.status_code == 400 and bad.json() == inline.post("/api/explain?sector=transprt", json=data).json()
        assert "unknown sector 'transprt'" in bad.json()["error"]
    assert app.state.service._pool is None  # and stopped it
