"""A loaded ruleset kept on disk, so a command does not parse and validate the YAML again.

Loading a ruleset (parse every file, check its structure, every quote against its paragraph)
is most of a short command's time; the result is the same until a file changes. So the
loaded ruleset is pickled into the user's cache directory (``$MCOF_CACHE_DIR``, else
``$XDG_CACHE_HOME/mcof``, else ``~/.cache/mcof``), and used again only when it is provably
current: same mcof version and loader code, same directory, every file it was read from has the same
content (its sha256 over all of them is recomputed and compared), and no YAML file has been
added or removed beside them. Anything else (a stale, truncated or foreign file) is ignored
and rebuilt. ``MCOF_NO_CACHE=1`` (``mcof --no-cache``) turns it off.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

from .model import Ruleset
from .version import __version__


def content_hash(files: list[Path], root: Path) -> str:
    """sha256 over every file the ruleset is made of (names relative to `root`, and bytes),
    so an output can be tied to the exact rules and texts that produced it."""
    digest = hashlib.sha256()
    for file in sorted(set(files)):
        name = file.relative_to(root) if file.is_relative_to(root) else Path(file.name)
        digest.update(name.as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_dir() -> Path:
    if os.environ.get("MCOF_CACHE_DIR"):
        return Path(os.environ["MCOF_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mcof"


def enabled() -> bool:
    return os.environ.get("MCOF_NO_CACHE", "") in ("", "0")


def _entry(directory: Path) -> Path:
    key = hashlib.sha256(f"{__version__}\0{directory}".encode()).hexdigest()[:24]
    return cache_dir() / f"ruleset-{key}.pickle"


def _code_stamp() -> str:
    """mcof's own loader code as it is on disk: an edited checkout must not reuse objects an
    older loader built (the version alone does not change between commits)."""
    here = Path(__file__).parent
    stats = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in here.glob("*.py"))
    return hashlib.sha256(repr(stats).encode()).hexdigest()


def _listing(ruleset: Ruleset) -> list[str]:
    """The YAML files of every directory the ruleset was read from: a new rule file must count."""
    folders = {f.parent for f in ruleset.files} | {ruleset.directory, ruleset.directory / "rules"}
    return sorted(str(p) for folder in folders if folder.is_dir() for p in folder.glob("*.yaml"))


def read(directory: Path) -> Ruleset | None:
    """The cached ruleset of ``directory`` if it is provably current, else None."""
    if not enabled():
        return None
    try:
        with open(_entry(directory), "rb") as handle:
            stored = pickle.load(handle)
        ruleset = stored["ruleset"]
        current = (stored["version"] == __version__ and stored["code"] == _code_stamp()
                   and ruleset.directory == directory
                   and stored["listing"] == _listing(ruleset)
                   and content_hash(ruleset.files, directory.parent) == ruleset.sha256)
    except Exception:  # noqa: BLE001 - any unreadable, stale or foreign entry is rebuilt, never trusted
        return None
    return ruleset if current else None


def write(ruleset: Ruleset) -> None:
    """Keep a loaded ruleset; a cache that cannot be written is skipped (it is only a cache)."""
    if not enabled():
        return
    from .outputfile import OutputWriteError, write_file
    try:
        payload = pickle.dumps({"version": __version__, "code": _code_stamp(), "listing": _listing(ruleset),
                                "ruleset": ruleset},
                               protocol=pickle.HIGHEST_PROTOCOL)
        write_file(_entry(ruleset.directory), payload)
    except (OSError, OutputWriteError, pickle.PicklingError):
        pass
