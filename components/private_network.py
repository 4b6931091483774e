"""``PrivateNetwork``: the ``private`` network tier, a virtual network where the platform's services are reached
only through private endpoints.

Creates one private endpoint per target resource, in a subnet of its own network or in a subnet the landing zone
hands over (bring your own network: an existing VNet and subnet by ID, with no VNet, NSG or subnet created), and
gives the endpoints private DNS in one of three modes (:class:`~components.private_dns.PrivateDnsMode`): the
``privatelink`` zones created here, each linked to the network and filled by a DNS zone group; existing zones by ID,
typically in a hub subscription that also owns their network links, filled by a DNS zone group; or no zone group at
all, for the landing zone's Azure Policy to add. Clients in the network then resolve the services' usual host names
to private addresses. A network created here is closed explicitly rather than by default: no default outbound
access, network policies enforced on private endpoints, and an inbound deny from the Internet that a reader (or a
policy) can see in the plan.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import network, privatedns

from components.naming import Namer, NamingArgs, ResourceKind, namer_for
from components.private_dns import (
    DNS_BY_POLICY,
    DNS_TAG,
    PRIVATE_DNS_ZONES,
    SUBNET_DEDICATED,
    SUBNET_SHARED,
    SUBNET_USE_TAG,
    PrivateDnsMode,
    needed_zones,
    subnet_parts,
    zone_id_problems,
    zones_for,
)
from components.tags import required_tags

__all__ = ["PRIVATE_DNS_ZONES", "PrivateDnsMode", "PrivateLinkTarget", "PrivateNetwork", "PrivateNetworkArgs", "zones_for"]

DEFAULT_ADDRESS_SPACE = "10.60.0.0/22"
"""Address space of the network when none is given: room for the endpoint subnet and a few more /24s."""

DEFAULT_SUBNET_PREFIX_LENGTH = 24
"""The endpoint subnet defaults to the first /24 of the space (251 usable addresses, one per endpoint NIC)."""

SMALLEST_SUBNET_PREFIX_LENGTH = 29
"""Azure's smallest subnet: it reserves five addresses of every subnet."""

DENY_INTERNET_RULE = "deny-internet-inbound"
"""Name of the explicit inbound deny rule; Azure's default rules already deny, this makes the intent visible."""

_ZONE_PREFIX = "privatelink."


class PrivateLinkTarget(TypedDict):
    """A resource to reach through a private endpoint."""

    key: str
    """Short stable identifier of the target, e.g. ``workspace``, ``vault`` or ``blob``: names the endpoint."""
    resource_id: pulumi.Input[str]
    """ARM ID of the resource the endpoint connects to."""
    group_id: str
    """Private link sub-resource, one of :data:`PRIVATE_DNS_ZONES` (``amlworkspace``, ``vault``, ``blob``, ...)."""


class PrivateNetworkArgs(TypedDict):
    """Arguments of :class:`PrivateNetwork`."""

    location: str
    """Azure region of the network and endpoints (the targets' region)."""
    naming: NamingArgs
    """How physical names are derived."""
    tags: dict[str, str]
    """Tags for every taggable resource; must hold the required tags."""
    resource_group_name: pulumi.Input[str]
    """Resource group to deploy into."""
    targets: Sequence[PrivateLinkTarget]
    """Resources to reach privately: one endpoint each, keys unique."""
    address_space: NotRequired[str]
    """IPv4 CIDR of the virtual network (default ``10.60.0.0/22``)."""
    private_endpoint_subnet_prefix: NotRequired[str]
    """IPv4 CIDR of the endpoint subnet, inside the address space (default its first /24)."""
    existing_subnet_id: NotRequired[str]
    """Bring your own network: the ARM ID of an existing subnet (in the region of ``location``) for the endpoints;
    no VNet, NSG or subnet is created, and ``address_space`` and ``private_endpoint_subnet_prefix`` must be unset."""
    existing_subnet_dedicated: NotRequired[bool]
    """Whether the existing subnet holds only these endpoints (tagged on each endpoint; default false)."""
    dns_mode: NotRequired[PrivateDnsMode]
    """Who provides the private DNS zones (default ``create``)."""
    dns_zone_ids: NotRequired[Mapping[str, str]]
    """``existing`` DNS mode: private DNS zone name -> its resource ID, for every zone the targets need."""


def zone_qualifier(zone: str) -> str:
    """Short name of a ``privatelink`` zone for resource names: its first label after ``privatelink.``."""
    return zone.removeprefix(_ZONE_PREFIX).split(".", 1)[0]


def subnet_prefix(address_space: str, prefix: str | None = None) -> str:
    """Validate the endpoint subnet ``prefix`` against ``address_space``; default the first /24 of the space.

    A space smaller than a /24 is used whole. Fails with ValueError on malformed CIDRs (host bits set included),
    IPv6, a subnet smaller than Azure allows, or a subnet outside the space.
    """
    space = _ipv4_network(address_space, "address_space")
    if prefix is None:
        length = max(DEFAULT_SUBNET_PREFIX_LENGTH, space.prefixlen)
        return str(next(space.subnets(new_prefix=length)))
    subnet = _ipv4_network(prefix, "private_endpoint_subnet_prefix")
    if subnet.prefixlen > SMALLEST_SUBNET_PREFIX_LENGTH:
        raise ValueError(
            f"private_endpoint_subnet_prefix {prefix} is too small: the smallest Azure subnet is a "
            f"/{SMALLEST_SUBNET_PREFIX_LENGTH}"
        )
    if not subnet.subnet_of(space):
        raise ValueError(f"private_endpoint_subnet_prefix {prefix} is not inside the address space {address_space}")
    return str(subnet)


def _ipv4_network(cidr: str, field: str) -> ipaddress.IPv4Network:
    try:
        parsed = ipaddress.ip_network(cidr, strict=True)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{field} {cidr!r} is not a valid CIDR range: {error}") from None
    if not isinstance(parsed, ipaddress.IPv4Network):
        raise ValueError(f"{field} {cidr!r} must be an IPv4 range")
    return parsed


def _check_targets(targets: Sequence[PrivateLinkTarget]) -> None:
    """Fail before anything is planned on a duplicate key (two endpoints would share a name) or unknown group."""
    seen: set[str] = set()
    for target in targets:
        key = target["key"]
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"private link target key must be a non-empty string, got {key!r}")
        if key in seen:
            raise ValueError(f"duplicate private link target key {key!r}: keys name the endpoints and must be unique")
        seen.add(key)
        zones_for(target["group_id"])


def _existing_subnet(args: PrivateNetworkArgs) -> tuple[str, str] | None:
    """``(virtual network ID, subnet ID)`` of a brought network, checked; None when the component creates one."""
    subnet_id = args.get("existing_subnet_id")
    if subnet_id is None:
        return None
    parts = subnet_parts(subnet_id)
    if parts is None:
        raise ValueError(f"existing_subnet_id {subnet_id!r} is not the resource ID of a virtual network subnet")
    for field in ("address_space", "private_endpoint_subnet_prefix"):
        if args.get(field) is not None:
            raise ValueError(f"{field} is for a network the component creates; an existing subnet ({subnet_id}) has its own")
    return parts[0], subnet_id


def _zone_ids(args: PrivateNetworkArgs, targets: Sequence[PrivateLinkTarget]) -> tuple[PrivateDnsMode, Mapping[str, str]]:
    """The DNS mode and, in ``existing`` mode, the checked zone IDs of every zone the targets need."""
    mode = PrivateDnsMode(args.get("dns_mode", PrivateDnsMode.CREATE))
    zone_ids = dict(args.get("dns_zone_ids") or {})
    if mode is not PrivateDnsMode.EXISTING:
        if zone_ids:
            raise ValueError(f"dns_zone_ids is for the existing DNS mode, not {mode.value}")
        return mode, {}
    problems = zone_id_problems(zone_ids, [target["group_id"] for target in targets])
    if problems:
        raise ValueError("dns_zone_ids: " + "; ".join(f"{zone}: {problem}" for zone, problem in problems))
    return mode, zone_ids


class PrivateNetwork(pulumi.ComponentResource):
    """Private endpoints to the platform's services, in a network of their own or a brought one, with private DNS."""

    virtual_network_id: pulumi.Output[str]
    private_endpoint_subnet_id: pulumi.Output[str]
    private_endpoint_ids: pulumi.Output[dict[str, str]]
    private_dns_zone_ids: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: PrivateNetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplatform:index:PrivateNetwork", name, None, opts)
        location = args["location"]
        namer = namer_for(args["naming"], location)
        tags = required_tags(args["tags"])
        rg_name = args["resource_group_name"]
        targets = list(args["targets"])
        _check_targets(targets)
        existing = _existing_subnet(args)
        dns_mode, existing_zone_ids = _zone_ids(args, targets)
        child = pulumi.ResourceOptions(parent=self)

        endpoint_tags = dict(tags)
        if existing is None:
            vnet_id, subnet_id = self._network(name, args, namer, tags, child)
        else:
            vnet_id, subnet_id = pulumi.Output.from_input(existing[0]), pulumi.Output.from_input(existing[1])
            # The plan says whether anything else shares the subnet: the policy pack reads it (advisory).
            endpoint_tags[SUBNET_USE_TAG] = SUBNET_DEDICATED if args.get("existing_subnet_dedicated") else SUBNET_SHARED
        if dns_mode is PrivateDnsMode.POLICY:
            # No zone group here: the landing zone's DeployIfNotExists policy adds it. The tag tells "DNS by policy"
            # from "no DNS" in the plan.
            endpoint_tags[DNS_TAG] = DNS_BY_POLICY

        zone_ids: dict[str, pulumi.Input[str]] = dict(existing_zone_ids)
        if dns_mode is PrivateDnsMode.CREATE:
            for zone in needed_zones(target["group_id"] for target in targets):
                qualifier = zone_qualifier(zone)
                created = privatedns.PrivateZone(
                    f"{name}-zone-{qualifier}",
                    private_zone_name=zone,
                    resource_group_name=rg_name,
                    location="global",
                    tags=tags,
                    opts=child,
                )
                zone_ids[zone] = created.id
                privatedns.VirtualNetworkLink(
                    f"{name}-vnl-{qualifier}",
                    virtual_network_link_name=namer.name(ResourceKind.PRIVATE_DNS_ZONE_LINK, qualifier),
                    private_zone_name=created.name,
                    resource_group_name=rg_name,
                    location="global",
                    virtual_network=privatedns.SubResourceArgs(id=vnet_id),
                    # Only the endpoints' DNS zone groups write records: no VM auto-registration in privatelink zones.
                    registration_enabled=False,
                    tags=tags,
                    opts=child,
                )

        endpoint_ids: dict[str, pulumi.Output[str]] = {}
        for target in targets:
            key, group_id = target["key"], target["group_id"]
            endpoint_name = namer.name(ResourceKind.PRIVATE_ENDPOINT, key)
            endpoint = network.PrivateEndpoint(
                f"{name}-pep-{key}",
                private_endpoint_name=endpoint_name,
                resource_group_name=rg_name,
                location=location,
                # A bare reference: `network.SubnetArgs` would stamp its defaults (privateEndpointNetworkPolicies
                # "Disabled") onto it, contradicting the subnet's real settings in the plan.
                subnet={"id": subnet_id},
                private_link_service_connections=[
                    network.PrivateLinkServiceConnectionArgs(
                        name=endpoint_name,
                        private_link_service_id=target["resource_id"],
                        group_ids=[group_id],
                    )
                ],
                tags=endpoint_tags,
                opts=child,
            )
            if dns_mode is not PrivateDnsMode.POLICY:
                network.PrivateDnsZoneGroup(
                    f"{name}-pep-{key}-dns",
                    private_dns_zone_group_name="default",
                    private_endpoint_name=endpoint.name,
                    resource_group_name=rg_name,
                    private_dns_zone_configs=[
                        network.PrivateDnsZoneConfigArgs(name=zone.replace(".", "-"), private_dns_zone_id=zone_ids[zone])
                        for zone in zones_for(group_id)
                    ],
                    opts=child,
                )
            endpoint_ids[key] = endpoint.id

        self.virtual_network_id = vnet_id
        self.private_endpoint_subnet_id = subnet_id
        self.private_endpoint_ids = pulumi.Output.from_input(endpoint_ids)
        self.private_dns_zone_ids = pulumi.Output.from_input(zone_ids)
        self.register_outputs(
            {
                "virtual_network_id": self.virtual_network_id,
                "private_endpoint_subnet_id": self.private_endpoint_subnet_id,
                "private_endpoint_ids": self.private_endpoint_ids,
                "private_dns_zone_ids": self.private_dns_zone_ids,
            }
        )

    def _network(
        self, name: str, args: PrivateNetworkArgs, namer: Namer, tags: dict[str, str], child: pulumi.ResourceOptions,
    ) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        """The network the component creates: a VNet, and an endpoint subnet behind an NSG; their IDs."""
        location, rg_name = args["location"], args["resource_group_name"]
        address_space = args.get("address_space", DEFAULT_ADDRESS_SPACE)
        pe_prefix = subnet_prefix(address_space, args.get("private_endpoint_subnet_prefix"))
        nsg = network.NetworkSecurityGroup(
            f"{name}-nsg",
            network_security_group_name=namer.name(ResourceKind.NETWORK_SECURITY_GROUP, "pe"),
            resource_group_name=rg_name,
            location=location,
            # Azure's default rules stay (DenyAllInBound already drops traffic from outside the network); this rule
            # states the intent in the plan. At 4096, the last custom priority, it never shadows a deliberate allow.
            security_rules=[
                network.SecurityRuleArgs(
                    name=DENY_INTERNET_RULE,
                    description="Private endpoints are never reached from the Internet.",
                    priority=4096,
                    direction="Inbound",
                    access="Deny",
                    protocol="*",
                    source_address_prefix="Internet",
                    source_port_range="*",
                    destination_address_prefix="*",
                    destination_port_range="*",
                )
            ],
            tags=tags,
            opts=child,
        )

        # Subnets are separate resources and `subnets` is left unset: Azure then keeps the network's existing
        # subnets on update instead of deleting those declared elsewhere.
        vnet = network.VirtualNetwork(
            f"{name}-vnet",
            virtual_network_name=namer.name(ResourceKind.VIRTUAL_NETWORK),
            resource_group_name=rg_name,
            location=location,
            address_space=network.AddressSpaceArgs(address_prefixes=[address_space]),
            tags=tags,
            opts=child,
        )

        subnet = network.Subnet(
            f"{name}-snet-pe",
            subnet_name=namer.name(ResourceKind.SUBNET, "pe"),
            virtual_network_name=vnet.name,
            resource_group_name=rg_name,
            address_prefix=pe_prefix,
            network_security_group=network.NetworkSecurityGroupArgs(id=nsg.id),
            # Nothing in this subnet needs the Internet; without this, Azure grants implicit outbound access.
            default_outbound_access=False,
            # Apply the NSG (and route tables) to the private endpoints too; Azure skips them by default.
            private_endpoint_network_policies="Enabled",
            private_link_service_network_policies="Enabled",
            opts=child,
        )
        return vnet.id, subnet.id
