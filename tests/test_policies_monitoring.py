"""Monitoring policies: Entra-only telemetry stores and retention on resources shaped like the plan's inputs;
diagnostic settings, action groups and endpoint alerts on stacks linked through dependencies as the engine links
them; waivers; and the shipped plans."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from tests.conftest import preview_stack
from tests import policy_harness as harness
from tests.policy_harness import StackResource, run_resource_policy, run_stack_policy

from mlplatform_policies import monitoring  # noqa: E402 - importable once the harness has put policies/ on the path
from mlplatform_policies.base import CATALOG  # noqa: E402
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy  # noqa: E402

APPI = "azure-native:applicationinsights:Component"
LOG = "azure-native:operationalinsights:Workspace"
DIAG = "azure-native:monitor:DiagnosticSetting"
ACTION_GROUP = "azure-native:monitor:ActionGroup"
ALERT = "azure-native:monitor:MetricAlert"
WORKSPACE = "azure-native:machinelearningservices:Workspace"
VAULT = "azure-native:keyvault:Vault"
ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"

POLICY = {policy.name: policy for policy in monitoring.POLICIES}
WORKSPACE_BASED = POLICY["azure-native-applicationinsights-component-workspace-based"]
APPI_LOCAL_AUTH = POLICY["azure-native-applicationinsights-component-disable-local-auth"]
LOG_LOCAL_AUTH = POLICY["azure-native-operationalinsights-workspace-disable-local-auth"]
RETENTION = POLICY["azure-native-operationalinsights-workspace-min-retention"]
WORKSPACE_LOGS = POLICY["azure-native-monitor-diagnosticsetting-ml-workspace-logs"]
VAULT_LOGS = POLICY["azure-native-monitor-diagnosticsetting-key-vault-logs"]
ROUTED = POLICY["azure-native-monitor-metricalert-action-group"]
ENDPOINT_ALERTS = POLICY["azure-native-monitor-metricalert-online-endpoint-latency-and-errors"]
CLOSED_TELEMETRY = POLICY["azure-native-monitor-privatelinkscope-closed-telemetry-reachable"]

_RG = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-mlp-prod-weu-5skr8/providers/"
LAW_ID = _RG + "Microsoft.OperationalInsights/workspaces/log-mlp-prod-weu-acfw4"
WORKSPACE_ID = _RG + "Microsoft.MachineLearningServices/workspaces/mlw-mlp-prod-weu-1jbwf"
VAULT_ID = _RG + "Microsoft.KeyVault/vaults/kv-mlp-prod-weu-vcolv"
ENDPOINT_ID = WORKSPACE_ID + "/onlineEndpoints/mloe-mlp-fraud-prod-weu-j6nze"
AG_ID = _RG + "Microsoft.Insights/actionGroups/ag-mlp-prod-weu-sdxuh"
TAGS = {"costCenter": "CC-1001", "dataClassification": "confidential", "environment": "prod", "owner": "ml-platform-team"}

#: The platform's Application Insights and Log Analytics inputs as the prod plan records them.
APPI_PROPS: dict[str, Any] = {
    "applicationType": "web",
    "disableIpMasking": False,
    "disableLocalAuth": True,
    "flowType": "Bluefield",
    "ingestionMode": "LogAnalytics",
    "kind": "web",
    "location": "westeurope",
    "publicNetworkAccessForIngestion": "Disabled",
    "publicNetworkAccessForQuery": "Disabled",
    "requestSource": "rest",
    "resourceGroupName": "rg-mlp-prod-weu-5skr8",
    "resourceName": "appi-mlp-prod-weu-1yv57",
    "tags": TAGS,
    "workspaceResourceId": LAW_ID,
}
LOG_PROPS: dict[str, Any] = {
    "features": {"disableLocalAuth": True, "enableLogAccessUsingOnlyResourcePermissions": True},
    "location": "westeurope",
    "publicNetworkAccessForIngestion": "Disabled",
    "publicNetworkAccessForQuery": "Disabled",
    "resourceGroupName": "rg-mlp-prod-weu-5skr8",
    "retentionInDays": 180.0,
    "sku": {"name": "PerGB2018"},
    "tags": TAGS,
    "workspaceName": "log-mlp-prod-weu-acfw4",
}


def changed(props: dict[str, Any], **paths: Any) -> dict[str, Any]:
    """A copy of ``props`` with dotted paths (``__`` for ``.``) set, or removed with None."""
    out = copy.deepcopy(props)
    for dotted, value in paths.items():
        *parents, leaf = dotted.split("__")
        node = out
        for part in parents:
            node = node[part]
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return out


# --- Application Insights and Log Analytics ---

RESOURCE_CASES = [
    pytest.param(
        WORKSPACE_BASED, APPI, APPI_PROPS, changed(APPI_PROPS, workspaceResourceId=None, ingestionMode=None),
        "Application Insights component is classic (not workspace-based): workspaceResourceId is not set; expected the "
        "ID of a Log Analytics workspace, so telemetry gets that workspace's access control, retention and private link.",
        id="appi-workspace-based",
    ),
    pytest.param(
        APPI_LOCAL_AUTH, APPI, APPI_PROPS, changed(APPI_PROPS, disableLocalAuth=False),
        "Application Insights component accepts telemetry authenticated by its instrumentation key alone: "
        "disableLocalAuth is false; expected true (Microsoft Entra ID only).",
        id="appi-local-auth",
    ),
    pytest.param(
        LOG_LOCAL_AUTH, LOG, LOG_PROPS, changed(LOG_PROPS, features__disableLocalAuth=None),
        "Log Analytics workspace accepts data and queries authenticated by workspace keys: "
        "features.disableLocalAuth is not set; expected true (Microsoft Entra ID only).",
        id="log-local-auth",
    ),
    pytest.param(
        RETENTION, LOG, changed(LOG_PROPS, retentionInDays=30.0), changed(LOG_PROPS, retentionInDays=7.0),
        "Log Analytics workspace keeps logs too briefly for an investigation: retentionInDays is 7; expected at least 30.",
        id="retention",
    ),
    pytest.param(
        RETENTION, LOG, LOG_PROPS, changed(LOG_PROPS, retentionInDays=None),
        "Log Analytics workspace keeps logs too briefly for an investigation: retentionInDays is not set; expected at least 30.",
        id="retention-unset",
    ),
]


@pytest.mark.parametrize(("policy", "resource_type", "compliant", "violating", "message"), RESOURCE_CASES)
def test_compliant_resource_passes(policy: Any, resource_type: str, compliant: dict, violating: dict, message: str) -> None:
    assert run_resource_policy(policy, resource_type, compliant) == []


@pytest.mark.parametrize(("policy", "resource_type", "compliant", "violating", "message"), RESOURCE_CASES)
def test_violating_resource_reports_what_is_wrong_and_expected(
    policy: Any, resource_type: str, compliant: dict, violating: dict, message: str
) -> None:
    assert run_resource_policy(policy, resource_type, violating) == [message]


@pytest.mark.parametrize(("policy", "resource_type", "compliant", "violating", "message"), RESOURCE_CASES)
def test_waiver_makes_a_resource_policy_not_applicable(
    policy: Any, resource_type: str, compliant: dict, violating: dict, message: str
) -> None:
    reason = "Legacy telemetry of the v1 service, retired with it in Q2 (ticket OBS-3)."
    waived = {"waivers": [{"resource": "subject", "reason": reason}]}
    assert run_resource_policy(policy, resource_type, violating, config=waived) == [f"not applicable: waived: {reason}"]


def test_a_workspace_id_unknown_during_preview_counts_as_set() -> None:
    """During a real preview the Log Analytics ID is unknown; the engine hands the props behind a proxy that raises
    on unknown values (the harness copies top-level values, so the args are built here as the engine builds them)."""
    from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs

    props = unknown_checking_proxy({**APPI_PROPS, "workspaceResourceId": UNKNOWN_STRING_VALUE})
    options = PolicyResourceOptions(False, [], False, [], PolicyCustomTimeouts(0, 0, 0), [])
    args = ResourceValidationArgs(APPI, props, urn(APPI, "platform-appi"), "platform-appi", options, None, {})
    reported: list[str] = []
    WORKSPACE_BASED.validate(args, lambda message, urn=None: reported.append(message))
    assert reported == []


# --- Stack: diagnostic settings, action group, endpoint alerts ---


def urn(resource_type: str, name: str) -> str:
    return f"urn:pulumi:test::mlplatform::{resource_type}::{name}"


def diagnostic(name: str, target: str, target_id: str, **props: Any) -> StackResource:
    """A diagnostic setting as PlatformMonitoring declares it, sent to the platform's Log Analytics workspace."""
    outputs = {
        "id": f"{target_id}/providers/Microsoft.Insights/diagnosticSettings/diag-mlp-prod",
        "logAnalyticsDestinationType": "Dedicated",
        "logs": [{"categoryGroup": "allLogs", "enabled": True}],
        "metrics": [{"category": "AllMetrics", "enabled": True}],
        "name": "diag-mlp-prod",
        "resourceUri": target_id,
        "workspaceId": LAW_ID,
        **props,
    }
    return StackResource(
        DIAG, name, {k: v for k, v in outputs.items() if v is not None}, depends_on=[target, "platform-log"],
        property_dependencies={"resourceUri": [target], "workspaceId": ["platform-log"]},
    )


def alert(name: str, scope: str, scope_id: str, criterion: dict[str, Any], *, routed: bool = True, **props: Any) -> StackResource:
    """A metric alert as PlatformMonitoring declares it, notifying the platform's action group."""
    outputs = {
        "actions": [{"actionGroupId": AG_ID}],
        "autoMitigate": True,
        "criteria": {"allOf": [criterion], "odataType": "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"},
        "enabled": True,
        "evaluationFrequency": "PT5M",
        "location": "global",
        "ruleName": name.replace("monitoring-", ""),
        "scopes": [scope_id],
        "severity": 2.0,
        "windowSize": "PT15M",
        **props,
    }
    group = ["monitoring-ag"] if routed else []
    return StackResource(
        ALERT, name, outputs, depends_on=[scope, *group], property_dependencies={"scopes": [scope], "actions": group}
    )


LATENCY = {
    "criterionType": "StaticThresholdCriterion", "metricName": "RequestLatency", "name": "latency", "operator": "GreaterThan",
    "metricNamespace": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints", "threshold": 800.0, "timeAggregation": "Average",
}
SERVER_ERRORS = {
    "criterionType": "StaticThresholdCriterion", "metricName": "RequestsPerMinute", "name": "server-errors",
    "dimensions": [{"name": "statusCodeClass", "operator": "Include", "values": ["5xx"]}], "operator": "GreaterThan",
    "metricNamespace": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints", "threshold": 3.0, "timeAggregation": "Average",
}
FAILED_RUNS = {
    "criterionType": "StaticThresholdCriterion", "metricName": "Failed Runs", "name": "failed-runs", "operator": "GreaterThan",
    "metricNamespace": "Microsoft.MachineLearningServices/workspaces", "threshold": 1.0, "timeAggregation": "Total",
}


def platform(*, action_group: bool = True, drop: tuple[str, ...] = (), **replace: StackResource) -> list[StackResource]:
    """The monitored platform as stack policies see it (outputs; links by property dependency). ``drop`` removes
    resources by name; keyword arguments replace one by name (use ``_`` for ``-``)."""
    resources = [
        StackResource(LOG, "platform-log", {**LOG_PROPS, "id": LAW_ID}),
        StackResource(
            VAULT, "platform-kv", {"id": VAULT_ID, "properties": {"enableRbacAuthorization": True}, "vaultName": "kv-mlp-prod-weu-vcolv"}
        ),
        StackResource(WORKSPACE, "platform-mlw", {"id": WORKSPACE_ID, "publicNetworkAccess": "Disabled"}, depends_on=["platform-kv"],
                      property_dependencies={"keyVault": ["platform-kv"]}),
        StackResource(ENDPOINT, "endpoint-fraud-endpoint", {"id": ENDPOINT_ID, "properties": {"authMode": "AADToken"}},
                      depends_on=["platform-mlw"], property_dependencies={"workspaceName": ["platform-mlw"]}),
        diagnostic("monitoring-diag-workspace", "platform-mlw", WORKSPACE_ID),
        diagnostic("monitoring-diag-vault", "platform-kv", VAULT_ID),
        diagnostic("monitoring-diag-endpoint-fraud", "endpoint-fraud-endpoint", ENDPOINT_ID),
        alert("monitoring-alert-fraud-latency", "endpoint-fraud-endpoint", ENDPOINT_ID, LATENCY, routed=action_group),
        alert("monitoring-alert-fraud-5xx", "endpoint-fraud-endpoint", ENDPOINT_ID, SERVER_ERRORS, routed=action_group, severity=1.0),
        alert("monitoring-alert-failed-jobs", "platform-mlw", WORKSPACE_ID, FAILED_RUNS, routed=action_group),
    ]
    if action_group:
        resources.insert(0, StackResource(ACTION_GROUP, "monitoring-ag", {
            "actionGroupName": "ag-mlp-prod-weu-sdxuh", "enabled": True, "groupShortName": "mlp-prod", "id": AG_ID,
            "emailReceivers": [{"emailAddress": "ml-platform-alerts@example.com", "name": "email-1", "useCommonAlertSchema": True}],
            "location": "Global",
        }))
    replacements = {name.replace("_", "-"): resource for name, resource in replace.items()}
    return [replacements.get(r.name, r) for r in resources if r.name not in drop]


EXPECTED_DIAG = (
    "expected a monitor:DiagnosticSetting whose resourceUri is this resource, with workspaceId set and logs "
    "[{categoryGroup: allLogs (or audit), enabled: true}]."
)


@pytest.mark.parametrize("policy", [WORKSPACE_LOGS, VAULT_LOGS, ROUTED, ENDPOINT_ALERTS], ids=lambda p: p.name)
def test_the_monitored_platform_passes(policy: Any) -> None:
    assert run_stack_policy(policy, platform()) == []


def test_workspace_without_diagnostic_setting_is_reported() -> None:
    assert run_stack_policy(WORKSPACE_LOGS, platform(drop=("monitoring-diag-workspace",))) == [
        (urn(WORKSPACE, "platform-mlw"), f"Machine Learning workspace platform-mlw has no diagnostic setting; {EXPECTED_DIAG}")
    ]


def test_a_setting_on_another_resource_does_not_count() -> None:
    """The endpoint's setting depends on the endpoint, which depends on the workspace: not a workspace setting."""
    resources = platform(drop=("monitoring-diag-workspace",))
    assert [u for u, _ in run_stack_policy(WORKSPACE_LOGS, resources)] == [urn(WORKSPACE, "platform-mlw")]


def test_setting_without_workspace_or_logs_is_reported_with_its_problems() -> None:
    metrics_only = diagnostic(
        "monitoring-diag-workspace", "platform-mlw", WORKSPACE_ID, logs=None, workspaceId=None,
        storageAccountId=_RG + "Microsoft.Storage/storageAccounts/starchive",
    )
    assert run_stack_policy(WORKSPACE_LOGS, platform(monitoring_diag_workspace=metrics_only)) == [
        (
            urn(WORKSPACE, "platform-mlw"),
            "Machine Learning workspace platform-mlw has no diagnostic setting that sends its logs to Log Analytics "
            "(monitoring-diag-workspace: no workspaceId, no enabled log entry with categoryGroup allLogs or audit); "
            + EXPECTED_DIAG,
        )
    ]


def test_disabled_log_category_group_does_not_count() -> None:
    disabled = diagnostic("monitoring-diag-vault", "platform-kv", VAULT_ID, logs=[{"categoryGroup": "allLogs", "enabled": False}])
    assert run_stack_policy(VAULT_LOGS, platform(monitoring_diag_vault=disabled)) == [
        (
            urn(VAULT, "platform-kv"),
            "Key Vault platform-kv has no diagnostic setting that sends its logs to Log Analytics (monitoring-diag-vault: "
            "no enabled log entry with categoryGroup allLogs or audit); " + EXPECTED_DIAG,
        )
    ]


def test_vault_without_diagnostic_setting_is_reported() -> None:
    assert run_stack_policy(VAULT_LOGS, platform(drop=("monitoring-diag-vault",))) == [
        (urn(VAULT, "platform-kv"), f"Key Vault platform-kv has no diagnostic setting; {EXPECTED_DIAG}")
    ]


def test_audit_category_group_and_plain_dependencies_count() -> None:
    audit = diagnostic("monitoring-diag-vault", "platform-kv", VAULT_ID, logs=[{"categoryGroup": "audit", "enabled": True}])
    audit.property_dependencies = {}
    assert run_stack_policy(VAULT_LOGS, platform(monitoring_diag_vault=audit)) == []


def test_workspace_id_unknown_during_preview_counts_as_set() -> None:
    setting = diagnostic("monitoring-diag-vault", "platform-kv", VAULT_ID)
    setting.props = unknown_checking_proxy({**setting.props, "workspaceId": UNKNOWN_STRING_VALUE})
    assert run_stack_policy(VAULT_LOGS, platform(monitoring_diag_vault=setting)) == []


def test_alerts_without_an_action_group_in_the_stack_are_reported() -> None:
    assert run_stack_policy(ROUTED, platform(action_group=False)) == [
        (
            None,
            "The stack defines 3 metric alert(s) but no monitor:ActionGroup; expected an action group with receivers "
            "that every alert notifies.",
        )
    ]


def test_an_alert_without_actions_is_reported() -> None:
    silent = alert("monitoring-alert-failed-jobs", "platform-mlw", WORKSPACE_ID, FAILED_RUNS, routed=False, actions=[])
    assert run_stack_policy(ROUTED, platform(monitoring_alert_failed_jobs=silent)) == [
        (
            urn(ALERT, "monitoring-alert-failed-jobs"),
            "Metric alert monitoring-alert-failed-jobs notifies nobody: its actions name no actionGroupId; expected "
            "actions [{actionGroupId: <an action group>}].",
        )
    ]


def test_an_alert_routed_only_to_a_disabled_action_group_is_reported() -> None:
    resources = platform()
    resources[0].props["enabled"] = False
    found = run_stack_policy(ROUTED, resources)
    assert found[0] == (
        urn(ALERT, "monitoring-alert-fraud-latency"),
        "Metric alert monitoring-alert-fraud-latency notifies only disabled action group(s) monitoring-ag; expected an "
        "enabled action group.",
    )
    assert len(found) == 3


def test_a_stack_without_alerts_needs_no_action_group() -> None:
    alerts = ("monitoring-alert-fraud-latency", "monitoring-alert-fraud-5xx", "monitoring-alert-failed-jobs")
    resources = platform(action_group=False, drop=alerts)
    assert run_stack_policy(ROUTED, resources) == []


@pytest.mark.parametrize(
    ("drop", "missing"),
    [
        (("monitoring-alert-fraud-5xx",), "server errors (RequestsPerMinute with statusCodeClass 5xx)"),
        (("monitoring-alert-fraud-latency",), "request latency (RequestLatency)"),
        (
            ("monitoring-alert-fraud-latency", "monitoring-alert-fraud-5xx"),
            "request latency (RequestLatency) or server errors (RequestsPerMinute with statusCodeClass 5xx)",
        ),
    ],
)
def test_endpoint_missing_alerts_is_reported(drop: tuple[str, ...], missing: str) -> None:
    assert run_stack_policy(ENDPOINT_ALERTS, platform(drop=drop)) == [
        (
            urn(ENDPOINT, "endpoint-fraud-endpoint"),
            f"Online endpoint endpoint-fraud-endpoint has no enabled metric alert on {missing}; expected enabled "
            "monitor:MetricAlert rules scoped to the endpoint for both latency and 5xx responses.",
        )
    ]


def test_disabled_or_misscoped_endpoint_alerts_do_not_count() -> None:
    disabled = alert("monitoring-alert-fraud-latency", "endpoint-fraud-endpoint", ENDPOINT_ID, LATENCY, enabled=False)
    on_workspace = alert("monitoring-alert-fraud-5xx", "platform-mlw", WORKSPACE_ID, SERVER_ERRORS)
    resources = platform(monitoring_alert_fraud_latency=disabled, monitoring_alert_fraud_5xx=on_workspace)
    assert [m.split(" on ")[1].split("; ")[0] for _, m in run_stack_policy(ENDPOINT_ALERTS, resources)] == [
        "request latency (RequestLatency) or server errors (RequestsPerMinute with statusCodeClass 5xx)"
    ]


def test_status_code_dimension_and_percentile_latency_count() -> None:
    p99 = alert("monitoring-alert-fraud-latency", "endpoint-fraud-endpoint", ENDPOINT_ID, {**LATENCY, "metricName": "RequestLatency_P99"})
    codes = alert("monitoring-alert-fraud-5xx", "endpoint-fraud-endpoint", ENDPOINT_ID,
                  {**SERVER_ERRORS, "dimensions": [{"name": "statusCode", "operator": "Include", "values": ["500", "503"]}]})
    assert run_stack_policy(ENDPOINT_ALERTS, platform(monitoring_alert_fraud_latency=p99, monitoring_alert_fraud_5xx=codes)) == []


def test_a_stack_waiver_silences_its_resource() -> None:
    waived = {"waivers": [{"resource": "platform-kv", "reason": "Vault logs go to the central SIEM workspace (SEC-9)."}]}
    assert run_stack_policy(VAULT_LOGS, platform(drop=("monitoring-diag-vault",)), config=waived) == []


# --- Telemetry closed to public ingestion: reached through a private link scope ---

SCOPE = "azure-native:monitor:PrivateLinkScope"
SCOPED = "azure-native:monitor:PrivateLinkScopedResource"
PEP = "azure-native:network:PrivateEndpoint"
APPI_ID = _RG + "Microsoft.Insights/components/appi-mlp-prod-weu-1yv57"
SCOPE_ID = _RG + "microsoft.insights/privateLinkScopes/ampls-mlp-prod-weu-xt9vi"


def scoped(name: str, store: str, store_id: str) -> StackResource:
    """A scoped resource as MonitorPrivateLinkScope declares it."""
    return StackResource(
        SCOPED, name, {"kind": "Resource", "linkedResourceId": store_id, "name": name.rsplit("-", 1)[1], "scopeName": "ampls-mlp-prod-weu-xt9vi"},
        depends_on=[store, "platform-monitor-ampls"],
        property_dependencies={"linkedResourceId": [store], "scopeName": ["platform-monitor-ampls"]},
    )


def endpoint(name: str, target: str, target_id: str, group: str) -> StackResource:
    """A private endpoint as PrivateNetwork declares it."""
    connection = {"groupIds": [group], "name": name, "privateLinkServiceId": target_id}
    return StackResource(
        PEP, name, {"privateEndpointName": name, "privateLinkServiceConnections": [connection]},
        depends_on=[target], property_dependencies={"privateLinkServiceConnections": [target]},
    )


def telemetry(*, drop: tuple[str, ...] = (), **replace: StackResource) -> list[StackResource]:
    """Prod's closed telemetry stores, their scope and the platform network's endpoints (vault and monitor)."""
    resources = [
        StackResource(LOG, "platform-log", {**LOG_PROPS, "id": LAW_ID}),
        StackResource(APPI, "platform-appi", {**APPI_PROPS, "id": APPI_ID}, ["platform-log"], {"workspaceResourceId": ["platform-log"]}),
        StackResource(VAULT, "platform-kv", {"id": VAULT_ID}),
        StackResource(SCOPE, "platform-monitor-ampls", {
            "id": SCOPE_ID, "location": "global", "scopeName": "ampls-mlp-prod-weu-xt9vi",
            "accessModeSettings": {"exclusions": [], "ingestionAccessMode": "PrivateOnly", "queryAccessMode": "PrivateOnly"},
        }),
        scoped("platform-monitor-scoped-logs", "platform-log", LAW_ID),
        scoped("platform-monitor-scoped-insights", "platform-appi", APPI_ID),
        endpoint("network-pep-vault", "platform-kv", VAULT_ID, "vault"),
        endpoint("network-pep-monitor", "platform-monitor-ampls", SCOPE_ID, "azuremonitor"),
    ]
    replacements = {name.replace("_", "-"): resource for name, resource in replace.items()}
    return [replacements.get(r.name, r) for r in resources if r.name not in drop]


def closed_message(noun: str, name: str) -> str:
    return (
        f"{noun} {name} has public ingestion disabled (publicNetworkAccessForIngestion: Disabled) but no Azure Monitor "
        "Private Link Scope scopes it, so telemetry sent to it has no way in; expected a monitor:PrivateLinkScope with "
        "a monitor:PrivateLinkScopedResource whose linkedResourceId is this resource."
    )


def unreached_message(noun: str, name: str) -> str:
    return (
        f"{noun} {name} has public ingestion disabled and is scoped by platform-monitor-ampls, but none of the stack's "
        "private endpoints connects to that scope; expected a network:PrivateEndpoint with groupIds [azuremonitor] "
        "whose privateLinkServiceId is the scope."
    )


def test_closed_telemetry_scoped_and_connected_passes() -> None:
    assert run_stack_policy(CLOSED_TELEMETRY, telemetry()) == []


def test_closed_telemetry_without_a_scope_is_reported_for_each_store() -> None:
    resources = telemetry(drop=("platform-monitor-ampls", "platform-monitor-scoped-logs", "platform-monitor-scoped-insights", "network-pep-monitor"))
    assert run_stack_policy(CLOSED_TELEMETRY, resources) == [
        (urn(LOG, "platform-log"), closed_message("Log Analytics workspace", "platform-log")),
        (urn(APPI, "platform-appi"), closed_message("Application Insights component", "platform-appi")),
    ]


def test_a_store_left_out_of_the_scope_is_reported() -> None:
    assert run_stack_policy(CLOSED_TELEMETRY, telemetry(drop=("platform-monitor-scoped-insights",))) == [
        (urn(APPI, "platform-appi"), closed_message("Application Insights component", "platform-appi"))
    ]


def test_a_scope_no_endpoint_of_the_stack_reaches_is_reported() -> None:
    assert run_stack_policy(CLOSED_TELEMETRY, telemetry(drop=("network-pep-monitor",))) == [
        (urn(LOG, "platform-log"), unreached_message("Log Analytics workspace", "platform-log")),
        (urn(APPI, "platform-appi"), unreached_message("Application Insights component", "platform-appi")),
    ]


def test_an_endpoint_to_the_scope_with_another_group_does_not_count() -> None:
    wrong = endpoint("network-pep-monitor", "platform-monitor-ampls", SCOPE_ID, "blob")
    assert [u for u, _ in run_stack_policy(CLOSED_TELEMETRY, telemetry(network_pep_monitor=wrong))] == [
        urn(LOG, "platform-log"), urn(APPI, "platform-appi"),
    ]


def test_links_by_id_count_where_the_engine_gives_no_dependency() -> None:
    """IDs alone link the scoped resources (theirs lie under the scope's) and the endpoint (ARM's lower-case
    provider compared case-insensitively); a scoped resource of another scope does not count."""
    def unlinked(resource: StackResource, **props: Any) -> StackResource:
        return StackResource(resource.type, resource.name, {**resource.props, **props})

    resources = telemetry()
    by_id = [
        unlinked(r, id=f"{SCOPE_ID.upper()}/scopedResources/{r.props['name']}") if r.type == SCOPED
        else unlinked(r) if r.type == PEP else r
        for r in resources
    ]
    assert run_stack_policy(CLOSED_TELEMETRY, by_id) == []
    elsewhere = [
        unlinked(r, id=f"{_RG}microsoft.insights/privateLinkScopes/ampls-other/scopedResources/{r.props['name']}")
        if r.type == SCOPED else r
        for r in by_id
    ]
    assert [u for u, _ in run_stack_policy(CLOSED_TELEMETRY, elsewhere)] == [urn(LOG, "platform-log"), urn(APPI, "platform-appi")]


def test_a_stack_without_private_endpoints_needs_only_the_scope() -> None:
    """Endpoints then come from a hub network outside the stack, which connects to the scope itself."""
    assert run_stack_policy(CLOSED_TELEMETRY, telemetry(drop=("network-pep-vault", "network-pep-monitor"))) == []


def test_stores_open_to_public_ingestion_need_no_scope() -> None:
    open_log = StackResource(LOG, "platform-log", {**LOG_PROPS, "id": LAW_ID, "publicNetworkAccessForIngestion": "Enabled"})
    open_appi = StackResource(APPI, "platform-appi", {**APPI_PROPS, "id": APPI_ID, "publicNetworkAccessForIngestion": "Enabled"})
    resources = [open_log, open_appi, StackResource(VAULT, "platform-kv", {"id": VAULT_ID}), endpoint("network-pep-vault", "platform-kv", VAULT_ID, "vault")]
    assert run_stack_policy(CLOSED_TELEMETRY, resources) == []


def test_a_closed_telemetry_waiver_silences_its_store() -> None:
    waived = {"waivers": [{"resource": "platform-appi", "reason": "Telemetry goes through the hub's private link scope (NET-12)."}]}
    resources = telemetry(drop=("platform-monitor-scoped-insights",))
    assert run_stack_policy(CLOSED_TELEMETRY, resources, config=waived) == []


# --- Catalog and shipped plans ---


def test_catalog_entries_are_complete() -> None:
    for name in POLICY:
        doc = CATALOG[name]
        assert re.fullmatch(r"azure-native-(applicationinsights|operationalinsights|monitor)-[a-z]+-[a-z0-9-]+", name)
        assert doc.description and doc.rationale and doc.remediation
        assert doc.checks.endswith(".") and doc.checks.count(". ") == 0, "checks is one sentence"
        assert doc.url.startswith("https://learn.microsoft.com/")
        assert doc.relaxed_in == ()


def linked_plan(stack: str, *, without: tuple[str, ...] = ()) -> tuple[list[Any], list[StackResource]]:
    """A shipped stack's created resources, and the same as stack policies see them (outputs, URNs mapped to names)."""
    created = [r for r in preview_stack(stack).resources if r.custom and r.operation == "create" and r.name not in without]
    names = {r.urn: r.name for r in created}
    linked = [
        StackResource(
            r.type, r.name, r.outputs, [names[u] for u in r.dependencies if u in names],
            {key: [names[u] for u in urns if u in names] for key, urns in r.property_dependencies.items()},
        )
        for r in created
    ]
    return created, linked


def plan_violations(stack: str) -> dict[str, list[str]]:
    """Violation messages by policy of this module on a shipped stack."""
    return harness.plan_violations(preview_stack(stack), monitoring.POLICIES)


@pytest.mark.parametrize("stack", ["prod", "staging", "dev"])
def test_shipped_plans_pass_every_monitoring_policy(stack: str) -> None:
    assert plan_violations(stack) == {}


def test_prod_plan_checks_are_not_vacuous() -> None:
    """Dropping prod's workspace setting and the endpoint's 5xx alert is caught on the real plan's links."""
    _, linked = linked_plan("prod", without=("monitoring-diag-workspace", "monitoring-alert-fraud-5xx"))
    assert [u.rsplit("::", 1)[1] for u, _ in run_stack_policy(WORKSPACE_LOGS, linked)] == ["platform-mlw"]
    assert [u.rsplit("::", 1)[1] for u, _ in run_stack_policy(ENDPOINT_ALERTS, linked)] == ["endpoint-fraud-endpoint"]


def test_prod_plan_closed_telemetry_check_is_not_vacuous() -> None:
    """Prod's stores are closed to public ingestion; without the scope's links or its endpoint, the real plan fails."""
    _, unscoped = linked_plan("prod", without=("platform-monitor-scoped-logs",))
    assert [u.rsplit("::", 1)[1] for u, _ in run_stack_policy(CLOSED_TELEMETRY, unscoped)] == ["platform-log"]
    _, unreached = linked_plan("prod", without=("network-pep-monitor",))
    assert [u.rsplit("::", 1)[1] for u, _ in run_stack_policy(CLOSED_TELEMETRY, unreached)] == ["platform-log", "platform-appi"]
