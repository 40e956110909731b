"""Typed errors of the batch feature.

Every failure that stops a batch run is a :class:`BatchError` carrying a message, where it
happened (file, row as a spreadsheet user counts it, column) and a hint (how to fix it, or a
did-you-mean).  Problems confined to one row are not exceptions: they are :class:`RowError`
records, reported in the errors table while every good row is still processed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..errors import McofError, close_matches


def suggestion_hint(word: str, candidates: Iterable[str], what: str = "") -> str:
    cands = sorted({str(c) for c in candidates})
    near = close_matches(word, cands)
    if near:
        return "did you mean " + " or ".join(repr(n) for n in near) + "?"
    if cands and len(cands) <= 25:
        return f"known {what or 'names'}: " + ", ".join(cands)
    return ""


class BatchError(McofError):
    """Base of every batch error: ``message``, ``file``, ``row``, ``column``, ``field``, ``hint``.

    A McofError, so the command line reports it like any other bad input; ``where`` is
    composed from the file, row, column and field."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None, field: str | None = None, hint: str = ""):
        self.message = message
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        self.field = field
        self.hint = hint or ""
        Exception.__init__(self, self.__str__())  # `where` is derived here, not stored as McofError does

    @property
    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        if self.field:
            parts.append(f"field {self.field}")
        return ", ".join(parts)

    def __str__(self) -> str:
        s = self.message
        if self.where:
            s = f"{self.where}: {s}"
        if self.hint:
            s = f"{s} ({self.hint})"
        return s

    def to_dict(self) -> dict:
        return {"error": type(self).__name__, "message": self.message, "file": self.file,
                "row": self.row, "column": self.column, "field": self.field, "hint": self.hint}


class MappingError(BatchError):
    """The mapping file is unknown, malformed, or an override names no threshold/parameter."""


class InputError(BatchError):
    """An input cannot be used at all: unreadable, unrecognised, or lacking a needed column."""


class OutputError(BatchError):
    """An output cannot be written (unknown extension, unwritable directory, ...)."""


@dataclass
class RowError:
    """One problem confined to one row (or one cell) of an input.

    ``severity``: ``error`` (the row or the cell was not used), ``warning`` (used, after a
    correction the reason states), ``skipped`` (not a country: e.g. a regional aggregate).
    ``row`` counts as a spreadsheet user does: the header is row 1.
    """
    file: str
    row: int | None
    column: str | None
    value: object
    reason: str
    severity: str = "error"
    iso3: str | None = None

    def to_dict(self) -> dict:
        return {"file": self.file, "row": self.row, "column": self.column,
                "value": "" if self.value is None else str(self.value),
                "reason": self.reason, "severity": self.severity, "iso3": self.iso3 or ""}
