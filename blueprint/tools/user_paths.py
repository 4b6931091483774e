"""Paths a user gave on the command line, resolved once at the edge.

``Path.resolve`` raises ``RuntimeError`` (``OSError`` in newer Pythons) on a symbolic link loop (``ln -s loop2
loop1; ln -s loop1 loop2``), which surfaced as a traceback from whichever command resolved the path first. Every
option that names a path goes through :func:`resolved` instead: a loop is bad input naming the option and the path.
Standard library only: the preview imports it.
"""

from __future__ import annotations

import errno
from pathlib import Path

from blueprint.tools.errors import UsageError


def resolved(path: Path, option: str) -> Path:
    """``path`` made absolute with every link followed; ``UsageError`` naming ``option`` and ``path`` when a link on
    the way leads back to itself or the path cannot be resolved at all."""
    try:
        return path.resolve()
    except RuntimeError:  # Python 3.11 and 3.12: "Symlink loop from ..."
        raise UsageError(f"{option} {path}: a symbolic link loop (the links lead back to each other)") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UsageError(f"{option} {path}: a symbolic link loop (the links lead back to each other)") from None
        raise UsageError(f"{option} {path}: cannot be resolved: {error.strerror or error}") from None


def resolved_or_absolute(path: Path) -> Path:
    """``path`` resolved, or only made absolute when a link loop stops that: for the project's own directories,
    which an output path is compared with (a loop there holds no file an output could replace)."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        return path.absolute()
