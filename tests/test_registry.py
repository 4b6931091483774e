"""The shared registry and the environments seeded into it, under the ARM mocks."""

from __future__ import annotations

from typing import Any

import pytest

from components.ml_registry import MlRegistry
from components.registry_environments import RegistryEnvironments
from tests.conftest import only, run_component, tags

REGISTRY = "azure-native:machinelearningservices:Registry"
CONTAINER = "azure-native:machinelearningservices:RegistryEnvironmentContainer"
VERSION = "azure-native:machinelearningservices:RegistryEnvironmentVersion"


def registry_plan(**overrides: Any):
    args: dict[str, Any] = {
        "location": "westeurope",
        "naming": {"prefix": "mlp", "environment": "shared", "seed": "mlplatform/shared"},
        "tags": tags("shared"),
        "replication_regions": ["northeurope", "westeurope"],
        "zone_redundant": True,
        "protect_data": True,
    }
    args.update(overrides)
    return run_component(lambda: MlRegistry("registry", args))  # type: ignore[arg-type]


def test_registry_is_closed_replicated_and_protected():
    plan = registry_plan()
    registry = only(plan, REGISTRY)
    assert registry.inputs["publicNetworkAccess"] == "Disabled"
    assert registry.protect is True
    assert [region["location"] for region in registry.inputs["regionDetails"]] == ["westeurope", "northeurope"]
    for region in registry.inputs["regionDetails"]:
        storage = region["storageAccountDetails"][0]["systemCreatedStorageAccount"]
        assert storage["allowBlobPublicAccess"] is False and storage["storageAccountType"] == "Standard_ZRS"
        assert region["acrDetails"][0]["systemCreatedAcrAccount"]["acrAccountSku"] == "Premium"
    assert registry.physical_name.startswith("mlr-mlp-shared-weu-")
    assert registry.inputs["resourceGroupName"] == only(plan, "azure-native:resources:ResourceGroup").physical_name
    lock = only(plan, "azure-native:authorization:ManagementLockAtResourceGroupLevel")
    assert lock.inputs["level"] == "CanNotDelete" and lock.inputs["resourceGroupName"] == registry.inputs["resourceGroupName"]


def test_registry_children_are_parented_and_tagged():
    plan = registry_plan(protect_data=False)
    component = only(plan, "mlplatform:index:MlRegistry")
    for resource in plan.resources:
        if resource.custom:
            assert resource.parent == component.urn
            assert resource.inputs["tags"]["environment"] == "shared"
    assert not only(plan, REGISTRY).protect
    assert plan.of_type("azure-native:authorization:ManagementLockAtResourceGroupLevel") == []


def spec(name: str, version: str) -> dict[str, Any]:
    return {"name": name, "version": version, "image": "mcr.microsoft.com/azureml/openmpi5.0-ubuntu24.04:latest",
            "conda_file": "name: x\ndependencies: [python=3.11]\n", "description": f"{name} env", "tags": {"source": "t"}}


def test_each_environment_is_a_container_and_an_immutable_retained_version():
    plan = run_component(lambda: RegistryEnvironments("environments", {
        "registry_name": "mlr-test", "resource_group_name": "rg-test",
        "environments": [spec("sklearn-training", "abc123"), spec("sklearn-inference", "def456")],
    }))
    containers = {c.inputs["environmentName"] for c in plan.of_type(CONTAINER)}
    assert containers == {"sklearn-training", "sklearn-inference"}
    versions = {(v.inputs["environmentName"], v.inputs["version"]): v for v in plan.of_type(VERSION)}
    assert set(versions) == {("sklearn-training", "abc123"), ("sklearn-inference", "def456")}
    training = versions[("sklearn-training", "abc123")]
    assert training.retain_on_delete is True
    assert training.inputs["properties"]["condaFile"].startswith("name: x")
    assert training.inputs["properties"]["image"].startswith("mcr.microsoft.com/azureml/")
    assert training.id.endswith("/registries/mlr-test/environments/sklearn-training/versions/abc123")
    container_urn = next(c.urn for c in plan.of_type(CONTAINER) if c.inputs["environmentName"] == "sklearn-training")
    assert container_urn in training.dependencies


def test_duplicate_environment_names_are_rejected():
    with pytest.raises(ValueError, match="duplicate environment names sklearn"):
        run_component(lambda: RegistryEnvironments("environments", {
            "registry_name": "r", "resource_group_name": "g", "environments": [spec("sklearn", "1"), spec("sklearn", "2")],
        }))
