"""Customer-managed keys where the data's classification asks for them: the workspace, its storage account and its
container registry encrypted with a Key Vault key of the organisation.

Which classifications need one is the policy config ``classifications`` (default ``restricted``, as
``DataClassification.requires_customer_managed_key`` in components/options.py says; a test keeps the two equal). The
classification is read from each resource's own ``dataClassification`` tag, which the platform puts on every
resource. A key identifier unknown during preview (the key is created in the same run) counts as set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from mlplatform_policies.base import UNKNOWN, Controls, get, is_value, read, resource_policy, shown

WORKSPACE = "azure-native:machinelearningservices:Workspace"
STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
CONTAINER_REGISTRY = "azure-native:containerregistry:Registry"

#: Data classifications whose data is encrypted with a customer-managed key, unless the pack config says otherwise.
CMK_CLASSIFICATIONS: tuple[str, ...] = ("restricted",)

_POLICY_DEFINITIONS = "https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions"
_COMPONENT = "the MlWorkspace component (components/ml_workspace.py, with components/customer_key.py)"
_REMEDIATION = (
    "Set `mlplatform:encryption.customerManagedKey: true` and `mlplatform:encryption.keyExpiresOn` in the stack file "
    "(managed or private network mode): " + _COMPONENT + " then creates the key, its identity and grant, and encrypts "
    "the workspace, storage account and registry with it. Azure fixes a workspace's and a registry's key at creation, "
    "so an existing stack's workspace and registry are re-created: plan it as a migration."
)
CONFIG = {
    "classifications": {
        "type": "array",
        "description": "dataClassification tag values (case-insensitive) whose resources must use a customer-managed key; default: restricted.",
        "items": {"type": "string"},
        "x-expected": "a list of data classifications such as restricted or confidential",
    }
}

Problem = Callable[[Mapping[str, Any]], "str | None"]


def _needs_key(args: ResourceValidationArgs) -> str | None:
    """The resource's classification when it asks for a customer-managed key, else None."""
    configured = (args.get_config() or {}).get("classifications")
    wanted: Sequence[str] = [str(c) for c in configured] if configured else CMK_CLASSIFICATIONS
    classification = get(args.props, "tags.dataClassification")
    if isinstance(classification, str) and classification.lower() in {c.lower() for c in wanted}:
        return classification
    return None


def _set(props: Mapping[str, Any], path: str) -> bool:
    value = read(props, path)
    return value is UNKNOWN or (isinstance(value, str) and bool(value.strip()))


def _required(kind: str, problem: Problem) -> Callable[[ResourceValidationArgs], "str | None"]:
    def check(args: ResourceValidationArgs) -> str | None:
        classification = _needs_key(args)
        if classification is None:
            return None
        found = problem(args.props)
        if found is None:
            return None
        return f"{kind} {found}, but its dataClassification tag is {shown(classification)}; expected a customer-managed key."

    return check


def _key_settings(switch: str, expected: str, *required: str) -> Problem:
    """What is missing of a customer-managed key on a resource: the property ``switch`` must be ``expected`` (as
    its API spells it) and every path of ``required`` set; ``None`` when nothing is."""
    def problem(props: Mapping[str, Any]) -> str | None:
        value = read(props, switch)
        if value is not UNKNOWN and not is_value(value, expected):
            return f"{switch} is {shown(value)}"
        return next((f"{path} is not set" for path in required if not _set(props, path)), None)

    return problem


_workspace = _key_settings("encryption.status", "Enabled", "encryption.keyVaultProperties.keyVaultArmId",
                           "encryption.keyVaultProperties.keyIdentifier", "encryption.identity.userAssignedIdentity")
_storage = _key_settings("encryption.keySource", "Microsoft.Keyvault", "encryption.keyVaultProperties.keyName",
                         "encryption.keyVaultProperties.keyVaultUri", "encryption.encryptionIdentity.encryptionUserAssignedIdentity")
_registry = _key_settings("encryption.status", "enabled", "encryption.keyVaultProperties.keyIdentifier",
                          "encryption.keyVaultProperties.identity")


POLICIES: list = [
    resource_policy(
        name="azure-native-machinelearningservices-workspace-require-cmk-for-classified-data",
        description="Azure ML workspaces holding restricted data are encrypted with a customer-managed key.",
        rationale=(
            "With its own key the organisation decides who can read the workspace's metadata (kept in Cosmos DB, AI "
            "Search and storage that Azure Machine Learning manages) and can make it unreadable by revoking the key; "
            "data classified restricted needs that control."
        ),
        checks=(
            "A workspace whose dataClassification tag is in the policy config `classifications` (default 'restricted') "
            "has encryption.status 'Enabled', encryption.keyVaultProperties.keyVaultArmId and keyIdentifier, and "
            "encryption.identity.userAssignedIdentity."
        ),
        severity=Severity.HIGH,
        resource_types=[WORKSPACE],
        check_resource=_required("Workspace", _workspace),
        controls=Controls(azure_policy=("ba769a63-b8cc-4b2d-abf6-ac33c7204be8",), mcsb=("DP-5",)),
        remediation=_REMEDIATION,
        url=f"{_POLICY_DEFINITIONS}/Machine%20Learning/Workspace_CMKEnabled_Audit.json",
        config=CONFIG,
    ),
    resource_policy(
        name="azure-native-storage-storageaccount-require-cmk-for-classified-data",
        description="Storage accounts holding restricted data are encrypted with a customer-managed key.",
        rationale=(
            "Datasets, models and job outputs live in the storage account; for restricted data the organisation, not "
            "the platform, holds the key that unwraps them, and can revoke it."
        ),
        checks=(
            "A storage account whose dataClassification tag is in the policy config `classifications` (default "
            "'restricted') has encryption.keySource 'Microsoft.Keyvault', encryption.keyVaultProperties.keyName and "
            "keyVaultUri, and encryption.encryptionIdentity.encryptionUserAssignedIdentity."
        ),
        severity=Severity.HIGH,
        resource_types=[STORAGE_ACCOUNT],
        check_resource=_required("Storage account", _storage),
        controls=Controls(azure_policy=("6fac406b-40ca-413b-bf8e-0bf964659c25",), checkov=("CKV2_AZURE_1",), mcsb=("DP-5",)),
        remediation=_REMEDIATION,
        url="https://learn.microsoft.com/azure/storage/common/customer-managed-keys-overview",
        config=CONFIG,
    ),
    resource_policy(
        name="azure-native-containerregistry-registry-require-cmk-for-classified-data",
        description="Container registries holding restricted data are encrypted with a customer-managed key (Premium).",
        rationale=(
            "Environment images carry code and sometimes model files; for restricted data they are encrypted with the "
            "organisation's key, which only a Premium registry can use."
        ),
        checks=(
            "A registry whose dataClassification tag is in the policy config `classifications` (default 'restricted') "
            "has encryption.status 'enabled', encryption.keyVaultProperties.keyIdentifier and "
            "encryption.keyVaultProperties.identity (the client ID of the identity reading the key)."
        ),
        severity=Severity.HIGH,
        resource_types=[CONTAINER_REGISTRY],
        check_resource=_required("Container registry", _registry),
        controls=Controls(azure_policy=("5b9159ae-1701-4a6f-9a7a-aa9c8ddd0580",), mcsb=("DP-5",)),
        remediation=_REMEDIATION,
        url=f"{_POLICY_DEFINITIONS}/Container%20Registry/ACR_CMKEncryptionEnabled_Audit.json",
        config=CONFIG,
    ),
]
