"""Serving rollouts: an online endpoint's traffic is applied only once the deployments it names exist.

Azure ML refuses a traffic map that names a deployment it does not have, and deployments are created after their
endpoint, so traffic set on the endpoint resource itself fails a first deploy. The platform applies the split with
an ARM template deployment (``resources.Deployment``) whose ``traffic`` parameter carries it and which depends on
every deployment (components/model_endpoint.py). The resource policy reads the endpoint's inputs: its outputs hold
the live split Azure reports, which the template set. The stack policy reads the template deployment's outputs, where
ARM returns the parameters (``{"traffic": {"type": "Object", "value": {...}}}``) but not the template.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity, StackValidationArgs

from mlplatform_policies.base import Controls, is_number, read, resource_policy, stack_policy

ONLINE_ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
ONLINE_DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
TEMPLATE_DEPLOYMENT = "azure-native:resources:Deployment"
#: The traffic maps of an endpoint: live traffic and mirrored (shadow) traffic.
TRAFFIC_KEYS = ("traffic", "mirrorTraffic")

#: The closest public control: workloads deployed through a pipeline that validates them (MCSB DevOps security).
_ROLLOUT = Controls(mcsb=("DS-6",))
_COMPONENT = "ModelEndpoint (components/model_endpoint.py)"
_LEARN = "https://learn.microsoft.com/azure/machine-learning"


def shares(value: Any) -> dict[str, float]:
    """The deployments a traffic map gives a share above zero (unknown or malformed maps name none)."""
    if not isinstance(value, Mapping):
        return {}
    return {str(name): share for name, share in value.items() if is_number(share) and share > 0}


def _inline_traffic(props: Mapping[str, Any]) -> str | None:
    named = {key: shares(read(props, f"properties.{key}")) for key in TRAFFIC_KEYS}
    found = "; ".join(
        f"{key} " + ", ".join(f"{name}={share:g}" for name, share in sorted(split.items()))
        for key, split in named.items()
        if split
    )
    if not found:
        return None
    return (
        f"Online endpoint sets {found} on itself, before its deployments exist; expected no traffic on the endpoint, "
        "applied instead by a template deployment that depends on the deployments it names."
    )


def _deployment_key(resource: Any) -> tuple[str | None, str | None]:
    """(endpoint name, deployment name) of an online deployment; None where unknown."""
    props = resource.props
    name = read(props, "deploymentName", read(props, "name"))
    endpoint = read(props, "endpointName")
    return (endpoint if isinstance(endpoint, str) else None, name if isinstance(name, str) else None)


def _named(deployment: Any, endpoint: str | None, name: str) -> bool:
    """Whether ``deployment`` is deployment ``name`` of ``endpoint`` (an unknown endpoint name matches any)."""
    their_endpoint, their_name = _deployment_key(deployment)
    if their_name != name:
        return False
    return endpoint is None or their_endpoint is None or their_endpoint == endpoint


def _traffic_after_deployments(args: StackValidationArgs) -> Iterable[tuple[str | None, str]]:
    deployments = [r for r in args.resources if r.resource_type == ONLINE_DEPLOYMENT]
    for carrier in (r for r in args.resources if r.resource_type == TEMPLATE_DEPLOYMENT):
        parameters = read(carrier.props, "properties.parameters")
        if not isinstance(parameters, Mapping) or "traffic" not in parameters:
            continue
        endpoint = read(parameters, "endpointName.value")
        endpoint = endpoint if isinstance(endpoint, str) else None
        depends_on = {d.urn for d in carrier.dependencies or []}
        for name in sorted(shares(read(parameters, "traffic.value"))):
            candidates = [d for d in deployments if _named(d, endpoint, name)]
            where = f" of endpoint {endpoint}" if endpoint else ""
            if not candidates:
                yield carrier.urn, (
                    f"Template deployment {carrier.name} routes traffic to deployment '{name}'{where}, which the stack "
                    "does not create; expected every deployment it names to be an OnlineDeployment of the stack."
                )
            elif not any(d.urn in depends_on for d in candidates):
                yield carrier.urn, (
                    f"Template deployment {carrier.name} routes traffic to deployment '{name}'{where} without depending "
                    "on it, so it may run before the deployment exists; expected it to depend on every deployment it names."
                )


POLICIES: list = [
    resource_policy(
        name="azure-native-machinelearningservices-onlineendpoint-disallow-traffic-before-deployments",
        description="Azure ML online endpoints must not carry their own traffic split: it would precede their deployments.",
        rationale=(
            "Azure ML rejects traffic to a deployment that does not exist yet, and an endpoint's deployments are created "
            "after it, so a split on the endpoint resource fails the first deploy of a stack; a later PUT of the "
            "endpoint that leaves the split out sets every share to 0."
        ),
        checks="The online endpoint's properties.traffic and properties.mirrorTraffic give no deployment a share above 0.",
        severity=Severity.HIGH,
        resource_types=[ONLINE_ENDPOINT],
        check=_inline_traffic,
        controls=_ROLLOUT,
        remediation=(
            f"Leave traffic off the OnlineEndpoint and give each deployment its trafficPercent in `mlplatform:endpoints`: "
            f"{_COMPONENT} creates the endpoint without traffic and applies the split with a resources.Deployment (an "
            "incremental ARM template that PUTs the endpoint with its traffic) that depends on every deployment."
        ),
        url=f"{_LEARN}/how-to-safely-rollout-online-endpoints",
    ),
    stack_policy(
        name="azure-native-resources-deployment-traffic-after-deployments",
        description="A template deployment that routes an online endpoint's traffic depends on every deployment it names.",
        rationale=(
            "The split is applied by whatever resource carries it; unless that resource waits for the deployments it "
            "names, Pulumi may run it first and Azure ML rejects traffic to a deployment that does not exist yet."
        ),
        checks=(
            "Each resources.Deployment with a traffic parameter depends on an OnlineDeployment of the stack for every "
            "deployment the parameter gives a share above 0 (matched by deployment name, and endpoint name when known)."
        ),
        severity=Severity.HIGH,
        check=_traffic_after_deployments,
        controls=_ROLLOUT,
        remediation=(
            f"Create the split through {_COMPONENT}, which passes every deployment to the template deployment's "
            "depends_on; a hand-written one needs ResourceOptions(depends_on=[...every OnlineDeployment it names])."
        ),
        url="https://www.pulumi.com/docs/iac/concepts/options/dependson/",
    ),
]
