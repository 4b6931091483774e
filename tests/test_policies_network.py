"""Network policies: security rules (inline and standalone), subnets (resources and inline), and the private tier's
private endpoints, linked through the dependency graph as the engine links them; plus the shipped plans."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from tests.conftest import preview_stack
from tests import policy_harness as harness
from tests.policy_harness import StackResource, run_resource_policy, run_stack_policy

from mlplatform_policies import network  # noqa: E402 - importable once the harness has put policies/ on the path
from mlplatform_policies.base import CATALOG  # noqa: E402
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_STRING_VALUE, unknown_checking_proxy  # noqa: E402

NSG = "azure-native:network:NetworkSecurityGroup"
RULE = "azure-native:network:SecurityRule"
SUBNET = "azure-native:network:Subnet"
VNET = "azure-native:network:VirtualNetwork"
PE = "azure-native:network:PrivateEndpoint"
WORKSPACE = "azure-native:machinelearningservices:Workspace"
VAULT = "azure-native:keyvault:Vault"
ACCOUNT = "azure-native:storage:StorageAccount"
REGISTRY = "azure-native:containerregistry:Registry"

POLICY = {policy.name: policy for policy in network.POLICIES}
INTERNET_PORTS = POLICY["azure-native-network-networksecuritygroup-no-internet-management-ports"]
PRIVATE_SUBNET = POLICY["azure-native-network-subnet-disable-default-outbound-access"]
SUBNET_NSG = POLICY["azure-native-network-subnet-require-nsg"]
ENDPOINTS = POLICY["azure-native-network-privateendpoint-required"]
FIREWALL_IPS = POLICY["azure-native-network-firewall-ip-rules-public-and-bounded"]
#: Advisory in every environment (a shared landing-zone subnet may be deliberate); tests/test_landing_zone_network.py.
SHARED_SUBNET = "azure-native-network-privateendpoint-dedicated-subnet"
ADVISORY_EVERYWHERE = ("dev", "test", "staging", "prod", "shared", "bootstrap")

_RG = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-mlp-prod-weu-5skr8/providers/"
NSG_ID = _RG + "Microsoft.Network/networkSecurityGroups/nsg-mlp-pe-prod-weu-iee51"
SUBNET_ID = _RG + "Microsoft.Network/virtualNetworks/vnet-mlp-prod-weu-s8qvo/subnets/snet-mlp-pe-prod-weu-fuph6"
TAGS = {"costCenter": "CC-1001", "dataClassification": "confidential", "environment": "prod", "owner": "ml-platform-team"}

#: The private tier's NSG as the prod plan records it.
NSG_PROPS: dict[str, Any] = {
    "location": "westeurope",
    "networkSecurityGroupName": "nsg-mlp-pe-prod-weu-iee51",
    "resourceGroupName": "rg-mlp-prod-weu-5skr8",
    "securityRules": [
        {
            "access": "Deny",
            "description": "Private endpoints are never reached from the Internet.",
            "destinationAddressPrefix": "*",
            "destinationPortRange": "*",
            "direction": "Inbound",
            "name": "deny-internet-inbound",
            "priority": 4096.0,
            "protocol": "*",
            "sourceAddressPrefix": "Internet",
            "sourcePortRange": "*",
        }
    ],
    "tags": TAGS,
}
#: A standalone rule, as network.SecurityRule registers it.
RULE_PROPS: dict[str, Any] = {
    "access": "Allow",
    "destinationAddressPrefix": "*",
    "destinationPortRange": "22",
    "direction": "Inbound",
    "networkSecurityGroupName": "nsg-mlp-pe-prod-weu-iee51",
    "priority": 200.0,
    "protocol": "Tcp",
    "resourceGroupName": "rg-mlp-prod-weu-5skr8",
    "securityRuleName": "allow-ssh-from-bastion",
    "sourceAddressPrefix": "10.60.1.0/26",
    "sourcePortRange": "*",
}
#: The private tier's endpoint subnet as the prod plan records it.
SUBNET_PROPS: dict[str, Any] = {
    "addressPrefix": "10.60.0.0/24",
    "defaultOutboundAccess": False,
    "networkSecurityGroup": {"id": NSG_ID},
    "privateEndpointNetworkPolicies": "Enabled",
    "privateLinkServiceNetworkPolicies": "Enabled",
    "resourceGroupName": "rg-mlp-prod-weu-5skr8",
    "subnetName": "snet-mlp-pe-prod-weu-fuph6",
    "virtualNetworkName": "vnet-mlp-prod-weu-s8qvo",
}
#: A network declaring its subnets inline (the platform's own network leaves `subnets` unset).
VNET_PROPS: dict[str, Any] = {
    "addressSpace": {"addressPrefixes": ["10.70.0.0/22"]},
    "location": "westeurope",
    "resourceGroupName": "rg-mlp-prod-weu-5skr8",
    "subnets": [
        {"addressPrefix": "10.70.0.0/24", "defaultOutboundAccess": False, "name": "snet-app", "networkSecurityGroup": {"id": NSG_ID}},
        {"addressPrefix": "10.70.1.0/27", "defaultOutboundAccess": False, "name": "GatewaySubnet"},
    ],
    "virtualNetworkName": "vnet-mlp-hub-prod-weu",
}


def with_rule(**rule: Any) -> dict[str, Any]:
    """The prod NSG plus one inbound allow rule."""
    props = copy.deepcopy(NSG_PROPS)
    props["securityRules"].append(
        {"access": "Allow", "destinationAddressPrefix": "*", "direction": "Inbound", "priority": 100.0, "protocol": "Tcp",
         "sourcePortRange": "*", **rule}
    )
    return props


def changed(props: dict[str, Any], **values: Any) -> dict[str, Any]:
    out = copy.deepcopy(props)
    for key, value in values.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


EXPECTED_NO_PORTS = "expected no Inbound Allow rule from *, Internet or 0.0.0.0/0 to port 22, 3389 or 80."
EXPOSED = "Inbound security rules let the Internet reach management or plain-HTTP ports: "


# --- Security rules ---


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        pytest.param(NSG, NSG_PROPS, id="prod-nsg-deny-only"),
        pytest.param(
            NSG, with_rule(name="allow-https", sourceAddressPrefix="Internet", destinationPortRange="443"), id="https-from-internet"
        ),
        pytest.param(
            NSG, with_rule(name="allow-ssh-vnet", sourceAddressPrefix="VirtualNetwork", destinationPortRange="22"), id="ssh-from-vnet"
        ),
        pytest.param(NSG, with_rule(name="ping", protocol="Icmp", sourceAddressPrefix="*", destinationPortRange="*"), id="icmp"),
        pytest.param(NSG, with_rule(name="out", direction="Outbound", sourceAddressPrefix="*", destinationPortRange="22"), id="outbound"),
        pytest.param(NSG, with_rule(name="deny-rdp", access="Deny", sourceAddressPrefix="*", destinationPortRange="3389"), id="deny"),
        pytest.param(NSG, changed(NSG_PROPS, securityRules=None), id="no-rules"),
        pytest.param(RULE, RULE_PROPS, id="standalone-from-bastion-subnet"),
    ],
)
def test_rules_that_do_not_open_management_ports_to_the_internet_pass(resource_type: str, props: dict) -> None:
    assert run_resource_policy(INTERNET_PORTS, resource_type, props) == []


@pytest.mark.parametrize(
    ("resource_type", "props", "message"),
    [
        pytest.param(
            NSG, with_rule(name="allow-ssh", sourceAddressPrefix="Internet", destinationPortRange="22"),
            EXPOSED + "allow-ssh allows 'Internet' to port range '22', which includes 22 (SSH); " + EXPECTED_NO_PORTS,
            id="ssh-from-internet",
        ),
        pytest.param(
            NSG, with_rule(name="wide", sourceAddressPrefixes=["10.0.0.0/8", "0.0.0.0/0"], destinationPortRange="3000-3500"),
            EXPOSED + "wide allows '0.0.0.0/0' to port range '3000-3500', which includes 3389 (RDP); " + EXPECTED_NO_PORTS,
            id="rdp-in-a-range-from-a-prefix-list",
        ),
        pytest.param(
            NSG, with_rule(name="web", sourceAddressPrefix="*", destinationPortRanges=["443", "80"]),
            EXPOSED + "web allows '*' to port range '443', '80', which includes 80 (HTTP); " + EXPECTED_NO_PORTS,
            id="http-in-a-port-list",
        ),
        pytest.param(
            NSG, with_rule(name="any", protocol="*", sourceAddressPrefix="*", destinationPortRange="*"),
            EXPOSED + "any allows '*' to port range '*', which includes 22 (SSH), 3389 (RDP), 80 (HTTP); " + EXPECTED_NO_PORTS,
            id="everything",
        ),
        pytest.param(
            RULE, changed(RULE_PROPS, sourceAddressPrefix="Internet", securityRuleName="allow-rdp", destinationPortRange="3389",
                          direction="inbound", access="allow"),
            EXPOSED + "allow-rdp allows 'Internet' to port range '3389', which includes 3389 (RDP); " + EXPECTED_NO_PORTS,
            id="standalone-rule-lowercase-enums",
        ),
    ],
)
def test_rules_opening_management_ports_to_the_internet_are_reported(resource_type: str, props: dict, message: str) -> None:
    assert run_resource_policy(INTERNET_PORTS, resource_type, props) == [message]


def test_every_exposing_rule_of_an_nsg_is_listed() -> None:
    props = with_rule(name="allow-ssh", sourceAddressPrefix="Internet", destinationPortRange="22")
    props["securityRules"].append({**props["securityRules"][-1], "name": "allow-http", "priority": 110.0, "destinationPortRange": "80"})
    assert run_resource_policy(INTERNET_PORTS, NSG, props) == [
        EXPOSED + "allow-ssh allows 'Internet' to port range '22', which includes 22 (SSH); "
        "allow-http allows 'Internet' to port range '80', which includes 80 (HTTP); " + EXPECTED_NO_PORTS
    ]


# --- Subnets ---


def test_private_subnets_pass() -> None:
    assert run_resource_policy(PRIVATE_SUBNET, SUBNET, SUBNET_PROPS) == []
    assert run_resource_policy(PRIVATE_SUBNET, VNET, VNET_PROPS) == []
    assert run_resource_policy(PRIVATE_SUBNET, VNET, changed(VNET_PROPS, subnets=None)) == []


@pytest.mark.parametrize(
    ("resource_type", "props", "message"),
    [
        pytest.param(
            SUBNET, changed(SUBNET_PROPS, defaultOutboundAccess=None),
            "Subnet gives its machines implicit outbound Internet access: snet-mlp-pe-prod-weu-fuph6 (defaultOutboundAccess "
            "is not set); expected defaultOutboundAccess false, with egress through a NAT gateway or firewall where it is needed.",
            id="subnet-unset",
        ),
        pytest.param(
            VNET, {**VNET_PROPS, "subnets": [{**VNET_PROPS["subnets"][0], "defaultOutboundAccess": True}, VNET_PROPS["subnets"][1]]},
            "Subnet gives its machines implicit outbound Internet access: snet-app (defaultOutboundAccess is true); expected "
            "defaultOutboundAccess false, with egress through a NAT gateway or firewall where it is needed.",
            id="inline-subnet-true",
        ),
    ],
)
def test_subnets_with_default_outbound_access_are_reported(resource_type: str, props: dict, message: str) -> None:
    assert run_resource_policy(PRIVATE_SUBNET, resource_type, props) == [message]


def test_subnets_with_an_nsg_pass() -> None:
    assert run_resource_policy(SUBNET_NSG, SUBNET, SUBNET_PROPS) == []
    assert run_resource_policy(SUBNET_NSG, VNET, VNET_PROPS) == [], "GatewaySubnet takes no NSG"


def test_an_nsg_id_unknown_during_preview_counts_as_attached() -> None:
    props = unknown_checking_proxy({**SUBNET_PROPS, "networkSecurityGroup": {"id": UNKNOWN_STRING_VALUE}})
    assert run_resource_policy(SUBNET_NSG, SUBNET, props) == []


@pytest.mark.parametrize(
    ("resource_type", "props", "message"),
    [
        pytest.param(
            SUBNET, changed(SUBNET_PROPS, networkSecurityGroup=None),
            "Subnet has no network security group: snet-mlp-pe-prod-weu-fuph6 (networkSecurityGroup.id is not set); expected "
            "an NSG attached to every subnet except the Azure-managed gateway, firewall and route server subnets.",
            id="subnet",
        ),
        pytest.param(
            VNET, {**VNET_PROPS, "subnets": [{"name": "snet-data", "addressPrefix": "10.70.2.0/24", "defaultOutboundAccess": False},
                                             VNET_PROPS["subnets"][1]]},
            "Subnet has no network security group: snet-data (networkSecurityGroup.id is not set); expected an NSG attached "
            "to every subnet except the Azure-managed gateway, firewall and route server subnets.",
            id="inline-subnet",
        ),
    ],
)
def test_subnets_without_an_nsg_are_reported(resource_type: str, props: dict, message: str) -> None:
    assert run_resource_policy(SUBNET_NSG, resource_type, props) == [message]


# --- Firewall IP rules (the allow-list floor of components/firewall.py on the plan) ---


def storage_rules(*addresses: Any) -> dict[str, Any]:
    return {"accountName": "stmlpdevweu2sewt", "networkRuleSet": {"bypass": "AzureServices", "defaultAction": "Deny",
            "ipRules": [{"action": "Allow", "iPAddressOrRange": a} for a in addresses]}}


def vault_rules(*addresses: Any) -> dict[str, Any]:
    return {"vaultName": "kv-mlp-dev-weu-hciex", "properties": {"networkAcls": {"bypass": "AzureServices",
            "defaultAction": "Deny", "ipRules": [{"value": a} for a in addresses]}}}


def registry_rules(*addresses: Any) -> dict[str, Any]:
    return {"registryName": "crmlpprodweu", "networkRuleSet": {"defaultAction": "Deny",
            "ipRules": [{"action": "Allow", "iPAddressOrRange": a} for a in addresses]}}


WIDTH = ("expected a range no wider than /16 (an allow-list admits an organisation's egress addresses, never a large "
         "part of the Internet)")
PUBLIC = ("expected a public IPv4 address or range (Azure firewall IP rules match public client addresses only; private "
          "networks come in through private endpoints or virtual network rules)")


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        pytest.param(ACCOUNT, storage_rules("203.0.113.0/24", "198.51.100.7"), id="storage"),
        pytest.param(VAULT, vault_rules("20.40.0.0/17", "20.40.128.0/17"), id="vault-one-16"),
        pytest.param(REGISTRY, registry_rules("52.10.20.0/23"), id="registry"),
        pytest.param(ACCOUNT, {"accountName": "st", "networkRuleSet": {"defaultAction": "Deny"}}, id="no-rules"),
        pytest.param(REGISTRY, {"registryName": "cr", "publicNetworkAccess": "Disabled"}, id="no-rule-set"),
    ],
)
def test_firewalls_admitting_narrow_public_ranges_pass(resource_type: str, props: dict) -> None:
    assert run_resource_policy(FIREWALL_IPS, resource_type, props) == []


@pytest.mark.parametrize(
    ("resource_type", "props", "message"),
    [
        pytest.param(
            ACCOUNT, storage_rules("0.0.0.0/0"),
            "Storage account stmlpdevweu2sewt firewall admits what an allow-list must not: "
            f"networkRuleSet.ipRules[0].iPAddressOrRange '0.0.0.0/0' is a /0 (4,294,967,296 addresses); {WIDTH}.",
            id="storage-internet",
        ),
        pytest.param(
            VAULT, vault_rules("0.0.0.0/1", "128.0.0.0/1"),
            "Key Vault kv-mlp-dev-weu-hciex firewall admits what an allow-list must not: "
            f"properties.networkAcls.ipRules[0].value '0.0.0.0/1' is a /1 (2,147,483,648 addresses); {WIDTH}; "
            f"properties.networkAcls.ipRules[1].value '128.0.0.0/1' is a /1 (2,147,483,648 addresses); {WIDTH}.",
            id="vault-two-halves",
        ),
        pytest.param(
            VAULT, vault_rules("20.40.0.0/17", "20.40.128.0/17", "20.41.0.0/24"),
            "Key Vault kv-mlp-dev-weu-hciex firewall admits what an allow-list must not: its IP rules together are 3 "
            "ranges admitting 65,792 addresses; expected ranges that together admit at most 65,536 addresses (one /16), "
            "overlaps merged.",
            id="vault-more-than-a-16",
        ),
        pytest.param(
            REGISTRY, registry_rules("52.10.20.0/23", "10.0.0.0/8"),
            "Container registry crmlpprodweu firewall admits what an allow-list must not: "
            "networkRuleSet.ipRules[1].iPAddressOrRange '10.0.0.0/8' is a range in the private (RFC 1918) block "
            f"10.0.0.0/8; {PUBLIC}.",
            id="registry-private",
        ),
        pytest.param(
            ACCOUNT, storage_rules("::/0"),
            "Storage account stmlpdevweu2sewt firewall admits what an allow-list must not: "
            "networkRuleSet.ipRules[0].iPAddressOrRange '::/0' is not an IPv4 address or CIDR range; expected an IPv4 "
            "address or CIDR range such as 203.0.113.0/24.",
            id="storage-ipv6",
        ),
    ],
)
def test_firewalls_admitting_too_much_are_reported_with_resource_range_and_rule(resource_type: str, props: dict, message: str) -> None:
    assert run_resource_policy(FIREWALL_IPS, resource_type, props) == [message]


def test_an_ip_rule_unknown_during_preview_is_reported_not_passed() -> None:
    props = unknown_checking_proxy(storage_rules(UNKNOWN_STRING_VALUE))
    assert run_resource_policy(FIREWALL_IPS, ACCOUNT, props) == [
        "Storage account stmlpdevweu2sewt firewall admits what an allow-list must not: "
        "networkRuleSet.ipRules[0].iPAddressOrRange is not known until deployment, so it cannot be checked."
    ]
    rules = unknown_checking_proxy({"accountName": "st", "networkRuleSet": {"defaultAction": "Deny", "ipRules": UNKNOWN_ARRAY_VALUE}})
    assert run_resource_policy(FIREWALL_IPS, ACCOUNT, rules) == [
        "Storage account st firewall admits what an allow-list must not: networkRuleSet.ipRules is not known until "
        "deployment, so it cannot be checked."
    ]


def test_the_dev_plan_carries_its_allow_list_into_the_firewalls_the_policy_checks() -> None:
    """Guard against a vacuous pass: the dev plan's storage and vault rules are checked, and a widened one is caught."""
    plan = copy.deepcopy(preview_stack("dev"))
    account = next(r for r in plan.resources if r.type == ACCOUNT)
    vault = next(r for r in plan.resources if r.type == VAULT)
    assert run_resource_policy(FIREWALL_IPS, ACCOUNT, account.inputs) == []
    assert vault.inputs["properties"]["networkAcls"]["ipRules"] == [{"value": "203.0.113.0/24"}]
    account.inputs["networkRuleSet"]["ipRules"].append({"action": "Allow", "iPAddressOrRange": "0.0.0.0/0"})
    assert harness.plan_violations(plan, network.POLICIES)["azure-native-network-firewall-ip-rules-public-and-bounded"] == [
        f"Storage account {account.inputs['accountName']} firewall admits what an allow-list must not: "
        f"networkRuleSet.ipRules[1].iPAddressOrRange '0.0.0.0/0' is a /0 (4,294,967,296 addresses); {WIDTH}."
    ]


# --- Waivers of resource policies ---


@pytest.mark.parametrize(
    ("policy", "resource_type", "props"),
    [
        pytest.param(
            INTERNET_PORTS, NSG, with_rule(name="allow-ssh", sourceAddressPrefix="Internet", destinationPortRange="22"), id="ports"
        ),
        pytest.param(PRIVATE_SUBNET, SUBNET, changed(SUBNET_PROPS, defaultOutboundAccess=True), id="outbound"),
        pytest.param(SUBNET_NSG, SUBNET, changed(SUBNET_PROPS, networkSecurityGroup=None), id="nsg"),
        pytest.param(FIREWALL_IPS, ACCOUNT, storage_rules("0.0.0.0/0"), id="firewall-ip-rules"),
    ],
)
def test_waiver_makes_a_resource_policy_not_applicable(policy: Any, resource_type: str, props: dict) -> None:
    reason = "Jump-box subnet of the migration, removed in Q3 (ticket NET-7)."
    waived = {"waivers": [{"resource": "subject", "reason": reason}]}
    assert run_resource_policy(policy, resource_type, props, config=waived) == [f"not applicable: waived: {reason}"]


# --- Private endpoints (stack policy) ---

PRIVATE = "while the platform is private (workspace platform-mlw has publicNetworkAccess 'Disabled')"


def urn(resource_type: str, name: str) -> str:
    return f"urn:pulumi:test::mlplatform::{resource_type}::{name}"


def private_tier(workspace_access: str = "Disabled", endpoints: dict[str, tuple[str, str]] | None = None) -> list[StackResource]:
    """The private tier's resources as stack policies see them: outputs, endpoints linked to their targets by
    ``privateLinkServiceConnections`` property dependencies. ``endpoints`` maps key -> (group id, target name)."""
    if endpoints is None:
        endpoints = {
            "workspace": ("amlworkspace", "platform-mlw"),
            "vault": ("vault", "platform-kv"),
            "blob": ("blob", "platform-st"),
            "file": ("file", "platform-st"),
            "dfs": ("dfs", "platform-st"),
            "registry": ("registry", "platform-cr"),
        }
    ids = {
        "platform-mlw": _RG + "Microsoft.MachineLearningServices/workspaces/mlw-mlp-prod-weu-1jbwf",
        "platform-kv": _RG + "Microsoft.KeyVault/vaults/kv-mlp-prod-weu-vcolv",
        "platform-st": _RG + "Microsoft.Storage/storageAccounts/stmlpprodweuz9xue",
        "platform-cr": _RG + "Microsoft.ContainerRegistry/registries/crmlpprodweu1lft2",
    }
    resources = [
        StackResource(VAULT, "platform-kv", {"id": ids["platform-kv"], "properties": {"publicNetworkAccess": "Disabled"}}),
        StackResource(ACCOUNT, "platform-st", {"id": ids["platform-st"], "publicNetworkAccess": "Disabled"}),
        StackResource(REGISTRY, "platform-cr", {"id": ids["platform-cr"], "publicNetworkAccess": "Disabled", "sku": {"name": "Premium"}}),
        StackResource(
            WORKSPACE, "platform-mlw", {"id": ids["platform-mlw"], "publicNetworkAccess": workspace_access},
            depends_on=["platform-kv", "platform-st", "platform-cr"],
            property_dependencies={"keyVault": ["platform-kv"], "storageAccount": ["platform-st"], "containerRegistry": ["platform-cr"]},
        ),
        StackResource(SUBNET, "network-snet-pe", {**SUBNET_PROPS, "id": SUBNET_ID}),
    ]
    for key, (group, target) in endpoints.items():
        name = f"pep-mlp-{key}-prod-weu"
        resources.append(
            StackResource(
                PE, f"network-pep-{key}",
                {
                    "id": _RG + f"Microsoft.Network/privateEndpoints/{name}",
                    "privateEndpointName": name,
                    "privateLinkServiceConnections": [{"groupIds": [group], "name": name, "privateLinkServiceId": ids[target]}],
                    "subnet": {"id": SUBNET_ID},
                },
                depends_on=[target, "network-snet-pe"],
                property_dependencies={"privateLinkServiceConnections": [target], "subnet": ["network-snet-pe"]},
            )
        )
    return resources


def test_private_tier_with_every_endpoint_passes() -> None:
    assert run_stack_policy(ENDPOINTS, private_tier()) == []


def test_managed_tier_needs_no_private_endpoints() -> None:
    assert run_stack_policy(ENDPOINTS, private_tier(workspace_access="Enabled", endpoints={})) == []


def test_missing_private_endpoint_is_reported_on_its_target() -> None:
    resources = [r for r in private_tier() if r.name != "network-pep-vault"]
    assert run_stack_policy(ENDPOINTS, resources) == [
        (
            urn(VAULT, "platform-kv"),
            f"Key Vault platform-kv has no private endpoint {PRIVATE}; expected a network:PrivateEndpoint whose "
            "privateLinkServiceConnections reference it with groupIds ['vault'].",
        )
    ]


def test_endpoints_for_other_groups_do_not_count() -> None:
    resources = [r for r in private_tier() if r.name != "network-pep-blob"]
    assert run_stack_policy(ENDPOINTS, resources) == [
        (
            urn(ACCOUNT, "platform-st"),
            f"Storage account platform-st has private endpoints only for groups dfs, file {PRIVATE}; expected a "
            "network:PrivateEndpoint whose privateLinkServiceConnections reference it with groupIds ['blob'].",
        )
    ]


def test_an_endpoint_counts_for_the_resource_it_is_linked_to_not_its_group_alone() -> None:
    endpoints = {
        "workspace": ("amlworkspace", "platform-mlw"),
        "vault": ("vault", "platform-kv"),
        "blob": ("blob", "platform-st"),
        "registry": ("registry", "platform-st"),  # wired to the wrong resource
    }
    assert run_stack_policy(ENDPOINTS, private_tier(endpoints=endpoints)) == [
        (
            urn(REGISTRY, "platform-cr"),
            f"Container registry platform-cr has no private endpoint {PRIVATE}; expected a network:PrivateEndpoint whose "
            "privateLinkServiceConnections reference it with groupIds ['registry'].",
        )
    ]


def test_an_endpoint_linked_through_plain_dependencies_counts() -> None:
    resources = private_tier()
    for resource in resources:
        if resource.type == PE:
            resource.property_dependencies = {}
    assert run_stack_policy(ENDPOINTS, resources) == []


def test_group_ids_unknown_during_preview_give_the_benefit_of_the_doubt() -> None:
    resources = private_tier()
    vault_endpoint = next(r for r in resources if r.name == "network-pep-vault")
    connection = {**vault_endpoint.props["privateLinkServiceConnections"][0], "groupIds": UNKNOWN_ARRAY_VALUE}
    vault_endpoint.props = unknown_checking_proxy({**vault_endpoint.props, "privateLinkServiceConnections": [connection]})
    assert run_stack_policy(ENDPOINTS, resources) == []


def test_a_stack_waiver_silences_its_resource_only() -> None:
    resources = [r for r in private_tier() if r.name not in ("network-pep-vault", "network-pep-registry")]
    waived = {"waivers": [{"resource": "platform-kv", "reason": "Vault reached over the hub's endpoint (NET-12)."}]}
    assert [u for u, _ in run_stack_policy(ENDPOINTS, resources, config=waived)] == [urn(REGISTRY, "platform-cr")]


# --- Catalog and shipped plans ---


def test_catalog_entries_are_complete() -> None:
    for name in POLICY:
        doc = CATALOG[name]
        assert re.fullmatch(r"azure-native-network-[a-z]+-[a-z0-9-]+", name)
        assert doc.description and doc.rationale and doc.remediation
        assert doc.checks.endswith(".") and doc.checks.count(". ") == 0, "checks is one sentence"
        assert doc.url.startswith("https://learn.microsoft.com/")
        assert doc.relaxed_in == (ADVISORY_EVERYWHERE if name == SHARED_SUBNET else ())


def plan_violations(stack: str) -> dict[str, list[str]]:
    """Violation messages by policy of this module on a shipped stack."""
    return harness.plan_violations(preview_stack(stack), network.POLICIES)


@pytest.mark.parametrize("stack", ["prod", "staging", "dev", "bootstrap"])
def test_shipped_plans_pass_every_network_policy(stack: str) -> None:
    assert plan_violations(stack) == {}


def test_prod_private_tier_is_what_the_endpoint_policy_checks() -> None:
    """Guard against a vacuous pass: prod is private, and dropping its vault endpoint is caught."""
    plan = preview_stack("prod")
    created = [r for r in plan.resources if r.custom and r.operation == "create" and r.name != "network-pep-vault"]
    names = {r.urn: r.name for r in created}
    linked = [
        StackResource(r.type, r.name, r.outputs, [names[u] for u in r.dependencies if u in names],
                      {k: [names[u] for u in v if u in names] for k, v in r.property_dependencies.items()})
        for r in created
    ]
    assert [message.split(" has ")[0] for _, message in run_stack_policy(ENDPOINTS, linked)] == ["Key Vault platform-kv"]


# --- The managed network reaches every registry the stack's assets come from ---

REACHES_REGISTRIES = POLICY["azure-native-network-mlworkspace-managed-network-reaches-registries"]
DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
SCHEDULE = "azure-native:machinelearningservices:Schedule"
SHARED_REGISTRY_ID = ("/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-mlp-registry-shared-weu-okv4b"
                      "/providers/Microsoft.MachineLearningServices/registries/mlr-mlp-shared-weu-krhx5")


def registry_user_stack(isolation: str = "AllowOnlyApprovedOutbound", rules: dict[str, Any] | None = None) -> list[StackResource]:
    """A workspace with ``rules`` and two resources using assets of the shared registry, as the prod plan has them."""
    if rules is None:
        rules = {"shared-registry": {"type": "PrivateEndpoint", "category": "UserDefined", "destination": {
            "serviceResourceId": SHARED_REGISTRY_ID, "subresourceTarget": "amlregistry", "sparkEnabled": True}}}
    return [
        StackResource(WORKSPACE, "platform-mlw", {"name": "mlw-mlp-prod", "managedNetwork": {"isolationMode": isolation, "outboundRules": rules}}),
        StackResource(DEPLOYMENT, "endpoint-fraud-blue", {"properties": {
            "model": "azureml://registries/mlr-mlp-shared-weu-krhx5/models/fraud-classifier/versions/1"}}),
        StackResource(SCHEDULE, "retraining", {"properties": {"action": {"jobDefinition": {
            "componentId": "azureml://registries/mlr-mlp-shared-weu-krhx5/components/training_pipeline/labels/latest"}}}}),
    ]


def test_a_private_endpoint_rule_to_the_registry_passes() -> None:
    assert run_stack_policy(REACHES_REGISTRIES, registry_user_stack()) == []


def test_approved_outbound_without_a_rule_to_the_registry_is_reported_on_the_workspace() -> None:
    """FQDN rules do not reach a registry with public access disabled; the message names who uses it."""
    rules = {"pkg-pypi-org": {"type": "FQDN", "category": "UserDefined", "destination": "pypi.org"}}
    assert run_stack_policy(REACHES_REGISTRIES, registry_user_stack(rules=rules)) == [(
        urn(WORKSPACE, "platform-mlw"),
        "Machine Learning workspace mlw-mlp-prod allows only approved outbound, but its managed network has no private "
        "endpoint rule to registry mlr-mlp-shared-weu-krhx5, whose assets endpoint-fraud-blue, retraining use; expected "
        "an outbound rule of type PrivateEndpoint with destination.subresourceTarget 'amlregistry' and "
        "destination.serviceResourceId ending in /registries/mlr-mlp-shared-weu-krhx5.",
    )]


def test_a_rule_to_another_registry_or_group_does_not_count() -> None:
    other = {"type": "PrivateEndpoint", "destination": {"serviceResourceId": SHARED_REGISTRY_ID.replace("krhx5", "other"), "subresourceTarget": "amlregistry"}}
    blob = {"type": "PrivateEndpoint", "destination": {"serviceResourceId": SHARED_REGISTRY_ID, "subresourceTarget": "blob"}}
    for rule in (other, blob):
        assert len(run_stack_policy(REACHES_REGISTRIES, registry_user_stack(rules={"r": rule}))) == 1, rule


def test_internet_outbound_and_stacks_without_registry_assets_are_not_checked() -> None:
    assert run_stack_policy(REACHES_REGISTRIES, registry_user_stack("AllowInternetOutbound", rules={})) == []
    workspace_only = registry_user_stack(rules={})[:1]
    assert run_stack_policy(REACHES_REGISTRIES, workspace_only) == []


def test_the_prod_plan_reaches_its_registry_and_would_not_without_the_rule() -> None:
    """Guard against a vacuous pass: prod uses registry assets, and dropping its shared-registry rule is caught."""
    resources = harness.plan_stack_resources(preview_stack("prod"))
    assert run_stack_policy(REACHES_REGISTRIES, resources) == []
    workspace = next(r for r in resources if r.type == WORKSPACE)
    del workspace.props["managedNetwork"]["outboundRules"]["shared-registry"]
    (finding,) = run_stack_policy(REACHES_REGISTRIES, resources)
    assert "no private endpoint rule to registry mlr-mlp-shared-weu-" in finding[1]
    assert "endpoint-fraud-blue, endpoint-fraud-green, retraining" in finding[1]


def test_a_registry_rule_unknown_during_preview_passes_and_unknown_references_are_skipped() -> None:
    """A destination not known yet cannot be compared: the check does not decide. A reference unknown yet is no
    reference."""
    unknown_rule = {"r": {"type": "PrivateEndpoint", "destination": {"serviceResourceId": UNKNOWN_STRING_VALUE, "subresourceTarget": "amlregistry"}}}
    resources = registry_user_stack(rules=unknown_rule)
    resources[0].props = unknown_checking_proxy(resources[0].props)
    assert run_stack_policy(REACHES_REGISTRIES, resources) == []
    resources = registry_user_stack(rules={})
    for user in resources[1:]:
        user.props = unknown_checking_proxy({"properties": {"model": UNKNOWN_STRING_VALUE, "componentId": UNKNOWN_STRING_VALUE}})
    assert run_stack_policy(REACHES_REGISTRIES, resources) == []
