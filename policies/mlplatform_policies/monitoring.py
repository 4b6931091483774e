"""Monitoring: telemetry stores that accept Microsoft Entra ID only and, when closed to public ingestion, are reached
through an Azure Monitor Private Link Scope; resource logs for the workspace and vault; alerts that reach someone.

Resource policies read inputs (Application Insights lifts ``properties`` to the top level; Log Analytics keeps
``features.disableLocalAuth`` nested). Stack policies read outputs and find which resource a diagnostic setting or an
alert is about through the dependency graph: ``property_dependencies["resourceUri"]`` for a diagnostic setting,
``["scopes"]`` and ``["actions"]`` for a metric alert, falling back to ``dependencies``. IDs such as ``workspaceId``
are unknown during a real preview; an unknown value counts as set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity, StackValidationArgs

from mlplatform_policies.base import (
    UNKNOWN,
    Controls,
    dependencies_through,
    is_number,
    is_value,
    property_policy,
    read,
    resource_policy,
    shown,
    stack_policy,
)

APP_INSIGHTS = "azure-native:applicationinsights:Component"
LOG_ANALYTICS = "azure-native:operationalinsights:Workspace"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
ACTION_GROUP = "azure-native:monitor:ActionGroup"
METRIC_ALERT = "azure-native:monitor:MetricAlert"
ML_WORKSPACE = "azure-native:machinelearningservices:Workspace"
KEY_VAULT = "azure-native:keyvault:Vault"
ONLINE_ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
PRIVATE_LINK_SCOPE = "azure-native:monitor:PrivateLinkScope"
SCOPED_RESOURCE = "azure-native:monitor:PrivateLinkScopedResource"
PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
#: The private link group (sub-resource) of an Azure Monitor Private Link Scope.
MONITOR_GROUP_ID = "azuremonitor"

MIN_RETENTION_DAYS = 30
#: Diagnostic setting category groups that carry a resource's audit trail.
AUDIT_CATEGORY_GROUPS = ("allLogs", "audit")

_WORKSPACE_COMPONENT = "MlWorkspace (components/ml_workspace.py)"
_MONITORING_COMPONENT = "PlatformMonitoring (components/monitoring.py)"


def _as_list(value: Any) -> list[Any]:
    if value is None or value is UNKNOWN or isinstance(value, (str, bytes)):
        return []
    return list(value) if isinstance(value, Sequence) else []


def _is_set(value: Any) -> bool:
    return value not in (None, "")


# --- Application Insights and Log Analytics (resource policies) ---


def _appi_workspace_based(props: Mapping[str, Any]) -> str | None:
    value = read(props, "workspaceResourceId")
    if _is_set(value):
        return None
    return (
        "Application Insights component is classic (not workspace-based): workspaceResourceId is not set; expected the "
        "ID of a Log Analytics workspace, so telemetry gets that workspace's access control, retention and private link."
    )


def _log_retention(props: Mapping[str, Any]) -> str | None:
    value = read(props, "retentionInDays")
    if value is UNKNOWN or (is_number(value) and value >= MIN_RETENTION_DAYS):
        return None
    return (
        f"Log Analytics workspace keeps logs too briefly for an investigation: retentionInDays is {shown(value)}; "
        f"expected at least {MIN_RETENTION_DAYS}."
    )


# --- Diagnostic settings (stack policies) ---


def _setting_problems(setting: Any) -> list[str]:
    """Why a diagnostic setting does not send resource logs to Log Analytics (empty when it does)."""
    problems = []
    if not _is_set(read(setting.props, "workspaceId")):
        problems.append("no workspaceId")
    logs = _as_list(read(setting.props, "logs"))
    if not any(
        read(entry, "enabled") is True
        and any(is_value(read(entry, "categoryGroup"), group) for group in AUDIT_CATEGORY_GROUPS)
        for entry in logs
        if isinstance(entry, Mapping)
    ):
        problems.append("no enabled log entry with categoryGroup allLogs or audit")
    return problems


def _diagnostics_for(resource_type: str, noun: str) -> Any:
    def check(args: StackValidationArgs) -> Iterable[tuple[str | None, str]]:
        settings = [r for r in args.resources if r.resource_type == DIAGNOSTIC_SETTING]
        for target in (r for r in args.resources if r.resource_type == resource_type):
            mine = [s for s in settings if any(d.urn == target.urn for d in dependencies_through(s, "resourceUri"))]
            problems = {s.name: _setting_problems(s) for s in mine}
            if any(not p for p in problems.values()):
                continue
            if not mine:
                found = "has no diagnostic setting"
            else:
                details = "; ".join(f"{name}: {', '.join(p)}" for name, p in problems.items())
                found = f"has no diagnostic setting that sends its logs to Log Analytics ({details})"
            yield target.urn, (
                f"{noun} {target.name} {found}; expected a monitor:DiagnosticSetting whose resourceUri is this resource, "
                "with workspaceId set and logs [{categoryGroup: allLogs (or audit), enabled: true}]."
            )

    return check


# --- Telemetry closed to public ingestion (stack policy) ---


def _same_id(left: Any, right: Any) -> bool:
    """ARM IDs compare case-insensitively (ARM spells some providers in either case)."""
    return isinstance(left, str) and isinstance(right, str) and left.lower() == right.lower()


def _links(resource: Any, key: str, target: Any, output: str) -> bool:
    """Whether ``resource`` refers to ``target`` through its property ``key``: by dependency, or by the ID it holds."""
    return any(d.urn == target.urn for d in dependencies_through(resource, key)) or _same_id(
        read(resource.props, output), read(target.props, "id")
    )


def _in_scope(scoped: Any, scope: Any) -> bool:
    """A scoped resource belongs to ``scope``: by dependency, or because its ID lies under the scope's."""
    if any(d.urn == scope.urn for d in dependencies_through(scoped, "scopeName")):
        return True
    own, parent = read(scoped.props, "id"), read(scope.props, "id")
    return isinstance(own, str) and isinstance(parent, str) and own.lower().startswith(f"{parent.lower()}/scopedresources/")


def _endpoint_reaches(endpoint: Any, scope: Any) -> bool:
    """A private endpoint connects to ``scope`` with the Azure Monitor group."""
    connections = [c for c in _as_list(read(endpoint.props, "privateLinkServiceConnections")) if isinstance(c, Mapping)]
    groups = [g for c in connections for g in _as_list(read(c, "groupIds"))]
    if not any(is_value(group, MONITOR_GROUP_ID) for group in groups):
        return False
    linked = any(d.urn == scope.urn for d in dependencies_through(endpoint, "privateLinkServiceConnections"))
    return linked or any(_same_id(read(c, "privateLinkServiceId"), read(scope.props, "id")) for c in connections)


def _closed_telemetry_reachable(args: StackValidationArgs) -> Iterable[tuple[str | None, str]]:
    resources = list(args.resources)
    scopes = [r for r in resources if r.resource_type == PRIVATE_LINK_SCOPE]
    scoped = [r for r in resources if r.resource_type == SCOPED_RESOURCE]
    endpoints = [r for r in resources if r.resource_type == PRIVATE_ENDPOINT]
    stores = [
        r for r in resources
        if r.resource_type in (LOG_ANALYTICS, APP_INSIGHTS) and is_value(read(r.props, "publicNetworkAccessForIngestion"), "Disabled")
    ]
    for store in stores:
        noun = "Log Analytics workspace" if store.resource_type == LOG_ANALYTICS else "Application Insights component"
        mine = [
            scope for scope in scopes
            if any(_links(s, "linkedResourceId", store, "linkedResourceId") and _in_scope(s, scope) for s in scoped)
        ]
        if not mine:
            yield store.urn, (
                f"{noun} {store.name} has public ingestion disabled (publicNetworkAccessForIngestion: Disabled) but no "
                "Azure Monitor Private Link Scope scopes it, so telemetry sent to it has no way in; expected a "
                "monitor:PrivateLinkScope with a monitor:PrivateLinkScopedResource whose linkedResourceId is this resource."
            )
        elif endpoints and not any(_endpoint_reaches(e, scope) for e in endpoints for scope in mine):
            # A stack that builds private endpoints builds its network: that network must reach the scope too.
            yield store.urn, (
                f"{noun} {store.name} has public ingestion disabled and is scoped by {', '.join(s.name for s in mine)}, "
                "but none of the stack's private endpoints connects to that scope; expected a network:PrivateEndpoint "
                f"with groupIds [{MONITOR_GROUP_ID}] whose privateLinkServiceId is the scope."
            )


# --- Alerts (stack policies) ---


def _routes(alert: Any, groups: Sequence[Any]) -> tuple[list[str], list[str]]:
    """(action group IDs the alert notifies, names of disabled action groups of the stack it notifies)."""
    ids = [
        action_id
        for action in _as_list(read(alert.props, "actions"))
        if _is_set(action_id := read(action, "actionGroupId"))
    ]
    linked = {r.urn for r in dependencies_through(alert, "actions")}
    disabled = [g.name for g in groups if g.urn in linked and read(g.props, "enabled") is False]
    return ids, disabled


def _alerts_routed(args: StackValidationArgs) -> Iterable[tuple[str | None, str]]:
    alerts = [r for r in args.resources if r.resource_type == METRIC_ALERT]
    if not alerts:
        return
    groups = [r for r in args.resources if r.resource_type == ACTION_GROUP]
    if not groups:
        yield None, (
            f"The stack defines {len(alerts)} metric alert(s) but no monitor:ActionGroup; expected an action group with "
            "receivers that every alert notifies."
        )
    for alert in alerts:
        ids, disabled = _routes(alert, groups)
        if not ids:
            yield alert.urn, (
                f"Metric alert {alert.name} notifies nobody: its actions name no actionGroupId; expected actions "
                "[{actionGroupId: <an action group>}]."
            )
        elif disabled and len(disabled) >= len(ids):
            yield alert.urn, (
                f"Metric alert {alert.name} notifies only disabled action group(s) {', '.join(disabled)}; expected an "
                "enabled action group."
            )


def _criteria(alert: Any) -> list[Mapping[str, Any]]:
    return [c for c in _as_list(read(alert.props, "criteria.allOf")) if isinstance(c, Mapping)]


def _is_latency(criterion: Mapping[str, Any]) -> bool:
    metric = read(criterion, "metricName")
    return isinstance(metric, str) and metric.lower().startswith("requestlatency")


def _is_server_errors(criterion: Mapping[str, Any]) -> bool:
    if not is_value(read(criterion, "metricName"), "RequestsPerMinute"):
        return False
    for dimension in _as_list(read(criterion, "dimensions")):
        values = [str(v).lower() for v in _as_list(read(dimension, "values"))]
        if is_value(read(dimension, "name"), "statusCodeClass") and "5xx" in values:
            return True
        if is_value(read(dimension, "name"), "statusCode") and values and all(v.startswith("5") for v in values):
            return True
    return False


def _endpoint_alerts(args: StackValidationArgs) -> Iterable[tuple[str | None, str]]:
    alerts = [
        r for r in args.resources
        if r.resource_type == METRIC_ALERT and read(r.props, "enabled") is not False
    ]
    for endpoint in (r for r in args.resources if r.resource_type == ONLINE_ENDPOINT):
        criteria = [c for a in alerts if any(d.urn == endpoint.urn for d in dependencies_through(a, "scopes")) for c in _criteria(a)]
        missing = []
        if not any(_is_latency(c) for c in criteria):
            missing.append("request latency (RequestLatency)")
        if not any(_is_server_errors(c) for c in criteria):
            missing.append("server errors (RequestsPerMinute with statusCodeClass 5xx)")
        if missing:
            yield endpoint.urn, (
                f"Online endpoint {endpoint.name} has no enabled metric alert on {' or '.join(missing)}; expected "
                "enabled monitor:MetricAlert rules scoped to the endpoint for both latency and 5xx responses."
            )


POLICIES: list = [
    resource_policy(
        name="azure-native-applicationinsights-component-workspace-based",
        description="Application Insights components are workspace-based (their telemetry lives in Log Analytics).",
        rationale=(
            "Classic components are retired; a workspace-based component inherits the Log Analytics workspace's access "
            "control, retention, private link and local-auth settings, so those policies cover the telemetry too."
        ),
        checks="The component sets workspaceResourceId.",
        severity=Severity.MEDIUM,
        resource_types=[APP_INSIGHTS],
        check=_appi_workspace_based,
        controls=Controls(azure_policy=("d550e854-df1a-4de9-bf44-cd894b39a95e",), psrule=("Azure.AppInsights.Workspace",)),
        remediation=(
            f"Set workspace_resource_id=<Log Analytics workspace ID> and ingestion_mode=\"LogAnalytics\" on the "
            f"applicationinsights.Component that {_WORKSPACE_COMPONENT} creates, as it does with the platform's workspace."
        ),
        url="https://learn.microsoft.com/azure/azure-monitor/app/convert-classic-resource",
    ),
    property_policy(
        name="azure-native-applicationinsights-component-disable-local-auth",
        description="Application Insights components accept Microsoft Entra ID-authenticated telemetry only.",
        rationale=(
            "The instrumentation key is embedded in every client and connection string; with local auth on, anyone "
            "holding it can inject fake telemetry that drives alerts, autoscale and drift decisions."
        ),
        checks="The component sets disableLocalAuth to true.",
        severity=Severity.HIGH,
        resource_types=[APP_INSIGHTS],
        path="disableLocalAuth",
        expected=True,
        unknown_violates=True,
        message=(
            "Application Insights component accepts telemetry authenticated by its instrumentation key alone: "
            "{found}; expected {expected} (Microsoft Entra ID only)."
        ),
        controls=Controls(
            azure_policy=("199d5677-e4d9-4264-9465-efe1839c06bd",),
            mcsb=("IM-1",),
            psrule=("Azure.AppInsights.LocalAuth",),
        ),
        remediation=(
            f"Set disable_local_auth=True on the applicationinsights.Component that {_WORKSPACE_COMPONENT} creates; "
            "senders authenticate with a managed identity holding Monitoring Metrics Publisher."
        ),
        url="https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication",
    ),
    property_policy(
        name="azure-native-operationalinsights-workspace-disable-local-auth",
        description="Log Analytics workspaces accept Microsoft Entra ID authentication only (no workspace keys).",
        rationale=(
            "Workspace keys are shared secrets that let anyone write into, and older agents read from, the platform's "
            "audit logs; Entra ID makes every writer and reader an identity with a role."
        ),
        checks="The workspace sets features.disableLocalAuth to true.",
        severity=Severity.HIGH,
        resource_types=[LOG_ANALYTICS],
        path="features.disableLocalAuth",
        expected=True,
        unknown_violates=True,
        message=(
            "Log Analytics workspace accepts data and queries authenticated by workspace keys: "
            "{found}; expected {expected} (Microsoft Entra ID only)."
        ),
        controls=Controls(azure_policy=("e15effd4-2278-4c65-a0da-4d6f6d1890e2",), mcsb=("IM-1",)),
        remediation=(
            "Set features=operationalinsights.WorkspaceFeaturesArgs(disable_local_auth=True, ...) on the "
            f"operationalinsights.Workspace that {_WORKSPACE_COMPONENT} creates; agents must be Azure Monitor Agent."
        ),
        url="https://learn.microsoft.com/azure/azure-monitor/logs/azure-ad-authentication-logs",
    ),
    resource_policy(
        name="azure-native-operationalinsights-workspace-min-retention",
        description=f"Log Analytics workspaces keep logs for at least {MIN_RETENTION_DAYS} days.",
        rationale=(
            "Incidents are often found weeks after they start; shorter retention deletes the audit trail (who read a "
            "secret, pulled an image, called an endpoint) before anyone looks."
        ),
        checks=f"The workspace sets retentionInDays to {MIN_RETENTION_DAYS} or more.",
        severity=Severity.MEDIUM,
        resource_types=[LOG_ANALYTICS],
        check=_log_retention,
        controls=Controls(mcsb=("LT-6",)),
        remediation=(
            f"Set mlplatform:logRetentionDays in the stack file to {MIN_RETENTION_DAYS} or more (it defaults to 30 in dev and "
            f"90 in staging and prod); {_WORKSPACE_COMPONENT} passes it as retention_in_days."
        ),
        url="https://learn.microsoft.com/azure/azure-monitor/logs/data-retention-configure",
    ),
    stack_policy(
        name="azure-native-monitor-diagnosticsetting-ml-workspace-logs",
        description="Every Azure ML workspace sends its resource logs to Log Analytics.",
        rationale=(
            "Workspace resource logs record job, compute, model and data-access events; without a diagnostic setting "
            "they are not kept anywhere and an incident cannot be reconstructed."
        ),
        checks=(
            "Each ML workspace has a DiagnosticSetting whose resourceUri depends on it, with workspaceId set and an "
            "enabled allLogs or audit category group."
        ),
        severity=Severity.HIGH,
        check=_diagnostics_for(ML_WORKSPACE, "Machine Learning workspace"),
        controls=Controls(azure_policy=("afe0c3be-ba3b-4544-ba52-0c99672a8ad6",), mcsb=("LT-3",)),
        remediation=(
            f"List the workspace among the diagnostic_targets of {_MONITORING_COMPONENT} (kind \"workspace\"), as "
            "blueprint/program/stacks/environment.py does; it creates a setting with category group allLogs to the platform's "
            "Log Analytics workspace."
        ),
        url="https://learn.microsoft.com/azure/machine-learning/monitor-azure-machine-learning",
    ),
    stack_policy(
        name="azure-native-monitor-diagnosticsetting-key-vault-logs",
        description="Every Key Vault sends its resource logs (the AuditEvent trail) to Log Analytics.",
        rationale=(
            "Key Vault's audit log is the only record of who read, changed or deleted a secret or key; without a "
            "diagnostic setting it is not collected."
        ),
        checks=(
            "Each Key Vault has a DiagnosticSetting whose resourceUri depends on it, with workspaceId set and an enabled "
            "allLogs or audit category group."
        ),
        severity=Severity.HIGH,
        check=_diagnostics_for(KEY_VAULT, "Key Vault"),
        controls=Controls(azure_policy=("cf820ca0-f99e-4f3e-84fb-66e913812d21",), mcsb=("LT-3",)),
        remediation=(
            f"List the vault among the diagnostic_targets of {_MONITORING_COMPONENT} (kind \"key_vault\"), as "
            "blueprint/program/stacks/environment.py does for the platform's vault."
        ),
        url="https://learn.microsoft.com/azure/key-vault/general/logging",
    ),
    stack_policy(
        name="azure-native-monitor-privatelinkscope-closed-telemetry-reachable",
        description=(
            "Log Analytics workspaces and Application Insights components with public ingestion disabled are reached "
            "through an Azure Monitor Private Link Scope."
        ),
        rationale=(
            "A telemetry store closed to public ingestion accepts data only from networks connected to it through an "
            "Azure Monitor Private Link Scope; without one, endpoints' and agents' telemetry is refused and the "
            "platform runs blind (resource logs from diagnostic settings still arrive, over Microsoft's own channel)."
        ),
        checks=(
            "Each Log Analytics workspace or Application Insights component with publicNetworkAccessForIngestion "
            "Disabled is linked by a PrivateLinkScopedResource to a PrivateLinkScope that, when the stack creates "
            "private endpoints, one of them connects to with group azuremonitor."
        ),
        severity=Severity.HIGH,
        check=_closed_telemetry_reachable,
        controls=Controls(mcsb=("NS-2",)),
        remediation=(
            f"Keep the stack's network mode private: {_WORKSPACE_COMPONENT} then creates a MonitorPrivateLinkScope "
            "(components/monitor_private_link.py) scoping both stores whenever it disables their public ingestion, and "
            "blueprint/program/stacks/environment.py gives the PrivateNetwork an azuremonitor endpoint to it. A store "
            "closed outside the component needs a monitor.PrivateLinkScopedResource in such a scope."
        ),
        url="https://learn.microsoft.com/azure/azure-monitor/logs/private-link-security",
    ),
    stack_policy(
        name="azure-native-monitor-metricalert-action-group",
        description="Metric alerts notify someone: an action group exists, and every alert routes to an enabled one.",
        rationale="An alert without an action group fires into the portal where nobody is watching; it is the same as no alert.",
        checks=(
            "When the stack has metric alerts it has an ActionGroup, and every MetricAlert lists an actionGroupId that "
            "is not a disabled action group of the stack."
        ),
        severity=Severity.MEDIUM,
        check=_alerts_routed,
        controls=Controls(mcsb=("IR-2",)),  # incident notification
        remediation=(
            "Give the stack mlplatform:monitoring.emails (and webhooks if needed): "
            f"{_MONITORING_COMPONENT} then creates one action group and routes every alert it creates to it. An alert "
            "written outside the component needs actions=[monitor.MetricAlertActionArgs(action_group_id=...)]."
        ),
        url="https://learn.microsoft.com/azure/azure-monitor/alerts/action-groups",
    ),
    stack_policy(
        name="azure-native-monitor-metricalert-online-endpoint-latency-and-errors",
        description="Every online endpoint has latency and server-error (5xx) alerts.",
        rationale=(
            "A slow or failing model endpoint breaks its callers silently; latency and 5xx alerts are the minimum to "
            "learn about it before they do."
        ),
        checks=(
            "Each OnlineEndpoint is in the scopes of enabled MetricAlerts on RequestLatency and on RequestsPerMinute "
            "filtered to statusCodeClass 5xx."
        ),
        severity=Severity.MEDIUM,
        check=_endpoint_alerts,
        controls=Controls(mcsb=("IR-2",)),
        remediation=(
            f"Pass the endpoint to {_MONITORING_COMPONENT} as one of its online_endpoints (blueprint/program/stacks/"
            "environment.py does for every mlplatform:endpoints entry); thresholds come from "
            "mlplatform:monitoring.latencyMs and mlplatform:monitoring.serverErrorsPerMinute."
        ),
        url=(
            "https://learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/"
            "microsoft-machinelearningservices-workspaces-onlineendpoints-metrics"
        ),
    ),
]
