"""``blueprint promote <stack> --endpoint E --deployment D --model REF``: move one deployment to another model.

Promotion changes what serves traffic, so it goes through the same path as any other infrastructure change: the
stack file in git, a pull request, the policy pack and ``pulumi up``. The models workflow calls this command to
write the new model version into the prod stack file and opens the pull request; a person can run it just as well.

Only that one value changes: the file keeps its comments, layout and line endings. The result is validated as a
whole stack configuration (the model reference's form included) before the file is replaced, in one step; an unknown endpoint
or deployment, or an invalid reference, leaves the file untouched and exits with code 2. So does a file that changed
between reading and writing (another promote, a person's edit): nothing of either change is lost, and the command
asks to be run again on the file as it now is.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from blueprint.errors import UsageError
from blueprint.project import Project, display_path, load_project
from blueprint.stack_files import config_key, document_config, plain, read_stack_file, replace_unchanged

EXIT_OK, EXIT_USAGE = 0, 2


def promote_command(args: argparse.Namespace) -> int:
    """Run ``blueprint promote``; see the module docstring."""
    project = load_project(args.program.resolve())
    path = project.stack_file(args.stack)
    shown = display_path(project, path)
    if not path.is_file():
        raise UsageError(f"{shown}: no such stack file (stacks here: {project.known_stacks()})")
    stack_file = read_stack_file(path, shown)
    key, old = set_deployment_model(stack_file.document["config"], project.name, args.endpoint, args.deployment, args.model, shown)
    if old == args.model:
        print(f"{shown}: {key} is already {args.model}; nothing to change")
        return EXIT_OK
    text = stack_file.edited_text()
    validate(project, args.stack, text, shown)
    replace_unchanged(stack_file, text)  # refuses (exit 2) if the file changed since it was read
    print(f"{shown}: {key}: {old} -> {args.model}")
    return EXIT_OK


def set_deployment_model(config: Any, namespace: str, endpoint: str, deployment: str, model: str, shown: str) -> tuple[str, Any]:
    """Set the model of ``endpoint``/``deployment`` in ``config`` (in place); return its key path and old value."""
    endpoints = config.get(config_key(config, "endpoints", namespace))
    if not isinstance(endpoints, list) or not endpoints:
        raise UsageError(f"{shown}: {namespace}:endpoints: expected the stack's online endpoints, found none")
    index, found = _named(endpoints, endpoint)
    if found is None:
        raise UsageError(f"{shown}: {namespace}:endpoints: no endpoint named {endpoint!r} (endpoints here: {_names(endpoints)})")
    deployments = found.get("deployments")
    position, target = _named(deployments if isinstance(deployments, list) else [], deployment)
    if target is None:
        listed = _names(deployments) if isinstance(deployments, list) else "none"
        raise UsageError(f"{shown}: {namespace}:endpoints[{index}].deployments: no deployment named {deployment!r} (deployments here: {listed})")
    old = plain(target.get("model"))
    target["model"] = model
    return f"{namespace}:endpoints[{index}].deployments[{position}].model", old


def validate(project: Project, stack: str, text: str, shown: str) -> None:
    """The changed file must still be a valid stack configuration; raise ``UsageError`` listing what is not."""
    from blueprint.config.errors import ConfigError
    from blueprint.config.loader import load_platform_config

    try:
        load_platform_config(document_config(project, text, shown), project=project.name, stack=stack, source=shown)
    except ConfigError as error:
        raise UsageError(f"{error}\n(nothing written)") from None


def _named(items: list[Any], name: str) -> tuple[int, Any]:
    for index, item in enumerate(items):
        if isinstance(item, Mapping) and item.get("name") == name:
            return index, item
    return -1, None


def _names(items: list[Any]) -> str:
    names = [str(item.get("name")) for item in items if isinstance(item, Mapping)]
    return ", ".join(names) or "none"
