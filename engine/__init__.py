"""The mcof library (``mcof.engine``): rulesets, profiles, the engine and its explanations.

Most users import its public names from the package itself: ``from mcof import assess``.
"""
from .assessment import assess, explain
from .errors import EngineError, McofError, ProfileError, RulesetError
from .profile import build_profile, read_profile_file
from .ruleset import Ruleset, load_ruleset
from .version import __version__

__all__ = ["assess", "explain", "build_profile", "read_profile_file", "load_ruleset", "Ruleset",
           "McofError", "ProfileError", "RulesetError", "EngineError", "__version__"]
