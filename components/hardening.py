"""The hardened settings of the data services the platform creates more than once, in one place.

The workspace's dependencies and the Pulumi state backend differ in names, redundancy and what they hold, not in
how their storage account, Key Vault and Log Analytics workspace are locked down; a setting changed here changes
both, and the policy pack checks both the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
from pulumi_azure_native import keyvault, operationalinsights, storage

from components.firewall import storage_ip


def hardened_storage_settings(public_network_access: pulumi.Input[str], allowed_ip_ranges: Sequence[str]) -> dict[str, Any]:
    """Keyword arguments for ``storage.StorageAccount``: TLS 1.2 over HTTPS only, Entra ID only (no shared keys,
    local users or SFTP), no anonymous blobs, no copies to other tenants, infrastructure encryption, and a firewall
    that denies by default and admits ``allowed_ip_ranges`` and trusted Azure services."""
    return {
        "access_tier": "Hot",  # point-in-time restore covers Hot and Cool only
        "enable_https_traffic_only": True,
        "minimum_tls_version": "TLS1_2",
        "allow_blob_public_access": False,
        "allow_shared_key_access": False,  # clients (Azure ML, Pulumi's azblob backend) sign in with Entra ID
        "default_to_o_auth_authentication": True,
        "allow_cross_tenant_replication": False,
        "allowed_copy_scope": "AAD",
        "is_hns_enabled": False,  # point-in-time restore is not available with a hierarchical namespace
        "is_local_user_enabled": False,
        "is_sftp_enabled": False,
        "public_network_access": public_network_access,
        "network_rule_set": storage.NetworkRuleSetArgs(
            default_action="Deny",
            bypass="AzureServices",
            ip_rules=[storage.IPRuleArgs(i_p_address_or_range=storage_ip(r), action="Allow") for r in allowed_ip_ranges],
        ),
        "encryption": storage_encryption(),
    }


def storage_encryption(
    key: storage.KeyVaultPropertiesArgs | None = None, identity: pulumi.Input[str] | None = None
) -> storage.EncryptionArgs:
    """Blob and file encryption over infrastructure encryption: with Microsoft-managed keys, or with ``key`` (a
    customer-managed key in Key Vault) read through the user-assigned ``identity``."""
    return storage.EncryptionArgs(
        key_source="Microsoft.Keyvault" if key is not None else "Microsoft.Storage",
        key_vault_properties=key,
        encryption_identity=storage.EncryptionIdentityArgs(encryption_user_assigned_identity=identity) if identity is not None else None,
        require_infrastructure_encryption=True,
        services=storage.EncryptionServicesArgs(
            blob=storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
            file=storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
        ),
    )


def hardened_vault_properties(
    tenant_id: pulumi.Input[str], soft_delete_days: int, public_network_access: pulumi.Input[str], allowed_ip_ranges: Sequence[str]
) -> keyvault.VaultPropertiesArgs:
    """Key Vault properties: RBAC only (no access policies), soft delete with purge protection, no VM or template
    access to secrets, and a firewall that denies by default and admits ``allowed_ip_ranges`` and trusted services."""
    return keyvault.VaultPropertiesArgs(
        tenant_id=tenant_id,
        sku=keyvault.SkuArgs(family="A", name="standard"),
        enable_rbac_authorization=True,
        enable_soft_delete=True,
        soft_delete_retention_in_days=soft_delete_days,
        enable_purge_protection=True,
        enabled_for_deployment=False,
        enabled_for_disk_encryption=False,
        enabled_for_template_deployment=False,
        public_network_access=public_network_access,
        network_acls=keyvault.NetworkRuleSetArgs(
            default_action="Deny",
            bypass="AzureServices",
            ip_rules=[keyvault.IPRuleArgs(value=r) for r in allowed_ip_ranges],
        ),
    )


def hardened_log_analytics_settings(retention_days: int, public_network_access: pulumi.Input[str]) -> dict[str, Any]:
    """Keyword arguments for ``operationalinsights.Workspace``: Entra ID only (no shared keys), access by resource
    permissions, and public ingestion and query as the network tier allows."""
    return {
        "sku": operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
        "retention_in_days": retention_days,
        "features": operationalinsights.WorkspaceFeaturesArgs(
            disable_local_auth=True,
            enable_log_access_using_only_resource_permissions=True,
        ),
        "public_network_access_for_ingestion": public_network_access,
        "public_network_access_for_query": public_network_access,
    }
