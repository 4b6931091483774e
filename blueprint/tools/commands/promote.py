"""``blueprint promote STACK --endpoint E --deployment D --model REF``: point one deployment at another model in the
stack file, validated, so that a promotion goes through review like any other change (blueprint/tools/promote.py)."""

from __future__ import annotations

import argparse

from blueprint.tools.commands.options import Subparsers, add_program
from blueprint.tools.exit_codes import EXIT_OK, EXIT_USAGE

NAME = "promote"


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        NAME,
        help="point one deployment of a stack's endpoint at another model version, in the stack file",
        description="Set mlplatform:endpoints[<endpoint>].deployments[<deployment>].model in the stack file "
        "(comments kept), after checking that the result is a valid stack configuration. The models workflow uses it "
        f"to open the pull request that promotes a registered model to prod. Exit {EXIT_OK} changed or already set, {EXIT_USAGE} bad "
        "usage or input (nothing written).",
    )
    parser.add_argument("stack", help="stack whose file to change, e.g. prod")
    parser.add_argument("--endpoint", required=True, metavar="NAME", help="endpoint name in mlplatform:endpoints")
    parser.add_argument("--deployment", required=True, metavar="NAME", help="deployment name under that endpoint, e.g. green")
    parser.add_argument("--model", required=True, metavar="REF", help="model reference, e.g. registry:fraud-classifier:7")
    add_program(parser)


def run(args: argparse.Namespace) -> int:
    """The file is replaced only if the result validates and nobody changed it since it was read."""
    from blueprint.tools import promote as promotion
    from blueprint.tools.errors import UsageError
    from blueprint.tools.stack_files import read_stack_file, replace_unchanged
    from blueprint.program.project import display_path, load_project

    project = load_project(args.program.resolve())
    path = project.stack_file(args.stack)
    shown = display_path(project, path)
    if not path.is_file():
        raise UsageError(f"{shown}: no such stack file (stacks here: {project.known_stacks()})")
    stack_file = read_stack_file(path, shown)
    key, old = promotion.set_deployment_model(
        stack_file.document["config"], project.name, args.endpoint, args.deployment, args.model, shown, stack_file.document
    )
    if old == args.model:
        print(f"{shown}: {key} is already {args.model}; nothing to change")
        return EXIT_OK
    text = stack_file.edited_text()
    promotion.validate(project, args.stack, text, shown)
    replace_unchanged(stack_file, text)  # refuses (UsageError) if the file changed since it was read
    print(f"{shown}: {key}: {old} -> {args.model}")
    return EXIT_OK
