"""Errors the CLI reports as bad usage or bad input: a short message and exit code 2, never a traceback."""

from __future__ import annotations


class UsageError(Exception):
    """Bad usage or a bad input file; the message names the file (and key) at fault."""

    exit_code = 2
