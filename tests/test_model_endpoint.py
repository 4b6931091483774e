"""ModelEndpoint under the ARM mocks: closed and Entra-authenticated by default, monitored, autoscaled, split."""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pytest

from components.model_endpoint import (
    ENDPOINT_API_VERSION,
    ENDPOINT_ARM_TYPE,
    DeploymentArgs,
    ModelEndpoint,
    ModelEndpointArgs,
    iso_duration_ms,
)
from components.naming import KIND_OF_TYPE, validate_name
from tests.conftest import only, run_component, tags

ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
AUTOSCALE = "azure-native:monitor:AutoscaleSetting"
TRAFFIC = "azure-native:resources:Deployment"
COMPONENT = "mlplatform:index:ModelEndpoint"
MODEL = "azureml://registries/mlr-test/models/fraud/versions/3"


def deployment(name: str = "blue", **overrides: Any) -> DeploymentArgs:
    spec: dict[str, Any] = {
        "name": name,
        "model": MODEL,
        "instance_type": "Standard_DS3_v2",
        "instance_count": 2,
        "min_instances": 1,
        "max_instances": 4,
        "traffic_percent": 100,
    }
    spec.update(overrides)
    return spec  # type: ignore[return-value]


def endpoint_args(deployments: list[DeploymentArgs] | None = None, **overrides: Any) -> ModelEndpointArgs:
    args: dict[str, Any] = {
        "workspace_name": "mlw-test",
        "resource_group_name": "rg-test",
        "location": "westeurope",
        "naming": {"prefix": "fraud", "environment": "dev", "seed": "mlplatform/test"},
        "qualifier": "fraud",
        "tags": tags(),
        "deployments": [deployment()] if deployments is None else deployments,
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def plan_of(deployments: list[DeploymentArgs] | None = None, **overrides: Any):
    def body() -> None:
        endpoint = ModelEndpoint("fraud", endpoint_args(deployments, **overrides))
        for output in ("endpoint_name", "endpoint_id", "scoring_uri", "deployment_ids", "autoscale_ids"):
            pulumi.export(output, getattr(endpoint, output))

    return run_component(body)


def by_name(plan, type_token: str) -> dict[str, Any]:
    return {r.inputs.get("deploymentName", r.name): r for r in plan.of_type(type_token)}


def test_endpoint_defaults_to_entra_tokens_and_no_public_access():
    plan = plan_of()
    endpoint = only(plan, ENDPOINT)
    props = endpoint.inputs["properties"]
    assert props["authMode"] == "AADToken"
    assert props["publicNetworkAccess"] == "Disabled"
    assert endpoint.inputs["identity"]["type"] == "SystemAssigned"
    assert endpoint.inputs["kind"] == "Managed"
    assert endpoint.inputs["location"] == "westeurope"
    assert endpoint.inputs["tags"] == tags()


def test_key_auth_and_public_access_only_when_asked():
    props = only(plan_of(auth_mode="Key", public_network_access=True), ENDPOINT).inputs["properties"]
    assert props["authMode"] == "Key"
    assert props["publicNetworkAccess"] == "Enabled"


def test_deployment_is_monitored_probed_and_sized():
    plan = plan_of([deployment(request_timeout_ms=1500, max_concurrent_requests_per_instance=4)])
    blue = only(plan, DEPLOYMENT)
    props = blue.inputs["properties"]
    assert blue.inputs["deploymentName"] == "blue"
    assert blue.inputs["endpointName"] == only(plan, ENDPOINT).outputs["name"]
    assert props["endpointComputeType"] == "Managed"
    assert props["appInsightsEnabled"] is True
    assert props["model"] == MODEL
    assert props["instanceType"] == "Standard_DS3_v2"
    assert "environmentId" not in props  # an MLflow model: no-code deployment
    assert props["dataCollector"]["collections"] == {
        "model_inputs": {"dataCollectionMode": "Enabled", "samplingRate": 1.0},
        "model_outputs": {"dataCollectionMode": "Enabled", "samplingRate": 1.0},
    }
    assert props["dataCollector"]["rollingRate"] == "Hour"
    for probe in ("livenessProbe", "readinessProbe"):
        assert set(props[probe]) == {"initialDelay", "period", "timeout", "failureThreshold", "successThreshold"}
        assert props[probe]["period"].startswith("PT")
    assert props["requestSettings"]["requestTimeout"] == "PT1.5S"
    assert props["requestSettings"]["maxConcurrentRequestsPerInstance"] == 4
    assert props["scaleSettings"] == {"scaleType": "Default"}
    assert blue.inputs["sku"] == {"name": "Default", "capacity": 2}
    assert blue.inputs["tags"] == tags()


def test_request_settings_defaults_and_environment():
    env = "azureml://registries/mlr-test/environments/sklearn/versions/2"
    props = only(plan_of([deployment(environment_id=env)]), DEPLOYMENT).inputs["properties"]
    assert props["requestSettings"]["requestTimeout"] == "PT5S"
    assert props["requestSettings"]["maxConcurrentRequestsPerInstance"] == 1
    assert props["environmentId"] == env


@pytest.mark.parametrize(("ms", "iso"), [(5000, "PT5S"), (1500, "PT1.5S"), (250, "PT0.25S"), (180000, "PT180S")])
def test_iso_durations(ms, iso):
    assert iso_duration_ms(ms) == iso


def test_autoscale_targets_the_deployment_with_cpu_and_latency_rules():
    plan = plan_of([deployment(cpu_scale_out_percent=75, cpu_scale_in_percent=25, latency_scale_out_ms=800)])
    endpoint, blue, setting = only(plan, ENDPOINT), only(plan, DEPLOYMENT), only(plan, AUTOSCALE)
    assert setting.inputs["targetResourceUri"] == blue.id
    assert setting.inputs["enabled"] is True
    assert setting.inputs["location"] == "westeurope"
    assert setting.inputs["tags"] == tags()
    [profile] = setting.inputs["profiles"]
    assert profile["capacity"] == {"minimum": "1", "maximum": "4", "default": "2"}
    rules = {(r["metricTrigger"]["metricName"], r["scaleAction"]["direction"]): r for r in profile["rules"]}
    assert set(rules) == {
        ("CpuUtilizationPercentage", "Increase"),
        ("CpuUtilizationPercentage", "Decrease"),
        ("RequestLatency", "Increase"),
    }
    cpu_out = rules["CpuUtilizationPercentage", "Increase"]
    assert cpu_out["metricTrigger"]["metricResourceUri"] == blue.id
    assert cpu_out["metricTrigger"]["metricNamespace"] == "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
    assert (cpu_out["metricTrigger"]["operator"], cpu_out["metricTrigger"]["threshold"]) == ("GreaterThan", 75)
    assert cpu_out["metricTrigger"]["timeWindow"] == "PT5M"
    cpu_in = rules["CpuUtilizationPercentage", "Decrease"]
    assert (cpu_in["metricTrigger"]["operator"], cpu_in["metricTrigger"]["threshold"]) == ("LessThan", 25)
    assert cpu_in["metricTrigger"]["timeWindow"] == "PT10M"
    assert cpu_in["scaleAction"] == {"direction": "Decrease", "type": "ChangeCount", "value": "1", "cooldown": "PT5M"}
    latency = rules["RequestLatency", "Increase"]
    assert latency["metricTrigger"]["metricResourceUri"] == endpoint.id
    assert latency["metricTrigger"]["metricNamespace"] == "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
    assert (latency["metricTrigger"]["operator"], latency["metricTrigger"]["threshold"]) == ("GreaterThan", 800)
    assert all(r["scaleAction"]["cooldown"] == "PT5M" for r in profile["rules"])


def test_autoscale_defaults():
    [profile] = only(plan_of(), AUTOSCALE).inputs["profiles"]
    thresholds = {(r["metricTrigger"]["metricName"], r["metricTrigger"]["operator"]): r["metricTrigger"]["threshold"] for r in profile["rules"]}
    assert thresholds == {
        ("CpuUtilizationPercentage", "GreaterThan"): 70,
        ("CpuUtilizationPercentage", "LessThan"): 30,
        ("RequestLatency", "GreaterThan"): 1000,
    }


def split_of(plan) -> dict[str, float]:
    """The split the traffic template applies."""
    return only(plan, TRAFFIC).inputs["properties"]["parameters"]["traffic"]["value"]


def test_traffic_split_and_one_autoscale_per_deployment():
    plan = plan_of([deployment("blue", traffic_percent=90), deployment("green", traffic_percent=10, model=MODEL[:-1] + "4")])
    assert "traffic" not in only(plan, ENDPOINT).inputs["properties"]
    assert split_of(plan) == {"blue": 90, "green": 10}
    assert sum(split_of(plan).values()) == 100
    deployments = by_name(plan, DEPLOYMENT)
    assert set(deployments) == {"blue", "green"}
    settings = plan.of_type(AUTOSCALE)
    assert sorted(s.inputs["targetResourceUri"] for s in settings) == sorted(d.id for d in deployments.values())
    assert len({s.inputs["autoscaleSettingName"] for s in settings}) == 2
    # One operation at a time on the endpoint: green waits for blue.
    assert deployments["blue"].urn in deployments["green"].dependencies
    outputs = plan.outputs
    assert set(outputs["deployment_ids"]) == {"blue", "green"}
    assert outputs["deployment_ids"]["green"] == deployments["green"].id
    assert set(outputs["autoscale_ids"]) == {"blue", "green"}


def test_a_first_deploy_creates_the_endpoint_without_traffic_and_routes_after_every_deployment():
    plan = plan_of([deployment("blue", traffic_percent=90), deployment("green", traffic_percent=10)])
    endpoint, carrier = only(plan, ENDPOINT), only(plan, TRAFFIC)
    assert "traffic" not in endpoint.inputs["properties"] and "mirrorTraffic" not in endpoint.inputs["properties"]
    assert {endpoint.urn, *(d.urn for d in plan.of_type(DEPLOYMENT))} <= set(carrier.dependencies)
    assert [r.urn for r in plan.resources].index(carrier.urn) > max(
        [r.urn for r in plan.resources].index(d.urn) for d in plan.of_type(DEPLOYMENT)
    )
    props = carrier.inputs["properties"]
    assert props["mode"] == "Incremental"
    assert props["parameters"]["endpointName"]["value"] == endpoint.outputs["name"]
    assert props["parameters"]["workspaceName"]["value"] == "mlw-test"
    assert carrier.inputs["resourceGroupName"] == "rg-test"
    assert carrier.inputs["deploymentName"] == f"{endpoint.outputs['name']}-traffic"
    # ARM's rule for deployment names: 1-64 letters, digits, hyphens, underscores, periods and parentheses.
    assert re.fullmatch(r"[-\w.()]{1,64}", carrier.inputs["deploymentName"], re.ASCII)
    assert carrier.inputs["tags"] == tags()


def test_the_template_puts_the_endpoints_own_body_plus_traffic():
    """An ARM PUT reapplies every property: the template must send exactly what the endpoint resource sends."""
    plan = plan_of([deployment("blue", traffic_percent=50), deployment("green", traffic_percent=50)], auth_mode="Key")
    endpoint, carrier = only(plan, ENDPOINT), only(plan, TRAFFIC)
    [resource] = carrier.inputs["properties"]["template"]["resources"]
    assert resource["type"] == ENDPOINT_ARM_TYPE
    assert resource["apiVersion"] == ENDPOINT_API_VERSION
    assert resource["properties"].pop("traffic") == "[parameters('traffic')]"
    sent = {key: endpoint.inputs[key] for key in ("location", "kind", "identity", "properties", "tags")}
    assert {key: resource[key] for key in sent} == sent
    assert set(carrier.inputs["properties"]["template"]["parameters"]) == {"workspaceName", "endpointName", "traffic"}


def test_the_template_speaks_the_sdks_api_version():
    """When azure-native moves OnlineEndpoint to another API version, the template's version must follow."""
    from pathlib import Path

    from pulumi_azure_native.machinelearningservices import online_endpoint

    assert f"Uses Azure REST API version {ENDPOINT_API_VERSION}." in Path(online_endpoint.__file__).read_text(encoding="utf-8")


def test_the_endpoint_is_never_put_again_without_its_traffic():
    """After creation Pulumi ignores the endpoint's body; the template PUTs body and split together."""
    plan = plan_of()
    assert only(plan, ENDPOINT).ignore_changes == ["identity", "properties", "tags"]
    assert only(plan, TRAFFIC).ignore_changes == []


def test_a_new_deployment_joins_at_zero_and_is_left_out_of_the_traffic_map():
    plan = plan_of([deployment("blue"), deployment("green", traffic_percent=0)])
    assert split_of(plan) == {"blue": 100}
    assert len(plan.of_type(DEPLOYMENT)) == 2
    assert {d.urn for d in plan.of_type(DEPLOYMENT)} <= set(only(plan, TRAFFIC).dependencies)


def test_an_endpoint_may_route_no_traffic():
    plan = plan_of([deployment(traffic_percent=0)])
    assert split_of(plan) == {}
    assert any("serves no requests" in d["message"] for d in plan.diagnostics)


def test_protection_given_to_the_component_reaches_the_traffic_template():
    def body() -> None:
        ModelEndpoint("fraud", endpoint_args(), pulumi.ResourceOptions(protect=True))

    plan = run_component(body)
    assert only(plan, TRAFFIC).protect and only(plan, ENDPOINT).protect


def test_outputs_name_id_and_scoring_uri():
    plan = plan_of()
    endpoint = only(plan, ENDPOINT)
    outputs = plan.outputs
    assert outputs["endpoint_name"] == endpoint.outputs["name"]
    assert outputs["endpoint_id"] == endpoint.id
    assert outputs["scoring_uri"] == f"https://{endpoint.outputs['name']}.westeurope.inference.ml.azure.com/score"


def test_every_child_is_parented_and_every_name_is_valid():
    plan = plan_of([deployment("blue", traffic_percent=50), deployment("green", traffic_percent=50)])
    component = only(plan, COMPONENT)
    children = [r for r in plan.resources if r.custom]
    assert {r.type for r in children} == {ENDPOINT, DEPLOYMENT, AUTOSCALE, TRAFFIC}
    assert all(r.parent == component.urn for r in children)
    endpoint = only(plan, ENDPOINT)
    assert validate_name(KIND_OF_TYPE[ENDPOINT], endpoint.physical_name) == []
    assert endpoint.physical_name.startswith("mloe-fraud-fraud-dev-")


@pytest.mark.parametrize(
    ("deployments", "message"),
    [
        ([deployment(min_instances=3, instance_count=3, max_instances=2)], r"'blue'.*min_instances=3, instance_count=3, max_instances=2"),
        ([deployment(min_instances=0)], "1 <= min_instances"),
        ([deployment(instance_count=5, max_instances=4)], "instance_count=5"),
        ([deployment(max_instances=21, instance_count=2)], "max_instances <= 20"),
        ([deployment("blue", traffic_percent=60), deployment("green", traffic_percent=30)], r"total 100.*got 90 \(blue=60, green=30\)"),
        ([deployment(traffic_percent=120)], "traffic_percent must be from 0 to 100, got 120"),
        ([deployment("b")], "'b': names are 3-32"),
        ([deployment("9lives")], "'9lives': names are 3-32"),
        ([deployment("blue_green")], "names are 3-32"),
        ([deployment("x" * 33)], "names are 3-32"),
        ([deployment("blue", traffic_percent=50), deployment("Blue", traffic_percent=50)], "'Blue': the name is used twice"),
        ([deployment(cpu_scale_in_percent=80)], "cpu_scale_in_percent=80, cpu_scale_out_percent=70"),
        ([deployment(request_timeout_ms=200_000)], "request_timeout_ms must be from 1 to 180000"),
        ([deployment(latency_scale_out_ms=0)], "latency_scale_out_ms must be positive"),
    ],
)
def test_invalid_deployments_are_rejected(deployments, message):
    with pytest.raises(ValueError, match=message):
        plan_of(deployments)


def test_unknown_auth_mode_is_rejected():
    with pytest.raises(ValueError, match="auth_mode must be one of AADToken, Key, got 'AMLToken'"):
        plan_of(auth_mode="AMLToken")


def test_missing_required_tags_are_rejected():
    with pytest.raises(ValueError, match="missing required tags"):
        plan_of(tags={"owner": "team"})


def test_an_endpoint_without_deployments_is_allowed():
    plan = plan_of([])
    assert "traffic" not in only(plan, ENDPOINT).inputs["properties"]
    assert plan.of_type(DEPLOYMENT) == [] and plan.of_type(TRAFFIC) == []
    assert plan.outputs["deployment_ids"] == {}
