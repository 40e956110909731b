"""Country codes and names, normalised with pycountry."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pycountry

# Codes in common use that ISO 3166 does not (yet) assign.
EXTRA_CODES = {"XKX": "Kosovo"}

# Names as humanitarian data sets write them that pycountry cannot look up.
ALIASES = {
    "congo dr": "COD", "dr congo": "COD", "democratic republic of congo": "COD",
    "congo, dem. rep.": "COD", "congo, the democratic republic of the": "COD",
    "congo, rep.": "COG", "republic of congo": "COG",
    "korea dpr": "PRK", "north korea": "PRK", "korea, dem. people's rep.": "PRK",
    "korea republic of": "KOR", "south korea": "KOR", "korea, rep.": "KOR",
    "lao pdr": "LAO", "laos": "LAO",
    "moldova republic of": "MDA",
    "turkey": "TUR",
    "ivory coast": "CIV",
    "kosovo": "XKX",
    "iran": "IRN", "syria": "SYR", "russia": "RUS", "vietnam": "VNM", "bolivia": "BOL",
    "venezuela": "VEN", "tanzania": "TZA", "micronesia": "FSM", "palestine": "PSE",
    "cape verde": "CPV", "swaziland": "SWZ", "macedonia": "MKD", "czech republic": "CZE",
    "east timor": "TLS", "burma": "MMR", "the gambia": "GMB", "gambia, the": "GMB",
    "bahamas, the": "BHS", "egypt, arab rep.": "EGY", "yemen, rep.": "YEM",
}


@dataclass
class Resolved:
    iso3: str | None
    name: str | None
    how: str            # code | name | alias | fuzzy | unknown | ambiguous
    detail: str = ""


def valid_iso3(code: str) -> bool:
    return code in EXTRA_CODES or pycountry.countries.get(alpha_3=code) is not None


@lru_cache(maxsize=4096)
def country_name(iso3: str) -> str:
    if iso3 in EXTRA_CODES:
        return EXTRA_CODES[iso3]
    c = pycountry.countries.get(alpha_3=iso3)
    return getattr(c, "common_name", None) or c.name if c else iso3


@lru_cache(maxsize=4096)
def lookup_name(name: str) -> Resolved:
    n = " ".join(name.split())
    key = n.lower().strip()
    if not key:
        return Resolved(None, None, "unknown", "no country name")
    if key in ALIASES:
        return Resolved(ALIASES[key], country_name(ALIASES[key]), "alias")
    try:
        c = pycountry.countries.lookup(n)
        return Resolved(c.alpha_3, country_name(c.alpha_3), "name")
    except LookupError:
        pass
    try:
        found = pycountry.countries.search_fuzzy(n)
    except LookupError:
        found = []
    codes = list(dict.fromkeys(c.alpha_3 for c in found))
    if len(codes) == 1:
        return Resolved(codes[0], country_name(codes[0]), "fuzzy")
    if codes:
        return Resolved(None, None, "ambiguous",
                        "candidates: " + ", ".join(f"{c} ({country_name(c)})" for c in codes[:5]))
    return Resolved(None, None, "unknown", "")


def resolve(code: str | None, name: str | None) -> Resolved:
    """ISO3 from a code (validated) or, when the code is missing/invalid, from the name."""
    code = (code or "").strip().upper()
    name = (name or "").strip()
    if code and valid_iso3(code):
        return Resolved(code, name or country_name(code), "code")
    if name:
        r = lookup_name(name)
        if r.iso3:
            return Resolved(r.iso3, name, r.how, r.detail)
        return r
    return Resolved(None, None, "unknown", "")


def country_argument(text: str, where: str) -> str:
    """The ISO3 code a person means by an ISO3 or ISO2 code or a country's name (as --explain
    and --country take them); an unknown one is refused with did-you-means, before any work."""
    from ..errors import ProfileError, close_matches
    wanted = text.strip()
    if valid_iso3(wanted.upper()):
        return wanted.upper()
    two = pycountry.countries.get(alpha_2=wanted.upper()) if len(wanted) == 2 else None
    if two:
        return two.alpha_3
    found = lookup_name(wanted)
    if found.iso3:
        return found.iso3
    codes = [c.alpha_3 for c in pycountry.countries]
    names = {country_name(code): code for code in codes}
    guesses = [f"{code} ({country_name(code)})" for code in close_matches(wanted.upper(), codes)]
    guesses += [f"{names[name]} ({name})" for name in close_matches(wanted, names)]
    raise ProfileError(f"unknown country {text!r}", where=where,
                       hint=(f"did you mean {', '.join(dict.fromkeys(guesses))}?" if guesses else found.detail)
                       or "give an ISO3 code, an ISO2 code or the country's name")
