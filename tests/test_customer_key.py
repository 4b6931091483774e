"""Customer-managed keys under the ARM mocks: the key, its identity and grant, and the three services using them."""

from __future__ import annotations

import datetime

import pytest

from components.customer_key import KEY_SIZES, expiry_seconds
from components.options import DataClassification, NetworkMode
from components.roles import BuiltInRole
from tests.conftest import only
from tests.test_ml_workspace import CR, KV, ST, WS, plan_of

KEY = "azure-native:keyvault:Key"
UAI = "azure-native:managedidentity:UserAssignedIdentity"
ROLE = "azure-native:authorization:RoleAssignment"
CMK = {"key_size": 3072, "expires_on": "2027-12-31"}


@pytest.fixture(scope="module")
def cmk_plan():
    return plan_of(network_mode=NetworkMode.MANAGED, customer_managed_key=CMK, protect_data=True)


def _encryption_identity(plan):
    (identity,) = [r for r in plan.of_type(UAI) if "-cmk-" in r.urn]
    return identity


def test_key_is_rsa_rotated_before_expiry_and_announced(cmk_plan):
    key = only(cmk_plan, KEY)
    props = key.inputs["properties"]
    assert props["kty"] == "RSA" and props["keySize"] == 3072
    assert sorted(props["keyOps"]) == ["unwrapKey", "wrapKey"]
    assert props["attributes"]["expires"] == expiry_seconds("2027-12-31") == 1830211200
    assert props["attributes"]["exportable"] is False
    actions = {a["action"]["type"]: a["trigger"] for a in props["rotationPolicy"]["lifetimeActions"]}
    assert actions == {"rotate": {"timeBeforeExpiry": "P60D"}, "notify": {"timeBeforeExpiry": "P30D"}}
    assert props["rotationPolicy"]["attributes"]["expiryTime"] == "P1Y"
    assert key.inputs["keyName"] == "cmk-2027-12-31"
    assert key.inputs["vaultName"] == only(cmk_plan, KV).inputs["vaultName"]


def test_key_vault_has_purge_protection(cmk_plan):
    vault = only(cmk_plan, KV).inputs["properties"]
    assert vault["enablePurgeProtection"] is True and vault["enableSoftDelete"] is True


def test_only_the_encryption_identity_gets_crypto_service_encryption_user_on_the_key(cmk_plan):
    key, identity = only(cmk_plan, KEY), _encryption_identity(cmk_plan)
    grants = [r.inputs for r in cmk_plan.of_type(ROLE) if BuiltInRole.KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER.definition_guid in r.inputs["roleDefinitionId"]]
    assert len(grants) == 1
    assert grants[0]["scope"] == key.id  # the key itself, not the vault
    assert grants[0]["principalId"] == identity.outputs["principalId"]
    assert grants[0]["principalType"] == "ServicePrincipal"
    assert BuiltInRole.KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER.definition_guid == "e147488a-f6f5-4113-8e2d-b22465e65bf6"


def test_workspace_encryption_names_vault_versioned_key_and_identity(cmk_plan):
    ws, key, vault, identity = only(cmk_plan, WS), only(cmk_plan, KEY), only(cmk_plan, KV), _encryption_identity(cmk_plan)
    encryption = ws.inputs["encryption"]
    assert encryption["status"] == "Enabled"
    assert encryption["keyVaultProperties"]["keyVaultArmId"] == vault.id
    assert encryption["keyVaultProperties"]["keyIdentifier"] == key.outputs["keyUriWithVersion"]
    assert encryption["identity"]["userAssignedIdentity"] == identity.id
    # The encryption identity is one of the workspace's identities; the primary stays the workspace's own.
    assert identity.id in ws.inputs["identity"]["userAssignedIdentities"]
    assert ws.inputs["primaryUserAssignedIdentity"] != identity.id


def test_storage_uses_the_key_versionless_with_the_identity(cmk_plan):
    st, key, identity = only(cmk_plan, ST).inputs, only(cmk_plan, KEY), _encryption_identity(cmk_plan)
    encryption = st["encryption"]
    assert encryption["keySource"] == "Microsoft.Keyvault"
    assert encryption["keyVaultProperties"]["keyName"] == key.inputs["keyName"]
    assert encryption["keyVaultProperties"]["keyVaultUri"].startswith("https://") and "keyVersion" not in encryption["keyVaultProperties"]
    assert encryption["encryptionIdentity"]["encryptionUserAssignedIdentity"] == identity.id
    assert encryption["requireInfrastructureEncryption"] is True
    assert st["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [identity.id]}


def test_registry_is_premium_and_encrypted_through_the_identity_client_id(cmk_plan):
    cr, key, identity = only(cmk_plan, CR).inputs, only(cmk_plan, KEY), _encryption_identity(cmk_plan)
    assert cr["sku"]["name"] == "Premium"
    assert cr["encryption"]["status"] == "enabled"
    assert cr["encryption"]["keyVaultProperties"]["keyIdentifier"] == key.outputs["keyUri"]
    assert cr["encryption"]["keyVaultProperties"]["identity"] == identity.outputs["clientId"]
    assert cr["identity"]["type"] == "UserAssigned"
    assert list(cr["identity"]["userAssignedIdentities"]) == [identity.id]


def test_encrypted_services_wait_for_the_grant(cmk_plan):
    (grant,) = [r for r in cmk_plan.of_type(ROLE) if "crypto-service-encryption-user" in r.urn]
    for token in (ST, CR, WS):
        assert grant.urn in only(cmk_plan, token).dependencies, token


def test_without_a_key_nothing_changes():
    plan = plan_of(network_mode=NetworkMode.MANAGED)
    assert not plan.of_type(KEY)
    assert "encryption" not in only(plan, WS).inputs
    assert only(plan, ST).inputs["encryption"]["keySource"] == "Microsoft.Storage"
    assert "encryption" not in only(plan, CR).inputs


def test_public_mode_refuses_a_key():
    with pytest.raises(Exception, match="customer-managed key needs network mode managed or private"):
        plan_of(network_mode=NetworkMode.PUBLIC, allowed_ip_ranges=["203.0.113.7"], customer_managed_key=CMK)


@pytest.mark.parametrize("size", [2048, 8192])
def test_key_sizes_are_3072_or_4096(size):
    assert KEY_SIZES == (3072, 4096)
    with pytest.raises(Exception, match="key_size must be one of"):
        plan_of(network_mode=NetworkMode.MANAGED, customer_managed_key={"key_size": size, "expires_on": "2027-12-31"})


def test_only_restricted_data_requires_a_customer_managed_key():
    assert [c.value for c in DataClassification if c.requires_customer_managed_key] == ["restricted"]


def test_expiry_is_midnight_utc():
    assert expiry_seconds("2027-12-31") == int(datetime.datetime(2027, 12, 31, tzinfo=datetime.timezone.utc).timestamp())


def test_private_mode_takes_a_key_too():
    plan = plan_of(customer_managed_key={"key_size": 4096, "expires_on": "2028-06-30"})
    assert only(plan, KEY).inputs["properties"]["keySize"] == 4096
    assert only(plan, KEY).inputs["keyName"] == "cmk-2028-06-30"
    assert only(plan, WS).inputs["encryption"]["status"] == "Enabled"
    assert only(plan, CR).inputs["sku"]["name"] == "Premium" and only(plan, CR).inputs["publicNetworkAccess"] == "Disabled"
