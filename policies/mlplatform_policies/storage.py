"""Storage: the workspace's default storage account, its blob service and any blob container.

Resource policies on inputs (``ResourceValidationArgs.props``), in the SDK's camelCase shape: storage calls HTTPS-only
``enableHttpsTrafficOnly`` (ARM ``supportsHttpsTrafficOnly``) and the firewall ``networkRuleSet`` (ARM
``networkAcls``). A secure value must be set explicitly: Azure's defaults for these properties have changed across
API versions, and an unset property shows a reviewer nothing. The one exception is a container's ``publicAccess``,
whose absence has always meant ``None`` (no anonymous access).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import Severity

from mlplatform_policies.base import Controls, get, is_number, is_value, property_policy, resource_policy, shown

STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
BLOB_SERVICE = "azure-native:storage:BlobServiceProperties"
BLOB_CONTAINER = "azure-native:storage:BlobContainer"

SECURE_TLS_VERSIONS = ("TLS1_2", "TLS1_3")
#: PSRule for Azure's floor for blob and container soft delete.
MIN_SOFT_DELETE_DAYS = 7

_COMPONENT = "the storage.StorageAccount that MlWorkspace creates (components/ml_workspace.py)"
_BLOB_COMPONENT = "the storage.BlobServiceProperties that MlWorkspace creates (components/ml_workspace.py)"


# --- Checks of more than one property (a property that must have one value is a property_policy below) ---


def _network_default_deny(props: Mapping[str, Any]) -> str | None:
    action = get(props, "networkRuleSet.defaultAction")
    bypass = get(props, "networkRuleSet.bypass")
    bypassed = [part.strip() for part in bypass.split(",")] if isinstance(bypass, str) else []
    problems = []
    if not is_value(action, "Deny"):
        problems.append(f"networkRuleSet.defaultAction is {shown(action)}")
    if not any(is_value(part, "AzureServices") for part in bypassed):
        problems.append(f"networkRuleSet.bypass is {shown(bypass)}")
    if not problems:
        return None
    return (
        f"Storage account firewall does not deny by default while letting trusted Azure services through: {'; '.join(problems)}; "
        "expected defaultAction 'Deny' and bypass including 'AzureServices'."
    )


def _retention_problem(props: Mapping[str, Any], key: str) -> str | None:
    """What is wrong with a soft-delete retention policy (``deleteRetentionPolicy`` or ``containerDeleteRetentionPolicy``)."""
    enabled = get(props, f"{key}.enabled")
    if enabled is not True:
        return f"{key}.enabled is {shown(enabled)}"
    days = get(props, f"{key}.days")
    if is_number(days) and days < MIN_SOFT_DELETE_DAYS:
        return f"{key}.days is {shown(days)}"
    return None


def _blob_soft_delete(props: Mapping[str, Any]) -> str | None:
    problem = _retention_problem(props, "deleteRetentionPolicy")
    if problem is None:
        return None
    return (
        f"Deleted or overwritten blobs cannot be recovered: {problem}; "
        f"expected deleteRetentionPolicy enabled with days >= {MIN_SOFT_DELETE_DAYS}."
    )


def _container_soft_delete(props: Mapping[str, Any]) -> str | None:
    problem = _retention_problem(props, "containerDeleteRetentionPolicy")
    if problem is None:
        return None
    return (
        f"Deleted containers cannot be recovered: {problem}; "
        f"expected containerDeleteRetentionPolicy enabled with days >= {MIN_SOFT_DELETE_DAYS}."
    )


POLICIES: list = [
    property_policy(
        name="azure-native-storage-storageaccount-https-only",
        description="Storage accounts accept requests over HTTPS only.",
        rationale=(
            "Plain HTTP exposes data and bearer tokens to anyone on the path; secure transfer makes the account refuse "
            "unencrypted requests and SMB without encryption."
        ),
        checks="The storage account sets enableHttpsTrafficOnly to true.",
        severity=Severity.HIGH,
        resource_types=[STORAGE_ACCOUNT],
        path="enableHttpsTrafficOnly",
        expected=True,
        message="Storage account accepts plain HTTP: {found}; expected {expected}.",
        controls=Controls(
            azure_policy=("404c3081-a854-4457-ae30-26a93ef643f9",),
            checkov=("CKV_AZURE_3",),
            mcsb=("DP-3",),
            psrule=("Azure.Storage.SecureTransfer",),
        ),
        remediation=(
            f"Set enable_https_traffic_only=True on {_COMPONENT}. No stack setting turns it off, so a violation means "
            "the component (or a program resource added beside it) was changed: restore the setting."
        ),
        url="https://learn.microsoft.com/azure/storage/common/storage-require-secure-transfer",
    ),
    property_policy(
        name="azure-native-storage-storageaccount-min-tls-1-2",
        description="Storage accounts refuse TLS versions older than 1.2.",
        rationale="TLS 1.0 and 1.1 have known weaknesses and are retired across Azure; clients that still use them must fail.",
        checks="The storage account sets minimumTlsVersion to TLS1_2 or TLS1_3.",
        severity=Severity.HIGH,
        resource_types=[STORAGE_ACCOUNT],
        path="minimumTlsVersion",
        expected=SECURE_TLS_VERSIONS,
        message="Storage account accepts TLS older than 1.2: {found}; expected {expected}.",
        controls=Controls(
            azure_policy=("fe83a0eb-a853-422d-aac2-1bffd182c5d0",),
            checkov=("CKV_AZURE_44",),
            mcsb=("DP-3",),
            psrule=("Azure.Storage.MinTLS",),
        ),
        remediation=f"Set minimum_tls_version=\"TLS1_2\" (or \"TLS1_3\") on {_COMPONENT}.",
        url="https://learn.microsoft.com/azure/storage/common/transport-layer-security-configure-minimum-version",
    ),
    property_policy(
        name="azure-native-storage-storageaccount-disallow-shared-key",
        description="Storage accounts refuse shared-key authorization (account keys and SAS signed with them).",
        rationale=(
            "Account keys grant full, unaudited, non-personal access and are easily leaked; with shared keys off, every "
            "request is authorized with Microsoft Entra ID and Azure RBAC, and shows who made it."
        ),
        checks="The storage account sets allowSharedKeyAccess to false.",
        severity=Severity.HIGH,
        resource_types=[STORAGE_ACCOUNT],
        path="allowSharedKeyAccess",
        expected=False,
        message=(
            "Storage account accepts shared-key (account key and SAS) authorization: {found}; expected {expected}, so that "
            "every request is authorized with Microsoft Entra ID."
        ),
        controls=Controls(
            azure_policy=("8c6a50c6-9ffd-4ae7-986f-5fa6111f9a54",),
            checkov=("CKV2_AZURE_40",),
            mcsb=("IM-1",),
            psrule=("Azure.Storage.LocalAuth",),
        ),
        remediation=(
            f"Set allow_shared_key_access=False on {_COMPONENT}, and keep the workspace's "
            "system_datastores_auth_mode=\"identity\" so Azure ML reaches its datastores with its managed identity."
        ),
        url="https://learn.microsoft.com/azure/storage/common/shared-key-authorization-prevent",
    ),
    property_policy(
        name="azure-native-storage-storageaccount-disallow-blob-public-access",
        description="Storage accounts do not allow anonymous (public) read access to blobs and containers.",
        rationale=(
            "With anonymous access allowed at the account, a single container setting publishes training data or models "
            "to the Internet; disallowing it at the account overrides every container."
        ),
        checks="The storage account sets allowBlobPublicAccess to false.",
        severity=Severity.CRITICAL,
        resource_types=[STORAGE_ACCOUNT],
        path="allowBlobPublicAccess",
        expected=False,
        message="Storage account lets containers be made anonymously readable: {found}; expected {expected}.",
        controls=Controls(
            azure_policy=("4fa4b6c0-31ca-4c0d-b10d-24b96f62a751",),
            checkov=("CKV_AZURE_190",),
            mcsb=("NS-2",),
            psrule=("Azure.Storage.BlobPublicAccess",),
        ),
        remediation=f"Set allow_blob_public_access=False on {_COMPONENT}.",
        url="https://learn.microsoft.com/azure/storage/blobs/anonymous-read-access-prevent",
    ),
    property_policy(
        name="azure-native-storage-storageaccount-disallow-public-network-access",
        description="Storage accounts are not reachable from public networks.",
        rationale=(
            "Training data and models should only be reachable from the platform's networks (Azure ML's managed private "
            "endpoints or the private network's endpoints), not from any address on the Internet."
        ),
        checks="The storage account sets publicNetworkAccess to Disabled.",
        severity=Severity.HIGH,
        resource_types=[STORAGE_ACCOUNT],
        path="publicNetworkAccess",
        expected="Disabled",
        message="Storage account is reachable from public networks: {found}; expected {expected}.",
        controls=Controls(
            azure_policy=("b2982f36-99f2-4db5-8eff-283140c09693",),
            checkov=("CKV_AZURE_59",),
            mcsb=("NS-2",),
        ),
        remediation=(
            "Set mlplatform:network.mode to managed or private in the stack file (stacks/Pulumi.<stack>.yaml); MlWorkspace "
            "then sets public_network_access=\"Disabled\" on the account. Mode public (an IP allow-list) is meant for dev "
            "only, where the pack config makes this policy advisory. The bootstrap stack's state store is relaxed too in "
            "`stateBackend.network.mode: allowList`: administrators and CI must reach the state before any private "
            "network exists, through a default-deny firewall; set `stateBackend.network.mode: private` once private "
            "endpoints to the account exist."
        ),
        url="https://learn.microsoft.com/azure/storage/common/storage-network-security",
        relaxed_in=("dev", "bootstrap"),
    ),
    resource_policy(
        name="azure-native-storage-storageaccount-network-default-deny",
        description="Storage account firewalls deny by default and let trusted Azure services through.",
        rationale=(
            "A default-deny firewall admits only the allow-listed networks and addresses; the AzureServices bypass keeps "
            "Azure ML and other trusted services working once the firewall is closed."
        ),
        checks="The storage account sets networkRuleSet.defaultAction to Deny and networkRuleSet.bypass to include AzureServices.",
        severity=Severity.HIGH,
        resource_types=[STORAGE_ACCOUNT],
        check=_network_default_deny,
        controls=Controls(
            azure_policy=("34c877ad-507e-4c82-993e-3452a6e0ad3c", "c9d007d0-c057-4772-b18c-01e546713bcd"),
            checkov=("CKV_AZURE_35", "CKV_AZURE_36"),
            mcsb=("NS-2",),
            psrule=("Azure.Storage.Firewall",),
        ),
        remediation=(
            f"Set network_rule_set=storage.NetworkRuleSetArgs(default_action=\"Deny\", bypass=\"AzureServices\", ...) on "
            f"{_COMPONENT}; list client addresses under mlplatform:network.allowedIpRanges (public mode) instead of "
            "opening the firewall."
        ),
        url="https://learn.microsoft.com/azure/storage/common/storage-network-security",
    ),
    property_policy(
        name="azure-native-storage-storageaccount-infrastructure-encryption",
        description="Storage accounts encrypt data twice at rest (service and infrastructure level).",
        rationale=(
            "Infrastructure encryption adds a second, independent AES-256 layer with a different key, so one compromised "
            "key or algorithm does not expose the data. It can only be chosen when the account is created."
        ),
        checks="The storage account sets encryption.requireInfrastructureEncryption to true.",
        severity=Severity.MEDIUM,
        resource_types=[STORAGE_ACCOUNT],
        path="encryption.requireInfrastructureEncryption",
        expected=True,
        message=(
            "Storage account data is encrypted only once at rest: {found}; "
            "expected {expected} (a second, infrastructure-level encryption layer)."
        ),
        controls=Controls(
            azure_policy=("4733ea7b-a883-42fe-8cac-97454c2a9e4a",),
            mcsb=("DP-4",),
        ),
        remediation=(
            f"Set encryption=storage.EncryptionArgs(require_infrastructure_encryption=True, ...) on {_COMPONENT}. "
            "Azure applies it only at creation: an existing account must be replaced (copy the data to a new account)."
        ),
        url="https://learn.microsoft.com/azure/storage/common/infrastructure-encryption-enable",
    ),
    property_policy(
        name="azure-native-storage-storageaccount-disallow-cross-tenant-replication",
        description="Storage accounts do not replicate objects to accounts in other Microsoft Entra tenants.",
        rationale=(
            "Object replication to a foreign tenant copies data out of the organisation's control, where its access "
            "policies and logs no longer apply."
        ),
        checks="The storage account sets allowCrossTenantReplication to false.",
        severity=Severity.MEDIUM,
        resource_types=[STORAGE_ACCOUNT],
        path="allowCrossTenantReplication",
        expected=False,
        message=(
            "Storage account may replicate objects to an account in another Microsoft Entra tenant: {found}; "
            "expected {expected}."
        ),
        controls=Controls(azure_policy=("92a89a79-6c52-4a7e-a03f-61306fc49312",)),
        remediation=f"Set allow_cross_tenant_replication=False on {_COMPONENT}.",
        url="https://learn.microsoft.com/azure/storage/blobs/object-replication-prevent-cross-tenant-policies",
    ),
    resource_policy(
        name="azure-native-storage-blobserviceproperties-blob-soft-delete",
        description="Deleted and overwritten blobs are kept for a retention period (blob soft delete).",
        rationale=(
            "Soft delete turns an accidental or malicious delete of datasets, models or job outputs into a recoverable "
            "event for the retention period."
        ),
        checks=f"The blob service enables deleteRetentionPolicy with at least {MIN_SOFT_DELETE_DAYS} days.",
        severity=Severity.MEDIUM,
        resource_types=[BLOB_SERVICE],
        check=_blob_soft_delete,
        controls=Controls(
            azure_policy=("9fbd64e3-67b8-489b-98e5-fa0007d17e76",),
            checkov=("CKV2_AZURE_38",),
            psrule=("Azure.Storage.SoftDelete",),
        ),
        remediation=(
            f"Set delete_retention_policy=storage.DeleteRetentionPolicyArgs(enabled=True, days=...) on {_BLOB_COMPONENT}; "
            f"its days come from MlWorkspace's blob_soft_delete_days (default 7, at least {MIN_SOFT_DELETE_DAYS})."
        ),
        url="https://learn.microsoft.com/azure/storage/blobs/soft-delete-blob-overview",
    ),
    resource_policy(
        name="azure-native-storage-blobserviceproperties-container-soft-delete",
        description="Deleted blob containers are kept for a retention period (container soft delete).",
        rationale="Blob soft delete does not cover deleting a whole container; container soft delete does.",
        checks=f"The blob service enables containerDeleteRetentionPolicy with at least {MIN_SOFT_DELETE_DAYS} days.",
        severity=Severity.MEDIUM,
        resource_types=[BLOB_SERVICE],
        check=_container_soft_delete,
        controls=Controls(
            azure_policy=("9fbd64e3-67b8-489b-98e5-fa0007d17e76",),
            checkov=("CKV2_AZURE_38",),
            psrule=("Azure.Storage.ContainerSoftDelete",),
        ),
        remediation=(
            "Set container_delete_retention_policy=storage.DeleteRetentionPolicyArgs(enabled=True, days=...) on "
            f"{_BLOB_COMPONENT}; its days come from MlWorkspace's blob_soft_delete_days."
        ),
        url="https://learn.microsoft.com/azure/storage/blobs/soft-delete-container-overview",
    ),
    property_policy(
        name="azure-native-storage-blobserviceproperties-versioning",
        description="Blob versioning keeps the previous version of every overwritten or deleted blob.",
        rationale=(
            "Versioning lets an overwritten dataset or model artifact be restored to the exact bytes a run used, which "
            "soft delete alone does not guarantee."
        ),
        checks="The blob service sets isVersioningEnabled to true.",
        severity=Severity.MEDIUM,
        resource_types=[BLOB_SERVICE],
        path="isVersioningEnabled",
        expected=True,
        message="Previous versions of overwritten blobs are not kept: {found}; expected {expected}.",
        controls=Controls(azure_policy=("c36a325b-ae04-4863-ad4f-19c6678f8e08",), mcsb=("BR-1",)),
        remediation=f"Set is_versioning_enabled=True on {_BLOB_COMPONENT}.",
        url="https://learn.microsoft.com/azure/storage/blobs/versioning-overview",
    ),
    property_policy(
        name="azure-native-storage-blobcontainer-disallow-public-access",
        description="Blob containers do not allow anonymous read access.",
        rationale=(
            "A container with Blob or Container access serves its content to anyone with the URL, bypassing Microsoft "
            "Entra ID and the account's logs."
        ),
        checks="The blob container leaves publicAccess unset or sets it to None.",
        severity=Severity.CRITICAL,
        resource_types=[BLOB_CONTAINER],
        path="publicAccess",
        expected="None",
        unset_complies=True,
        message="Blob container allows anonymous read access: {found}; expected {expected}.",
        controls=Controls(
            azure_policy=("4fa4b6c0-31ca-4c0d-b10d-24b96f62a751",),
            checkov=("CKV_AZURE_34",),
            mcsb=("NS-2",),
            psrule=("Azure.Storage.BlobAccessType",),
        ),
        remediation=(
            "Remove public_access from the storage.BlobContainer (or set it to \"None\") and grant readers the "
            "Storage Blob Data Reader role instead; the platform's account also sets allow_blob_public_access=False."
        ),
        url="https://learn.microsoft.com/azure/storage/blobs/anonymous-read-access-prevent",
    ),
]
