"""The ``blueprint`` command line: ``blueprint preview <stack>`` and ``blueprint schema``.

Exit codes: 0 success, 1 the program failed (a bug, reported with ``--debug`` for a traceback), 2 bad usage or
bad input (a short message naming the file and key, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from blueprint.errors import UsageError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="blueprint", description="Azure MLOps blueprint: offline preview and tools for its stacks.")
    parser.add_argument("--debug", action="store_true", help="show a traceback when the program itself fails")
    commands = parser.add_subparsers(dest="command", required=True)

    preview = commands.add_parser(
        "preview",
        help="run the Pulumi program offline under mocks and show what the stack would create",
        description="Run the real Pulumi program with the stack's config under Pulumi's mock runtime, with mocks "
        "that answer like Azure Resource Manager, and print the plan.",
    )
    preview.add_argument("stack", help="stack name: stacks/Pulumi.<stack>.yaml")
    preview.add_argument("--program", type=Path, default=Path.cwd(), metavar="DIR", help="Pulumi project directory (default: the current directory)")
    preview.add_argument("--json", nargs="?", const="-", metavar="PATH", help="also write the plan as JSON to PATH ('-' or no PATH: standard output, tree omitted)")

    schema = commands.add_parser("schema", help="print the JSON Schema editors use to validate stack files")
    schema.add_argument("--program", type=Path, default=Path.cwd(), metavar="DIR", help="Pulumi project directory (its name is the config namespace)")

    templates = commands.add_parser("templates", help="tools for the Azure ML templates (ml_templates/)")
    template_commands = templates.add_subparsers(dest="templates_command", metavar="COMMAND", required=True)
    validate = template_commands.add_parser(
        "validate",
        help="load every Azure ML template with azure-ai-ml, offline, and report what it refuses",
        description="Load every YAML file with a $schema under DIR with the azure-ai-ml loader for its kind, as "
        "'az ml ... create' would, without a workspace. Needs requirements-ml.txt. Exit 0 when all load, 2 otherwise.",
    )
    validate.add_argument("--program", type=Path, default=Path.cwd(), metavar="DIR", help="project directory (default: the current directory)")
    validate.add_argument("--path", type=Path, metavar="DIR", help="templates directory (default: ml_templates in the project directory)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "preview":
            return _preview(args)
        if args.command == "schema":
            return _schema(args)
        if args.command == "templates":
            return _templates_validate(args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_USAGE


def _preview(args: argparse.Namespace) -> int:
    from blueprint.config.errors import ConfigError  # imports pulumi: only for commands that run programs
    from blueprint.cost import estimate_plan, estimate_to_json, render_estimate
    from blueprint.preview.plan import write_json
    from blueprint.preview.render import render_plan
    from blueprint.preview.runner import run_program
    from blueprint.project import load_project, read_stack_config

    project = load_project(args.program.resolve())
    config = read_stack_config(project, args.stack)
    try:
        plan = run_program(project, args.stack, config)
    except (ConfigError, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:  # the program failed: say where, keep the traceback for --debug
        if args.debug:
            traceback.print_exc()
        print(f"error: the program of {project.name} failed for stack {args.stack}: {type(error).__name__}: {error}", file=sys.stderr)
        if not args.debug:
            print("       (run with --debug for a traceback)", file=sys.stderr)
        return EXIT_FAILED

    cost = estimate_plan(plan)
    document = plan.to_json()
    if cost is not None:
        document["cost"] = estimate_to_json(cost)
    if args.json == "-":
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    sys.stdout.write(render_plan(plan))
    if cost is not None:
        sys.stdout.write("\n" + render_estimate(cost))
    if args.json:
        path = Path(args.json)
        write_json(document, path)
        print(f"\nPlan written to {path}")
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    from blueprint.config.schema import stack_file_schema
    from blueprint.project import load_project

    project = load_project(args.program.resolve())
    json.dump(stack_file_schema(project.name), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return EXIT_OK


def _templates_validate(args: argparse.Namespace) -> int:
    from blueprint.templates.validate import check_templates  # imports azure-ai-ml when it runs: never on the preview path

    root = args.path if args.path is not None else args.program / "ml_templates"
    report = check_templates(root)
    for problem in report.problems:
        print(problem)
    checked = len(report.checked)
    if report.problems:
        count = len(report.problems)
        print(f"\n{count} problem{'s' if count != 1 else ''} in {len(report.invalid)} of {checked} templates under {root}")
        return EXIT_USAGE
    print(f"{checked} template{'s' if checked != 1 else ''} under {root} load with azure-ai-ml")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
