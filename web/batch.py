"""The batch page: upload country tables, run ``engine.batch.pipeline.run_batch`` (what ``mcof
batch`` runs) as a job, show its progress, then its summary, the batch report (map and
country table) and the downloads.

A job runs in one worker thread (one at a time, in the order sent); its id is random, so only
who sent the tables can find the results. Uploads are saved under a temporary directory of
the job's own, each under a name made of safe characters only (never a path the user gave),
and removed with the job: at most ``Jobs.KEEP`` jobs are kept, none longer than
``Jobs.MAX_AGE`` seconds. The outputs name each input by its uploaded name, not by where the
server stored it.
"""
from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..engine.batch.mapping import builtin_mappings, load_mapping
from ..engine.batch.outputs import write_outputs
from ..engine.batch.pipeline import BatchReport, run_batch
from ..engine.batch.readers import EXCEL_SUFFIXES
from ..engine.batch.tables import build_error_summary
from ..engine.errors import McofError
from ..engine.outputfile import write_file
from ..engine.report.batch_html import render_batch_report
from . import pages
from .query import ruleset_name
from .security import checked_form

UPLOAD_SUFFIXES = (".csv", *sorted(EXCEL_SUFFIXES))
MAX_FILES = 4
OUTPUT_STEM = "mcof-batch"
REPORT_NAME = f"{OUTPUT_STEM}-report.html"


def safe_name(filename: str, index: int) -> str:
    """An upload's name as stored: its last component, safe characters only, its suffix kept
    (it decides how the table is read)."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(filename.replace("\\", "/")).name).lstrip("._") or "upload"
    suffix = Path(base).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise HTTPException(400, f"upload {filename!r}: a table is a CSV or Excel file "
                                 f"({', '.join(UPLOAD_SUFFIXES)}), not {suffix or 'a file without extension'}")
    return f"{index}-{base}"[:120]


@dataclass
class Job:
    id: str
    directory: Path
    names: dict[str, str]                        # stored path -> uploaded name
    created: float = field(default_factory=time.time)
    state: str = "queued"                        # queued | running | done | failed
    step: str = ""
    done: int = 0
    total: int = 0
    error: str | None = None
    report: BatchReport | None = None
    files: dict[str, Path] = field(default_factory=dict)

    def progress(self, step: str, done: int, total: int) -> None:
        self.step, self.done, self.total = step, done, total


class Jobs:
    KEEP = 16
    MAX_AGE = 3600.0

    def __init__(self):
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mcof-batch")

    def new(self) -> Job:
        self._expire()
        job = Job(secrets.token_urlsafe(16), Path(tempfile.mkdtemp(prefix="mcof-serve-batch-")), {})
        with self._lock:
            self._jobs[job.id] = job
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"no batch job {job_id!r} (jobs are kept for {self.MAX_AGE / 60:.0f} minutes, "
                                     f"the last {self.KEEP} at most): send the tables again")
        return job

    def start(self, job: Job, work) -> None:
        self._worker.submit(self._run, job, work)

    @staticmethod
    def _run(job: Job, work) -> None:
        job.state = "running"
        try:
            work(job)
            job.state = "done"
        except McofError as error:
            job.error, job.state = str(error), "failed"
        except Exception as error:  # noqa: BLE001 - shown on the job's page, never a traceback
            job.error, job.state = f"internal error: {type(error).__name__}: {error}", "failed"

    def _expire(self) -> None:
        """Drop finished jobs past their age, and the oldest finished ones past KEEP."""
        now = time.time()
        with self._lock:
            finished = sorted((j for j in self._jobs.values() if j.state in ("done", "failed")),
                              key=lambda j: j.created)
            surplus = finished[:max(0, len(self._jobs) + 1 - self.KEEP)]
            for job in surplus + [j for j in finished if now - j.created > self.MAX_AGE]:
                if self._jobs.pop(job.id, None):
                    shutil.rmtree(job.directory, ignore_errors=True)

    def close(self) -> None:
        self._worker.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            for job in self._jobs.values():
                shutil.rmtree(job.directory, ignore_errors=True)
            self._jobs.clear()


def _uploaded_names(report: BatchReport, names: dict[str, str]) -> None:
    """Name each input by its uploaded name in the provenance and the errors table."""
    for item in report.provenance.get("inputs", []):
        item["file"] = names.get(item.get("file"), item.get("file"))
    for row in report.error_rows:
        row["file"] = names.get(row.get("file"), row.get("file"))


def batch_work(paths: list[Path], mapping: str, ruleset: str, overrides: dict):
    def work(job: Job) -> None:
        report = run_batch(paths, mapping, ruleset, None, overrides=overrides, progress=job.progress)
        _uploaded_names(report, job.names)
        out = job.directory / "out"
        written = []
        for suffix in (".xlsx", ".json", ".csv"):
            written += write_outputs(out / f"{OUTPUT_STEM}{suffix}", report.long_rows, report.summary_rows,
                                     report.error_rows, report.provenance, sectors=report.ruleset.sector_slugs)
        written.append(write_file(out / REPORT_NAME, render_batch_report(report)))
        job.files = {path.name: path for path in written}
        job.report = report
    return work


# ------------------------------------------------------------------------------ the form

def mapping_choices(name: str) -> dict:
    mapping = load_mapping(name)
    return {"name": mapping.name, "title": mapping.title,
            "thresholds": [{"name": t.name, "value": t.value, "unit": t.unit, "basis": t.basis, "why": t.why}
                           for t in mapping.thresholds.values()],
            "parameters": [{"name": p.name, "value": p.value, "choices": list(p.choices), "why": p.why}
                           for p in mapping.parameters.values() if p.choices]}


def overrides_from(form, mapping: dict) -> dict:
    """The thresholds and parameters the form changed (as `mcof batch -t NAME=VALUE` gives them)."""
    overrides: dict = {}
    for t in mapping["thresholds"]:
        text = str(form.get(f"t.{t['name']}", "")).strip()
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            raise HTTPException(400, f"threshold {t['name']}: {text!r} is not a number") from None
        if value != t["value"]:
            overrides[t["name"]] = value
    for p in mapping["parameters"]:
        chosen = [str(v) for v in form.getlist(f"p.{p['name']}")]
        if chosen and chosen != list(p["value"] if isinstance(p["value"], list) else [p["value"]]):
            overrides[p["name"]] = ",".join(chosen)
    return overrides


def _limit_text(request: Request) -> str:
    return f"{request.app.state.settings.max_upload_bytes / 1024 / 1024:g} MB"


async def batch_form(request: Request) -> HTMLResponse:
    service = request.app.state.service
    mappings = [mapping_choices(name) for name in builtin_mappings()]
    return pages.page(request, "batch.html.j2", page="batch", mappings=mappings, rulesets=list(service.rulesets),
                      limit=_limit_text(request), max_files=MAX_FILES)


async def batch_submit(request: Request) -> Response:
    form = await checked_form(request, max_files=MAX_FILES, max_fields=200)
    ruleset = ruleset_name(str(form.get("ruleset", "")))
    name = str(form.get("mapping", ""))
    if name not in builtin_mappings():
        raise HTTPException(400, f"unknown mapping {name!r}: one of {', '.join(builtin_mappings())} "
                                 "(the server reads built-in mappings only)")
    uploads = [f for f in form.getlist("tables") if getattr(f, "filename", None)]
    if not uploads:
        raise HTTPException(400, "no table uploaded: choose one or more CSV or Excel files")
    if len(uploads) > MAX_FILES:
        raise HTTPException(400, f"{len(uploads)} tables uploaded; at most {MAX_FILES}")
    overrides = overrides_from(form, mapping_choices(name))
    jobs: Jobs = request.app.state.jobs
    job = jobs.new()
    paths = []
    try:
        (job.directory / "in").mkdir()
        for index, upload in enumerate(uploads, 1):
            path = job.directory / "in" / safe_name(upload.filename, index)
            with path.open("wb") as handle:
                shutil.copyfileobj(upload.file, handle)
            job.names[str(path)] = upload.filename.replace("\\", "/").rsplit("/", 1)[-1]
            paths.append(path)
    finally:
        for upload in uploads:
            await upload.close()
    jobs.start(job, batch_work(paths, name, ruleset, overrides))
    return RedirectResponse(f"/batch/jobs/{job.id}", status_code=303)


def job_view(job: Job) -> dict:
    view = {"job": job, "files": sorted(job.files)}
    report = job.report
    if report is not None:
        counts = report.counts()
        view.update(
            sectors=[{"slug": s.slug, "number": s.number, "name": s.name,
                      "counts": {level: counts.get((s.slug, level), 0) for level in report.ruleset.levels}}
                     for s in report.ruleset.sectors],
            levels=report.ruleset.levels, parameters=report.provenance["parameters"],
            not_assessed=Counter(report.not_assessed.values()).most_common(),
            error_summary=build_error_summary(report.error_rows), report_name=REPORT_NAME)
    return view


async def job_page(request: Request) -> HTMLResponse:
    job = request.app.state.jobs.get(request.path_params["job"])
    status = 400 if job.state == "failed" else 200
    return pages.page(request, "batch_job.html.j2", status, page="batch", **job_view(job))


async def job_file(request: Request) -> Response:
    job = request.app.state.jobs.get(request.path_params["job"])
    name = request.path_params["name"]
    if name not in job.files:  # only the files the job wrote: the name is looked up, never joined to a path
        raise HTTPException(404, f"job {job.id} has no file {name!r}")
    if name == REPORT_NAME:
        return pages.document(job.files[name].read_text(encoding="utf-8"))
    return FileResponse(job.files[name], filename=name)


def routes() -> list:
    return [Route("/batch", batch_form, methods=["GET"]), Route("/batch", batch_submit, methods=["POST"]),
            Route("/batch/jobs/{job}", job_page), Route("/batch/jobs/{job}/files/{name}", job_file)]
