"""The CLI's commands, one module each, in the order ``blueprint --help`` lists them.

Every command is written the same way: its module names it (``NAME``), declares its parser
(``add_parser(subparsers)``) and runs it (``run(args)``, returning a code of blueprint/tools/exit_codes.py, or
raising ``UsageError``/``ProgramFailed`` for the CLI to report). A command module imports only the standard library
and these small modules at the top: what a command needs (pulumi, the pack, azure-ai-ml) is imported when it runs,
so ``blueprint --help`` and every other command do not pay for it.
"""

from __future__ import annotations

import argparse
from typing import Protocol

from blueprint.tools.commands import check, diff, export, fork, graph, pipeline, policies, preview, promote, report, schema, templates
from blueprint.tools.commands.options import Subparsers


class Command(Protocol):
    """What a command module provides (the module itself is the command)."""

    NAME: str

    def add_parser(self, subparsers: Subparsers) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


COMMANDS: tuple[Command, ...] = (preview, schema, templates, pipeline, check, fork, diff, promote, policies, export, graph, report)
