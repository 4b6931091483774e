"""The error the program raises for a project or stack file it cannot read.

The program runs under the real engine as well as offline, so it names its own error type; the CLI's
:class:`~blueprint.tools.errors.UsageError` derives from it, and the CLI reports both alike: a short message and
its usage exit code, no traceback. Exit codes are the CLI's business, not the program's.
"""

from __future__ import annotations


class InputError(Exception):
    """A project or stack file that cannot be read or is malformed; the message names the file (and key) at fault."""
