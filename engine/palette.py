"""The colours of the three levels, one definition for every output that shows them (HTML
reports and diagrams, the wheel, XLSX cells): one hue, darker = higher, and the word is
always printed beside the colour, so nothing relies on colour alone."""

# level -> (fill, ink: the text colour that reads on that fill)
LEVEL_COLOURS = {"critical": ("#8e1b1b", "#ffffff"), "important": ("#e8804f", "#111111"),
                 "recommended": ("#fbe3c6", "#111111")}


def level_css_variables() -> str:
    """The CSS custom properties the report templates colour their cells with."""
    return " ".join(f"--{level}: {fill}; --{level}-fg: {ink};" for level, (fill, ink) in LEVEL_COLOURS.items())
