"""Storage policies: each on a compliant and a violating resource shaped like the plan's inputs, waivers, and the
shipped plans (prod and staging pass everything; dev trips only what dev deliberately relaxes)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import preview_stack
from tests import policy_harness as harness
from tests.policy_harness import run_resource_policy
from tests.policy_harness import DROP, changed

from mlplatform_policies import storage  # noqa: E402 - importable once the harness has put policies/ on the path
from mlplatform_policies.base import CATALOG  # noqa: E402

ACCOUNT = "azure-native:storage:StorageAccount"
BLOB_SERVICE = "azure-native:storage:BlobServiceProperties"
CONTAINER = "azure-native:storage:BlobContainer"
POLICY = {policy.name: policy for policy in storage.POLICIES}
TAGS = {"costCenter": "CC-1001", "dataClassification": "confidential", "environment": "prod", "owner": "ml-platform-team"}

#: The platform account's inputs as the prod plan records them.
ACCOUNT_PROPS: dict[str, Any] = {
    "accessTier": "Hot",
    "accountName": "stmlpprodweuz9xue",
    "allowBlobPublicAccess": False,
    "allowCrossTenantReplication": False,
    "allowSharedKeyAccess": False,
    "allowedCopyScope": "AAD",
    "defaultToOAuthAuthentication": True,
    "enableHttpsTrafficOnly": True,
    "encryption": {
        "keySource": "Microsoft.Storage",
        "requireInfrastructureEncryption": True,
        "services": {"blob": {"enabled": True, "keyType": "Account"}, "file": {"enabled": True, "keyType": "Account"}},
    },
    "isHnsEnabled": False,
    "isLocalUserEnabled": False,
    "isSftpEnabled": False,
    "kind": "StorageV2",
    "location": "westeurope",
    "minimumTlsVersion": "TLS1_2",
    "networkRuleSet": {"bypass": "AzureServices", "defaultAction": "Deny", "ipRules": []},
    "publicNetworkAccess": "Disabled",
    "resourceGroupName": "rg-mlp-prod-weu-5skr8",
    "sku": {"name": "Standard_ZRS"},
    "tags": TAGS,
}
BLOB_SERVICE_PROPS: dict[str, Any] = {
    "accountName": "stmlpprodweuz9xue",
    "blobServicesName": "default",
    "containerDeleteRetentionPolicy": {"days": 30.0, "enabled": True},
    "deleteRetentionPolicy": {"days": 30.0, "enabled": True},
    "isVersioningEnabled": True,
    "resourceGroupName": "rg-mlp-prod-weu-5skr8",
}
CONTAINER_PROPS: dict[str, Any] = {
    "accountName": "stmlpprodweuz9xue",
    "containerName": "training-data",
    "publicAccess": "None",
    "resourceGroupName": "rg-mlp-prod-weu-5skr8",
}




# (policy, type, compliant props, violating props, exact message)
CASES = [
    pytest.param(
        "azure-native-storage-storageaccount-https-only", ACCOUNT, ACCOUNT_PROPS, changed(ACCOUNT_PROPS, enableHttpsTrafficOnly=False),
        "Storage account accepts plain HTTP: enableHttpsTrafficOnly is false; expected true.",
        id="https-only",
    ),
    pytest.param(
        "azure-native-storage-storageaccount-https-only", ACCOUNT, ACCOUNT_PROPS, changed(ACCOUNT_PROPS, enableHttpsTrafficOnly=DROP),
        "Storage account accepts plain HTTP: enableHttpsTrafficOnly is not set; expected true.",
        id="https-only-unset",
    ),
    pytest.param(
        "azure-native-storage-storageaccount-min-tls-1-2", ACCOUNT, changed(ACCOUNT_PROPS, minimumTlsVersion="tls1_3"),
        changed(ACCOUNT_PROPS, minimumTlsVersion="TLS1_0"),
        "Storage account accepts TLS older than 1.2: minimumTlsVersion is 'TLS1_0'; expected 'TLS1_2' or 'TLS1_3'.",
        id="min-tls",
    ),
    pytest.param(
        "azure-native-storage-storageaccount-disallow-shared-key", ACCOUNT, ACCOUNT_PROPS,
        changed(ACCOUNT_PROPS, allowSharedKeyAccess=DROP),
        "Storage account accepts shared-key (account key and SAS) authorization: allowSharedKeyAccess is not set; "
        "expected false, so that every request is authorized with Microsoft Entra ID.",
        id="shared-key",
    ),
    pytest.param(
        "azure-native-storage-storageaccount-disallow-blob-public-access", ACCOUNT, ACCOUNT_PROPS,
        changed(ACCOUNT_PROPS, allowBlobPublicAccess=True),
        "Storage account lets containers be made anonymously readable: allowBlobPublicAccess is true; expected false.",
        id="blob-public-access",
    ),
    pytest.param(
        "azure-native-storage-storageaccount-disallow-public-network-access", ACCOUNT,
        changed(ACCOUNT_PROPS, publicNetworkAccess="disabled"),
        changed(ACCOUNT_PROPS, publicNetworkAccess="Enabled"),
        "Storage account is reachable from public networks: publicNetworkAccess is 'Enabled'; expected 'Disabled'.",
        id="public-network",
    ),
    pytest.param(
        "azure-native-storage-storageaccount-network-default-deny", ACCOUNT,
        changed(ACCOUNT_PROPS, networkRuleSet__bypass="Logging, Metrics, AzureServices"),
        changed(ACCOUNT_PROPS, networkRuleSet__defaultAction="Allow"),
        "Storage account firewall does not deny by default while letting trusted Azure services through: "
        "networkRuleSet.defaultAction is 'Allow'; expected defaultAction 'Deny' and bypass including 'AzureServices'.",
        id="default-deny",
    ),
    pytest.param(
        "azure-native-storage-storageaccount-network-default-deny", ACCOUNT, ACCOUNT_PROPS, changed(ACCOUNT_PROPS, networkRuleSet=DROP),
        "Storage account firewall does not deny by default while letting trusted Azure services through: "
        "networkRuleSet.defaultAction is not set; networkRuleSet.bypass is not set; "
        "expected defaultAction 'Deny' and bypass including 'AzureServices'.",
        id="default-deny-no-rule-set",
    ),
    pytest.param(
        "azure-native-storage-storageaccount-network-default-deny", ACCOUNT, ACCOUNT_PROPS,
        changed(ACCOUNT_PROPS, networkRuleSet__bypass="None"),
        "Storage account firewall does not deny by default while letting trusted Azure services through: "
        "networkRuleSet.bypass is 'None'; expected defaultAction 'Deny' and bypass including 'AzureServices'.",
        id="default-deny-no-bypass",
    ),
    pytest.param(
        "azure-native-storage-storageaccount-infrastructure-encryption", ACCOUNT, ACCOUNT_PROPS,
        changed(ACCOUNT_PROPS, encryption__requireInfrastructureEncryption=False),
        "Storage account data is encrypted only once at rest: encryption.requireInfrastructureEncryption is false; "
        "expected true (a second, infrastructure-level encryption layer).",
        id="infrastructure-encryption",
    ),
    pytest.param(
        "azure-native-storage-storageaccount-disallow-cross-tenant-replication", ACCOUNT, ACCOUNT_PROPS,
        changed(ACCOUNT_PROPS, allowCrossTenantReplication=True),
        "Storage account may replicate objects to an account in another Microsoft Entra tenant: "
        "allowCrossTenantReplication is true; expected false.",
        id="cross-tenant-replication",
    ),
    pytest.param(
        "azure-native-storage-blobserviceproperties-blob-soft-delete", BLOB_SERVICE, BLOB_SERVICE_PROPS,
        changed(BLOB_SERVICE_PROPS, deleteRetentionPolicy__enabled=False),
        "Deleted or overwritten blobs cannot be recovered: deleteRetentionPolicy.enabled is false; "
        "expected deleteRetentionPolicy enabled with days >= 7.",
        id="blob-soft-delete",
    ),
    pytest.param(
        "azure-native-storage-blobserviceproperties-blob-soft-delete", BLOB_SERVICE,
        changed(BLOB_SERVICE_PROPS, deleteRetentionPolicy__days=7.0), changed(BLOB_SERVICE_PROPS, deleteRetentionPolicy__days=3.0),
        "Deleted or overwritten blobs cannot be recovered: deleteRetentionPolicy.days is 3; "
        "expected deleteRetentionPolicy enabled with days >= 7.",
        id="blob-soft-delete-days",
    ),
    pytest.param(
        "azure-native-storage-blobserviceproperties-container-soft-delete", BLOB_SERVICE, BLOB_SERVICE_PROPS,
        changed(BLOB_SERVICE_PROPS, containerDeleteRetentionPolicy=DROP),
        "Deleted containers cannot be recovered: containerDeleteRetentionPolicy.enabled is not set; "
        "expected containerDeleteRetentionPolicy enabled with days >= 7.",
        id="container-soft-delete",
    ),
    pytest.param(
        "azure-native-storage-blobserviceproperties-versioning", BLOB_SERVICE, BLOB_SERVICE_PROPS,
        changed(BLOB_SERVICE_PROPS, isVersioningEnabled=False),
        "Previous versions of overwritten blobs are not kept: isVersioningEnabled is false; expected true.",
        id="versioning",
    ),
    pytest.param(
        "azure-native-storage-blobcontainer-disallow-public-access", CONTAINER, changed(CONTAINER_PROPS, publicAccess=DROP),
        changed(CONTAINER_PROPS, publicAccess="Container"),
        "Blob container allows anonymous read access: publicAccess is 'Container'; expected 'None'.",
        id="container-public-access",
    ),
]


def test_every_storage_policy_has_cases() -> None:
    assert {case.values[0] for case in CASES} == set(POLICY)


@pytest.mark.parametrize(("name", "resource_type", "compliant", "violating", "message"), CASES)
def test_compliant_resource_passes(name: str, resource_type: str, compliant: dict, violating: dict, message: str) -> None:
    assert run_resource_policy(POLICY[name], resource_type, compliant) == []


@pytest.mark.parametrize(("name", "resource_type", "compliant", "violating", "message"), CASES)
def test_violating_resource_reports_what_is_wrong_and_expected(
    name: str, resource_type: str, compliant: dict, violating: dict, message: str
) -> None:
    assert run_resource_policy(POLICY[name], resource_type, violating) == [message]


@pytest.mark.parametrize(("name", "resource_type", "compliant", "violating", "message"), CASES)
def test_waiver_makes_the_policy_not_applicable(name: str, resource_type: str, compliant: dict, violating: dict, message: str) -> None:
    reason = "Migration account, removed after the cut-over (ticket PLAT-42)."
    waived = {"waivers": [{"resource": "subject", "reason": reason}]}
    assert run_resource_policy(POLICY[name], resource_type, violating, config=waived) == [f"not applicable: waived: {reason}"]
    other = {"waivers": [{"resource": "another-account", "reason": reason}]}
    assert run_resource_policy(POLICY[name], resource_type, violating, config=other) == [message]


def test_policies_ignore_other_resource_types() -> None:
    for policy in storage.POLICIES:
        assert run_resource_policy(policy, "azure-native:keyvault:Vault", {"properties": {}}) == []


def test_catalog_entries_are_complete() -> None:
    for name in POLICY:
        doc = CATALOG[name]
        assert re.fullmatch(r"azure-native-storage-[a-z]+-[a-z0-9-]+", name)
        assert doc.description and doc.rationale and doc.remediation
        assert doc.checks.endswith(".") and doc.checks.count(". ") == 0, "checks is one sentence"
        assert doc.url.startswith("https://learn.microsoft.com/")
        assert doc.relaxed_in in ((), ("dev",), ("dev", "bootstrap"))


# --- The shipped plans ---


def plan_violations(stack: str, policies: list[Any]) -> dict[str, list[str]]:
    """Violation messages by policy on a shipped stack."""
    return harness.plan_violations(preview_stack(stack), policies)


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_shipped_plan_passes_every_storage_policy(stack: str) -> None:
    assert plan_violations(stack, storage.POLICIES) == {}


def test_dev_plan_violates_only_policies_relaxed_in_dev() -> None:
    found = plan_violations("dev", storage.POLICIES)
    assert {name for name in found if "dev" not in CATALOG[name].relaxed_in} == set()
    # dev's public tier is reported, not hidden: its account is reachable from its IP allow-list.
    assert found == {
        "azure-native-storage-storageaccount-disallow-public-network-access": [
            "Storage account is reachable from public networks: publicNetworkAccess is 'Enabled'; expected 'Disabled'."
        ]
    }
