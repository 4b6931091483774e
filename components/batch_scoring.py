"""``BatchScoring``: a batch endpoint that scores files with a model on a cluster that costs nothing when idle.

Callers authenticate with Entra ID tokens (the only mode batch endpoints support, set explicitly all the same).
Scoring jobs run on an existing AmlCompute cluster that scales to zero, so an idle endpoint costs nothing.

The endpoint names its deployment as the default, so a job sent to the endpoint needs no deployment header. Azure
ML points an endpoint at a deployment only once the deployment exists, and the deployment is the endpoint's child:
a brand-new endpoint is therefore created with ``route_traffic`` False, and the default is set by the next update
(the same two steps as ``az ml batch-deployment create --set-default``).

Sources (checked when this module was written):

* Batch endpoint and model deployment YAML references:
  https://learn.microsoft.com/azure/machine-learning/reference-yaml-endpoint-batch and
  https://learn.microsoft.com/azure/machine-learning/reference-yaml-deployment-batch
* Deploy models for scoring in batch endpoints:
  https://learn.microsoft.com/azure/machine-learning/how-to-use-batch-model-deployments
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import machinelearningservices as ml

from components.model_endpoint import DEPLOYMENT_NAME_RE
from components.naming import NamingArgs, ResourceKind, namer_for
from components.tags import required_tags


class BatchScoringArgs(TypedDict):
    """Arguments of :class:`BatchScoring`."""

    workspace_name: pulumi.Input[str]
    """Name of the Azure ML workspace the endpoint belongs to."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the workspace."""
    location: str
    """Azure region (the workspace's)."""
    naming: NamingArgs
    """How physical names are derived."""
    qualifier: str
    """Short name of the endpoint, e.g. ``churn``; the physical name adds prefix, environment, region and hash."""
    tags: dict[str, str]
    """Tags for every taggable resource; must hold the required tags."""
    model: pulumi.Input[str]
    """Model asset ID, e.g. ``azureml://registries/<registry>/models/<model>/versions/<version>``."""
    compute_id: pulumi.Input[str]
    """ARM ID (or name) of an existing AmlCompute cluster in the workspace, one that scales to zero."""
    mini_batch_size: NotRequired[int]
    """Files per mini-batch handed to one scoring call (default 10)."""
    instance_count: NotRequired[int]
    """Cluster nodes a scoring job uses (default 1)."""
    max_concurrency_per_instance: NotRequired[int]
    """Scoring processes per node (default 1)."""
    max_retries: NotRequired[int]
    """Attempts of a failed or timed-out mini-batch before it counts as failed (default 3)."""
    retry_timeout_seconds: NotRequired[int]
    """Time one mini-batch may take before it is retried (default 300 s)."""
    environment_id: NotRequired[pulumi.Input[str] | None]
    """Environment asset ID; absent for an MLflow model, which Azure ML scores without code."""
    deployment_name: NotRequired[str]
    """Name of the deployment (default ``main``): 3-32 letters, digits and hyphens, starting with a letter."""
    route_traffic: NotRequired[bool]
    """Make the deployment the endpoint's default (default True); False only while a new endpoint is created."""


class BatchScoring(pulumi.ComponentResource):
    """A batch endpoint (Entra ID auth) with one model deployment on a scale-to-zero cluster."""

    endpoint_name: pulumi.Output[str]
    endpoint_id: pulumi.Output[str]
    deployment_id: pulumi.Output[str]

    def __init__(self, name: str, args: BatchScoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplatform:index:BatchScoring", name, None, opts)
        location = args["location"]
        namer = namer_for(args["naming"], location)
        tags = required_tags(args["tags"])
        deployment_name = args.get("deployment_name", "main")
        settings = _validate(name, args, deployment_name)
        endpoint_name = namer.name(ResourceKind.ML_BATCH_ENDPOINT, args["qualifier"])
        route = args.get("route_traffic", True)

        endpoint = ml.BatchEndpoint(
            f"{name}-endpoint",
            endpoint_name=endpoint_name,
            workspace_name=args["workspace_name"],
            resource_group_name=args["resource_group_name"],
            location=location,
            properties=ml.BatchEndpointPropertiesArgs(
                auth_mode="AADToken",
                defaults=ml.BatchEndpointDefaultsArgs(deployment_name=deployment_name) if route else None,
                description=f"Batch endpoint {args['qualifier']}, managed by Pulumi.",
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

        deployment = ml.BatchDeployment(
            f"{name}-{deployment_name}",
            deployment_name=deployment_name,
            endpoint_name=endpoint.name,
            workspace_name=args["workspace_name"],
            resource_group_name=args["resource_group_name"],
            location=location,
            properties=ml.BatchDeploymentPropertiesArgs(
                model=ml.IdAssetReferenceArgs(asset_id=args["model"], reference_type="Id"),
                environment_id=args.get("environment_id"),
                compute=args["compute_id"],
                resources=ml.DeploymentResourceConfigurationArgs(instance_count=settings["instance_count"]),
                mini_batch_size=settings["mini_batch_size"],
                max_concurrency_per_instance=settings["max_concurrency_per_instance"],
                retry_settings=ml.BatchRetrySettingsArgs(
                    max_retries=settings["max_retries"], timeout=f"PT{settings['retry_timeout_seconds']}S"
                ),
                # One predictions file per job, one row per input: what downstream jobs and monitors read.
                output_action="AppendRow",
                output_file_name="predictions.csv",
                logging_level="Info",
                description=f"Deployment {deployment_name} of batch endpoint {args['qualifier']}, managed by Pulumi.",
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.endpoint_name = endpoint.name
        self.endpoint_id = endpoint.id
        self.deployment_id = deployment.id
        self.register_outputs(
            {"endpoint_name": self.endpoint_name, "endpoint_id": self.endpoint_id, "deployment_id": self.deployment_id}
        )


def _validate(component: str, args: BatchScoringArgs, deployment_name: str) -> dict[str, int]:
    """The numeric settings with their defaults, each checked before anything is registered."""
    if not isinstance(deployment_name, str) or DEPLOYMENT_NAME_RE.fullmatch(deployment_name) is None:
        raise ValueError(
            f"BatchScoring {component}: deployment name {deployment_name!r}: names are 3-32 letters, digits and "
            "hyphens, starting with a letter"
        )
    settings = {
        "mini_batch_size": args.get("mini_batch_size", 10),
        "instance_count": args.get("instance_count", 1),
        "max_concurrency_per_instance": args.get("max_concurrency_per_instance", 1),
        "max_retries": args.get("max_retries", 3),
        "retry_timeout_seconds": args.get("retry_timeout_seconds", 300),
    }
    for key, value in settings.items():
        lowest = 0 if key == "max_retries" else 1
        if not isinstance(value, int) or value < lowest:
            raise ValueError(f"BatchScoring {component}: {key} must be an integer of at least {lowest}, got {value!r}")
    return settings
