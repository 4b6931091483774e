"""Errors the CLI reports as bad usage or bad input: a short message and exit code 2, never a traceback."""

from __future__ import annotations


class UsageError(Exception):
    """Bad usage or a bad input file; the message names the file (and key) at fault."""

    exit_code = 2


class ProgramFailed(Exception):
    """The Pulumi program raised while it ran: exit code 1, with the traceback of ``__cause__`` under ``--debug``."""

    exit_code = 1
