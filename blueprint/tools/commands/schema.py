"""``blueprint schema``: print the JSON Schema editors use to validate stack files (generated from the program's own
config schema, so the editor and the program never disagree)."""

from __future__ import annotations

import argparse
import json
import sys

from blueprint.tools.commands.options import Subparsers, add_program
from blueprint.tools.exit_codes import EXIT_OK

NAME = "schema"


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(NAME, help="print the JSON Schema editors use to validate stack files")
    add_program(parser, "Pulumi project directory (its name is the config namespace)")


def run(args: argparse.Namespace) -> int:
    from blueprint.program.config.schema import stack_file_schema
    from blueprint.program.project import load_project

    project = load_project(args.program.resolve())
    json.dump(stack_file_schema(project.name), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return EXIT_OK
