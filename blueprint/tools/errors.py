"""Errors the CLI reports as bad usage or bad input: a short message and exit code 2, never a traceback."""

from __future__ import annotations

from blueprint.program.errors import InputError


class UsageError(InputError):
    """Bad usage or a bad input file; the message names the file (and key) at fault."""


class ProgramFailed(Exception):
    """The Pulumi program raised while it ran: exit code 1, with the traceback of ``__cause__`` under ``--debug``."""

    exit_code = 1
