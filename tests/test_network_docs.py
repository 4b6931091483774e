"""docs/network.md draws each network tier, and each picture matches the plan of the stack it draws: the managed
network's isolation mode and kinds of outbound rule, every private endpoint's group and every privatelink zone."""

from __future__ import annotations

import re
from functools import lru_cache

import pytest

from blueprint.program.project import load_project, read_stack_config
from blueprint.tools.preview.plan import Plan
from blueprint.tools.preview.runner import run_program
from conftest import REPO

DOC = REPO / "docs" / "network.md"
#: Heading of each picture -> the shipped stack it draws.
TIERS = {"Public (dev)": "dev", "Managed (staging)": "staging", "Private (prod)": "prod", "Landing zone (prod-lz)": "prod-lz"}


@lru_cache(maxsize=None)
def plan(stack: str) -> Plan:
    project = load_project(REPO)
    return run_program(project, stack, read_stack_config(project, stack))


def picture(heading: str) -> str:
    section = DOC.read_text().split(f"### {heading}\n", 1)[1].split("\n#", 1)[0]
    (block,) = re.findall(r"```mermaid\n(.*?)```", section, re.DOTALL)
    return block


def labels(block: str) -> str:
    return " ".join(re.findall(r'"([^"]+)"', block)).replace("&lt;", "<").replace("&gt;", ">")


@pytest.mark.parametrize("heading", TIERS)
def test_each_tier_is_a_picture_whose_edges_name_labelled_nodes(heading: str) -> None:
    block = picture(heading)
    assert block.startswith("flowchart LR\n")
    defined = set(re.findall(r"^\s*(\w+)\[", block, re.MULTILINE)) | set(re.findall(r"(?:\||-->|\.->)\s*(\w+)\[", block))
    defined |= set(re.findall(r"subgraph (\w+)\[", block))
    for source, target in re.findall(r"^\s*(\w+)(?:\[[^\]]*\])?\s*(?:-->|-\.)(?:[^\n]*?)\s(\w+)(?:\[|$)", block, re.MULTILINE):
        assert source in defined and target in defined, f"{heading}: edge {source} -> {target} names a node with no label"


@pytest.mark.parametrize("heading, stack", TIERS.items())
def test_each_picture_shows_the_managed_network_of_its_stack(heading: str, stack: str) -> None:
    (workspace,) = [r for r in plan(stack).of_type("azure-native:machinelearningservices:Workspace")]
    network = workspace.inputs["managedNetwork"]
    text = labels(picture(heading))
    assert network["isolationMode"] in text
    rules = network.get("outboundRules", {})
    if any(rule["type"] == "FQDN" for rule in rules.values()):
        assert "FQDN rules pkg-<host>" in text
    for name, rule in rules.items():
        if rule["type"] == "PrivateEndpoint":
            assert f"private endpoint rule {name}" in text
    public = workspace.inputs.get("publicNetworkAccess", "Enabled") == "Enabled"
    assert ("public access enabled" in text or "allow-list" in text) == public


@pytest.mark.parametrize("heading, stack", [("Private (prod)", "prod"), ("Landing zone (prod-lz)", "prod-lz")])
def test_the_private_pictures_show_every_endpoint_group_and_zone(heading: str, stack: str) -> None:
    block = picture(heading)
    text = labels(block)
    groups = {r.inputs["privateLinkServiceConnections"][0]["groupIds"][0] for r in plan(stack).of_type("azure-native:network:PrivateEndpoint")}
    shown = re.search(r'private endpoints, by group: ([^"]+)"', block).group(1)
    assert set(shown.replace(",", " ").split()) == groups
    created = [r.inputs["privateZoneName"] for r in plan(stack).of_type("azure-native:privatedns:PrivateZone")]
    if stack == "prod-lz":
        assert created == [] and "hub" in text  # the hub's zones, none created here
    else:
        zone_node = re.search(r'privatelink zones, created[^"]*', block).group(0)
        for zone in created:
            assert zone.removeprefix("privatelink.").split(".")[0] in zone_node, zone


def _table_after(text: str) -> list[list[str]]:
    """The body rows of the first table after ``text`` in docs/network.md, as cells."""
    lines = DOC.read_text().split(text, 1)[1].splitlines()
    first = next(index for index, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[first + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _zones_by_group(stack: str) -> dict[str, set[str]]:
    """Each private endpoint group of the stack's plan -> the zones its DNS zone group fills."""
    endpoints = {r.physical_name: r for r in plan(stack).of_type("azure-native:network:PrivateEndpoint")}
    zones: dict[str, set[str]] = {}
    for group in plan(stack).of_type("azure-native:network:PrivateDnsZoneGroup"):
        endpoint = endpoints[group.inputs["privateEndpointName"]]
        (link_group,) = {g for connection in endpoint.inputs["privateLinkServiceConnections"] for g in connection["groupIds"]}
        zones[link_group] = {config["privateDnsZoneId"].rsplit("/", 1)[1] for config in group.inputs["privateDnsZoneConfigs"]}
    return zones


def test_the_endpoint_zone_table_is_what_prod_creates():
    """The tables of each private endpoint group's zones (and the monitor endpoint's five) are what prod's DNS zone
    groups fill, no more and no less."""
    created = _zones_by_group("prod")
    documented: dict[str, set[str]] = {}
    for _, groups, zones in _table_after("Every endpoint gets the zones of its private link group"):
        names = re.findall(r"`([^`]+)`", groups)
        listed = re.findall(r"`([^`]+)`", zones)
        for group in names:  # "blob, file, dfs": one zone each, in order; otherwise every zone for the one group
            documented[group] = {listed[names.index(group)]} if len(names) > 1 else set(listed)
    documented["azuremonitor"] = {row[0].strip("`") for row in _table_after("fills the five zones that group needs")}
    assert documented == created
