"""``blueprint templates validate``: load every Azure ML template with azure-ai-ml, offline, as ``az ml ... create``
would, and report what it refuses (azure-ai-ml is imported only when it runs). ``blueprint templates render STACK``:
the templates with the stack's registry and published versions pinned, ready for the models workflow to publish."""

from __future__ import annotations

import argparse
from pathlib import Path

from blueprint.tools.commands.options import Subparsers, add_program
from blueprint.tools.errors import UsageError
from blueprint.tools.exit_codes import EXIT_OK, EXIT_USAGE

NAME = "templates"
VALIDATE = "validate"
RENDER = "render"


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(NAME, help="tools for the Azure ML templates (ml_templates/)")
    commands = parser.add_subparsers(dest="templates_command", metavar="COMMAND", required=True)
    validate = commands.add_parser(
        VALIDATE,
        help="load every Azure ML template with azure-ai-ml, offline, and report what it refuses",
        description="Load every YAML file with a $schema under DIR with the azure-ai-ml loader for its kind, as "
        f"'az ml ... create' would, without a workspace. Needs azure-ai-ml, which the dev set-up installs "
        f"(bash scripts/setup.sh --dev). Exit {EXIT_OK} when all load, "
        f"{EXIT_USAGE} otherwise (or when DIR holds none).",
    )
    add_program(validate, "project directory (default: the current directory)")
    validate.add_argument("--path", type=Path, metavar="DIR", help="templates directory (default: ml_templates in the project directory)")
    render = commands.add_parser(
        RENDER,
        help="write ml_templates/ rendered for a stack: its registry, pinned environment versions, content-versioned components",
        description="Preview STACK offline for its registry and the environment versions its shared stack publishes, "
        "and write ml_templates/ into DIR (a new folder) with every registry reference pinned, every command component "
        "versioned by its content, the pipeline's jobs pointing at those registry versions, the pipeline component the "
        "retraining schedule runs, and publish.tsv (file, name, version: what to publish, in order). "
        f"Exit {EXIT_OK} when written, {EXIT_USAGE} on bad input (nothing written).",
    )
    render.add_argument("stack", metavar="STACK", help="environment stack whose shared registry the templates use")
    add_program(render)
    render.add_argument("--output", type=Path, required=True, metavar="DIR", help="folder to write (must not exist)")


def run(args: argparse.Namespace) -> int:
    """A template azure-ai-ml refuses, or one that names what the stack does not publish, is bad input."""
    if args.templates_command == RENDER:
        return _render(args)
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


def _render(args: argparse.Namespace) -> int:
    from blueprint.program.project import load_project, read_stack_config
    from blueprint.tools.preview.runner import run_stack
    from blueprint.tools.templates.render import PUBLISH_LIST, render

    project = load_project(args.program.resolve())
    plan = run_stack(project, args.stack, read_stack_config(project, args.stack))
    registry, environments = plan.outputs.get("registryName"), plan.outputs.get("environments")
    if not isinstance(registry, str) or not isinstance(environments, dict):
        raise UsageError(f"stack {args.stack}: no shared registry (registryName and environments outputs); templates render for a stack with mlplatform:sharedStack")
    published = render(project.directory / "ml_templates", registry, environments, args.output)
    for item in published:
        print(f"{item.name} {item.version}  {item.file}")
    print(f"Rendered ml_templates/ for stack {args.stack} (registry {registry}) into {args.output}; publish in the order of {PUBLISH_LIST}")
    return EXIT_OK
