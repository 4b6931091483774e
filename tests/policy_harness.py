"""Run policies through the real code path, on hand-built resources shaped like CrossGuard's (camelCase, floats).

Nothing here interprets a pack config: a policy's settings become a pack config document that the pack's own
``pack_config.validate`` checks (so a test cannot use a config the engine or ``blueprint check`` would refuse), and
``blueprint.tools.policy_check.evaluate`` runs the policy on a plan of the given resources exactly as ``blueprint check``
and ``blueprint preview`` do (waivers, enforcement levels, ``None`` config for a policy without settings).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from blueprint.tools.policy_check import evaluate, load_pack_config, load_policies
from blueprint.tools.preview.plan import Plan, PlannedResource
from tests.conftest import REPO

PACK = REPO / "policies"
#: The pack's policies, imported as blueprint check imports them (this also puts policies/ on sys.path).
POLICIES = load_policies(PACK)

from mlplatform_policies import pack_config  # noqa: E402 - importable once load_policies has found the pack

STACK = "test"


def _urn(resource_type: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::mlplatform::{resource_type}::{name}"


def policy_config(policy: Any, config: Mapping[str, Any] | None) -> Any:
    """``config`` (the policy's settings: ``waivers``, ``quota``...) as a validated pack config naming ``policy``."""
    document = {policy.name: dict(config)} if config else {}
    return pack_config.validate(document, [policy], f"pack config of {policy.name}")


def run_resource_policy(policy: Any, resource_type: str, props: Mapping[str, Any], *, name: str = "subject",
                        config: Mapping[str, Any] | None = None, protect: bool = False) -> list[str]:
    """The violation messages ``policy`` reports for one resource (``not applicable: ...`` when waived)."""
    resource = PlannedResource(_urn(resource_type, name), resource_type, name, None, True, dict(props), [], {}, protect,
                               outputs=dict(props))
    findings = evaluate(Plan("mlplatform", STACK, [resource]), [policy], policy_config(policy, config))
    return [finding.message for finding in findings]


@dataclass
class StackResource:
    """A resource as a stack policy sees it: outputs, and the resources it depends on (by name here)."""

    type: str
    name: str
    props: dict[str, Any]
    depends_on: Sequence[str] = ()
    property_dependencies: dict[str, Sequence[str]] = field(default_factory=dict)
    protect: bool = False


def stack_plan(resources: Sequence[StackResource]) -> Plan:
    """A plan of ``resources``: their props as inputs and outputs, dependencies linked by URN."""
    urns = {r.name: _urn(r.type, r.name) for r in resources}
    return Plan("mlplatform", STACK, [
        PlannedResource(urns[r.name], r.type, r.name, None, True, r.props, [urns[d] for d in r.depends_on],
                        {key: [urns[d] for d in names] for key, names in r.property_dependencies.items()}, r.protect,
                        outputs=r.props)
        for r in resources
    ])


def run_stack_policy(policy: Any, resources: Sequence[StackResource], *, config: Mapping[str, Any] | None = None) -> list[tuple[str | None, str]]:
    """(urn or None, message) for each violation ``policy`` reports on the stack."""
    return [(f.urn, f.message) for f in evaluate(stack_plan(resources), [policy], policy_config(policy, config))]


def plan_stack_resources(plan: Any) -> list[StackResource]:
    """A plan as stack policies see it: each created resource's outputs, dependencies by name, protect."""
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
    """Violation messages by policy on a plan under the shipped pack config of the plan's environment (disabled
    policies skipped, waivers applied): resource policies on inputs, stack policies on outputs (of ``resources``
    instead, when given)."""
    from pulumi_policy import StackValidationPolicy

    environment = plan.outputs.get("environment")
    config = load_pack_config(PACK, environment if isinstance(environment, str) else None)
    findings = evaluate(plan, [p for p in policies if not isinstance(p, StackValidationPolicy)], config)
    stack_policies = [p for p in policies if isinstance(p, StackValidationPolicy)]
    findings += evaluate(plan if resources is None else stack_plan(resources), stack_policies, config)
    found: dict[str, list[str]] = {}
    for finding in findings:
        if finding.waived is None:
            found.setdefault(finding.policy, []).append(finding.message)
    return found


#: Marks a property to remove in :func:`changed`.
DROP = object()


def changed(props: Mapping[str, Any], *edits: tuple[str, Any], **paths: Any) -> dict[str, Any]:
    """A deep copy of ``props`` with edits applied: ``("a.b", value)`` tuples, or keywords with ``__`` for ``.``
    (``a__b=value``); the value :data:`DROP` removes the property."""
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
