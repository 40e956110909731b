"""The assess page's state in its URL: the ruleset, the profile, the pinned profile and the
opened cell, so that a link reproduces the view.

One query parameter per input fact, named as the fact (``crisis_type=man_made&phase=during&
international_migrants_caught=true``); a list fact repeats its parameter; a fact left out, or
given as the empty string (the form's "unknown"), is unknown. ``pin`` holds the pinned profile
as a query string of its own, ``cell`` the opened ``sector:phase``. The values are read with
the engine's own functions (``coerce_text``, ``normalize_profile``), so a bad value is refused
with the same message as ``mcof assess --set``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import parse_qsl, urlencode

from ..engine.errors import ProfileError, did_you_mean, one_of
from ..engine.profile import coerce_text, input_fact_spec, normalize_profile
from ..engine.ruleset import BUILTIN_NAMES, Ruleset

# Parameters of the page that are not facts.
VIEW_KEYS = ("ruleset", "pin", "cell")
DEFAULT_RULESET = "2012"


def ruleset_name(text: str | None) -> str:
    """A ruleset chosen by name only: nothing a user sends names a server path."""
    name = (text or DEFAULT_RULESET).strip()
    if name not in BUILTIN_NAMES:
        raise ProfileError(f"unknown ruleset {name!r}", where="ruleset",
                           hint=did_you_mean(name, BUILTIN_NAMES) or one_of(BUILTIN_NAMES))
    return name


def raw_facts(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Fact parameters, grouped by name; empty values (unknown) left out."""
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        if key not in VIEW_KEYS and value.strip():
            grouped.setdefault(key, []).append(value.strip())
    return grouped


def profile_from_pairs(ruleset: Ruleset, pairs: list[tuple[str, str]], where: str = "query") -> dict:
    """A validated profile from query parameters, typed as `--set` types a value."""
    data: dict[str, Any] = {}
    for name, values in raw_facts(pairs).items():
        spec = input_fact_spec(ruleset, name, where)
        if spec.is_list:
            data[name] = [item for value in values for item in coerce_text(spec, value)]
        elif len(values) > 1:
            raise ProfileError(f"fact '{name}' given {len(values)} times", where=where, hint="give it once")
        else:
            data[name] = coerce_text(spec, values[0])
    return canonical(ruleset, normalize_profile(ruleset, data, where))


def value_text(value: Any) -> str:
    """A fact value as `--set` writes it (lists comma-separated, booleans true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(value_text(v) for v in value)
    return str(value)


def ordered(ruleset: Ruleset, profile: Mapping[str, Any]) -> list[str]:
    """The profile's facts in the catalogue's order (crisis type and phase first)."""
    return [name for name in ruleset.input_facts() if name in profile]


def canonical(ruleset: Ruleset, profile: Mapping[str, Any]) -> dict:
    """The profile with its facts in the catalogue's order: however a request orders them, the
    outputs are the same bytes (those of `mcof assess --set ...` in that order)."""
    return {name: profile[name] for name in ordered(ruleset, profile)}


def assignments(ruleset: Ruleset, profile: Mapping[str, Any]) -> list[str]:
    """The profile as the `--set KEY=VALUE` list that gives it on the command line: what the
    provenance of the page's and the API's outputs records as their input."""
    return [f"{name}={value_text(profile[name])}" for name in ordered(ruleset, profile)]


def profile_pairs(ruleset: Ruleset, profile: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs = []
    for name in ordered(ruleset, profile):
        value = profile[name]
        items = value if isinstance(value, (list, tuple)) else [value]
        pairs += [(name, value_text(item)) for item in items]
    return pairs


@dataclass(frozen=True)
class View:
    """What the assess page shows: everything its URL says."""
    ruleset: str
    profile: dict | None          # None: the page opened without a profile (crisis type and phase unset)
    pin: dict | None
    cell: tuple[str, str] | None

    def query(self, *, profile: Mapping | None = None, pin: Mapping | None | bool = True,
              cell: tuple[str, str] | None | bool = True, ruleset: str | None = None,
              rules: Ruleset) -> str:
        """This view's query string, with some parts replaced (pin/cell True: keep them)."""
        chosen = self.profile if profile is None else profile
        pairs = [("ruleset", ruleset or self.ruleset)] + profile_pairs(rules, chosen or {})
        pinned = self.pin if pin is True else pin
        if pinned:
            pairs.append(("pin", urlencode(profile_pairs(rules, pinned))))
        opened = self.cell if cell is True else cell
        if opened:
            pairs.append(("cell", f"{opened[0]}:{opened[1]}"))
        return urlencode(pairs)


def parse_cell(text: str | None, ruleset: Ruleset) -> tuple[str, str] | None:
    if not text:
        return None
    sector, _, phase = text.partition(":")
    if sector not in ruleset.sector_slugs:
        raise ProfileError(f"unknown sector {sector!r} in cell", where="cell",
                           hint=did_you_mean(sector, ruleset.sector_slugs) or "a cell is SECTOR:PHASE")
    phases = ruleset.facts["phase"].values
    if phase not in phases:
        raise ProfileError(f"unknown phase {phase!r} in cell", where="cell", hint=one_of(phases))
    return sector, phase


def has_profile(pairs: list[tuple[str, str]]) -> bool:
    return bool(raw_facts(pairs))


def parse_view(pairs: list[tuple[str, str]], rulesets: Mapping[str, Ruleset]) -> View:
    """The page's view from its query string; a bad part raises ProfileError naming it."""
    params = dict(pairs)
    name = ruleset_name(params.get("ruleset"))
    ruleset = rulesets[name]
    profile = profile_from_pairs(ruleset, pairs) if has_profile(pairs) else None
    pin_pairs = parse_qsl(params.get("pin", ""), keep_blank_values=True)
    pin = profile_from_pairs(ruleset, pin_pairs, where="pin") if has_profile(pin_pairs) else None
    return View(name, profile, pin, parse_cell(params.get("cell"), ruleset))


def kept_in(ruleset: Ruleset, profile: Mapping[str, Any] | None) -> dict | None:
    """The facts of `profile` that `ruleset` knows (switching 2021 -> 2012 drops the others)."""
    if profile is None:
        return None
    return {name: value for name, value in profile.items() if name in ruleset.input_facts()}
