"""Key Vault: the vault's recoverability, permission model and network exposure; secret and key lifetimes.

For ``Vault``, ``Secret`` and ``Key`` the SDK keeps ARM's ``properties`` nested, so every path here starts with
``properties``. Enum strings compare case-insensitively, as Azure does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from mlplatform_policies.base import Controls, ResourceCheck, get, is_number, is_value, property_policy, resource_policy, shown

VAULT = "azure-native:keyvault:Vault"
SECRET = "azure-native:keyvault:Secret"
KEY = "azure-native:keyvault:Key"

#: Fewest days a deleted vault (and its objects) stays recoverable. Azure accepts 7 to 90 days and defaults to 90.
MIN_SOFT_DELETE_RETENTION_DAYS = 7
MAX_SOFT_DELETE_RETENTION_DAYS = 90

_POLICY_DEFINITIONS = "https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Key%20Vault"
_LEARN = "https://learn.microsoft.com/azure/key-vault"

_VAULT_COMPONENT = "the Key Vault block of the MlWorkspace component (components/ml_workspace.py)"


# --- Vault ---------------------------------------------------------------------------------------------------


def _soft_delete_retention(props: Mapping[str, Any]) -> str | None:
    value = get(props, "properties.softDeleteRetentionInDays")
    if value is None:  # Azure's default is the maximum, 90 days
        return None
    if is_number(value) and value >= MIN_SOFT_DELETE_RETENTION_DAYS:
        return None
    return (
        f"Key Vault softDeleteRetentionInDays is {shown(value)}; expected at least {MIN_SOFT_DELETE_RETENTION_DAYS} "
        f"(Azure accepts {MIN_SOFT_DELETE_RETENTION_DAYS} to {MAX_SOFT_DELETE_RETENTION_DAYS})."
    )


# --- Secrets and keys ----------------------------------------------------------------------------------------


def _expiry(noun: str) -> ResourceCheck:
    def check(props: Mapping[str, Any]) -> str | None:
        value = get(props, "properties.attributes.expires")
        if is_number(value) and value > 0:
            return None
        return f"Key Vault {noun} attributes.expires is {shown(value)}; expected an expiry time (seconds since 1970-01-01 UTC)."

    return check


def _rotation_policy(props: Mapping[str, Any]) -> str | None:
    actions = get(props, "properties.rotationPolicy.lifetimeActions")
    if isinstance(actions, Sequence) and not isinstance(actions, str):
        for action in actions:
            if not isinstance(action, Mapping) or not is_value(get(action, "action.type"), "rotate"):
                continue
            if get(action, "trigger.timeAfterCreate") or get(action, "trigger.timeBeforeExpiry"):
                return None
    if get(props, "properties.rotationPolicy") is None:
        return "Key Vault key has no rotationPolicy; expected a lifetime action of type 'rotate' with a trigger."
    return "Key Vault key rotationPolicy has no 'rotate' lifetime action with a trigger; expected one (timeAfterCreate or timeBeforeExpiry)."


def _expiry_announced(props: Mapping[str, Any]) -> str | None:
    expires = get(props, "properties.attributes.expires")
    if not (is_number(expires) and expires > 0):
        return None  # a key that never expires: azure-native-keyvault-key-require-expiry reports it
    actions = get(props, "properties.rotationPolicy.lifetimeActions")
    if isinstance(actions, Sequence) and not isinstance(actions, str):
        for action in actions:
            if not isinstance(action, Mapping):
                continue
            kind = get(action, "action.type")
            if is_value(kind, "rotate") and (get(action, "trigger.timeAfterCreate") or get(action, "trigger.timeBeforeExpiry")):
                return None
            if is_value(kind, "notify") and get(action, "trigger.timeBeforeExpiry"):
                return None
    return (
        "Key Vault key expires (properties.attributes.expires is set) but nothing announces or renews it: "
        "properties.rotationPolicy has no 'notify' lifetime action with trigger.timeBeforeExpiry (nor a 'rotate' "
        "action); expected a notify action such as timeBeforeExpiry 'P30D', so the key's owners learn of the expiry "
        "before it stops encrypting."
    )


POLICIES: list = [
    property_policy(
        name="azure-native-keyvault-vault-enable-purge-protection",
        description="Key vaults must have purge protection enabled.",
        rationale=(
            "Without purge protection a malicious insider or a compromised administrator can delete and then purge a "
            "vault, destroying every secret and key in it (and any data encrypted with those keys) before anyone can "
            "recover it."
        ),
        checks="The vault's properties.enablePurgeProtection is true.",
        severity=Severity.HIGH,
        resource_types=[VAULT],
        path="properties.enablePurgeProtection",
        label="enablePurgeProtection",
        expected=True,
        message="Key Vault {found}; expected {expected}.",
        controls=Controls(
            azure_policy=("0b60c0b2-2dc2-4e1c-b5c9-abbed971de53",),
            checkov=("CKV_AZURE_110", "CKV_AZURE_42"),
            mcsb=("DP-8",),
            psrule=("Azure.KeyVault.PurgeProtect",),
        ),
        remediation=(
            f"Set enable_purge_protection=True in the vault's VaultPropertiesArgs, as {_VAULT_COMPONENT} does. Purge "
            "protection cannot be turned off again, and a purge-protected vault's name stays reserved for its "
            "retention period after deletion."
        ),
        url=f"{_POLICY_DEFINITIONS}/KeyVault_Recoverable_Audit.json",
    ),
    property_policy(
        name="azure-native-keyvault-vault-enable-soft-delete",
        description="Key vaults must keep soft delete enabled.",
        rationale=(
            "Soft delete keeps a deleted vault and its secrets, keys and certificates recoverable; without it an "
            "accidental deletion is permanent data loss."
        ),
        checks="The vault's properties.enableSoftDelete is not false (unset means Azure's default, enabled).",
        severity=Severity.HIGH,
        resource_types=[VAULT],
        path="properties.enableSoftDelete",
        label="enableSoftDelete",
        expected=True,
        unset_complies=True,  # unset means Azure's default, soft delete on
        message="Key Vault {found}; expected {expected}.",
        controls=Controls(
            azure_policy=("1e66c121-a66a-4b1f-9b83-0fd99bf0fc2d",),
            checkov=("CKV_AZURE_111",),
            mcsb=("DP-8",),
            psrule=("Azure.KeyVault.SoftDelete",),
        ),
        remediation=f"Set enable_soft_delete=True in the vault's VaultPropertiesArgs (or leave it unset), as {_VAULT_COMPONENT} does.",
        url=f"{_POLICY_DEFINITIONS}/KeyVault_SoftDeleteMustBeEnabled_Audit.json",
    ),
    resource_policy(
        name="azure-native-keyvault-vault-require-soft-delete-retention",
        description=(
            f"Key vaults must keep deleted vaults and objects recoverable for at least {MIN_SOFT_DELETE_RETENTION_DAYS} "
            f"days (Azure's range is {MIN_SOFT_DELETE_RETENTION_DAYS} to {MAX_SOFT_DELETE_RETENTION_DAYS} days)."
        ),
        rationale=(
            "The retention period is the window in which a deletion can be noticed and undone; it is fixed when the "
            "vault is created and cannot be changed afterwards."
        ),
        checks=(
            f"The vault's properties.softDeleteRetentionInDays is at least {MIN_SOFT_DELETE_RETENTION_DAYS} "
            f"(unset means Azure's default, {MAX_SOFT_DELETE_RETENTION_DAYS})."
        ),
        severity=Severity.MEDIUM,
        resource_types=[VAULT],
        check=_soft_delete_retention,
        controls=Controls(mcsb=("DP-8",)),
        remediation=(
            f"Set soft_delete_retention_in_days between {MIN_SOFT_DELETE_RETENTION_DAYS} and "
            f"{MAX_SOFT_DELETE_RETENTION_DAYS} ({MAX_SOFT_DELETE_RETENTION_DAYS} is the maximum). The platform passes "
            "key_vault_soft_delete_days (blueprint/program/stacks/kinds.py) to the MlWorkspace argument of that name: 90 days "
            "in staging, prod and shared, 7 in dev. The value can only be chosen when the vault is created."
        ),
        url=f"{_LEARN}/general/soft-delete-overview",
    ),
    property_policy(
        name="azure-native-keyvault-vault-require-rbac-authorization",
        description="Key vaults must use the Azure RBAC permission model rather than access policies.",
        rationale=(
            "Access policies are vault-local, grant whole permission sets and let anyone with Contributor on the vault "
            "grant themselves data access; Azure RBAC gives per-secret scopes, PIM and one audited place for grants."
        ),
        checks="The vault's properties.enableRbacAuthorization is true.",
        severity=Severity.HIGH,
        resource_types=[VAULT],
        path="properties.enableRbacAuthorization",
        label="enableRbacAuthorization",
        expected=True,
        unset="not set (access policies are used)",
        message="Key Vault {found}; expected {expected}.",
        controls=Controls(
            azure_policy=("12d4fa5e-1f9f-4c21-97a9-b99b3c6611b5",),
            mcsb=("PA-7",),
            psrule=("Azure.KeyVault.RBAC",),
        ),
        remediation=(
            f"Set enable_rbac_authorization=True in the vault's VaultPropertiesArgs, as {_VAULT_COMPONENT} does, and "
            "grant data access with role assignments (Key Vault Secrets User for readers), which the platform derives "
            "from its persona matrix (components/roles.py) plus `mlplatform:access.extraRoleAssignments`."
        ),
        url=f"{_POLICY_DEFINITIONS}/AzureKeyVault_Should_Use_RBAC.json",
    ),
    property_policy(
        name="azure-native-keyvault-vault-disallow-public-network-access",
        description="Key vaults must not be reachable from public networks.",
        rationale=(
            "A vault reachable from the Internet can be attacked with any leaked credential from anywhere; private "
            "endpoints and trusted Azure services are the only paths the platform needs."
        ),
        checks="The vault's properties.publicNetworkAccess is 'Disabled'.",
        severity=Severity.HIGH,
        resource_types=[VAULT],
        path="properties.publicNetworkAccess",
        label="publicNetworkAccess",
        expected="Disabled",
        unset="not set (Azure defaults to 'Enabled')",
        message="Key Vault {found}; expected {expected}.",
        controls=Controls(
            azure_policy=("405c5871-3e91-4644-8a63-58e19d68ff5b",),
            checkov=("CKV_AZURE_189",),
            mcsb=("NS-2",),
        ),
        remediation=(
            "Set `mlplatform:network.mode` to `managed` or `private` in the stack file: the MlWorkspace component then "
            "sets the vault's publicNetworkAccess to 'Disabled' and Azure ML reaches it through managed private "
            "endpoints (private mode adds a private endpoint in the platform VNet). The dev stack's public mode, limited "
            "to `mlplatform:network.allowedIpRanges`, relaxes this policy by design, and so does the bootstrap stack's "
            "state backend in `stateBackend.network.mode: allowList` (administrators and CI reach the secrets-provider "
            "key from outside Azure before any private network exists; the firewall still denies all but the list). "
            "Set `stateBackend.network.mode: private` once private endpoints to the vault exist."
        ),
        url=f"{_POLICY_DEFINITIONS}/AzureKeyVaultPublicNetworkAccess_Audit.json",
        relaxed_in=("dev", "bootstrap"),
    ),
    property_policy(
        name="azure-native-keyvault-vault-require-network-acl-default-deny",
        description="Key vault firewalls must deny by default and allow only listed networks.",
        rationale=(
            "With a default action of Allow the firewall lets every network through whatever its rules say; Deny makes "
            "the IP and virtual network rules (and the trusted-services bypass) the only ways in."
        ),
        checks="The vault's properties.networkAcls.defaultAction is 'Deny'.",
        severity=Severity.HIGH,
        resource_types=[VAULT],
        path="properties.networkAcls.defaultAction",
        label="networkAcls.defaultAction",
        expected="Deny",
        unset="not set (Azure defaults to 'Allow')",
        message="Key Vault {found}; expected {expected}.",
        controls=Controls(
            azure_policy=("55615ac9-af46-4a59-874e-391cc3dfb490",),
            checkov=("CKV_AZURE_109",),
            mcsb=("NS-2",),
            psrule=("Azure.KeyVault.Firewall",),
        ),
        remediation=(
            f"Set network_acls=NetworkRuleSetArgs(default_action='Deny', bypass='AzureServices', ip_rules=[...]), as "
            f"{_VAULT_COMPONENT} does; allowed client ranges come from `mlplatform:network.allowedIpRanges`."
        ),
        url=f"{_POLICY_DEFINITIONS}/AzureKeyVaultFirewallEnabled_Audit.json",
    ),
    resource_policy(
        name="azure-native-keyvault-secret-require-expiry",
        description="Key Vault secrets must have an expiration date.",
        rationale=(
            "A secret that never expires gives whoever obtains it unlimited time to use it; an expiry forces rotation "
            "and lets Key Vault raise near-expiry events."
        ),
        checks="The secret's properties.attributes.expires is set.",
        severity=Severity.MEDIUM,
        resource_types=[SECRET],
        check=_expiry("secret"),
        controls=Controls(
            azure_policy=("98728c90-32c7-4049-8429-847dc0f4fe37",),
            checkov=("CKV_AZURE_41",),
            mcsb=("DP-6",),
        ),
        remediation=(
            "Set attributes=SecretAttributesArgs(expires=<Unix time in seconds>) in the secret's SecretPropertiesArgs "
            "and rotate the secret before that date; prefer managed identities (as the platform's components use) "
            "over stored secrets altogether."
        ),
        url=f"{_POLICY_DEFINITIONS}/Secrets_ExpirationSet.json",
    ),
    resource_policy(
        name="azure-native-keyvault-key-require-expiry",
        description="Key Vault keys must have an expiration date.",
        rationale=(
            "A cryptographic key that never expires gives an attacker who compromises it unlimited time; an expiry "
            "bounds the key's useful life."
        ),
        checks="The key's properties.attributes.expires is set.",
        severity=Severity.MEDIUM,
        resource_types=[KEY],
        check=_expiry("key"),
        controls=Controls(
            azure_policy=("152b15f7-8e1f-4c1f-ab71-8c010ba5dbc0",),
            checkov=("CKV_AZURE_40",),
            mcsb=("DP-6",),
        ),
        remediation=(
            "Set attributes=KeyAttributesArgs(expires=<Unix time in seconds>) in the key's KeyPropertiesArgs, together "
            "with a rotation policy whose expiry_time renews it."
        ),
        url=f"{_POLICY_DEFINITIONS}/Keys_ExpirationSet.json",
    ),
    resource_policy(
        name="azure-native-keyvault-key-require-rotation-policy",
        description="Key Vault keys must rotate automatically.",
        rationale=(
            "Manual key rotation is skipped or done late and is a common cause of outages; a rotation policy makes Key "
            "Vault create new key versions on a schedule."
        ),
        checks="The key's properties.rotationPolicy has a lifetime action of type 'rotate' with a timeAfterCreate or timeBeforeExpiry trigger.",
        severity=Severity.MEDIUM,
        resource_types=[KEY],
        check=_rotation_policy,
        controls=Controls(
            azure_policy=("d8cf8476-a2ec-4916-896e-992351803c44",),
            mcsb=("DP-6",),
            psrule=("Azure.KeyVault.AutoRotationPolicy",),
        ),
        remediation=(
            "Add rotation_policy=RotationPolicyArgs(attributes=KeyRotationPolicyAttributesArgs(expiry_time='P1Y'), "
            "lifetime_actions=[LifetimeActionArgs(action=ActionArgs(type='rotate'), "
            "trigger=TriggerArgs(time_after_create='P180D'))]) to the key's KeyPropertiesArgs; consumers should "
            "reference the key without a version so they pick up new versions. Relaxed in the bootstrap stack: the "
            "Pulumi azurekeyvault secrets provider cannot decrypt with a new version what an older version encrypted "
            "(pulumi/pulumi#22338), so its keys expire, announce it (azure-native-keyvault-key-expiry-notification) and "
            "are replaced by `pulumi stack change-secrets-provider` to a new key (docs/state-backend.md)."
        ),
        url=f"{_POLICY_DEFINITIONS}/Keys_KeyRotationPolicy_MaximumDaysToRotate.json",
        relaxed_in=("bootstrap",),
    ),
    resource_policy(
        name="azure-native-keyvault-key-expiry-notification",
        description="Key Vault keys that expire announce it before they do.",
        rationale=(
            "An expired key stops encrypting (it still decrypts): for the Pulumi secrets-provider key, new stacks and "
            "secret changes then fail. A 'notify' lifetime action makes Key Vault raise its near-expiry event (Event "
            "Grid Microsoft.KeyVault.KeyNearExpiry) ahead of time, for keys that cannot be rotated automatically."
        ),
        checks=(
            "When properties.attributes.expires is set, properties.rotationPolicy.lifetimeActions has a 'notify' "
            "action with trigger.timeBeforeExpiry, or a 'rotate' action with a trigger."
        ),
        severity=Severity.MEDIUM,
        resource_types=[KEY],
        check=_expiry_announced,
        controls=Controls(mcsb=("DP-6",)),
        remediation=(
            "Add lifetime_actions=[LifetimeActionArgs(action=ActionArgs(type='notify'), "
            "trigger=TriggerArgs(time_before_expiry='P30D'))] to the key's RotationPolicyArgs, as components/"
            "state_backend.py does (`stateBackend.notifyDaysBeforeExpiry` in the bootstrap stack file), and route the "
            "vault's KeyNearExpiry event to the team that rotates the key."
        ),
        url="https://learn.microsoft.com/azure/key-vault/keys/how-to-configure-key-rotation",
    ),
]
