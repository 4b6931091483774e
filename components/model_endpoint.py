"""``ModelEndpoint``: a model's REST API — a managed online endpoint, its deployments and their autoscaling.

The endpoint authenticates callers with Entra ID tokens and is reachable only through the workspace's private
endpoint unless the caller opts out, visibly, in code. Every deployment sends telemetry to Application Insights,
collects its inputs and outputs for drift monitoring, probes its container and scales on CPU and latency between
explicit bounds, scaling back in to its minimum when idle.

Traffic. Azure ML routes traffic only to deployments that already exist: an endpoint whose ``traffic`` names a
deployment that has not been created yet is rejected (the CLI's YAML reference says so: traffic "can't be set
during online endpoint creation"), and a PUT of an existing endpoint without ``traffic`` sets every deployment's
share to 0. Deployments are children of the endpoint, so the split cannot live on the endpoint resource. It is
carried instead by an incremental ARM template deployment (``resources.Deployment``) that depends on every
deployment and PUTs the same endpoint with its full body plus ``traffic`` (an ARM PUT reapplies every property, so
the template carries all of them, built from the same :class:`EndpointBody` as the endpoint resource). Hence:

* a first ``pulumi up`` creates the endpoint without traffic, then the deployments, then applies the split;
* the endpoint resource ignores later changes to its body: Pulumi never PUTs it without traffic again, so an
  update never drops live traffic; a changed body changes the template, which PUTs body and split together;
* a new deployment (green) joins at 0 beside the live one (blue), is smoke-tested through the
  ``azureml-model-deployment`` header, then takes a share (Azure ML's safe-rollout sequence);
* a deployment removed from the list loses its traffic before Pulumi deletes it (Pulumi deletes removed resources
  after every update, and the template no longer names it);
* deleting the carrier deletes only the deployment record; the endpoint and its traffic stay as they are.

Sources (checked when this module was written):

* Managed online endpoint and deployment YAML references (traffic, request settings, probes, data collector):
  https://learn.microsoft.com/azure/machine-learning/reference-yaml-endpoint-online and
  https://learn.microsoft.com/azure/machine-learning/reference-yaml-deployment-managed-online
* Autoscale online endpoints (deployment CPU rules, the endpoint's RequestLatency rule):
  https://learn.microsoft.com/azure/machine-learning/how-to-autoscale-endpoints
* A PUT without ``traffic`` zeroes the shares of existing deployments:
  https://github.com/microsoft/genaiops-promptflow-template/issues/182
* Incremental template deployments reapply every property of a resource they redeploy; deleting a deployment
  removes its record only: https://learn.microsoft.com/azure/azure-resource-manager/templates/deployment-modes and
  https://learn.microsoft.com/python/api/azure-mgmt-resource-deployments/azure.mgmt.resource.deployments.operations.deploymentsoperations
* Online endpoint metrics: https://learn.microsoft.com/azure/machine-learning/monitor-resource-reference
* Data collection from models in production:
  https://learn.microsoft.com/azure/machine-learning/concept-data-collection
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
from pulumi_azure_native import machinelearningservices as ml, monitor, resources

from components.naming import NamingArgs, ResourceKind, namer_for
from components.tags import required_tags

AUTH_MODES = ("AADToken", "Key")
#: Azure's limits: instances per deployment kept to 20 (a larger fleet is a quota conversation), deployments per
#: endpoint 20, and a scoring request may not wait longer than 180 s.
MAX_INSTANCES = 20
MAX_DEPLOYMENTS = 20
MAX_REQUEST_TIMEOUT_MS = 180_000
DEPLOYMENT_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]{2,31}")
DEPLOYMENT_METRICS = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
ENDPOINT_METRICS = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
COOLDOWN = "PT5M"
#: The API version azure-native's OnlineEndpoint speaks, so that the traffic template PUTs the same schema.
ENDPOINT_API_VERSION = "2025-12-01"
ENDPOINT_ARM_TYPE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
#: The template parameter that carries the split (deployment parameters are in ARM's response, the template is not).
TRAFFIC_PARAMETER = "traffic"


class DeploymentArgs(TypedDict):
    """One deployment (one model version on its own instances) behind the endpoint."""

    name: str
    """Deployment name, e.g. ``blue``: 3-32 letters, digits and hyphens, starting with a letter."""
    model: pulumi.Input[str]
    """Model asset ID, e.g. ``azureml://registries/<registry>/models/<model>/versions/<version>``."""
    instance_type: str
    """VM size of the instances, e.g. ``Standard_DS3_v2``."""
    instance_count: int
    """Instances at creation; afterwards autoscale owns the count."""
    min_instances: int
    """Instances kept when idle (at least 1: a managed deployment cannot scale to zero)."""
    max_instances: int
    """Upper bound of autoscale, at most 20."""
    traffic_percent: int
    """Share of live traffic, 0-100; shares total 0 or 100, applied once every deployment exists."""
    environment_id: NotRequired[pulumi.Input[str] | None]
    """Environment asset ID; absent for an MLflow model, which Azure ML serves without code (no-code deployment)."""
    request_timeout_ms: NotRequired[int]
    """Scoring timeout in milliseconds (default 5000, at most 180000)."""
    max_concurrent_requests_per_instance: NotRequired[int]
    """Requests one instance serves at once (default 1); the rest queue."""
    cpu_scale_out_percent: NotRequired[int]
    """Average CPU over 5 minutes above which an instance is added (default 70)."""
    cpu_scale_in_percent: NotRequired[int]
    """Average CPU over 10 minutes below which an instance is removed, down to the minimum (default 30)."""
    latency_scale_out_ms: NotRequired[int]
    """Endpoint average request latency over 5 minutes above which an instance is added (default 1000)."""


class ModelEndpointArgs(TypedDict):
    """Arguments of :class:`ModelEndpoint`."""

    workspace_name: pulumi.Input[str]
    """Name of the Azure ML workspace the endpoint belongs to."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the workspace."""
    location: str
    """Azure region (the workspace's)."""
    naming: NamingArgs
    """How physical names are derived."""
    qualifier: str
    """Short name of the endpoint, e.g. ``fraud``; the physical name adds prefix, environment, region and hash."""
    tags: dict[str, str]
    """Tags for every taggable resource; must hold the required tags."""
    deployments: Sequence[DeploymentArgs]
    """Deployments behind the endpoint, in creation order."""
    auth_mode: NotRequired[str]
    """``AADToken`` (default: Entra ID tokens, RBAC) or ``Key``, the explicit opt-out to static keys."""
    public_network_access: NotRequired[bool]
    """Accept scoring requests from public networks (default False: only through the workspace private endpoint)."""


class ModelEndpoint(pulumi.ComponentResource):
    """A managed online endpoint with autoscaled, monitored deployments and a declared traffic split."""

    endpoint_name: pulumi.Output[str]
    endpoint_id: pulumi.Output[str]
    scoring_uri: pulumi.Output[str]
    deployment_ids: pulumi.Output[dict[str, str]]
    autoscale_ids: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: ModelEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplatform:index:ModelEndpoint", name, None, opts)
        location = args["location"]
        namer = namer_for(args["naming"], location)
        tags = required_tags(args["tags"])
        auth_mode = args.get("auth_mode", "AADToken")
        if auth_mode not in AUTH_MODES:
            raise ValueError(f"ModelEndpoint {name}: auth_mode must be one of {', '.join(AUTH_MODES)}, got {auth_mode!r}")
        deployments = list(args["deployments"])
        traffic = validate_deployments(name, deployments)
        if deployments and not traffic:
            pulumi.log.warn(
                f"ModelEndpoint {name}: the endpoint routes no traffic, so it serves no requests; give the "
                "deployments their shares",
                resource=self,
            )
        endpoint_name = namer.name(ResourceKind.ML_ONLINE_ENDPOINT, args["qualifier"])
        body = EndpointBody(
            location=location,
            auth_mode=auth_mode,
            public_network_access="Enabled" if args.get("public_network_access", False) else "Disabled",
            description=f"Online endpoint {args['qualifier']}, managed by Pulumi.",
            tags=tags,
        )

        endpoint = ml.OnlineEndpoint(
            f"{name}-endpoint",
            endpoint_name=endpoint_name,
            workspace_name=args["workspace_name"],
            resource_group_name=args["resource_group_name"],
            **body.resource_args(),
            opts=pulumi.ResourceOptions(
                parent=self,
                # Created without traffic; afterwards only the traffic template PUTs it, body and split together,
                # because a PUT from here (which carries no traffic) would zero every deployment's share.
                ignore_changes=["properties", "identity", "tags"],
            ),
        )

        deployment_ids: dict[str, pulumi.Output[str]] = {}
        autoscale_ids: dict[str, pulumi.Output[str]] = {}
        created: list[ml.OnlineDeployment] = []
        for spec in deployments:
            deployment = _deployment(name, spec, endpoint, args, tags, created[-1] if created else None, self)
            setting = _autoscale(name, spec, endpoint_name, endpoint, deployment, args, tags, self)
            deployment_ids[spec["name"]] = deployment.id
            autoscale_ids[spec["name"]] = setting.id
            created.append(deployment)
        if created:
            _traffic(name, endpoint_name, body, traffic, endpoint, created, args, self)

        self.endpoint_name = endpoint.name
        self.endpoint_id = endpoint.id
        self.scoring_uri = endpoint.properties.apply(lambda props: props.scoring_uri or "")
        self.deployment_ids = pulumi.Output.all(**deployment_ids) if deployment_ids else pulumi.Output.from_input({})
        self.autoscale_ids = pulumi.Output.all(**autoscale_ids) if autoscale_ids else pulumi.Output.from_input({})
        self.register_outputs(
            {
                "endpoint_name": self.endpoint_name,
                "endpoint_id": self.endpoint_id,
                "scoring_uri": self.scoring_uri,
                "deployment_ids": self.deployment_ids,
                "autoscale_ids": self.autoscale_ids,
            }
        )


@dataclass(frozen=True, kw_only=True)
class EndpointBody:
    """What the endpoint resource and the traffic template both send, written once so the two never disagree."""

    location: str
    auth_mode: str
    public_network_access: str
    description: str
    tags: Mapping[str, str]
    kind: str = "Managed"
    # The endpoint's own identity pulls the model and image; no credential is stored anywhere.
    identity_type: str = "SystemAssigned"

    def resource_args(self) -> dict[str, Any]:
        """Arguments of ``ml.OnlineEndpoint`` (no traffic: the deployments do not exist yet)."""
        return {
            "location": self.location,
            "kind": self.kind,
            "identity": ml.ManagedServiceIdentityArgs(type=self.identity_type),
            "properties": ml.OnlineEndpointPropertiesArgs(
                auth_mode=self.auth_mode, public_network_access=self.public_network_access, description=self.description
            ),
            "tags": dict(self.tags),
        }

    def arm_resource(self, name: str, traffic: str) -> dict[str, Any]:
        """The same endpoint as an ARM template resource, ``traffic`` (an expression) added to its properties."""
        return {
            "type": ENDPOINT_ARM_TYPE,
            "apiVersion": ENDPOINT_API_VERSION,
            "name": name,
            "location": self.location,
            "kind": self.kind,
            "identity": {"type": self.identity_type},
            "properties": {
                "authMode": self.auth_mode,
                "publicNetworkAccess": self.public_network_access,
                "description": self.description,
                "traffic": traffic,
            },
            "tags": dict(self.tags),
        }


def traffic_template(body: EndpointBody) -> dict[str, Any]:
    """An ARM template that PUTs the endpoint ``body`` with the split given in the ``traffic`` parameter."""
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "workspaceName": {"type": "string"},
            "endpointName": {"type": "string"},
            TRAFFIC_PARAMETER: {"type": "object"},
        },
        "resources": [
            body.arm_resource(
                "[format('{0}/{1}', parameters('workspaceName'), parameters('endpointName'))]",
                f"[parameters('{TRAFFIC_PARAMETER}')]",
            )
        ],
    }


def _traffic(
    component: str,
    endpoint_name: str,
    body: EndpointBody,
    traffic: Mapping[str, int],
    endpoint: ml.OnlineEndpoint,
    deployments: Sequence[ml.OnlineDeployment],
    args: ModelEndpointArgs,
    parent: pulumi.Resource,
) -> resources.Deployment:
    """The split, applied once every deployment it may name exists: an incremental template deployment."""
    return resources.Deployment(
        f"{component}-traffic",
        # One record per endpoint in the resource group's deployment history, replaced on each change.
        deployment_name=f"{endpoint_name}-traffic",
        resource_group_name=args["resource_group_name"],
        properties=resources.DeploymentPropertiesArgs(
            mode="Incremental",
            template=traffic_template(body),
            parameters={
                "workspaceName": resources.DeploymentParameterArgs(value=args["workspace_name"]),
                "endpointName": resources.DeploymentParameterArgs(value=endpoint_name),
                TRAFFIC_PARAMETER: resources.DeploymentParameterArgs(value=dict(traffic)),
            },
        ),
        tags=dict(body.tags),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[endpoint, *deployments]),
    )


def validate_deployments(component: str, deployments: Sequence[DeploymentArgs]) -> dict[str, int]:
    """Check the deployments against Azure's rules; return the traffic map (deployments with a share only).

    Everything is checked before any resource is registered, so a bad value fails the preview, not the deployment.
    """
    if len(deployments) > MAX_DEPLOYMENTS:
        raise ValueError(f"ModelEndpoint {component}: at most {MAX_DEPLOYMENTS} deployments per endpoint, got {len(deployments)}")
    seen: set[str] = set()
    traffic: dict[str, int] = {}
    for spec in deployments:
        label = f"ModelEndpoint {component}: deployment {spec['name']!r}"
        if not isinstance(spec["name"], str) or DEPLOYMENT_NAME_RE.fullmatch(spec["name"]) is None:
            raise ValueError(f"{label}: names are 3-32 letters, digits and hyphens, starting with a letter")
        if spec["name"].lower() in seen:  # ARM names are case-insensitive
            raise ValueError(f"{label}: the name is used twice")
        seen.add(spec["name"].lower())
        low, count, high = spec["min_instances"], spec["instance_count"], spec["max_instances"]
        if not 1 <= low <= count <= high <= MAX_INSTANCES:
            raise ValueError(
                f"{label}: needs 1 <= min_instances <= instance_count <= max_instances <= {MAX_INSTANCES}, "
                f"got min_instances={low}, instance_count={count}, max_instances={high}"
            )
        percent = spec["traffic_percent"]
        if not 0 <= percent <= 100:
            raise ValueError(f"{label}: traffic_percent must be from 0 to 100, got {percent}")
        if percent:
            traffic[spec["name"]] = percent
        timeout = spec.get("request_timeout_ms", 5000)
        if not 1 <= timeout <= MAX_REQUEST_TIMEOUT_MS:
            raise ValueError(f"{label}: request_timeout_ms must be from 1 to {MAX_REQUEST_TIMEOUT_MS}, got {timeout}")
        concurrency = spec.get("max_concurrent_requests_per_instance", 1)
        if concurrency < 1:
            raise ValueError(f"{label}: max_concurrent_requests_per_instance must be at least 1, got {concurrency}")
        scale_in, scale_out = spec.get("cpu_scale_in_percent", 30), spec.get("cpu_scale_out_percent", 70)
        if not 0 < scale_in < scale_out <= 100:
            # A gap between the thresholds keeps autoscale from adding and removing the same instance in a loop.
            raise ValueError(
                f"{label}: needs 0 < cpu_scale_in_percent < cpu_scale_out_percent <= 100, "
                f"got cpu_scale_in_percent={scale_in}, cpu_scale_out_percent={scale_out}"
            )
        latency = spec.get("latency_scale_out_ms", 1000)
        if latency <= 0:
            raise ValueError(f"{label}: latency_scale_out_ms must be positive, got {latency}")
    total = sum(traffic.values())
    if total not in (0, 100):
        shares = ", ".join(f"{spec['name']}={spec['traffic_percent']}" for spec in deployments)
        raise ValueError(
            f"ModelEndpoint {component}: traffic percentages must total 100 (or 0: no traffic), "
            f"got {total} ({shares})"
        )
    return traffic


def iso_duration_ms(milliseconds: int) -> str:
    """ISO 8601 duration of a whole number of milliseconds, e.g. 5000 -> ``PT5S``, 1500 -> ``PT1.5S``."""
    seconds, millis = divmod(int(milliseconds), 1000)
    return f"PT{seconds}S" if not millis else f"PT{seconds}.{millis:03d}".rstrip("0") + "S"


def _probe() -> ml.ProbeSettingsArgs:
    """Azure ML's documented probe defaults, written out so the plan shows them and a policy can check them."""
    return ml.ProbeSettingsArgs(initial_delay="PT10S", period="PT10S", timeout="PT2S", failure_threshold=30, success_threshold=1)


def _deployment(
    component: str,
    spec: DeploymentArgs,
    endpoint: ml.OnlineEndpoint,
    args: ModelEndpointArgs,
    tags: Mapping[str, str],
    previous: ml.OnlineDeployment | None,
    parent: pulumi.Resource,
) -> ml.OnlineDeployment:
    """One managed deployment: telemetry, data collection and probes on; instances counted by autoscale."""
    return ml.OnlineDeployment(
        f"{component}-{spec['name']}",
        deployment_name=spec["name"],
        endpoint_name=endpoint.name,
        workspace_name=args["workspace_name"],
        resource_group_name=args["resource_group_name"],
        location=args["location"],
        properties=ml.ManagedOnlineDeploymentArgs(
            endpoint_compute_type="Managed",
            instance_type=spec["instance_type"],
            model=spec["model"],
            environment_id=spec.get("environment_id"),
            description=f"Deployment {spec['name']} of endpoint {args['qualifier']}, managed by Pulumi.",
            app_insights_enabled=True,
            # Outbound traffic is governed by the workspace's managed VNet, under which Azure ML ignores the
            # per-deployment egress flag (legacy isolation) and asks that it be left alone: the SDK still sends its
            # default, "Enabled", so policies should judge egress by the workspace's isolation mode, not this flag.
            request_settings=ml.OnlineRequestSettingsArgs(
                request_timeout=iso_duration_ms(spec.get("request_timeout_ms", 5000)),
                max_concurrent_requests_per_instance=spec.get("max_concurrent_requests_per_instance", 1),
            ),
            liveness_probe=_probe(),
            readiness_probe=_probe(),
            # Every production input and output lands in the workspace's blob storage, hourly files, for drift
            # monitors.
            data_collector=ml.DataCollectorArgs(
                collections={
                    "model_inputs": ml.CollectionArgs(data_collection_mode="Enabled", sampling_rate=1.0),
                    "model_outputs": ml.CollectionArgs(data_collection_mode="Enabled", sampling_rate=1.0),
                },
                rolling_rate="Hour",
            ),
            scale_settings=ml.DefaultScaleSettingsArgs(scale_type="Default"),
        ),
        sku=ml.SkuArgs(name="Default", capacity=spec["instance_count"]),
        tags=dict(tags),
        opts=pulumi.ResourceOptions(
            parent=parent,
            # Autoscale changes the capacity at run time; resetting it on every update would undo its work.
            ignore_changes=["sku.capacity"],
            # One operation at a time on an endpoint: deployments are created and updated in order.
            depends_on=[previous] if previous is not None else None,
        ),
    )


def _autoscale(
    component: str,
    spec: DeploymentArgs,
    endpoint_name: str,
    endpoint: ml.OnlineEndpoint,
    deployment: ml.OnlineDeployment,
    args: ModelEndpointArgs,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> monitor.AutoscaleSetting:
    """Azure Monitor autoscale of one deployment: out on CPU or latency, in on low CPU down to the minimum."""

    def rule(metric: str, operator: str, threshold: float, window: str, direction: str, *, of_endpoint: bool = False) -> monitor.ScaleRuleArgs:
        """One rule on a deployment metric, or on an endpoint metric (shared by all its deployments)."""
        return monitor.ScaleRuleArgs(
            metric_trigger=monitor.MetricTriggerArgs(
                metric_name=metric,
                metric_namespace=ENDPOINT_METRICS if of_endpoint else DEPLOYMENT_METRICS,
                metric_resource_uri=endpoint.id if of_endpoint else deployment.id,
                time_grain="PT1M",
                statistic="Average",
                time_window=window,
                time_aggregation="Average",
                operator=operator,
                threshold=threshold,
            ),
            scale_action=monitor.ScaleActionArgs(direction=direction, type="ChangeCount", value="1", cooldown=COOLDOWN),
        )

    cpu_out, cpu_in = spec.get("cpu_scale_out_percent", 70), spec.get("cpu_scale_in_percent", 30)
    # Azure Monitor scales out when any scale-out rule fires and in only when every scale-in rule does, so the
    # single CPU scale-in rule returns an idle deployment to its minimum.
    rules = [
        rule("CpuUtilizationPercentage", "GreaterThan", cpu_out, "PT5M", "Increase"),
        rule("CpuUtilizationPercentage", "LessThan", cpu_in, "PT10M", "Decrease"),
        rule("RequestLatency", "GreaterThan", spec.get("latency_scale_out_ms", 1000), "PT5M", "Increase", of_endpoint=True),
    ]
    # Unique in the resource group: the endpoint name is unique in the region, the deployment name in the endpoint.
    setting_name = f"{endpoint_name}-{spec['name']}-autoscale"
    return monitor.AutoscaleSetting(
        f"{component}-{spec['name']}-autoscale",
        autoscale_setting_name=setting_name,
        name=setting_name,
        resource_group_name=args["resource_group_name"],
        location=args["location"],
        target_resource_uri=deployment.id,
        enabled=True,
        profiles=[
            monitor.AutoscaleProfileArgs(
                name="default",
                capacity=monitor.ScaleCapacityArgs(
                    minimum=str(spec["min_instances"]),
                    maximum=str(spec["max_instances"]),
                    default=str(spec["instance_count"]),
                ),
                rules=rules,
            )
        ],
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
