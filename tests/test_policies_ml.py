"""The Azure ML policies (workspace, compute, online endpoints and deployments, registry) on CrossGuard-shaped inputs.

Compliant props are copied from the shipped stacks' previews (prod, and shared for the registry); each violating
case changes one property of them. The shipped plans themselves are checked at the end.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.conftest import preview_stack, run_component
from tests.policy_harness import run_resource_policy
from tests.policy_harness import DROP as DELETE
from tests.policy_harness import changed

from mlplatform_policies import ml  # noqa: E402 - the harness puts the pack on sys.path
from mlplatform_policies.base import CATALOG  # noqa: E402
from pulumi_policy.proxy import unknown_checking_proxy  # noqa: E402

WS, COMPUTE, ENDPOINT, DEPLOYMENT, REGISTRY = ml.WORKSPACE, ml.COMPUTE, ml.ONLINE_ENDPOINT, ml.ONLINE_DEPLOYMENT, ml.REGISTRY
TYPES = (WS, COMPUTE, ENDPOINT, DEPLOYMENT, REGISTRY)
BY_NAME = {p.name: p for p in ml.POLICIES}
RG = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-mlp-prod-weu-5skr8/providers"
IDENTITY = f"{RG}/Microsoft.ManagedIdentity/userAssignedIdentities/id-mlp-mlw-prod-weu-fysj9"
TAGS = {"costCenter": "CC-1001", "dataClassification": "confidential", "environment": "prod", "owner": "ml-platform-team"}

# --- Inputs as the prod (and shared) previews show them ------------------------------------------------------

WORKSPACE_PROPS: dict[str, Any] = {
    "allowPublicAccessWhenBehindVnet": False,
    "applicationInsights": f"{RG}/Microsoft.Insights/components/appi-mlp-prod-weu-1yv57",
    "containerRegistry": f"{RG}/Microsoft.ContainerRegistry/registries/crmlpprodweu1lft2",
    "description": "Azure ML workspace of mlp (prod), managed by Pulumi.",
    "enableDataIsolation": True,
    "friendlyName": "mlp prod ML workspace",
    "hbiWorkspace": True,
    "identity": {"type": "UserAssigned", "userAssignedIdentities": [IDENTITY]},
    "keyVault": f"{RG}/Microsoft.KeyVault/vaults/kv-mlp-prod-weu-vcolv",
    "kind": "Default",
    "location": "westeurope",
    "managedNetwork": {
        "enableNetworkMonitor": False,
        "isolationMode": "AllowOnlyApprovedOutbound",
        "outboundRules": {
            "pypi": {"category": "UserDefined", "destination": "pypi.org", "type": "FQDN"},
            "pypi-files": {"category": "UserDefined", "destination": "files.pythonhosted.org", "type": "FQDN"},
        },
    },
    "primaryUserAssignedIdentity": IDENTITY,
    "publicNetworkAccess": "Disabled",
    "resourceGroupName": "rg-mlp-prod-weu-5skr8",
    "sku": {"name": "Basic", "tier": "Basic"},
    "storageAccount": f"{RG}/Microsoft.Storage/storageAccounts/stmlpprodweuz9xue",
    "systemDatastoresAuthMode": "identity",
    "tags": TAGS,
    "v1LegacyMode": False,
    "workspaceName": "mlw-mlp-prod-weu-1jbwf",
}

CLUSTER_PROPS: dict[str, Any] = {
    "computeName": "gpu-a100",
    "identity": {"type": "SystemAssigned"},
    "location": "westeurope",
    "properties": {
        "computeType": "AmlCompute",
        "description": "Standard_NC24ads_A100_v4 (1x NVIDIA A100 80GB, 24 vCPUs, 220 GiB), Dedicated",
        "disableLocalAuth": True,
        "properties": {
            "enableNodePublicIp": False,
            "isolatedNetwork": False,
            "osType": "Linux",
            "remoteLoginPortPublicAccess": "Disabled",
            "scaleSettings": {"maxNodeCount": 4.0, "minNodeCount": 0.0, "nodeIdleTimeBeforeScaleDown": "PT300S"},
            "vmPriority": "Dedicated",
            "vmSize": "Standard_NC24ads_A100_v4",
        },
    },
    "resourceGroupName": "rg-mlp-prod-weu-5skr8",
    "tags": TAGS,
    "workspaceName": "mlw-mlp-prod-weu-1jbwf",
}

#: A compute instance as the SDK sends it (measured under the ARM mocks; see test_compute_instance_shape).
INSTANCE_PROPS: dict[str, Any] = {
    "computeName": "ci-shared-01",
    "location": "westeurope",
    "properties": {
        "computeType": "ComputeInstance",
        "disableLocalAuth": True,
        "properties": {
            "applicationSharingPolicy": "Shared",
            "computeInstanceAuthorizationType": "personal",
            "enableNodePublicIp": False,
            "enableSSO": True,
            "idleTimeBeforeShutdown": "PT60M",
            "sshSettings": {"sshPublicAccess": "Disabled"},
            "vmSize": "Standard_DS3_v2",
        },
    },
    "resourceGroupName": "rg-mlp-prod-weu-5skr8",
    "workspaceName": "mlw-mlp-prod-weu-1jbwf",
}

ENDPOINT_PROPS: dict[str, Any] = {
    "endpointName": "mloe-mlp-fraud-prod-weu-j6nze",
    "identity": {"type": "SystemAssigned"},
    "kind": "Managed",
    "location": "westeurope",
    "properties": {
        "authMode": "AADToken",
        "description": "Online endpoint fraud, managed by Pulumi.",
        "publicNetworkAccess": "Disabled",
    },
    "resourceGroupName": "rg-mlp-prod-weu-5skr8",
    "tags": TAGS,
    "workspaceName": "mlw-mlp-prod-weu-1jbwf",
}

_PROBE = {"failureThreshold": 30.0, "initialDelay": "PT10S", "period": "PT10S", "successThreshold": 1.0, "timeout": "PT2S"}
DEPLOYMENT_PROPS: dict[str, Any] = {
    "deploymentName": "blue",
    "endpointName": "mloe-mlp-fraud-prod-weu-j6nze",
    "location": "westeurope",
    "properties": {
        "appInsightsEnabled": True,
        "dataCollector": {
            "collections": {
                "model_inputs": {"dataCollectionMode": "Enabled", "samplingRate": 1.0},
                "model_outputs": {"dataCollectionMode": "Enabled", "samplingRate": 1.0},
            },
            "rollingRate": "Hour",
        },
        "description": "Deployment blue of endpoint fraud, managed by Pulumi.",
        "egressPublicNetworkAccess": "Enabled",
        "endpointComputeType": "Managed",
        "instanceType": "Standard_DS3_v2",
        "livenessProbe": dict(_PROBE),
        "model": "azureml://registries/mlr-mlp-shared-weu-krhx5/models/fraud-classifier/versions/1",
        "readinessProbe": dict(_PROBE),
        "requestSettings": {"maxConcurrentRequestsPerInstance": 1.0, "maxQueueWait": "PT0.5S", "requestTimeout": "PT5S"},
        "scaleSettings": {"scaleType": "Default"},
    },
    "resourceGroupName": "rg-mlp-prod-weu-5skr8",
    "sku": {"capacity": 2.0, "name": "Default"},
    "tags": TAGS,
    "workspaceName": "mlw-mlp-prod-weu-1jbwf",
}

_REGION_STORAGE = {"systemCreatedStorageAccount": {"allowBlobPublicAccess": False, "storageAccountHnsEnabled": False, "storageAccountType": "Standard_ZRS"}}
REGISTRY_PROPS: dict[str, Any] = {
    "identity": {"type": "SystemAssigned"},
    "location": "westeurope",
    "publicNetworkAccess": "Disabled",
    "regionDetails": [
        {"acrDetails": [{"systemCreatedAcrAccount": {"acrAccountSku": "Premium"}}], "location": region, "storageAccountDetails": [_REGION_STORAGE]}
        for region in ("westeurope", "northeurope")
    ],
    "registryName": "mlr-mlp-shared-weu-krhx5",
    "resourceGroupName": "rg-mlp-registry-shared-weu-okv4b",
    "tags": {**TAGS, "environment": "shared"},
}




P = "azure-native-machinelearningservices-"

# (policy, resource type, props) that comply.
COMPLIANT: list[tuple[str, str, dict[str, Any]]] = [
    (P + "workspace-disallow-public-network-access", WS, WORKSPACE_PROPS),
    (P + "workspace-disallow-public-network-access", WS, changed(WORKSPACE_PROPS, ("publicNetworkAccess", "disabled"))),
    (P + "workspace-disallow-public-access-behind-vnet", WS, WORKSPACE_PROPS),
    (P + "workspace-disallow-public-access-behind-vnet", WS, changed(WORKSPACE_PROPS, ("allowPublicAccessWhenBehindVnet", DELETE))),
    (P + "workspace-require-approved-outbound-only", WS, WORKSPACE_PROPS),
    (P + "workspace-require-identity-based-datastores", WS, WORKSPACE_PROPS),
    (P + "workspace-require-identity-based-datastores", WS, changed(WORKSPACE_PROPS, ("systemDatastoresAuthMode", "Identity"))),
    (P + "workspace-require-user-assigned-identity", WS, WORKSPACE_PROPS),
    (P + "workspace-require-user-assigned-identity", WS, changed(WORKSPACE_PROPS, ("identity.type", "SystemAssigned,UserAssigned"))),
    # ARM's map form of userAssignedIdentities, keys compared case-insensitively
    (P + "workspace-require-user-assigned-identity", WS, changed(WORKSPACE_PROPS, ("identity.userAssignedIdentities", {IDENTITY.upper(): {}}))),
    (P + "workspace-require-hbi-for-sensitive-data", WS, WORKSPACE_PROPS),
    (P + "workspace-require-hbi-for-sensitive-data", WS, changed(WORKSPACE_PROPS, ("tags.dataClassification", "internal"), ("hbiWorkspace", False))),
    (P + "workspace-require-hbi-for-sensitive-data", WS, changed(WORKSPACE_PROPS, ("tags", DELETE), ("hbiWorkspace", DELETE))),
    (P + "compute-disable-local-auth", COMPUTE, CLUSTER_PROPS),
    (P + "compute-disable-local-auth", COMPUTE, INSTANCE_PROPS),
    (P + "compute-disallow-node-public-ip", COMPUTE, CLUSTER_PROPS),
    (P + "compute-disallow-node-public-ip", COMPUTE, INSTANCE_PROPS),
    # other compute kinds have no node public IP setting
    (P + "compute-disallow-node-public-ip", COMPUTE, changed(CLUSTER_PROPS, ("properties.computeType", "Kubernetes"), ("properties.properties", {}))),
    (P + "compute-disallow-public-remote-login", COMPUTE, CLUSTER_PROPS),
    (P + "compute-disallow-public-remote-login", COMPUTE, INSTANCE_PROPS),
    (P + "compute-disallow-public-remote-login", COMPUTE, changed(INSTANCE_PROPS, ("properties.properties.sshSettings", DELETE))),
    (P + "compute-require-scale-to-zero", COMPUTE, CLUSTER_PROPS),
    (P + "compute-require-scale-to-zero", COMPUTE, changed(CLUSTER_PROPS, ("properties.properties.scaleSettings.minNodeCount", DELETE))),
    (P + "compute-require-scale-to-zero", COMPUTE, INSTANCE_PROPS),
    (P + "compute-limit-idle-scale-down", COMPUTE, CLUSTER_PROPS),
    (P + "compute-limit-idle-scale-down", COMPUTE, changed(CLUSTER_PROPS, ("properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown", "PT30M"))),
    (P + "compute-limit-idle-scale-down", COMPUTE, changed(CLUSTER_PROPS, ("properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown", "PT1800S"))),
    (P + "compute-limit-idle-scale-down", COMPUTE, INSTANCE_PROPS),
    (P + "compute-require-instance-idle-shutdown", COMPUTE, INSTANCE_PROPS),
    (P + "compute-require-instance-idle-shutdown", COMPUTE, CLUSTER_PROPS),
    (P + "onlineendpoint-require-entra-auth", ENDPOINT, ENDPOINT_PROPS),
    (P + "onlineendpoint-require-entra-auth", ENDPOINT, changed(ENDPOINT_PROPS, ("properties.authMode", "aadtoken"))),
    (P + "onlineendpoint-disallow-public-network-access", ENDPOINT, ENDPOINT_PROPS),
    (P + "onlinedeployment-enable-app-insights", DEPLOYMENT, DEPLOYMENT_PROPS),
    (P + "onlinedeployment-enable-data-collection", DEPLOYMENT, DEPLOYMENT_PROPS),
    (P + "registry-disallow-public-network-access", REGISTRY, REGISTRY_PROPS),
]

# (policy, resource type, props, the exact message) that violate.
VIOLATIONS: list[tuple[str, str, dict[str, Any], str]] = [
    (
        P + "workspace-disallow-public-network-access", WS, changed(WORKSPACE_PROPS, ("publicNetworkAccess", "Enabled")),
        "Workspace publicNetworkAccess is 'Enabled'; expected 'Disabled'.",
    ),
    (
        P + "workspace-disallow-public-network-access", WS, changed(WORKSPACE_PROPS, ("publicNetworkAccess", DELETE)),
        "Workspace publicNetworkAccess is not set (Azure defaults to 'Enabled'); expected 'Disabled'.",
    ),
    (
        P + "workspace-disallow-public-access-behind-vnet", WS, changed(WORKSPACE_PROPS, ("allowPublicAccessWhenBehindVnet", True)),
        "Workspace allowPublicAccessWhenBehindVnet is true; expected false or unset.",
    ),
    (
        P + "workspace-require-approved-outbound-only", WS, changed(WORKSPACE_PROPS, ("managedNetwork.isolationMode", "AllowInternetOutbound")),
        "Workspace managedNetwork.isolationMode is 'AllowInternetOutbound'; expected 'AllowOnlyApprovedOutbound'.",
    ),
    (
        P + "workspace-require-approved-outbound-only", WS, changed(WORKSPACE_PROPS, ("managedNetwork", DELETE)),
        "Workspace managedNetwork.isolationMode is not set (no managed network isolation); expected 'AllowOnlyApprovedOutbound'.",
    ),
    (
        P + "workspace-require-identity-based-datastores", WS, changed(WORKSPACE_PROPS, ("systemDatastoresAuthMode", "accessKey")),
        "Workspace systemDatastoresAuthMode is 'accessKey'; expected 'identity'.",
    ),
    (
        P + "workspace-require-identity-based-datastores", WS, changed(WORKSPACE_PROPS, ("systemDatastoresAuthMode", DELETE)),
        "Workspace systemDatastoresAuthMode is not set (the storage account key is used); expected 'identity'.",
    ),
    (
        P + "workspace-require-user-assigned-identity", WS,
        changed(WORKSPACE_PROPS, ("identity", {"type": "SystemAssigned"}), ("primaryUserAssignedIdentity", DELETE)),
        "Workspace identity type is 'SystemAssigned'; expected 'UserAssigned' with primaryUserAssignedIdentity set.",
    ),
    (
        P + "workspace-require-user-assigned-identity", WS, changed(WORKSPACE_PROPS, ("identity", DELETE)),
        "Workspace identity type is not set; expected 'UserAssigned' with primaryUserAssignedIdentity set.",
    ),
    (
        P + "workspace-require-user-assigned-identity", WS, changed(WORKSPACE_PROPS, ("primaryUserAssignedIdentity", DELETE)),
        "Workspace primaryUserAssignedIdentity is not set; expected the resource ID of one of its user-assigned identities.",
    ),
    (
        P + "workspace-require-user-assigned-identity", WS, changed(WORKSPACE_PROPS, ("primaryUserAssignedIdentity", IDENTITY + "-other")),
        f"Workspace primaryUserAssignedIdentity '{IDENTITY}-other' is not one of its userAssignedIdentities; expected one of them.",
    ),
    (
        P + "workspace-require-hbi-for-sensitive-data", WS, changed(WORKSPACE_PROPS, ("hbiWorkspace", False)),
        "Workspace hbiWorkspace is false but its dataClassification tag is 'confidential'; expected true for confidential or restricted data.",
    ),
    (
        P + "workspace-require-hbi-for-sensitive-data", WS, changed(WORKSPACE_PROPS, ("tags.dataClassification", "Restricted"), ("hbiWorkspace", DELETE)),
        "Workspace hbiWorkspace is not set but its dataClassification tag is 'Restricted'; expected true for confidential or restricted data.",
    ),
    (
        P + "compute-disable-local-auth", COMPUTE, changed(CLUSTER_PROPS, ("properties.disableLocalAuth", False)),
        "Compute disableLocalAuth is false; expected true.",
    ),
    (
        P + "compute-disable-local-auth", COMPUTE, changed(INSTANCE_PROPS, ("properties.disableLocalAuth", DELETE)),
        "Compute disableLocalAuth is not set; expected true.",
    ),
    (
        P + "compute-disallow-node-public-ip", COMPUTE, changed(CLUSTER_PROPS, ("properties.properties.enableNodePublicIp", True)),
        "Compute enableNodePublicIp is true; expected false.",
    ),
    (
        P + "compute-disallow-node-public-ip", COMPUTE, changed(INSTANCE_PROPS, ("properties.properties.enableNodePublicIp", DELETE)),
        "Compute enableNodePublicIp is not set (Azure defaults to true); expected false.",
    ),
    (
        P + "compute-disallow-public-remote-login", COMPUTE,
        changed(CLUSTER_PROPS, ("properties.properties.remoteLoginPortPublicAccess", "NotSpecified")),
        "Compute remoteLoginPortPublicAccess is 'NotSpecified'; expected 'Disabled'.",
    ),
    (
        P + "compute-disallow-public-remote-login", COMPUTE,
        changed(CLUSTER_PROPS, ("properties.properties.remoteLoginPortPublicAccess", DELETE)),
        "Compute remoteLoginPortPublicAccess is not set; expected 'Disabled'.",
    ),
    (
        P + "compute-disallow-public-remote-login", COMPUTE,
        changed(INSTANCE_PROPS, ("properties.properties.sshSettings.sshPublicAccess", "Enabled")),
        "Compute sshSettings.sshPublicAccess is 'Enabled'; expected 'Disabled'.",
    ),
    (
        P + "compute-require-scale-to-zero", COMPUTE, changed(CLUSTER_PROPS, ("properties.properties.scaleSettings.minNodeCount", 1.0)),
        "Compute scaleSettings.minNodeCount is 1; expected 0 so the cluster scales to zero when idle.",
    ),
    (
        P + "compute-limit-idle-scale-down", COMPUTE,
        changed(CLUSTER_PROPS, ("properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown", "PT1H")),
        "Compute scaleSettings.nodeIdleTimeBeforeScaleDown is 'PT1H' (3600 s); expected at most PT30M.",
    ),
    (
        P + "compute-limit-idle-scale-down", COMPUTE,
        changed(CLUSTER_PROPS, ("properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown", "PT1801S")),
        "Compute scaleSettings.nodeIdleTimeBeforeScaleDown is 'PT1801S' (1801 s); expected at most PT30M.",
    ),
    (
        P + "compute-limit-idle-scale-down", COMPUTE,
        changed(CLUSTER_PROPS, ("properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown", DELETE)),
        "Compute scaleSettings.nodeIdleTimeBeforeScaleDown is not set; expected an ISO 8601 duration of at most PT30M.",
    ),
    (
        P + "compute-limit-idle-scale-down", COMPUTE,
        changed(CLUSTER_PROPS, ("properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown", "120")),
        "Compute scaleSettings.nodeIdleTimeBeforeScaleDown is '120', not an ISO 8601 duration; expected a duration of at most PT30M.",
    ),
    (
        P + "compute-require-instance-idle-shutdown", COMPUTE, changed(INSTANCE_PROPS, ("properties.properties.idleTimeBeforeShutdown", DELETE)),
        "Compute instance idleTimeBeforeShutdown is not set; expected an ISO 8601 duration such as 'PT60M'.",
    ),
    (
        P + "onlineendpoint-require-entra-auth", ENDPOINT, changed(ENDPOINT_PROPS, ("properties.authMode", "Key")),
        "Online endpoint authMode is 'Key'; expected 'AADToken'.",
    ),
    (
        P + "onlineendpoint-require-entra-auth", ENDPOINT, changed(ENDPOINT_PROPS, ("properties.authMode", "AMLToken")),
        "Online endpoint authMode is 'AMLToken'; expected 'AADToken'.",
    ),
    (
        P + "onlineendpoint-disallow-public-network-access", ENDPOINT, changed(ENDPOINT_PROPS, ("properties.publicNetworkAccess", "Enabled")),
        "Online endpoint publicNetworkAccess is 'Enabled'; expected 'Disabled'.",
    ),
    (
        P + "onlineendpoint-disallow-public-network-access", ENDPOINT, changed(ENDPOINT_PROPS, ("properties.publicNetworkAccess", DELETE)),
        "Online endpoint publicNetworkAccess is not set (Azure defaults to 'Enabled'); expected 'Disabled'.",
    ),
    (
        P + "onlinedeployment-enable-app-insights", DEPLOYMENT, changed(DEPLOYMENT_PROPS, ("properties.appInsightsEnabled", False)),
        "Online deployment appInsightsEnabled is false; expected true.",
    ),
    (
        P + "onlinedeployment-enable-app-insights", DEPLOYMENT, changed(DEPLOYMENT_PROPS, ("properties.appInsightsEnabled", DELETE)),
        "Online deployment appInsightsEnabled is not set; expected true.",
    ),
    (
        P + "onlinedeployment-enable-data-collection", DEPLOYMENT,
        changed(DEPLOYMENT_PROPS, ("properties.dataCollector.collections.model_outputs.dataCollectionMode", "Disabled")),
        "Online deployment data collection is not enabled for model_outputs; expected model_inputs and model_outputs with dataCollectionMode 'Enabled'.",
    ),
    (
        P + "onlinedeployment-enable-data-collection", DEPLOYMENT,
        changed(DEPLOYMENT_PROPS, ("properties.dataCollector.collections", {"model_inputs": {"samplingRate": 1.0}})),
        "Online deployment data collection is not enabled for model_inputs, model_outputs; expected model_inputs and model_outputs with dataCollectionMode 'Enabled'.",
    ),
    (
        P + "onlinedeployment-enable-data-collection", DEPLOYMENT, changed(DEPLOYMENT_PROPS, ("properties.dataCollector", DELETE)),
        "Online deployment has no dataCollector collections; expected model_inputs and model_outputs with dataCollectionMode 'Enabled'.",
    ),
    (
        P + "registry-disallow-public-network-access", REGISTRY, changed(REGISTRY_PROPS, ("publicNetworkAccess", "Enabled")),
        "ML registry publicNetworkAccess is 'Enabled'; expected 'Disabled'.",
    ),
    (
        P + "registry-disallow-public-network-access", REGISTRY, changed(REGISTRY_PROPS, ("publicNetworkAccess", DELETE)),
        "ML registry publicNetworkAccess is not set (Azure defaults to 'Enabled'); expected 'Disabled'.",
    ),
]

RELAXED_IN_DEV = {
    P + "workspace-disallow-public-network-access",
    P + "workspace-require-approved-outbound-only",
    P + "onlineendpoint-disallow-public-network-access",
}


def case_id(case: tuple[Any, ...]) -> str:
    return case[0].removeprefix(P)


def first_violation(policy_name: str) -> tuple[str, dict[str, Any], str]:
    _, resource_type, props, message = next(c for c in VIOLATIONS if c[0] == policy_name)
    return resource_type, props, message


# --- Every policy: compliant, violating, waived, other types ignored -----------------------------------------


def test_module_declares_at_least_15_policies_with_complete_metadata():
    assert len(ml.POLICIES) >= 15
    for policy in ml.POLICIES:
        doc = CATALOG[policy.name]
        assert policy.name.startswith(P) and policy.name == policy.name.lower()
        assert doc.description and doc.rationale and doc.checks and doc.remediation
        assert doc.url.startswith("https://")
        assert doc.severity is not None and policy.severity == doc.severity
        assert set(doc.resource_types) <= set(TYPES)
        assert "mlplatform:" in doc.remediation or "components/" in doc.remediation or "Args" in doc.remediation


def test_every_policy_has_a_compliant_and_a_violating_case():
    assert {c[0] for c in COMPLIANT} == set(BY_NAME)
    assert {c[0] for c in VIOLATIONS} == set(BY_NAME)


def test_dev_relaxations_are_declared():
    assert {p.name for p in ml.POLICIES if "dev" in CATALOG[p.name].relaxed_in} == RELAXED_IN_DEV


@pytest.mark.parametrize("case", COMPLIANT, ids=case_id)
def test_compliant(case):
    name, resource_type, props = case
    assert run_resource_policy(BY_NAME[name], resource_type, props) == []


@pytest.mark.parametrize("case", COMPLIANT, ids=case_id)
def test_compliant_through_the_engines_read_only_proxies(case):
    """The engine wraps inputs in proxies that are Mapping / Sequence but not dict / list."""
    name, resource_type, props = case
    assert run_resource_policy(BY_NAME[name], resource_type, unknown_checking_proxy(copy.deepcopy(props))) == []


@pytest.mark.parametrize("case", VIOLATIONS, ids=case_id)
def test_violation_message(case):
    name, resource_type, props, message = case
    assert run_resource_policy(BY_NAME[name], resource_type, props) == [message]


@pytest.mark.parametrize("name", sorted(BY_NAME), ids=lambda n: n.removeprefix(P))
def test_waiver_turns_the_violation_into_not_applicable(name):
    resource_type, props, _ = first_violation(name)
    reason = "accepted by the platform owners until the private tier lands"
    config = {"waivers": [{"resource": "subject", "reason": reason}]}
    assert run_resource_policy(BY_NAME[name], resource_type, props, config=config) == [f"not applicable: waived: {reason}"]


def test_waiver_by_urn_and_only_for_the_named_resource():
    name = P + "workspace-disallow-public-network-access"
    resource_type, props, message = first_violation(name)
    urn = f"urn:pulumi:test::mlplatform::{resource_type}::subject"
    by_urn = {"waivers": [{"resource": urn, "reason": "reached through a jump host only"}]}
    assert run_resource_policy(BY_NAME[name], resource_type, props, config=by_urn) == ["not applicable: waived: reached through a jump host only"]
    other = {"waivers": [{"resource": "another-workspace", "reason": "reached through a jump host only"}]}
    assert run_resource_policy(BY_NAME[name], resource_type, props, config=other) == [message]


@pytest.mark.parametrize("name", sorted(BY_NAME), ids=lambda n: n.removeprefix(P))
def test_other_resource_types_are_ignored(name):
    _, props, _ = first_violation(name)
    for other in ("azure-native:storage:StorageAccount", "azure-native:machinelearningservices:BatchEndpoint"):
        assert run_resource_policy(BY_NAME[name], other, props) == []


# --- Details ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [("PT120S", 120), ("PT30M", 1800), ("PT1H", 3600), ("PT1H30M", 5400), ("P1D", 86400), ("P1DT1S", 86401),
     ("PT0.5S", 0.5), ("pt2m", 120), ("P1W", 604800)],
)
def test_iso8601_seconds(duration, seconds):
    assert ml.iso8601_seconds(duration) == seconds


@pytest.mark.parametrize("duration", ["", "P", "PT", "P1DT", "120", "PT-5S", "P1M", "P1Y", "30 minutes", None, 120.0])
def test_iso8601_seconds_rejects_what_is_not_a_fixed_duration(duration):
    assert ml.iso8601_seconds(duration) is None


def test_compute_instance_shape():
    """INSTANCE_PROPS is what the SDK sends for a compute instance (no compute instance ships in the stacks)."""
    from pulumi_azure_native import machinelearningservices as sdk

    def body() -> None:
        sdk.Compute(
            "ci", compute_name="ci-shared-01", workspace_name="mlw-mlp-prod-weu-1jbwf",
            resource_group_name="rg-mlp-prod-weu-5skr8", location="westeurope",
            properties=sdk.ComputeInstanceArgs(
                compute_type="ComputeInstance", disable_local_auth=True,
                properties=sdk.ComputeInstancePropertiesArgs(
                    vm_size="Standard_DS3_v2", enable_node_public_ip=False, idle_time_before_shutdown="PT60M",
                    ssh_settings=sdk.ComputeInstanceSshSettingsArgs(),
                ),
            ),
        )

    (compute,) = run_component(body).of_type(COMPUTE)
    assert compute.inputs == INSTANCE_PROPS


# --- The shipped plans -----------------------------------------------------------------------------------------


def _findings(stack: str, *, proxied: bool = False) -> tuple[int, list[tuple[str, str, list[str]]]]:
    checked, found = 0, []
    for resource in preview_stack(stack).resources:
        if resource.type not in TYPES or not resource.custom:
            continue
        checked += 1
        props = unknown_checking_proxy(copy.deepcopy(resource.inputs)) if proxied else resource.inputs
        for policy in ml.POLICIES:
            messages = run_resource_policy(policy, resource.type, props, name=resource.name)
            if messages:
                found.append((policy.name, resource.name, messages))
    return checked, found


def test_prod_plan_passes_every_ml_policy():
    plan = preview_stack("prod")
    for resource_type in (WS, COMPUTE, ENDPOINT, DEPLOYMENT):
        assert plan.of_type(resource_type), f"prod plans no {resource_type}"
    checked, found = _findings("prod")
    assert checked and found == []


def test_prod_plan_passes_as_the_engine_wraps_inputs():
    """The engine hands policies read-only proxies (Mapping / Sequence, not dict / list): same verdicts."""
    _, found = _findings("prod", proxied=True)
    assert found == []


def test_shared_registry_passes():
    assert preview_stack("shared").of_type(REGISTRY)
    _, found = _findings("shared")
    assert found == []


def test_dev_violates_only_the_policies_relaxed_in_dev():
    checked, found = _findings("dev")
    assert checked
    unexpected = [f for f in found if f[0] not in RELAXED_IN_DEV]
    assert unexpected == []
