"""``blueprint diff STACK_A STACK_B``: preview both stacks and print what promoting from one to the other changes,
resources matched by logical role (blueprint/tools/stack_diff.py)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from blueprint.tools.commands.options import Subparsers, add_json, add_program
from blueprint.tools.exit_codes import EXIT_OK

NAME = "diff"


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        NAME,
        help="what differs between two stacks' plans, resources matched by logical role",
        description="Preview both stacks offline and list the resources only one of them has and the settings that "
        "differ between resources playing the same role (same type and logical name), physical names aside: what "
        "promoting from STACK_A to STACK_B changes.",
    )
    parser.add_argument("stack_a", metavar="STACK_A", help="the stack promoted from, e.g. staging")
    parser.add_argument("stack_b", metavar="STACK_B", help="the stack promoted to, e.g. prod")
    add_program(parser)
    add_json(parser, "write the differences as JSON to PATH ('-' or no PATH: standard output)")


def run(args: argparse.Namespace) -> int:
    """Differences are information, not a failure: the command succeeds whenever both previews ran."""
    from blueprint.tools.preview.plan import write_json
    from blueprint.tools.preview.runner import run_stack  # imports pulumi: only for commands that run programs
    from blueprint.tools.stack_diff import compare_cost, diff_plans, render_diff
    from blueprint.program.project import load_project, read_stack_config

    project = load_project(args.program.resolve())
    if args.json not in (None, "-"):
        from blueprint.tools.output_paths import check_output_file

        check_output_file(Path(args.json), project)
    configs = {stack: read_stack_config(project, stack) for stack in dict.fromkeys((args.stack_a, args.stack_b))}
    plans = {stack: run_stack(project, stack, config) for stack, config in configs.items()}

    plan_a, plan_b = plans[args.stack_a], plans[args.stack_b]
    diff = diff_plans(plan_a, plan_b)
    diff.cost = compare_cost(plan_a, plan_b)
    if args.json is None:
        sys.stdout.write(render_diff(diff))
        return EXIT_OK
    if args.json == "-":
        sys.stdout.write(json.dumps(diff.to_json(), indent=2) + "\n")
        return EXIT_OK
    path = Path(args.json)
    write_json(diff.to_json(), path)
    sys.stdout.write(render_diff(diff))
    print(f"\nDifferences written to {path}")
    return EXIT_OK
