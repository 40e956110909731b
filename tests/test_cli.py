"""The command line: outputs, help texts, and clean `Error:` lines for bad input."""
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from mcof.cli import main
from mcof.engine import load_ruleset
from tests.conftest import MINI, ROOT

MIGRANTS = ["--set", "crisis_type=man_made", "--set", "phase=during", "--set", "international_migrants_caught=true"]


def run(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def test_assess_json_has_the_contract_shape():
    result = run("assess", "--ruleset", str(MINI), *MIGRANTS, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ruleset"]["id"] == "mini" and len(data["ruleset"]["sha256"]) == 64
    assert data["profile"] == {"crisis_type": ["man_made"], "phase": ["during"], "international_migrants_caught": True}
    rec = data["recommendations"][0]
    assert set(rec) == {"sector", "phase", "level", "justifications", "linkages"}
    assert {"rule", "level", "citation", "quote", "facts"} <= set(rec["justifications"][0])
    assert data["coordination"][0]["partner"] == "country_of_origin"
    assert data["coordination"][0]["justifications"][0]["citation"] == "MC/2355 Annex I, para. 7"


def test_profile_file_and_set_override(tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text("crisis_type: man_made\nphase: before\n")
    data = json.loads(run("assess", str(profile), "--ruleset", str(MINI), "--set", "phase=during",
                          "--format", "json").stdout)
    assert data["profile"]["phase"] == ["during"]


@pytest.mark.parametrize("fmt,expected", [("table", "critical"), ("markdown", "| during | **critical** |")])
def test_human_formats_show_levels(fmt, expected):
    result = run("assess", "--ruleset", str(MINI), *MIGRANTS, "--format", fmt)
    assert result.exit_code == 0 and expected in result.stdout
    assert "sha256:" in result.stdout  # the ruleset hash travels with every output


def test_output_file(tmp_path):
    target = tmp_path / "out" / "result.json"
    result = run("assess", "--ruleset", str(MINI), *MIGRANTS, "--format", "json", "--output", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(target.read_text())["recommendations"]
    assert [p.name for p in target.parent.iterdir()] == ["result.json"]  # no temporary file left


def test_explain_says_which_unknown_fact_would_change_it():
    result = run("explain", "--ruleset", str(MINI), "--set", "crisis_type=man_made", "--set", "phase=during",
                 "--sector", "humanitarian_border_management")
    assert result.exit_code == 0
    assert "? unknown  border_pressure is true [derived]" in result.stdout
    assert "if international_migrants_caught were true: critical" in result.stdout


def test_explain_json_why():
    data = json.loads(run("explain", "--ruleset", str(MINI), *MIGRANTS, "--sector", "humanitarian_communications",
                          "--format", "json").stdout)
    during = next(p for p in data["phases"] if p["phase"] == "during")
    assert during["recommended"] and during["level"] == "important"
    # the chain behind the derived facts, back to the input fact
    assert {d["fact"] for d in data["derived_facts"]} == {"assistance_flowing", "border_pressure"}


@pytest.mark.parametrize("args,expected", [
    (["assess", "--ruleset", str(MINI), "--set", "crisis_type=man_made", "--set", "phse=during"],
     "did you mean 'phase'"),
    (["assess", "--ruleset", str(MINI), "--set", "crisis_type=war", "--set", "phase=during"], "not a valid crisis_type"),
    (["assess", "--ruleset", "2099", "--set", "phase=during"], "no ruleset at '2099'"),
    (["assess", "missing.yaml", "--ruleset", str(MINI)], "missing.yaml: profile file not found"),
    (["explain", "--ruleset", str(MINI), *MIGRANTS, "--sector", "transprt_assistance"], "did you mean 'transport_assistance'"),
    (["rules", "show", "border-durin", "--ruleset", str(MINI)], "did you mean 'border-during'"),
    (["assess", "--ruleset", str(MINI)], "give a PROFILE file"),
])
def test_bad_input_gives_one_error_line(args, expected):
    result = run(*args)
    assert result.exit_code != 0
    assert result.stderr.startswith("Error:") or "Error:" in result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_no_traceback_from_python_dash_m(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("crisis_type: [unclosed\n")
    proc = subprocess.run([sys.executable, "-m", "mcof", "assess", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error:") and "malformed YAML" in proc.stderr and "Traceback" not in proc.stderr


HELP_CASES = [
    ([], "Migration Crisis Operational Framework"),
    (["assess"], "--set KEY=VALUE"),
    (["explain"], "which unknown fact would change the answer"),
    (["sectors"], "sectors of assistance"),
    (["facts"], "facts a profile may carry"),
    (["rules", "list"], "List the rules"),
    (["rules", "show"], "Show one rule"),
    (["rules", "lint"], "rules that can never fire"),
    (["rules", "coverage"], "Which rules and conditions the examples and test cases exercise"),
    (["diff"], "Sectors added, removed or changed in level"),
    (["sweep"], "at which threshold values a country's recommendations flip"),
    (["compare"], "under the 2012 framework and the 2021 Addendum"),
    (["crosswalk"], "each link cited and reasoned"),
    (["batch"], "the exit status is 1 when any row failed"),
    (["batch-diff"], "2012 and 2021 outputs are compared in the 2021 sectors, through the crosswalk"),
    (["diagrams"], "The five Annex I scenario diagrams, reconstructed from the rules"),
    (["rules", "test"], "Run the ruleset's own test cases"),
    (["rules", "sentences"], "Every sentence of the paragraphs the ruleset reads"),
    (["verify"], "say whether it still reproduces"),
    (["records"], "assessments saved with `mcof assess --record`"),
    (["records", "list"], "List the decision records, newest first"),
    (["records", "show"], "stored result as `mcof assess` printed it"),
    (["records", "verify"], "Exits 0 when it reproduces, 1 when it does not"),
    (["records", "export"], "provenance included"),
    (["schema"], "Editors can validate YAML with it"),
    (["serve"], "Serve the web pages and the JSON API"),
]
HELP_PHRASES = {" ".join(command): phrase for command, phrase in HELP_CASES}


@pytest.mark.parametrize("command,phrase", HELP_CASES)
def test_help_texts(command, phrase):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert phrase in " ".join(result.stdout.split())


def test_every_command_has_its_help_tested():
    import click
    def names(group, prefix=()):
        for name, command in group.commands.items():
            yield " ".join((*prefix, name))
            if isinstance(command, click.Group):
                yield from names(command, (*prefix, name))
    assert set(names(main)) - {"rules"} <= set(HELP_PHRASES)


def test_assess_does_not_import_heavy_modules():
    code = ("import sys; from mcof import cli; from click.testing import CliRunner; "
            f"r = CliRunner().invoke(cli.main, ['assess', '--ruleset', r'{MINI}', '--set', 'crisis_type=health', "
            "'--set', 'phase=during', '--format', 'json']); assert r.exit_code == 0, r.output; "
            "print(sorted(m for m in ('pandas', 'numpy', 'jinja2', 'rich', 'openpyxl') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.stdout.strip() == "[]", proc.stderr


def test_unwritable_output_is_a_clean_error():
    result = run("assess", "--ruleset", str(MINI), *MIGRANTS, "--output", "/proc/nonexistent/out.json")
    assert result.exit_code == 1 and result.stderr.startswith("Error: /proc/nonexistent/out.json: cannot write output")


def test_binary_batch_input_is_a_clean_error(tmp_path):
    binary = tmp_path / "data.csv"
    binary.write_bytes(b"\x7fELF\x00\x01\x02" * 100)
    result = run("batch", str(binary), "--output", str(tmp_path / "out.csv"))
    assert result.exit_code == 1 and "not a text table" in result.stderr


def test_output_extension_picks_the_format(tmp_path):
    html = tmp_path / "report.html"
    assert run("assess", "examples/libya-2011.yaml", "--output", str(html)).exit_code == 0
    assert html.read_text().startswith("<!DOCTYPE html>")
    data = tmp_path / "r.json"
    assert run("assess", "--set", "crisis_type=health", "--set", "phase=during", "-o", str(data)).exit_code == 0
    assert json.loads(data.read_text())["recommendations"]
    assert run("diagrams", "-o", str(tmp_path / "d.md")).exit_code == 0
    assert (tmp_path / "d.md").read_text().startswith("## Man-made disaster")


def test_output_extension_contradicting_format_is_refused(tmp_path):
    result = CliRunner().invoke(main, ["assess", "examples/libya-2011.yaml", "--format", "json",
                                       "--output", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "--format json contradicts --output" in result.stderr
    assert not (tmp_path / "r.html").exists()
    result = CliRunner().invoke(main, ["rules", "test", "--output", str(tmp_path / "t.html")])
    assert result.exit_code == 2 and "this command writes table, json, not html" in result.stderr


def test_json_outputs_carry_provenance(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
    profile = ROOT / "examples" / "libya-2011.yaml"
    first = run("assess", str(profile), "--set", "acute_humanitarian_needs=false", "--format", "json").stdout
    data = json.loads(first)
    assert data["schema_version"] == "1"
    record = data["provenance"]
    assert record["tool"]["name"] == "mcof" and record["ruleset"] == {"id": "mcof-2012", "sha256": data["ruleset"]["sha256"]}
    import hashlib
    assert record["inputs"][0] == {"file": str(profile), "sha256": hashlib.sha256(profile.read_bytes()).hexdigest()}
    assert record["inputs"][1] == {"set": ["acute_humanitarian_needs=false"]}
    assert record["generated_at"] == "2025-12-01T00:00:00Z"
    again = run("assess", str(profile), "--set", "acute_humanitarian_needs=false", "--format", "json").stdout
    assert again == first  # SOURCE_DATE_EPOCH: identical inputs, byte-identical output
    explained = json.loads(run("explain", str(profile), "--sector", "transport_assistance", "--format", "json").stdout)
    assert explained["provenance"]["parameters"] == {"target": "transport_assistance", "kind": "sector"}


def test_justifications_name_where_their_rule_is_written():
    data = json.loads(run("assess", "--ruleset", "2021", "--set", "crisis_type=man_made", "--set", "phase=during",
                          "--format", "json").stdout)
    sources = [j["source"] for r in data["recommendations"] for j in r["justifications"]]
    assert sources and all(set(s) == {"file", "line"} and isinstance(s["line"], int) for s in sources)
    assert {s["file"].split("/")[0] for s in sources} == {"2012", "2021"}  # inherited ones name their 2012 file
    for s in sources[:5]:
        from tests.conftest import ROOT as root
        line = (root / "rulesets" / s["file"]).read_text().splitlines()[s["line"] - 1]
        assert line.strip().startswith("- id:")


@pytest.mark.parametrize("ruleset,given,slug", [
    ("2012", "12", "emergency_consular_assistance"),
    ("2012", "emergency consular assistance", "emergency_consular_assistance"),
    ("2012", "transport_assistance", "transport_assistance"),
    ("2021", "transport_assistance", "movement_assistance"),          # a 2012 slug, through the crosswalk
    ("2021", "Emergency Consular Assistance", "humanitarian_border_management_citizens_abroad"),
])
def test_sector_by_number_name_or_2012_slug(ruleset, given, slug):
    from mcof.engine.names import resolve_sector
    assert resolve_sector(load_ruleset(ruleset), given)[0] == slug
    result = CliRunner().invoke(main, ["explain", "examples/libya-2011.yaml", "--ruleset", ruleset,
                                       "--sector", given, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["sector"]["slug"] == slug


def test_a_split_2012_sector_asks_which_2021_sector():
    result = CliRunner().invoke(main, ["explain", "examples/libya-2011.yaml", "--ruleset", "2021",
                                       "--sector", "camp_management_displacement_tracking"])
    assert result.exit_code == 1 and "displacement_tracking" in result.stderr and "camp_coordination" in result.stderr


def test_profile_from_standard_input():
    result = CliRunner().invoke(main, ["assess", "-", "--format", "json"], input="crisis_type: health\nphase: during\n")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["profile"]["crisis_type"] == ["health"] and data["provenance"]["inputs"] == [{"file": "<stdin>"}]


@pytest.mark.parametrize("kind", ["ruleset", "profile", "mapping", "result"])
def test_schema_command_prints_a_json_schema(kind):
    import jsonschema
    result = run("schema", kind, "--ruleset", "2021")
    assert result.exit_code == 0, result.stderr
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    if kind == "profile":  # the example profiles validate against it
        from mcof.engine import read_profile_file
        jsonschema.validate(read_profile_file(ROOT / "examples" / "libya-2011.yaml"), schema)


def test_markdown_escapes_what_would_break_it(mini_copy):
    sectors = mini_copy / "sectors.yaml"
    sectors.write_text(sectors.read_text().replace("name: Transport\n", "name: 'Transport | <b>fast</b> *now*'\n"))
    result = run("assess", "--ruleset", str(mini_copy), *MIGRANTS, "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    line = next(l for l in result.stdout.splitlines() if l.startswith("| during") and "Transport" in l)
    assert "Transport \\| &lt;b&gt;fast&lt;/b&gt; \\*now\\*" in line and line.count(" | ") == 3
    assert "<b>" not in result.stdout


PROVENANCED_COMMANDS = [
    ["assess", "examples/libya-2011.yaml"],
    ["explain", "examples/libya-2011.yaml", "--sector", "3"],
    ["diff", "examples/libya-2011.yaml", "--set", "international_migrants_caught=false"],
    ["compare", "examples/libya-2011.yaml"],
    ["diagrams", "--crisis-type", "health"],
    ["sweep", "examples/libya-2011.yaml", "--vary", "phase=before,during"],
    ["sweep", "--mapping", "inform", "--data", "tests/data/inform_risk_2020_v040.csv", "--data",
     "tests/data/migrant_stock_share_undesa2024.csv", "--country", "SDN", "--vary", "drought=5,6"],
]


@pytest.mark.parametrize("args", PROVENANCED_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_every_json_output_says_what_produced_it(args):
    data = json.loads(run(*args, "--format", "json").stdout)
    assert list(data)[:2] == ["schema_version", "provenance"]
    record = data["provenance"]
    assert record["tool"]["name"] == "mcof" and len(record["ruleset"]["sha256"]) == 64 and record["generated_at"]


@pytest.mark.parametrize("fmt", ["table", "markdown"])
@pytest.mark.parametrize("args", PROVENANCED_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_every_text_and_markdown_output_ends_with_what_produced_it(args, fmt, monkeypatch):
    from mcof.engine.provenance import footer_line
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
    record = json.loads(run(*args, "--format", "json").stdout)["provenance"]
    text = run(*args, "--format", fmt).stdout
    expected = footer_line(record)
    if fmt == "markdown":
        expected = expected.replace("_", "\\_")
    assert expected in text, text[-400:]
    for item in record["inputs"]:
        shown = item.get("file") or " ".join(item["set"])
        assert (shown.replace("_", "\\_") if fmt == "markdown" else shown) in text
