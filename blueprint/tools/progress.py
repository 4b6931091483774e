"""One line of progress on the terminal for work that takes a while (``check`` of several stacks, ``fork``).

The line goes to standard error, rewritten in place (``\\r`` and erase-to-end-of-line) and erased when the work is
done, so what follows starts on a clean line. It is shown only to a person watching: standard error is a terminal,
``CI`` is not set and ``TERM`` is not ``dumb``; piped, redirected or in CI nothing is written at all. It never
touches standard output or a report file, so those are byte-identical with and without a terminal.

While the line is shown, anything else written to standard error (a note, an error) erases it first, and Ctrl-C
erases it before the command's "error: interrupted" (:func:`erase_status_line`, called by
:mod:`blueprint.tools.termination`). It is redrawn only when the work reports a step: no timer thread, since
``check`` forks its workers from a process that must have no other thread running.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, TextIO

#: Back to the start of the line and erase it (ECMA-48 "erase in line", which every terminal emulator knows).
_ERASE = "\r\x1b[K"
_FALLBACK_COLUMNS = 80

#: The status line shown at this moment, if any: what Ctrl-C erases.
_active: StatusLine | None = None


def wanted(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Whether ``stream`` is a terminal a person is watching: a TTY, outside CI, on a terminal that can erase a line."""
    if "CI" in environ or environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):  # a closed or unusual stream
        return False


class StatusLine:
    """A status line on ``stream`` (standard error by default), shown only where :func:`wanted` says so.

    Use it as a context manager: leaving the block, however it is left, erases the line. :meth:`show` replaces the
    text, followed by the seconds since the block started.
    """

    def __init__(self, stream: TextIO | None = None, *, environ: Mapping[str, str] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self.enabled = wanted(self._stream, os.environ if environ is None else environ)
        self._clock = clock
        self._started = clock()
        self._shown = False
        self._replaced: TextIO | None = None

    def __enter__(self) -> StatusLine:
        global _active
        self._started = self._clock()
        if self.enabled:
            _active = self
            if self._stream is sys.stderr:  # other writes to standard error erase the line first
                self._replaced = sys.stderr
                sys.stderr = _ErasingStream(self._stream, self)  # type: ignore[assignment]
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        global _active
        if self._replaced is not None:
            sys.stderr = self._replaced
            self._replaced = None
        self.erase()
        if _active is self:
            _active = None

    def show(self, text: str) -> None:
        """Replace the line with ``text`` and the elapsed seconds, cut to the terminal's width (a wrapped line could
        not be rewritten in place)."""
        if not self.enabled:
            return
        line = f"{text} ({self._clock() - self._started:.0f} s)"
        width = _columns(self._stream) - 1
        if len(line) > width:
            line = line[: max(width - 1, 0)] + "…"
        self._shown = True  # before the write: a Ctrl-C landing in it still finds a line to erase
        self._write(_ERASE + line)

    def erase(self) -> None:
        """Erase the line, if one is shown (the cursor stays at the start of the empty line)."""
        if self._shown:
            self._shown = False
            self._write(_ERASE)

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):  # the terminal went away: progress is never worth failing the command for
            self.enabled = False


def erase_status_line() -> None:
    """Erase the status line being shown, if any: before the line that says a command was interrupted."""
    if _active is not None:
        _active.erase()


class _ErasingStream:
    """Standard error while a status line is shown: a write by anyone else erases the line first."""

    def __init__(self, stream: TextIO, status: StatusLine) -> None:
        self._stream = stream
        self._status = status

    def write(self, text: str) -> int:
        if text:
            self._status.erase()
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or _FALLBACK_COLUMNS
    except (AttributeError, ValueError, OSError):  # io.UnsupportedOperation is an OSError
        return _FALLBACK_COLUMNS
