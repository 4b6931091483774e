"""``CustomerKey``: the customer-managed key of a workspace and of the storage and registry it depends on.

One RSA key in the workspace's Key Vault (soft delete and purge protection are already on there, as every
customer-managed key requires), rotated by Key Vault before it expires, with a notification if it is about to expire
anyway; and one user-assigned identity that holds Key Vault Crypto Service Encryption User on that key only, so the
services reading the key can wrap and unwrap data keys and do nothing else.

Azure facts this relies on:

* A workspace's encryption is given when it is created and, afterwards, only moves to another key in the same vault
  (Azure Machine Learning, "Customer-managed keys", limitations). The identity named in ``encryption.identity`` needs
  Get, Wrap Key and Unwrap Key on the key; Key Vault Crypto Service Encryption User grants exactly those data actions.
* A container registry takes a customer-managed key only at creation and only in the Premium tier; its
  ``encryption.keyVaultProperties.identity`` is the identity's client ID, and a versionless key identifier lets it
  follow rotations (Azure Container Registry, "Encrypt a registry using a customer-managed key").
* A storage account with ``keySource`` ``Microsoft.Keyvault`` and no ``keyVersion`` follows rotations too.
* Azure Resource Manager creates a key's first version and never updates it: a new expiry means a new key, so the
  key is named after its expiry date (``cmk-YYYY-MM-DD``) and moving the date moves every service to the new key.
"""

from __future__ import annotations

import datetime
from typing import TypedDict

import pulumi
from pulumi_azure_native import containerregistry, keyvault, machinelearningservices, managedidentity, storage

from components.hardening import storage_encryption
from components.naming import NamingArgs, ResourceKind, namer_for
from components.role_assignments import RoleAssignments, identity_assignments
from components.roles import ENCRYPTION_IDENTITY_ROLES, Scope

KEY_TYPE = "RSA"
#: RSA sizes accepted for the key: 3072 bits (NIST's size for use beyond 2030) or 4096.
KEY_SIZES = (3072, 4096)
#: What the services do with the key: wrap and unwrap their data encryption keys.
KEY_OPERATIONS = ("wrapKey", "unwrapKey")
#: Lifetime of each version Key Vault creates when it rotates the key.
VERSION_LIFETIME = "P1Y"
#: Key Vault creates a new version this long before the current one expires.
ROTATE_BEFORE_EXPIRY = "P60D"
#: Event Grid's near-expiry event fires this long before expiry: only when rotation has not happened.
NOTIFY_BEFORE_EXPIRY = "P30D"


class CustomerKeyArgs(TypedDict):
    """Arguments of :class:`CustomerKey`."""

    location: str
    """Region of the identity (the vault's region)."""
    naming: NamingArgs
    """How physical names are derived."""
    resource_group_name: pulumi.Input[str]
    """The workspace's resource group."""
    vault_id: pulumi.Input[str]
    """ARM ID of the vault holding the key (purge protection on)."""
    vault_name: pulumi.Input[str]
    """Name of that vault."""
    vault_uri: pulumi.Input[str]
    """Its URI, e.g. ``https://kv-....vault.azure.net/``."""
    key_size: int
    """RSA key size, one of :data:`KEY_SIZES`."""
    expires_on: str
    """Expiry of the key's first version, ``YYYY-MM-DD`` (midnight UTC); it also names the key."""
    tags: dict[str, str]
    """Tags of the key and the identity."""


class CustomerKey(pulumi.ComponentResource):
    """A rotated Key Vault key and the one identity allowed to use it for encryption at rest."""

    key_id: pulumi.Output[str]
    key_uri: pulumi.Output[str]
    key_uri_with_version: pulumi.Output[str]
    identity_id: pulumi.Output[str]
    identity_client_id: pulumi.Output[str]
    grants: RoleAssignments
    """The identity's grant on the key: services using the key depend on it."""

    def __init__(self, name: str, args: CustomerKeyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplatform:index:CustomerKey", name, None, opts)
        if args["key_size"] not in KEY_SIZES:
            raise ValueError(f"CustomerKey {name}: key_size must be one of {KEY_SIZES}, not {args['key_size']!r}")
        expires = expiry_seconds(args["expires_on"])
        naming = args["naming"]
        namer = namer_for(naming, args["location"])
        child = pulumi.ResourceOptions(parent=self)

        key = keyvault.Key(
            f"{name}-key",
            key_name=namer.name(ResourceKind.KEY_VAULT_KEY, f"cmk-{args['expires_on']}"),
            vault_name=args["vault_name"],
            resource_group_name=args["resource_group_name"],
            properties=keyvault.KeyPropertiesArgs(
                kty=KEY_TYPE,
                key_size=args["key_size"],
                key_ops=list(KEY_OPERATIONS),
                attributes=keyvault.KeyAttributesArgs(enabled=True, expires=expires, exportable=False),
                rotation_policy=keyvault.RotationPolicyArgs(
                    attributes=keyvault.KeyRotationPolicyAttributesArgs(expiry_time=VERSION_LIFETIME),
                    lifetime_actions=[
                        keyvault.LifetimeActionArgs(
                            action=keyvault.ActionArgs(type="rotate"),
                            trigger=keyvault.TriggerArgs(time_before_expiry=ROTATE_BEFORE_EXPIRY),
                        ),
                        keyvault.LifetimeActionArgs(
                            action=keyvault.ActionArgs(type="notify"),
                            trigger=keyvault.TriggerArgs(time_before_expiry=NOTIFY_BEFORE_EXPIRY),
                        ),
                    ],
                ),
            ),
            tags=args["tags"],
            opts=child,
        )
        identity = managedidentity.UserAssignedIdentity(
            f"{name}-id",
            resource_name_=namer.name(ResourceKind.USER_ASSIGNED_IDENTITY, "cmk"),
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            tags=args["tags"],
            opts=child,
        )
        self.grants = RoleAssignments(
            f"{name}-roles",
            {
                "assignments": identity_assignments("encryption", identity.principal_id, ENCRYPTION_IDENTITY_ROLES, {Scope.ENCRYPTION_KEY: key.id}),
                "seed": naming["seed"],
            },
            opts=child,
        )
        self._vault_id = pulumi.Output.from_input(args["vault_id"])
        self._vault_uri = pulumi.Output.from_input(args["vault_uri"])
        self._key_name = key.name
        self.key_id = key.id
        self.key_uri = key.key_uri
        self.key_uri_with_version = key.key_uri_with_version
        self.identity_id = identity.id
        self.identity_client_id = identity.client_id
        self.register_outputs(
            {"key_id": self.key_id, "key_uri": self.key_uri, "identity_id": self.identity_id, "identity_client_id": self.identity_client_id}
        )

    def workspace_encryption(self) -> machinelearningservices.EncryptionPropertyArgs:
        """The workspace's ``encryption``: the key's current version in this vault, read through the identity."""
        return machinelearningservices.EncryptionPropertyArgs(
            status="Enabled",
            identity=machinelearningservices.IdentityForCmkArgs(user_assigned_identity=self.identity_id),
            key_vault_properties=machinelearningservices.KeyVaultPropertiesArgs(
                key_vault_arm_id=self._vault_id,
                key_identifier=self.key_uri_with_version,
            ),
        )

    def storage_encryption(self) -> storage.EncryptionArgs:
        """The storage account's ``encryption``: this key (versionless, so rotations follow) over infrastructure
        encryption, read through the identity."""
        return storage_encryption(
            storage.KeyVaultPropertiesArgs(key_name=self._key_name, key_vault_uri=self._vault_uri), self.identity_id
        )

    def storage_identity(self) -> storage.IdentityArgs:
        return storage.IdentityArgs(type="UserAssigned", user_assigned_identities=[self.identity_id])

    def registry_encryption(self) -> containerregistry.EncryptionPropertyArgs:
        """The registry's ``encryption`` (Premium only): the versionless key, read through the identity's client ID."""
        return containerregistry.EncryptionPropertyArgs(
            status="enabled",
            key_vault_properties=containerregistry.KeyVaultPropertiesArgs(identity=self.identity_client_id, key_identifier=self.key_uri),
        )

    def registry_identity(self) -> containerregistry.IdentityPropertiesArgs:
        return containerregistry.IdentityPropertiesArgs(
            type="UserAssigned",
            user_assigned_identities=self.identity_id.apply(lambda i: {i: containerregistry.UserIdentityPropertiesArgs()}),
        )


def expiry_seconds(expires_on: str) -> int:
    """``YYYY-MM-DD`` as Key Vault's ``exp`` attribute takes it: seconds since 1970-01-01 UTC."""
    day = datetime.date.fromisoformat(expires_on)
    return int(datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc).timestamp())
