"""Monitoring: every log to Log Analytics, alerts on endpoints, jobs and clusters to an action group
(``monitoring``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from blueprint.program.settings import setting
from components.monitoring import DEFAULT_FAILED_JOBS_THRESHOLD, PlatformMonitoring
from components.validators import EMAIL_PATTERN

#: How monitoring, budgets and model monitors take an e-mail address.
EMAIL = {"type": "string", "pattern": EMAIL_PATTERN, "x-expected": "an email address"}
#: What an encrypted webhook URI stands as offline: a value of the right form, never sent anywhere.
SECRET_URI_PLACEHOLDER = "https://secret.invalid/"


@dataclass(frozen=True, kw_only=True)
class WebhookSettings:
    """A webhook receiver of the action group (a chat or incident tool)."""

    name: str = setting("name", pattern="^[A-Za-z0-9 _-]{1,60}$", x_expected="a receiver name")
    uri: str = setting(
        "uri", "May be encrypted (secure:): offline it stands as https://secret.invalid/, and it reaches Azure as a Pulumi secret.",
        pattern=r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/\S*)?$", x_expected="an https:// URL with a host name and no spaces",
        x_secret_placeholder=SECRET_URI_PLACEHOLDER,
    )


@dataclass(frozen=True, kw_only=True)
class MonitoringSettings:
    """Alerts and where they go."""

    emails: tuple[str, ...] = setting("emails", "Who receives alerts, budget notices and drift reports.", minItems=1, maxItems=20, uniqueItems=True, items=EMAIL)
    webhooks: tuple[WebhookSettings, ...] = setting("webhooks", default=(), maxItems=10)
    latency_ms: int = setting("latencyMs", "Endpoint average request latency that raises an alert.", default=1000, minimum=10, maximum=60000)
    server_errors_per_minute: int = setting("serverErrorsPerMinute", "5xx responses per minute that raise an alert.", default=5, minimum=1, maximum=10000)
    failed_jobs: int = setting("failedJobs", "Failed runs in 15 minutes that raise an alert.", default=DEFAULT_FAILED_JOBS_THRESHOLD, minimum=1, maximum=1000)
    cluster_node_usage_percent: int = setting(
        "clusterNodeUsagePercent", "Alert when a cluster's active nodes exceed this share of its maximum.", default=80, minimum=1, maximum=100,
    )


def create_monitoring(
    monitoring: MonitoringSettings,
    *,
    resource_group_name: pulumi.Input[str],
    naming: Mapping[str, str],
    location: str,
    tags: Mapping[str, str],
    log_analytics_workspace_id: pulumi.Input[str],
    workspace_id: pulumi.Input[str],
    diagnostic_targets: Sequence[tuple[str, pulumi.Input[str], str]],
    endpoints: Sequence[tuple[str, pulumi.Input[str]]],
    clusters: Sequence[tuple[str, int]],
) -> PlatformMonitoring:
    """Diagnostics for each ``(key, resource ID, kind)``, alerts for each ``(name, endpoint ID)`` and
    ``(cluster name, max nodes)``."""
    return PlatformMonitoring(
        "monitoring",
        {
            "resource_group_name": resource_group_name,
            "naming": dict(naming),
            "location": location,
            "tags": dict(tags),
            "log_analytics_workspace_id": log_analytics_workspace_id,
            "diagnostic_targets": [{"key": key, "resource_id": resource_id, "kind": kind} for key, resource_id, kind in diagnostic_targets],
            "emails": list(monitoring.emails),
            "webhooks": [{"name": webhook.name, "uri": webhook.uri} for webhook in monitoring.webhooks],
            "workspace_id": workspace_id,
            "failed_jobs_threshold": monitoring.failed_jobs,
            "online_endpoints": [
                {"key": name, "endpoint_id": endpoint_id, "latency_ms": monitoring.latency_ms,
                 "server_errors_per_minute": monitoring.server_errors_per_minute}
                for name, endpoint_id in endpoints
            ],
            "clusters": [
                {"name": name, "max_nodes": max_nodes, "node_usage_percent": monitoring.cluster_node_usage_percent}
                for name, max_nodes in clusters
            ],
        },
    )
