"""Container registry policies: each on a compliant and a violating registry shaped like the plan's inputs, waivers,
and the shipped plans (prod and staging pass everything; dev's Basic, public registry trips only relaxed policies)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import preview_stack
from tests import policy_harness as harness
from tests.policy_harness import run_resource_policy
from tests.policy_harness import DROP, changed

from mlplatform_policies import container_registry  # noqa: E402 - importable once the harness has put policies/ on the path
from mlplatform_policies.base import CATALOG  # noqa: E402

REGISTRY = "azure-native:containerregistry:Registry"
POLICY = {policy.name: policy for policy in container_registry.POLICIES}

#: The platform registry's inputs as the prod plan records them (private tier, Premium).
PREMIUM_PROPS: dict[str, Any] = {
    "adminUserEnabled": False,
    "anonymousPullEnabled": False,
    "location": "westeurope",
    "networkRuleBypassOptions": "AzureServices",
    "networkRuleSet": {"defaultAction": "Deny"},
    "policies": {"exportPolicy": {"status": "disabled"}, "retentionPolicy": {"days": 7.0, "status": "enabled"}},
    "publicNetworkAccess": "Disabled",
    "registryName": "crmlpprodweu1lft2",
    "resourceGroupName": "rg-mlp-prod-weu-5skr8",
    "sku": {"name": "Premium"},
    "tags": {"costCenter": "CC-1001", "dataClassification": "confidential", "environment": "prod", "owner": "ml-platform-team"},
    "zoneRedundancy": "Enabled",
}
#: The dev registry's inputs (public tier, Basic): no network rules or policies exist on Basic.
BASIC_PROPS: dict[str, Any] = {
    "adminUserEnabled": False,
    "anonymousPullEnabled": False,
    "location": "westeurope",
    "publicNetworkAccess": "Enabled",
    "registryName": "crmlpdevweu2sewt",
    "resourceGroupName": "rg-mlp-dev-weu-1ixxg",
    "sku": {"name": "Basic"},
    "zoneRedundancy": "Disabled",
}




# (policy, compliant props, violating props, exact message)
CASES = [
    pytest.param(
        "azure-native-containerregistry-registry-disable-admin-user", changed(PREMIUM_PROPS, adminUserEnabled=DROP),
        changed(PREMIUM_PROPS, adminUserEnabled=True),
        "Container registry has its admin user enabled (adminUserEnabled is true): a shared username and password with "
        "push and pull rights; expected adminUserEnabled false.",
        id="admin-user",
    ),
    pytest.param(
        "azure-native-containerregistry-registry-disable-anonymous-pull", PREMIUM_PROPS,
        changed(PREMIUM_PROPS, anonymousPullEnabled=True),
        "Container registry lets anyone pull images without signing in: anonymousPullEnabled is true; expected false.",
        id="anonymous-pull",
    ),
    pytest.param(
        "azure-native-containerregistry-registry-disallow-public-network-access", changed(PREMIUM_PROPS, publicNetworkAccess="disabled"),
        BASIC_PROPS,
        "Container registry is reachable from public networks: publicNetworkAccess is 'Enabled'; expected 'Disabled'.",
        id="public-network",
    ),
    pytest.param(
        "azure-native-containerregistry-registry-disallow-public-network-access", PREMIUM_PROPS,
        changed(PREMIUM_PROPS, publicNetworkAccess=DROP),
        "Container registry is reachable from public networks: publicNetworkAccess is not set; expected 'Disabled'.",
        id="public-network-unset",
    ),
    pytest.param(
        "azure-native-containerregistry-registry-premium-sku", changed(PREMIUM_PROPS, sku={"name": "premium"}), BASIC_PROPS,
        "Container registry SKU supports no private endpoint, network rules or export control: sku.name is 'Basic'; "
        "expected 'Premium'.",
        id="premium-sku",
    ),
    pytest.param(
        "azure-native-containerregistry-registry-disable-exports", PREMIUM_PROPS,
        changed(PREMIUM_PROPS, policies__exportPolicy__status="enabled"),
        "Container registry allows artifacts to be exported ('az acr import' / transfer pipelines): "
        "policies.exportPolicy.status is 'enabled'; expected 'disabled'.",
        id="exports",
    ),
    pytest.param(
        "azure-native-containerregistry-registry-disable-exports", BASIC_PROPS, changed(PREMIUM_PROPS, policies=DROP),
        "Container registry allows artifacts to be exported ('az acr import' / transfer pipelines): "
        "policies.exportPolicy.status is not set; expected 'disabled'.",
        id="exports-unset-on-premium",
    ),
]


def test_every_registry_policy_has_cases() -> None:
    assert {case.values[0] for case in CASES} == set(POLICY)


@pytest.mark.parametrize(("name", "compliant", "violating", "message"), CASES)
def test_compliant_registry_passes(name: str, compliant: dict, violating: dict, message: str) -> None:
    assert run_resource_policy(POLICY[name], REGISTRY, compliant) == []


@pytest.mark.parametrize(("name", "compliant", "violating", "message"), CASES)
def test_violating_registry_reports_what_is_wrong_and_expected(name: str, compliant: dict, violating: dict, message: str) -> None:
    assert run_resource_policy(POLICY[name], REGISTRY, violating) == [message]


@pytest.mark.parametrize(("name", "compliant", "violating", "message"), CASES)
def test_waiver_makes_the_policy_not_applicable(name: str, compliant: dict, violating: dict, message: str) -> None:
    reason = "Sandbox registry for a vendor trial, deleted on 2026-12-31."
    waived = {"waivers": [{"resource": "subject", "reason": reason}]}
    assert run_resource_policy(POLICY[name], REGISTRY, violating, config=waived) == [f"not applicable: waived: {reason}"]
    other = {"waivers": [{"resource": "platform-cr", "reason": reason}]}
    assert run_resource_policy(POLICY[name], REGISTRY, violating, config=other) == [message]


def test_waiver_matches_the_urn_too() -> None:
    reason = "Sandbox registry for a vendor trial, deleted on 2026-12-31."
    urn = f"urn:pulumi:test::mlplatform::{REGISTRY}::subject"
    policy = POLICY["azure-native-containerregistry-registry-premium-sku"]
    assert run_resource_policy(policy, REGISTRY, BASIC_PROPS, config={"waivers": [{"resource": urn, "reason": reason}]}) == [
        f"not applicable: waived: {reason}"
    ]


def test_policies_ignore_the_azure_ml_registry() -> None:
    ml_registry = {"publicNetworkAccess": "Enabled", "sku": {"name": "Basic"}, "registryName": "mlr-mlp-shared-weu-krhx5"}
    for policy in container_registry.POLICIES:
        assert run_resource_policy(policy, "azure-native:machinelearningservices:Registry", ml_registry) == []


def test_catalog_entries_are_complete() -> None:
    for name in POLICY:
        doc = CATALOG[name]
        assert re.fullmatch(r"azure-native-containerregistry-registry-[a-z0-9-]+", name)
        assert doc.description and doc.rationale and doc.remediation
        assert doc.checks.endswith(".") and doc.checks.count(". ") == 0, "checks is one sentence"
        assert doc.url.startswith("https://learn.microsoft.com/")
        assert doc.controls.azure_policy, "every registry policy maps to an Azure Policy built-in"


# --- The shipped plans ---


def plan_violations(stack: str) -> dict[str, list[str]]:
    """Violation messages by policy of this module on a shipped stack."""
    return harness.plan_violations(preview_stack(stack), container_registry.POLICIES)


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_shipped_plan_passes_every_registry_policy(stack: str) -> None:
    assert plan_violations(stack) == {}


def test_dev_plan_violates_only_policies_relaxed_in_dev() -> None:
    found = plan_violations("dev")
    assert {name for name in found if "dev" not in CATALOG[name].relaxed_in} == set()
    # dev keeps a Basic registry to stay cheap: reported by the pack, as components/ml_workspace.py promises.
    assert set(found) == {
        "azure-native-containerregistry-registry-disallow-public-network-access",
        "azure-native-containerregistry-registry-premium-sku",
    }
