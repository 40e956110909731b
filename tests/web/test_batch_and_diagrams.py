"""The batch page runs `mcof batch`'s pipeline on uploads; the diagrams page is `mcof diagrams`."""
import html
import json
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_client
from pageparse import by_id, elements, inside

from mcof.cli import main
from mcof.engine.batch.pipeline import run_batch
from mcof.engine.batch.tables import build_error_summary
from mcof.engine.diagrams import diagrams
from mcof.engine.errors import McofError
from mcof.engine.ruleset import load_ruleset

ROOT = Path(__file__).resolve().parents[2]
INFORM = ROOT / "tests" / "data" / "inform_risk_2020_v040.csv"
STOCK = ROOT / "tests" / "data" / "migrant_stock_share_undesa2024.csv"


def csrf(client, path="/batch") -> str:
    page = client.get(path).text
    return next(a["value"] for _, a in elements(page).elements if a.get("name") == "csrf_token")


def submit(client, files, **fields):
    data = {"csrf_token": csrf(client), "ruleset": "2012", "mapping": "inform", **fields}
    return client.post("/batch", data=data, files=files, follow_redirects=False)


def finished(client, location, seconds=60):
    deadline = time.monotonic() + seconds
    while True:
        page = client.get(location)
        state = by_id(page.text, "job")["data-state"]
        if state in ("done", "failed") or time.monotonic() > deadline:
            return page
        time.sleep(0.1)


@pytest.fixture(scope="module")
def batch_client(service):
    return make_client(service)


@pytest.fixture(scope="module")
def real_job(batch_client):
    files = [("tables", ("../../inform.csv", INFORM.read_bytes(), "text/csv")),
             ("tables", ("migrant stock.csv", STOCK.read_bytes(), "text/csv"))]
    response = submit(batch_client, files, **{"p.phase": ["before", "during"], "t.drought": "6"})
    assert response.status_code == 303
    return response.headers["location"], finished(batch_client, response.headers["location"])


def test_the_form_states_its_limit_and_the_mappings_thresholds(client):
    page = client.get("/batch").text
    assert "20 MB" in inside(page, "batch-limit")
    from mcof.engine.batch.mapping import load_mapping
    for name in load_mapping("inform").thresholds:
        assert by_id(page, f"batch-t-{name}") is not None


def test_an_upload_gives_the_pipelines_summary_and_downloads(batch_client, real_job):
    location, page = real_job
    assert page.status_code == 200 and by_id(page.text, "job")["data-state"] == "done"
    report = run_batch([INFORM, STOCK], "inform", "2012", None, overrides={"phase": "before,during", "drought": 6.0})
    counts = report.counts()
    rows = re.findall(r'<tr data-sector="([^"]+)">(.*?)</tr>', inside(page.text, "job-counts"), re.S)
    assert [sector for sector, _ in rows] == report.ruleset.sector_slugs
    for sector, cells in rows:
        shown = re.findall(r"<td>(.*?)</td>", cells)
        assert shown == [str(counts.get((sector, level)) or "") for level in report.ruleset.levels]
    assert any(counts.values())
    summary = html.unescape(inside(page.text, "job-summary"))
    assert f"{len(report.profiles)} countries" in summary and f"{len(report.profiles) - len(report.not_assessed)}" in summary
    files = [a["data-file"] for _, a in elements(inside(page.text, "job-files")).elements if a.get("data-file")]
    assert {"mcof-batch.xlsx", "mcof-batch.json", "mcof-batch.csv", "mcof-batch.errors.csv",
            "mcof-batch.provenance.json", "mcof-batch-report.html"} <= set(files)
    provenance = batch_client.get(f"{location}/files/mcof-batch.provenance.json").json()
    # inputs named as uploaded (their last component), never where the server stored them
    assert [i["file"] for i in provenance["inputs"]] == ["inform.csv", "migrant stock.csv"]
    assert provenance["parameters"]["thresholds"]["drought"]["value"] == 6.0
    assert provenance["parameters"]["parameters"]["phase"]["value"] == ["before", "during"]
    assert "/tmp" not in batch_client.get(f"{location}/files/mcof-batch.errors.csv").text
    report_page = batch_client.get(f"{location}/files/mcof-batch-report.html")
    assert report_page.status_code == 200 and "frame-ancestors 'self'" in report_page.headers["content-security-policy"]
    assert by_id(page.text, "job-report")["sandbox"] == "allow-scripts"
    assert batch_client.get(f"{location}/files/../../etc/passwd").status_code == 404
    assert batch_client.get(f"{location}/files/out.csv").status_code == 404


def test_skipped_rows_are_shown_with_their_reasons(real_job):
    _, page = real_job
    errors = html.unescape(inside(page.text, "job-errors"))
    assert "skipped" in errors and "migrant stock.csv" in errors
    assert by_id(page.text, "job-not-assessed") is not None


def test_a_bad_table_fails_the_job_with_the_pipelines_message(batch_client, tmp_path):
    table = b"name;comment\nfoo;bar\n"
    response = submit(batch_client, {"tables": ("notes.csv", table, "text/csv")})
    page = finished(batch_client, response.headers["location"])
    assert page.status_code == 400
    message = html.unescape(inside(page.text, "job-error"))
    (tmp_path / "notes.csv").write_bytes(table)
    with pytest.raises(McofError) as raised:
        run_batch([tmp_path / "notes.csv"], "inform", "2012", None)
    assert raised.value.message in message and "notes.csv" in message


def test_uploads_are_checked_before_any_job(batch_client):
    wrong = submit(batch_client, {"tables": ("table.ods", b"x", "application/octet-stream")})
    assert wrong.status_code == 400 and "a table is a CSV or Excel file" in html.unescape(wrong.text)
    none = submit(batch_client, {"tables": ("", b"", "text/csv")})
    assert none.status_code == 400
    mapping = submit(batch_client, {"tables": ("t.csv", b"a\n", "text/csv")}, mapping="/etc/passwd")
    assert mapping.status_code == 400 and "unknown mapping" in html.unescape(mapping.text)
    threshold = submit(batch_client, {"tables": ("t.csv", b"a\n", "text/csv")}, **{"t.drought": "high"})
    assert threshold.status_code == 400 and "not a number" in html.unescape(threshold.text)


def test_an_upload_over_the_limit_is_refused(service):
    small = make_client(service, max_upload_bytes=10_000)
    data = {"csrf_token": csrf(small), "ruleset": "2012", "mapping": "inform"}
    response = small.post("/batch", data=data, files={"tables": ("inform.csv", INFORM.read_bytes(), "text/csv")})
    assert response.status_code == 413 and "larger than 10,000 bytes" in html.unescape(response.text)


def test_an_unknown_job_is_a_404(client):
    assert client.get("/batch/jobs/nothing").status_code == 404


@pytest.mark.parametrize("ruleset", ["2012", "2021"])
def test_the_diagrams_page_draws_the_engines_diagrams(client, ruleset):
    page = client.get("/diagrams").text
    expected = diagrams(load_ruleset(ruleset))
    for scenario in expected["scenarios"]:
        block = inside(page, f"scenario-{ruleset}-{scenario['crisis_type']}")
        levels = {(row_sector, a["data-phase"]): a["data-level"] for row_sector, a in _cells(block)}
        assert levels == {(c["sector"], c["phase"]): c["level"] or "" for c in scenario["cells"]}
        assert "<svg" in block


def _cells(block):
    sector = None
    for tag, a in elements(block).elements:
        if tag == "tr" and a.get("data-sector"):
            sector = a["data-sector"]
        if tag == "td" and "data-phase" in a:
            yield sector, a


@pytest.mark.parametrize("fmt", ["html", "json"])
def test_the_diagram_documents_are_the_clis(client, epoch, fmt):
    from mcof.web.service import Service
    served = make_client(Service()).get(f"/diagrams/2012.{fmt}")  # a fresh service: computed under the epoch
    cli = CliRunner().invoke(main, ["diagrams", "--ruleset", "2012", "--format", fmt])
    assert served.status_code == 200 and served.content == cli.stdout_bytes
    if fmt == "json":
        assert json.loads(served.content)["scenarios"]
    assert client.get(f"/diagrams/1999.{fmt}").status_code == 404


def test_the_errors_summary_shows_its_placeholders_as_variables(real_job):
    _, page = real_job
    patterns = {row["reason"] for row in build_error_summary(run_batch([INFORM, STOCK], "inform", "2012", None).error_rows)}
    assert any("{" in p for p in patterns)  # the pipeline's grouped reasons do carry placeholders
    shown = inside(page.text, "job-errors")
    assert "<var>" in shown and not re.search(r"\{[a-z0-9_]+\}", shown)
