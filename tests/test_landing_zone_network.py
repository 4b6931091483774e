"""The private tier in a landing zone: a brought VNet and subnet, private DNS created, taken from a hub by ID, or left
to the landing zone's Azure Policy. The whole program's plan in each mode, the CLI's refusals of bad IDs, a wrong
region and a zone map that misses a zone, and the network policies on each plan."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import pytest

from blueprint.program.project import load_project, read_stack_config
from blueprint.tools.preview.plan import Plan
from blueprint.tools.preview.runner import run_program
from components.private_dns import PRIVATE_DNS_ZONES, zones_for
from tests import policy_harness as harness
from tests.badinput import PROJECT, BadInput, check_bad_input
from tests.conftest import REPO
from tests.test_config import errors_of

from mlplatform_policies import network as network_policies  # noqa: E402 - importable once the harness has put policies/ on the path

PE = "azure-native:network:PrivateEndpoint"
DNS_GROUP = "azure-native:network:PrivateDnsZoneGroup"
ZONE = "azure-native:privatedns:PrivateZone"
LINK = "azure-native:privatedns:VirtualNetworkLink"
NETWORK_TYPES = ("azure-native:network:VirtualNetwork", "azure-native:network:Subnet", "azure-native:network:NetworkSecurityGroup")
DNS_POLICY = "azure-native-network-privateendpoint-require-private-dns"
SUBNET_POLICY = "azure-native-network-privateendpoint-dedicated-subnet"

SPOKE = "/subscriptions/00000000-0000-4000-8000-000000000021/resourceGroups/rg-spoke/providers/Microsoft.Network/virtualNetworks/vnet-spoke"
SUBNET = SPOKE + "/subnets/snet-ml-pe"
HUB = "/subscriptions/00000000-0000-4000-8000-000000000031/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/"
#: Every zone the prod stack's endpoints need (workspace, vault, storage, container registry, the shared registry,
#: the telemetry stores' Azure Monitor private link scope).
NEEDED = sorted({zone for group in ("amlworkspace", "amlregistry", "vault", "blob", "file", "dfs", "registry", "azuremonitor")
                 for zone in PRIVATE_DNS_ZONES[group]})
HUB_ZONES = {zone: HUB + zone for zone in NEEDED}
BYO = {"virtualNetworkId": SPOKE, "privateEndpointSubnetId": SUBNET, "location": "westeurope", "dedicatedSubnet": True}
#: The endpoints of prod's private tier, by key, and their private link group.
ENDPOINT_GROUPS = {"workspace": "amlworkspace", "vault": "vault", "blob": "blob", "file": "file", "dfs": "dfs",
                   "registry": "registry", "mlregistry": "amlregistry", "monitor": "azuremonitor"}


def prod_network(**network: Any) -> dict[str, Any]:
    """Prod's network with ``network`` keys set (a value None removes the key)."""
    base = json.loads(read_stack_config(load_project(REPO), "prod")["mlplatform:network"])
    base.update(network)
    return {key: value for key, value in base.items() if value is not None}


@lru_cache(maxsize=None)
def plan_of(network_json: str) -> Plan:
    project = load_project(REPO)
    config = dict(read_stack_config(project, "prod"))
    config["mlplatform:network"] = network_json
    return run_program(project, "prod", config)


def prod_plan(**network: Any) -> Plan:
    return plan_of(json.dumps(prod_network(**network), sort_keys=True))


def endpoints(plan: Plan) -> dict[str, Any]:
    return {r.name.removeprefix("network-pep-"): r for r in plan.of_type(PE)}


def zone_groups(plan: Plan) -> dict[str, list[str]]:
    """Endpoint key -> the zone IDs of its DNS zone group."""
    return {
        r.name.removeprefix("network-pep-").removesuffix("-dns"): [c["privateDnsZoneId"] for c in r.inputs["privateDnsZoneConfigs"]]
        for r in plan.of_type(DNS_GROUP)
    }


# --- Plans: every endpoint's zone group in each DNS mode ---


def test_create_mode_every_endpoint_has_the_zones_of_its_group_created_here():
    plan = prod_plan()
    zone_ids = {r.inputs["privateZoneName"]: r.id for r in plan.of_type(ZONE)}
    assert sorted(zone_ids) == NEEDED
    assert set(endpoints(plan)) == set(ENDPOINT_GROUPS)
    assert zone_groups(plan) == {key: [zone_ids[z] for z in zones_for(group)] for key, group in ENDPOINT_GROUPS.items()}
    assert len(plan.of_type(LINK)) == len(NEEDED)


def test_create_mode_is_the_default_and_plans_what_prod_plans_today():
    assert [r.to_json() for r in prod_plan(privateDns={"mode": "create"}).resources] == [r.to_json() for r in prod_plan().resources]


@pytest.mark.parametrize("byo", [False, True], ids=["own-vnet", "byo-vnet"])
def test_existing_mode_every_endpoint_points_at_the_hub_zones(byo):
    network = {"privateDns": {"mode": "existing", "zones": HUB_ZONES}}
    if byo:
        network.update(existingVnet=BYO, addressSpace=None)
    plan = prod_plan(**network)
    assert plan.of_type(ZONE) == [] and plan.of_type(LINK) == []  # the hub owns the zones and their links
    assert zone_groups(plan) == {key: [HUB_ZONES[z] for z in zones_for(group)] for key, group in ENDPOINT_GROUPS.items()}


def test_policy_mode_no_endpoint_has_a_zone_group_and_each_says_so():
    plan = prod_plan(privateDns={"mode": "policy"})
    assert plan.of_type(DNS_GROUP) == [] and plan.of_type(ZONE) == [] and plan.of_type(LINK) == []
    assert set(endpoints(plan)) == set(ENDPOINT_GROUPS)
    assert {e.inputs["tags"].get("privateDns") for e in endpoints(plan).values()} == {"azurePolicy"}


def test_byo_network_creates_no_vnet_subnet_or_nsg_and_puts_every_endpoint_in_the_subnet():
    plan = prod_plan(existingVnet=BYO, addressSpace=None)
    for type_token in NETWORK_TYPES:
        assert plan.of_type(type_token) == [], type_token
    for endpoint in endpoints(plan).values():
        assert endpoint.inputs["subnet"] == {"id": SUBNET}
        assert endpoint.inputs["location"] == "westeurope"
        assert endpoint.inputs["tags"]["subnetUse"] == "dedicated"
    assert {link.inputs["virtualNetwork"]["id"] for link in plan.of_type(LINK)} == {SPOKE}
    assert plan.outputs["virtualNetworkId"] == SPOKE
    assert plan.diagnostics == []


# --- Policies on those plans ---


@pytest.mark.parametrize("network", [
    {},
    {"privateDns": {"mode": "existing", "zones": HUB_ZONES}},
    {"privateDns": {"mode": "policy"}},
    {"existingVnet": BYO, "addressSpace": None, "privateDns": {"mode": "existing", "zones": HUB_ZONES}},
], ids=["create", "existing", "policy", "byo-existing"])
def test_every_dns_mode_passes_the_network_policies(network):
    assert harness.plan_violations(prod_plan(**network), network_policies.POLICIES) == {}


def _policy(name: str) -> Any:
    return next(p for p in network_policies.POLICIES if p.name == name)


def test_an_endpoint_without_its_zone_group_is_a_finding_in_create_and_existing_mode():
    for network in ({}, {"privateDns": {"mode": "existing", "zones": HUB_ZONES}}):
        resources = [r for r in harness.plan_stack_resources(prod_plan(**network)) if r.name != "network-pep-vault-dns"]
        (finding,) = harness.run_stack_policy(_policy(DNS_POLICY), resources)
        assert finding[0].endswith("network-pep-vault")
        assert "has no private DNS" in finding[1] and "privatelink.vaultcore.azure.net" in finding[1]


def test_a_zone_group_missing_a_zone_of_its_group_is_a_finding():
    resources = harness.plan_stack_resources(prod_plan(privateDns={"mode": "existing", "zones": HUB_ZONES}))
    group = next(r for r in resources if r.name == "network-pep-workspace-dns")
    group.props["privateDnsZoneConfigs"] = group.props["privateDnsZoneConfigs"][:1]
    (finding,) = harness.run_stack_policy(_policy(DNS_POLICY), resources)
    assert "without the zones privatelink.notebooks.azure.net" in finding[1]


def test_policy_mode_without_the_tag_is_no_dns_at_all():
    resources = harness.plan_stack_resources(prod_plan(privateDns={"mode": "policy"}))
    for resource in resources:
        if resource.type == PE and resource.name == "network-pep-blob":
            del resource.props["tags"]["privateDns"]
    (finding,) = harness.run_stack_policy(_policy(DNS_POLICY), resources)
    assert finding[0].endswith("network-pep-blob") and "privatelink.blob.core.windows.net" in finding[1]


def _zone_ids_unknown(resources: list[Any]) -> None:
    """Zone IDs as a real preview sees them when the stack creates the zones: unknown until they exist."""
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

    for resource in resources:
        if resource.type == DNS_GROUP:
            configs = [{**c, "privateDnsZoneId": UNKNOWN_STRING_VALUE} for c in resource.props["privateDnsZoneConfigs"]]
            resource.props = unknown_checking_proxy({**resource.props, "privateDnsZoneConfigs": configs})


def test_zone_ids_unknown_during_preview_are_read_from_the_zones_the_group_depends_on():
    resources = harness.plan_stack_resources(prod_plan())
    _zone_ids_unknown(resources)
    assert harness.run_stack_policy(_policy(DNS_POLICY), resources) == []
    group = next(r for r in resources if r.name == "network-pep-workspace-dns")
    assert group.property_dependencies["privateDnsZoneConfigs"] == ["network-zone-api", "network-zone-notebooks"]
    group.property_dependencies = {"privateDnsZoneConfigs": ["network-zone-api"]}
    (finding,) = harness.run_stack_policy(_policy(DNS_POLICY), resources)
    assert finding[0].endswith("network-pep-workspace") and "without the zones privatelink.notebooks.azure.net" in finding[1]


def test_a_byo_subnet_not_declared_dedicated_is_advisory():
    plan = prod_plan(existingVnet={**BYO, "dedicatedSubnet": False}, addressSpace=None)
    findings = harness.plan_violations(plan, network_policies.POLICIES)
    assert set(findings) == {SUBNET_POLICY}
    assert len(findings[SUBNET_POLICY]) == len(ENDPOINT_GROUPS)
    assert "tag subnetUse is 'shared'" in findings[SUBNET_POLICY][0]
    from mlplatform_policies.base import CATALOG

    assert set(CATALOG[SUBNET_POLICY].relaxed_in) == {"dev", "test", "staging", "prod", "shared", "bootstrap"}


def test_the_shipped_subnet_is_the_stacks_own_so_the_advisory_policy_passes():
    assert harness.run_stack_policy(_policy(SUBNET_POLICY), harness.plan_stack_resources(prod_plan())) == []


# --- Config: what is refused, naming the key ---


def prod_config(**network: Any) -> dict[str, Any]:
    from tests.conftest import decoded, stack_config

    config = decoded(stack_config("prod"))
    config["mlplatform:network"] = prod_network(**network)
    return config


def test_existing_mode_without_every_zone_names_the_key_and_the_zone():
    zones = {k: v for k, v in HUB_ZONES.items() if k != "privatelink.notebooks.azure.net"}
    (error,) = errors_of(prod_config(privateDns={"mode": "existing", "zones": zones}))
    assert error.startswith("mlplatform:network.privateDns.zones.privatelink.notebooks.azure.net: expected the resource ID "
                            "of the private DNS zone privatelink.notebooks.azure.net, which the private endpoints workspace (amlworkspace) register in")


@pytest.mark.parametrize(("network", "key", "expected"), [
    ({"existingVnet": {**BYO, "location": "northeurope"}, "addressSpace": None}, "network.existingVnet.location", "the stack's location westeurope"),
    ({"existingVnet": {**BYO, "location": "Atlantis"}, "addressSpace": None}, "network.existingVnet.location", "an Azure region name"),
    ({"existingVnet": BYO}, "network.addressSpace", "no address space with existingVnet"),
    ({"existingVnet": {**BYO, "privateEndpointSubnetId": SPOKE.replace("vnet-spoke", "vnet-other") + "/subnets/s"}, "addressSpace": None},
     "network.existingVnet.privateEndpointSubnetId", f"a subnet of the virtual network {SPOKE}"),
    ({"existingVnet": {**BYO, "privateEndpointSubnetId": SPOKE + "/subnets/AzureFirewallSubnet"}, "addressSpace": None},
     "network.existingVnet.privateEndpointSubnetId", "not one reserved for an Azure gateway"),
    ({"existingVnet": {**BYO, "virtualNetworkId": "vnet-spoke"}, "addressSpace": None}, "network.existingVnet.virtualNetworkId", "a virtual network resource ID"),
    ({"existingVnet": {**BYO, "privateEndpointSubnetId": SPOKE}, "addressSpace": None}, "network.existingVnet.privateEndpointSubnetId", "a subnet resource ID"),
    ({"privateDns": {"mode": "existing", "zones": {**HUB_ZONES, "privatelink.azurecr.io": "/subscriptions/x/privateDnsZones/privatelink.azurecr.io"}}},
     "network.privateDns.zones.privatelink.azurecr.io", "a private DNS zone resource ID"),
    ({"privateDns": {"mode": "existing", "zones": {**HUB_ZONES, "privatelink.azurecr.io": HUB + "privatelink.blob.core.windows.net"}}},
     "network.privateDns.zones.privatelink.azurecr.io", "the resource ID of a private DNS zone named privatelink.azurecr.io"),
    ({"privateDns": {"mode": "existing", "zones": {**HUB_ZONES, "privatelink.queue.core.windows.net": HUB + "privatelink.queue.core.windows.net"}}},
     "network.privateDns.zones.privatelink.queue.core.windows.net", "only zones a private endpoint of the stack needs"),
    ({"privateDns": {"mode": "policy", "zones": HUB_ZONES}}, "network.privateDns.zones", "no zones in policy mode"),
    ({"privateDns": {"mode": "dns-by-hand"}}, "network.privateDns.mode", "one of create, existing, policy"),
])
def test_bad_landing_zone_network_config_is_refused_naming_the_key(network, key, expected):
    errors = errors_of(prod_config(**network))
    assert any(e.startswith(f"mlplatform:{key}: expected") and expected in e for e in errors), errors


def test_landing_zone_keys_are_for_private_mode_only():
    from tests.test_config import dev

    errors = errors_of(dev(network={"mode": "managed", "existingVnet": BYO, "privateDns": {"mode": "policy"}}))
    assert errors == [
        'mlplatform:network.existingVnet: expected no existingVnet in managed mode (only private mode has private endpoints), found mapping ' + json.dumps(BYO)[:57] + '...',
        'mlplatform:network.privateDns: expected no privateDns in managed mode (only private mode has private endpoints), found mapping {"mode": "policy"}',
    ]


# --- The CLI: exit 2, the file and the key named, nothing else printed ---

PREVIEW_PROD = ("preview", "prod", "--program", PROJECT, "--no-policies")
PROD_FILE = (REPO / "stacks" / "Pulumi.prod.yaml").read_text(encoding="utf-8")


def prod_file(network_lines: str) -> dict[str, str]:
    old = "    addressSpace: 10.60.0.0/22\n"
    assert old in PROD_FILE
    return {"stacks/Pulumi.prod.yaml": PROD_FILE.replace(old, network_lines, 1)}


def byo_lines(subnet: str = SUBNET, location: str = "westeurope", vnet: str = SPOKE) -> str:
    return f"    existingVnet:\n      virtualNetworkId: {vnet}\n      privateEndpointSubnetId: {subnet}\n      location: {location}\n"


def zone_lines(zones: dict[str, str]) -> str:
    return "    privateDns:\n      mode: existing\n      zones:\n" + "".join(f"        {zone}: {zone_id}\n" for zone, zone_id in zones.items())


CLI_ROWS = [
    BadInput("malformed-vnet-id", PREVIEW_PROD, ["stacks/Pulumi.prod.yaml", "mlplatform:network.existingVnet.virtualNetworkId: expected a virtual network resource ID"],
             prod_file(byo_lines(vnet="/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v"))),
    BadInput("subnet-id-of-another-type", PREVIEW_PROD, ["mlplatform:network.existingVnet.privateEndpointSubnetId: expected a subnet resource ID"],
             prod_file(byo_lines(subnet=SPOKE.replace("virtualNetworks", "networkSecurityGroups") + "/subnets/s"))),
    BadInput("subnet-outside-the-vnet", PREVIEW_PROD, [f"mlplatform:network.existingVnet.privateEndpointSubnetId: expected a subnet of the virtual network {SPOKE}"],
             prod_file(byo_lines(subnet=SPOKE + "-2/subnets/snet-ml-pe"))),
    BadInput("subnet-in-another-region", PREVIEW_PROD, ["mlplatform:network.existingVnet.location: expected the stack's location westeurope", 'found string "swedencentral"'],
             prod_file(byo_lines(location="swedencentral"))),
    BadInput("address-space-with-byo", PREVIEW_PROD, ["mlplatform:network.addressSpace: expected no address space with existingVnet"],
             prod_file("    addressSpace: 10.60.0.0/22\n" + byo_lines())),
    BadInput("zone-map-missing-a-zone", PREVIEW_PROD, ["mlplatform:network.privateDns.zones.privatelink.vaultcore.azure.net: expected the resource ID of the private DNS zone privatelink.vaultcore.azure.net"],
             prod_file("    addressSpace: 10.60.0.0/22\n" + zone_lines({k: v for k, v in HUB_ZONES.items() if k != "privatelink.vaultcore.azure.net"}))),
    BadInput("zone-id-not-a-dns-zone", PREVIEW_PROD, ["mlplatform:network.privateDns.zones.privatelink.azurecr.io: expected a private DNS zone resource ID"],
             prod_file("    addressSpace: 10.60.0.0/22\n" + zone_lines({**HUB_ZONES, "privatelink.azurecr.io": SPOKE}))),
]


@pytest.mark.parametrize("row", [row.param() for row in CLI_ROWS])
def test_the_cli_refuses_a_bad_landing_zone_network_with_exit_2(project_copy, capsys, row):
    check_bad_input(row, project_copy, capsys)
