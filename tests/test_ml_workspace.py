"""MlWorkspace under the ARM mocks: the settings that matter, per network tier."""

from __future__ import annotations

from typing import Any

import pytest

from components.ml_workspace import MlWorkspace, MlWorkspaceArgs
from components.naming import ResourceKind, validate_name
from components.options import NetworkMode
from components.tags import MissingTagsError
from tests.conftest import REQUIRED_TAGS, only, run_component, tags, takes_azure_tags

WS = "azure-native:machinelearningservices:Workspace"
ST = "azure-native:storage:StorageAccount"
KV = "azure-native:keyvault:Vault"
CR = "azure-native:containerregistry:Registry"
LAW = "azure-native:operationalinsights:Workspace"
APPI = "azure-native:applicationinsights:Component"
RG = "azure-native:resources:ResourceGroup"
BLOB = "azure-native:storage:BlobServiceProperties"
AMPLS = "azure-native:monitor:PrivateLinkScope"
SCOPED = "azure-native:monitor:PrivateLinkScopedResource"


def workspace_args(**overrides: Any) -> MlWorkspaceArgs:
    args: dict[str, Any] = {
        "location": "westeurope",
        "naming": {"prefix": "mlp", "environment": "prod", "seed": "mlplatform/test"},
        "tags": tags("prod"),
        "network_mode": NetworkMode.PRIVATE,
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def plan_of(**overrides: Any):
    return run_component(lambda: MlWorkspace("platform", workspace_args(**overrides)))


@pytest.fixture(scope="module")
def private_plan():
    return plan_of(protect_data=True, log_retention_days=90, high_business_impact=True, zone_redundant=True)


def test_private_workspace_is_closed_and_identity_based(private_plan):
    ws = only(private_plan, WS).inputs
    assert ws["publicNetworkAccess"] == "Disabled"
    assert ws["allowPublicAccessWhenBehindVnet"] is False
    assert ws["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"
    assert ws["systemDatastoresAuthMode"] == "identity"
    assert ws["identity"]["type"] == "UserAssigned"
    identity = only(private_plan, "azure-native:managedidentity:UserAssignedIdentity")
    assert ws["primaryUserAssignedIdentity"] == identity.id
    assert ws["identity"]["userAssignedIdentities"] == [identity.id]
    assert ws["hbiWorkspace"] is True
    assert ws["v1LegacyMode"] is False


def test_workspace_is_wired_to_its_dependencies(private_plan):
    ws = only(private_plan, WS).inputs
    assert ws["storageAccount"] == only(private_plan, ST).id
    assert ws["keyVault"] == only(private_plan, KV).id
    assert ws["containerRegistry"] == only(private_plan, CR).id
    assert ws["applicationInsights"] == only(private_plan, APPI).id
    assert ws["storageAccount"].startswith("/subscriptions/") and "/providers/Microsoft.Storage/storageAccounts/" in ws["storageAccount"]


def test_storage_account_is_hardened(private_plan):
    st = only(private_plan, ST).inputs
    assert st["enableHttpsTrafficOnly"] is True
    assert st["minimumTlsVersion"] == "TLS1_2"
    assert st["allowSharedKeyAccess"] is False
    assert st["allowBlobPublicAccess"] is False
    assert st["allowCrossTenantReplication"] is False
    assert st["publicNetworkAccess"] == "Disabled"
    assert st["networkRuleSet"]["defaultAction"] == "Deny"
    assert st["networkRuleSet"]["bypass"] == "AzureServices"
    assert st["encryption"]["requireInfrastructureEncryption"] is True
    assert st["sku"]["name"] == "Standard_ZRS"


def test_blob_soft_delete_and_versioning(private_plan):
    blob = only(private_plan, BLOB).inputs
    assert blob["isVersioningEnabled"] is True
    assert blob["deleteRetentionPolicy"]["enabled"] is True
    assert blob["containerDeleteRetentionPolicy"]["enabled"] is True


def test_key_vault_is_hardened(private_plan):
    props = only(private_plan, KV).inputs["properties"]
    assert props["enablePurgeProtection"] is True
    assert props["enableRbacAuthorization"] is True
    assert props["enableSoftDelete"] is True
    assert props["softDeleteRetentionInDays"] == 90
    assert props["publicNetworkAccess"] == "Disabled"
    assert props["networkAcls"]["defaultAction"] == "Deny"
    assert props["tenantId"]  # from the client config invoke, known at plan time


def test_container_registry_is_premium_closed_without_admin(private_plan):
    cr = only(private_plan, CR).inputs
    assert cr["adminUserEnabled"] is False
    assert cr["anonymousPullEnabled"] is False
    assert cr["sku"]["name"] == "Premium"
    assert cr["publicNetworkAccess"] == "Disabled"
    assert cr["networkRuleSet"]["defaultAction"] == "Deny"
    assert cr["policies"]["exportPolicy"]["status"] == "disabled"
    assert cr["zoneRedundancy"] == "Enabled"


def test_monitoring_is_workspace_based_and_entra_only(private_plan):
    appi = only(private_plan, APPI).inputs
    law = only(private_plan, LAW)
    assert appi["workspaceResourceId"] == law.id
    assert appi["disableLocalAuth"] is True
    assert appi["ingestionMode"] == "LogAnalytics"
    assert law.inputs["features"]["disableLocalAuth"] is True
    assert law.inputs["retentionInDays"] == 90


def test_data_bearing_resources_are_protected_when_asked(private_plan):
    protected = {r.type for r in private_plan.resources if r.protect}
    assert protected == {WS, ST, KV, CR}
    assert not any(r.protect for r in plan_of().resources)


def test_every_child_is_parented_to_the_component(private_plan):
    component = only(private_plan, "mlplatform:index:MlWorkspace")
    roles = only(private_plan, "mlplatform:index:RoleAssignments")
    monitor_scope = only(private_plan, "mlplatform:index:MonitorPrivateLinkScope")
    assert roles.parent == component.urn and monitor_scope.parent == component.urn
    for resource in private_plan.resources:
        if resource.custom:
            assert resource.parent in (component.urn, roles.urn, monitor_scope.urn), resource.urn


def test_closed_telemetry_stores_are_scoped_by_a_monitor_private_link_scope(private_plan):
    """Private mode disables public ingestion and query on both stores; the scope then serves them privately,
    reaching only its own resources from connected networks (PrivateOnly)."""
    law, appi = only(private_plan, LAW), only(private_plan, APPI)
    for store in (law, appi):
        assert store.inputs["publicNetworkAccessForIngestion"] == "Disabled"
        assert store.inputs["publicNetworkAccessForQuery"] == "Disabled"
    scope = only(private_plan, AMPLS)
    assert scope.inputs["location"] == "global"
    assert scope.inputs["accessModeSettings"] == {"exclusions": [], "ingestionAccessMode": "PrivateOnly", "queryAccessMode": "PrivateOnly"}
    assert validate_name(ResourceKind.MONITOR_PRIVATE_LINK_SCOPE, scope.physical_name) == []
    assert REQUIRED_TAGS <= set(scope.inputs["tags"])
    scoped = {r.inputs["name"]: r for r in private_plan.of_type(SCOPED)}
    assert {name: r.inputs["linkedResourceId"] for name, r in scoped.items()} == {"logs": law.id, "insights": appi.id}
    for resource in scoped.values():
        assert resource.inputs["kind"] == "Resource"
        assert resource.inputs["scopeName"] == scope.physical_name
        assert resource.id.startswith(scope.id + "/scopedResources/")
        assert resource.property_dependencies["scopeName"] == [scope.urn]


@pytest.mark.parametrize("mode", [NetworkMode.PUBLIC, NetworkMode.MANAGED])
def test_stores_open_to_public_ingestion_get_no_scope(mode):
    extra = {"allowed_ip_ranges": ["203.0.113.0/24"]} if mode is NetworkMode.PUBLIC else {}
    plan = plan_of(network_mode=mode, **extra)
    assert only(plan, LAW).inputs["publicNetworkAccessForIngestion"] == "Enabled"
    assert only(plan, APPI).inputs["publicNetworkAccessForIngestion"] == "Enabled"
    assert plan.of_type(AMPLS) == [] and plan.of_type(SCOPED) == []


def test_every_taggable_resource_has_the_required_tags(private_plan):
    for resource in private_plan.resources:
        if resource.custom and takes_azure_tags(resource.type):
            assert REQUIRED_TAGS <= set(resource.inputs.get("tags", {})), resource.urn


def test_names_are_explicit_and_valid(private_plan):
    kinds = {RG: ResourceKind.RESOURCE_GROUP, ST: ResourceKind.STORAGE_ACCOUNT, KV: ResourceKind.KEY_VAULT,
             CR: ResourceKind.CONTAINER_REGISTRY, WS: ResourceKind.ML_WORKSPACE, LAW: ResourceKind.LOG_ANALYTICS,
             APPI: ResourceKind.APP_INSIGHTS}
    for type_token, kind in kinds.items():
        name = only(private_plan, type_token).physical_name
        assert name and validate_name(kind, name) == [], (type_token, name)


def test_public_mode_lets_only_the_allow_list_in():
    plan = plan_of(network_mode=NetworkMode.PUBLIC, allowed_ip_ranges=["203.0.113.0/24", "198.51.100.7/32"])
    st = only(plan, ST).inputs
    assert st["publicNetworkAccess"] == "Enabled"
    assert st["networkRuleSet"]["defaultAction"] == "Deny"
    assert [rule["iPAddressOrRange"] for rule in st["networkRuleSet"]["ipRules"]] == ["203.0.113.0/24", "198.51.100.7"]
    kv = only(plan, KV).inputs["properties"]
    assert [rule["value"] for rule in kv["networkAcls"]["ipRules"]] == ["203.0.113.0/24", "198.51.100.7/32"]
    ws = only(plan, WS).inputs
    assert ws["publicNetworkAccess"] == "Enabled"
    assert ws["managedNetwork"]["isolationMode"] == "AllowInternetOutbound"
    cr = only(plan, CR).inputs
    assert cr["sku"]["name"] == "Basic" and cr["adminUserEnabled"] is False
    assert only(plan, ST).inputs["sku"]["name"] == "Standard_LRS"


def test_managed_mode_closes_dependencies_behind_the_managed_network():
    plan = plan_of(network_mode=NetworkMode.MANAGED)
    assert only(plan, WS).inputs["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"
    assert only(plan, WS).inputs["publicNetworkAccess"] == "Enabled"  # people reach it through Entra ID
    assert only(plan, ST).inputs["publicNetworkAccess"] == "Disabled"
    assert only(plan, CR).inputs["publicNetworkAccess"] == "Disabled"
    assert only(plan, KV).inputs["properties"]["publicNetworkAccess"] == "Disabled"


def test_existing_resource_group_is_used_not_created():
    plan = plan_of(resource_group_name="rg-shared-ml")
    assert plan.of_type(RG) == []
    assert {r.inputs["resourceGroupName"] for r in plan.resources if "resourceGroupName" in r.inputs} == {"rg-shared-ml"}


def test_missing_required_tags_are_rejected():
    incomplete = {"owner": "team", "environment": "dev"}
    with pytest.raises(MissingTagsError, match="costCenter, dataClassification"):
        plan_of(tags=incomplete)


def test_workspace_identity_gets_exactly_its_data_plane_roles_before_the_workspace(private_plan):
    identity = only(private_plan, "azure-native:managedidentity:UserAssignedIdentity")
    assignments = private_plan.of_type("azure-native:authorization:RoleAssignment")
    by_scope = {}
    for assignment in assignments:
        assert assignment.inputs["principalType"] == "ServicePrincipal"
        assert assignment.inputs["principalId"] == identity.outputs["principalId"]
        guid = assignment.inputs["roleDefinitionId"].rsplit("/", 1)[1]
        by_scope.setdefault(assignment.inputs["scope"], set()).add(guid)
    assert by_scope == {
        only(private_plan, ST).id: {"ba92f5b4-2d11-453d-a403-e96b0029c9fe", "69566ab7-960f-475b-8e7c-b3118f30c6bd"},
        only(private_plan, KV).id: {"00482a5a-887f-4fb3-b363-3b7fe8e74483"},
        only(private_plan, CR).id: {"8311e382-0749-4cb8-b61a-304f252e45ec"},
    }
    workspace = only(private_plan, WS)
    assert {a.urn for a in assignments} <= set(workspace.dependencies)  # granted before Azure ML checks them


def test_protected_workspace_locks_its_resource_group(private_plan):
    lock = only(private_plan, "azure-native:authorization:ManagementLockAtResourceGroupLevel")
    assert lock.inputs["level"] == "CanNotDelete"
    assert lock.inputs["resourceGroupName"] == only(private_plan, RG).physical_name
    assert plan_of().of_type("azure-native:authorization:ManagementLockAtResourceGroupLevel") == []


def test_outbound_rules_reach_the_managed_network():
    rules = [
        {"name": "pypi", "fqdn": "pypi.org"},
        {"name": "monitor", "service_tag": "AzureMonitor", "protocol": "TCP", "port_ranges": "443"},
    ]
    network = only(plan_of(network_mode=NetworkMode.MANAGED, outbound_rules=rules), WS).inputs["managedNetwork"]
    assert network["outboundRules"]["pypi"] == {"type": "FQDN", "category": "UserDefined", "destination": "pypi.org"}
    assert network["outboundRules"]["monitor"]["destination"]["serviceTag"] == "AzureMonitor"
    assert network["outboundRules"]["monitor"]["type"] == "ServiceTag"


REGISTRY_ID = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-reg/providers/Microsoft.MachineLearningServices/registries/mlr-shared"


@pytest.mark.parametrize("mode", list(NetworkMode))
def test_private_endpoint_rules_reach_the_managed_network_in_every_mode(mode):
    """A registry with public access disabled is reached privately even where Internet outbound is allowed."""
    endpoints = [{"name": "shared-registry", "resource_id": REGISTRY_ID, "subresource_target": "amlregistry", "spark_enabled": True}]
    network = only(plan_of(network_mode=mode, private_endpoint_rules=endpoints), WS).inputs["managedNetwork"]
    assert network["outboundRules"]["shared-registry"] == {
        "type": "PrivateEndpoint",
        "category": "UserDefined",
        "destination": {"serviceResourceId": REGISTRY_ID, "subresourceTarget": "amlregistry", "sparkEnabled": True},
    }


def test_a_rule_name_given_twice_is_refused():
    endpoints = [{"name": "pypi", "resource_id": REGISTRY_ID, "subresource_target": "amlregistry"}]
    with pytest.raises(ValueError, match="outbound rule 'pypi' is given twice"):
        plan_of(network_mode=NetworkMode.MANAGED, outbound_rules=[{"name": "pypi", "fqdn": "pypi.org"}], private_endpoint_rules=endpoints)
