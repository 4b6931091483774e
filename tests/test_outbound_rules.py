"""Managed network outbound rules of every type, per stack: FQDN, service tag and private endpoint rules as the
stack file gives them, validated (a bad resource ID, a sub-resource the resource type does not have, two rules for
one destination, a rule type the mode cannot take: exit 2 naming the key), in the plan as Azure takes them, and in
the cost estimate with what drives each line (a private endpoint per private endpoint rule; the Azure Firewall of
FQDN rules, at the stack's firewall SKU).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from blueprint.program.project import load_project
from blueprint.tools.cost import HOURS_PER_MONTH, estimate, estimate_plan, load_prices
from blueprint.tools.preview.plan import Plan
from blueprint.tools.preview.runner import run_program
from components.ml_workspace import MlWorkspace
from components.options import NetworkMode
from components.private_link_groups import MANAGED_NETWORK_TARGETS, parse_resource_id, subresource_problem
from tests.badinput import PROJECT, BadInput, check_bad_input
from tests.conftest import REPO, SHIPPED_STACKS, only, preview_stack, run_component, stack_config
from tests.test_cost import TABLE, plan_of, workspace
from tests.test_ml_workspace import workspace_args

WORKSPACE = "azure-native:machinelearningservices:Workspace"
SUBSCRIPTION = "/subscriptions/11111111-2222-3333-4444-555555555555"
LAKE = f"{SUBSCRIPTION}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stlake"
VAULT = f"{SUBSCRIPTION}/resourceGroups/rg-data/providers/Microsoft.KeyVault/vaults/kv-data"
SEARCH = f"{SUBSCRIPTION}/resourceGroups/rg-ai/providers/Microsoft.Search/searchServices/srch-docs"

#: One rule of each type, and a second private endpoint to the same account's other sub-resource.
RULES = {
    "hub": {"fqdn": "huggingface.co"},
    "datafactory": {"serviceTag": "DataFactory", "protocol": "TCP", "portRanges": "80,8080-8089"},
    "lake-blob": {"serviceResourceId": LAKE, "subresourceTarget": "blob", "sparkEnabled": True},
    "lake-dfs": {"serviceResourceId": LAKE, "subresourceTarget": "dfs"},
}


def preview_with_network(stack: str, network: dict[str, Any]) -> Plan:
    config = dict(stack_config(stack))
    config["mlplatform:network"] = json.dumps(network)
    return run_program(load_project(REPO), stack, config)


def rules_of(plan: Plan) -> dict[str, Any]:
    return only(plan, WORKSPACE).inputs["managedNetwork"].get("outboundRules") or {}


@pytest.fixture(scope="module")
def staging_plan() -> Plan:
    return preview_with_network("staging", {"mode": "managed", "outboundRules": RULES, "firewallSku": "Basic"})


# --- the plan --------------------------------------------------------------------------------------------------------


def test_fqdn_rule_reaches_the_plan_as_azure_takes_it(staging_plan):
    assert rules_of(staging_plan)["hub"] == {"type": "FQDN", "category": "UserDefined", "destination": "huggingface.co"}


def test_service_tag_rule_reaches_the_plan_with_its_protocol_ports_and_allow(staging_plan):
    assert rules_of(staging_plan)["datafactory"] == {
        "type": "ServiceTag",
        "category": "UserDefined",
        "destination": {"serviceTag": "DataFactory", "protocol": "TCP", "portRanges": "80,8080-8089", "action": "Allow"},
    }


def test_private_endpoint_rules_reach_the_plan_beside_the_shared_registry(staging_plan):
    rules = rules_of(staging_plan)
    assert rules["lake-blob"] == {
        "type": "PrivateEndpoint",
        "category": "UserDefined",
        "destination": {"serviceResourceId": LAKE, "subresourceTarget": "blob", "sparkEnabled": True},
    }
    assert rules["lake-dfs"]["destination"] == {"serviceResourceId": LAKE, "subresourceTarget": "dfs", "sparkEnabled": False}
    assert rules["shared-registry"]["destination"]["subresourceTarget"] == "amlregistry"


def test_the_firewall_sku_is_the_stacks_and_absent_by_default(staging_plan):
    assert only(staging_plan, WORKSPACE).inputs["managedNetwork"]["firewallSku"] == "Basic"
    for stack in SHIPPED_STACKS:  # Azure's default (Standard): the shipped plans do not set it
        assert "firewallSku" not in only(preview_stack(stack), WORKSPACE).inputs["managedNetwork"]


def test_public_mode_takes_private_endpoint_rules():
    """Dev allows Internet outbound, but a resource with public access disabled is reached privately only."""
    plan = preview_with_network("dev", {"mode": "public", "allowedIpRanges": ["203.0.113.0/24"],
                                        "outboundRules": {"vault": {"serviceResourceId": VAULT, "subresourceTarget": "vault"}}})
    network = only(plan, WORKSPACE).inputs["managedNetwork"]
    assert network["isolationMode"] == "AllowInternetOutbound"
    assert network["outboundRules"]["vault"]["destination"]["serviceResourceId"] == VAULT
    assert {rule["type"] for rule in network["outboundRules"].values()} == {"PrivateEndpoint"}


def test_the_component_refuses_a_firewall_sku_azure_does_not_have():
    plan = run_component(lambda: MlWorkspace("platform", workspace_args(network_mode=NetworkMode.MANAGED, firewall_sku="Basic")))
    assert only(plan, WORKSPACE).inputs["managedNetwork"]["firewallSku"] == "Basic"
    with pytest.raises(ValueError, match="firewall SKU 'Premium' is not one of Standard, Basic"):
        workspace_args_run = workspace_args(network_mode=NetworkMode.MANAGED, firewall_sku="Premium")
        run_component(lambda: MlWorkspace("platform", workspace_args_run))


# --- the cost estimate -----------------------------------------------------------------------------------------------


def test_each_private_endpoint_rule_and_the_basic_firewall_are_priced_with_what_drives_them(staging_plan):
    prices = load_prices()
    region = prices.region("westeurope")
    est = estimate_plan(staging_plan, prices)
    assert est is not None
    lines = [line for line in est.lines if line.resource == "platform-mlw"]
    endpoints = [line for line in lines if "private endpoint" in line.description]
    assert sorted(line.description.split("outbound rule ")[1].split(" ")[0] for line in endpoints) == ["lake-blob", "lake-dfs", "shared-registry"]
    assert all(line.monthly == region.fixed("privateEndpoint").value for line in endpoints)
    assert any("Microsoft.Storage/storageAccounts/stlake (dfs)" in line.description for line in endpoints)
    (firewall,) = [line for line in lines if "Firewall" in line.description]
    assert firewall.monthly == region.fixed("managedNetworkFirewallBasic").value
    assert firewall.description.startswith("Azure Firewall Basic in the managed network, deployed because of FQDN outbound rules (hub, pkg-")


def test_shipped_estimates_count_the_shared_registry_rule(staging_plan):
    """Every shipped stack has one private endpoint rule (shared-registry): one private endpoint each, and the
    Standard firewall where FQDN rules exist (staging, prod)."""
    region = load_prices().region("westeurope")
    for stack in SHIPPED_STACKS:
        est = estimate_plan(preview_stack(stack))
        assert est is not None
        lines = [line for line in est.lines if line.resource == "platform-mlw"]
        (endpoint,) = [line for line in lines if "private endpoint" in line.description]
        assert "outbound rule shared-registry to Microsoft.MachineLearningServices/registries/" in endpoint.description
        assert endpoint.monthly == region.fixed("privateEndpoint").value == pytest.approx(0.01 * HOURS_PER_MONTH)
        firewalls = [line.monthly for line in lines if "Firewall" in line.description]
        assert firewalls == ([] if stack == "dev" else [region.fixed("managedNetworkFirewall").value])


def test_endpoint_rules_are_priced_in_every_mode_and_the_firewall_only_with_approved_outbound(tmp_path: Path):
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(TABLE), encoding="utf-8")
    prices = load_prices(path)
    rules = {
        "lake": {"type": "PrivateEndpoint", "destination": {"serviceResourceId": LAKE, "subresourceTarget": "blob"}},
        "later": {"type": "PrivateEndpoint", "destination": {"subresourceTarget": "amlregistry"}},
        "pypi": {"type": "FQDN", "destination": "pypi.org"},
    }
    open_network = workspace("mlw-open", {"isolationMode": "AllowInternetOutbound", "outboundRules": rules})
    est = estimate(plan_of(open_network), prices, location="westeurope", peak_hours_per_month=0, budget_monthly=None)
    assert [line.monthly for line in est.lines] == [7.0, 7.0]  # no firewall: FQDN rules need approved outbound
    assert "to a resource known at deployment (amlregistry)" in est.lines[1].description
    closed = workspace("mlw", {"isolationMode": "AllowOnlyApprovedOutbound", "outboundRules": rules})
    est = estimate(plan_of(closed), prices, location="westeurope", peak_hours_per_month=0, budget_monthly=None)
    assert est.fixed_monthly == 7.0 + 7.0 + 900.0
    disabled = workspace("mlw-off", {"isolationMode": "Disabled", "outboundRules": rules})
    assert estimate(plan_of(disabled), prices, location="westeurope", peak_hours_per_month=0, budget_monthly=None).lines == []


# --- the catalog -----------------------------------------------------------------------------------------------------


def test_resource_ids_are_parsed_only_when_well_formed():
    parsed = parse_resource_id(LAKE)
    assert parsed is not None and (parsed.resource_group, parsed.resource_type, parsed.name) == ("rg-data", "Microsoft.Storage/storageAccounts", "stlake")
    for bad in (
        "/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st",
        f"{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts",  # no name
        f"{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st/blobServices/default",  # a child
        f"{SUBSCRIPTION}/resourceGroups/rg./providers/Microsoft.Storage/storageAccounts/st",  # group ends in a period
        "stlake",
    ):
        assert parse_resource_id(bad) is None, bad


def test_subresources_are_checked_for_the_types_the_managed_network_supports():
    assert subresource_problem(LAKE, "dfs") is None and subresource_problem(LAKE, "DFS") is None
    assert subresource_problem(VAULT, "blob") == "a sub-resource of Azure Key Vault (Microsoft.KeyVault/vaults): vault"
    assert subresource_problem(SEARCH, "searchService") is None
    unknown = f"{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Example/widgets/w1"
    assert subresource_problem(unknown, "anything") is None  # a type the catalog does not know: taken as written
    assert {"microsoft.machinelearningservices/workspaces", "microsoft.machinelearningservices/registries",
            "microsoft.storage/storageaccounts", "microsoft.keyvault/vaults", "microsoft.containerregistry/registries"} <= set(MANAGED_NETWORK_TARGETS)
    assert all(key == key.lower() for key in MANAGED_NETWORK_TARGETS)


# --- bad stack files: exit 2 naming the key --------------------------------------------------------------------------

STAGING = (REPO / "stacks" / "Pulumi.staging.yaml").read_text()
DEV = (REPO / "stacks" / "Pulumi.dev.yaml").read_text()
PREVIEW_STAGING = ("preview", "staging", "--program", PROJECT, "--no-policies")
PREVIEW_DEV = ("preview", "dev", "--program", PROJECT, "--no-policies")


def staging_rules(*lines: str, extra: str = "") -> dict[str, str]:
    """The staging stack file with ``lines`` as its network's outbound rules (and ``extra`` network keys)."""
    anchor = "    mode: managed\n"
    assert anchor in STAGING
    block = anchor + extra + "    outboundRules:\n" + "".join(f"      {line}\n" for line in lines)
    return {"stacks/Pulumi.staging.yaml": STAGING.replace(anchor, block, 1)}


def dev_network(*lines: str) -> dict[str, str]:
    anchor = "    mode: public\n"
    assert anchor in DEV
    return {"stacks/Pulumi.dev.yaml": DEV.replace(anchor, anchor + "".join(f"    {line}\n" for line in lines), 1)}


BAD = [
    BadInput("resource-id-not-a-resource-id", PREVIEW_STAGING,
             ["stacks/Pulumi.staging.yaml", "mlplatform:network.outboundRules.lake.serviceResourceId: expected the ARM ID of a resource"],
             staging_rules("lake: {serviceResourceId: /subscriptions/x/storageAccounts/stlake, subresourceTarget: blob}")),
    BadInput("subresource-of-another-type", PREVIEW_STAGING,
             ["mlplatform:network.outboundRules.kv.subresourceTarget: expected a sub-resource of Azure Key Vault (Microsoft.KeyVault/vaults): vault",
              'found string "blob"'],
             staging_rules(f"kv: {{serviceResourceId: {VAULT}, subresourceTarget: blob}}")),
    BadInput("same-endpoint-twice", PREVIEW_STAGING,
             ["mlplatform:network.outboundRules.lake2: expected a destination no other outbound rule has (it repeats item lake)"],
             staging_rules(f"lake: {{serviceResourceId: {LAKE}, subresourceTarget: blob}}",
                           f"lake2: {{serviceResourceId: '{LAKE.replace('resourceGroups/rg-data', 'resourcegroups/RG-DATA')}', subresourceTarget: Blob}}")),
    BadInput("same-host-twice", PREVIEW_STAGING,
             ["mlplatform:network.outboundRules.hub2: expected a destination no other outbound rule has (it repeats item hub)"],
             staging_rules("hub: {fqdn: huggingface.co}", "hub2: {fqdn: huggingface.co}")),
    BadInput("same-service-tag-twice", PREVIEW_STAGING,
             ["mlplatform:network.outboundRules.monitor2: expected a destination no other outbound rule has (it repeats item monitor)"],
             staging_rules("monitor: {serviceTag: AzureMonitor}", "monitor2: {serviceTag: azuremonitor, protocol: TCP, portRanges: '443'}")),
    BadInput("endpoint-rule-missing-its-subresource", PREVIEW_STAGING,
             ["mlplatform:network.outboundRules.lake.subresourceTarget: expected the resource's private link sub-resource", "nothing (the key is required)"],
             staging_rules(f"lake: {{serviceResourceId: {LAKE}}}")),
    BadInput("fqdn-rule-in-public-mode", PREVIEW_DEV,
             ["stacks/Pulumi.dev.yaml", "mlplatform:network.outboundRules.hub: expected a private endpoint rule in public mode"],
             dev_network("outboundRules:", "  hub: {fqdn: huggingface.co}")),
    BadInput("firewall-sku-in-public-mode", PREVIEW_DEV,
             ["mlplatform:network.firewallSku: expected no firewall SKU in public mode"],
             dev_network("firewallSku: Basic")),
    BadInput("firewall-sku-azure-does-not-have", PREVIEW_STAGING,
             ["mlplatform:network.firewallSku: expected one of Standard, Basic", 'found string "Premium"'],
             staging_rules("hub: {fqdn: huggingface.co}", extra="    firewallSku: Premium\n")),
]


@pytest.mark.parametrize("row", [row.param() for row in BAD])
def test_a_bad_outbound_rule_is_refused_naming_its_key(project_copy, capsys, row):
    check_bad_input(row, project_copy, capsys)
