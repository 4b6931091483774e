"""``PlatformMonitoring``: resource logs to Log Analytics, one action group, and the alerts an ML platform needs.

Every target resource gets a diagnostic setting that sends all of its logs (the ``allLogs`` category group, so
categories Azure adds later are included) and its platform metrics to the platform's Log Analytics workspace:
without them there is no audit trail of who read a secret, pulled an image or called an endpoint. Metric alerts
cover what breaks an ML platform quietly: slow or failing online endpoints, failed jobs, and clusters running out
of nodes. They all notify one action group using the common alert schema, so receivers parse one payload shape.

Metric names, aggregations and dimensions are those of Azure Monitor's "Supported metrics" reference pages for
``Microsoft.MachineLearningServices/workspaces`` and ``.../workspaces/onlineEndpoints``; re-check them there when
adding an alert, since Azure rejects an alert rule on a metric or dimension the resource type does not emit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NotRequired, TypedDict
from urllib.parse import urlsplit

import pulumi
from pulumi_azure_native import monitor

from components.naming import NamingArgs, ResourceKind, namer_for, validate_name
from components.tags import required_tags
from components.validators import is_email

#: Kinds of resources that can be sent to Log Analytics, and what their diagnostic settings carry.
TARGET_KINDS: tuple[str, ...] = (
    "workspace",
    "key_vault",
    "storage",
    "container_registry",
    "online_endpoint",
    "ml_registry",
)

ALL_LOGS = "allLogs"
ALL_METRICS = "AllMetrics"
#: Storage rejects ``AllMetrics`` ("supported categories are: 'Capacity;Transaction'"); Transaction is the
#: per-request metric set and is accepted by both the account and its blob service.
STORAGE_METRICS = "Transaction"
#: Resource-specific tables (``AmlComputeJobEvent``, ``AZKVAuditLogs``, ...) instead of the shared
#: ``AzureDiagnostics`` table: typed columns, cheaper queries, and no 500-column limit.
DEDICATED = "Dedicated"

WORKSPACE_NAMESPACE = "Microsoft.MachineLearningServices/workspaces"
ENDPOINT_NAMESPACE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"

EVALUATION_FREQUENCY = "PT5M"
WINDOW_SIZE = "PT15M"
DEFAULT_FAILED_JOBS_THRESHOLD = 1
GROUP_SHORT_NAME_MAX = 12



class DiagnosticTarget(TypedDict):
    """A resource whose logs and metrics go to Log Analytics."""

    key: str
    """Stable identifier, unique among targets (e.g. ``workspace``); keys the output map."""
    resource_id: pulumi.Input[str]
    """ARM ID of the resource (for storage, the account: the blob service setting is derived from it)."""
    kind: str
    """One of :data:`TARGET_KINDS`; decides which metrics the setting can carry."""


class WebhookArgs(TypedDict):
    """A webhook receiver of the action group (an incident tool, a chat channel)."""

    name: str
    """Receiver name, unique in the action group."""
    uri: pulumi.Input[str]
    """HTTPS endpoint; kept secret in state, since such URIs usually embed a token."""


class EndpointAlertArgs(TypedDict):
    """Alerts on one Azure ML online endpoint."""

    key: str
    """Stable identifier of the endpoint, used in alert names and keys."""
    endpoint_id: pulumi.Input[str]
    """ARM ID of the online endpoint."""
    latency_ms: float
    """Alert when the average request latency over the window exceeds this many milliseconds."""
    server_errors_per_minute: float
    """Alert when 5xx responses average more than this many per minute over the window."""


class ClusterAlertArgs(TypedDict):
    """A node-usage alert on one compute cluster of the workspace."""

    name: str
    """Compute cluster name (the ``ClusterName`` dimension of the workspace's node metrics)."""
    max_nodes: int
    """The cluster's maximum node count."""
    node_usage_percent: int
    """Alert when active nodes reach this share of ``max_nodes``, 1-100 (rounded up to whole nodes)."""


class PlatformMonitoringArgs(TypedDict):
    """Arguments of :class:`PlatformMonitoring`."""

    resource_group_name: pulumi.Input[str]
    """Resource group of the action group and the alert rules."""
    naming: NamingArgs
    """How physical names are derived."""
    location: str
    """The platform's region (names carry it; action groups and alerts themselves are global)."""
    tags: dict[str, str]
    """Tags for every taggable resource; must hold the required tags."""
    log_analytics_workspace_id: pulumi.Input[str]
    """ARM ID of the Log Analytics workspace that receives every resource's logs and metrics."""
    diagnostic_targets: Sequence[DiagnosticTarget]
    """Resources whose logs and metrics are sent to Log Analytics."""
    emails: Sequence[str]
    """Addresses notified by every alert."""
    webhooks: NotRequired[Sequence[WebhookArgs]]
    """HTTPS webhooks notified by every alert."""
    workspace_id: pulumi.Input[str]
    """ARM ID of the Azure ML workspace (scope of the job and node alerts)."""
    online_endpoints: NotRequired[Sequence[EndpointAlertArgs]]
    """Online endpoints to alert on (latency and server errors)."""
    clusters: NotRequired[Sequence[ClusterAlertArgs]]
    """Compute clusters to alert on (active nodes near the maximum)."""
    failed_jobs_threshold: NotRequired[int]
    """Alert when more than this many jobs fail within 15 minutes (default 1)."""


class PlatformMonitoring(pulumi.ComponentResource):
    """Diagnostic settings to Log Analytics, an action group, and metric alerts on endpoints, jobs and clusters."""

    action_group_id: pulumi.Output[str]
    alert_ids: pulumi.Output[dict[str, str]]
    diagnostic_setting_ids: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: PlatformMonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplatform:index:PlatformMonitoring", name, None, opts)
        naming = args["naming"]
        namer = namer_for(naming, args["location"])
        tags = required_tags(args["tags"])
        targets = _checked_targets(name, args["diagnostic_targets"])
        emails = _checked_emails(name, args["emails"])
        email_names = [f"email-{i}" for i in range(1, len(emails) + 1)]
        webhooks = _webhook_receivers(name, args.get("webhooks") or [], reserved=set(email_names))
        endpoints = _checked_endpoints(name, args.get("online_endpoints") or [])
        clusters = _checked_clusters(name, args.get("clusters") or [])
        failed_jobs = args.get("failed_jobs_threshold", DEFAULT_FAILED_JOBS_THRESHOLD)
        if isinstance(failed_jobs, bool) or not isinstance(failed_jobs, int) or failed_jobs < 0:
            raise ValueError(
                f"PlatformMonitoring {name}: failed_jobs_threshold must be a whole number >= 0, got {failed_jobs!r}"
            )
        if not emails and not webhooks:
            raise ValueError(f"PlatformMonitoring {name}: give at least one email or webhook, or nobody hears the alerts")
        child = pulumi.ResourceOptions(parent=self)
        rg_name = args["resource_group_name"]
        law_id = args["log_analytics_workspace_id"]

        setting_ids = resource_diagnostics(name, naming, targets, law_id, opts=child)

        action_group = monitor.ActionGroup(
            f"{name}-ag",
            action_group_name=namer.name(ResourceKind.ACTION_GROUP),
            resource_group_name=rg_name,
            location="Global",
            group_short_name=_short_name(naming),
            enabled=True,
            email_receivers=[
                monitor.MicrosoftCommonEmailReceiverArgs(name=receiver, email_address=email, use_common_alert_schema=True)
                for receiver, email in zip(email_names, emails, strict=True)
            ],
            webhook_receivers=webhooks,
            tags=tags,
            opts=child,
        )

        def alert(
            key: str, description: str, severity: int, scope: pulumi.Input[str], criterion: monitor.MetricCriteriaArgs
        ) -> monitor.MetricAlert:
            return monitor.MetricAlert(
                f"{name}-alert-{key}",
                rule_name=namer.name(ResourceKind.METRIC_ALERT, key),
                resource_group_name=rg_name,
                location="global",
                description=description,
                severity=severity,
                enabled=True,
                scopes=[scope],
                evaluation_frequency=EVALUATION_FREQUENCY,
                window_size=WINDOW_SIZE,
                auto_mitigate=True,
                criteria=monitor.MetricAlertSingleResourceMultipleMetricCriteriaArgs(
                    odata_type="Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria", all_of=[criterion]
                ),
                actions=[monitor.MetricAlertActionArgs(action_group_id=action_group.id)],
                tags=tags,
                opts=child,
            )

        alerts: dict[str, monitor.MetricAlert] = {}
        for endpoint in endpoints:
            key = endpoint["key"]
            alerts[f"{key}-latency"] = alert(
                f"{key}-latency",
                f"Online endpoint {key}: average request latency above {endpoint['latency_ms']:g} ms over 15 minutes.",
                2,
                endpoint["endpoint_id"],
                _criterion("latency", "RequestLatency", ENDPOINT_NAMESPACE, "Average", endpoint["latency_ms"]),
            )
            # RequestsPerMinute is already a per-minute count and Azure documents only the Average aggregation
            # for it: the average over the window is "5xx responses per minute", the unit of the threshold.
            alerts[f"{key}-5xx"] = alert(
                f"{key}-5xx",
                f"Online endpoint {key}: more than {endpoint['server_errors_per_minute']:g} server errors (5xx) per minute.",
                1,
                endpoint["endpoint_id"],
                _criterion(
                    "server-errors",
                    "RequestsPerMinute",
                    ENDPOINT_NAMESPACE,
                    "Average",
                    endpoint["server_errors_per_minute"],
                    dimension=("statusCodeClass", "5xx"),
                ),
            )
        alerts["failed-jobs"] = alert(
            "failed-jobs",
            f"More than {failed_jobs} Azure ML job(s) failed within 15 minutes.",
            2,
            args["workspace_id"],
            _criterion("failed-runs", "Failed Runs", WORKSPACE_NAMESPACE, "Total", failed_jobs),
        )
        for cluster in clusters:
            nodes = node_usage_threshold(cluster["max_nodes"], cluster["node_usage_percent"])
            alerts[f"{cluster['name']}-nodes"] = alert(
                f"{cluster['name']}-nodes",
                f"Cluster {cluster['name']}: {nodes} of {cluster['max_nodes']} nodes busy "
                f"({cluster['node_usage_percent']}% or more); jobs will start queueing.",
                3,
                args["workspace_id"],
                _criterion(
                    "active-nodes",
                    "Active Nodes",
                    WORKSPACE_NAMESPACE,
                    "Maximum",
                    nodes,
                    operator="GreaterThanOrEqual",
                    dimension=("ClusterName", cluster["name"]),
                ),
            )

        self.action_group_id = action_group.id
        self.alert_ids = _output_map({key: rule.id for key, rule in alerts.items()})
        self.diagnostic_setting_ids = _output_map(setting_ids)
        self.register_outputs(
            {
                "action_group_id": self.action_group_id,
                "alert_ids": self.alert_ids,
                "diagnostic_setting_ids": self.diagnostic_setting_ids,
            }
        )


def resource_diagnostics(
    name: str,
    naming: NamingArgs,
    targets: Sequence[DiagnosticTarget],
    law_id: pulumi.Input[str],
    *,
    opts: pulumi.ResourceOptions,
) -> dict[str, pulumi.Output[str]]:
    """A diagnostic setting per target sending its logs (and metrics) to ``law_id``; IDs by target key.

    Shared by :class:`PlatformMonitoring` and the state backend, so both send the same categories the same way.
    Resource names are ``<name>-diag-<key>`` (and ``<name>-diag-<key>-blob`` for storage).
    """
    targets = _checked_targets(name, targets)
    setting_name = f"diag-{naming['prefix']}-{naming['environment']}"
    setting_ids: dict[str, pulumi.Output[str]] = {}
    for target in targets:
        key, kind, resource_id = target["key"], target["kind"], target["resource_id"]
        if kind == "storage":
            # The account itself only has metrics; its resource logs (reads, writes, deletes) belong to the
            # blob service, which needs its own setting.
            account = _diagnostic_setting(
                f"{name}-diag-{key}", setting_name, resource_id, law_id, logs=False, metrics=STORAGE_METRICS, opts=opts
            )
            blob_id = pulumi.Output.from_input(resource_id).apply(lambda account_id: f"{account_id}/blobServices/default")
            blob = _diagnostic_setting(
                f"{name}-diag-{key}-blob", setting_name, blob_id, law_id, logs=True, metrics=STORAGE_METRICS, opts=opts
            )
            setting_ids[key], setting_ids[f"{key}-blob"] = account.id, blob.id
        else:
            # Azure ML registries publish no platform metrics: asking for AllMetrics there is rejected.
            metrics = None if kind == "ml_registry" else ALL_METRICS
            setting_ids[key] = _diagnostic_setting(
                f"{name}-diag-{key}", setting_name, resource_id, law_id, logs=True, metrics=metrics, opts=opts
            ).id
    return setting_ids


def node_usage_threshold(max_nodes: int, percent: int) -> int:
    """Active nodes at which a cluster counts as ``percent`` used: ``ceil(max_nodes * percent / 100)``.

    Integer arithmetic: 80% of 4 nodes is 4 (3.2 rounded up), and no float rounding is left to reason about.
    """
    return -(-max_nodes * percent // 100)


def _diagnostic_setting(
    resource_name: str,
    setting_name: str,
    resource_uri: pulumi.Input[str],
    law_id: pulumi.Input[str],
    *,
    logs: bool,
    metrics: str | None,
    opts: pulumi.ResourceOptions,
) -> monitor.DiagnosticSetting:
    return monitor.DiagnosticSetting(
        resource_name,
        name=setting_name,
        resource_uri=resource_uri,
        workspace_id=law_id,
        log_analytics_destination_type=DEDICATED if logs else None,
        logs=[monitor.DiagnosticsLogSettingsArgs(category_group=ALL_LOGS, enabled=True)] if logs else None,
        metrics=[monitor.DiagnosticsMetricSettingsArgs(category=metrics, enabled=True)] if metrics else None,
        opts=opts,
    )


def _criterion(
    name: str,
    metric: str,
    namespace: str,
    aggregation: str,
    threshold: float,
    *,
    operator: str = "GreaterThan",
    dimension: tuple[str, str] | None = None,
) -> monitor.MetricCriteriaArgs:
    return monitor.MetricCriteriaArgs(
        criterion_type="StaticThresholdCriterion",
        name=name,
        metric_name=metric,
        metric_namespace=namespace,
        operator=operator,
        threshold=threshold,
        time_aggregation=aggregation,
        dimensions=[monitor.MetricDimensionArgs(name=dimension[0], operator="Include", values=[dimension[1]])]
        if dimension
        else None,
    )


def _short_name(naming: NamingArgs) -> str:
    """The action group's short name (shown in SMS and emails), at most 12 characters: ``<prefix>-<env>``."""
    environment = str(naming["environment"])
    room = GROUP_SHORT_NAME_MAX - len(environment) - 1
    return f"{naming['prefix'][:room]}-{environment}" if room >= 2 else str(naming["prefix"])[:GROUP_SHORT_NAME_MAX]


def _output_map(values: dict[str, pulumi.Output[str]]) -> pulumi.Output[dict[str, str]]:
    return pulumi.Output.all(**values).apply(dict) if values else pulumi.Output.from_input({})


def _checked_targets(name: str, targets: Sequence[DiagnosticTarget]) -> list[DiagnosticTarget]:
    keys: set[str] = set()
    for target in targets:
        key, kind = target.get("key"), target.get("kind")
        if not key or not isinstance(key, str):
            raise ValueError(f"PlatformMonitoring {name}: every diagnostic target needs a non-empty key")
        if kind not in TARGET_KINDS:
            raise ValueError(
                f"PlatformMonitoring {name}: diagnostic target {key!r} has kind {kind!r}; "
                f"expected one of {', '.join(TARGET_KINDS)}"
            )
        # The storage blob setting is keyed "<key>-blob": keep that free too.
        for taken in (key, f"{key}-blob") if kind == "storage" else (key,):
            if taken in keys:
                raise ValueError(f"PlatformMonitoring {name}: diagnostic target key {taken!r} is used twice")
            keys.add(taken)
    return list(targets)


def _checked_emails(name: str, emails: Sequence[str]) -> list[str]:
    if isinstance(emails, str):
        raise ValueError(f"PlatformMonitoring {name}: emails must be a list of addresses, not a single string")
    seen: set[str] = set()
    for email in emails:
        if not is_email(email):
            raise ValueError(f"PlatformMonitoring {name}: {email!r} is not an email address (expected name@domain.tld)")
        if email.lower() in seen:
            raise ValueError(f"PlatformMonitoring {name}: email {email!r} is listed twice")
        seen.add(email.lower())
    return list(emails)


def _checked_endpoints(name: str, endpoints: Sequence[EndpointAlertArgs]) -> list[EndpointAlertArgs]:
    keys: set[str] = set()
    for endpoint in endpoints:
        key = endpoint.get("key")
        if not key or key in keys:
            raise ValueError(f"PlatformMonitoring {name}: online endpoint keys must be non-empty and unique, got {key!r}")
        keys.add(key)
        if not _is_number(endpoint.get("latency_ms")) or endpoint["latency_ms"] <= 0:
            raise ValueError(f"PlatformMonitoring {name}: endpoint {key!r}: latency_ms must be a number > 0")
        if not _is_number(endpoint.get("server_errors_per_minute")) or endpoint["server_errors_per_minute"] < 0:
            raise ValueError(f"PlatformMonitoring {name}: endpoint {key!r}: server_errors_per_minute must be a number >= 0")
    return list(endpoints)


def _checked_clusters(name: str, clusters: Sequence[ClusterAlertArgs]) -> list[ClusterAlertArgs]:
    names: set[str] = set()
    for cluster in clusters:
        cluster_name = cluster.get("name", "")
        problems = validate_name(ResourceKind.ML_COMPUTE_CLUSTER, cluster_name)
        if problems:
            raise ValueError(f"PlatformMonitoring {name}: invalid cluster name {cluster_name!r}: {'; '.join(problems)}")
        if cluster_name in names:
            raise ValueError(f"PlatformMonitoring {name}: cluster {cluster_name!r} is listed twice")
        names.add(cluster_name)
        max_nodes, percent = cluster.get("max_nodes"), cluster.get("node_usage_percent")
        if not _is_whole(max_nodes) or max_nodes < 1:
            raise ValueError(
                f"PlatformMonitoring {name}: cluster {cluster_name!r}: max_nodes must be a whole number >= 1, "
                f"got {max_nodes!r}"
            )
        if not _is_whole(percent) or not 1 <= percent <= 100:
            raise ValueError(
                f"PlatformMonitoring {name}: cluster {cluster_name!r}: node_usage_percent must be from 1 to 100, got {percent!r}"
            )
    return list(clusters)


def _webhook_receivers(
    name: str, webhooks: Sequence[WebhookArgs], reserved: set[str]
) -> list[monitor.WebhookReceiverArgs]:
    receivers: list[monitor.WebhookReceiverArgs] = []
    names = set(reserved)
    for webhook in webhooks:
        hook_name = webhook.get("name")
        if not hook_name or hook_name in names:
            raise ValueError(
                f"PlatformMonitoring {name}: webhook names must be non-empty and unique among receivers "
                f"(emails are named email-1, email-2, ...), got {hook_name!r}"
            )
        names.add(hook_name)
        uri = webhook.get("uri")
        if isinstance(uri, pulumi.Output):  # a secret from config: checked once known, failing with the same message
            checked: pulumi.Input[str] = uri.apply(lambda value, hook=hook_name: _check_https(name, hook, value))
        else:
            checked = _check_https(name, hook_name, uri)
        receivers.append(
            monitor.WebhookReceiverArgs(
                name=hook_name, service_uri=pulumi.Output.secret(checked), use_common_alert_schema=True
            )
        )
    return receivers


def _check_https(name: str, hook_name: str, uri: object) -> str:
    parts = urlsplit(uri) if isinstance(uri, str) else None
    if parts is None or parts.scheme.lower() != "https" or not parts.hostname:
        raise ValueError(f"PlatformMonitoring {name}: webhook {hook_name!r} must use an https:// URI")
    return str(uri)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
