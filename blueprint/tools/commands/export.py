"""``blueprint export STACK --format arm``: preview the stack offline and write its plan as an ARM deployment
template, for scanners and reviews written for ARM (blueprint/tools/arm_export.py, docs/arm-export.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from blueprint.tools.commands.options import Subparsers, add_program
from blueprint.tools.exit_codes import EXIT_OK

NAME = "export"
#: Formats the command writes.
FORMATS = ("arm",)


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        NAME,
        help="write a stack's offline plan as an ARM deployment template, for Checkov, PSRule or what-if",
        description="Preview the stack offline and write its plan as an ARM deployment template (resource-group "
        "scope): what Checkov, PSRule for Azure and `az deployment group what-if` read. A review artefact, not a "
        "deployment path: Pulumi deploys the stack. Resources ARM cannot declare are listed in metadata.notExported.",
    )
    parser.add_argument("stack", metavar="STACK", help="the stack to export, e.g. prod")
    parser.add_argument("--format", required=True, choices=FORMATS, help="the export's format: arm (an ARM deployment template)")
    parser.add_argument("--output", metavar="PATH", help="write the template to PATH (default: standard output)")
    add_program(parser)


def run(args: argparse.Namespace) -> int:
    from blueprint.tools.arm_export import export_template
    from blueprint.tools.arm_shape import ExportError
    from blueprint.tools.atomic_files import write_atomic
    from blueprint.tools.errors import UsageError
    from blueprint.tools.preview.runner import run_stack  # imports pulumi: only for commands that run programs
    from blueprint.program.project import load_project, read_stack_config

    project = load_project(args.program.resolve())
    output = Path(args.output) if args.output not in (None, "-") else None
    if output is not None:
        from blueprint.tools.output_paths import check_output_file

        check_output_file(output, project, option="--output")
    plan = run_stack(project, args.stack, read_stack_config(project, args.stack))
    try:
        template = export_template(plan)
    except ExportError as error:
        raise UsageError(f"cannot export stack {args.stack} as an ARM template: {error}") from None
    text = json.dumps(template, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
        return EXIT_OK
    write_atomic(output, text, create_parents=True)
    exported = len(template["resources"])
    left_out = len(template["metadata"]["notExported"])
    print(f"ARM template of {plan.project}/{plan.stack} written to {output} "
          f"({exported} top-level resources; {left_out} not ARM resources, listed in metadata.notExported)")
    return EXIT_OK
