"""BatchScoring under the ARM mocks: Entra auth, a model deployment on a scale-to-zero cluster, a default route."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.batch_scoring import BatchScoring, BatchScoringArgs
from components.naming import KIND_OF_TYPE, validate_name
from tests.conftest import only, run_component, tags

ENDPOINT = "azure-native:machinelearningservices:BatchEndpoint"
DEPLOYMENT = "azure-native:machinelearningservices:BatchDeployment"
COMPONENT = "mlplatform:index:BatchScoring"
MODEL = "azureml://registries/mlr-test/models/churn/versions/7"
CLUSTER = (
    "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-test/providers/"
    "Microsoft.MachineLearningServices/workspaces/mlw-test/computes/cpu-batch"
)


def batch_args(**overrides: Any) -> BatchScoringArgs:
    args: dict[str, Any] = {
        "workspace_name": "mlw-test",
        "resource_group_name": "rg-test",
        "location": "westeurope",
        "naming": {"prefix": "churn", "environment": "dev", "seed": "mlplatform/test"},
        "qualifier": "churn",
        "tags": tags(),
        "model": MODEL,
        "compute_id": CLUSTER,
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def plan_of(**overrides: Any):
    def body() -> None:
        batch = BatchScoring("churn", batch_args(**overrides))
        for output in ("endpoint_name", "endpoint_id", "deployment_id"):
            pulumi.export(output, getattr(batch, output))

    return run_component(body)


def test_endpoint_uses_entra_tokens_and_defaults_to_its_deployment():
    plan = plan_of()
    endpoint = only(plan, ENDPOINT)
    props = endpoint.inputs["properties"]
    assert props["authMode"] == "AADToken"
    assert props["defaults"] == {"deploymentName": "main"}
    assert endpoint.inputs["location"] == "westeurope"
    assert endpoint.inputs["tags"] == tags()


def test_deployment_scores_the_model_on_the_cluster():
    plan = plan_of()
    deployment = only(plan, DEPLOYMENT)
    props = deployment.inputs["properties"]
    assert deployment.inputs["deploymentName"] == "main"
    assert deployment.inputs["endpointName"] == only(plan, ENDPOINT).outputs["name"]
    assert props["model"] == {"assetId": MODEL, "referenceType": "Id"}
    assert props["compute"] == CLUSTER
    assert props["resources"]["instanceCount"] == 1
    assert props["miniBatchSize"] == 10
    assert props["maxConcurrencyPerInstance"] == 1
    assert props["retrySettings"] == {"maxRetries": 3, "timeout": "PT300S"}
    assert props["outputAction"] == "AppendRow"
    assert props["outputFileName"] == "predictions.csv"
    assert props["loggingLevel"] == "Info"
    assert "environmentId" not in props  # an MLflow model: scored without code
    assert deployment.inputs["tags"] == tags()


def test_settings_are_passed_through():
    env = "azureml://registries/mlr-test/environments/sklearn/versions/2"
    props = only(
        plan_of(mini_batch_size=50, instance_count=3, max_concurrency_per_instance=2, max_retries=0,
                retry_timeout_seconds=600, environment_id=env, deployment_name="churn-v7"),
        DEPLOYMENT,
    ).inputs["properties"]
    assert props["miniBatchSize"] == 50
    assert props["resources"]["instanceCount"] == 3
    assert props["maxConcurrencyPerInstance"] == 2
    assert props["retrySettings"] == {"maxRetries": 0, "timeout": "PT600S"}
    assert props["environmentId"] == env


def test_a_new_endpoint_is_created_without_a_default():
    plan = plan_of(route_traffic=False)
    assert "defaults" not in only(plan, ENDPOINT).inputs["properties"]
    assert len(plan.of_type(DEPLOYMENT)) == 1


def test_outputs_children_and_names():
    plan = plan_of()
    endpoint, deployment = only(plan, ENDPOINT), only(plan, DEPLOYMENT)
    assert plan.outputs == {
        "endpoint_name": endpoint.outputs["name"],
        "endpoint_id": endpoint.id,
        "deployment_id": deployment.id,
    }
    assert deployment.id.endswith(f"/batchEndpoints/{endpoint.outputs['name']}/deployments/main")
    component = only(plan, COMPONENT)
    assert all(r.parent == component.urn for r in plan.resources if r.custom)
    assert validate_name(KIND_OF_TYPE[ENDPOINT], endpoint.physical_name) == []
    assert endpoint.physical_name.startswith("mlbe-churn-churn-dev-")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"deployment_name": "x"}, "deployment name 'x'"),
        ({"deployment_name": "1st"}, "deployment name '1st'"),
        ({"mini_batch_size": 0}, "mini_batch_size must be an integer of at least 1, got 0"),
        ({"instance_count": 0}, "instance_count must be an integer of at least 1"),
        ({"max_retries": -1}, "max_retries must be an integer of at least 0"),
        ({"tags": {"owner": "team"}}, "missing required tags"),
    ],
)
def test_invalid_settings_are_rejected(overrides, message):
    with pytest.raises(ValueError, match=message):
        plan_of(**overrides)
