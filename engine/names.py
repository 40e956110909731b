"""What a person may type for a sector: its slug, its number, or its name (any case); in a
ruleset that inherits through a crosswalk, a parent's slug, answered with where it went."""
from __future__ import annotations

from .errors import ProfileError, did_you_mean
from .ruleset import Ruleset


def resolve_sector(ruleset: Ruleset, text: str, where: str = "--sector") -> tuple[str, str | None]:
    """(slug, a note saying how the text was read, or None when it was the slug itself)."""
    wanted = text.strip()
    by_slug = {s.slug: s for s in ruleset.sectors}
    if wanted in by_slug:
        return wanted, None
    for sector in ruleset.sectors:
        if wanted == str(sector.number) or wanted.casefold() == sector.name.casefold():
            return sector.slug, f"{text!r} is sector {sector.number}, {sector.slug}"
    if ruleset.parent:
        for sector in ruleset.parent.sectors:
            if wanted in (sector.slug, sector.name) or wanted.casefold() == sector.name.casefold():
                return _through_crosswalk(ruleset, sector.slug, where)
    names = [*by_slug, *(s.name for s in ruleset.sectors)]
    raise ProfileError(f"unknown sector {text!r} in ruleset {ruleset.id}", where=where,
                       hint=did_you_mean(wanted, names) or "give a slug, number or name from `mcof sectors`")


def _through_crosswalk(ruleset: Ruleset, parent_slug: str, where: str) -> tuple[str, str]:
    links = [link for link in ruleset.crosswalk if link.source_sector == parent_slug]
    sectors = sorted({slug for link in links for kind, slug in link.targets if kind == "sector"})
    via = ", ".join(f"{link.id} ({link.relation})" for link in links)
    if len(sectors) == 1:
        return sectors[0], f"{parent_slug} ({ruleset.parent.id}) is {sectors[0]} in {ruleset.id} (crosswalk {via})"
    elsewhere = ", ".join(f"{kind} {slug}" for link in links for kind, slug in link.targets) or "nowhere"
    raise ProfileError(f"{parent_slug} is a {ruleset.parent.id} sector; in {ruleset.id} it went to {elsewhere} "
                       f"(crosswalk {via})", where=where,
                       hint="explain one of those" + (f": --sector {sectors[0]}" if sectors else " with --modality"))
