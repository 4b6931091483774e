"""GpuCluster under the ARM mocks: scale to zero, closed nodes, catalog-checked sizes."""

from __future__ import annotations

from typing import Any

import pytest

from components.gpu_cluster import GpuCluster, GpuClusterArgs
from components.options import ClusterTier
from components.vm_sizes import UnknownVmSizeError
from tests.conftest import only, run_component, tags

COMPUTE = "azure-native:machinelearningservices:Compute"


def cluster_args(**overrides: Any) -> GpuClusterArgs:
    args: dict[str, Any] = {
        "workspace_name": "mlw-test",
        "resource_group_name": "rg-test",
        "location": "westeurope",
        "vm_size": "Standard_NC4as_T4_v3",
        "max_nodes": 4,
        "tags": tags(),
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def compute_of(name: str = "gpu-t4", **overrides: Any):
    plan = run_component(lambda: GpuCluster(name, cluster_args(**overrides)))
    return plan, only(plan, COMPUTE)


def test_defaults_scale_to_zero_and_close_the_nodes():
    plan, compute = compute_of()
    outer = compute.inputs["properties"]
    inner = outer["properties"]
    assert outer["computeType"] == "AmlCompute"
    assert outer["disableLocalAuth"] is True
    assert inner["scaleSettings"] == {"minNodeCount": 0, "maxNodeCount": 4, "nodeIdleTimeBeforeScaleDown": "PT120S"}
    assert inner["enableNodePublicIp"] is False
    assert inner["remoteLoginPortPublicAccess"] == "Disabled"
    assert inner["vmPriority"] == "Dedicated"
    assert inner["vmSize"] == "Standard_NC4as_T4_v3"
    assert compute.inputs["identity"]["type"] == "SystemAssigned"
    assert compute.inputs["computeName"] == "gpu-t4"
    assert compute.parent == only(plan, "mlplatform:index:GpuCluster").urn
    assert compute.id.endswith("/workspaces/mlw-test/computes/gpu-t4")


def test_spot_tier_idle_time_and_case_insensitive_size():
    _, compute = compute_of(tier=ClusterTier.SPOT, idle_seconds_before_scale_down=600, vm_size="standard_nc4as_t4_v3")
    inner = compute.inputs["properties"]["properties"]
    assert inner["vmPriority"] == "LowPriority"
    assert inner["scaleSettings"]["nodeIdleTimeBeforeScaleDown"] == "PT600S"
    assert inner["vmSize"] == "Standard_NC4as_T4_v3"
    assert "1x NVIDIA T4" in compute.inputs["properties"]["description"]


def test_subnet_is_passed_when_given():
    subnet = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/compute"
    _, compute = compute_of(subnet_id=subnet)
    assert compute.inputs["properties"]["properties"]["subnet"] == {"id": subnet}


def test_unknown_vm_size_is_rejected_with_a_suggestion():
    with pytest.raises(UnknownVmSizeError, match="did you mean Standard_NC4as_T4_v3"):
        compute_of(vm_size="Standard_NC4as_T4")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"max_nodes": 0}, "max_nodes must be from 1 to 100"),
        ({"max_nodes": 101}, "max_nodes must be from 1 to 100"),
        ({"min_nodes": 5, "max_nodes": 4}, "min_nodes must be from 0 to max_nodes"),
    ],
)
def test_bounds_are_enforced(overrides, message):
    with pytest.raises(ValueError, match=message):
        compute_of(**overrides)


def test_invalid_compute_name_is_rejected():
    with pytest.raises(ValueError, match="invalid compute name"):
        compute_of(name="9-starts-with-a-digit-and-is-long")
