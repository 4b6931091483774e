"""PrivateNetwork under the ARM mocks: endpoints wired to their targets, private DNS complete, the subnet closed."""

from __future__ import annotations

import ipaddress
from typing import Any

import pulumi
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.naming import KIND_OF_TYPE, ResourceKind, validate_name
from components.private_network import (
    DENY_INTERNET_RULE,
    PRIVATE_DNS_ZONES,
    PrivateNetwork,
    PrivateNetworkArgs,
    subnet_prefix,
    zone_qualifier,
    zones_for,
)
from components.tags import MissingTagsError
from tests.conftest import only, run_component, tags

COMPONENT = "mlplatform:index:PrivateNetwork"
VNET = "azure-native:network:VirtualNetwork"
SUBNET = "azure-native:network:Subnet"
NSG = "azure-native:network:NetworkSecurityGroup"
PE = "azure-native:network:PrivateEndpoint"
DNS_GROUP = "azure-native:network:PrivateDnsZoneGroup"
ZONE = "azure-native:privatedns:PrivateZone"
LINK = "azure-native:privatedns:VirtualNetworkLink"

_RG = "/subscriptions/00000000-0000-4000-8000-000000000009/resourceGroups/rg-data/providers/"
TARGETS = [
    {"key": "workspace", "resource_id": _RG + "Microsoft.MachineLearningServices/workspaces/mlw1", "group_id": "amlworkspace"},
    {"key": "mlregistry", "resource_id": _RG + "Microsoft.MachineLearningServices/registries/mlr1", "group_id": "amlregistry"},
    {"key": "vault", "resource_id": _RG + "Microsoft.KeyVault/vaults/kv1", "group_id": "vault"},
    {"key": "blob", "resource_id": _RG + "Microsoft.Storage/storageAccounts/st1", "group_id": "blob"},
    {"key": "file", "resource_id": _RG + "Microsoft.Storage/storageAccounts/st1", "group_id": "file"},
    {"key": "dfs", "resource_id": _RG + "Microsoft.Storage/storageAccounts/st1", "group_id": "dfs"},
    {"key": "acr", "resource_id": _RG + "Microsoft.ContainerRegistry/registries/cr1", "group_id": "registry"},
    {"key": "monitor", "resource_id": _RG + "microsoft.insights/privateLinkScopes/ampls1", "group_id": "azuremonitor"},
]

#: Resource types that carry tags in ARM (subnets and DNS zone groups are child resources without tags).
TAGGABLE = {VNET, NSG, PE, ZONE, LINK}
#: Naming rule of each explicitly named type (KIND_OF_TYPE has no entry for links: they are named here too).
NAMED = {**{t: KIND_OF_TYPE[t] for t in (VNET, SUBNET, NSG, PE)}, LINK: ResourceKind.PRIVATE_DNS_ZONE_LINK}
NAME_INPUT = {
    VNET: "virtualNetworkName",
    SUBNET: "subnetName",
    NSG: "networkSecurityGroupName",
    PE: "privateEndpointName",
    LINK: "virtualNetworkLinkName",
}


def network_args(**overrides: Any) -> PrivateNetworkArgs:
    args: dict[str, Any] = {
        "location": "westeurope",
        "naming": {"prefix": "mlp", "environment": "prod", "seed": "mlplatform/test"},
        "tags": tags("prod"),
        "resource_group_name": "rg-net",
        "targets": TARGETS,
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def plan_of(**overrides: Any):
    def body() -> None:
        net = PrivateNetwork("net", network_args(**overrides))
        pulumi.export("virtual_network_id", net.virtual_network_id)
        pulumi.export("private_endpoint_subnet_id", net.private_endpoint_subnet_id)
        pulumi.export("private_endpoint_ids", net.private_endpoint_ids)
        pulumi.export("private_dns_zone_ids", net.private_dns_zone_ids)

    return run_component(body)


@pytest.fixture(scope="module")
def plan():
    return plan_of()


def endpoints_by_key(plan) -> dict[str, Any]:
    return {r.name.removeprefix("net-pep-"): r for r in plan.of_type(PE)}


def test_one_endpoint_per_target_tied_to_its_resource_and_group(plan):
    endpoints = endpoints_by_key(plan)
    assert set(endpoints) == {t["key"] for t in TARGETS}
    subnet = only(plan, SUBNET)
    for target in TARGETS:
        inputs = endpoints[target["key"]].inputs
        (connection,) = inputs["privateLinkServiceConnections"]
        assert connection["groupIds"] == [target["group_id"]]
        assert connection["privateLinkServiceId"] == target["resource_id"]
        assert "manualPrivateLinkServiceConnections" not in inputs
        assert inputs["subnet"] == {"id": subnet.id}
        assert inputs["location"] == "westeurope"
        assert inputs["resourceGroupName"] == "rg-net"


def test_endpoint_names_carry_the_target_key(plan):
    for key, endpoint in endpoints_by_key(plan).items():
        assert endpoint.inputs["privateEndpointName"].startswith(f"pep-mlp-{key}-prod-weu-")


def test_every_needed_zone_exists_once_and_is_linked_to_the_network(plan):
    needed = {zone for target in TARGETS for zone in PRIVATE_DNS_ZONES[target["group_id"]]}
    zones = [r.inputs["privateZoneName"] for r in plan.of_type(ZONE)]
    assert sorted(zones) == sorted(needed)  # the API zone, shared by workspace and registry, exists once
    for zone in plan.of_type(ZONE):
        assert zone.inputs["location"] == "global"
    vnet_id = only(plan, VNET).id
    links = plan.of_type(LINK)
    assert sorted(link.inputs["privateZoneName"] for link in links) == sorted(needed)
    for link in links:
        assert link.inputs["virtualNetwork"] == {"id": vnet_id}
        assert link.inputs["registrationEnabled"] is False
        assert link.inputs["location"] == "global"


def test_dns_zone_groups_reference_the_zones_of_their_group(plan):
    zone_ids = {r.inputs["privateZoneName"]: r.id for r in plan.of_type(ZONE)}
    endpoints = endpoints_by_key(plan)
    groups = {r.name.removeprefix("net-pep-").removesuffix("-dns"): r for r in plan.of_type(DNS_GROUP)}
    assert set(groups) == set(endpoints)
    for target in TARGETS:
        group = groups[target["key"]].inputs
        assert group["privateEndpointName"] == endpoints[target["key"]].inputs["privateEndpointName"]
        configs = group["privateDnsZoneConfigs"]
        assert [c["privateDnsZoneId"] for c in configs] == [zone_ids[z] for z in zones_for(target["group_id"])]
        assert all(c["name"] for c in configs)
        assert groups[target["key"]].id.startswith(endpoints[target["key"]].id + "/privateDnsZoneGroups/")


def test_workspace_endpoint_gets_both_azure_ml_zones(plan):
    group = next(r for r in plan.of_type(DNS_GROUP) if r.name == "net-pep-workspace-dns")
    zone_names = {c["privateDnsZoneId"].rsplit("/", 1)[1] for c in group.inputs["privateDnsZoneConfigs"]}
    assert zone_names == {"privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"}


def test_monitor_scope_endpoint_gets_the_azure_monitor_zones_and_shares_blob(plan):
    """The azuremonitor group needs five zones (Azure Private Endpoint DNS zone values); its blob zone is the
    storage account's, created once and referenced by both endpoints' zone groups."""
    groups = {r.name: r for r in plan.of_type(DNS_GROUP)}
    monitor = [c["privateDnsZoneId"] for c in groups["net-pep-monitor-dns"].inputs["privateDnsZoneConfigs"]]
    assert [zone_id.rsplit("/", 1)[1] for zone_id in monitor] == [
        "privatelink.monitor.azure.com",
        "privatelink.oms.opinsights.azure.com",
        "privatelink.ods.opinsights.azure.com",
        "privatelink.agentsvc.azure-automation.net",
        "privatelink.blob.core.windows.net",
    ]
    (blob,) = [c["privateDnsZoneId"] for c in groups["net-pep-blob-dns"].inputs["privateDnsZoneConfigs"]]
    assert monitor[-1] == blob
    assert [r.inputs["privateZoneName"] for r in plan.of_type(ZONE)].count("privatelink.blob.core.windows.net") == 1


def test_subnet_is_closed_and_behind_the_nsg(plan):
    subnet = only(plan, SUBNET).inputs
    assert subnet["networkSecurityGroup"]["id"] == only(plan, NSG).id
    assert subnet["defaultOutboundAccess"] is False
    assert subnet["privateEndpointNetworkPolicies"] == "Enabled"
    assert subnet["addressPrefix"] == "10.60.0.0/24"
    assert subnet["virtualNetworkName"] == only(plan, VNET).inputs["virtualNetworkName"]
    assert only(plan, SUBNET).id.startswith(only(plan, VNET).id + "/subnets/")


def test_virtual_network_declares_no_inline_subnets(plan):
    vnet = only(plan, VNET).inputs
    assert vnet["addressSpace"] == {"addressPrefixes": ["10.60.0.0/22"]}
    assert "subnets" not in vnet
    assert vnet["location"] == "westeurope"


def test_nsg_allows_nothing_from_the_internet_and_says_so(plan):
    rules = only(plan, NSG).inputs.get("securityRules", [])
    open_sources = {"internet", "*", "0.0.0.0/0", "any"}
    for rule in rules:
        sources = {rule.get("sourceAddressPrefix", "")} | set(rule.get("sourceAddressPrefixes", []))
        if rule["direction"] == "Inbound" and rule["access"] == "Allow":
            assert not {s.lower() for s in sources} & open_sources, rule
    (deny,) = [r for r in rules if r["name"] == DENY_INTERNET_RULE]
    assert deny["direction"] == "Inbound"
    assert deny["access"] == "Deny"
    assert deny["sourceAddressPrefix"] == "Internet"
    assert deny["priority"] == 4096
    assert deny["destinationPortRange"] == "*" and deny["protocol"] == "*"


def test_taggable_resources_carry_the_tags(plan):
    custom = [r for r in plan.resources if r.custom]
    assert {r.type for r in custom} == TAGGABLE | {SUBNET, DNS_GROUP}
    for resource in custom:
        if resource.type in TAGGABLE:
            assert resource.inputs["tags"] == tags("prod"), resource.name


def test_names_are_valid_for_their_kind(plan):
    for type_token, kind in NAMED.items():
        for resource in plan.of_type(type_token):
            name = resource.inputs[NAME_INPUT[type_token]]
            assert validate_name(kind, name) == [], (type_token, name)
            assert resource.physical_name == name


def test_every_child_is_parented_to_the_component(plan):
    component = only(plan, COMPONENT)
    children = [r for r in plan.resources if r.custom]
    assert children and all(r.parent == component.urn for r in children)


def test_outputs_map_keys_and_zones_to_ids(plan):
    outputs = plan.outputs
    assert outputs["virtual_network_id"] == only(plan, VNET).id
    assert outputs["private_endpoint_subnet_id"] == only(plan, SUBNET).id
    assert outputs["private_endpoint_ids"] == {key: r.id for key, r in endpoints_by_key(plan).items()}
    assert outputs["private_dns_zone_ids"] == {r.inputs["privateZoneName"]: r.id for r in plan.of_type(ZONE)}


def test_plans_are_deterministic(plan):
    again = plan_of()
    assert [r.to_json() for r in again.resources] == [r.to_json() for r in plan.resources]


def test_custom_address_space_and_subnet():
    plan = plan_of(address_space="10.8.0.0/16", private_endpoint_subnet_prefix="10.8.4.0/26", targets=TARGETS[2:3])
    assert only(plan, VNET).inputs["addressSpace"] == {"addressPrefixes": ["10.8.0.0/16"]}
    assert only(plan, SUBNET).inputs["addressPrefix"] == "10.8.4.0/26"
    assert only(plan, ZONE).inputs["privateZoneName"] == "privatelink.vaultcore.azure.net"
    assert only(plan, PE).inputs["privateLinkServiceConnections"][0]["groupIds"] == ["vault"]


def test_default_subnet_is_the_first_slash_24_of_the_space():
    plan = plan_of(address_space="172.16.8.0/21", targets=[])
    assert only(plan, SUBNET).inputs["addressPrefix"] == "172.16.8.0/24"
    assert plan.of_type(PE) == [] and plan.of_type(ZONE) == []
    assert plan.outputs["private_endpoint_ids"] == {}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"private_endpoint_subnet_prefix": "10.61.0.0/24"}, "not inside the address space"),
        ({"private_endpoint_subnet_prefix": "10.60.0.0/21"}, "not inside the address space"),
        ({"private_endpoint_subnet_prefix": "10.60.0.1/24"}, "not a valid CIDR"),
        ({"private_endpoint_subnet_prefix": "10.60.0.0/30"}, "too small"),
        ({"private_endpoint_subnet_prefix": "fd00::/64"}, "must be an IPv4 range"),
        ({"address_space": "10.60.0.0/33"}, "not a valid CIDR"),
    ],
)
def test_bad_prefixes_are_rejected(overrides, message):
    with pytest.raises(ValueError, match=message):
        plan_of(**overrides)


def test_unknown_group_id_is_rejected_with_the_known_ones():
    bad = [{"key": "queue", "resource_id": _RG + "Microsoft.Storage/storageAccounts/st1", "group_id": "queue"}]
    with pytest.raises(ValueError, match="unknown private link group id 'queue'") as error:
        plan_of(targets=bad)
    for known in PRIVATE_DNS_ZONES:
        assert known in str(error.value)


def test_duplicate_keys_are_rejected():
    with pytest.raises(ValueError, match="duplicate private link target key 'vault'"):
        plan_of(targets=[TARGETS[2], {**TARGETS[3], "key": "vault"}])


def test_missing_tags_are_rejected():
    with pytest.raises(MissingTagsError):
        plan_of(tags={"owner": "ml-platform-team"})


def test_zone_table_is_public_cloud_privatelink_and_qualifiers_are_distinct():
    zones = {zone for group in PRIVATE_DNS_ZONES.values() for zone in group}
    assert all(zone.startswith("privatelink.") for zone in zones)
    assert len({zone_qualifier(zone) for zone in zones}) == len(zones)
    assert PRIVATE_DNS_ZONES["amlregistry"] == ("privatelink.api.azureml.ms",)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=8, max_value=29))
def test_default_subnet_always_lies_inside_the_space(address, length):
    space = ipaddress.ip_network((address, length), strict=False)
    prefix = ipaddress.ip_network(subnet_prefix(str(space)))
    assert prefix.subnet_of(space)
    assert prefix.network_address == space.network_address
    assert prefix.prefixlen == max(24, length)


# --- Bring your own network, and the three private DNS modes ---

_SPOKE = "/subscriptions/00000000-0000-4000-8000-000000000021/resourceGroups/rg-spoke/providers/Microsoft.Network/virtualNetworks/vnet-spoke"
EXISTING_SUBNET = _SPOKE + "/subnets/snet-pe"
_HUB = "/subscriptions/00000000-0000-4000-8000-000000000031/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/"
HUB_ZONES = {zone: _HUB + zone for group in PRIVATE_DNS_ZONES.values() for zone in group}


def zone_groups_by_key(plan) -> dict[str, Any]:
    return {r.name.removeprefix("net-pep-").removesuffix("-dns"): r for r in plan.of_type(DNS_GROUP)}


@pytest.mark.parametrize("dns_mode", ["create", "existing", "policy"])
def test_byo_network_creates_no_vnet_nsg_or_subnet_and_tags_the_endpoints(dns_mode):
    extra = {"dns_mode": dns_mode, "dns_zone_ids": HUB_ZONES} if dns_mode == "existing" else {"dns_mode": dns_mode}
    plan = plan_of(existing_subnet_id=EXISTING_SUBNET, existing_subnet_dedicated=True, **extra)
    assert plan.of_type(VNET) == [] and plan.of_type(NSG) == [] and plan.of_type(SUBNET) == []
    for endpoint in plan.of_type(PE):
        assert endpoint.inputs["subnet"] == {"id": EXISTING_SUBNET}
        assert endpoint.inputs["tags"]["subnetUse"] == "dedicated"
    assert plan.outputs["virtual_network_id"] == _SPOKE
    assert plan.outputs["private_endpoint_subnet_id"] == EXISTING_SUBNET


def test_byo_subnet_not_declared_dedicated_is_tagged_shared():
    plan = plan_of(existing_subnet_id=EXISTING_SUBNET)
    assert {e.inputs["tags"]["subnetUse"] for e in plan.of_type(PE)} == {"shared"}


def test_byo_network_in_create_mode_links_the_zones_to_the_brought_vnet():
    plan = plan_of(existing_subnet_id=EXISTING_SUBNET)
    links = plan.of_type(LINK)
    assert links and all(link.inputs["virtualNetwork"] == {"id": _SPOKE} for link in links)


def test_existing_dns_mode_points_every_endpoint_at_the_hub_zones_and_creates_none(plan):
    hub = plan_of(dns_mode="existing", dns_zone_ids=HUB_ZONES)
    assert hub.of_type(ZONE) == [] and hub.of_type(LINK) == []  # the hub owns the zones and their links
    groups = zone_groups_by_key(hub)
    assert set(groups) == {t["key"] for t in TARGETS}
    for target in TARGETS:
        configs = groups[target["key"]].inputs["privateDnsZoneConfigs"]
        assert [c["privateDnsZoneId"] for c in configs] == [HUB_ZONES[z] for z in zones_for(target["group_id"])]
    assert hub.outputs["private_dns_zone_ids"] == HUB_ZONES
    # The VNet of the stack is still created: only DNS comes from the hub.
    assert len(hub.of_type(VNET)) == 1


def test_policy_dns_mode_creates_no_zone_group_and_says_why_on_each_endpoint():
    plan = plan_of(dns_mode="policy")
    assert plan.of_type(DNS_GROUP) == [] and plan.of_type(ZONE) == [] and plan.of_type(LINK) == []
    endpoints = plan.of_type(PE)
    assert len(endpoints) == len(TARGETS)
    assert all(e.inputs["tags"]["privateDns"] == "azurePolicy" for e in endpoints)
    assert "subnetUse" not in endpoints[0].inputs["tags"]  # the subnet is the stack's own
    assert plan.outputs["private_dns_zone_ids"] == {}


def test_create_mode_endpoints_carry_only_the_stack_tags(plan):
    assert all(e.inputs["tags"] == tags("prod") for e in plan.of_type(PE))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"existing_subnet_id": _SPOKE}, "not the resource ID of a virtual network subnet"),
        ({"existing_subnet_id": EXISTING_SUBNET, "address_space": "10.8.0.0/16"}, "address_space is for a network the component creates"),
        ({"dns_mode": "existing", "dns_zone_ids": {}}, "privatelink.api.azureml.ms: no zone ID"),
        ({"dns_mode": "existing", "dns_zone_ids": {**HUB_ZONES, "privatelink.azurecr.io": _HUB + "privatelink.blob.core.windows.net"}},
         "is not the resource ID of a private DNS zone named privatelink.azurecr.io"),
        ({"dns_mode": "create", "dns_zone_ids": HUB_ZONES}, "dns_zone_ids is for the existing DNS mode"),
    ],
)
def test_bad_byo_and_dns_arguments_are_rejected(overrides, message):
    with pytest.raises(ValueError, match=message):
        plan_of(**overrides)
