"""Run one policy the way the engine does, on hand-built inputs shaped like CrossGuard's (camelCase, floats)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "policies"))

from pulumi_policy import (  # noqa: E402
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)


def _options(protect: bool = False) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], False, [], PolicyCustomTimeouts(0, 0, 0), [])


def run_resource_policy(policy: Any, resource_type: str, props: Mapping[str, Any], *, name: str = "subject",
                        config: Mapping[str, Any] | None = None, protect: bool = False) -> list[str]:
    """The violation messages ``policy`` reports for one resource (``not applicable: ...`` when waived)."""
    urn = f"urn:pulumi:test::mlplatform::{resource_type}::{name}"
    args = ResourceValidationArgs(resource_type, dict(props), urn, name, _options(protect), None, dict(config or {}))
    messages: list[str] = []
    try:
        validations = policy.validate if isinstance(policy.validate, list) else [policy.validate]
        for validate in validations:
            validate(args, lambda message, urn=None: messages.append(message))
    except Exception as error:  # noqa: BLE001
        if type(error).__name__ == "_NotApplicableError":
            return [f"not applicable: {error.reason}"]
        raise
    return messages


@dataclass
class StackResource:
    """A resource as a stack policy sees it: outputs, and the resources it depends on (by name here)."""

    type: str
    name: str
    props: dict[str, Any]
    depends_on: Sequence[str] = ()
    property_dependencies: dict[str, Sequence[str]] = field(default_factory=dict)
    protect: bool = False


def run_stack_policy(policy: Any, resources: Sequence[StackResource], *, config: Mapping[str, Any] | None = None) -> list[tuple[str | None, str]]:
    """(urn or None, message) for each violation ``policy`` reports on the stack."""
    built = {
        r.name: PolicyResource(r.type, r.props, f"urn:pulumi:test::mlplatform::{r.type}::{r.name}", r.name,
                               _options(r.protect), None, None, [], {})
        for r in resources
    }
    for r in resources:
        built[r.name].dependencies = [built[d] for d in r.depends_on]
        built[r.name].property_dependencies = {k: [built[d] for d in v] for k, v in r.property_dependencies.items()}
    found: list[tuple[str | None, str]] = []
    policy.validate(StackValidationArgs(list(built.values()), dict(config or {})), lambda message, urn=None: found.append((urn, message)))
    return found


def plan_stack_resources(plan: Any) -> list[StackResource]:
    """A plan as stack policies see it: each created resource's outputs, dependencies by name, protect."""
    import copy

    created = [r for r in plan.resources if r.custom and r.operation == "create"]
    names = {r.urn: r.name for r in created}
    return [
        StackResource(
            r.type, r.name, copy.deepcopy(r.outputs), [names[u] for u in r.dependencies if u in names],
            {k: [names[u] for u in v if u in names] for k, v in r.property_dependencies.items()}, r.protect,
        )
        for r in created
    ]


def plan_violations(plan: Any, policies: Sequence[Any], resources: list[StackResource] | None = None) -> dict[str, list[str]]:
    """Violation messages by policy on a plan, with the pack config of the plan's environment honoured
    (disabled policies skipped, waivers applied): resource policies on inputs, stack policies on outputs."""
    from pulumi_policy import ResourceValidationPolicy

    from blueprint.policy_check import load_pack_config, policy_settings

    environment = plan.outputs.get("environment")
    pack = load_pack_config(REPO / "policies", environment if isinstance(environment, str) else None)
    created = [r for r in plan.resources if r.custom and r.operation == "create"]
    found: dict[str, list[str]] = {}
    for policy in policies:
        level, config = policy_settings(pack, policy.name)
        if level == "disabled":
            continue
        if isinstance(policy, ResourceValidationPolicy):
            messages = [
                m for r in created
                for m in run_resource_policy(policy, r.type, r.inputs, name=r.name, protect=r.protect, config=config)
                if not m.startswith("not applicable")
            ]
        else:
            messages = [m for _, m in run_stack_policy(policy, resources or plan_stack_resources(plan), config=config)]
        if messages:
            found[policy.name] = messages
    return found


#: Marks a property to remove in :func:`changed`.
DROP = object()


def changed(props: Mapping[str, Any], *edits: tuple[str, Any], **paths: Any) -> dict[str, Any]:
    """A deep copy of ``props`` with edits applied: ``("a.b", value)`` tuples, or keywords with ``__`` for ``.``
    (``a__b=value``); the value :data:`DROP` removes the property."""
    import copy

    result = copy.deepcopy(dict(props))
    for path, value in [*edits, *((key.replace("__", "."), value) for key, value in paths.items())]:
        *parents, leaf = path.split(".")
        node = result
        for part in parents:
            node = node.setdefault(part, {})
        if value is DROP:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return result
