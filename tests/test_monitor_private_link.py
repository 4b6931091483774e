"""MonitorPrivateLinkScope under the ARM mocks: the scope, its scoped resources, access modes, and what it refuses."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.monitor_private_link import GROUP_ID, AccessMode, MonitorPrivateLinkScope, MonitorPrivateLinkScopeArgs
from components.naming import ResourceKind, validate_name
from components.private_network import zones_for
from components.tags import MissingTagsError
from tests.conftest import only, run_component, tags

SCOPE = "azure-native:monitor:PrivateLinkScope"
SCOPED = "azure-native:monitor:PrivateLinkScopedResource"
_RG = "/subscriptions/00000000-0000-4000-8000-000000000009/resourceGroups/rg-mon/providers/"
LAW_ID = _RG + "Microsoft.OperationalInsights/workspaces/log1"
APPI_ID = _RG + "Microsoft.Insights/components/appi1"


def scope_args(**overrides: Any) -> MonitorPrivateLinkScopeArgs:
    args: dict[str, Any] = {
        "location": "westeurope",
        "naming": {"prefix": "mlp", "environment": "prod", "seed": "mlplatform/test"},
        "tags": tags("prod"),
        "resource_group_name": "rg-mon",
        "scoped_resources": [{"key": "logs", "resource_id": LAW_ID}, {"key": "insights", "resource_id": APPI_ID}],
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def plan_of(**overrides: Any):
    def body() -> None:
        scope = MonitorPrivateLinkScope("monitor", scope_args(**overrides))
        pulumi.export("scope_id", scope.scope_id)

    return run_component(body)


@pytest.fixture(scope="module")
def plan():
    return plan_of()


def test_scope_is_global_private_only_and_named(plan):
    scope = only(plan, SCOPE)
    assert scope.inputs["location"] == "global"
    assert scope.inputs["accessModeSettings"] == {"exclusions": [], "ingestionAccessMode": "PrivateOnly", "queryAccessMode": "PrivateOnly"}
    assert scope.inputs["resourceGroupName"] == "rg-mon"
    assert scope.physical_name.startswith("ampls-mlp-prod-weu-")
    assert validate_name(ResourceKind.MONITOR_PRIVATE_LINK_SCOPE, scope.physical_name) == []
    assert scope.id.endswith("/providers/microsoft.insights/privateLinkScopes/" + scope.physical_name)
    assert set(tags("prod")) <= set(scope.inputs["tags"])


def test_each_store_is_a_scoped_resource_of_the_scope(plan):
    scope = only(plan, SCOPE)
    scoped = {r.inputs["name"]: r for r in plan.of_type(SCOPED)}
    assert {name: r.inputs["linkedResourceId"] for name, r in scoped.items()} == {"logs": LAW_ID, "insights": APPI_ID}
    for resource in scoped.values():
        assert resource.inputs["kind"] == "Resource"
        assert resource.inputs["scopeName"] == scope.physical_name
        assert resource.inputs["resourceGroupName"] == "rg-mon"
        assert resource.property_dependencies["scopeName"] == [scope.urn]
        assert resource.id == f"{scope.id}/scopedResources/{resource.inputs['name']}"


def test_children_are_parented_and_the_scope_id_is_exported(plan):
    component = only(plan, "mlplatform:index:MonitorPrivateLinkScope")
    assert all(r.parent == component.urn for r in plan.resources if r.custom)
    assert plan.outputs["scope_id"] == only(plan, SCOPE).id


def test_open_access_modes_can_be_asked_for():
    inputs = only(plan_of(ingestion_access_mode=AccessMode.OPEN, query_access_mode="Open"), SCOPE).inputs
    assert inputs["accessModeSettings"]["ingestionAccessMode"] == "Open"
    assert inputs["accessModeSettings"]["queryAccessMode"] == "Open"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"scoped_resources": []}, "needs at least one scoped resource"),
        ({"scoped_resources": [{"key": "logs", "resource_id": LAW_ID}, {"key": "logs", "resource_id": APPI_ID}]}, "keys must be unique"),
        ({"ingestion_access_mode": "Private"}, "ingestion_access_mode 'Private' is not an access mode: expected one of PrivateOnly, Open"),
        ({"query_access_mode": "open"}, "query_access_mode 'open' is not an access mode"),
    ],
)
def test_bad_arguments_are_refused_before_planning(overrides, message):
    with pytest.raises(ValueError, match=message):
        plan_of(**overrides)


def test_missing_tags_are_rejected():
    with pytest.raises(MissingTagsError):
        plan_of(tags={"owner": "ml-platform-team"})


def test_its_group_id_has_the_azure_monitor_zones():
    assert GROUP_ID == "azuremonitor"
    assert zones_for(GROUP_ID) == (
        "privatelink.monitor.azure.com",
        "privatelink.oms.opinsights.azure.com",
        "privatelink.ods.opinsights.azure.com",
        "privatelink.agentsvc.azure-automation.net",
        "privatelink.blob.core.windows.net",
    )
