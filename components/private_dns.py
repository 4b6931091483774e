"""Private DNS for private endpoints: which ``privatelink`` zones each private link group needs, the three ways a
stack provides them, and the shapes of the ARM IDs a landing zone hands over (its VNet, subnet and DNS zones).

Standard library only: config validation, the ``PrivateNetwork`` component and the policy pack all read it.

Zone names are the Azure public cloud's recommended ones ("Azure Private Endpoint private DNS zone values",
https://learn.microsoft.com/azure/private-link/private-endpoint-dns); automatic DNS configuration only works with them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

#: Private link sub-resource (group id) -> the private DNS zones its endpoint registers records in (Azure public
#: cloud). An Azure ML workspace needs two zones (API and notebooks); an Azure ML registry is served under the API
#: zone too, so a workspace and a registry share that zone.
PRIVATE_DNS_ZONES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "amlworkspace": ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"),
        "amlregistry": ("privatelink.api.azureml.ms",),
        "vault": ("privatelink.vaultcore.azure.net",),
        "blob": ("privatelink.blob.core.windows.net",),
        "file": ("privatelink.file.core.windows.net",),
        "dfs": ("privatelink.dfs.core.windows.net",),
        "registry": ("privatelink.azurecr.io",),
        # An Azure Monitor Private Link Scope: its endpoint serves Azure Monitor's global and regional endpoints,
        # Log Analytics' per-workspace ingestion (ods) and agent (oms, agentsvc) endpoints, and the agents' storage
        # (blob, shared with storage accounts' blob endpoints).
        "azuremonitor": (
            "privatelink.monitor.azure.com",
            "privatelink.oms.opinsights.azure.com",
            "privatelink.ods.opinsights.azure.com",
            "privatelink.agentsvc.azure-automation.net",
            "privatelink.blob.core.windows.net",
        ),
    }
)


class PrivateDnsMode(enum.StrEnum):
    """Who provides the private DNS zones the endpoints register in."""

    CREATE = "create"
    """The stack creates the zones, links them to the network and gives every endpoint a DNS zone group."""
    EXISTING = "existing"
    """Zones that exist already (typically in a hub subscription): every endpoint gets a DNS zone group pointing at
    them; the hub owns the zones and their virtual network links."""
    POLICY = "policy"
    """The landing zone's Azure Policy (DeployIfNotExists, "Configure ... to use private DNS zones") adds each
    endpoint's DNS zone group after it is created: the stack creates none."""


#: The tag a private endpoint carries when its DNS zone group is left to the landing zone's Azure Policy, so that the
#: plan (and the policy pack) can tell "DNS by policy" from "no DNS".
DNS_TAG = "privateDns"
DNS_BY_POLICY = "azurePolicy"
#: The tag a private endpoint in a subnet the stack does not create carries: whether the stack file declares the
#: subnet dedicated to the platform's endpoints (``dedicated``) or not (``shared``).
SUBNET_USE_TAG = "subnetUse"
SUBNET_DEDICATED = "dedicated"
SUBNET_SHARED = "shared"



def _any_case(literal: str) -> str:
    """A regex matching ``literal`` in any letter case: ARM compares the fixed segments of an ID case-insensitively,
    and a JSON Schema pattern has no flag for it."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in literal)


_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_RG = r"[-\w._()]{0,89}[-\w_()]"
_PREFIX = rf"/{_any_case('subscriptions')}/{_GUID}/{_any_case('resourceGroups')}/{_RG}/{_any_case('providers')}/"
_VNET_NAME = r"[A-Za-z0-9][-A-Za-z0-9_.]{0,62}[A-Za-z0-9_]|[A-Za-z0-9]"
_SUBNET_NAME = r"[A-Za-z0-9][-A-Za-z0-9_.]{0,78}[A-Za-z0-9_]|[A-Za-z0-9]"
_ZONE_NAME = r"([A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"

_VNETS = _any_case("Microsoft.Network/virtualNetworks")

#: ARM ID patterns, for JSON Schema and Python ``re`` alike (fixed segments in any case, as ARM reads them).
VIRTUAL_NETWORK_ID = rf"^{_PREFIX}{_VNETS}/({_VNET_NAME})$"
SUBNET_ID = rf"^{_PREFIX}{_VNETS}/({_VNET_NAME})/{_any_case('subnets')}/({_SUBNET_NAME})$"
PRIVATE_DNS_ZONE_ID = rf"^{_PREFIX}{_any_case('Microsoft.Network/privateDnsZones')}/({_ZONE_NAME})$"

#: Subnets named for the Azure service that needs them (gateways, firewall, Bastion, route server): private
#: endpoints do not go there.
RESERVED_SUBNETS = (
    "gatewaysubnet", "azurefirewallsubnet", "azurefirewallmanagementsubnet", "azurebastionsubnet", "routeserversubnet",
)


def zones_for(group_id: str) -> tuple[str, ...]:
    """The private DNS zones an endpoint for ``group_id`` needs; ValueError naming the known ids otherwise."""
    try:
        return PRIVATE_DNS_ZONES[group_id]
    except KeyError:
        known = ", ".join(sorted(PRIVATE_DNS_ZONES))
        raise ValueError(f"unknown private link group id {group_id!r}: known group ids are {known}") from None


def needed_zones(group_ids: Iterable[str]) -> list[str]:
    """Distinct zones of all ``group_ids``, in first-use order (a zone shared by two groups counts once)."""
    zones: list[str] = []
    for group_id in group_ids:
        zones += [zone for zone in zones_for(group_id) if zone not in zones]
    return zones


def zone_name_of(zone_id: str) -> str | None:
    """The zone name of a private DNS zone resource ID (lower case), or None when it is not one."""
    match = re.fullmatch(PRIVATE_DNS_ZONE_ID, zone_id)
    return match.group(1).lower() if match else None


def subnet_parts(subnet_id: str) -> tuple[str, str] | None:
    """``(virtual network ID, subnet name)`` of a subnet resource ID, or None when it is not one."""
    if not re.fullmatch(SUBNET_ID, subnet_id):
        return None
    vnet_id, _, name = subnet_id.rpartition("/")
    return vnet_id.rsplit("/", 1)[0], name


def zone_id_problems(zone_ids: Mapping[str, str], group_ids: Iterable[str]) -> list[tuple[str, str]]:
    """``(zone, problem)`` for each zone ``group_ids`` need that ``zone_ids`` (zone -> zone resource ID) lacks, or
    maps to an ID that is not a private DNS zone of that name."""
    problems: list[tuple[str, str]] = []
    for zone in needed_zones(group_ids):
        zone_id = zone_ids.get(zone)
        if zone_id is None:
            problems.append((zone, "no zone ID"))
        elif zone_name_of(zone_id) != zone:
            problems.append((zone, f"{zone_id!r} is not the resource ID of a private DNS zone named {zone}"))
    return problems
