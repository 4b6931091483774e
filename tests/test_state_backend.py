"""The Pulumi state backend: the StateBackend component under the ARM mocks, the bootstrap stack as the program
builds it (and as the policy pack judges it), and the bootstrap stack's configuration rules."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blueprint.program.config import ConfigError, load_platform_config
from blueprint.program.stacks.kinds import BootstrapStack, SharedStack
from blueprint.program.config.schema import platform_schema
from blueprint.tools.policy_check import evaluate, load_pack_config, load_policies
from components.naming import ResourceKind, validate_name
from components.options import Environment, StateNetworkMode
from components.roles import BuiltInRole
from components.state_access import stack_paths
from components.state_backend import StateBackend, secrets_provider_url
from tests.conftest import REPO, decoded, only, preview_stack, run_component, stack_config, tags

ACCOUNT = "azure-native:storage:StorageAccount"
BLOB_SERVICE = "azure-native:storage:BlobServiceProperties"
CONTAINER = "azure-native:storage:BlobContainer"
VAULT = "azure-native:keyvault:Vault"
KEY = "azure-native:keyvault:Key"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
LOCK = "azure-native:authorization:ManagementLockAtResourceGroupLevel"
SETTING = "azure-native:monitor:DiagnosticSetting"
LOG_ANALYTICS = "azure-native:operationalinsights:Workspace"
GROUP = "azure-native:resources:ResourceGroup"
CA_POLICY = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"

ADMINS = "11111111-1111-4111-8111-111111111111"
AUDITORS = "44444444-4444-4444-8444-444444444444"
CI = "22222222-2222-4222-8222-222222222222"
PREVIEW = "33333333-3333-4333-8333-333333333333"
EXPIRES = 1861833600  # 2028-12-31T00:00:00Z
BLOB_CONTRIBUTOR = BuiltInRole.STORAGE_BLOB_DATA_CONTRIBUTOR.definition_guid
BLOB_READER = BuiltInRole.STORAGE_BLOB_DATA_READER.definition_guid
CRYPTO_USER = BuiltInRole.KEY_VAULT_CRYPTO_USER.definition_guid


def backend_plan(**overrides: Any):
    """A StateBackend under the mocks, its outputs exported so the tests can read them."""
    args: dict[str, Any] = {
        "location": "westeurope",
        "naming": {"prefix": "mlp", "environment": "state", "seed": "mlplatform/bootstrap"},
        "tags": tags("bootstrap"),
        "project": "mlplatform",
        "operators": [
            {"principal_id": ADMINS, "principal_type": "Group", "description": "platform administrators"},
            {"principal_id": AUDITORS, "principal_type": "Group", "description": "auditors", "read_only": True},
        ],
        "environments": [
            {
                "name": "dev",
                "secrets_key": {"name": "pulumi-secrets-2028", "expires": EXPIRES},
                "stacks": [{"stack": "dev", "deploy_principal_id": CI, "preview_principal_id": PREVIEW}],
            }
        ],
        "network_mode": StateNetworkMode.ALLOW_LIST,
        "allowed_ip_ranges": ["203.0.113.0/24", "198.51.100.7/32"],
    }
    args.update(overrides)

    def body() -> None:
        backend = StateBackend("state", args)  # type: ignore[arg-type]
        for output in ("backend_url", "secrets_providers", "storage_account_id", "container_id", "key_vault_id",
                       "key_ids", "log_analytics_workspace_id", "diagnostic_setting_ids"):
            pulumi.export(output, getattr(backend, output))

    return run_component(body, stack="bootstrap")


@pytest.fixture(scope="module")
def plan():
    return backend_plan()


# --- Storage: the state account, its blob service and the container ---------------------------------------------


def test_storage_account_is_entra_only_zone_redundant_and_closed(plan):
    account = only(plan, ACCOUNT).inputs
    assert account["kind"] == "StorageV2" and account["sku"] == {"name": "Standard_ZRS"} and account["accessTier"] == "Hot"
    assert account["enableHttpsTrafficOnly"] is True and account["minimumTlsVersion"] == "TLS1_2"
    assert account["allowBlobPublicAccess"] is False
    assert account["allowSharedKeyAccess"] is False and account["defaultToOAuthAuthentication"] is True
    assert account["allowCrossTenantReplication"] is False and account["allowedCopyScope"] == "AAD"
    assert account["isHnsEnabled"] is False  # point-in-time restore needs a flat namespace
    assert account["encryption"]["requireInfrastructureEncryption"] is True
    assert account["publicNetworkAccess"] == "Enabled"
    assert account["networkRuleSet"] == {
        "defaultAction": "Deny",
        "bypass": "AzureServices",
        # Storage takes a single address without its /32.
        "ipRules": [{"iPAddressOrRange": "203.0.113.0/24", "action": "Allow"}, {"iPAddressOrRange": "198.51.100.7", "action": "Allow"}],
    }
    assert re.fullmatch(r"stmlpstateweu[a-z0-9]{5}", account["accountName"])


def test_blob_service_keeps_versions_soft_deletes_and_restores_to_a_point_in_time(plan):
    service = only(plan, BLOB_SERVICE).inputs
    assert service["blobServicesName"] == "default"
    assert service["isVersioningEnabled"] is True
    assert service["deleteRetentionPolicy"] == {"enabled": True, "days": 30, "allowPermanentDelete": False}
    assert service["containerDeleteRetentionPolicy"] == {"enabled": True, "days": 30}
    assert service["changeFeed"] == {"enabled": True, "retentionInDays": 30}
    assert service["restorePolicy"] == {"enabled": True, "days": 29}
    assert service["restorePolicy"]["days"] < service["deleteRetentionPolicy"]["days"]


def test_container_is_private_and_created_after_versioning_is_on(plan):
    container = only(plan, CONTAINER)
    assert container.inputs["containerName"] == "pulumi-state" and container.inputs["publicAccess"] == "None"
    assert only(plan, BLOB_SERVICE).urn in container.dependencies
    assert container.inputs["accountName"] == only(plan, ACCOUNT).physical_name


# --- Key Vault and the secrets-provider key ----------------------------------------------------------------------


def test_vault_uses_rbac_purge_protection_and_a_closed_firewall(plan):
    vault = only(plan, VAULT).inputs["properties"]
    assert vault["enableRbacAuthorization"] is True
    assert vault["enablePurgeProtection"] is True and vault["enableSoftDelete"] is True
    assert vault["softDeleteRetentionInDays"] == 90
    assert vault["publicNetworkAccess"] == "Enabled"
    assert vault["networkAcls"]["defaultAction"] == "Deny" and vault["networkAcls"]["bypass"] == "AzureServices"
    assert [rule["value"] for rule in vault["networkAcls"]["ipRules"]] == ["203.0.113.0/24", "198.51.100.7/32"]
    assert not (vault["enabledForDeployment"] or vault["enabledForDiskEncryption"] or vault["enabledForTemplateDeployment"])


def test_key_is_rsa_for_encrypt_and_decrypt_only_expires_and_is_announced_not_rotated(plan):
    key = only(plan, KEY)
    props = key.inputs["properties"]
    assert key.inputs["keyName"] == "pulumi-secrets-2028"
    assert key.inputs["vaultName"] == only(plan, VAULT).physical_name
    assert props["kty"] == "RSA" and props["keySize"] == 3072
    assert props["keyOps"] == ["encrypt", "decrypt"]  # what gocloud's azurekeyvault keeper calls, RSA-OAEP-256
    assert props["attributes"] == {"enabled": True, "expires": EXPIRES, "exportable": False}
    actions = props["rotationPolicy"]["lifetimeActions"]
    assert actions == [{"action": {"type": "notify"}, "trigger": {"timeBeforeExpiry": "P30D"}}]
    assert all(a["action"]["type"] != "rotate" for a in actions)


def test_outputs_are_the_login_url_and_the_secrets_provider(plan):
    account = only(plan, ACCOUNT).physical_name
    vault = only(plan, VAULT).physical_name
    assert plan.outputs["backend_url"] == f"azblob://pulumi-state?storage_account={account}"
    assert plan.outputs["secrets_providers"] == {"dev": f"azurekeyvault://{vault}.vault.azure.net/keys/pulumi-secrets-2028"}
    assert plan.outputs["key_ids"] == {"pulumi-secrets-2028": only(plan, KEY).id}
    assert plan.outputs["container_id"].endswith(f"/storageAccounts/{account}/blobServices/default/containers/pulumi-state")


def test_secrets_provider_url_keeps_the_cloud_and_drops_the_version_separator():
    assert secrets_provider_url("https://kv-a.vault.azure.net/keys/k") == "azurekeyvault://kv-a.vault.azure.net/keys/k"
    assert secrets_provider_url("https://kv-a.vault.usgovcloudapi.net/keys/k/") == "azurekeyvault://kv-a.vault.usgovcloudapi.net/keys/k"


# --- Access: each operator on the container and the key, nothing wider --------------------------------------------


def test_operators_and_ci_identities_get_blob_data_roles_on_the_container_and_crypto_user_on_the_key(plan):
    container, key = only(plan, CONTAINER), only(plan, KEY)
    grants = {
        (a.inputs["principalId"], a.inputs["principalType"], a.inputs["roleDefinitionId"].rsplit("/", 1)[1], a.inputs["scope"],
         "condition" in a.inputs)
        for a in plan.of_type(ASSIGNMENT)
    }
    assert grants == {
        (ADMINS, "Group", BLOB_CONTRIBUTOR, container.id, False),
        (ADMINS, "Group", CRYPTO_USER, key.id, False),
        (AUDITORS, "Group", BLOB_READER, container.id, False),
        (AUDITORS, "Group", CRYPTO_USER, key.id, False),
        (CI, "ServicePrincipal", BLOB_CONTRIBUTOR, container.id, True),  # fenced to the dev stack's blobs
        (CI, "ServicePrincipal", CRYPTO_USER, key.id, False),
        (PREVIEW, "ServicePrincipal", BLOB_READER, container.id, True),  # previews read state, take no lock
        (PREVIEW, "ServicePrincipal", CRYPTO_USER, key.id, False),
    }
    assert BLOB_CONTRIBUTOR == "ba92f5b4-2d11-453d-a403-e96b0029c9fe" and CRYPTO_USER == "12338af0-0e69-4776-bea7-57ae8d297424"
    assert BLOB_READER == "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
    for scope in (only(plan, ACCOUNT).id, only(plan, VAULT).id, only(plan, GROUP).id):
        assert all(a.inputs["scope"] != scope for a in plan.of_type(ASSIGNMENT))


def test_a_user_cannot_be_an_operator():
    with pytest.raises(ValueError, match="principal type 'User'"):
        backend_plan(operators=[{"principal_id": ADMINS, "principal_type": "User"}])


# --- Protection, lock, diagnostics, tags ---------------------------------------------------------------------------


def test_data_is_protected_and_the_resource_group_locked(plan):
    for type_token in (GROUP, ACCOUNT, BLOB_SERVICE, CONTAINER, VAULT, KEY, LOG_ANALYTICS):
        assert only(plan, type_token).protect, type_token
    lock = only(plan, LOCK)
    assert lock.inputs["level"] == "CanNotDelete"
    assert lock.inputs["resourceGroupName"] == only(plan, GROUP).physical_name
    assert {only(plan, t).urn for t in (ACCOUNT, CONTAINER, VAULT, KEY)} <= set(lock.dependencies)


def test_storage_and_vault_logs_go_to_log_analytics(plan):
    workspace = only(plan, LOG_ANALYTICS)
    assert workspace.inputs["features"]["disableLocalAuth"] is True and workspace.inputs["retentionInDays"] == 90
    settings_by_target = {s.inputs["resourceUri"]: s.inputs for s in plan.of_type(SETTING)}
    account, vault = only(plan, ACCOUNT).id, only(plan, VAULT).id
    assert set(settings_by_target) == {account, f"{account}/blobServices/default", vault}
    for target in (f"{account}/blobServices/default", vault):
        assert settings_by_target[target]["workspaceId"] == workspace.id
        assert settings_by_target[target]["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
    assert set(plan.outputs["diagnostic_setting_ids"]) == {"storage", "storage-blob", "vault"}


def test_every_child_is_parented_and_tagged(plan):
    component = only(plan, "mlplatform:index:StateBackend")
    children = {r.urn for r in plan.resources if r.parent == component.urn}
    for resource in plan.resources:
        if resource.custom and resource.type != ASSIGNMENT:
            assert resource.urn in children, resource.name
        if "tags" in resource.inputs:
            assert resource.inputs["tags"]["environment"] == "bootstrap", resource.name
    assert plan.of_type(ASSIGNMENT) and all(a.parent != component.urn for a in plan.of_type(ASSIGNMENT))


# --- Options -------------------------------------------------------------------------------------------------------


def test_private_mode_disables_public_network_access_everywhere():
    plan = backend_plan(network_mode=StateNetworkMode.PRIVATE, allowed_ip_ranges=[])
    account, vault = only(plan, ACCOUNT).inputs, only(plan, VAULT).inputs["properties"]
    assert account["publicNetworkAccess"] == "Disabled" and account["networkRuleSet"]["ipRules"] == []
    assert vault["publicNetworkAccess"] == "Disabled" and vault["networkAcls"]["ipRules"] == []
    assert account["networkRuleSet"]["defaultAction"] == vault["networkAcls"]["defaultAction"] == "Deny"
    workspace = only(plan, LOG_ANALYTICS).inputs
    assert workspace["publicNetworkAccessForIngestion"] == workspace["publicNetworkAccessForQuery"] == "Disabled"
    # The closed workspace is served through a private link scope, which the hub's endpoint connects to.
    scope = only(plan, "azure-native:monitor:PrivateLinkScope")
    (scoped,) = plan.of_type("azure-native:monitor:PrivateLinkScopedResource")
    assert scoped.inputs["linkedResourceId"] == only(plan, LOG_ANALYTICS).id
    assert scoped.inputs["scopeName"] == scope.physical_name
    assert scope.inputs["accessModeSettings"]["ingestionAccessMode"] == "PrivateOnly"


def test_allow_list_mode_keeps_the_workspace_open_and_needs_no_scope(plan):
    workspace = only(plan, LOG_ANALYTICS).inputs
    assert workspace["publicNetworkAccessForIngestion"] == "Enabled"
    assert plan.of_type("azure-native:monitor:PrivateLinkScope") == []


def test_retired_keys_stay_usable_and_the_provider_names_the_current_key():
    plan = backend_plan(
        environments=[{
            "name": "dev",
            "secrets_key": {"name": "pulumi-secrets-2030", "expires": 1924905600},
            "retired_secrets_keys": [{"name": "pulumi-secrets-2028", "expires": EXPIRES}],
            "stacks": [{"stack": "dev", "deploy_principal_id": CI, "preview_principal_id": PREVIEW}],
        }],
        redundancy="Standard_GZRS",
        soft_delete_days=60,
        restore_days=45,
    )
    keys = {k.inputs["keyName"]: k for k in plan.of_type(KEY)}
    assert set(keys) == {"pulumi-secrets-2030", "pulumi-secrets-2028"} and all(k.protect for k in keys.values())
    assert plan.outputs["secrets_providers"]["dev"].endswith("/keys/pulumi-secrets-2030")
    crypto_scopes = {a.inputs["scope"] for a in plan.of_type(ASSIGNMENT) if a.inputs["roleDefinitionId"].endswith(CRYPTO_USER)}
    assert crypto_scopes == {k.id for k in keys.values()}
    assert only(plan, ACCOUNT).inputs["sku"] == {"name": "Standard_GZRS"}
    assert only(plan, BLOB_SERVICE).inputs["restorePolicy"] == {"enabled": True, "days": 45}


def _environment(name: str, key: str = "pulumi-secrets-2028", *stacks: str) -> dict[str, Any]:
    return {
        "name": name,
        "secrets_key": {"name": key, "expires": EXPIRES},
        "stacks": [{"stack": stack, "deploy_principal_id": CI, "preview_principal_id": PREVIEW} for stack in stacks],
    }


def test_each_ci_identity_reaches_its_own_stack_and_key_and_reads_the_referenced_stack_only():
    """Two environments and a referenced stack: dev's identities never touch prod's blobs or key."""
    ids = {stack: (f"{n}{n}{n}{n}{n}{n}{n}{n}-0000-4000-8000-00000000000{n}", f"{n}{n}{n}{n}{n}{n}{n}{n}-1111-4111-8111-11111111111{n}")
           for n, stack in ((5, "shared"), (6, "dev"), (7, "prod"))}

    def environment(name: str, stack: str) -> dict[str, Any]:
        deploy, preview = ids[stack]
        return {"name": name, "secrets_key": {"name": f"pulumi-secrets-{name}", "expires": EXPIRES},
                "stacks": [{"stack": stack, "deploy_principal_id": deploy, "preview_principal_id": preview}]}

    plan = backend_plan(environments=[environment("shared", "shared"), environment("dev", "dev"), environment("prod", "prod")],
                        referenced_stacks=["shared"])
    keys = {k.inputs["keyName"]: k.id for k in plan.of_type(KEY)}
    by_principal: dict[str, list[Any]] = {}
    for assignment in plan.of_type(ASSIGNMENT):
        by_principal.setdefault(assignment.inputs["principalId"], []).append(assignment.inputs)
    for stack, (deploy, preview) in ids.items():
        environment_key = keys[f"pulumi-secrets-{stack}"]
        expected_keys = {environment_key, keys["pulumi-secrets-shared"]}
        for principal, role in ((deploy, BLOB_CONTRIBUTOR), (preview, BLOB_READER)):
            grants = by_principal[principal]
            assert {g["scope"] for g in grants if g["roleDefinitionId"].endswith(CRYPTO_USER)} == expected_keys
            (container_grant,) = [g for g in grants if not g["roleDefinitionId"].endswith(CRYPTO_USER)]
            assert container_grant["roleDefinitionId"].endswith(role) and container_grant["conditionVersion"] == "2.0"
            condition = container_grant["condition"]
            assert f"'.pulumi/stacks/mlplatform/{stack}.json*'" in condition
            assert "'.pulumi/stacks/mlplatform/shared.json*'" in condition  # the StackReference it reads
            others = {"shared", "dev", "prod"} - {stack, "shared"}
            assert not any(f"mlplatform/{other}" in condition for other in others), (stack, principal)
            writable = condition.split("/blobs/write", 1)[1]  # the clause fencing changes
            for path in stack_paths("mlplatform", stack):
                assert (f"'{path}'" in writable) is (principal == deploy)
            assert "mlplatform/shared.json" not in writable or stack == "shared"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"restore_days": 30}, "restore_days must be at least 1 and less than soft_delete_days"),
        ({"redundancy": "Standard_LRS"}, "is not zone-redundant"),
        ({"allowed_ip_ranges": []}, "allowList mode needs allowed_ip_ranges"),
        ({"container_name": "Pulumi_State"}, "container name 'Pulumi_State'"),
        ({"environments": [_environment("dev", "PULUMI-secrets-2028"), _environment("prod", "pulumi-secrets-2028")]},
         "secrets key names must be distinct"),
        ({"environments": [_environment("dev", "pulumi_secrets")]}, "key name 'pulumi_secrets'"),
        ({"environments": [{**_environment("dev"), "secrets_key": {"name": "k", "expires": 0}}]}, "needs an expiry"),
        ({"environments": []}, "at least one environment"),
        ({"environments": [_environment("dev", "k1", "dev"), _environment("prod", "k2", "dev")]}, "a stack belongs to one environment only"),
        ({"referenced_stacks": ["shared"]}, "referenced stacks shared belong to no environment"),
        ({"operators": []}, "at least one operator"),
    ],
)
def test_invalid_settings_fail_before_anything_is_planned(overrides, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        backend_plan(**overrides)


# --- The bootstrap stack, as the program builds it ----------------------------------------------------------------


def test_bootstrap_preview_has_no_mandatory_policy_violation():
    plan = preview_stack("bootstrap")
    findings = evaluate(plan, load_policies(REPO / "policies"), load_pack_config(REPO / "policies", "bootstrap"))
    assert [f for f in findings if f.blocking] == []
    assert {(f.policy, f.enforcement) for f in findings} == {
        ("azure-native-storage-storageaccount-disallow-public-network-access", "advisory"),
        ("azure-native-keyvault-vault-disallow-public-network-access", "advisory"),
        ("azure-native-keyvault-key-require-rotation-policy", "advisory"),
    }


def test_bootstrap_stack_exports_login_and_secrets_provider_urls():
    plan = preview_stack("bootstrap")
    outputs = plan.outputs
    assert outputs["environment"] == "bootstrap"
    assert re.fullmatch(r"azblob://pulumi-state\?storage_account=stmlpstateweu[a-z0-9]{5}", outputs["backendUrl"])
    assert outputs["backendUrl"].endswith(outputs["storageAccountName"])
    assert outputs["secretsProviders"] == {
        environment: f"azurekeyvault://{outputs['keyVaultName']}.vault.azure.net/keys/pulumi-secrets-{environment}-2028"
        for environment in ("bootstrap", "shared", "dev", "staging", "prod")
    }
    assert outputs["storageAccountId"] == only(plan, ACCOUNT).id and outputs["keyVaultId"] == only(plan, VAULT).id
    assert outputs["secretsKeyIds"] == {k.inputs["keyName"]: k.id for k in plan.of_type(KEY)}
    assert re.fullmatch(r"kv-mlp-state-weu-[a-z0-9]{5}", outputs["keyVaultName"])
    assert plan.diagnostics == []  # every input known: no output the mocks left unknown


def test_bootstrap_stack_requires_mfa_of_the_operator_groups_only():
    plan = preview_stack("bootstrap")
    policy = only(plan, CA_POLICY).inputs
    assert policy["state"] == "enabled"
    assert policy["conditions"]["users"]["includedGroups"] == [ADMINS]
    assert policy["grantControls"]["builtInControls"] == ["mfa"]
    assert plan.outputs["mfaPolicyId"] == only(plan, CA_POLICY).outputs["objectId"]


def test_bootstrap_stack_holds_nothing_of_the_platform():
    types = {r.type for r in preview_stack("bootstrap").resources}
    assert not {t for t in types if "machinelearningservices" in t or "containerregistry" in t or t.startswith("azuread:index/group")}


# --- Configuration of the bootstrap stack ---------------------------------------------------------------------------

SOURCE = "stacks/Pulumi.bootstrap.yaml"


def load(config: dict[str, Any]):
    raw = {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}
    return load_platform_config(raw, project="mlplatform", stack="bootstrap", source=SOURCE)


def errors_of(config: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(config)
    assert str(caught.value).startswith(f"{SOURCE}: invalid stack configuration")
    return [str(issue) for issue in caught.value.issues]


def bootstrap(**backend: Any) -> dict[str, Any]:
    """The shipped bootstrap stack's config with ``stateBackend`` keys replaced (None removes one)."""
    config = decoded(stack_config("bootstrap"))
    state = config["mlplatform:stateBackend"]
    for key, value in backend.items():
        if value is None:
            state.pop(key, None)
        else:
            state[key] = value
    return config


def test_shipped_bootstrap_stack_is_valid_and_protected():
    config = load(decoded(stack_config("bootstrap")))
    assert config.environment is Environment.BOOTSTRAP and isinstance(config, BootstrapStack) and not isinstance(config, SharedStack)
    assert config.protect and config.zone_redundant and config.log_retention_days == 90
    backend = config.state_backend
    assert backend is not None
    assert backend.network.mode is StateNetworkMode.ALLOW_LIST and backend.network.allowed_ip_ranges == ("203.0.113.0/24",)
    assert [(o.principal_id, o.principal_type, o.read_only) for o in backend.operators] == [(ADMINS, "Group", False)]
    assert {(name, e.secrets_key.name, e.secrets_key.expires_at, e.stacks) for name, e in backend.environments.items()} == {
        ("bootstrap", "pulumi-secrets-bootstrap-2028", EXPIRES, ()),
        ("shared", "pulumi-secrets-shared-2028", EXPIRES, ("shared",)),
        ("dev", "pulumi-secrets-dev-2028", EXPIRES, ("dev",)),
        ("staging", "pulumi-secrets-staging-2028", EXPIRES, ("staging",)),
        ("prod", "pulumi-secrets-prod-2028", EXPIRES, ("prod",)),
    }
    assert backend.referenced_stacks == ("shared",)
    assert (backend.soft_delete_days, backend.restore_days, backend.container_name) == (30, 29, "pulumi-state")


def test_defaults_of_the_state_backend():
    config = load(bootstrap(network={"mode": "private"}, restoreDays=None, softDeleteDays=60, containerName=None, redundancy=None))
    backend = config.state_backend
    assert backend is not None and backend.network.mode is StateNetworkMode.PRIVATE
    assert (backend.soft_delete_days, backend.restore_days) == (60, 59)
    assert (backend.container_name, backend.redundancy, backend.notify_days_before_expiry, backend.mfa_policy) == (
        "pulumi-state", "Standard_ZRS", 30, True)
    assert config.environment.naming_code == "state"


def test_bootstrap_stack_refuses_platform_keys_by_name():
    config = decoded(stack_config("bootstrap"))
    config["mlplatform:clusters"] = [{"name": "cpu", "vmSize": "Standard_DS3_v2", "maxNodes": 1}]
    config["mlplatform:registry"] = {"replicationRegions": ["northeurope"]}
    config["mlplatform:ci"] = {"repository": "example-org/ml-platform", "environments": ["bootstrap"]}
    assert errors_of(config) == [
        'mlplatform:clusters: expected no such key in the bootstrap stack (it holds the Pulumi state backend only), found list [{"name": "cpu", "vmSize": "Standard_DS3_v2", "maxNodes":...',
        'mlplatform:registry: expected no such key in the bootstrap stack (it holds the Pulumi state backend only), found mapping {"replicationRegions": ["northeurope"]}',
        'mlplatform:ci: expected no ci in the bootstrap stack (an administrator applies it, never CI; CI identities get their access through stateBackend.environments.<name>.stacks), found mapping {"repository": "example-org/ml-platform", "environments":...',
    ]


def test_bootstrap_stack_needs_its_backend_and_keeps_protection():
    config = decoded(stack_config("bootstrap"))
    del config["mlplatform:stateBackend"]
    config["mlplatform:protect"] = False
    assert errors_of(config) == [
        "mlplatform:protect: expected true in bootstrap (data-bearing resources are always protected there), found boolean false",
        "mlplatform:stateBackend: expected the state backend settings of the bootstrap stack (a mapping with operators and environments), found nothing (the key is required when tags.environment is bootstrap)",
    ]


@pytest.mark.parametrize("stack", ["dev", "shared"])
def test_other_stacks_refuse_the_state_backend(stack):
    config = decoded(stack_config(stack))
    config["mlplatform:stateBackend"] = decoded(stack_config("bootstrap"))["mlplatform:stateBackend"]
    (error,) = errors_of(config)
    assert error.startswith(f"mlplatform:stateBackend: expected no such key in {'a dev' if stack == 'dev' else 'the shared'} stack "
                            "(only the bootstrap stack holds the state backend)")


def test_bad_operator_id_and_principal_type_are_named():
    operators = [{"principalId": "not-a-guid", "principalType": "User"}]
    assert errors_of(bootstrap(operators=operators)) == [
        'mlplatform:stateBackend.operators[0].principalId: expected an Entra object ID (a GUID such as 00000000-0000-0000-0000-000000000000), found string "not-a-guid"',
        'mlplatform:stateBackend.operators[0].principalType: expected Group or ServicePrincipal (roles never go to individual users), found string "User"',
    ]


def test_operators_are_required_and_listed_once():
    assert errors_of(bootstrap(operators=None)) == [
        "mlplatform:stateBackend.operators: expected a list of 1 to 20 items, found nothing (the key is required)"
    ]
    twice = [{"principalId": ADMINS, "principalType": "Group"}, {"principalId": ADMINS.upper(), "principalType": "Group"}]
    assert errors_of(bootstrap(operators=twice)) == [
        f'mlplatform:stateBackend.operators[1].principalId: expected a principal not listed twice, found string "{ADMINS.upper()}"'
    ]


def test_network_mode_and_allow_list_agree():
    assert errors_of(bootstrap(network={"mode": "allowList"})) == [
        "mlplatform:stateBackend.network.allowedIpRanges: expected at least one IP range in allowList mode (the administrators' and CI egress addresses), or mode private, found nothing"
    ]
    assert errors_of(bootstrap(network={"mode": "private", "allowedIpRanges": ["203.0.113.0/24"]})) == [
        'mlplatform:stateBackend.network.allowedIpRanges: expected no allow-list in private mode (public network access is disabled), found list ["203.0.113.0/24"]'
    ]
    # The floor of every public allow-list (components/firewall.py; tests/test_allow_lists.py has the whole table).
    assert errors_of(bootstrap(network={"allowedIpRanges": ["0.0.0.0/0", "20.0.0.0/15", "20.0.0.0/16"]})) == [
        'mlplatform:stateBackend.network.allowedIpRanges[0]: expected a range no wider than /16 (an allow-list admits an organisation\'s egress addresses, never a large part of the Internet), found string "0.0.0.0/0", a /0 (4,294,967,296 addresses)',
        'mlplatform:stateBackend.network.allowedIpRanges[1]: expected a range no wider than /16 (an allow-list admits an organisation\'s egress addresses, never a large part of the Internet), found string "20.0.0.0/15", a /15 (131,072 addresses)',
    ]


def test_restore_window_must_fit_in_the_soft_delete_window():
    assert errors_of(bootstrap(softDeleteDays=14, restoreDays=14)) == [
        "mlplatform:stateBackend.restoreDays: expected fewer days than softDeleteDays (14): Azure keeps point-in-time restore inside the soft-delete window, found integer 14"
    ]
    assert errors_of(bootstrap(softDeleteDays=3)) == ["mlplatform:stateBackend.softDeleteDays: expected an integer from 7 to 365, found integer 3"]


def _environments(**changes: dict[str, Any]) -> dict[str, Any]:
    environments = decoded(stack_config("bootstrap"))["mlplatform:stateBackend"]["environments"]
    for name, change in changes.items():
        environments[name] = {**environments.get(name, {}), **change}
    return environments


def test_keys_have_real_dates_and_distinct_names():
    retired = [{"name": "PULUMI-SECRETS-PROD-2028", "expiresOn": "2027-02-30"}]
    assert errors_of(bootstrap(environments=_environments(prod={"retiredSecretsKeys": retired}))) == [
        'mlplatform:stateBackend.environments.prod.retiredSecretsKeys[0].name: expected a key name not used by another secrets key (Key Vault names are case-insensitive), found string "PULUMI-SECRETS-PROD-2028"',
        'mlplatform:stateBackend.environments.prod.retiredSecretsKeys[0].expiresOn: expected a real calendar date YYYY-MM-DD, found string "2027-02-30"',
    ]
    bad_key = {"secretsKey": {"name": "pulumi_secrets", "expiresOn": "31/12/2028"}}
    assert errors_of(bootstrap(environments=_environments(dev=bad_key))) == [
        'mlplatform:stateBackend.environments.dev.secretsKey.expiresOn: expected a date YYYY-MM-DD (the key stops encrypting at midnight UTC; it still decrypts), found string "31/12/2028"',
        'mlplatform:stateBackend.environments.dev.secretsKey.name: expected a Key Vault key name of 1-127 letters, digits or hyphens, found string "pulumi_secrets"',
    ]


def test_stacks_belong_to_one_environment_and_references_to_a_listed_stack():
    assert errors_of(bootstrap(environments=_environments(staging={"stacks": ["staging", "dev"]}))) == [
        'mlplatform:stateBackend.environments.staging.stacks[1]: expected a stack listed in one environment only (it is already in dev), found string "dev"'
    ]
    assert errors_of(bootstrap(referencedStacks=["registry"])) == [
        'mlplatform:stateBackend.referencedStacks[0]: expected a stack listed under environments.<name>.stacks (listed: dev, prod, shared, staging), whose key its readers need, found string "registry"'
    ]
    assert errors_of(bootstrap(environments={})) == [
        "mlplatform:stateBackend.environments: expected a mapping from environment names to their secretsKey (and stacks), at least one, found mapping {}"
    ]


def test_unknown_state_backend_key_suggests_the_known_one():
    (error,) = errors_of(bootstrap(softDeleteDay=30))
    assert error.startswith("mlplatform:stateBackend.softDeleteDay: expected one of the known keys ")
    assert error.endswith("found an unknown key (did you mean softDeleteDays?)")


def test_published_stack_file_schema_accepts_the_bootstrap_stack():
    import jsonschema
    import yaml

    schema = json.loads((REPO / "schema" / "stack-file.schema.json").read_text())
    jsonschema.validate(yaml.safe_load((REPO / "stacks" / "Pulumi.bootstrap.yaml").read_text()), schema)


NAMEISH = st.text(alphabet="abcXYZ0189-_", min_size=0, max_size=70)


@given(NAMEISH)
@settings(max_examples=300, deadline=None, derandomize=True)
def test_schema_name_patterns_agree_with_the_naming_rules(name):
    state = platform_schema()["properties"]["stateBackend"]["properties"]
    container = state["containerName"]["pattern"]
    key = state["environments"]["additionalProperties"]["properties"]["secretsKey"]["properties"]["name"]["pattern"]
    assert (re.search(container, name) is not None) == (validate_name(ResourceKind.BLOB_CONTAINER, name) == [])
    assert (re.search(key, name) is not None) == (validate_name(ResourceKind.KEY_VAULT_KEY, name) == [])


# --- Other bootstrap configurations, as the program builds them -----------------------------------------------------


def bootstrap_program(**backend: Any):
    """The bootstrap stack's plan with ``stateBackend`` keys replaced, and its policy findings."""
    from blueprint.tools.preview.runner import run_program
    from blueprint.program.project import load_project

    config = {key: value if isinstance(value, str) else json.dumps(value) for key, value in bootstrap(**backend).items()}
    plan = run_program(load_project(REPO), "bootstrap", config)
    findings = evaluate(plan, load_policies(REPO / "policies"), load_pack_config(REPO / "policies", "bootstrap"))
    return plan, findings


def test_private_bootstrap_passes_every_policy_but_the_rotation_it_cannot_have():
    plan, findings = bootstrap_program(network={"mode": "private"})
    assert only(plan, ACCOUNT).inputs["publicNetworkAccess"] == "Disabled"
    assert plan.outputs["monitorPrivateLinkScopeId"] == only(plan, "azure-native:monitor:PrivateLinkScope").id
    assert {f.policy for f in findings} == {"azure-native-keyvault-key-require-rotation-policy"}


def test_without_the_mfa_policy_the_pack_blocks_until_a_waiver_says_why():
    plan, findings = bootstrap_program(mfaPolicy=False)
    assert plan.of_type(CA_POLICY) == [] and "mfaPolicyId" not in plan.outputs
    blocking = [f for f in findings if f.blocking]
    assert {f.policy for f in blocking} == {"azuread-conditional-access-policy-covers-role-groups"}
    assert ADMINS in blocking[0].message


def test_cost_estimate_prices_the_backend_and_ignores_keys_and_containers():
    from blueprint.tools.cost import estimate_plan

    estimate = estimate_plan(preview_stack("bootstrap"))
    assert estimate is not None and estimate.unpriced == [] and estimate.budget is None
    assert {line.resource for line in estimate.lines} == {"state-st", "state-kv", "state-log"}
    assert estimate.peak_hourly == 0.0
