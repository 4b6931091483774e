"""Serving: managed online endpoints, the REST API of each published model, with blue/green deployments
(``endpoints``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from blueprint.program.config.errors import ConfigIssue, describe
from blueprint.program.config.rules import key_path, vm_size_issues
from blueprint.program.features.compute import canonical_vm_size
from blueprint.program.settings import default_of, setting
from blueprint.program.stacks.assets import registry_asset
from components.model_endpoint import MAX_INSTANCES, ModelEndpoint
from components.options import Environment

#: A model reference: short for the shared registry's, or a full azureml: one.
MODEL_REFERENCE = {
    "type": "string",
    "pattern": r"^(azureml:\S+|registry:[A-Za-z0-9][A-Za-z0-9_.-]*:[A-Za-z0-9_.-]+)$",
    "x-expected": "registry:<model>:<version> (a model in the shared registry) or a full azureml: model reference",
}


def default_traffic(siblings_count: int) -> int | None:
    """A lone deployment takes all traffic; among several, a share must be given (``None``: not given)."""
    return 100 if siblings_count == 1 else None


def monitored_by_default(environment: Environment, traffic: int) -> bool:
    """Prod watches every deployment that serves traffic for drift."""
    return environment is Environment.PROD and traffic > 0


@dataclass(frozen=True, kw_only=True)
class DeploymentSettings:
    """One deployment of an online endpoint (blue, green, ...)."""

    name: str = setting("name", pattern="^[a-z][a-z0-9-]{2,31}$", x_expected="3-32 lowercase letters, digits or hyphens, starting with a letter, e.g. blue")
    model: str = setting("model", override=MODEL_REFERENCE)
    instance_type: str = setting("instanceType", convert=canonical_vm_size, x_expected="a VM size from components/data/vm_sizes.json")
    max_instances: int = setting("maxInstances", minimum=1, maximum=MAX_INSTANCES)
    min_instances: int = setting("minInstances", "Instances kept when idle.", default=1, minimum=1, maximum=MAX_INSTANCES)
    traffic_percent: int = setting(
        "trafficPercent", "Share of live traffic (blue/green).", minimum=0, maximum=100,
        derive=lambda c: default_traffic(len(c.siblings)) or 0, default_doc="100 for a single deployment",
    )
    monitor_drift: bool = setting(
        "monitorDrift", "Create a model-monitor schedule for this deployment.",
        derive=lambda c: monitored_by_default(c.environment, c.built["traffic_percent"]), default_doc="true in prod for deployments with traffic",
    )


@dataclass(frozen=True, kw_only=True)
class EndpointSettings:
    """A managed online endpoint and its deployments."""

    name: str = setting(
        "name", pattern="^[a-z][a-z0-9-]{1,14}[a-z0-9]$",
        x_expected="3-16 lowercase letters, digits or hyphens, starting with a letter (the physical name adds the platform's prefix and a hash)",
    )
    deployments: tuple[DeploymentSettings, ...] = setting("deployments", minItems=1, maxItems=4)
    key_auth: bool = setting(
        "authMode", "aadToken: Entra ID tokens. key is an explicit, reported opt-out.", default=False, default_doc="aadToken",
        convert=lambda mode: mode == "key", override={"enum": ["aadToken", "key"]},
    )
    public_network_access: bool = setting("publicNetworkAccess", "true is refused outside dev.", default=False)


ENDPOINTS_DOC = "Managed online endpoints: the REST API of each published model."


def serving_issues(project: str, values: Mapping[str, Any], environment: Environment) -> tuple[list[ConfigIssue], bool]:
    """Public endpoints in dev only, unique deployment names, instance bounds, catalog sizes, traffic that sums to
    100. Also says whether any deployment is watched for drift (the drift settings are then required)."""
    issues: list[ConfigIssue] = []
    drift_needed = False
    for e_index, endpoint in enumerate(values.get("endpoints", [])):
        at = ["endpoints", e_index]
        if endpoint.get("publicNetworkAccess") and environment is not Environment.DEV:
            issues.append(ConfigIssue(key_path(project, [*at, "publicNetworkAccess"]), f"false in {environment.value} (public endpoints are for dev only)", describe(True)))
        deployments = endpoint["deployments"]
        names = [d["name"] for d in deployments]
        traffic = [d.get("trafficPercent", default_traffic(len(deployments))) for d in deployments]
        for d_index, deployment in enumerate(deployments):
            where = [*at, "deployments", d_index]
            if names.count(deployment["name"]) > 1:
                issues.append(ConfigIssue(key_path(project, [*where, "name"]), "a name not used by another deployment of the endpoint", describe(deployment["name"])))
            low = deployment.get("minInstances", default_of(DeploymentSettings, "min_instances"))
            if low > deployment["maxInstances"]:
                issues.append(ConfigIssue(key_path(project, [*where, "minInstances"]), f"at most maxInstances ({deployment['maxInstances']})", describe(low)))
            issues += vm_size_issues(project, [*where, "instanceType"], deployment["instanceType"], "a VM size from the catalog components/data/vm_sizes.json")
            if traffic[d_index] is None:
                issues.append(ConfigIssue(key_path(project, [*where, "trafficPercent"]), "a traffic share when an endpoint has several deployments", "nothing"))
            if deployment.get("monitorDrift", monitored_by_default(environment, traffic[d_index] or 0)):
                drift_needed = True
        if None not in traffic and sum(traffic) != 100:
            issues.append(ConfigIssue(key_path(project, [*at, "deployments"]), "traffic percentages summing to 100", f"a total of {sum(traffic)}"))
    return issues, drift_needed


def create_endpoints(
    endpoints: tuple[EndpointSettings, ...],
    *,
    workspace_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    location: str,
    naming: Mapping[str, str],
    tags: Mapping[str, str],
    registry_name: pulumi.Input[str] | None,
) -> list[ModelEndpoint]:
    """An endpoint per setting, its deployments' models resolved in the shared registry."""
    return [
        ModelEndpoint(
            f"endpoint-{endpoint.name}",
            {
                "workspace_name": workspace_name,
                "resource_group_name": resource_group_name,
                "location": location,
                "naming": dict(naming),
                "qualifier": endpoint.name,
                "tags": dict(tags),
                "auth_mode": "Key" if endpoint.key_auth else "AADToken",
                "public_network_access": endpoint.public_network_access,
                "deployments": [
                    {
                        "name": d.name,
                        "model": registry_asset(d.model, "models", registry_name),
                        "instance_type": d.instance_type,
                        "instance_count": d.min_instances,
                        "min_instances": d.min_instances,
                        "max_instances": d.max_instances,
                        "traffic_percent": d.traffic_percent,
                    }
                    for d in endpoint.deployments
                ],
            },
        )
        for endpoint in endpoints
    ]
