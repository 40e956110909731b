"""Every file mcof writes goes through here: whole or not at all, with the permissions the
user's umask gives (like any other program's output, e.g. 0644 under umask 022), and the same
directory rule for every command (missing directories are created).

A file is first written to a temporary file beside its target (short name, so any legal
target name works), flushed and fsynced, then moved over the target with ``os.replace``.
Several files of one output (a CSV with its summary and errors tables) are staged first and
moved together, so a failure leaves none of them half-written and no temporary file behind.
A process killed with SIGKILL cannot clean up: its temporary files carry its process id, and
the next write into that directory removes those of processes no longer running.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

from .errors import McofError


class OutputWriteError(McofError):
    """The output could not be written (no permission, disk full, not a directory...)."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_PREFIX = ".mcof-"


def _remove_orphans(directory: Path) -> None:
    """Remove the temporary files of mcof processes that died before they could (kill -9)."""
    for leftover in directory.glob(f"{_PREFIX}*-*.tmp"):
        pid = leftover.name[len(_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            leftover.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return True


def stage(target: Path, write: Callable[[BinaryIO], None]) -> Path:
    """Write through ``write(file)`` into a temporary file beside ``target``; its path."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_orphans(target.parent)
        fd, tmp = tempfile.mkstemp(prefix=f"{_PREFIX}{os.getpid()}-", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise OutputWriteError(f"cannot write output: {error.strerror or error}", where=str(target),
                               hint="choose a path in a writable directory") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600
    except BaseException as error:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise OutputWriteError(f"cannot write output: {error.strerror or error}", where=str(target),
                                   hint="check free space and permissions") from None
        raise
    return Path(tmp)


def commit(staged: list[tuple[Path, Path]]) -> list[Path]:
    """Move each staged temporary file over its target; on any failure remove them all."""
    try:
        for tmp, target in staged:
            os.replace(tmp, target)
    except OSError as error:
        raise OutputWriteError(f"cannot write output: {error.strerror or error}", where=str(staged[0][1])) from None
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    return [target for _, target in staged]


def discard(staged: list[tuple[Path, Path]]) -> None:
    for tmp, _ in staged:
        tmp.unlink(missing_ok=True)


def write_file(target: str | Path, data: bytes | str) -> Path:
    """One file, written atomically."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    target = Path(target)
    return commit([(stage(target, lambda handle: handle.write(payload)), target)])[0]
