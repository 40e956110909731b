"""The source documents, cut into numbered paragraphs, so every quote can be checked
against the paragraph its rule cites.

The texts were extracted from PDFs and web pages: besides whitespace and line breaks, the
extraction added markup that is not part of the wording (bold/italic asterisks, footnote
markers and footnote blocks at page breaks, and the HTML tags and entities of the diagram
legends). `normalize` removes exactly those.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

_SECTION_HEADING = re.compile(r"^[#*\s]*(Annex(?: [IVX]+)?)[*\s]*$")
_PARAGRAPH_START = re.compile(r"^\s*(\d{1,3})\.\s+\S")
_FOOTNOTE_BLOCK = re.compile(r"^\s*(---+|<sup>\d+</sup>.*)\s*$")
_INLINE_FOOTNOTE = re.compile(r"<sup>\d+</sup>")
_HTML_TAG = re.compile(r"<[a-zA-Z/][^>]*>")


def normalize(text: str) -> str:
    """The wording of a text: markup removed, whitespace collapsed."""
    text = _INLINE_FOOTNOTE.sub("", text)
    text = html.unescape(_HTML_TAG.sub(" ", text))
    text = text.replace("*", "").replace("\\_", "_")
    return " ".join(text.split())


@dataclass
class SourceDocument:
    key: str
    path: Path
    # (section or None for the main body, paragraph number) -> normalized paragraph text
    paragraphs: dict[tuple[str | None, int], str] = field(default_factory=dict)

    def paragraph(self, section: str | None, number: int) -> str | None:
        return self.paragraphs.get((section, number))

    def contains(self, quote: str, section: str | None, number: int) -> bool:
        text = self.paragraph(section, number)
        return text is not None and normalize(quote) in text

    def find(self, quote: str) -> list[tuple[str | None, int]]:
        """Every paragraph whose text contains the quote (to suggest the right citation)."""
        wanted = normalize(quote)
        return [where for where, text in self.paragraphs.items() if wanted in text]


@lru_cache(maxsize=None)
def load_document(key: str, path: Path) -> SourceDocument:
    document = SourceDocument(key, path)
    section: str | None = None
    current: tuple[str | None, int] | None = None
    lines: dict[tuple[str | None, int], list[str]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        heading = _SECTION_HEADING.match(raw)
        if heading:
            section, current = heading.group(1), None
            continue
        if raw.lstrip().startswith("#"):
            current = None  # a heading closes the paragraph before it
            continue
        start = _PARAGRAPH_START.match(raw)
        if start:
            candidate = (section, int(start.group(1)))
            # Resolutions and lists restart numbering; the first occurrence is the paragraph.
            if candidate not in lines:
                current = candidate
                lines[current] = []
        if current is not None and not _FOOTNOTE_BLOCK.match(raw):
            lines[current].append(raw)
    document.paragraphs = {where: normalize("\n".join(body)) for where, body in lines.items()}
    return document


def format_citation(document: str, section: str | None, paragraph: int) -> str:
    """'MC/2355 Annex I, para. 9' / 'MC/2355, para. 9' (CONTRACT.md)."""
    return f"{document} {section}, para. {paragraph}" if section else f"{document}, para. {paragraph}"
