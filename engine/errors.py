"""Typed errors. Each carries what is wrong, where, and how to fix it.

The CLI prints them as one `Error:` line (plus an optional hint line); library users can
inspect the fields.
"""
from __future__ import annotations

import difflib
from typing import Iterable


class McofError(Exception):
    """Base class: every error mcof raises on bad input."""

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class RulesetError(McofError):
    """A ruleset file is malformed or inconsistent."""


class ProfileError(McofError):
    """A crisis profile names an unknown fact or gives a value of the wrong type."""


class EngineError(McofError):
    """The rules engine failed while running a session (never silently)."""


def close_matches(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Names close to a misspelt one (case-insensitive), best first."""
    by_lower: dict[str, str] = {}
    for choice in choices:
        if choice is not None:
            by_lower.setdefault(str(choice).lower(), str(choice))
    hits = difflib.get_close_matches(str(word).lower(), list(by_lower), n=n, cutoff=0.6)
    return [by_lower[hit] for hit in hits]


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a misspelt name, or None when nothing is close."""
    matches = close_matches(word, choices, n=1)
    return f"did you mean '{matches[0]}'?" if matches else None


def one_of(choices: Iterable[str]) -> str:
    return "one of: " + ", ".join(sorted(choices))
