"""PlatformMonitoring under the ARM mocks: logs to Log Analytics, one action group, alerts on what breaks."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.monitoring import PlatformMonitoring, PlatformMonitoringArgs, node_usage_threshold
from components.naming import ResourceKind, validate_name
from components.tags import MissingTagsError
from tests.conftest import REQUIRED_TAGS, only, run_component, tags, takes_azure_tags

COMPONENT = "mlplatform:index:PlatformMonitoring"
SETTING = "azure-native:monitor:DiagnosticSetting"
ACTION_GROUP = "azure-native:monitor:ActionGroup"
ALERT = "azure-native:monitor:MetricAlert"

_RG = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-ml/providers/"
LAW = _RG + "Microsoft.OperationalInsights/workspaces/log-fraud-dev"
WORKSPACE = _RG + "Microsoft.MachineLearningServices/workspaces/mlw-fraud-dev"
VAULT = _RG + "Microsoft.KeyVault/vaults/kv-fraud-dev"
ACCOUNT = _RG + "Microsoft.Storage/storageAccounts/stfrauddev"
REGISTRY = _RG + "Microsoft.ContainerRegistry/registries/crfrauddev"
ENDPOINT = WORKSPACE + "/onlineEndpoints/score"
ML_REGISTRY = _RG + "Microsoft.MachineLearningServices/registries/mlr-fraud"

TARGETS = [
    {"key": "workspace", "resource_id": WORKSPACE, "kind": "workspace"},
    {"key": "vault", "resource_id": VAULT, "kind": "key_vault"},
    {"key": "storage", "resource_id": ACCOUNT, "kind": "storage"},
    {"key": "registry", "resource_id": REGISTRY, "kind": "container_registry"},
    {"key": "score", "resource_id": ENDPOINT, "kind": "online_endpoint"},
    {"key": "models", "resource_id": ML_REGISTRY, "kind": "ml_registry"},
]


def monitoring_args(**overrides: Any) -> PlatformMonitoringArgs:
    args: dict[str, Any] = {
        "resource_group_name": "rg-ml",
        "naming": {"prefix": "fraud", "environment": "dev", "seed": "mlplatform/dev"},
        "location": "westeurope",
        "tags": tags(),
        "log_analytics_workspace_id": LAW,
        "diagnostic_targets": TARGETS,
        "emails": ["ml-oncall@example.com", "platform.team+alerts@example.org"],
        "webhooks": [{"name": "incidents", "uri": "https://hooks.example.com/alerts?token=abc"}],
        "workspace_id": WORKSPACE,
        "online_endpoints": [
            {"key": "score", "endpoint_id": ENDPOINT, "latency_ms": 750, "server_errors_per_minute": 3}
        ],
        "clusters": [
            {"name": "gpu-t4", "max_nodes": 4, "node_usage_percent": 80},
            {"name": "cpu-pool", "max_nodes": 10, "node_usage_percent": 70},
        ],
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def plan_of(**overrides: Any):
    return run_component(lambda: PlatformMonitoring("mon", monitoring_args(**overrides)))


@pytest.fixture(scope="module")
def plan():
    return plan_of()


def settings_by_uri(plan) -> dict[str, Any]:
    return {r.inputs["resourceUri"]: r for r in plan.of_type(SETTING)}


def alert_named(plan, logical: str):
    matches = [r for r in plan.of_type(ALERT) if r.name == f"mon-alert-{logical}"]
    assert len(matches) == 1, [r.name for r in plan.of_type(ALERT)]
    return matches[0]


def criterion(alert) -> dict[str, Any]:
    criteria = alert.inputs["criteria"]
    assert criteria["odataType"] == "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"
    assert len(criteria["allOf"]) == 1
    only_criterion = criteria["allOf"][0]
    assert only_criterion["criterionType"] == "StaticThresholdCriterion"
    return only_criterion


# --- diagnostic settings -------------------------------------------------------------------------------------


def test_every_target_sends_all_logs_to_log_analytics(plan):
    settings = settings_by_uri(plan)
    for uri in (WORKSPACE, VAULT, REGISTRY, ENDPOINT, ML_REGISTRY, ACCOUNT + "/blobServices/default"):
        setting = settings[uri]
        assert setting.inputs["workspaceId"] == LAW, uri
        assert setting.inputs["logs"] == [{"categoryGroup": "allLogs", "enabled": True}], uri
        assert setting.inputs["logAnalyticsDestinationType"] == "Dedicated", uri
        assert setting.id == f"{uri}/providers/Microsoft.Insights/diagnosticSettings/diag-fraud-dev"


def test_metrics_are_sent_where_the_resource_type_accepts_them(plan):
    settings = settings_by_uri(plan)
    for uri in (WORKSPACE, VAULT, REGISTRY, ENDPOINT):
        assert settings[uri].inputs["metrics"] == [{"category": "AllMetrics", "enabled": True}], uri
    # Azure ML registries publish no platform metrics, so AllMetrics would be rejected there.
    assert "metrics" not in settings[ML_REGISTRY].inputs


def test_storage_gets_an_account_setting_and_a_blob_service_setting(plan):
    settings = settings_by_uri(plan)
    account, blob = settings[ACCOUNT], settings[ACCOUNT + "/blobServices/default"]
    # The account has metrics only (storage rejects AllMetrics: its categories are Capacity and Transaction).
    assert account.inputs["metrics"] == [{"category": "Transaction", "enabled": True}]
    assert "logs" not in account.inputs and "logAnalyticsDestinationType" not in account.inputs
    assert account.inputs["workspaceId"] == LAW
    assert blob.inputs["metrics"] == [{"category": "Transaction", "enabled": True}]
    assert blob.inputs["logs"][0]["categoryGroup"] == "allLogs"


def test_one_setting_per_target_plus_the_blob_service(plan):
    assert len(plan.of_type(SETTING)) == len(TARGETS) + 1


def test_diagnostic_setting_ids_are_keyed_by_target(plan):
    component = only(plan, COMPONENT)
    assert component.inputs == {}  # outputs are registered, not passed in
    ids = {r.name.removeprefix("mon-diag-"): r.id for r in plan.of_type(SETTING)}
    assert set(ids) == {"workspace", "vault", "storage", "storage-blob", "registry", "score", "models"}


def test_outputs_map_keys_to_ids():
    captured: dict[str, Any] = {}

    def body() -> None:
        monitoring = PlatformMonitoring("mon", monitoring_args())
        monitoring.alert_ids.apply(lambda ids: captured.setdefault("alerts", ids))
        monitoring.diagnostic_setting_ids.apply(lambda ids: captured.setdefault("settings", ids))
        monitoring.action_group_id.apply(lambda ag: captured.setdefault("action_group", ag))

    plan = run_component(body)
    assert captured["action_group"] == only(plan, ACTION_GROUP).id
    assert captured["alerts"] == {r.name.removeprefix("mon-alert-"): r.id for r in plan.of_type(ALERT)}
    assert set(captured["alerts"]) == {"score-latency", "score-5xx", "failed-jobs", "gpu-t4-nodes", "cpu-pool-nodes"}
    assert captured["settings"]["storage-blob"].startswith(ACCOUNT + "/blobServices/default/providers/")


# --- action group --------------------------------------------------------------------------------------------


def test_action_group_notifies_every_email_with_the_common_schema(plan):
    group = only(plan, ACTION_GROUP)
    assert group.inputs["location"] == "Global"
    assert group.inputs["enabled"] is True
    assert group.inputs["resourceGroupName"] == "rg-ml"
    assert 1 <= len(group.inputs["groupShortName"]) <= 12
    assert group.inputs["groupShortName"] == "fraud-dev"
    assert group.inputs["emailReceivers"] == [
        {"name": "email-1", "emailAddress": "ml-oncall@example.com", "useCommonAlertSchema": True},
        {"name": "email-2", "emailAddress": "platform.team+alerts@example.org", "useCommonAlertSchema": True},
    ]


def test_webhook_receivers_are_kept_secret(plan):
    # Webhook URIs usually embed a token: the receivers never appear in clear in state or in the plan.
    assert only(plan, ACTION_GROUP).inputs["webhookReceivers"] == "[secret]"


def test_webhooks_only_group():
    group = only(plan_of(emails=[]), ACTION_GROUP)
    assert "emailReceivers" not in group.inputs or group.inputs["emailReceivers"] == []
    assert group.inputs["webhookReceivers"] == "[secret]"


def test_emails_only_group_has_no_webhooks():
    group = only(plan_of(webhooks=[]), ACTION_GROUP)
    assert len(group.inputs["emailReceivers"]) == 2
    assert not group.inputs.get("webhookReceivers")


def test_short_name_fits_twelve_characters():
    plan = plan_of(naming={"prefix": "frauddetects", "environment": "staging", "seed": "mlplatform/staging"})
    short = only(plan, ACTION_GROUP).inputs["groupShortName"]
    assert short == "frau-staging" and len(short) == 12


# --- alerts --------------------------------------------------------------------------------------------------


def test_every_alert_is_global_evaluated_often_and_notifies_the_action_group(plan):
    group = only(plan, ACTION_GROUP)
    alerts = plan.of_type(ALERT)
    assert len(alerts) == 5
    for alert in alerts:
        assert alert.inputs["location"] == "global"
        assert alert.inputs["enabled"] is True
        assert alert.inputs["autoMitigate"] is True
        assert alert.inputs["evaluationFrequency"] == "PT5M"
        assert alert.inputs["windowSize"] == "PT15M"
        assert alert.inputs["severity"] in (0, 1, 2, 3, 4)
        assert alert.inputs["actions"] == [{"actionGroupId": group.id}], alert.name
        assert alert.inputs["resourceGroupName"] == "rg-ml"
        assert alert.inputs["description"]


def test_endpoint_latency_alert(plan):
    alert = alert_named(plan, "score-latency")
    assert alert.inputs["scopes"] == [ENDPOINT]
    rule = criterion(alert)
    assert rule["metricName"] == "RequestLatency"
    assert rule["metricNamespace"] == "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
    assert rule["timeAggregation"] == "Average"
    assert rule["operator"] == "GreaterThan"
    assert rule["threshold"] == 750
    assert "dimensions" not in rule


def test_endpoint_server_error_alert_filters_5xx(plan):
    alert = alert_named(plan, "score-5xx")
    assert alert.inputs["scopes"] == [ENDPOINT]
    assert alert.inputs["severity"] == 1
    rule = criterion(alert)
    assert rule["metricName"] == "RequestsPerMinute"
    assert rule["metricNamespace"] == "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
    # A per-minute metric whose only documented aggregation is Average: the threshold is errors per minute.
    assert rule["timeAggregation"] == "Average"
    assert rule["operator"] == "GreaterThan"
    assert rule["threshold"] == 3
    assert rule["dimensions"] == [{"name": "statusCodeClass", "operator": "Include", "values": ["5xx"]}]


def test_failed_jobs_alert_on_the_workspace(plan):
    alert = alert_named(plan, "failed-jobs")
    assert alert.inputs["scopes"] == [WORKSPACE]
    rule = criterion(alert)
    assert rule["metricName"] == "Failed Runs"
    assert rule["metricNamespace"] == "Microsoft.MachineLearningServices/workspaces"
    assert rule["timeAggregation"] == "Total"
    assert rule["operator"] == "GreaterThan"
    assert rule["threshold"] == 1
    assert "dimensions" not in rule


def test_failed_jobs_threshold_is_configurable():
    rule = criterion(alert_named(plan_of(failed_jobs_threshold=5), "failed-jobs"))
    assert rule["threshold"] == 5
    assert criterion(alert_named(plan_of(failed_jobs_threshold=0), "failed-jobs"))["threshold"] == 0


def test_node_usage_alert_per_cluster(plan):
    for cluster, nodes in (("gpu-t4", 4), ("cpu-pool", 7)):
        alert = alert_named(plan, f"{cluster}-nodes")
        assert alert.inputs["scopes"] == [WORKSPACE]
        rule = criterion(alert)
        assert rule["metricName"] == "Active Nodes"
        assert rule["metricNamespace"] == "Microsoft.MachineLearningServices/workspaces"
        assert rule["timeAggregation"] == "Maximum"
        assert rule["operator"] == "GreaterThanOrEqual"
        assert rule["threshold"] == nodes, cluster
        assert rule["dimensions"] == [{"name": "ClusterName", "operator": "Include", "values": [cluster]}]


@pytest.mark.parametrize(
    ("max_nodes", "percent", "nodes"),
    [(4, 80, 4), (10, 70, 7), (10, 71, 8), (3, 50, 2), (1, 1, 1), (100, 100, 100), (100, 1, 1), (7, 100, 7), (6, 50, 3)],
)
def test_node_usage_threshold_rounds_up_to_whole_nodes(max_nodes, percent, nodes):
    assert node_usage_threshold(max_nodes, percent) == nodes


def test_no_endpoints_or_clusters_leaves_the_job_alert():
    plan = plan_of(online_endpoints=[], clusters=[])
    assert [r.name for r in plan.of_type(ALERT)] == ["mon-alert-failed-jobs"]


# --- validation ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"emails": [], "webhooks": []}, "at least one email or webhook"),
        ({"emails": ["not-an-address"]}, "is not an email address"),
        ({"emails": ["two@@example.com"]}, "is not an email address"),
        ({"emails": ["space in@example.com"]}, "is not an email address"),
        ({"emails": ["user@localhost"]}, "is not an email address"),
        ({"emails": ["user@example.com", "USER@example.com"]}, "listed twice"),
        ({"emails": "user@example.com"}, "must be a list"),
        ({"webhooks": [{"name": "plain", "uri": "http://hooks.example.com/x"}]}, "must use an https:// URI"),
        ({"webhooks": [{"name": "nohost", "uri": "https://"}]}, "must use an https:// URI"),
        ({"webhooks": [{"name": "email-1", "uri": "https://hooks.example.com/x"}]}, "unique among receivers"),
        (
            {"diagnostic_targets": [{"key": "x", "resource_id": WORKSPACE, "kind": "database"}]},
            "has kind 'database'",
        ),
        (
            {"diagnostic_targets": [TARGETS[0], {**TARGETS[1], "key": "workspace"}]},
            "key 'workspace' is used twice",
        ),
        (
            {"diagnostic_targets": [TARGETS[2], {**TARGETS[0], "key": "storage-blob"}]},
            "key 'storage-blob' is used twice",
        ),
        ({"clusters": [{"name": "gpu-t4", "max_nodes": 4, "node_usage_percent": 0}]}, "node_usage_percent must be from 1 to 100"),
        ({"clusters": [{"name": "gpu-t4", "max_nodes": 4, "node_usage_percent": 101}]}, "node_usage_percent must be from 1 to 100"),
        ({"clusters": [{"name": "gpu-t4", "max_nodes": 0, "node_usage_percent": 80}]}, "max_nodes must be a whole number"),
        ({"clusters": [{"name": "9bad", "max_nodes": 4, "node_usage_percent": 80}]}, "invalid cluster name"),
        (
            {"clusters": [{"name": "gpu-t4", "max_nodes": 4, "node_usage_percent": 80}] * 2},
            "listed twice",
        ),
        (
            {"online_endpoints": [{"key": "score", "endpoint_id": ENDPOINT, "latency_ms": 0, "server_errors_per_minute": 1}]},
            "latency_ms must be a number > 0",
        ),
        (
            {"online_endpoints": [{"key": "score", "endpoint_id": ENDPOINT, "latency_ms": 5, "server_errors_per_minute": -1}]},
            "server_errors_per_minute must be a number >= 0",
        ),
        ({"failed_jobs_threshold": -1}, "failed_jobs_threshold must be a whole number"),
    ],
)
def test_invalid_arguments_are_rejected(overrides, message):
    with pytest.raises(ValueError, match=message):
        plan_of(**overrides)


def test_missing_required_tags_are_rejected():
    with pytest.raises(MissingTagsError):
        plan_of(tags={"owner": "ml-platform-team"})


def test_a_secret_webhook_uri_is_checked_once_known():
    def with_secret_uri(uri: str):
        def body() -> None:
            PlatformMonitoring("mon", monitoring_args(webhooks=[{"name": "incidents", "uri": pulumi.Output.secret(uri)}]))

        return run_component(body)

    assert only(with_secret_uri("https://hooks.example.com/x"), ACTION_GROUP).inputs["webhookReceivers"] == "[secret]"
    with pytest.raises(ValueError, match="must use an https:// URI"):
        with_secret_uri("http://hooks.example.com/x")


# --- structure -----------------------------------------------------------------------------------------------


def test_every_child_is_parented_to_the_component(plan):
    component = only(plan, COMPONENT)
    children = [r for r in plan.resources if r.custom]
    assert children and all(r.parent == component.urn for r in children)


def test_taggable_resources_carry_the_required_tags(plan):
    tagged = 0
    for resource in plan.resources:
        if resource.custom and takes_azure_tags(resource.type):
            assert REQUIRED_TAGS <= set(resource.inputs.get("tags", {})), resource.urn
            tagged += 1
    assert tagged == 1 + 5  # the action group and every alert


def test_names_follow_the_naming_rules(plan):
    named = {ACTION_GROUP: ("actionGroupName", ResourceKind.ACTION_GROUP), ALERT: ("ruleName", ResourceKind.METRIC_ALERT)}
    for type_token, (field, kind) in named.items():
        for resource in plan.of_type(type_token):
            name = resource.inputs[field]
            assert validate_name(kind, name) == [], (type_token, name)
    names = [r.inputs["ruleName"] for r in plan.of_type(ALERT)]
    assert len(set(names)) == len(names)
    assert all(n.startswith("alert-fraud-") for n in names)
