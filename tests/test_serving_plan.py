"""The prod plan's automated services (the serving issue's acceptance list), on the real program."""

from __future__ import annotations

import json

import pytest
import yaml

from blueprint.tools.cost import estimate_plan
from tests.conftest import only, preview_stack
from tests.test_cli import blueprint

ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
SCHEDULE = "azure-native:machinelearningservices:Schedule"
TRAFFIC = "azure-native:resources:Deployment"


def test_online_endpoint_uses_entra_tokens_and_no_public_access():
    endpoint = only(preview_stack("prod"), ENDPOINT)
    assert endpoint.inputs["properties"]["authMode"] == "AADToken"
    assert endpoint.inputs["properties"]["publicNetworkAccess"] == "Disabled"


@pytest.mark.parametrize(("stack", "split"), [("staging", {"blue": 100}), ("prod", {"blue": 90, "green": 10})])
def test_traffic_is_applied_after_the_deployments_it_names(stack, split):
    """A first `pulumi up` succeeds: the endpoint is created without traffic, the split comes after its deployments."""
    plan = preview_stack(stack)
    endpoint, carrier = only(plan, ENDPOINT), only(plan, TRAFFIC)
    assert "traffic" not in endpoint.inputs["properties"]
    parameters = carrier.outputs["properties"]["parameters"]
    assert parameters["traffic"]["value"] == split
    assert parameters["endpointName"]["value"] == endpoint.outputs["name"]
    named = [d for d in plan.of_type(DEPLOYMENT) if d.inputs["deploymentName"] in split]
    assert len(named) == len(split)
    assert {d.urn for d in named} <= set(carrier.dependencies)
    assert "template" not in carrier.outputs["properties"]  # ARM returns a deployment's parameters, not its template


def test_deployments_have_app_insights_data_collection_and_autoscale():
    plan = preview_stack("prod")
    deployments = plan.of_type(DEPLOYMENT)
    assert {d.inputs["deploymentName"] for d in deployments} == {"blue", "green"}
    autoscale = {a.inputs["targetResourceUri"]: a for a in plan.of_type("azure-native:monitor:AutoscaleSetting")}
    for deployment in deployments:
        props = deployment.inputs["properties"]
        assert props["appInsightsEnabled"] is True
        collections = props["dataCollector"]["collections"]
        assert collections["model_inputs"]["dataCollectionMode"] == "Enabled"
        assert collections["model_outputs"]["dataCollectionMode"] == "Enabled"
        setting = autoscale[deployment.id]
        capacity = setting.inputs["profiles"][0]["capacity"]
        assert int(capacity["minimum"]) >= 1 and int(capacity["maximum"]) > int(capacity["minimum"])
        directions = {rule["scaleAction"]["direction"] for rule in setting.inputs["profiles"][0]["rules"]}
        assert directions == {"Increase", "Decrease"}


@pytest.mark.parametrize(
    ("kind", "type_token"),
    [
        ("workspace", "azure-native:machinelearningservices:Workspace"),
        ("vault", "azure-native:keyvault:Vault"),
        ("storage", "azure-native:storage:StorageAccount"),
        ("registry", "azure-native:containerregistry:Registry"),
        ("endpoint", ENDPOINT),
    ],
)
def test_diagnostic_settings_send_logs_to_log_analytics(kind, type_token):
    plan = preview_stack("prod")
    target = only(plan, type_token).id
    law = only(plan, "azure-native:operationalinsights:Workspace").id
    settings = [s for s in plan.of_type("azure-native:monitor:DiagnosticSetting") if s.inputs["resourceUri"].startswith(target)]
    assert settings, f"no diagnostic setting for the {kind}"
    assert all(s.inputs["workspaceId"] == law for s in settings)
    assert any(log.get("categoryGroup") == "allLogs" and log["enabled"] for s in settings for log in s.inputs.get("logs", []))


def test_action_group_and_latency_5xx_job_failure_alerts():
    plan = preview_stack("prod")
    group = only(plan, "azure-native:monitor:ActionGroup")
    assert [r["emailAddress"] for r in group.inputs["emailReceivers"]] == ["ml-platform-alerts@example.com", "ml-oncall@example.com"]
    alerts = plan.of_type("azure-native:monitor:MetricAlert")
    metrics = {a.inputs["criteria"]["allOf"][0]["metricName"] for a in alerts}
    assert {"RequestLatency", "RequestsPerMinute", "Failed Runs", "Active Nodes"} <= metrics
    assert all(a.inputs["actions"][0]["actionGroupId"] == group.id for a in alerts)
    assert set(plan.outputs["alertIds"]) >= {"fraud-latency", "fraud-5xx", "failed-jobs"}


def test_model_monitor_with_drift_signals_per_production_deployment():
    monitors = [s for s in preview_stack("prod").of_type(SCHEDULE) if s.inputs["properties"]["action"]["actionType"] == "CreateMonitor"]
    assert len(monitors) == 2  # blue and green both serve traffic
    for monitor in monitors:
        signals = monitor.inputs["properties"]["action"]["monitorDefinition"]["signals"]
        assert {s["signalType"] for s in signals.values()} == {"DataDrift", "PredictionDrift", "DataQuality"}


def test_retraining_schedule_runs_the_registry_pipeline():
    plan = preview_stack("prod")
    (retraining,) = [s for s in plan.of_type(SCHEDULE) if s.inputs["properties"]["action"]["actionType"] == "CreateJob"]
    job = retraining.inputs["properties"]["action"]["jobDefinition"]
    registry = plan.outputs["registryName"]
    assert job["jobs"]["training_pipeline"]["componentId"] == f"azureml://registries/{registry}/components/training_pipeline/labels/latest"
    assert retraining.inputs["properties"]["trigger"]["expression"] == "0 2 * * 1"
    # Each run registers the checked training data as an MLTable data asset: the monitors' baseline.
    assert job["outputs"] == {"training_reference": {"jobOutputType": "mltable", "assetName": "fraud-training-reference", "mode": "ReadWriteMount"}}
    assert job["jobs"]["training_pipeline"]["outputs"] == {"training_reference": {"type": "literal", "value": "${{parent.outputs.training_reference}}"}}


def test_prod_monitors_compare_with_the_mltable_the_pipeline_registers():
    plan = preview_stack("prod")
    monitors = [s for s in plan.of_type(SCHEDULE) if s.inputs["properties"]["action"]["actionType"] == "CreateMonitor"]
    workspace = only(plan, "azure-native:machinelearningservices:Workspace").id
    for monitor in monitors:
        for signal in monitor.inputs["properties"]["action"]["monitorDefinition"]["signals"].values():
            reference = signal["referenceData"]
            assert reference["jobInputType"] == "mltable"
            assert reference["uri"] == f"azureml:{workspace}/data/fraud-training-reference/versions/1"


def test_budget_with_actual_and_forecast_notifications_to_the_action_group():
    plan = preview_stack("prod")
    budget = only(plan, "azure-native:consumption:Budget")
    assert budget.inputs["amount"] == 12000
    notifications = budget.inputs["notifications"]
    assert {n["thresholdType"] for n in notifications.values()} == {"Actual", "Forecasted"}
    group = only(plan, "azure-native:monitor:ActionGroup").id
    assert all(n["contactGroups"] == [group] for n in notifications.values())


def test_dev_idles_far_below_prod_peak_and_every_line_explains_itself():
    dev, prod = estimate_plan(preview_stack("dev")), estimate_plan(preview_stack("prod"))
    assert dev.fixed_monthly * 10 < prod.peak_monthly
    assert all(line.description for line in dev.lines + prod.lines)
    assert dev.fits_budget is True and prod.unpriced == []


def test_preview_prints_the_cost_section_and_the_json_carries_it():
    text = blueprint("preview", "dev").stdout
    assert "Cost estimate (USD, list prices of" in text and "peak month" in text and "budget" in text
    document = json.loads(blueprint("preview", "dev", "--json").stdout)
    assert document["cost"]["fixed_monthly"] > 0 and document["cost"]["fits_budget"] is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["mlplatform:endpoints"][0]["deployments"][0].update(minInstances=9),
         "mlplatform:endpoints[0].deployments[0].minInstances: expected at most maxInstances (6), found integer 9"),
        (lambda c: c["mlplatform:retraining"].update(cron="0 25 * * *"), "mlplatform:retraining.cron: expected a five-field cron expression"),
        (lambda c: c["mlplatform:budget"].update(monthlyAmount=0), "mlplatform:budget.monthlyAmount: expected an amount above 0"),
        (lambda c: c["mlplatform:drift"].update(dataDriftThreshold=2), "mlplatform:drift.dataDriftThreshold: expected a number above 0 and at most 1"),
    ],
)
def test_bad_serving_config_exits_2(project_copy, change, message):
    stack_file = project_copy / "stacks" / "Pulumi.prod.yaml"
    data = yaml.safe_load(stack_file.read_text())
    change(data["config"])
    stack_file.write_text(yaml.safe_dump(data))
    result = blueprint("preview", "prod", cwd=project_copy)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
