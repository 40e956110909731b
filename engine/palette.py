"""The colours of the three levels, one definition for every output that shows them (HTML
reports and diagrams, the wheel, XLSX cells): one hue, darker = higher, and the word is
always printed beside the colour, so nothing relies on colour alone.

And the marks of a change between two results (``mcof diff``, ``mcof batch-diff``): a gain
in Okabe-Ito blue, a loss in vermillion (safe for colour-blind readers), each with a symbol
too, so a change reads in grey print."""

# level -> (fill, ink: the text colour that reads on that fill)
LEVEL_COLOURS = {"critical": ("#8e1b1b", "#ffffff"), "important": ("#e8804f", "#111111"),
                 "recommended": ("#fbe3c6", "#111111")}

GAIN, LOSS, NEUTRAL = "#0072B2", "#D55E00", "#333333"
# change kind (engine.whatif.CHANGE_KINDS, and batch-diff's moved_out) -> (symbol, colour)
CHANGE_MARKS = {"added": ("+", GAIN), "level_raised": ("\u25B2", GAIN), "removed": ("\u2212", LOSS),
                "level_lowered": ("\u25BC", LOSS), "justification_changed": ("\u2261", NEUTRAL),
                "moved_out": ("\u2192", NEUTRAL)}


def level_css_variables() -> str:
    """The CSS custom properties the report templates colour their cells with."""
    return " ".join(f"--{level}: {fill}; --{level}-fg: {ink};" for level, (fill, ink) in LEVEL_COLOURS.items()) + \
        f" --gain: {GAIN}; --loss: {LOSS};"
