"""Network isolation of an environment stack: ``network`` (public, managed VNet, or private endpoints).

Declares the keys, the rules that span them, and what the workspace and the private network receive.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pulumi

from blueprint.program.config.errors import ConfigIssue, describe
from blueprint.program.config.rules import allow_list_issues, key_path, repeated_issues
from blueprint.program.settings import BuildContext, default_of, setting
from components.ml_workspace import DEFAULT_OUTBOUND_PORTS, DEFAULT_OUTBOUND_PROTOCOL, FIREWALL_SKUS, OutboundRuleArgs, PrivateEndpointRuleArgs
from components.options import Environment, NetworkMode
from components.private_link_groups import RESOURCE_ID_EXAMPLE, RESOURCE_ID_PATTERN, subresource_problem
from components.private_dns import (
    PRIVATE_DNS_ZONE_ID,
    RESERVED_SUBNETS,
    SUBNET_ID,
    VIRTUAL_NETWORK_ID,
    PrivateDnsMode,
    needed_zones,
    subnet_parts,
    zone_name_of,
    zones_for,
)
from components.monitor_private_link import GROUP_ID as MONITOR_GROUP_ID
from components.private_network import PrivateNetwork, PrivateNetworkArgs
from components.regions import UnknownRegionError, normalize_location

IPV4 = r"((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
#: An allow-list entry, as the network and the state backend take it.
ALLOW_LIST_ITEM = {"type": "string", "pattern": rf"^{IPV4}(/(3[0-2]|[12]?\d))?$", "x-expected": "an IPv4 address or CIDR range such as 203.0.113.0/24"}
ALLOW_LIST_RULE = "each at most a /16, at most one /16 in all, no private or reserved ranges (docs/configuration.md, IP allow-lists)"
#: The private link group (sub-resource) of an Azure ML registry.
REGISTRY_GROUP_ID = "amlregistry"
#: Names of the FQDN rules derived from the environment templates start with this; a stack's own rules may not.
DERIVED_RULE_PREFIX = "pkg-"
#: The private endpoint rule from the managed network to the shared registry; a stack's own rules may not take it.
SHARED_REGISTRY_RULE = "shared-registry"


@dataclass(frozen=True, kw_only=True)
class FqdnRule:
    """An approved outbound destination by host name."""

    fqdn: str = setting(
        "fqdn", pattern=r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        x_expected="a lowercase host name such as pypi.org or *.pythonhosted.org",
    )


@dataclass(frozen=True, kw_only=True)
class ServiceTagRule:
    """An approved outbound destination by Azure service tag."""

    service_tag: str = setting(
        "serviceTag", pattern=r"^[A-Za-z][A-Za-z0-9.]*$", x_expected="an Azure service tag such as AzureMonitor or Storage.WestEurope",
    )
    protocol: str = setting("protocol", default=DEFAULT_OUTBOUND_PROTOCOL, override={"enum": ["TCP", "UDP", "ICMP", "*"]})
    port_ranges: str = setting(
        "portRanges", default=DEFAULT_OUTBOUND_PORTS, pattern=r"^(\*|[0-9]{1,5}(-[0-9]{1,5})?(,[0-9]{1,5}(-[0-9]{1,5})?)*)$",
        x_expected="ports such as 443 or 80,443 or 8000-8100",
    )


@dataclass(frozen=True, kw_only=True)
class PrivateEndpointRule:
    """An approved outbound destination by Azure resource: a private endpoint from the managed network to it."""

    service_resource_id: str = setting(
        "serviceResourceId", pattern=RESOURCE_ID_PATTERN,
        x_expected=f"the ARM ID of a resource, such as {RESOURCE_ID_EXAMPLE}",
    )
    subresource_target: str = setting(
        "subresourceTarget", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$",
        x_expected="the resource's private link sub-resource (group ID), such as blob, vault, registry or amlworkspace",
    )
    spark_enabled: bool = setting(
        "sparkEnabled", "Also reachable from serverless Spark, once the network is provisioned with Spark.", default=False,
    )


OutboundRule = FqdnRule | ServiceTagRule | PrivateEndpointRule


def default_network_mode(environment: Environment) -> NetworkMode:
    """Prod is private unless a stack says otherwise; everything else gets the managed VNet."""
    return NetworkMode.PRIVATE if environment is Environment.PROD else NetworkMode.MANAGED


#: The private endpoints of the private tier, by key: what each reaches (its private link group). The workspace's
#: own resources always; the shared registry's (``mlregistry``) when the stack has a shared stack.
WORKSPACE_ENDPOINTS: Mapping[str, str] = MappingProxyType(
    {"workspace": "amlworkspace", "vault": "vault", "blob": "blob", "file": "file", "dfs": "dfs", "registry": "registry"}
)
REGISTRY_ENDPOINT = "mlregistry"
#: The endpoint to the telemetry stores' Azure Monitor private link scope: private mode closes their public
#: ingestion, so every private-mode stack has it (components/monitor_private_link.py).
MONITOR_ENDPOINT = "monitor"

_ARM_ID = "/subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.Network/"


@dataclass(frozen=True, kw_only=True)
class ExistingVnetSettings:
    """Bring your own network: the landing zone's VNet and the subnet the private endpoints go in."""

    virtual_network_id: str = setting(
        "virtualNetworkId", "Resource ID of the existing virtual network (typically a landing zone's spoke).",
        pattern=VIRTUAL_NETWORK_ID, x_expected=f"a virtual network resource ID such as {_ARM_ID}virtualNetworks/<name>",
    )
    private_endpoint_subnet_id: str = setting(
        "privateEndpointSubnetId", "Resource ID of the subnet of that network the private endpoints are created in.",
        pattern=SUBNET_ID, x_expected=f"a subnet resource ID such as {_ARM_ID}virtualNetworks/<name>/subnets/<name>",
    )
    location: str = setting(
        "location", "Azure region of the virtual network (resource IDs carry none): it must be the stack's location, "
        "since a private endpoint is created in the region of its virtual network.",
        x_expected="an Azure region name such as westeurope",
    )
    dedicated_subnet: bool = setting(
        "dedicatedSubnet", "Declares that the subnet holds nothing but this stack's private endpoints. The endpoints "
        "are tagged subnetUse: dedicated (else shared), and a shared subnet is an advisory policy finding.", default=False,
    )


@dataclass(frozen=True, kw_only=True)
class PrivateDnsSettings:
    """Private DNS of the private endpoints (private mode)."""

    mode: PrivateDnsMode = setting(
        "mode", "create: the stack creates the privatelink zones, links them to the network and gives every private "
        "endpoint a DNS zone group; existing: zone groups point at the zones listed under zones (a hub owns the zones "
        "and their virtual network links); policy: no zone groups, the landing zone's Azure Policy "
        "(DeployIfNotExists, docs/network.md) adds them.", default=PrivateDnsMode.CREATE,
    )
    zones: Mapping[str, str] = setting(
        "zones", "existing mode: privatelink zone name -> resource ID of that private DNS zone, for every zone a private "
        "endpoint needs (docs/network.md lists them).", default=MappingProxyType({}), maxProperties=20,
        names={"pattern": r"^privatelink\.([a-z0-9-]+\.)+[a-z]{2,63}$", "x-expected": "a privatelink zone name such as privatelink.api.azureml.ms"},
        values={"type": "string", "pattern": PRIVATE_DNS_ZONE_ID, "x-expected": f"a private DNS zone resource ID such as {_ARM_ID}privateDnsZones/<zone>"},
    )


@dataclass(frozen=True, kw_only=True)
class NetworkSettings:
    """Network isolation tier and its settings."""

    mode: NetworkMode = setting(
        "mode",
        "public (dev only): reachable from allowedIpRanges; managed: workspace managed VNet with approved outbound only, "
        "dependencies closed; private: also a VNet with private endpoints and private DNS zones, public network access "
        "disabled everywhere.",
    )
    allowed_ip_ranges: tuple[str, ...] = setting(
        "allowedIpRanges",
        f"Public IPv4 addresses or CIDR ranges allowed through the dependencies' firewalls in public mode: {ALLOW_LIST_RULE}.",
        default=(), maxItems=100, uniqueItems=True, items=ALLOW_LIST_ITEM,
    )
    address_space: str = setting(
        "addressSpace", "private mode: address space of the platform VNet.", default="10.60.0.0/22",
        pattern=rf"^{IPV4}/(1[6-9]|2[0-4])$", x_expected="an IPv4 CIDR range from /16 to /24 such as 10.60.0.0/22",
    )
    existing_vnet: ExistingVnetSettings | None = setting(
        "existingVnet", "private mode: deploy the private endpoints into this existing network instead of creating a "
        "VNet, subnet and NSG (addressSpace is then refused).", default=None,
    )
    private_dns: PrivateDnsSettings = setting("privateDns", default=PrivateDnsSettings())
    outbound_rules: Mapping[str, OutboundRule] = setting(
        "outboundRules",
        "Outbound destinations the workspace's managed VNet may reach, by rule name: FQDN and service tag rules in "
        "managed and private modes, private endpoint rules (serviceResourceId, subresourceTarget) in every mode. Besides "
        "them, every managed network gets the package hosts the environment templates need (ml_templates/environments: "
        "conda channels, PyPI) as pkg-<host> rules without listing them here; a rule here for one of those hosts replaces "
        "its pkg- rule. FQDN rules make Azure ML deploy a managed Azure Firewall, each private endpoint rule a private "
        "endpoint: both are billed hourly (docs/network.md).",
        default=MappingProxyType({}), maxProperties=50,
        names={"pattern": "^[a-zA-Z][a-zA-Z0-9-]{0,62}$", "x-expected": "a rule name of 1-63 letters, digits or hyphens, starting with a letter"},
        values={"x-expected": "a rule with either fqdn, or serviceTag (with optional protocol and portRanges), or serviceResourceId "
                              "and subresourceTarget (with optional sparkEnabled)"},
    )
    firewall_sku: str | None = setting(
        "firewallSku",
        "managed and private modes: the SKU of the Azure Firewall Azure ML deploys for FQDN rules; Basic is billed at a "
        "lower hourly rate, with fewer features (docs/network.md).",
        default=None, default_doc="Azure's default, Standard", override={"enum": list(FIREWALL_SKUS)},
    )


def derive_network(context: BuildContext) -> NetworkSettings:
    """No ``network`` key: the environment's default tier."""
    return NetworkSettings(mode=default_network_mode(context.environment))


NETWORK_DEFAULT_DOC = "private in prod, managed elsewhere"


def network_issues(project: str, values: Mapping[str, Any], environment: Environment) -> list[ConfigIssue]:
    """Which tier each environment may use, and which keys each tier takes."""
    network = values.get("network", {})
    issues: list[ConfigIssue] = []
    mode = NetworkMode(network.get("mode", default_network_mode(environment).value))

    def issue(key: str, expected: str) -> None:
        issues.append(ConfigIssue(key_path(project, ["network", key]), expected, describe(network.get(key))))

    if mode is NetworkMode.PUBLIC:
        if environment is not Environment.DEV:
            issue("mode", f"managed or private in {environment.value} (public networking is for dev only)")
        if not network.get("allowedIpRanges"):
            issue("allowedIpRanges", "at least one IP range: public mode is never open to the whole Internet")
        issues += allow_list_issues(project, ["network", "allowedIpRanges"], network.get("allowedIpRanges", []))
    elif network.get("allowedIpRanges"):
        issue("allowedIpRanges", f"no allow-list in {mode.value} mode (public network access is disabled)")
    if "addressSpace" in network and mode is not NetworkMode.PRIVATE:
        issue("addressSpace", f"no address space in {mode.value} mode (only private mode creates a VNet)")
    if "firewallSku" in network and mode is NetworkMode.PUBLIC:
        issue("firewallSku", "no firewall SKU in public mode (the firewall filters approved outbound only: managed or private mode)")
    for name, rule in (network.get("outboundRules") or {}).items():
        if mode is NetworkMode.PUBLIC and isinstance(rule, Mapping) and "serviceResourceId" not in rule:
            issues.append(ConfigIssue(
                key_path(project, ["network", "outboundRules", name]),
                "a private endpoint rule in public mode (outbound to the Internet is already allowed; FQDN and service tag "
                "rules exist only with approved outbound, in managed or private mode)",
                describe(rule),
            ))
    for key in ("existingVnet", "privateDns"):
        if key in network and mode is not NetworkMode.PRIVATE:
            issue(key, f"no {key} in {mode.value} mode (only private mode has private endpoints)")
    if mode is NetworkMode.PRIVATE:
        issues += private_network_issues(project, values)
    for name in network.get("outboundRules") or {}:
        if name == SHARED_REGISTRY_RULE:
            issues.append(ConfigIssue(
                key_path(project, ["network", "outboundRules", name]),
                f"another name ({SHARED_REGISTRY_RULE} is the platform's private endpoint rule to the shared registry)",
                describe(name),
            ))
        elif str(name).startswith(DERIVED_RULE_PREFIX):
            issues.append(ConfigIssue(
                key_path(project, ["network", "outboundRules", name]),
                f"a rule name not starting with {DERIVED_RULE_PREFIX} (reserved for the package hosts derived from "
                "ml_templates/environments, which every managed network gets without listing them)",
                describe(name),
            ))
    return issues


def private_network_issues(project: str, values: Mapping[str, Any]) -> list[ConfigIssue]:
    """Private mode: a brought network that fits the stack (the subnet in that VNet, the VNet in the stack's region,
    no address space), and private DNS zones for every endpoint in existing mode."""
    network = values.get("network") or {}
    issues: list[ConfigIssue] = []

    def issue(path: list[Any], expected: str, found: Any) -> None:
        issues.append(ConfigIssue(key_path(project, ["network", *path]), expected, describe(found)))

    existing = network.get("existingVnet")
    if isinstance(existing, Mapping):
        if "addressSpace" in network:
            issue(["addressSpace"], "no address space with existingVnet (the landing zone's network has its own)", network["addressSpace"])
        vnet_id, subnet_id = existing.get("virtualNetworkId"), existing.get("privateEndpointSubnetId")
        parts = subnet_parts(subnet_id) if isinstance(subnet_id, str) else None
        if parts is not None and isinstance(vnet_id, str) and parts[0].lower() != vnet_id.lower():
            issue(["existingVnet", "privateEndpointSubnetId"], f"a subnet of the virtual network {vnet_id} (existingVnet.virtualNetworkId)", subnet_id)
        if parts is not None and parts[1].lower() in RESERVED_SUBNETS:
            issue(["existingVnet", "privateEndpointSubnetId"], "a subnet for private endpoints, not one reserved for an Azure "
                  "gateway, firewall, Bastion or route server", subnet_id)
        issues += _region_issues(project, existing.get("location"), values.get("location"))

    dns = network.get("privateDns") or {}
    dns_mode = PrivateDnsMode(dns.get("mode", PrivateDnsMode.CREATE.value))
    zones = dns.get("zones") or {}
    if dns_mode is not PrivateDnsMode.EXISTING:
        if zones:
            issue(["privateDns", "zones"], f"no zones in {dns_mode.value} mode (zone IDs are for mode existing)", zones)
        return issues
    groups = [group for _, group in _endpoint_groups(values)]
    for zone in needed_zones(groups):
        users = ", ".join(f"{key} ({group})" for key, group in _endpoint_groups(values) if zone in zones_for(group))
        if zone not in zones:
            issue(["privateDns", "zones", zone], f"the resource ID of the private DNS zone {zone}, which the private "
                  f"endpoints {users} register in", None)
    needed = set(needed_zones(groups))
    for zone, zone_id in zones.items():
        if zone not in needed:
            issue(["privateDns", "zones", zone], f"only zones a private endpoint of the stack needs: {', '.join(sorted(needed))}", zone)
        elif isinstance(zone_id, str) and zone_name_of(zone_id) not in (None, zone):
            issue(["privateDns", "zones", zone], f"the resource ID of a private DNS zone named {zone}", zone_id)
    return issues


def _endpoint_groups(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(key, group) of the stack's private endpoints."""
    return [*WORKSPACE_ENDPOINTS.items(), *([(REGISTRY_ENDPOINT, REGISTRY_GROUP_ID)] if values.get("sharedStack") else []),
            (MONITOR_ENDPOINT, MONITOR_GROUP_ID)]


def _region_issues(project: str, vnet_location: Any, stack_location: Any) -> list[ConfigIssue]:
    """The brought network's region: a known region, and the stack's (checked here because IDs carry no region)."""
    path = key_path(project, ["network", "existingVnet", "location"])
    try:
        region = normalize_location(vnet_location)
    except (UnknownRegionError, TypeError, AttributeError):
        return [ConfigIssue(path, "an Azure region name such as westeurope (see components/regions.py)", describe(vnet_location))]
    try:
        stack_region = normalize_location(stack_location)
    except (UnknownRegionError, TypeError, AttributeError):
        return []  # the stack's own location is reported where it is written
    if region != stack_region:
        return [ConfigIssue(path, f"the stack's location {stack_region}: the subnet of existingVnet.privateEndpointSubnetId "
                            "must be in the stack's region, where its private endpoints are created", describe(vnet_location))]
    return []


def network_value_issues(project: str, values: Mapping[str, Any]) -> list[ConfigIssue]:
    """Values the schema's patterns admit but Azure refuses: host bits in the address space, ports out of range, a
    private endpoint's sub-resource its resource type does not have, and two outbound rules for one destination."""
    issues: list[ConfigIssue] = []
    network = values.get("network") or {}
    space = network.get("addressSpace")
    if isinstance(space, str):
        try:
            ipaddress.ip_network(space, strict=True)
        except ValueError:
            base = ipaddress.ip_network(space, strict=False)
            issues.append(ConfigIssue(key_path(project, ["network", "addressSpace"]), f"a network address without host bits, such as {base}", describe(space)))
    rules = network.get("outboundRules") or {}
    for name, rule in rules.items():
        if isinstance(rule, Mapping) and isinstance(rule.get("serviceResourceId"), str) and isinstance(rule.get("subresourceTarget"), str):
            problem = subresource_problem(rule["serviceResourceId"], rule["subresourceTarget"])
            if problem is not None:
                issues.append(ConfigIssue(key_path(project, ["network", "outboundRules", name, "subresourceTarget"]), problem, describe(rule["subresourceTarget"])))
    issues += repeated_issues(
        project, values, ["network", "outboundRules"], [(name, _destination(rule)) for name, rule in rules.items()],
        "a destination no other outbound rule has",
    )
    for name, rule in rules.items():
        ports = rule.get("portRanges") if isinstance(rule, Mapping) else None
        if isinstance(ports, str) and ports != "*":
            for part in ports.split(","):
                low, _, high = part.partition("-")
                if not 1 <= int(low) <= int(high or low) <= 65535:
                    issues.append(ConfigIssue(key_path(project, ["network", "outboundRules", name, "portRanges"]), "ports from 1 to 65535, each range low to high", describe(ports)))
                    break
    return issues


def _destination(rule: Any) -> str:
    """What a rule lets the network reach, folded as Azure compares it: two rules with one destination are one rule
    under two names (and a private endpoint twice to one sub-resource is refused when the network is provisioned)."""
    if not isinstance(rule, Mapping):
        return repr(rule)
    if "fqdn" in rule:
        return f"fqdn {str(rule['fqdn']).lower()}"
    if "serviceTag" in rule:
        protocol = rule.get("protocol", default_of(ServiceTagRule, "protocol"))
        ports = str(rule.get("portRanges", default_of(ServiceTagRule, "port_ranges"))).replace(" ", "")
        return f"service tag {str(rule['serviceTag']).lower()} {protocol} {ports}"
    return f"private endpoint {str(rule.get('serviceResourceId')).lower()} {str(rule.get('subresourceTarget')).lower()}"


def derived_rule_name(host: str) -> str:
    """The name of the FQDN rule the platform adds for a package host: ``pkg-`` and the host, dots as hyphens."""
    return f"{DERIVED_RULE_PREFIX}{host.replace('*', 'any').replace('.', '-')}"[:63]


def outbound_rule_args(network: NetworkSettings, package_hosts: Mapping[str, Sequence[str]] = MappingProxyType({})) -> list[OutboundRuleArgs]:
    """The workspace's FQDN and service tag rules, by name: the stack's own, plus an FQDN rule for each package host the
    environments need (``package_hosts``, host -> environments) that no rule of the stack already allows.

    Derived rules exist only where FQDN rules do (managed and private modes); a stack rule for the same host is kept
    under its own name and the derived one is left out, so each host is allowed once.
    """
    rules: list[OutboundRuleArgs] = []
    for name, rule in sorted(network.outbound_rules.items()):
        if isinstance(rule, FqdnRule):
            rules.append(_fqdn_rule(name, rule.fqdn))
        elif isinstance(rule, ServiceTagRule):
            rules.append({"name": name, "fqdn": None, "service_tag": rule.service_tag, "protocol": rule.protocol, "port_ranges": rule.port_ranges})
    if network.mode is not NetworkMode.PUBLIC:
        allowed = {rule.fqdn for rule in network.outbound_rules.values() if isinstance(rule, FqdnRule)}
        rules += [_fqdn_rule(derived_rule_name(host), host) for host in sorted(package_hosts) if host not in allowed]
    return rules


def registry_endpoint_rules(registry_id: pulumi.Input[str] | None, *, spark: bool) -> list[PrivateEndpointRuleArgs]:
    """A private endpoint from the managed network to the shared registry (public access disabled): image builds,
    jobs and deployments pull its environments, components and models through it, in every mode. ``spark``: model
    monitors run serverless Spark, which reaches the registry only through a Spark-enabled rule."""
    if registry_id is None:
        return []
    return [{"name": SHARED_REGISTRY_RULE, "resource_id": registry_id, "subresource_target": REGISTRY_GROUP_ID, "spark_enabled": spark}]


def endpoint_rule_args(network: NetworkSettings, registry_id: pulumi.Input[str] | None, *, spark: bool) -> list[PrivateEndpointRuleArgs]:
    """The managed network's private endpoint rules: the platform's to the shared registry
    (:func:`registry_endpoint_rules`), then the stack's own, by name."""
    rules = registry_endpoint_rules(registry_id, spark=spark)
    for name, rule in sorted(network.outbound_rules.items()):
        if isinstance(rule, PrivateEndpointRule):
            rules.append({"name": name, "resource_id": rule.service_resource_id, "subresource_target": rule.subresource_target,
                          "spark_enabled": rule.spark_enabled})
    return rules


def _fqdn_rule(name: str, fqdn: str) -> OutboundRuleArgs:
    return {"name": name, "fqdn": fqdn, "service_tag": None,
            "protocol": default_of(ServiceTagRule, "protocol"), "port_ranges": default_of(ServiceTagRule, "port_ranges")}


def private_network(
    network: NetworkSettings,
    *,
    location: str,
    naming: Mapping[str, str],
    tags: Mapping[str, str],
    resource_group_name: pulumi.Input[str],
    resource_ids: Mapping[str, pulumi.Input[str]],
) -> PrivateNetwork | None:
    """Private mode: a private endpoint with private DNS for each endpoint of :data:`WORKSPACE_ENDPOINTS` (and
    :data:`REGISTRY_ENDPOINT`, :data:`MONITOR_ENDPOINT` when given), by key -> the resource ID it reaches; in a VNet of its own, or the brought one."""
    if network.mode is not NetworkMode.PRIVATE:
        return None
    groups = {**WORKSPACE_ENDPOINTS, REGISTRY_ENDPOINT: REGISTRY_GROUP_ID, MONITOR_ENDPOINT: MONITOR_GROUP_ID}
    args: PrivateNetworkArgs = {
        "location": location,
        "naming": dict(naming),
        "tags": dict(tags),
        "resource_group_name": resource_group_name,
        "targets": [{"key": key, "resource_id": resource_id, "group_id": groups[key]} for key, resource_id in resource_ids.items()],
    }
    if network.existing_vnet is None:
        args["address_space"] = network.address_space
    else:
        args["existing_subnet_id"] = network.existing_vnet.private_endpoint_subnet_id
        args["existing_subnet_dedicated"] = network.existing_vnet.dedicated_subnet
    if network.private_dns.mode is not PrivateDnsMode.CREATE:
        args["dns_mode"] = network.private_dns.mode
        args["dns_zone_ids"] = dict(network.private_dns.zones)
    return PrivateNetwork("network", args)
