"""Customer-managed keys required by classification: each policy passes on what the platform plans with a key and
fails, naming the property, without one; the classifications come from the pack config; a restricted stack with
``encryption.customerManagedKey`` passes the whole pack, and the same stack without it gets the three findings."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import pytest

from tests import policy_harness as harness  # noqa: F401 - puts policies/ on the path
from tests.conftest import REPO, only, preview_stack, stack_config
from tests.policy_harness import DROP, changed, plan_violations, run_resource_policy
from tests.test_customer_key import CMK
from tests.test_ml_workspace import CR, ST, WS, plan_of

from mlplatform_policies import encryption  # noqa: E402
from mlplatform_policies import POLICIES  # noqa: E402
from mlplatform_policies.base import CATALOG  # noqa: E402

from blueprint.program.project import load_project
from blueprint.tools.preview.runner import run_program
from components.options import DataClassification, NetworkMode

POLICY = {policy.name: policy for policy in encryption.POLICIES}
WORKSPACE_POLICY = "azure-native-machinelearningservices-workspace-require-cmk-for-classified-data"
STORAGE_POLICY = "azure-native-storage-storageaccount-require-cmk-for-classified-data"
REGISTRY_POLICY = "azure-native-containerregistry-registry-require-cmk-for-classified-data"
RESTRICTED = {"owner": "ml-platform-team", "costCenter": "CC-1", "environment": "staging", "dataClassification": "restricted"}


@lru_cache(maxsize=None)
def _plans() -> tuple[Any, Any]:
    with_key = plan_of(network_mode=NetworkMode.MANAGED, tags=RESTRICTED, customer_managed_key=CMK)
    without = plan_of(network_mode=NetworkMode.MANAGED, tags=RESTRICTED)
    return with_key, without


def props(token: str, *, key: bool = True) -> dict[str, Any]:
    return only(_plans()[0 if key else 1], token).inputs


def test_policy_classifications_match_the_program():
    assert encryption.CMK_CLASSIFICATIONS == tuple(c.value for c in DataClassification if c.requires_customer_managed_key)


CASES = [
    pytest.param(WORKSPACE_POLICY, WS, "Workspace encryption.status is not set, but its dataClassification tag is 'restricted'; expected a customer-managed key.", id="workspace"),
    pytest.param(STORAGE_POLICY, ST, "Storage account encryption.keySource is 'Microsoft.Storage', but its dataClassification tag is 'restricted'; expected a customer-managed key.", id="storage"),
    pytest.param(REGISTRY_POLICY, CR, "Container registry encryption.status is not set, but its dataClassification tag is 'restricted'; expected a customer-managed key.", id="registry"),
]


def test_every_policy_has_cases():
    assert {case.values[0] for case in CASES} == set(POLICY)


@pytest.mark.parametrize(("name", "token", "message"), CASES)
def test_the_platform_with_a_key_passes(name, token, message):
    assert run_resource_policy(POLICY[name], token, props(token)) == []


@pytest.mark.parametrize(("name", "token", "message"), CASES)
def test_restricted_data_without_a_key_fails(name, token, message):
    assert run_resource_policy(POLICY[name], token, props(token, key=False)) == [message]


@pytest.mark.parametrize(("name", "token", "message"), CASES)
def test_confidential_data_needs_no_key_unless_the_pack_config_says_so(name, token, message):
    confidential = changed(props(token, key=False), ("tags.dataClassification", "confidential"))
    assert run_resource_policy(POLICY[name], token, confidential) == []
    stricter = {"classifications": ["confidential", "restricted"]}
    assert run_resource_policy(POLICY[name], token, confidential, config=stricter) == [message.replace("'restricted'", "'confidential'")]


@pytest.mark.parametrize(("name", "token", "path", "found"), [
    (WORKSPACE_POLICY, WS, "encryption.keyVaultProperties.keyIdentifier", "encryption.keyVaultProperties.keyIdentifier is not set"),
    (WORKSPACE_POLICY, WS, "encryption.identity.userAssignedIdentity", "encryption.identity.userAssignedIdentity is not set"),
    (WORKSPACE_POLICY, WS, "encryption.keyVaultProperties.keyVaultArmId", "encryption.keyVaultProperties.keyVaultArmId is not set"),
    (STORAGE_POLICY, ST, "encryption.keyVaultProperties.keyName", "encryption.keyVaultProperties.keyName is not set"),
    (STORAGE_POLICY, ST, "encryption.encryptionIdentity", "encryption.encryptionIdentity.encryptionUserAssignedIdentity is not set"),
    (REGISTRY_POLICY, CR, "encryption.keyVaultProperties.identity", "encryption.keyVaultProperties.identity is not set"),
])
def test_a_half_configured_key_names_the_missing_property(name, token, path, found):
    kind = {WS: "Workspace", ST: "Storage account", CR: "Container registry"}[token]
    assert run_resource_policy(POLICY[name], token, changed(props(token), (path, DROP))) == [
        f"{kind} {found}, but its dataClassification tag is 'restricted'; expected a customer-managed key."
    ]


def test_disabled_encryption_is_reported_as_such():
    disabled = changed(props(WS), ("encryption.status", "Disabled"))
    assert run_resource_policy(POLICY[WORKSPACE_POLICY], WS, disabled) == [
        "Workspace encryption.status is 'Disabled', but its dataClassification tag is 'restricted'; expected a customer-managed key."
    ]


def test_catalog_entries_are_complete():
    for name in POLICY:
        doc = CATALOG[name]
        assert doc.controls.azure_policy and "DP-5" in doc.controls.mcsb
        assert "encryption.customerManagedKey" in doc.remediation and doc.url.startswith("https://")


# --- A whole restricted stack: staging's shape with restricted data ----------------------------------------------


def _restricted_staging(encrypted: bool):
    project = load_project(REPO)
    config = dict(stack_config("staging"))
    tags = json.loads(config["mlplatform:tags"])
    config["mlplatform:tags"] = json.dumps({**tags, "dataClassification": "restricted"})
    if encrypted:
        config["mlplatform:encryption"] = json.dumps({"customerManagedKey": True, "keyExpiresOn": "2027-12-31"})
    return run_program(project, "staging", config)


@pytest.fixture(scope="module")
def restricted_plans():
    return _restricted_staging(True), _restricted_staging(False)


def test_restricted_stack_with_a_key_has_no_finding_beyond_the_shipped_stacks(restricted_plans):
    # The shipped staging plan's own findings (its managed tier keeps the workspace reachable) stay; nothing else.
    assert plan_violations(restricted_plans[0], POLICIES) == plan_violations(preview_stack("staging"), POLICIES)
    assert restricted_plans[0].diagnostics == []  # every input known, as for the shipped stacks


def test_restricted_stack_without_a_key_gets_the_three_findings(restricted_plans):
    found = plan_violations(restricted_plans[1], POLICIES)
    shipped = plan_violations(preview_stack("staging"), POLICIES)
    assert set(found) - set(shipped) == {WORKSPACE_POLICY, STORAGE_POLICY, REGISTRY_POLICY}
    assert all(not name.endswith("-require-cmk-for-classified-data") for name in shipped)


def test_mandatory_in_every_environment():
    for path in sorted((REPO / "policies" / "config").glob("*.json")):
        config = json.loads(path.read_text())
        assert config.get("all") == "mandatory", path.name
        assert not set(config) & set(POLICY), f"{path.name} relaxes a customer-managed key policy"


def test_ci_may_assign_the_key_grant_only_in_a_stack_with_a_key(restricted_plans):
    from components.roles import BuiltInRole

    guid = BuiltInRole.KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER.definition_guid

    def delegation(plan) -> str:
        (condition,) = [r.inputs["condition"] for r in plan.of_type("azure-native:authorization:RoleAssignment") if r.inputs.get("condition")]
        return condition

    assert guid in delegation(restricted_plans[0])
    assert guid not in delegation(restricted_plans[1])
    assert delegation(restricted_plans[1]) == delegation(preview_stack("staging"))
