"""mcof: IOM's Migration Crisis Operational Framework as an executable, explainable rules engine.

    from mcof import load_ruleset, build_profile, assess
    ruleset = load_ruleset("2012")
    profile = build_profile(ruleset, {"crisis_type": "man_made", "phase": "during"})
    result = assess(ruleset, profile)

The installed package ``mcof`` is this repository's root: the library is ``mcof.engine``
(``engine/``), the bundled rulesets ``mcof.rulesets`` (``rulesets/``), the command line
``mcof.cli`` (``cli.py``). This module is the library's public face.
"""
from .engine import (EngineError, McofError, ProfileError, Ruleset, RulesetError, __version__,
                     assess, build_profile, explain, load_ruleset, read_profile_file)

__all__ = ["assess", "explain", "build_profile", "read_profile_file", "load_ruleset", "Ruleset",
           "McofError", "ProfileError", "RulesetError", "EngineError", "__version__"]
