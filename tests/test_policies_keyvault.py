"""The Key Vault policies (vault, secrets, keys) on CrossGuard-shaped inputs.

The vault's compliant props are copied from the prod preview; secrets and keys are not part of the shipped stacks,
so their props are what the SDK sends (checked under the ARM mocks below). Each violating case changes one property.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.conftest import preview_stack, run_component
from tests.policy_harness import run_resource_policy
from tests.policy_harness import DROP as DELETE
from tests.policy_harness import changed

from mlplatform_policies import keyvault  # noqa: E402 - the harness puts the pack on sys.path
from mlplatform_policies.base import CATALOG  # noqa: E402
from pulumi_policy.proxy import unknown_checking_proxy  # noqa: E402

VAULT, SECRET, KEY = keyvault.VAULT, keyvault.SECRET, keyvault.KEY
TYPES = (VAULT, SECRET, KEY)
BY_NAME = {p.name: p for p in keyvault.POLICIES}
EXPIRES = 1893456000.0  # 2030-01-01T00:00:00Z, as the engine passes numbers

VAULT_PROPS: dict[str, Any] = {
    "location": "westeurope",
    "properties": {
        "enablePurgeProtection": True,
        "enableRbacAuthorization": True,
        "enableSoftDelete": True,
        "enabledForDeployment": False,
        "enabledForDiskEncryption": False,
        "enabledForTemplateDeployment": False,
        "networkAcls": {"bypass": "AzureServices", "defaultAction": "Deny", "ipRules": []},
        "publicNetworkAccess": "Disabled",
        "sku": {"family": "A", "name": "standard"},
        "softDeleteRetentionInDays": 90.0,
        "tenantId": "00000000-0000-4000-8000-0000000000aa",
    },
    "resourceGroupName": "rg-mlp-prod-weu-5skr8",
    "tags": {"costCenter": "CC-1001", "dataClassification": "confidential", "environment": "prod", "owner": "ml-platform-team"},
    "vaultName": "kv-mlp-prod-weu-vcolv",
}

SECRET_PROPS: dict[str, Any] = {
    "properties": {"attributes": {"enabled": True, "expires": EXPIRES}, "contentType": "text/plain", "value": "placeholder"},
    "resourceGroupName": "rg-mlp-prod-weu-5skr8",
    "secretName": "feature-store-connection",
    "vaultName": "kv-mlp-prod-weu-vcolv",
}

KEY_PROPS: dict[str, Any] = {
    "keyName": "workspace-cmk",
    "properties": {
        "attributes": {"enabled": True, "expires": EXPIRES, "exportable": False},
        "keySize": 3072.0,
        "kty": "RSA",
        "rotationPolicy": {
            "attributes": {"expiryTime": "P1Y"},
            "lifetimeActions": [
                {"action": {"type": "rotate"}, "trigger": {"timeAfterCreate": "P180D"}},
                {"action": {"type": "notify"}, "trigger": {"timeBeforeExpiry": "P30D"}},
            ],
        },
    },
    "resourceGroupName": "rg-mlp-prod-weu-5skr8",
    "vaultName": "kv-mlp-prod-weu-vcolv",
}




P = "azure-native-keyvault-"
NOTIFY_ONLY = [{"action": {"type": "notify"}, "trigger": {"timeBeforeExpiry": "P30D"}}]
EXPIRY_UNANNOUNCED = (
    "Key Vault key expires (properties.attributes.expires is set) but nothing announces or renews it: "
    "properties.rotationPolicy has no 'notify' lifetime action with trigger.timeBeforeExpiry (nor a 'rotate' "
    "action); expected a notify action such as timeBeforeExpiry 'P30D', so the key's owners learn of the expiry "
    "before it stops encrypting."
)

COMPLIANT: list[tuple[str, str, dict[str, Any]]] = [
    (P + "vault-enable-purge-protection", VAULT, VAULT_PROPS),
    (P + "vault-enable-soft-delete", VAULT, VAULT_PROPS),
    (P + "vault-enable-soft-delete", VAULT, changed(VAULT_PROPS, ("properties.enableSoftDelete", DELETE))),
    (P + "vault-require-soft-delete-retention", VAULT, VAULT_PROPS),
    (P + "vault-require-soft-delete-retention", VAULT, changed(VAULT_PROPS, ("properties.softDeleteRetentionInDays", 7.0))),
    (P + "vault-require-soft-delete-retention", VAULT, changed(VAULT_PROPS, ("properties.softDeleteRetentionInDays", DELETE))),
    (P + "vault-require-rbac-authorization", VAULT, VAULT_PROPS),
    (P + "vault-disallow-public-network-access", VAULT, VAULT_PROPS),
    (P + "vault-disallow-public-network-access", VAULT, changed(VAULT_PROPS, ("properties.publicNetworkAccess", "disabled"))),
    (P + "vault-require-network-acl-default-deny", VAULT, VAULT_PROPS),
    (P + "vault-require-network-acl-default-deny", VAULT, changed(VAULT_PROPS, ("properties.networkAcls.defaultAction", "deny"))),
    (P + "secret-require-expiry", SECRET, SECRET_PROPS),
    (P + "key-require-expiry", KEY, KEY_PROPS),
    (P + "key-require-rotation-policy", KEY, KEY_PROPS),
    (P + "key-require-rotation-policy", KEY, changed(KEY_PROPS, (
        "properties.rotationPolicy.lifetimeActions", [{"action": {"type": "Rotate"}, "trigger": {"timeBeforeExpiry": "P30D"}}],
    ))),
    (P + "key-expiry-notification", KEY, KEY_PROPS),
    # The secrets-provider key of the bootstrap stack: notified, never rotated.
    (P + "key-expiry-notification", KEY, changed(KEY_PROPS, ("properties.rotationPolicy.lifetimeActions", NOTIFY_ONLY))),
    (P + "key-expiry-notification", KEY, changed(KEY_PROPS, ("properties.rotationPolicy.lifetimeActions", [
        {"action": {"type": "Rotate"}, "trigger": {"timeAfterCreate": "P180D"}},
    ]))),
    # A key without expiry is for key-require-expiry to report.
    (P + "key-expiry-notification", KEY, changed(KEY_PROPS, ("properties.attributes.expires", DELETE), ("properties.rotationPolicy", DELETE))),
]

VIOLATIONS: list[tuple[str, str, dict[str, Any], str]] = [
    (
        P + "vault-enable-purge-protection", VAULT, changed(VAULT_PROPS, ("properties.enablePurgeProtection", False)),
        "Key Vault enablePurgeProtection is false; expected true.",
    ),
    (
        P + "vault-enable-purge-protection", VAULT, changed(VAULT_PROPS, ("properties.enablePurgeProtection", DELETE)),
        "Key Vault enablePurgeProtection is not set; expected true.",
    ),
    (
        P + "vault-enable-soft-delete", VAULT, changed(VAULT_PROPS, ("properties.enableSoftDelete", False)),
        "Key Vault enableSoftDelete is false; expected true.",
    ),
    (
        P + "vault-require-soft-delete-retention", VAULT, changed(VAULT_PROPS, ("properties.softDeleteRetentionInDays", 6.0)),
        "Key Vault softDeleteRetentionInDays is 6; expected at least 7 (Azure accepts 7 to 90).",
    ),
    (
        P + "vault-require-rbac-authorization", VAULT, changed(VAULT_PROPS, ("properties.enableRbacAuthorization", False)),
        "Key Vault enableRbacAuthorization is false; expected true.",
    ),
    (
        P + "vault-require-rbac-authorization", VAULT, changed(VAULT_PROPS, ("properties.enableRbacAuthorization", DELETE)),
        "Key Vault enableRbacAuthorization is not set (access policies are used); expected true.",
    ),
    (
        P + "vault-disallow-public-network-access", VAULT, changed(VAULT_PROPS, ("properties.publicNetworkAccess", "Enabled")),
        "Key Vault publicNetworkAccess is 'Enabled'; expected 'Disabled'.",
    ),
    (
        P + "vault-disallow-public-network-access", VAULT, changed(VAULT_PROPS, ("properties.publicNetworkAccess", DELETE)),
        "Key Vault publicNetworkAccess is not set (Azure defaults to 'Enabled'); expected 'Disabled'.",
    ),
    (
        P + "vault-require-network-acl-default-deny", VAULT, changed(VAULT_PROPS, ("properties.networkAcls.defaultAction", "Allow")),
        "Key Vault networkAcls.defaultAction is 'Allow'; expected 'Deny'.",
    ),
    (
        P + "vault-require-network-acl-default-deny", VAULT, changed(VAULT_PROPS, ("properties.networkAcls", DELETE)),
        "Key Vault networkAcls.defaultAction is not set (Azure defaults to 'Allow'); expected 'Deny'.",
    ),
    (
        P + "secret-require-expiry", SECRET, changed(SECRET_PROPS, ("properties.attributes.expires", DELETE)),
        "Key Vault secret attributes.expires is not set; expected an expiry time (seconds since 1970-01-01 UTC).",
    ),
    (
        P + "secret-require-expiry", SECRET, changed(SECRET_PROPS, ("properties.attributes", DELETE)),
        "Key Vault secret attributes.expires is not set; expected an expiry time (seconds since 1970-01-01 UTC).",
    ),
    (
        P + "key-require-expiry", KEY, changed(KEY_PROPS, ("properties.attributes.expires", DELETE)),
        "Key Vault key attributes.expires is not set; expected an expiry time (seconds since 1970-01-01 UTC).",
    ),
    (
        P + "key-require-expiry", KEY, changed(KEY_PROPS, ("properties.attributes.expires", 0.0)),
        "Key Vault key attributes.expires is 0; expected an expiry time (seconds since 1970-01-01 UTC).",
    ),
    (
        P + "key-require-rotation-policy", KEY, changed(KEY_PROPS, ("properties.rotationPolicy", DELETE)),
        "Key Vault key has no rotationPolicy; expected a lifetime action of type 'rotate' with a trigger.",
    ),
    (
        P + "key-require-rotation-policy", KEY, changed(KEY_PROPS, ("properties.rotationPolicy.lifetimeActions", NOTIFY_ONLY)),
        "Key Vault key rotationPolicy has no 'rotate' lifetime action with a trigger; expected one (timeAfterCreate or timeBeforeExpiry).",
    ),
    (
        P + "key-require-rotation-policy", KEY,
        changed(KEY_PROPS, ("properties.rotationPolicy.lifetimeActions", [{"action": {"type": "rotate"}, "trigger": {}}])),
        "Key Vault key rotationPolicy has no 'rotate' lifetime action with a trigger; expected one (timeAfterCreate or timeBeforeExpiry).",
    ),
    (
        P + "key-expiry-notification", KEY, changed(KEY_PROPS, ("properties.rotationPolicy", DELETE)),
        EXPIRY_UNANNOUNCED,
    ),
    (
        # A notification after creation says nothing about the expiry.
        P + "key-expiry-notification", KEY,
        changed(KEY_PROPS, ("properties.rotationPolicy.lifetimeActions", [{"action": {"type": "notify"}, "trigger": {"timeAfterCreate": "P300D"}}])),
        EXPIRY_UNANNOUNCED,
    ),
]

RELAXED_IN_DEV = {P + "vault-disallow-public-network-access"}


def case_id(case: tuple[Any, ...]) -> str:
    return case[0].removeprefix(P)


def first_violation(policy_name: str) -> tuple[str, dict[str, Any], str]:
    _, resource_type, props, message = next(c for c in VIOLATIONS if c[0] == policy_name)
    return resource_type, props, message


# --- Every policy: compliant, violating, waived, other types ignored -----------------------------------------


def test_module_declares_at_least_6_policies_with_complete_metadata():
    assert len(keyvault.POLICIES) >= 6
    for policy in keyvault.POLICIES:
        doc = CATALOG[policy.name]
        assert policy.name.startswith(P) and policy.name == policy.name.lower()
        assert doc.description and doc.rationale and doc.checks and doc.remediation
        assert doc.url.startswith("https://")
        assert policy.severity == doc.severity
        assert set(doc.resource_types) <= set(TYPES)


def test_every_policy_has_a_compliant_and_a_violating_case():
    assert {c[0] for c in COMPLIANT} == set(BY_NAME)
    assert {c[0] for c in VIOLATIONS} == set(BY_NAME)


def test_dev_relaxations_are_declared():
    assert {p.name for p in keyvault.POLICIES if "dev" in CATALOG[p.name].relaxed_in} == RELAXED_IN_DEV


def test_retention_policy_documents_the_maximum():
    doc = CATALOG[P + "vault-require-soft-delete-retention"]
    assert "90" in doc.description and "maximum" in doc.remediation


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
    reason = "legacy vault scheduled for replacement this quarter"
    config = {"waivers": [{"resource": "subject", "reason": reason}]}
    assert run_resource_policy(BY_NAME[name], resource_type, props, config=config) == [f"not applicable: waived: {reason}"]


@pytest.mark.parametrize("name", sorted(BY_NAME), ids=lambda n: n.removeprefix(P))
def test_other_resource_types_are_ignored(name):
    resource_type, props, _ = first_violation(name)
    others = {VAULT: "azure-native:keyvault:ManagedHsm", SECRET: KEY, KEY: SECRET}
    assert run_resource_policy(BY_NAME[name], others[resource_type], props) == []
    assert run_resource_policy(BY_NAME[name], "azure-native:storage:StorageAccount", props) == []


def test_secret_and_key_shapes():
    """SECRET_PROPS and KEY_PROPS are what the SDK sends (no secret or key ships in the stacks)."""
    from pulumi_azure_native import keyvault as sdk

    def body() -> None:
        sdk.Secret(
            "secret", resource_group_name="rg-mlp-prod-weu-5skr8", vault_name="kv-mlp-prod-weu-vcolv",
            secret_name="feature-store-connection",
            properties=sdk.SecretPropertiesArgs(
                value="placeholder", content_type="text/plain",
                attributes=sdk.SecretAttributesArgs(enabled=True, expires=int(EXPIRES)),
            ),
        )
        sdk.Key(
            "key", resource_group_name="rg-mlp-prod-weu-5skr8", vault_name="kv-mlp-prod-weu-vcolv", key_name="workspace-cmk",
            properties=sdk.KeyPropertiesArgs(
                kty="RSA", key_size=3072,
                attributes=sdk.KeyAttributesArgs(enabled=True, expires=int(EXPIRES)),
                rotation_policy=sdk.RotationPolicyArgs(
                    attributes=sdk.KeyRotationPolicyAttributesArgs(expiry_time="P1Y"),
                    lifetime_actions=[
                        sdk.LifetimeActionArgs(action=sdk.ActionArgs(type="rotate"), trigger=sdk.TriggerArgs(time_after_create="P180D")),
                        sdk.LifetimeActionArgs(action=sdk.ActionArgs(type="notify"), trigger=sdk.TriggerArgs(time_before_expiry="P30D")),
                    ],
                ),
            ),
        )

    plan = run_component(body)
    (secret,) = plan.of_type(SECRET)
    (key,) = plan.of_type(KEY)
    assert secret.inputs == SECRET_PROPS
    assert key.inputs == KEY_PROPS


# --- The shipped plans -----------------------------------------------------------------------------------------


def _findings(stack: str, *, proxied: bool = False) -> tuple[int, list[tuple[str, str, list[str]]]]:
    checked, found = 0, []
    for resource in preview_stack(stack).resources:
        if resource.type not in TYPES or not resource.custom:
            continue
        checked += 1
        props = unknown_checking_proxy(copy.deepcopy(resource.inputs)) if proxied else resource.inputs
        for policy in keyvault.POLICIES:
            messages = run_resource_policy(policy, resource.type, props, name=resource.name)
            if messages:
                found.append((policy.name, resource.name, messages))
    return checked, found


def test_prod_plan_passes_every_keyvault_policy():
    assert preview_stack("prod").of_type(VAULT)
    checked, found = _findings("prod")
    assert checked and found == []


def test_prod_plan_passes_as_the_engine_wraps_inputs():
    """The engine hands policies read-only proxies (Mapping / Sequence, not dict / list): same verdicts."""
    _, found = _findings("prod", proxied=True)
    assert found == []


def test_dev_violates_only_the_policies_relaxed_in_dev():
    checked, found = _findings("dev")
    assert checked
    assert [f for f in found if f[0] not in RELAXED_IN_DEV] == []
