"""``blueprint promote <stack> --endpoint E --deployment D --model REF``: move one deployment to another model.

Promotion changes what serves traffic, so it goes through the same path as any other infrastructure change: the
stack file in git, a pull request, the policy pack and ``pulumi up``. The models workflow calls this command to
write the new model version into the prod stack file and opens the pull request; a person can run it just as well.

Only that one value changes: the file keeps its comments, layout and line endings. The result is validated as a
whole stack configuration (the model reference's form included) before the file is replaced, in one step; an
unknown endpoint or deployment, or an invalid reference, leaves the file untouched and is bad input. So is a
file that changed between reading and writing (another promote, a person's edit): nothing of either change is lost,
and the command asks to be run again on the file as it now is. A stack file that is a symbolic link stays one: the
file it leads to is the one updated.

A deployment reached through a node the file shares with another place (an anchor and its alias, or a mapping
merged with ``<<``) is refused too: the change would reach both, so the shared part has to be written out first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blueprint.tools.errors import UsageError
from blueprint.program.project import Project
from blueprint.tools.stack_files import config_key, document_config, plain


def set_deployment_model(
    config: Any, namespace: str, endpoint: str, deployment: str, model: str, shown: str, document: Any = None
) -> tuple[str, Any]:
    """Set the model of ``endpoint``/``deployment`` in ``config`` (in place); return its key path and old value.

    ``document`` (the whole file, ``config`` by default) is searched for other users of the nodes on the way: a
    node shared through a YAML anchor and alias would change everywhere it is used, so that is refused.
    """
    endpoints_key = config_key(config, "endpoints", namespace)
    endpoints = config.get(endpoints_key)
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
    if old != model:
        _refuse_shared(document if document is not None else {"config": config}, [
            (endpoints_key, endpoints),
            (f"{endpoints_key}[{index}]", found),
            (f"{endpoints_key}[{index}].deployments", deployments),
            (f"{endpoints_key}[{index}].deployments[{position}]", target),
        ], shown)
    target["model"] = model
    return f"{namespace}:endpoints[{index}].deployments[{position}].model", old


def _refuse_shared(document: Any, chain: list[tuple[str, Any]], shown: str) -> None:
    """Refuse the change when a node on the way to it (``chain``: key path and node, outermost first) is used
    elsewhere too, through an alias (``*name``) or a merge key (``<<: *name``): the change would reach every user."""
    users: dict[int, list[str]] = {}
    for key, value in document.items():  # key paths as messages name them: config's keys at the top
        _users(value, "" if key == "config" else str(key), users)
    for where, node in chain:
        others = [path for path in users.get(id(node), []) if path != where]
        if others:
            anchor = getattr(getattr(node, "anchor", None), "value", None)
            raise UsageError(
                f"{shown}: {where} is shared through the YAML anchor &{anchor or '?'} with {', '.join(others)}: promoting "
                f"here would change both; write the shared part out in each place (without the anchor and alias) first "
                "(nothing written)"
            )


def _users(node: Any, path: str, found: dict[int, list[str]] | None = None) -> dict[int, list[str]]:
    """Every mapping and list under ``node`` (by identity) -> the key paths where it is used; a node shared through an
    alias has several, and so has a merge source (``<<: *name``: its users are the mappings merging it)."""
    found = {} if found is None else found
    if not isinstance(node, (Mapping, list)):
        return found
    seen = id(node) in found
    found.setdefault(id(node), []).append(path)
    if seen:  # its children were walked at its first use
        return found
    if isinstance(node, Mapping):
        for source in getattr(node, "merge", None) or []:
            mapping = source[1] if isinstance(source, tuple) else source
            found.setdefault(id(mapping), []).append(f"{path} (merging it with <<)")
        for key, value in node.items():
            _users(value, f"{path}.{key}" if path else str(key), found)
    else:
        for index, item in enumerate(node):
            _users(item, f"{path}[{index}]", found)
    return found


def validate(project: Project, stack: str, text: str, shown: str) -> None:
    """The changed file must still be a valid stack configuration; raise ``UsageError`` listing what is not."""
    from blueprint.program.config.errors import ConfigError
    from blueprint.program.config.loader import load_platform_config

    try:
        config = document_config(project, text, shown)
        load_platform_config(config, project=project.name, stack=stack, source=shown, secret_keys=config.secret_keys)
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
