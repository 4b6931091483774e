"""Drift and retraining: a model monitor per watched deployment (``drift``) and the training pipeline on a cadence
(``retraining``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pulumi

from blueprint.program.config.errors import ConfigIssue, describe
from blueprint.program.config.rules import cron_issues, key_path
from blueprint.program.features.batch import CLUSTER_REFERENCE
from blueprint.program.features.serving import EndpointSettings
from blueprint.program.settings import setting
from blueprint.program.stacks.assets import registry_asset
from components.ml_schedules import DEFAULT_MONITOR_CRON, DEFAULT_TIME_ZONE, FREQUENCIES, ModelMonitor, RetrainingSchedule

THRESHOLD: dict[str, Any] = {"exclusiveMinimum": 0, "maximum": 1, "x_expected": "a number above 0 and at most 1"}


@dataclass(frozen=True, kw_only=True)
class DriftSettings:
    """Model monitoring of production deployments."""

    baseline_data: str = setting("baselineData", pattern="^azureml:", x_expected="a data asset reference such as azureml:fraud-training-data:1")
    data_drift_threshold: float = setting(
        "dataDriftThreshold", "Normalized Wasserstein / Jensen-Shannon distance that raises a data drift alert.", default=0.1, **THRESHOLD,
    )
    prediction_drift_threshold: float = setting("predictionDriftThreshold", "Prediction drift that raises an alert.", default=0.1, **THRESHOLD)
    null_rate_threshold: float = setting("nullRateThreshold", "Data quality: share of nulls that raises an alert.", default=0.05, **THRESHOLD)
    cron: str = setting("cron", "When the monitor runs.", default=DEFAULT_MONITOR_CRON)


@dataclass(frozen=True, kw_only=True)
class RecurrenceSettings:
    """A cadence as a frequency and an interval (every 2 weeks)."""

    frequency: str = setting("frequency", override={"enum": list(FREQUENCIES)})
    interval: int = setting("interval", minimum=1, maximum=1000)


@dataclass(frozen=True, kw_only=True)
class RetrainingSettings:
    """Retraining on a cadence: the training pipeline on fresh data."""

    pipeline_component: str = setting(
        "pipelineComponent", pattern=r"^(azureml:\S+|registry:[A-Za-z0-9][A-Za-z0-9_.-]*(:[A-Za-z0-9_.-]+|@latest))$",
        x_expected="registry:<component>@latest or registry:<component>:<version> (in the shared registry), or a full azureml: component reference",
    )
    inputs: Mapping[str, str] = setting(
        "inputs", "Pipeline inputs: name to data reference, read when each run starts.", minProperties=1,
        values={"pattern": "^azureml:", "x-expected": "a data reference such as azureml://datastores/workspaceblobstore/paths/fraud/training/"},
        convert=lambda inputs: dict(sorted(inputs.items())),
    )
    registered_outputs: Mapping[str, str] = setting(
        "registeredOutputs",
        "Pipeline outputs (MLTable) registered as data assets in the workspace at every run: output name to asset name. "
        "The training pipeline's training_reference is the drift monitors' baseline (drift.baselineData names its version).",
        default=MappingProxyType({}),
        names={"pattern": "^[a-zA-Z_][a-zA-Z0-9_]{0,254}$", "x-expected": "a pipeline output name (letters, digits, underscores)"},
        values={"pattern": "^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$", "x-expected": "a data asset name such as fraud-training-reference"},
        convert=lambda outputs: dict(sorted(outputs.items())),
    )
    cron: str | None = setting("cron", "Five-field cron expression, e.g. 0 2 * * 1 (Mondays 02:00). Give this or recurrence.", default=None)
    recurrence: RecurrenceSettings | None = setting("recurrence", "Give this or cron.", default=None)
    time_zone: str = setting("timeZone", default=DEFAULT_TIME_ZONE)
    cluster: str = setting(
        "cluster", override=CLUSTER_REFERENCE, derive=lambda c: c.root["clusters"][0]["name"], default_doc="the stack's first cluster",
    )


def drift_issues(project: str, values: Mapping[str, Any], drift_needed: bool) -> list[ConfigIssue]:
    """Drift settings wherever a deployment is watched; a cron Azure ML accepts."""
    issues: list[ConfigIssue] = []
    if drift_needed and "drift" not in values:
        issues.append(ConfigIssue(key_path(project, ["drift"]), "drift settings (baselineData, thresholds): a deployment is monitored for drift", "nothing"))
    drift = values.get("drift", {})
    if "cron" in drift:
        issues += cron_issues(project, ["drift", "cron"], drift["cron"], DEFAULT_MONITOR_CRON)
    return issues


def retraining_issues(project: str, values: Mapping[str, Any]) -> list[ConfigIssue]:
    """One cadence, a cron Azure ML accepts, a cluster the stack has."""
    retraining = values.get("retraining")
    if retraining is None:
        return []
    issues: list[ConfigIssue] = []
    clusters = {c["name"] for c in values.get("clusters", [])}
    if ("cron" in retraining) == ("recurrence" in retraining):
        issues.append(ConfigIssue(key_path(project, ["retraining"]), "exactly one of cron or recurrence", "both" if "cron" in retraining else "neither"))
    if "cron" in retraining:
        issues += cron_issues(project, ["retraining", "cron"], retraining["cron"], "0 2 * * 1")
    if "cluster" in retraining and retraining["cluster"] not in clusters:
        issues.append(ConfigIssue(key_path(project, ["retraining", "cluster"]), f"one of this stack's clusters ({', '.join(sorted(clusters))})", describe(retraining["cluster"])))
    return issues


def monitors_run_spark(drift: DriftSettings | None, endpoints: Sequence[EndpointSettings]) -> bool:
    """Whether the stack has a model monitor: monitors run on serverless Spark, which a managed network must be
    provisioned for (``az ml workspace provision-network --include-spark``, run by the deploy workflow)."""
    return drift is not None and any(d.monitor_drift for e in endpoints for d in e.deployments)


def create_model_monitors(
    drift: DriftSettings | None,
    watched: Sequence[tuple[str, str, pulumi.Resource, pulumi.Input[str]]],
    *,
    workspace_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    emails: Sequence[str],
) -> list[ModelMonitor]:
    """A monitor for each watched ``(endpoint, deployment, endpoint resource, endpoint name)``."""
    if drift is None:
        return []
    return [
        ModelMonitor(
            f"monitor-{endpoint}-{deployment}",
            {
                "workspace_name": workspace_name,
                "resource_group_name": resource_group_name,
                "name": f"monitor-{endpoint}-{deployment}",
                "endpoint_name": endpoint_name,
                "deployment_name": deployment,
                "baseline_data": drift.baseline_data,
                "data_drift_threshold": drift.data_drift_threshold,
                "prediction_drift_threshold": drift.prediction_drift_threshold,
                "data_quality_null_rate_threshold": drift.null_rate_threshold,
                "emails": list(emails),
                "cron": drift.cron,
            },
            opts=pulumi.ResourceOptions(depends_on=[resource]),
        )
        for endpoint, deployment, resource, endpoint_name in watched
    ]


def create_retraining(
    retraining: RetrainingSettings | None,
    *,
    workspace_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    registry_name: pulumi.Input[str] | None,
) -> RetrainingSchedule | None:
    """The training pipeline on its cadence, its component resolved in the shared registry."""
    if retraining is None:
        return None
    cadence: dict[str, object] = (
        {"cron": retraining.cron}
        if retraining.cron
        else {"recurrence": {"frequency": retraining.recurrence.frequency, "interval": retraining.recurrence.interval}}  # type: ignore[union-attr]
    )
    return RetrainingSchedule(
        "retraining",
        {
            "workspace_name": workspace_name,
            "resource_group_name": resource_group_name,
            "name": "retraining",
            "pipeline_component_id": registry_asset(retraining.pipeline_component, "components", registry_name),
            "inputs": dict(retraining.inputs),
            "compute": retraining.cluster,
            **({"registered_outputs": dict(retraining.registered_outputs)} if retraining.registered_outputs else {}),
            "time_zone": retraining.time_zone,
            **cadence,  # type: ignore[typeddict-item]
        },
    )
