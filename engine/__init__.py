"""mcof: IOM's Migration Crisis Operational Framework as an executable, explainable rules engine.

    from engine import load_ruleset, build_profile, assess
    ruleset = load_ruleset("2012")
    profile = build_profile(ruleset, {"crisis_type": "man_made", "phase": "during"})
    result = assess(ruleset, profile)
"""
from .assessment import assess, explain
from .errors import EngineError, McofError, ProfileError, RulesetError
from .profile import build_profile, read_profile_file
from .ruleset import Ruleset, load_ruleset
from .version import __version__

__all__ = ["assess", "explain", "build_profile", "read_profile_file", "load_ruleset", "Ruleset",
           "McofError", "ProfileError", "RulesetError", "EngineError", "__version__"]
