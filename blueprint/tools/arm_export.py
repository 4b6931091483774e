"""A stack's offline plan as an ARM deployment template, for scanners written for ARM (``blueprint export``).

The template is a resource-group template (``deploymentTemplate.json#``) for the resource group the stack creates:
what ``az deployment group what-if --resource-group <group>`` and Checkov or PSRule for Azure read. Resources the
stack places in another resource group (a role on the shared ML registry) are in a nested deployment to that group,
and subscription-scope ones in a nested deployment at subscription scope, as ARM itself would deploy them from a
resource-group deployment. What ARM cannot declare is listed, with the reason, in ``metadata.notExported``: the
resource group itself (the template is deployed into it; ``metadata.resourceGroups`` has its location and tags),
Microsoft Entra objects, Pulumi's components, stack and providers, and anything only read. Nothing is dropped silently.

Values are the offline preview's: IDs, names and outputs the mock derives deterministically (subscription
``00000000-0000-4000-8000-000000000001``). Secrets of the stack's configuration are not exported: each is a
``securestring`` parameter without a default. The template documents the plan; Pulumi remains the deployment path.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from blueprint.tools.arm_shape import (
    ExportError,
    api_version,
    arm_address,
    arm_body,
    arm_values,
    dotted,
    replaced,
    secret_paths,
)
from blueprint.tools.preview.arm import ARM_TYPES, SUBSCRIPTION_ID
from blueprint.tools.preview.plan import Plan, PlannedResource, is_ancestor

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
SUBSCRIPTION_SCHEMA = "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"
CONTENT_VERSION = "1.0.0.0"
RESOURCE_GROUP_TYPE = "azure-native:resources:ResourceGroup"
DEPLOYMENT_TYPE = "azure-native:resources:Deployment"

_SUBSCRIPTION_SCOPE = ""  # the group key of subscription-scope resources


@dataclass
class _Exported:
    resource: PlannedResource
    group: str
    body: dict[str, Any]


class _Secret:
    """A secret's place in a body until it becomes a reference to its template parameter."""

    def __init__(self, parameter: str) -> None:
        self.parameter = parameter


def export_template(plan: Plan) -> dict[str, Any]:
    """The ARM deployment template of ``plan`` (see the module's documentation for its shape)."""
    by_urn = {r.urn: r for r in plan.resources}
    not_exported: list[dict[str, str]] = []
    resource_groups: list[dict[str, Any]] = []
    exported: list[_Exported] = []
    secrets: dict[str, str] = {}
    for resource in plan.resources:
        reason = _not_exported_reason(resource)
        if resource.type == RESOURCE_GROUP_TYPE and reason is None:
            facts = {key: resource.inputs[key] for key in ("location", "tags") if key in resource.inputs}
            resource_groups.append(arm_values({"name": resource.physical_name, **facts}))
            reason = ("a resource group the stack creates: a resource-group template cannot declare one (the template "
                      "is deployed into the first, metadata.deployInto); see metadata.resourceGroups")
        if reason is not None:
            not_exported.append({"urn": resource.urn, "type": resource.type, "reason": reason})
            continue
        address = arm_address(str(resource.id))
        exported.append(_Exported(resource, address.resource_group or _SUBSCRIPTION_SCOPE, _resource_body(resource, secrets)))

    home = _home_group(resource_groups, exported)
    groups: dict[str, list[_Exported]] = {}
    for item in exported:
        groups.setdefault(item.group, []).append(item)
    for items in groups.values():
        ids = {item.resource.urn: str(item.resource.id) for item in items}
        for item in items:
            needs = [ids[urn] for urn in _custom_dependencies(item.resource, by_urn) if urn in ids and urn != item.resource.urn]
            if needs:
                item.body["dependsOn"] = list(dict.fromkeys(needs))

    location = next((g.get("location") for g in resource_groups if g.get("name") == home), None) or _first_location(exported)
    resources = [_finished(item.body) for item in groups.pop(home, [])]
    for group, items in groups.items():
        resources.append(_nested_deployment(plan, group, [item.body for item in items], secrets, location))
    template: dict[str, Any] = {
        "$schema": SCHEMA,
        "contentVersion": CONTENT_VERSION,
        "metadata": {
            "generator": "blueprint export --format arm",
            "description": "The offline plan of a Pulumi stack, for reviewers and scanners (Checkov, PSRule for Azure, "
            "az deployment group what-if). Pulumi deploys the stack; this template is not a deployment path.",
            "project": plan.project,
            "stack": plan.stack,
            "environment": plan.environment,
            "deployInto": {"resourceGroup": home, "subscriptionId": SUBSCRIPTION_ID},
            "resourceGroups": resource_groups,
            "notExported": not_exported,
        },
    }
    if secrets:
        template["parameters"] = {name: _secret_parameter(where) for name, where in secrets.items()}
    template["resources"] = resources
    return template


def _not_exported_reason(resource: PlannedResource) -> str | None:
    """Why ``resource`` is not an ARM resource of the template, or ``None`` when it is one."""
    if resource.operation != "create":
        return f"{resource.operation} by the program, not created by it"
    if not resource.custom:
        if resource.type == "pulumi:pulumi:Stack":
            return "the Pulumi stack: a grouping in Pulumi's state, not a cloud resource"
        return "a Pulumi component: a grouping in Pulumi's state; the resources it creates are exported on their own"
    if resource.type.startswith("pulumi:providers:"):
        return "a Pulumi provider: configuration of Pulumi, not a cloud resource"
    if resource.type.startswith("azuread:"):
        return "a Microsoft Entra ID object, managed through Microsoft Graph, not Azure Resource Manager"
    if not resource.type.startswith("azure-native:"):
        return "not an Azure Resource Manager resource"
    if resource.type not in ARM_TYPES:
        return "no ARM resource ID known to the offline preview for this type (blueprint/tools/preview/arm.py ARM_TYPES)"
    return None


def _resource_body(resource: PlannedResource, secrets: dict[str, str]) -> dict[str, Any]:
    """The ARM resource declaring ``resource``: type, API version, name, scope, top-level keys, properties."""
    address = arm_address(str(resource.id))
    inputs = _with_secrets(resource, secrets)
    top, properties = arm_body(resource.type, inputs)
    body: dict[str, Any] = {
        "type": address.type,
        "apiVersion": api_version(resource.type),
        "name": address.name,
    }
    if address.scope is not None:
        body["scope"] = address.scope
    body.update(arm_values(top))
    body["comments"] = f"Pulumi resource {resource.urn}"
    if resource.type == DEPLOYMENT_TYPE:
        properties = _as_nested_template(properties)
    else:
        properties = arm_values(properties)
    body["properties"] = properties
    return body


def _as_nested_template(properties: dict[str, Any]) -> dict[str, Any]:
    """A template deployment the program creates, as a nested deployment: its own template's expressions evaluated
    in its own scope (Pulumi deploys it on its own, where they refer to its own parameters)."""
    out = {key: arm_values(value) for key, value in properties.items() if key != "template"}
    out.setdefault("expressionEvaluationOptions", {"scope": "inner"})
    if "template" in properties:
        out["template"] = arm_values(properties["template"], literal=False)
    return out


def _with_secrets(resource: PlannedResource, secrets: dict[str, str]) -> dict[str, Any]:
    """``resource``'s inputs with each secret replaced by a marker of the template parameter that stands for it."""
    inputs = resource.inputs
    for path in secret_paths(inputs):
        name = _parameter_name(resource, dotted(path), secrets)
        secrets[name] = f"{resource.urn} {dotted(path)}"
        inputs = replaced(inputs, path, _Secret(name))
    return inputs


def _parameter_name(resource: PlannedResource, path: str, taken: dict[str, str]) -> str:
    base = "secret_" + "".join(c if c.isalnum() else "_" for c in f"{resource.name}_{path}")
    name, counter = base, 2
    while name in taken:
        name, counter = f"{base}_{counter}", counter + 1
    return name


def _finished(value: Any) -> Any:
    """``value`` with every secret marker turned into a reference to its parameter."""
    if isinstance(value, _Secret):
        return f"[parameters('{value.parameter}')]"
    if isinstance(value, dict):
        return {key: _finished(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finished(item) for item in value]
    return value


def _secret_parameter(where: str) -> dict[str, Any]:
    return {
        "type": "securestring",
        "metadata": {"description": f"A secret of the stack's configuration, not exported ({where})."},
    }


def _custom_dependencies(resource: PlannedResource, by_urn: dict[str, PlannedResource]) -> Iterable[str]:
    """The URNs of the cloud resources ``resource`` depends on: a dependency on a component is one on every
    resource inside it."""
    for urn in resource.dependencies:
        target = by_urn.get(urn)
        if target is None:
            continue
        if target.custom:
            yield urn
        else:
            yield from (r.urn for r in by_urn.values() if r.custom and is_ancestor(urn, r, by_urn))


def _home_group(resource_groups: list[dict[str, Any]], exported: list[_Exported]) -> str:
    """The resource group the template is deployed into: the one the stack creates (the first, if several), or
    else the one most of its resources are in."""
    if resource_groups:
        return str(resource_groups[0]["name"])
    counts: dict[str, int] = {}
    for item in exported:
        if item.group != _SUBSCRIPTION_SCOPE:
            counts[item.group] = counts.get(item.group, 0) + 1
    if not counts:
        raise ExportError("the stack creates no resource group and has no resource in one: nothing to deploy a "
                          "resource-group template into")
    return max(counts, key=lambda group: counts[group])


def _first_location(exported: list[_Exported]) -> str | None:
    return next((str(item.body["location"]) for item in exported if "location" in item.body), None)


def _nested_deployment(plan: Plan, group: str, bodies: list[dict[str, Any]], secrets: dict[str, str],
                       location: str | None) -> dict[str, Any]:
    """A deployment to another resource group (or, for ``group == ""``, the subscription) holding ``bodies``."""
    used = sorted({name for name in secrets if f"parameters('{name}')" in str(_finished(bodies))})
    inner: dict[str, Any] = {
        "$schema": SUBSCRIPTION_SCHEMA if group == _SUBSCRIPTION_SCOPE else SCHEMA,
        "contentVersion": CONTENT_VERSION,
    }
    if used:
        inner["parameters"] = {name: _secret_parameter(secrets[name]) for name in used}
    inner["resources"] = [_finished(body) for body in bodies]
    deployment: dict[str, Any] = {
        "type": "Microsoft.Resources/deployments",
        "apiVersion": api_version(DEPLOYMENT_TYPE),
        "name": f"{plan.stack}-{group or 'subscription'}"[:64],
    }
    if group == _SUBSCRIPTION_SCOPE:
        deployment.update({"subscriptionId": SUBSCRIPTION_ID, "location": location})
    else:
        deployment["resourceGroup"] = group
    deployment["comments"] = ("Resources of the stack in another resource group" if group
                              else "Resources of the stack at subscription scope")
    properties: dict[str, Any] = {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"}}
    if used:
        properties["parameters"] = {name: {"value": f"[parameters('{name}')]"} for name in used}
    properties["template"] = inner
    deployment["properties"] = properties
    return deployment
