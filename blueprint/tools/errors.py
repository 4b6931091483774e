"""Errors the CLI reports with a short message, never a traceback; it maps each to its exit code
(blueprint/tools/exit_codes.py)."""

from __future__ import annotations

from blueprint.program.errors import InputError


class UsageError(InputError):
    """Bad usage or a bad input file; the message names the file (and key) at fault. Reported as bad usage."""


class ProgramFailed(Exception):
    """The Pulumi program (or the policy pack) raised while it ran: reported as a failure, with the traceback of
    ``__cause__`` under ``--debug``."""
