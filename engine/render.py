"""Human-readable renderings (terminal table, Markdown) of mcof results.

Plain functions returning text; the CLI only chooses one. rich is imported lazily so that
JSON output and start-up stay fast.
"""
from __future__ import annotations

import io
import json
import re
from typing import Any as AnyValue, Iterable

from .results import (Assessment, Compare, ConditionStatus, Diff, Explanation, Justification, Linkage)


LEVEL_MARK = {"critical": "●●●", "important": "●● ", "recommended": "●  "}
LEVEL_STYLE = {"critical": "bold white on red", "important": "bold black on yellow",
               "recommended": "black on bright_cyan"}
STATUS_MARK = {"held": "✔ held", "failed": "✘ failed", "unknown": "? unknown"}


def to_json(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def fmt_value(value: AnyValue) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _console(width: int | None, color: bool):
    from rich.console import Console
    buffer = io.StringIO()
    if width is None:
        import shutil
        width = shutil.get_terminal_size((120, 24)).columns if color else 120
    # markup off: sector names, profile values and country names come from files anyone can
    # edit, and "[/bold]" in one would be read as markup (or fail as a closing tag)
    console = Console(file=buffer, width=width, force_terminal=color, color_system="standard" if color else None,
                      highlight=False, soft_wrap=False, markup=False)
    return console, buffer


def _level_text(level: str, color: bool):
    from rich.text import Text
    label = f"{LEVEL_MARK.get(level, '')} {level}"
    return Text(label, style=LEVEL_STYLE.get(level, "") if color else "")


def _footer(result: Assessment | Explanation) -> str:
    """What produced the result: the provenance when the CLI recorded it, else ruleset and tool."""
    if result.provenance is not None:
        from .provenance import footer_text
        return footer_text(result.provenance)
    rs = result.ruleset
    return f"ruleset {rs['id']} sha256:{rs['sha256']} · mcof {result.tool['version']}"


_MD_SPECIAL = re.compile(r"([\\|*_`\[\]])")


def md(text: AnyValue) -> str:
    """Text as Markdown shows it literally: no table-breaking '|', no raw HTML, no emphasis,
    on one line (sector names, quotes and profile values come from files anyone can edit)."""
    text = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", text).replace("<", "&lt;").replace(">", "&gt;")


def _rules(entry) -> str:
    return "\n".join(j.rule for j in entry.justifications)


def assessment_table(result: Assessment, sectors: dict[str, str], *, color: bool = False,
                     width: int | None = None) -> str:
    from rich.markup import escape
    from rich.table import Table
    console, buffer = _console(width, color)
    profile = ", ".join(f"{k}={fmt_value(v)}" for k, v in result.profile.items())
    console.print(f"[bold]Profile[/bold]: {escape(profile)}", markup=True)
    # A summary that fits a terminal: quotes and citations are in markdown, html, json and explain.
    table = Table(title="Sectors of assistance", show_lines=False)
    table.add_column("Phase", no_wrap=True)
    table.add_column("Level", no_wrap=True)
    table.add_column("Sector", overflow="fold")
    table.add_column("Rules", no_wrap=True)  # one rule id per line, never broken
    table.add_column("Links to", overflow="fold")
    previous = None
    for rec in result.recommendations:
        phase = rec.phase if rec.phase != previous else ""
        previous = rec.phase
        table.add_row(phase, _level_text(rec.level, color), sectors.get(rec.sector, rec.sector),
                      _rules(rec), ", ".join(link.short for link in rec.linkages))
    if result.recommendations:
        console.print(table)
    else:
        console.print("No sector is recommended for this profile.")
    if result.modalities:
        extra = Table(title="Operating modalities")
        for column in ("Phase", "Level", "Modality", "Rules"):
            extra.add_column(column, overflow="fold")
        for item in result.modalities:
            extra.add_row(item.phase, _level_text(item.level, color), item.modality,
                          ", ".join(j.rule for j in item.justifications))
        console.print(extra)
    if result.coordination:
        coordination = Table(title="Coordination partners")
        for column in ("Phase", "Partner", "Rules", "Citations"):
            coordination.add_column(column, overflow="fold")
        for item in result.coordination:
            coordination.add_row(item.phase, item.partner_name, _rules(item),
                                 "\n".join(dict.fromkeys(j.citation for j in item.justifications)))
        console.print(coordination)
    if result.cross_cutting:
        console.print("Cross-cutting issues: " + ", ".join(i.name for i in result.cross_cutting))
    if result.derived_facts:
        console.print("Derived facts: " + ", ".join(
            f"{d.fact} (by {', '.join(j.rule for j in d.justifications)})" for d in result.derived_facts))
    hints = _would_change(result)
    if result.unknown_facts:
        console.print("Unknown facts (not in the profile): " + ", ".join(result.unknown_facts))
    for line in hints:
        console.print("  " + line)
    console.print(f"[dim]{escape(_footer(result))}[/dim]", markup=True, soft_wrap=True)  # one line, to copy whole
    console.print("Quotes and citations: --format markdown|html|json; why a sector is or is not recommended: "
                  "mcof explain PROFILE --sector SLUG")
    return buffer.getvalue()


def _would_change(result: Assessment) -> list[str]:
    by_fact: dict[tuple[str, str], list[str]] = {}
    for absent in result.not_recommended or ():
        for change in absent.would_change_if:
            key = (change.fact, fmt_value(change.value))
            by_fact.setdefault(key, []).append(f"{absent.sector} ({absent.phase}, {change.level})")
    return [f"if {fact}={value}: would add {', '.join(items)}" for (fact, value), items in sorted(by_fact.items())]


def assessment_markdown(result: Assessment, sectors: dict[str, str]) -> str:
    out = [f"# MCOF assessment ({result.ruleset['id']})", "", "## Profile", "",
           "| fact | value |", "| --- | --- |"]
    out += [f"| {md(k)} | {md(fmt_value(v))} |" for k, v in result.profile.items()]
    out += [f"| {md(k)} | *unknown* |" for k in result.unknown_facts]
    out += ["", "## Recommendations", "", "| phase | level | sector | rules |", "| --- | --- | --- | --- |"]
    for rec in result.recommendations:
        out.append(f"| {rec.phase} | **{rec.level}** | {md(sectors.get(rec.sector, rec.sector))} | "
                   + ", ".join(f"`{j.rule}`" for j in rec.justifications) + " |")
    out += ["", "## Justifications", ""]
    for rec in result.recommendations:
        out.append(f"### {md(sectors.get(rec.sector, rec.sector))}: {rec.phase}, {rec.level}")
        out.append("")
        out += _justifications_md(rec.justifications)
        out += _linkages_md(rec.linkages)
    sections = (
        (result.modalities, "Operating modalities", lambda i: f"{md(i.modality)}: {i.phase}, {i.level}"),
        (result.coordination, "Coordination partners", lambda i: f"{md(i.partner_name)} ({i.phase})"),
        (result.cross_cutting, "Cross-cutting issues", lambda i: md(i.name)),
        (result.derived_facts, "Derived facts", lambda i: f"{md(i.fact)} = {md(fmt_value(i.value))}"),
    )
    for items, title, heading in sections:
        if items:
            out += [f"## {title}", ""]
            for item in items:
                out += [f"### {heading(item)}", ""] + _justifications_md(item.justifications)
    hints = _would_change(result)
    if hints:
        out += ["## What unknown facts would change", ""] + [f"- {h}" for h in hints] + [""]
    out += ["---", f"*{_footer(result)}*", ""]
    return "\n".join(out)


def _justifications_md(justifications: Iterable[Justification]) -> list[str]:
    lines = []
    for j in justifications:
        level = f" ({j.level})" if j.level else ""
        lines.append(f"- `{j.rule}`{level}, {md(j.citation)}")
        lines.append(f"  > {md(j.quote)}")
        if j.facts:
            lines.append("  - facts: " + ", ".join(f"{md(k)}={md(fmt_value(v))}" for k, v in j.facts.items()))
        if j.origin and j.origin.get("crosswalk"):  # origin: a 2012 rule, and for a carried recommendation its link
            link = j.origin["crosswalk"]
            lines.append(f"  - carried from {j.origin['ruleset']} rule `{j.origin['rule']}` "
                         f"({j.origin['sector']}) by crosswalk `{link['id']}` ({link['relation']}, {link['citation']})")
        if j.interpretation:
            lines.append(f"  - interpretation: {md(j.interpretation)}")
    lines.append("")
    return lines


def _linkages_md(linkages: Iterable[Linkage]) -> list[str]:
    lines = [f"- links to **{md(link.name)}** ({link.kind}), {md(link.citation)}"
             + (f": > {md(link.quote)}" if link.quote else "")
             + (f" *interpretation: {md(link.interpretation)}*" if link.interpretation else "")
             for link in linkages]
    return lines + [""] if lines else []


def by_linkage_text(groups: list[dict], result: Assessment, sectors: dict[str, str], *, markdown: bool = False,
                    width: int | None = None) -> str:
    """``mcof assess --by-linkage``: whom to coordinate with, and for which sectors (``groups``:
    what `linkages.by_linkage` returns)."""
    rows = [{"linked to": f"{g['name']} ({g['kind']})" if not i else "",
             "sector": sectors.get(r["sector"], r["sector"]), "phase": r["phase"], "level": r["level"],
             "stated by": r["citation"] + ("" if r["quote"] else " (interpretation)")}
            for g in groups for i, r in enumerate(g["recommendations"])]
    title = "Recommended sectors by linked system, cluster and group"
    if not rows:
        return f"{title}: none (no sector is recommended).\n"
    table = records_table(rows, ["linked to", "sector", "phase", "level", "stated by"], title=title,
                          markdown=markdown, width=width)
    return table + ("\n" if markdown else "") + (f"*{_footer(result)}*\n" if markdown else _footer(result) + "\n")


def explain_text(result: Explanation, *, markdown: bool = False) -> str:
    target = result.target
    h = "## " if markdown else ""
    out = [f"{'# ' if markdown else ''}Why {target['name']} ({target['slug']})", ""]
    for phase in result.phases:
        status = f"{phase.level}" if phase.recommended else "not recommended"
        scope = "" if phase.in_profile else " (phase not in the profile)"
        out.append(f"{h}{phase.phase}: {status}{scope}")
        out.append("")
        for j in phase.justifications:
            out.append(f"  ✔ {j.rule} ({j.level}, {j.citation}) fired on "
                       + ", ".join(f"{k}={fmt_value(v)}" for k, v in j.facts.items()))
        for rule in phase.rules:
            if rule.status == "held":
                continue
            out.append(f"  ✘ {rule.rule} ({rule.level}, {rule.citation}): {rule.status}")
            out.append(f"      \"{rule.quote}\"")
            out += _condition_lines(rule.conditions, "      ")
        for change in phase.would_change_if:
            out.append(f"  → if {change.fact} were {fmt_value(change.value)}: {change.level}")
        out.append("")
    if result.derived_facts:
        out.append(f"{h}Chains behind derived facts")
        for d in result.derived_facts:
            for j in d.justifications:
                out.append(f"  {d.fact} ← {j.rule} ({j.citation}) on "
                           + ", ".join(f"{k}={fmt_value(v)}" for k, v in j.facts.items()))
        out.append("")
    if result.unknown_facts:
        out.append("Unknown facts: " + ", ".join(result.unknown_facts))
    out.append(_footer(result))
    return "\n".join(out) + "\n"


def _condition_lines(conditions: Iterable[ConditionStatus], indent: str) -> list[str]:
    lines = []
    for leaf in conditions:
        value = f" (is {fmt_value(leaf.value)})" if leaf.known else ""
        derived = " [derived]" if leaf.derived else ""
        lines.append(f"{indent}{STATUS_MARK[leaf.status]:<10} {leaf.condition}{value}{derived}")
        for producer in leaf.derived_by or ():
            lines.append(f"{indent}    derived by {producer.rule} ({producer.citation}): {producer.status}")
            lines += _condition_lines(producer.conditions, indent + "      ")
    return lines


def _md_cell(text: str) -> str:
    """A table cell: '|' escaped and raw HTML shown as text; line breaks the caller wrote as
    <br> (diagram cells) stay breaks."""
    parts = str(text).split("<br>")
    return "<br>".join(" ".join(p.split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
                       for p in parts)


def records_table(rows: list[dict], columns: list[str], *, title: str | None = None, markdown: bool = False,
                  width: int | None = None) -> str:
    """A list of flat records as a terminal or Markdown table."""
    if markdown:
        lines = ([f"## {title}", ""] if title else []) + ["| " + " | ".join(columns) + " |",
                                                        "| " + " | ".join("---" for _ in columns) + " |"]
        for row in rows:
            lines.append("| " + " | ".join(_md_cell(fmt_value(row.get(c, ""))) for c in columns) + " |")
        return "\n".join(lines) + "\n"
    from rich.table import Table
    console, buffer = _console(width, False)
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(fmt_value(row.get(c, "")) for c in columns))
    console.print(table)
    return buffer.getvalue()


def _provenance_footer(record: dict | None, rulesets: list[dict], markdown: bool, extra: str = "") -> str:
    """What produced a text or markdown output: its provenance, and the hash of every ruleset
    it read (compare reads two)."""
    from .provenance import footer_text
    lines = [f"ruleset {rs['id']} sha256:{rs['sha256']}" for rs in rulesets
             if record is None or rs["id"] != record["ruleset"]["id"]]
    if record is not None:
        lines.append(footer_text(record))
    lines[-1] += extra
    if markdown:
        return "\n---\n" + "\n".join(f"*{md(line)}*  " for line in lines)
    return "\n".join(lines)


# a change's mark in text (engine.whatif.CHANGE_KINDS, and batch-diff's moved_out)
CHANGE_SYMBOLS = {"added": "+", "removed": "-", "level_raised": "↑", "level_lowered": "↓", "justification_changed": "~",
                  "moved_out": "→"}


def _pairs(changed: dict) -> str:
    return ", ".join(f"{k} {fmt_value(a)} → {fmt_value(b)}" for k, (a, b) in changed.items())


def _change_lines(c, sector_name: str, indent: str) -> list[str]:
    """One sector change (`mcof diff`'s SectorChange or batch-diff's UnitChange) and its rules and facts."""
    levels = f"{c.from_level or '—'} → {c.to_level or '—'}"
    out = [f"{indent}{CHANGE_SYMBOLS[c.change]} {sector_name} ({c.phase}): {c.change}, {levels}"]
    if c.rules_gained:
        out.append(f"{indent}    rules now firing: {', '.join(c.rules_gained)}")
    if c.rules_lost:
        out.append(f"{indent}    rules no longer firing: {', '.join(c.rules_lost)}")
    if c.facts_changed:
        out.append(f"{indent}    because: " + _pairs(c.facts_changed))
    return out


def diff_text(result: Diff, sectors: dict[str, str], *, markdown: bool = False) -> str:
    out = []
    facts = result.facts_changed
    out.append(("## " if markdown else "") + "Facts changed")
    out += [f"- {k}: {fmt_value(a)} → {fmt_value(b)}" for k, (a, b) in facts.items()] or ["- none"]
    out.append("")
    out.append(("## " if markdown else "") + "Sectors changed")
    if not result.changes:
        out.append("- none: both profiles give the same recommendations")
    for c in result.changes:
        out += _change_lines(c, sectors.get(c.sector, c.sector), "")
    for c in result.coordination_changes:
        out.append(f"{'+' if c.change == 'added' else '-'} coordination with {c.partner} ({c.phase})")
    out.append("")
    out.append(_provenance_footer(result.provenance, [result.ruleset], markdown))
    return "\n".join(out) + "\n"


def compare_text(result: Compare, *, markdown: bool = False) -> str:
    """``mcof compare``: one row per 2012 recommendation and its 2021 counterpart, or what is new."""
    rows = [dict(r.to_dict(), level_2012=r.level_2012 or "—", level_2021=r.level_2021 or "—",
                 sector_2012=r.sector_2012 or "—", phase=r.phase or "all") for r in result.rows]
    footer = _provenance_footer(result.provenance, list(result.rulesets.values()), markdown)
    return records_table(rows, ["phase", "sector_2012", "level_2012", "target_2021", "level_2021", "kind",
                                "explanation"], title="2012 vs 2021", markdown=markdown) + footer + "\n"


def sweep_text(result: dict, sectors: dict[str, str], *, markdown: bool = False) -> str:
    labels = [", ".join(f"{k}={fmt_value(v)}" for k, v in combo.items()) for combo in result["combinations"]]
    headers = [f"#{i}" for i in range(1, len(labels) + 1)]
    legend = "".join(f"{h}: {label}\n" for h, label in zip(headers, labels)) + "\n"
    rows = []
    for row in result["rows"]:
        record = {"sector": sectors.get(row["sector"], row["sector"]), "phase": row["phase"],
                  "changes": "yes" if row["varies"] else ""}
        record.update({h: level or "—" for h, level in zip(headers, row["levels"])})
        rows.append(record)
    footer = "\n" + _provenance_footer(result.get("provenance"), [result["ruleset"]], markdown) + "\n"
    if not rows:
        return "No sector is recommended at any point of the sweep (or none changes, with --changing-only).\n" + footer
    return legend + records_table(rows, ["sector", "phase"] + headers + ["changes"],
                                  title="Levels across the sweep", markdown=markdown) + footer


def batch_summary(report) -> str:
    """Units (countries) per sector and level, what was left out and why, and the release
    of each input its columns show."""
    counts = report.counts()
    levels = report.ruleset.levels
    rows = []
    for sector in report.ruleset.sectors:
        row = {"sector": f"{sector.number}. {sector.name}"}
        row.update({level: counts.get((sector.slug, level), 0) or "" for level in levels})
        rows.append(row)
    reasons = report.not_assessed_reasons()
    assessed = report.unit_count - sum(reasons.values())
    severities: dict[str, int] = {}
    for row in report.error_rows:
        severities[row["severity"]] = severities.get(row["severity"], 0) + 1
    rows_set_aside = [f"{len(report.failed_rows)} failed"] + \
        [f"{count} {severity}" for severity, count in sorted(severities.items()) if severity != "error"]
    lines = [f"{report.unit_count} {report.units.plural}: {assessed} assessed"
             + "".join(f", {count} not assessed ({reason})" for reason, count in sorted(reasons.items()))
             + f"; input rows: {', '.join(rows_set_aside)} (see the errors table)"]
    lines += [f"{a['file']}: {a['rows']:,} rows = {a['used']:,} used + {a['failed']:,} failed + {a['skipped']:,} skipped"
              for a in report.row_accounts()]
    lines += [f"{f.path}: {f.vintage.title} (release recognised by its columns)" for f in report.files if f.vintage]
    table = records_table(rows, ["sector"] + levels,
                          title=f"{report.units.plural.capitalize()} per sector, at their highest level in any phase")
    footer = f"ruleset {report.ruleset.id} sha256:{report.ruleset.sha256}"
    return "\n".join(lines) + "\n" + table + footer


def country_explanation(report, iso3: str) -> str:
    for profile, assessment in zip(report.profiles, report.assessments):
        if profile.iso3 != iso3:
            continue
        out = [f"{profile.name} ({iso3})" if profile.name else iso3, "  from the indicators:"]
        out += [f"    {e.text}" for e in profile.evidence if e.kind != "context" and e.status != "false"]
        if profile.unknown:
            out.append("  unknown: " + ", ".join(profile.unknown))
        out.append("  to the sectors:")
        for rec in (assessment or {}).get("recommendations", []):
            rules = ", ".join(f"{j['rule']} ({j['citation']})" for j in rec["justifications"])
            out.append(f"    {rec['phase']:<7} {rec['level']:<12} {rec['sector']}  <- {rules}")
        if iso3 in report.not_assessed:
            out.append(f"    none: {report.not_assessed[iso3]}")
        return "\n".join(out) + "\n"
    from .errors import McofError
    countries = report.units.kind == "iso3"
    raise McofError(f"{report.units.noun} {iso3} is not in the batch", where="--explain",
                    hint="use the ISO3 code of a country in the inputs" if countries
                    else f"use the id of a unit in the inputs, e.g. {', '.join(p.iso3 for p in report.profiles[:3])}")


def threshold_sweep_text(result: dict, *, markdown: bool = False) -> str:
    labels = [", ".join(f"{k}={fmt_value(v)}" for k, v in combo.items()) for combo in result["combinations"]]
    headers = [f"#{i}" for i in range(1, len(labels) + 1)]
    out = [f"{h}: {label}" for h, label in zip(headers, labels)] + [""]
    for country in result["countries"]:
        rows = [dict({"sector": r["sector"], "phase": r["phase"]},
                     **{h: level or "—" for h, level in zip(headers, r["levels"])}) for r in country["rows"]]
        title = f"{country['name']} ({country['iso3']})"
        out.append(records_table(rows, ["sector", "phase"] + headers, title=title, markdown=markdown)
                   if rows else f"{title}: no sector recommended at any of these thresholds\n")
        for flip in country["flips"]:
            between = ", ".join(f"{k} {fmt_value(flip['from'][k])} → {fmt_value(flip['to'][k])}"
                                for k in flip["to"] if flip["from"][k] != flip["to"][k])
            out.append(f"  flip: {flip['sector']} ({flip['phase']}) {flip['level_from'] or '—'} → "
                       f"{flip['level_to'] or '—'} when {between}")
            for line in flip["evidence_changed"]:
                out.append(f"        {line}")
        out.append("")
    out.append(_provenance_footer(result.get("provenance"), [result["ruleset"]], markdown,
                                  extra=f" · mapping {result['mapping']}"))
    return "\n".join(out) + "\n"


def condition_label(fact: str, value: AnyValue) -> str:
    """'many_third_country_nationals' / 'not markets_functioning' / 'phase=during' (diagram notes)."""
    if value is True:
        return fact
    if value is False:
        return f"not {fact}"
    return f"{fact}={fmt_value(value)}"


def _diagram_cell(cell: dict) -> str:
    lines = [cell["level"]] if cell["level"] else []
    lines += [f"if {condition_label(o['fact'], o['value'])}: {o['level']}" for o in cell["conditional"]]
    return "\n".join(lines) or "—"


def diagrams_text(diagrams: dict, *, markdown: bool = False, width: int | None = None) -> str:
    """``mcof diagrams``: each scenario's sector x phase grid; "if ..." lines are what one more fact adds."""
    from .provenance import footer_line
    out = []
    for scenario in diagrams["scenarios"]:
        cells = {(c["sector"], c["phase"]): c for c in scenario["cells"]}
        rows = [{"sector": f"{s['number']}. {s['name']}",
                 **{p: _diagram_cell(cells[(s["slug"], p)]) for p in diagrams["phases"]}}
                for s in diagrams["sectors"]]
        title = f"{scenario['name']} ({scenario['citation']}; paras {scenario['paragraphs'][0]}-{scenario['paragraphs'][1]})"
        if markdown:
            for row in rows:
                row.update({p: row[p].replace("\n", "<br>") for p in diagrams["phases"]})
        out.append(records_table(rows, ["sector", *diagrams["phases"]], title=title, markdown=markdown, width=width))
    note = f"Method: {diagrams['method']}."
    footer = footer_line(diagrams["provenance"])
    out.append(f"{note}\n\n---\n*{footer}*\n" if markdown else f"{note}\n{footer}\n")
    return "\n".join(out)


def _output_line(number: int, output: dict) -> str:
    record = output["provenance"]
    params = record.get("parameters") or {}
    return (f"#{number} {output['file']}: {record['ruleset']['id']} sha256:{record['ruleset'].get('sha256', '')[:12]}…, "
            f"mapping {(params.get('mapping') or {}).get('name', '?')}, {output['units']} units, "
            f"generated {record.get('generated_at', '?')}")


def settings_lines(settings: dict) -> list[str]:
    """What differs between two runs' provenance (batchdiff.settings_changed), one line each."""
    lines = []
    for key, value in settings.items():
        if key in ("thresholds", "parameters"):
            lines.append(f"  {key}: {_pairs(value)}")
        elif key in ("ruleset", "mapping", "tool"):
            a, b = value
            show = (lambda v: f"{v.get('id') or v.get('name')} {v.get('version') or 'sha256:' + str(v.get('sha256'))[:12]}"
                    if isinstance(v, dict) else str(v))
            lines.append(f"  {key}: {show(a or {})} → {show(b or {})}")
        elif key == "inputs":
            a, b = ([f"{i.get('file')} ({str(i.get('sha256'))[:12]})" for i in side or []] for side in value)
            lines.append(f"  inputs: {', '.join(a)} → {', '.join(b)}")
        else:
            lines.append(f"  {key}: {fmt_value(value[0])} → {fmt_value(value[1])}")
    return lines or ["  nothing: the same ruleset, mapping, thresholds, parameters and input files"]


def change_counts(step, sectors: dict[str, str]) -> tuple[list[dict], list[str]]:
    counts = step.counts()
    kinds = [k for k in CHANGE_SYMBOLS if k in counts]
    rows = []
    for sector in sectors:
        row = {"sector": sectors[sector]}
        row.update({k: counts[k].get(sector, "") for k in kinds})
        if any(row[k] for k in kinds):
            rows.append(row)
    return rows, kinds


def change_behind_lines(c, a: int, b: int, indent: str) -> list[str]:
    """What is behind a batch-diff change besides its rules and facts."""
    out = []
    for via in c.crosswalk:
        to = f" to {', '.join(f'{k} {v}' for k, v in via['to'].items())}" if via.get("to") else ""
        out.append(f"{indent}crosswalk: {via['from']} {via['relation']}{to} ({via['link']})")
    if c.thresholds_changed:
        out.append(f"{indent}thresholds: {_pairs(c.thresholds_changed)}")
    if c.indicators_changed:
        out.append(f"{indent}indicators: {_pairs(c.indicators_changed)}")
    out += [f"{indent}only in #{a}: {line}" for line in c.evidence_a]
    out += [f"{indent}only in #{b}: {line}" for line in c.evidence_b]
    return out


def batch_diff_text(result, *, markdown: bool = False) -> str:
    """``mcof batch-diff``: per step, what differs in the runs, the changes counted per sector
    and kind, the changes unit by unit with what is behind each, the units only one output
    has; with three or more outputs, the trend rows that change."""
    head, item = ("## ", "- ") if markdown else ("", "")
    out = [item + _output_line(i + 1, o) for i, o in enumerate(result.outputs)]
    out.append(f"compared in the sectors of {result.space['id']}"
               + (" (2012 entries carried through its crosswalk)" if len({o['ruleset']['id'] for o in result.outputs}) > 1
                  else ""))
    out += [f"warning: {w}" for w in result.warnings]
    for step in result.steps:
        a, b = step.a + 1, step.b + 1
        out += ["", f"{head}#{a} → #{b}", "", "what differs in the runs:"]
        out += [item + line.strip() if markdown else line for line in settings_lines(step.settings_changed)]
        rows, kinds = change_counts(step, result.sectors)
        total = ", ".join(f"{sum(step.counts()[k].values())} {k}" for k in kinds)
        out += ["", f"{len(step.changes)} changes" + (f": {total}" if total else ""), ""]
        if rows:
            out += [records_table(rows, ["sector"] + kinds, markdown=markdown).rstrip("\n"), ""]
        for label, units in ((f"only in #{a}", step.only_in_a), (f"only in #{b}", step.only_in_b)):
            if units:
                out.append(f"units {label}: " + ", ".join(f"{u['name']} ({u['unit']})" for u in units))
        if markdown:
            if step.changes:
                out += [records_table([_change_record(c, a, b) for c in step.changes],
                                          ["unit", "sector", "phase", "change", "from", "to", "rules", "behind"],
                                          markdown=True).rstrip("\n")]
            continue
        unit = None
        for c in step.changes:
            if c.unit != unit:
                unit = c.unit
                out.append(f"{c.name} ({c.unit})")
            out += _change_lines(c, c.sector_name, "  ") + change_behind_lines(c, a, b, "      ")
    if len(result.outputs) > 2:
        changing = [r for r in result.trend if r["changes"]]
        labels = [f"#{i + 1}" for i in range(len(result.outputs))]
        out += ["", f"{head}Trend: the highest level in any phase ({len(changing)} of {len(result.trend)} rows change; "
                    "all in --format json or csv)", ""]
        rows = [{"unit": f"{r['name']} ({r['unit']})", "sector": r["sector_name"],
                 **{label: "absent" if level is None else level or "—" for label, level in zip(labels, r["levels"])}}
                for r in changing]
        out.append(records_table(rows, ["unit", "sector"] + labels, markdown=markdown).rstrip("\n") if rows
                   else "no unit changes level in any sector")
    out += ["", _footer_line_of(result)]
    return "\n".join(out) + "\n"


def _change_record(c, a: int, b: int) -> dict:
    rules = [f"+{r}" for r in c.rules_gained] + [f"-{r}" for r in c.rules_lost]
    behind = ([_pairs(c.facts_changed)] if c.facts_changed else []) + \
        [line.strip() for line in change_behind_lines(c, a, b, "")]
    return {"unit": f"{c.name} ({c.unit})", "sector": c.sector_name, "phase": c.phase,
            "change": f"{CHANGE_SYMBOLS[c.change]} {c.change}", "from": c.from_level or "—", "to": c.to_level or "—",
            "rules": "<br>".join(rules), "behind": "<br>".join(behind)}


def _footer_line_of(result) -> str:
    if result.provenance is None:
        return f"compared in {result.space['id']} sha256:{result.space['sha256']}"
    from .provenance import footer_line
    return footer_line(result.provenance)
