"""Writing files so that they are complete or absent: a staged copy beside the target, then one rename or link.

Every file the CLI writes goes through here: plans, diffs and reports (``preview --json``, ``diff --json``,
``check --output-dir``) and stack files (``fork``, ``promote``). The copy is written and synced in the target's own
directory (same file system, so the final step is atomic); whatever stops the command halfway - an error, Ctrl-C -
removes the copy, and the target is left as it was. A failure to write is bad input (``UsageError``) naming the path.
Standard library only: the preview imports it.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

from blueprint.tools.errors import UsageError
from blueprint.tools.termination import stop_if_interrupted

#: Mode of a file this module creates (an existing file's mode is kept when it is replaced).
NEW_FILE_MODE = 0o644


@contextmanager
def staged(path: Path, text: str) -> Iterator[Path]:
    """A complete, synced copy of ``text`` beside ``path``, removed on leaving (moved into place by then, or not)."""
    try:
        descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise _cannot_write(path, error) from None
    copy = Path(name)
    try:
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(copy, NEW_FILE_MODE)
        except OSError as error:
            raise _cannot_write(path, error) from None
        yield copy
    finally:
        copy.unlink(missing_ok=True)


def is_stream(path: Path) -> bool:
    """Whether ``path`` is a character device or a pipe (``/dev/null``, ``/dev/stdout``): written through, never
    replaced, since replacing ``/dev/null`` with a file would break every program on the machine."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def write_atomic(path: Path, text: str, *, create_parents: bool = False) -> None:
    """Create or replace ``path`` with ``text`` in one step (the caller was asked to write this file); a stream is
    written to as it is."""
    if is_stream(path):
        stop_if_interrupted()
        try:
            with path.open("w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except OSError as error:
            raise _cannot_write(path, error) from None
        return
    if create_parents:
        _make_parent(path)
    with staged(path, text) as copy:
        _move_into_place(copy, path)


def write_all(files: Mapping[Path, str], *, create_parents: bool = False) -> list[Path]:
    """Write several files: every one staged first, then each moved into place, so a failure while writing leaves
    all of them as they were; returns the paths in the order given."""
    if create_parents:
        for path in files:
            _make_parent(path)
    with ExitStack() as stack:
        copies = [(path, stack.enter_context(staged(path, text))) for path, text in files.items()]
        for path, copy in copies:
            _move_into_place(copy, path)
    return list(files)


def write_new(path: Path, text: str) -> None:
    """Create ``path`` with ``text``; refuse, atomically, when it already exists."""
    with staged(path, text) as copy:
        stop_if_interrupted()
        try:
            os.link(copy, path)  # fails if path exists, even if it appeared a moment ago
        except FileExistsError:
            raise UsageError(f"{path.name}: already exists; refusing to overwrite it") from None
        except OSError:  # a file system without hard links: exclusive creation, then the content
            try:
                with path.open("x", encoding="utf-8", newline="\n") as handle:
                    handle.write(text)
            except FileExistsError:
                raise UsageError(f"{path.name}: already exists; refusing to overwrite it") from None
            except OSError as error:
                path.unlink(missing_ok=True)
                raise _cannot_write(path, error) from None


def _make_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _cannot_write(path, error) from None


def _move_into_place(copy: Path, path: Path) -> None:
    stop_if_interrupted()  # a command interrupted with Ctrl-C writes nothing more, even if it went on running
    try:
        if path.is_file():
            os.chmod(copy, path.stat().st_mode & 0o777)
        os.replace(copy, path)
    except OSError as error:
        raise _cannot_write(path, error) from None


def _cannot_write(path: Path, error: OSError) -> UsageError:
    return UsageError(f"{path}: cannot be written: {error.strerror or error}")
