"""mcof command line: a thin click layer over the `engine` library."""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from .engine.errors import McofError

FORMATS = ["table", "json", "markdown"]


# An output file's extension picks the format unless --format says otherwise.
FORMAT_OF_EXTENSION = {".json": "json", ".md": "markdown", ".markdown": "markdown", ".html": "html",
                       ".htm": "html", ".txt": "table", ".csv": "csv"}


def format_from_output(ctx: click.Context) -> None:
    """`-o report.html` writes HTML; `--format json -o report.html` is refused, not obeyed.
    Run once every parameter is parsed (click parses them in command-line order)."""
    output, fmt = ctx.params.get("output"), ctx.params.get("fmt")
    implied = FORMAT_OF_EXTENSION.get(Path(output).suffix.lower()) if output and fmt else None
    if implied is None or implied == fmt:
        return
    allowed = next(p.type.choices for p in ctx.command.params if p.name == "fmt")
    if ctx.get_parameter_source("fmt") is click.core.ParameterSource.COMMANDLINE:
        raise click.UsageError(f"--format {fmt} contradicts --output {output} ({implied}): "
                               "drop one, or give the file a matching extension", ctx)
    if implied not in allowed:
        raise click.UsageError(f"--output {output}: this command writes {', '.join(allowed)}, not {implied}; "
                               "choose another extension or give --format", ctx)
    ctx.params["fmt"] = implied


class McofCommand(click.Command):
    def invoke(self, ctx: click.Context):
        format_from_output(ctx)
        return super().invoke(ctx)


class McofGroup(click.Group):
    """Turns every mcof error into one `Error:` line and a non-zero exit, never a traceback."""

    command_class = McofCommand  # every command picks its format from --output's extension
    group_class = type  # subgroups are McofGroups too

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except McofError as error:
            raise click.ClickException(str(error)) from None
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            raise click.Abort() from None
        except Exception as error:  # noqa: BLE001 - the promise is: no traceback for users
            if os.environ.get("MCOF_DEBUG"):
                raise
            raise click.ClickException(
                f"internal error: {type(error).__name__}: {error} (set MCOF_DEBUG=1 for the traceback, "
                "and please report it)") from None


def ruleset_option(default="2012"):
    return click.option("--ruleset", "-r", default=default, show_default=True, metavar="2012|2021|PATH",
                        help="Built-in ruleset (2012, 2021) or a ruleset directory.")


def format_option(formats=FORMATS, default="table"):
    return click.option("--format", "-f", "fmt", type=click.Choice(formats), default=default, show_default=True,
                        help="Output format.")




output_option = click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
    help="Write to FILE instead of standard output (written whole or not at all); its extension "
         "(.json, .md, .html, .txt) picks the format unless --format is given.")
set_option = click.option("--set", "-s", "assignments", multiple=True, metavar="KEY=VALUE",
                          help="Set or override one fact (booleans true/false; lists comma-separated). Repeatable.")


def emit(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    from .engine.outputfile import write_file
    click.echo(f"wrote {write_file(output, text)}", err=True)


def use_color(output: str | None) -> bool:
    return output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def load_profile(ruleset_name: str, profile_path: str | None, assignments):
    """The ruleset and the validated profile (the file is read first: its errors come first)."""
    from . import build_profile, load_ruleset, read_profile_file
    if not profile_path and not assignments:
        raise click.UsageError("give a PROFILE file or at least one --set KEY=VALUE")
    data = read_profile_file(profile_path) if profile_path else {}
    ruleset = load_ruleset(ruleset_name)
    return ruleset, build_profile(ruleset, data, list(assignments), origin=profile_path or "--set")


def report_title(profile_path: str | None, ruleset) -> str:
    """A report names its crisis: the profile file's name ('libya-2011.yaml': 'Libya 2011')."""
    crisis = Path(profile_path).stem.replace("-", " ").replace("_", " ").title() if profile_path else "Crisis profile"
    return f"{crisis}: MCOF assessment ({ruleset.title})"


def sector_names(ruleset) -> dict[str, str]:
    return {s.slug: f"{s.number}. {s.name}" for s in ruleset.sectors}


@click.group(cls=McofGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mcof", prog_name="mcof")
@click.option("--no-cache", is_flag=True, help="Read rulesets from their YAML, not from the cache of loaded "
              "rulesets ($MCOF_CACHE_DIR, else ~/.cache/mcof; also MCOF_NO_CACHE=1).")
def main(no_cache):
    """mcof: IOM's Migration Crisis Operational Framework (MCOF), executable and explained.

    Describe a crisis (type, phase, circumstances) and get the framework's prioritised
    sectors of assistance, each justified by the framework's own words.

    \b
    Examples:
      mcof assess examples/libya-2011.yaml
      mcof assess --set crisis_type=man_made --set phase=during --set international_migrants_caught=true
      mcof explain examples/libya-2011.yaml --sector transport_assistance
    """
    if no_cache:
        os.environ["MCOF_NO_CACHE"] = "1"
    exit_cleanly_on_termination()


def exit_cleanly_on_termination() -> None:
    """SIGTERM and SIGHUP (a stopped job, a closed terminal) end mcof as Ctrl-C does: as an
    exception, so every writer removes its temporary file (engine/outputfile.py)."""
    import signal
    import threading

    def leave(signum, _frame):
        raise SystemExit(128 + signum)
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), leave)


class MissingExtra(click.ClickException):
    exit_code = 2  # an installation problem, as a usage error is: nothing was run


def records_library():
    """engine.records, or exit 2 naming the extra when SQLAlchemy or Alembic is not installed."""
    try:
        from .engine import records
    except ModuleNotFoundError as missing:
        if (missing.name or "").split(".")[0] not in ("sqlalchemy", "alembic"):
            raise
        raise MissingExtra("decision records need the extra: pip install 'mcof[records]'") from None
    return records


records_option = click.option(
    "--records", "store", metavar="PATH|URL", default=None,
    help="The records database: an SQLite file or a SQLAlchemy URL (postgresql+psycopg://USER@HOST/DB); "
         "default $MCOF_RECORDS, else records.sqlite in the user data directory ($MCOF_DATA_DIR, "
         "~/.local/share/mcof). See docs/records.md.")


@main.command()
@click.argument("profile", required=False, type=click.Path(dir_okay=False))
@set_option
@ruleset_option()
@format_option(FORMATS + ["html"])
@click.option("--by-linkage", is_flag=True,
              help="Group the recommended sectors by the systems, clusters and groups they link to "
                   "(whom to coordinate with); JSON adds a by_linkage list.")
@output_option
@click.option("--record", "record", is_flag=True,
              help="Also save the assessment as a decision record (profile, full result, provenance); "
                   "its id is printed on standard error. Needs the extra mcof[records].")
@click.option("--name", metavar="TEXT", help="With --record: the record's name.")
@click.option("--note", metavar="TEXT", help="With --record: a note kept with the record (why, for whom).")
@records_option
def assess(profile, assignments, ruleset, fmt, by_linkage, output, record, name, note, store):
    """Assess a crisis PROFILE (YAML or JSON file, or --set facts alone).

    Lists the sectors of assistance per phase at their level (critical, important,
    recommended), every rule that justifies each one, the systems, clusters and groups each
    sector links to, coordination partners, and which unknown facts would change the result.
    """
    from . import assess as run_assessment
    from .engine.provenance import profile_inputs, with_provenance
    given = [option for option, value in (("--name", name), ("--note", note), ("--records", store)) if value is not None]
    if given and not record:
        raise click.UsageError(f"{' and '.join(given)} only apply to a decision record: add --record")
    # the extra and the store are checked first: a bad --records fails before anything is printed
    record_store = records_library().open_store(store) if record else None
    rs, facts = load_profile(ruleset, profile, assignments)
    from .engine.output import render
    result = with_provenance(run_assessment(rs, facts), rs, profile_inputs(profile, assignments))
    emit(render(result, fmt, ruleset=rs, title=report_title(profile, rs), color=use_color(output),
                by_linkage=by_linkage), output)
    if record_store:
        with record_store:
            saved = record_store.save(result.to_dict(), facts, name=name, note=note)
        click.echo(f"recorded as record {saved.id} in {record_store.where} (`mcof records show {saved.id}`)",
                   err=True)


@main.command()
@click.argument("profile", required=False, type=click.Path(dir_okay=False))
@click.option("--sector", metavar="SECTOR", help="The sector to explain: slug, number or name (see `mcof sectors`); "
              "in 2021 a 2012 slug is read through the crosswalk.")
@click.option("--modality", metavar="SLUG", help="Or an operating modality to explain (2021, e.g. cash_based_interventions).")
@set_option
@ruleset_option()
@format_option()
@output_option
def explain(profile, sector, modality, assignments, ruleset, fmt, output):
    """Why a sector (or an operating modality) is, or is not, recommended for PROFILE.

    For each phase: the rules that could recommend the sector, which of their conditions
    held, failed or were unknown, and which unknown fact would change the answer.
    """
    from . import explain as run_explain
    from .engine.errors import ProfileError, did_you_mean
    if bool(sector) == bool(modality):
        raise click.UsageError("give one of --sector SLUG or --modality SLUG")
    rs, facts = load_profile(ruleset, profile, assignments)
    if sector:
        from .engine.names import resolve_sector
        kind, (target, note) = "recommend", resolve_sector(rs, sector)
        if note:
            click.echo(f"note: {note}", err=True)
    else:
        kind, target = "modality", modality
        if target not in rs.modalities:
            raise ProfileError(f"unknown modality '{target}' in ruleset {rs.id}", where="--modality",
                               hint=did_you_mean(target, rs.modalities) or f"ruleset {rs.id} has no modalities")
    from .engine.provenance import profile_inputs, with_provenance
    result = with_provenance(run_explain(rs, facts, target, kind), rs, profile_inputs(profile, assignments),
                             {"target": target, "kind": "sector" if sector else "modality"})
    from .engine.output import render
    emit(render(result, fmt, ruleset=rs), output)


@main.command()
@ruleset_option()
@format_option()
@output_option
def sectors(ruleset, fmt, output):
    """List the ruleset's sectors of assistance, with their objectives and linkages (the
    systems, clusters and groups each links to, with the words that state each link)."""
    from . import load_ruleset
    from .engine.render import records_table, to_json
    rs = load_ruleset(ruleset)
    rows = [s.to_dict() for s in rs.sectors]
    if fmt == "json":
        emit(to_json(rows), output)
    else:
        for row in rows:
            row["links to"] = [f"{link['to']} ({link['citation']})" for link in row["linkages"]]
        emit(records_table(rows, ["number", "slug", "name", "objective", "links to"],
                           title=f"Sectors of assistance ({rs.id})", markdown=fmt == "markdown"), output)


@main.command()
@click.argument("kind", type=click.Choice(["ruleset", "profile", "mapping", "result"]))
@ruleset_option()
@output_option
def schema(kind, ruleset, output):
    """Print the JSON Schema of a KIND of file: ruleset (every ruleset file, one $defs entry
    each), profile (the facts the ruleset's profiles may carry), mapping (batch mappings) or
    result (what `mcof assess --format json` prints). Editors can validate YAML with it.
    """
    from .engine.render import to_json
    from .engine.schema import json_schema
    emit(to_json(json_schema(kind, ruleset)), output)


@main.command()
@click.argument("result_file", type=click.Path(dir_okay=False))
@click.option("--ruleset", "-r", default=None, metavar="PATH",
              help="The ruleset to verify against (default: the built-in ruleset the result names).")
@format_option(["table", "json"])
@output_option
def verify(result_file, ruleset, fmt, output):
    """Re-run a saved `mcof assess --format json` result from its own profile and provenance,
    and say whether it still reproduces; if not, what differs (entry by entry, with the rules
    gained and lost) and why (the ruleset changed since).

    Exits 0 when it reproduces, 1 when it does not.
    """
    from .engine.errors import McofError
    from .engine.jsonio import parse_json
    from .engine.render import to_json
    from .engine.verify import verify as run_verify, verify_text
    try:
        text = Path(result_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise McofError(f"cannot read the result: {error}", where=result_file) from None
    record = parse_json(text, result_file)
    report = run_verify(record, ruleset)
    emit(to_json(report) if fmt == "json" else verify_text(report), output)
    if not report["reproduces"]:
        raise click.exceptions.Exit(1)


@main.group(cls=McofGroup)
def records():
    """Decision records: assessments saved with `mcof assess --record`, to list, show,
    verify and export (docs/records.md). Needs the extra mcof[records]."""


def record_filters(command):
    """The filters `records list` and `records export` share (engine.records.RecordStore.list)."""
    for option in reversed([
            click.option("--crisis-type", metavar="TYPE", help="Only records of this crisis type (e.g. man_made)."),
            click.option("--phase", metavar="PHASE", help="Only records assessing this phase (before, during, after)."),
            click.option("--sector", metavar="SLUG",
                         help="Only records recommending this sector (its slug, see `mcof sectors`)."),
            click.option("--since", metavar="DATE", help="Only records saved on or after DATE (YYYY-MM-DD, or a UTC "
                         "time YYYY-MM-DDTHH:MM:SSZ)."),
            click.option("--until", metavar="DATE", help="Only records saved on or before DATE (a date counts whole).")]):
        command = option(command)
    return command


@records.command("list")
@records_option
@record_filters
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="At most this many records, newest first.")
@format_option(["table", "json"])
@output_option
def records_list(store, crisis_type, phase, sector, since, until, limit, fmt, output):
    """List the decision records, newest first: id, when saved, name, ruleset, crisis types,
    phases and the sectors recommended at each level."""
    lib = records_library()
    filters = {"crisis_type": crisis_type, "phase": phase, "sector": sector, "since": since, "until": until,
               "limit": limit}
    with lib.open_store(store) as records_store:
        found = records_store.list(**filters)
        provenance = lib.listing_provenance(records_store, filters)
    from .engine.render import records_table, to_json
    if fmt == "json":
        emit(to_json(lib.records_document(found, provenance, with_result=False)), output)
        return
    if not found:
        chosen = any(v is not None for k, v in filters.items() if k != "limit")
        emit(f"No decision records in {provenance['records']}{' match these filters' if chosen else ''}.\n", output)
        return
    from collections import Counter
    rows = [{"id": r.id, "created": r.created, "name": r.name or "", "ruleset": r.ruleset,
             "crisis types": list(r.crisis_types), "phases": list(r.phases),
             "sectors": ", ".join(f"{count} {level}" for level, count in Counter(r.sectors.values()).items())}
            for r in found]
    emit(records_table(rows, ["id", "created", "name", "ruleset", "crisis types", "phases", "sectors"],
                       title=f"{len(found)} decision record(s) in {provenance['records']}"), output)


@records.command("show")
@click.argument("record_id", metavar="ID", type=int)
@records_option
@click.option("--ruleset", "-r", default=None, metavar="PATH",
              help="For table, markdown and HTML: the ruleset whose sector names to use (default: the "
                   "built-in ruleset the record names).")
@format_option(FORMATS + ["html"])
@output_option
def records_show(record_id, store, ruleset, fmt, output):
    """Show record ID's stored result as `mcof assess` printed it (JSON: the very same
    document, provenance included); the record's name, time and note go first in a table."""
    with records_library().open_store(store) as records_store:
        rec = records_store.get(record_id)
    from .engine.render import to_json
    if fmt == "json":
        emit(to_json(rec.result), output)
        return
    from .engine.output import render
    from .engine.verify import ruleset_for
    rs = ruleset_for(rec.result, ruleset)
    title = rec.name or f"Record {rec.id}"
    lines = [f"Record {rec.id}" + (f": {rec.name}" if rec.name else "") + f" (saved {rec.created}, mcof {rec.version})",
             *([f"Note: {rec.note}"] if rec.note else [])]
    heading = "" if fmt == "html" else ("\n\n" if fmt == "markdown" else "\n").join(lines) + "\n\n"
    emit(heading + render(rec.assessment(), fmt, ruleset=rs, title=title, color=use_color(output)), output)


@records.command("verify")
@click.argument("record_id", metavar="ID", type=int)
@records_option
@click.option("--ruleset", "-r", default=None, metavar="PATH",
              help="The ruleset to verify against (default: the built-in ruleset the record names).")
@format_option(["table", "json"])
@output_option
def records_verify(record_id, store, ruleset, fmt, output):
    """Re-run record ID's profile under today's ruleset and say whether it gives the same
    result; if not, what differs (entry by entry, with the rules gained and lost) and why.

    Exits 0 when it reproduces, 1 when it does not.
    """
    lib = records_library()
    with lib.open_store(store) as records_store:
        outcome = lib.verify_record(records_store.get(record_id), ruleset)
    from .engine.render import to_json
    emit(to_json(outcome.to_dict()) if fmt == "json" else outcome.text(), output)
    if not outcome.reproduces:
        raise click.exceptions.Exit(1)


@records.command("export")
@records_option
@record_filters
@click.option("--format", "-f", "fmt", type=click.Choice(["jsonl", "json", "csv"]), default=None,
              help="jsonl (one record a line), json (one document) or csv; default: the --output "
                   "extension's, else jsonl.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to FILE.jsonl, FILE.json or FILE.csv (+ FILE.provenance.json), whole or not at all.")
def records_export(store, crisis_type, phase, sector, since, until, fmt, output):
    """Export every record (or those the filters select), each with its profile and its full
    result, provenance included; CSV has one row a record (its result's provenance, not the result)."""
    lib = records_library()
    implied = lib.EXPORT_FORMATS.get(Path(output).suffix.lower()) if output else None
    if output and implied is None:
        raise click.UsageError(f"--output {output}: export writes .jsonl, .json or .csv files")
    if fmt and implied and fmt != implied:
        raise click.UsageError(f"--format {fmt} contradicts --output {output} ({implied}): drop one")
    fmt = fmt or implied or "jsonl"
    filters = {"crisis_type": crisis_type, "phase": phase, "sector": sector, "since": since, "until": until}
    with lib.open_store(store) as records_store:
        found = records_store.list(**filters, limit=None)
        provenance = lib.listing_provenance(records_store, filters)
    if output is None:
        emit(lib.export_text(found, fmt, provenance), None)
        return
    for path in lib.write_export(output, found, fmt, provenance):
        click.echo(f"wrote {path}", err=True)
    click.echo(f"{len(found)} record(s) exported", err=True)


@main.command()
@ruleset_option()
@click.option("--crisis-type", "crisis_types", multiple=True, metavar="TYPE",
              help="Only this scenario (repeatable); default: all five.")
@format_option(FORMATS + ["html"])
@output_option
def diagrams(ruleset, crisis_types, fmt, output):
    """The five Annex I scenario diagrams, reconstructed from the rules.

    For each scenario, the sector x phase grid the lost diagrams drew: what holds on the
    crisis type and phase alone, and, marked "if ...", what one further fact would add or
    raise. HTML draws each as MCOF's wheel too (phases as rings, sectors as segments coloured
    by level, linked systems and clusters on the outer ring).
    """
    from . import load_ruleset
    from .engine.diagrams import diagrams as build_diagrams
    from .engine.errors import ProfileError, did_you_mean
    rs = load_ruleset(ruleset)
    known = [s.crisis_type for s in rs.scenarios]
    for crisis_type in crisis_types:
        if crisis_type not in known:
            raise ProfileError(f"unknown crisis type {crisis_type!r}", where="--crisis-type",
                               hint=did_you_mean(crisis_type, known) or f"one of: {', '.join(known)}")
    from .engine.output import render
    from .engine.results import Diagrams
    emit(render(Diagrams(build_diagrams(rs, list(crisis_types))), fmt, ruleset=rs), output)


@main.command()
@ruleset_option()
@click.option("--all", "show_all", is_flag=True, help="Include the facts derived by rules.")
@format_option()
@output_option
def facts(ruleset, show_all, fmt, output):
    """List the facts a profile may carry (type, allowed values, meaning, source)."""
    from . import load_ruleset
    from .engine.render import records_table, to_json
    rs = load_ruleset(ruleset)
    rows = [f.to_dict() for f in rs.facts.values() if show_all or not f.derived]
    if fmt == "json":
        emit(to_json(rows), output)
    else:
        for row in rows:
            row["values"] = row.get("values") or (f"{row.get('min', '')}..{row.get('max', '')}"
                                                  if row["type"] == "number" else "")
            row["type"] = f"list of {row['type']}" if row["list"] else row["type"]
        emit(records_table(rows, ["name", "type", "values", "meaning", "source"] + (["derived"] if show_all else []),
                           title=f"Facts ({rs.id})", markdown=fmt == "markdown"), output)


@main.group(cls=McofGroup)
def rules():
    """Inspect the rules: list, show, lint, coverage."""


@rules.command("list")
@ruleset_option()
@click.option("--sector", metavar="SLUG", help="Only rules concluding on this sector.")
@click.option("--interpretations", is_flag=True, help="Only rules that go beyond the literal text.")
@format_option()
@output_option
def rules_list(ruleset, sector, interpretations, fmt, output):
    """List the rules with their conclusion and citation."""
    from . import load_ruleset
    from .engine.render import records_table, to_json
    rs = load_ruleset(ruleset)
    selected = [r for r in rs.rules
                if (sector is None or r.conclusion.target == sector) and (not interpretations or r.interpretation)]
    if fmt == "json":
        emit(to_json([r.to_dict() for r in selected]), output)
        return
    rows = [{"id": r.id, "then": f"{r.conclusion.kind} {r.conclusion.target}"
             + (f" {r.conclusion.phase}" if r.conclusion.phase else "")
             + (f" {r.conclusion.level}" if r.conclusion.level else ""),
             "citation": str(r.citation), "interpretation": "yes" if r.interpretation else ""} for r in selected]
    emit(records_table(rows, ["id", "then", "citation", "interpretation"], title=f"{len(rows)} rules ({rs.id})",
                       markdown=fmt == "markdown"), output)


@rules.command("show")
@click.argument("rule_id")
@ruleset_option()
@format_option()
@output_option
def rules_show(rule_id, ruleset, fmt, output):
    """Show one rule: conditions, conclusion, citation, quote, interpretation."""
    from . import load_ruleset
    from .engine.render import records_table, to_json
    rs = load_ruleset(ruleset)
    data = rs.rule(rule_id).to_dict()
    if fmt == "json":
        emit(to_json(data), output)
        return
    rows = [{"field": k, "value": v if not isinstance(v, dict) else to_json(v).strip()}
            for k, v in data.items() if v is not None]
    emit(records_table(rows, ["field", "value"], title=f"Rule {rule_id}", markdown=fmt == "markdown"), output)


@rules.command("lint")
@ruleset_option()
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@format_option()
@output_option
def rules_lint(ruleset, strict, fmt, output):
    """Check a ruleset: rules that can never fire, contradictions, sectors no rule can
    recommend, facts no rule reads, quotes not in the source, rules without test cases.

    Exits non-zero when there are errors (or warnings, with --strict).
    """
    from .engine.lint import lint
    from .engine.render import records_table, to_json
    loaded, findings = lint(ruleset)
    errors = [f for f in findings if f.severity == "error" or strict]
    if fmt == "json":
        emit(to_json({"ruleset": loaded.summary() if loaded else None,
                      "findings": [f.to_dict() for f in findings]}), output)
    else:
        title = f"{len(findings)} findings ({loaded.id if loaded else ruleset}): {len(errors)} errors"
        rows = [f.to_dict() for f in findings]
        emit(records_table(rows, ["severity", "check", "message", "where"], title=title, markdown=fmt == "markdown")
             if rows else f"{loaded.id}: {len(loaded.rules)} rules, no findings\n", output)
    if errors:
        raise click.ClickException(f"{len(errors)} lint error(s) in ruleset {loaded.id if loaded else ruleset}")


@rules.command("test")
@ruleset_option()
@click.option("--coverage", "with_coverage", is_flag=True,
              help="Also report which rules and conditions the cases (and examples/) exercise.")
@click.option("--failures", "only_failures", is_flag=True, help="Show only the cases that fail.")
@format_option(["table", "json"])
@output_option
def rules_test(ruleset, with_coverage, only_failures, fmt, output):
    """Run the ruleset's own test cases (rules/*.test.yaml): each profile under `fires` must
    fire its rule, each under `does_not_fire` must not.

    Prints pass/fail per case with file:line; exits non-zero when a case fails or a rule lacks
    a case of either kind. Works on any ruleset directory (--ruleset PATH).
    """
    from . import load_ruleset
    from .engine.render import records_table, to_json
    from .engine.ruletests import run_tests
    rs = load_ruleset(ruleset)
    report = run_tests(rs)
    data = report.to_dict()
    if with_coverage:
        from .engine.coverage import coverage
        data["coverage"] = {k: v for k, v in coverage(rs, []).items() if k not in ("ruleset", "rules", "examples")}
    if fmt == "json":
        emit(to_json(data), output)
    else:
        shown = report.failed if only_failures else report.results
        rows = [{"result": "pass" if r.passed else "FAIL", "rule": r.case.rule, "kind": r.case.kind,
                 "where": r.case.where, "message": r.message} for r in shown]
        text = records_table(rows, ["result", "rule", "kind", "where", "message"],
                             title=f"{rs.id}: {data['passed']} passed, {data['failed']} failed") if rows else ""
        text += "".join(f"UNTESTED {u['rule']} ({u['where']}): no {' and no '.join(u['missing'])} case\n"
                        for u in report.untested)
        if with_coverage:
            c = data["coverage"]
            text += (f"coverage: rules fired {c['rules_fired']}/{c['rules_total']}; conditions seen both holding "
                     f"and failing {c['conditions_both_outcomes']}/{c['conditions_total']}\n")
        text += f"{data['passed']} passed, {data['failed']} failed, {len(report.untested)} rules untested\n"
        emit(text, output)
    if not report.ok:
        raise click.ClickException(f"{data['failed']} case(s) failed, {len(report.untested)} rule(s) untested "
                                   f"in {rs.id}")


@rules.command("sentences")
@ruleset_option()
@click.option("--gaps", "only_gaps", is_flag=True,
              help="Only the sentences no rule encodes and readings.yaml does not explain.")
@click.option("--check", is_flag=True, help="Exit non-zero when any sentence is neither encoded nor explained.")
@format_option()
@output_option
def rules_sentences(ruleset, only_gaps, check, fmt, output):
    """Every sentence of the paragraphs the ruleset reads, and the rules that encode it.

    A rule encodes a sentence when its quote overlaps it; a sentence no rule encodes carries
    the reason given in the ruleset's readings.yaml. The markdown form is docs/sentences-*.md.
    """
    from . import load_ruleset
    from .engine.render import records_table, to_json
    from .engine.sentences import gaps, sentence_table, sentences_markdown
    rs = load_ruleset(ruleset)
    table = sentence_table(rs)
    missing = gaps(table)
    shown = missing if only_gaps else table
    if fmt == "json":
        emit(to_json({"ruleset": rs.summary(), "sentences": [s.to_dict() for s in shown],
                      "gaps": len(missing)}), output)
    elif fmt == "markdown" and not only_gaps:
        emit(sentences_markdown(rs, table), output)
    else:
        rows = [{"citation": str(s.citation), "sentence": s.text,
                 "rules": [r.id for r in s.rules] or f"not encoded: {s.reason or 'NO REASON GIVEN'}"}
                for s in shown]
        emit(records_table(rows, ["citation", "sentence", "rules"],
                           title=f"{len(shown)} sentences ({rs.id}); {len(missing)} neither encoded nor explained",
                           markdown=fmt == "markdown"), output)
    if check and missing:
        raise click.ClickException(f"{len(missing)} sentence(s) neither encoded by a rule nor explained in "
                                   f"readings.yaml (see `mcof rules sentences --gaps`)")


@rules.command("coverage")
@ruleset_option()
@click.option("--examples", "examples_dir", type=click.Path(file_okay=False), default="examples", show_default=True,
              help="Directory of example profiles to run besides the rules' test cases.")
@format_option()
@output_option
def rules_coverage(ruleset, examples_dir, fmt, output):
    """Which rules and conditions the examples and test cases exercise, and which never."""
    from . import load_ruleset
    from .engine.coverage import coverage
    from .engine.render import records_table, to_json
    rs = load_ruleset(ruleset)
    examples = sorted(Path(examples_dir).glob("*.yaml")) + sorted(Path(examples_dir).glob("*.json"))
    report = coverage(rs, examples)
    if fmt == "json":
        emit(to_json(report), output)
        return
    summary = (f"{report['profiles']} profiles ({len(examples)} examples + rule test cases)\n"
               f"rules fired: {report['rules_fired']}/{report['rules_total']}"
               f"{' (never: ' + ', '.join(report['never_fired']) + ')' if report['never_fired'] else ''}\n"
               f"conditions seen both holding and failing: "
               f"{report['conditions_both_outcomes']}/{report['conditions_total']}\n")
    rows = report["conditions_missing_an_outcome"]
    emit(summary + (records_table(rows, ["rule", "condition", "held", "failed", "unknown"],
                                  title="Conditions missing an outcome", markdown=fmt == "markdown") if rows else ""),
         output)


@main.command()
@click.argument("profile_a", type=click.Path(dir_okay=False))
@click.argument("profile_b", required=False, type=click.Path(dir_okay=False))
@set_option
@ruleset_option()
@format_option(FORMATS + ["html"])
@output_option
def diff(profile_a, profile_b, assignments, ruleset, fmt, output):
    """What changes from PROFILE_A to PROFILE_B (or to PROFILE_A with --set overrides).

    Sectors added, removed or changed in level, each with the facts that changed and the
    rules that caused it.
    """
    from . import build_profile, load_ruleset, read_profile_file
    from .engine.whatif import diff as run_diff
    if not profile_b and not assignments:
        raise click.UsageError("give PROFILE_B, or --set overrides to apply to PROFILE_A")
    data_a = read_profile_file(profile_a)
    data_b = read_profile_file(profile_b) if profile_b else data_a
    rs = load_ruleset(ruleset)
    a = build_profile(rs, data_a, origin=profile_a)
    b = build_profile(rs, data_b, list(assignments), origin=profile_b or "--set")
    from .engine.output import render
    from .engine.provenance import profile_inputs, with_provenance
    inputs = profile_inputs(profile_a, []) + (profile_inputs(profile_b, assignments) if profile_b
                                              else profile_inputs(None, assignments))
    emit(render(with_provenance(run_diff(rs, a, b), rs, inputs), fmt, ruleset=rs), output)


@main.command()
@click.argument("profile", required=False, type=click.Path(dir_okay=False))
@click.option("--vary", "varies", multiple=True, required=True, metavar="FACT=V1,V2,...",
              help="A fact and the values to try; several --vary make a grid. For list facts, a+b is one value.")
@set_option
@ruleset_option()
@click.option("--changing-only", is_flag=True, help="Show only the sectors whose level changes.")
@click.option("--mapping", "-m", "mapping_name", metavar="NAME|PATH",
              help="Sweep a batch mapping's thresholds instead of facts (with --data and --country).")
@click.option("--data", "data_files", multiple=True, type=click.Path(dir_okay=False),
              help="With --mapping: an input table (repeatable, as for `mcof batch`).")
@click.option("--country", "countries", multiple=True, metavar="COUNTRY",
              help="With --mapping: a country to follow (ISO3, ISO2 or name).")
@format_option()
@output_option
def sweep(profile, varies, assignments, ruleset, changing_only, mapping_name, data_files, countries, fmt, output):
    """How each sector's level changes as facts of PROFILE vary over values; or, with
    --mapping, at which threshold values a country's recommendations flip.

    \b
    Examples:
      mcof sweep examples/libya-2011.yaml --vary international_migrants_caught=true,false --vary phase=before,during
      mcof sweep --mapping inform --data inform.csv --data migrant_stock.csv --country SDN --vary drought=5,6,7,8
    """
    if mapping_name:
        if profile or assignments:
            raise click.UsageError("--mapping sweeps thresholds of country tables: give --data and --country, "
                                   "not a PROFILE or --set")
        if not data_files or not countries:
            raise click.UsageError("--mapping needs --data (the tables) and --country (ISO3 codes)")
        from .engine.batch.countries import country_argument
        from .engine.batch.sweep import parse_threshold_vary, threshold_sweep
        from .engine.provenance import file_input, with_provenance
        iso3 = [country_argument(c, "--country") for c in countries]
        result = threshold_sweep(data_files, mapping_name, ruleset, iso3, [parse_threshold_vary(text) for text in varies])
        from . import load_ruleset
        result = with_provenance(result, load_ruleset(ruleset), [file_input(path) for path in data_files],
                                 {"mapping": result["mapping"], "countries": iso3, "vary": list(varies)})
        if changing_only:
            for country in result["countries"]:
                country["rows"] = [r for r in country["rows"] if r["varies"]]
        from .engine.render import threshold_sweep_text, to_json
        emit(to_json(result) if fmt == "json" else threshold_sweep_text(result, markdown=fmt == "markdown"), output)
        return
    from .engine.whatif import parse_vary, sweep as run_sweep
    rs, base = load_profile(ruleset, profile, assignments) if (profile or assignments) else (None, None)
    if rs is None:
        from . import load_ruleset
        rs, base = load_ruleset(ruleset), {}
    variations = [parse_vary(rs, text) for text in varies]
    for name, _ in variations:
        base.pop(name, None)
    if not {"crisis_type", "phase"} <= set(base) | {name for name, _ in variations}:
        raise click.UsageError("crisis_type and phase must be in the profile, --set or --vary")
    from .engine.provenance import profile_inputs, with_provenance
    result = with_provenance(run_sweep(rs, base, variations), rs, profile_inputs(profile, assignments),
                             {"vary": list(varies)})
    if changing_only:
        result["rows"] = [r for r in result["rows"] if r["varies"]]
    from .engine.render import sweep_text, to_json
    emit(to_json(result) if fmt == "json" else sweep_text(result, sector_names(rs), markdown=fmt == "markdown"),
         output)


@main.command()
@click.option("--ruleset", "-r", default="2021", show_default=True, metavar="2021|PATH",
              help="A ruleset that inherits another through a crosswalk.")
@format_option()
@output_option
def crosswalk(ruleset, fmt, output):
    """The crosswalk from the 2012 sectors to the 2021 sectors, each link cited and reasoned."""
    from . import load_ruleset
    from .engine.errors import RulesetError
    from .engine.render import records_table, to_json
    rs = load_ruleset(ruleset)
    if not rs.crosswalk:
        raise RulesetError(f"ruleset {rs.id} has no crosswalk", where=str(rs.directory),
                           hint="the 2021 ruleset carries the 2012 -> 2021 crosswalk")
    links = [link.to_dict() for link in rs.crosswalk]
    if fmt == "json":
        emit(to_json(links), output)
        return
    rows = [dict(link, to=", ".join(f"{k}: {v}" for t in link["to"] for k, v in t.items()) or "(none)",
                 interpretation="yes" if link["interpretation"] else "") for link in links]
    emit(records_table(rows, ["from", "to", "relation", "citation", "interpretation"],
                       title=f"Crosswalk {rs.parent.id} -> {rs.id}", markdown=fmt == "markdown"), output)


@main.command()
@click.argument("profile", required=False, type=click.Path(dir_okay=False))
@set_option
@click.option("--ruleset", "-r", default="2021", show_default=True, metavar="2021|PATH",
              help="The newer ruleset; it is compared with the ruleset it inherits.")
@format_option(FORMATS + ["html"])
@output_option
def compare(profile, assignments, ruleset, fmt, output):
    """The same PROFILE under the 2012 framework and the 2021 Addendum, side by side.

    Each row says how a 2012 recommendation maps onto 2021 (renamed, merged, split,
    absorbed, moved out of the sectors, changed level) or what is new in 2021, with the
    rules and crosswalk links behind it.
    """
    from .engine.compare import compare as run_compare
    rs, facts = load_profile(ruleset, profile, assignments)
    if rs.parent is None:
        from .engine.errors import RulesetError
        raise RulesetError(f"ruleset {rs.id} inherits no older ruleset", where="--ruleset", hint="use --ruleset 2021")
    from .engine.output import render
    from .engine.provenance import profile_inputs, with_provenance
    result = with_provenance(run_compare(rs.parent, rs, facts), rs, profile_inputs(profile, assignments),
                             {"compared_with": {"id": rs.parent.id, "sha256": rs.parent.sha256}})
    emit(render(result, fmt, ruleset=rs), output)


def parse_overrides(pairs) -> dict:
    overrides = {}
    for text in pairs:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise click.UsageError(f"--threshold expects NAME=VALUE, got '{text}'")
        try:
            overrides[name.strip()] = float(value)
        except ValueError:
            overrides[name.strip()] = value.strip()
    return overrides


def progress_reporter():
    """A progress bar on stderr when it is a terminal; silent otherwise (logs, pipes, CI)."""
    if not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import Progress
    bar = Progress(console=Console(stderr=True), transient=True)
    tasks = {}

    def report(step: str, done: int, total: int):
        if step not in tasks:
            tasks[step] = bar.add_task(step, total=total)
        bar.update(tasks[step], completed=done, total=total)
    return bar, report


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--mapping", "-m", "mapping_name", default="inform", show_default=True, metavar="NAME|PATH",
              help="How indicators become profile facts: a built-in mapping (inform) or a YAML file.")
@ruleset_option()
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False),
              help="out.csv (+ out.summary.csv, out.errors.csv, out.errors_summary.csv, out.provenance.json), "
                   "out.xlsx, out.json, "
                   "or report.html (the batch report: map, heat table, counts, errors).")
@click.option("--report", "report_path", default=None, type=click.Path(dir_okay=False),
              help="Also write the batch report (HTML) beside a CSV, XLSX or JSON --output.")
@click.option("--threshold", "-t", "thresholds", multiple=True, metavar="NAME=VALUE",
              help="Override a threshold or parameter of the mapping, e.g. -t drought=6 -t phase=before,during.")
@click.option("--encoding", default=None, help="Encoding of CSV inputs (default: detected).")
@click.option("--explain", "explain_iso3", multiple=True, metavar="COUNTRY",
              help="Also print this country's explanation, from its indicator values to its sectors "
                   "(ISO3, ISO2 or name; with --id-column, the unit's id).")
@click.option("--hxl", is_flag=True,
              help="Add a row of HXL hashtags (#country+code, ...) under each CSV header, for HDX (docs/batch.md).")
@click.option("--id-column", default=None, metavar="COLUMN",
              help="Key the rows by this column (header or HXL tag) instead of ISO3 codes: units that are not "
                   "countries (admin codes, P-codes, any unique key), taken as written; every input needs it.")
@click.option("--name-column", default=None, metavar="COLUMN",
              help="The column naming each row's unit (optional with --id-column), instead of the mapping's.")
def batch(inputs, mapping_name, ruleset, output, report_path, thresholds, encoding, explain_iso3, hxl,
          id_column, name_column):
    """Assess every country (or other unit) of one or more indicator tables (CSV, Excel, HXL-tagged CSV).

    Several INPUTS are joined on the ISO3 code, or on the --id-column. Bad rows are reported
    with file, row, column, value and reason (in the errors table) while every good row is
    processed; the exit status is 1 when any row failed.

    \b
    Example (INFORM 2020 and UN DESA migrant stock, see docs/batch.md):
      mcof batch inform_risk_2020_v040.csv migrant_stock_share_undesa2024.csv --mapping inform --ruleset 2012 --output out.csv
      mcof batch admin1.csv --id-column admin1Pcode --name-column admin1Name --output out.csv
    """
    from .engine.batch.countries import country_argument
    from .engine.batch.pipeline import run_batch
    if not id_column:  # checked before the batch runs; an id is taken as written
        explain_iso3 = [country_argument(c, "--explain") for c in explain_iso3]
    if hxl and Path(output).suffix.lower() != ".csv":
        raise click.UsageError("--hxl adds a hashtag row to CSV outputs: give --output FILE.csv")
    if Path(output).suffix.lower() in (".html", ".htm"):
        output, report_path = None, output
    bar, report_progress = progress_reporter()
    with bar or contextlib.nullcontext():
        report = run_batch(inputs, mapping_name, ruleset, output, overrides=parse_overrides(thresholds),
                           encoding=encoding, progress=report_progress, hxl=hxl, id_column=id_column,
                           name_column=name_column, keep_profiles=bool(report_path or explain_iso3))
    if report_path:
        from .engine.outputfile import write_file
        from .engine.report.batch_html import render_batch_report
        report.written.append(write_file(report_path, render_batch_report(report)))
    from .engine.render import batch_summary, country_explanation
    click.echo(batch_summary(report))
    for iso3 in explain_iso3:
        click.echo(country_explanation(report, iso3))
    for path in report.written:
        click.echo(f"wrote {path}", err=True)
    if report.failed_rows:
        raise click.ClickException(f"{len(report.failed_rows)} row(s) could not be used; every good row was "
                                   f"processed; see the errors table ({report.written[-1] if report.written else output})")



@main.command("batch-diff")
@click.argument("outputs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@format_option(FORMATS + ["csv", "html"])
@output_option
@click.option("--sector", "sectors", multiple=True, metavar="SECTOR",
              help="Only this sector (slug, number or name; a 2012 slug is read through the crosswalk when "
                   "2021 outputs are compared). Repeatable.")
@click.option("--country", "countries", multiple=True, metavar="COUNTRY",
              help="Only this unit: a country (ISO3, ISO2 or name), or the unit's id when the batches are "
                   "not keyed by ISO3. Repeatable.")
def batch_diff(outputs, fmt, output, sectors, countries):
    """What changed between two or more `mcof batch` outputs (OUTPUTS: each a .json, or the
    long .csv with its .summary.csv and .provenance.json beside it), in the order given.

    Per unit, sector and phase: added, removed, level_raised, level_lowered or
    justification_changed, with the rules that fire in one output and not the other, the
    facts they read that differ, the evidence lines behind them (indicator values and
    thresholds) and the thresholds the runs set differently. 2012 and 2021 outputs are
    compared in the 2021 sectors, through the crosswalk. Three or more outputs add a trend
    table (and small multiples in HTML). CSV needs --output (a change table, a trend table
    and the provenance). Exits 2 on an input it cannot compare, as diff(1) does.

    \b
    Example:
      mcof batch-diff out2012.json out2021.json --format html --output changes.html
    """
    from .engine.errors import McofError
    try:
        _batch_diff(outputs, fmt, output, sectors, countries)
    except McofError as error:
        failure = click.ClickException(str(error))
        failure.exit_code = 2
        raise failure from None


def _batch_diff(paths, fmt, output, sector_texts, country_texts):
    from .engine.batch.batchdiff import compare_outputs, read_batch_output, sector_space, write_csv
    from .engine.batch.countries import country_argument
    from .engine.errors import ProfileError, did_you_mean
    from .engine.names import resolve_sector
    from .engine.provenance import file_input, with_provenance
    if len(paths) < 2:
        raise click.UsageError("give two or more batch outputs to compare")
    if fmt == "csv" and output is None:
        raise click.UsageError("--format csv writes several files: give --output FILE.csv")
    outputs = [read_batch_output(path) for path in paths]
    space = sector_space(outputs)
    sectors = []
    for text in sector_texts:
        slug, note = resolve_sector(space, text)
        if note:
            click.echo(f"note: {note}", err=True)
        sectors.append(slug)
    units = []
    known = {unit for o in outputs for unit in o.names}
    for text in country_texts:
        unit = country_argument(text, "--country") if outputs[0].unit_column == "iso3" else text.strip()
        if unit not in known:
            raise ProfileError(f"{unit} is in none of the outputs", where="--country",
                               hint=did_you_mean(unit, known) or f"the outputs are keyed by {outputs[0].unit_column}")
        units.append(unit)
    result = with_provenance(compare_outputs(outputs, sectors=sectors, units=units), space,
                             [file_input(f) for o in outputs for f in o.files],
                             {"outputs": [o.provenance for o in outputs], "compared_in": space.summary(),
                              "sectors": sectors, "units": units})
    if fmt == "csv":
        for path in write_csv(result, output):
            click.echo(f"wrote {path}", err=True)
        return
    if fmt == "json":
        from .engine.render import to_json
        text = to_json(result.to_dict())
    elif fmt == "html":
        from .engine.report.batchdiff_html import render_batch_diff_report
        text = render_batch_diff_report(result)
    else:
        from .engine.render import batch_diff_text
        text = batch_diff_text(result, markdown=fmt == "markdown")
    emit(text, output)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback exposes the server to the network: "
                   "give it a --token.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--records", "records_target", metavar="PATH|URL", default=None,
              help="The decision records store: a SQLite file or an SQLAlchemy URL "
                   "(default: the records library's own default store).")
@click.option("--token", envvar="MCOF_SERVE_TOKEN", default=None, metavar="TEXT",
              help="Require this token of every request (Authorization: Bearer TEXT, or the login page's "
                   "cookie). Also MCOF_SERVE_TOKEN, which keeps it out of the process list.")
@click.option("--max-upload-mb", default=20, show_default=True, type=click.IntRange(1, 512),
              help="The batch page's upload limit, all files together.")
@click.option("--engine-processes", default=0, show_default=True, type=click.IntRange(0, 64), metavar="N",
              help="Compute the JSON API's answers in N engine processes of their own (each loads the rulesets "
                   "once, about 40 MB), so several are computed at once; 0: in the server's process. "
                   "The number of cores gives the most throughput (docs/serve.md).")
def serve(host, port, records_target, token, max_upload_mb, engine_processes):
    """Serve the web pages and the JSON API (docs/serve.md): the assess page (a form from the fact
    catalogue, the grid, the wheel, why and why not, pin and diff), the diagrams, batch
    uploads, decision records, and /api/assess, /api/explain, /api/diff.

    Needs the serve extra: pip install 'mcof[serve]'.
    """
    import importlib.util
    missing = [name for name in ("starlette", "uvicorn", "python_multipart") if importlib.util.find_spec(name) is None]
    if missing:
        error = click.ClickException(f"mcof serve needs the web packages ({', '.join(missing)} missing): "
                                     "pip install 'mcof[serve]'")
        error.exit_code = 2
        raise error
    import uvicorn
    from .web.app import LOOPBACK, Settings, create_app
    if host not in LOOPBACK and not token:
        click.echo(f"warning: listening on {host} without --token: anyone who can reach this address can use "
                   "the server (and save records); give --token or MCOF_SERVE_TOKEN", err=True)
    app = create_app(Settings(host=host, token=token, records=records_target,
                              max_upload_bytes=max_upload_mb * 1024 * 1024, engine_processes=engine_processes))
    uvicorn.run(app, host=host, port=port, server_header=False, log_level="info")


if __name__ == "__main__":
    main()
