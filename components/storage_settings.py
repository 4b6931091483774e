"""The hardened settings every storage account of the platform takes, in one place.

The workspace's default datastore and the Pulumi state store differ in name, redundancy and what they hold, not in
how they are locked down; a setting changed here changes both, and the policy pack checks both the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
from pulumi_azure_native import storage

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
        "encryption": storage.EncryptionArgs(
            key_source="Microsoft.Storage",
            require_infrastructure_encryption=True,
            services=storage.EncryptionServicesArgs(
                blob=storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
                file=storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
            ),
        ),
    }
