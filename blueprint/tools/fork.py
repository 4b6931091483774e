"""``blueprint fork <source> <new>``: a new ML project starts from a stack that already passes review.

The new stack file is the source's, comments and all, with what identifies the project re-derived: the naming
prefix (every physical name, together with a hash of project and stack, so two forks never fight over a globally
unique name), the ``project``, ``owner`` and ``costCenter`` tags, the region and the repository CI deploys from.
A fork deployed from the source's repository gets GitHub environments of its own, named after the stack (the
source's environments already hold the source's identities: ``<stack>``, ``<stack>-preview``, ``<stack>-models``);
a fork in a repository of its own keeps the environment names. What cannot carry over is dropped and listed: the source's secrets provider and its encrypted
values (they only decrypt with the source stack's key; a list item holding one, such as a webhook with an encrypted
uri, is dropped whole, with the commands that add it again) and a fixed resource group name (two stacks in one group
would delete each other's resources).

Nothing is written until the new configuration has been validated, previewed offline and checked against the
policy pack: a fork that would fail ``pulumi up --policy-pack policies`` never reaches the disk. The file is then
created in one step, never overwrites an existing one, and is not created at all if the source file changed while
the fork was being checked (the fork would no longer be of the file as it is).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from blueprint.program.config.schema import platform_schema
from blueprint.tools.errors import UsageError
from blueprint.program.project import Project, display_path, is_secure
from blueprint.tools.stack_files import StackFile, config_key, dump_document, plain, read_stack_file

#: Pulumi's stack-name characters, minus a leading dot or dash: the name becomes a file name in stacks/.
STACK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")

#: Top-level stack-file keys that belong to the source stack's own secrets provider.
SOURCE_ONLY_KEYS = ("secretsprovider", "encryptedkey", "encryptionsalt")


@dataclass(frozen=True)
class ForkRequest:
    """What the new project supplies; ``None`` keeps the source's value."""

    source: str
    stack: str
    project: str
    owner: str | None = None
    cost_center: str | None = None
    location: str | None = None
    repository: str | None = None


@dataclass
class ForkChanges:
    """What the fork changed, for the summary and the next steps."""

    changed: list[tuple[str, Any, Any]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def forked_stack_file(project: Project, request: ForkRequest) -> tuple[str, ForkChanges]:
    """The new stack file's text. Raises ``UsageError`` for a bad name, an existing target or a bad source."""
    return fork_text(read_source(project, request), project.name, request)


def read_source(project: Project, request: ForkRequest) -> StackFile:
    """The source stack file, once the names are known to be good and the target free."""
    check_stack_name(request.stack)
    check_project_name(request.project)
    if request.stack == request.source:
        raise UsageError(f"{request.stack}: a fork needs a new stack name, not the source's")
    target = project.stack_file(request.stack)
    if target.exists():
        raise UsageError(f"{display_path(project, target)}: already exists; refusing to overwrite it (choose another stack name, or delete the file first)")
    source = project.stack_file(request.source)
    if not source.is_file():
        raise UsageError(f"{display_path(project, source)}: no such stack file to fork (stacks here: {project.known_stacks()})")
    return read_stack_file(source, display_path(project, source))


def fork_text(source: StackFile, namespace: str, request: ForkRequest) -> tuple[str, ForkChanges]:
    """The forked file's text (``source``'s document is edited in place) and what changed."""
    changes = apply_fork(source.document, namespace, request)
    return source.with_line_endings(_with_origin(dump_document(source.document), request.source)), changes


def check_stack_name(name: str) -> None:
    if not STACK_NAME.fullmatch(name):
        raise UsageError(
            f"stack name {name!r}: expected 1-100 letters, digits, '-', '_' or '.', starting with a letter or digit "
            "(Pulumi's stack-name rule; the name also becomes the file stacks/Pulumi.<stack>.yaml)"
        )


def check_project_name(name: str) -> None:
    """The project name becomes the naming prefix, so it must meet the prefix's rule (from the config schema)."""
    spec = platform_schema()["properties"]["namingPrefix"]
    if not re.fullmatch(spec["pattern"], name):
        raise UsageError(
            f"--project {name!r}: expected {spec['x-expected']} (it becomes mlplatform:namingPrefix, the prefix of "
            "every Azure resource name, and Azure's storage account and registry names allow nothing else)"
        )


def apply_fork(document: CommentedMap, namespace: str, request: ForkRequest) -> ForkChanges:
    """Re-derive the project's identity in ``document`` (in place) and drop what only the source can use."""
    changes = ForkChanges()
    config: CommentedMap = document["config"]
    for key in SOURCE_ONLY_KEYS:
        if key in document:
            del document[key]
            changes.dropped.append(f"{key} (the source stack's secrets provider; `pulumi stack init` sets the new one)")
    changes.dropped += _drop_secrets(config, namespace, request.stack)

    def put(key: str, value: Any, parent: CommentedMap | None = None, label: str | None = None) -> None:
        target = config if parent is None else parent
        name = config_key(target, key, namespace) if parent is None else key
        old = plain(target.get(name))
        if old != value:
            target[name] = value
            changes.changed.append((label or f"{namespace}:{key}", old, value))

    put("namingPrefix", request.project)
    if request.location is not None:
        put("location", request.location)
    tags = _mapping(config, "tags", namespace)
    put("project", request.project, tags, f"{namespace}:tags.project")
    if request.owner is not None:
        put("owner", request.owner, tags, f"{namespace}:tags.owner")
    if request.cost_center is not None:
        put("costCenter", request.cost_center, tags, f"{namespace}:tags.costCenter")
    ci_key = config_key(config, "ci", namespace)
    ci = config.get(ci_key)
    if isinstance(ci, Mapping) and request.repository in (None, plain(ci.get("repository"))):
        # Same repository: the source's GitHub environments already deploy the source, and one environment holds
        # one AZURE_CLIENT_ID, so the fork gets an environment of its own, named after the stack.
        put("environments", _flow([request.stack]), ci, f"{namespace}:ci.environments")
        for key, suffix in (("previewEnvironment", "preview"), ("modelsEnvironment", "models")):
            if key in ci:
                put(key, f"{request.stack}-{suffix}", ci, f"{namespace}:ci.{key}")
    elif isinstance(ci, Mapping):
        put("repository", request.repository, ci, f"{namespace}:ci.repository")
    elif request.repository is not None:
        environment = plain(tags.get("environment"))
        added = CommentedMap([("repository", request.repository), ("environments", _flow([environment]))])
        if environment == "prod":  # prod previews run in an environment with required reviewers (ci.previewEnvironment)
            added["previewEnvironment"] = f"{environment}-preview"
        put("ci", added)
    group_key = config_key(config, "resourceGroupName", namespace)
    if group_key in config:
        changes.dropped.append(f"{namespace}:resourceGroupName {plain(config[group_key])!r} (the fork gets a resource group of its own)")
        del config[group_key]
    return changes


def _flow(items: list[Any]) -> CommentedSeq:
    """A short list written inline (``[a, b]``), as the shipped stack files write them."""
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _mapping(config: CommentedMap, key: str, namespace: str) -> CommentedMap:
    name = config_key(config, key, namespace)
    value = config.get(name)
    if not isinstance(value, CommentedMap):
        value = CommentedMap()
        config[name] = value
    return value


def _drop_secrets(node: Any, path: str, stack: str) -> list[str]:
    """Remove ``{secure: ...}`` values anywhere under ``node`` (mappings and lists); return what was dropped, each
    with how to set it again.

    A secret in a mapping drops its key. A list item that is a secret, or a mapping holding one (a webhook whose
    ``uri`` is encrypted), is dropped whole: the item without its secret would not be valid (a webhook needs its
    uri), and ``pulumi config set --secret --path`` puts it back. A list's items are removed after it has been
    scanned, last first, so removing one never shifts another into its place; the paths name the positions in the
    source file, the commands the positions in the fork (after the items kept).
    """
    dropped: list[str] = []
    if isinstance(node, Mapping):
        for key in list(node):
            where = str(key) if ":" in str(key) else f"{path}.{key}"
            if is_secure(node[key]):
                del node[key]
                dropped.append(f"{where} (encrypted with the source stack's key; set it again with `pulumi config set --secret`)")
            else:
                dropped += _drop_secrets(node[key], where, stack)
    elif isinstance(node, list):
        doomed = [index for index, item in enumerate(node) if _holds_secret(item)]
        position = len(node) - len(doomed)  # where the first item set again lands in the fork: after those kept
        for index, item in enumerate(node):
            where = f"{path}[{index}]"
            if index not in doomed:
                dropped += _drop_secrets(item, where, stack)
            elif is_secure(item):
                dropped.append(f"{where} (encrypted with the source stack's key; set it again with `pulumi config set --secret`)")
                position += 1
            else:
                commands = "\n".join(f"      {command}" for command in _set_again(f"{path}[{position}]", item, stack))
                dropped.append(f"{where} (it holds a value encrypted with the source stack's key, and is not valid without it; after "
                               f"`pulumi stack init`, add it again with:\n{commands})")
                position += 1
        for index in reversed(doomed):
            del node[index]
    return dropped


def _holds_secret(item: Any) -> bool:
    """Whether a list item is a secret, or a mapping holding one (a list inside it handles its own items)."""
    if is_secure(item):
        return True
    return isinstance(item, Mapping) and any(_holds_secret(value) for value in item.values())


def _set_again(key_path: str, value: Any, stack: str) -> list[str]:
    """``pulumi config set --path`` commands that put ``value`` back at ``key_path`` of ``stack``: plain values as
    they are, each secret with ``--secret`` and a placeholder for what only the source's key can decrypt."""
    command = f"pulumi config set --stack {shlex.quote(stack)}"
    if is_secure(value):
        placeholder = key_path.rsplit(".", 1)[-1] if not key_path.endswith("]") else "value"
        return [f"{command} --secret --path {shlex.quote(key_path)} '<{placeholder}>'"]
    if isinstance(value, Mapping):
        return [line for key, item in value.items() for line in _set_again(f"{key_path}.{key}", item, stack)]
    if isinstance(value, list):
        return [line for index, item in enumerate(value) for line in _set_again(f"{key_path}[{index}]", item, stack)]
    text = value if isinstance(value, str) else json.dumps(plain(value))
    return [f"{command} --path {shlex.quote(key_path)} {shlex.quote(text)}"]


def _with_origin(text: str, source: str) -> str:
    """Say where the file came from, after the editor-schema line that has to stay first."""
    note = f"# Forked from stack {source} with `blueprint fork`: review the settings below before the first `pulumi up`.\n"
    first, _, rest = text.partition("\n")
    if first.startswith("# yaml-language-server:"):
        return f"{first}\n{note}{rest}"
    return note + text


def summary(request: ForkRequest, shown: str, changes: ForkChanges, plan: Any, findings: list[Any]) -> str:
    """What the fork changed and dropped, its preview's verdict and cost, and the steps to deploy it: built before
    the file is written, so that a failure here writes nothing."""
    from blueprint.tools.cost import UnpricedRegionError, estimate_plan

    lines = [f"Forked stack {request.source} into {shown}:"]
    lines += [f"  {key}: {_shown(old)} -> {_shown(new)}" for key, old, new in changes.changed]
    lines += [f"  dropped {item}" for item in changes.dropped]
    resources = sum(1 for r in plan.resources if r.custom and r.operation == "create")
    lines.append(f"\nOffline preview: {resources} resources to create; policy pack: no mandatory violation"
                 + (f" ({len(findings)} advisory finding{'s' if len(findings) != 1 else ''}; `blueprint preview {request.stack}` lists them)" if findings else ""))
    try:
        cost = estimate_plan(plan)
    except UnpricedRegionError as error:
        cost = None
        lines.append(f"Estimated cost: none: {error}")
    if cost is not None:
        lines.append(f"Estimated cost: about ${cost.fixed_monthly:,.0f} a month always on, ${cost.peak_monthly:,.0f} in a month with its peak hours")
    lines += _next_steps(request, shown, plan.environment)
    return "\n".join(lines) + "\n"


def _next_steps(request: ForkRequest, shown: str, environment: str | None) -> list[str]:
    stack = request.stack
    pack_config = f"policies/config/{environment}.json" if environment else "policies/config/<environment>.json"
    steps = [
        f"Review {shown}: monitoring e-mails and webhooks, access.breakGlass, the endpoints and their models, the "
        "budget; a private network's addressSpace must not overlap a network it will be peered with, and a network "
        "brought from a landing zone (network.existingVnet, network.privateDns.zones) must be the new project's own "
        "spoke subnet and its hub's zones.",
        f"Compare it with its source: blueprint diff {request.source} {stack}",
        "Log in to the state backend (the bootstrap stack's outputs): pulumi login 'azblob://<container>?storage_account=<account>'",
        f"Create the stack with its environment's Key Vault key (the bootstrap stack's secretsProviders.{environment or '<environment>'}): "
        f"pulumi stack init {stack} --secrets-provider 'azurekeyvault://<vault>.vault.azure.net/keys/<key>'",
        f"Deploy: pulumi up --stack {stack} --policy-pack policies --policy-pack-config {pack_config}",
        f"Give its CI identities their state: list {stack} under stateBackend.environments.{environment or '<environment>'}.stacks in "
        "stacks/Pulumi.bootstrap.yaml and update the bootstrap stack (docs/state-backend.md).",
        "Let CI deploy it: add the stack to .github/workflows/infrastructure.yml and create its GitHub environments (docs/ci-cd.md).",
    ]
    return ["\nNext steps:"] + [f"  {number}. {step}" for number, step in enumerate(steps, start=1)]


def _shown(value: Any) -> str:
    return "(none)" if value is None else str(value)
