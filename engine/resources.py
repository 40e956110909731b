"""Where the data bundled with mcof lives once installed (rulesets, mappings, templates).

Found through ``importlib.resources``, so it works from a wheel, an editable install or a
checkout alike. mcof reads its data as ordinary files (rulesets are directories of YAML
that a user may copy and edit), so a zipped install is refused with a clear message.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

def bundled(*parts: str) -> Path:
    """The bundled file or directory ``parts`` below the package root, as a real path."""
    location = resources.files("mcof").joinpath(*parts)
    if not isinstance(location, Path):
        raise RuntimeError(f"mcof's bundled data must be installed as files, not zipped: {location}")
    return location
