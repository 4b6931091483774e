"""The ``blueprint`` command's exit codes: the only place their numbers are written.

Scripts and CI jobs branch on them, so each one means one thing whichever command returns it. Errors carry no exit
code of their own: the CLI maps each kind of error to its code (blueprint/tools/cli.py, blueprint/tools/termination.py).
"""

from __future__ import annotations

import signal

#: The command did what it was asked.
EXIT_OK = 0
#: The program (or the policy pack) failed, or a mandatory policy is violated.
EXIT_FAILED = 1
#: Bad usage, bad input or an output that cannot be written; argparse exits with the same code on bad usage.
EXIT_USAGE = 2
#: Interrupted (Ctrl-C), as a shell reports a process ended by SIGINT.
EXIT_INTERRUPTED = 128 + signal.SIGINT
#: Standard output closed by its reader, as a shell reports a process ended by SIGPIPE.
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE
