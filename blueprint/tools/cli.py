"""The ``blueprint`` command line: the top-level parser, the dispatch to a command and how its errors end it.

Each command is a module of :mod:`blueprint.tools.commands`. Exit codes (blueprint/tools/exit_codes.py):
``EXIT_OK`` success; ``EXIT_FAILED`` the program failed (a bug, reported with ``--debug`` for a traceback);
``EXIT_USAGE`` bad usage, bad input or an output that cannot be written (a short message naming the file and key, or
the path, never a traceback); ``EXIT_INTERRUPTED`` Ctrl-C (one line on standard error, no file half-written, no
child process left running); ``EXIT_BROKEN_PIPE`` standard output closed by its reader (``blueprint policies |
head -1``: the rest of the output is dropped quietly). See blueprint/tools/termination.py.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from blueprint.tools.commands import COMMANDS
from blueprint.tools.commands.options import resolve_path_options
from blueprint.tools.errors import ProgramFailed
from blueprint.tools.exit_codes import EXIT_FAILED, EXIT_USAGE
from blueprint.program.errors import InputError


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: ``--debug`` and one sub-parser per command module."""
    parser = argparse.ArgumentParser(prog="blueprint", description="Azure MLOps blueprint: offline preview and tools for its stacks.")
    parser.add_argument("--debug", action="store_true", help="show a traceback when the program itself fails")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI in this process and return its exit code (tests call it; the process itself is :func:`run`)."""
    from blueprint.tools.termination import run_command

    return run_command(lambda: _main(argv))


def run() -> NoReturn:
    """The ``blueprint`` command and ``python -m blueprint``: the CLI as the whole process, which ends with its exit
    code as soon as the command is done (blueprint/tools/termination.py: a late Ctrl-C is still reported)."""
    from blueprint.tools.termination import run_as_process

    run_as_process(lambda: _main(None))


def _main(argv: Sequence[str] | None) -> int:
    """Parse, run the command, and turn the errors every command may raise into a message and an exit code: bad input
    (the program's ``InputError``, the CLI's ``UsageError``) is bad usage; a failing program is a failure."""
    args = build_parser().parse_args(argv)
    commands = {command.NAME: command for command in COMMANDS}
    try:
        resolve_path_options(args)
        return commands[args.command].run(args)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ProgramFailed as error:
        if args.debug:
            traceback.print_exception(error.__cause__ or error)
        print(f"error: {error}", file=sys.stderr)
        if not args.debug:
            print("       (run with --debug for a traceback)", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    run()
