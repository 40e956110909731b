"""Reading the app's HTML as a browser would, with the standard library only."""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlencode


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.inline_scripts = 0
        self._in_script_without_src = False
        self._option_select: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "select":
            self._option_select.append(attributes.get("name", ""))
        if tag == "option" and self._option_select:
            attributes["_select"] = self._option_select[-1]
        self.elements.append((tag, attributes))
        if tag == "script" and "src" not in attributes:
            self._in_script_without_src = True

    def handle_endtag(self, tag):
        if tag == "select" and self._option_select:
            self._option_select.pop()
        if tag == "script":
            self._in_script_without_src = False

    def handle_data(self, data):
        if self._in_script_without_src and data.strip():
            self.inline_scripts += 1


def elements(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    return parser


def by_id(html: str, element_id: str) -> dict | None:
    return next((a for _, a in elements(html).elements if a.get("id") == element_id), None)


def form_query(html: str, form_id: str = "profile-form") -> str:
    """What submitting the form sends, as its query string (checked boxes and radios, the
    selected options, text and number inputs, hidden fields)."""
    pairs, inside = [], False
    for tag, a in elements(html).elements:
        if tag == "form":
            inside = a.get("id") == form_id
        if not inside or "name" not in a and tag != "option":
            continue
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    pairs.append((a["name"], a.get("value", "on")))
            elif kind not in ("submit", "file"):
                pairs.append((a["name"], a.get("value", "")))
        elif tag == "option" and "selected" in a:
            pairs.append((a["_select"], a.get("value", "")))
    return urlencode(pairs)


def cell_levels(html: str) -> dict[tuple[str, str], str]:
    """(sector, phase) -> level, as the assess page's grid shows it."""
    out = {}
    for tag, a in elements(html).elements:
        if tag == "td" and a.get("id", "").startswith("cell-") and a.get("data-level"):
            sector = a["id"][len("cell-"):].rsplit("-", 1)[0]
            out[(sector, a["data-phase"])] = a["data-level"]
    return out


def attribute_values(html: str, attribute: str) -> list[str]:
    """The values of `attribute`, in document order."""
    return [a[attribute] for _, a in elements(html).elements if attribute in a]


class _Inside(HTMLParser):
    VOID = {"input", "br", "meta", "link", "img", "col", "wbr", "hr"}

    def __init__(self, element_id):
        super().__init__(convert_charrefs=False)
        self.element_id, self.depth, self.start, self.end = element_id, 0, None, None

    def handle_starttag(self, tag, attrs):
        if self.end is not None or tag in self.VOID:
            if self.start is None and dict(attrs).get("id") == self.element_id:
                self.start, self.end = self.getpos(), self.getpos()
            return
        if self.start is None and dict(attrs).get("id") == self.element_id:
            self.start = self.getpos()
        if self.start is not None:
            self.depth += 1

    def handle_endtag(self, tag):
        if self.start is not None and self.end is None and tag not in self.VOID:
            self.depth -= 1
            if self.depth == 0:
                self.end = self.getpos()


def inside(html: str, element_id: str) -> str:
    """The markup of the element with this id, from its start tag to its end tag."""
    parser = _Inside(element_id)
    parser.feed(html)
    if parser.start is None:
        raise AssertionError(f"no element with id {element_id!r}")
    lines = html.splitlines(keepends=True)
    offset = lambda pos: sum(len(line) for line in lines[:pos[0] - 1]) + pos[1]  # noqa: E731
    return html[offset(parser.start):offset(parser.end)]
