"""``blueprint templates validate``: load every Azure ML template with azure-ai-ml, offline, as ``az ml ... create``
would, and report what it refuses. azure-ai-ml is imported only when the sub-command runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from blueprint.tools.commands.options import Subparsers, add_program
from blueprint.tools.errors import UsageError
from blueprint.tools.exit_codes import EXIT_OK, EXIT_USAGE

NAME = "templates"
VALIDATE = "validate"


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(NAME, help="tools for the Azure ML templates (ml_templates/)")
    commands = parser.add_subparsers(dest="templates_command", metavar="COMMAND", required=True)
    validate = commands.add_parser(
        VALIDATE,
        help="load every Azure ML template with azure-ai-ml, offline, and report what it refuses",
        description="Load every YAML file with a $schema under DIR with the azure-ai-ml loader for its kind, as "
        f"'az ml ... create' would, without a workspace. Needs requirements-ml.txt. Exit {EXIT_OK} when all load, "
        f"{EXIT_USAGE} otherwise (or when DIR holds none).",
    )
    add_program(validate, "project directory (default: the current directory)")
    validate.add_argument("--path", type=Path, metavar="DIR", help="templates directory (default: ml_templates in the project directory)")


def run(args: argparse.Namespace) -> int:
    """``validate``, the one sub-command (argparse requires it): a template azure-ai-ml refuses is bad input."""
    from blueprint.tools.templates.validate import check_templates  # imports azure-ai-ml when it runs: never on the preview path

    root = args.path if args.path is not None else args.program / "ml_templates"
    report = check_templates(root)
    if not report.checked:  # "0 templates load" would report success about nothing
        raise UsageError(f"{root}: no Azure ML templates here (YAML files with a $schema); nothing was checked")
    for problem in report.problems:
        print(problem)
    checked = len(report.checked)
    if report.problems:
        count = len(report.problems)
        print(f"\n{count} problem{'s' if count != 1 else ''} in {len(report.invalid)} of {checked} templates under {root}")
        return EXIT_USAGE
    print(f"{checked} template{'s' if checked != 1 else ''} under {root} load with azure-ai-ml")
    return EXIT_OK
