"""Network: security rules, subnets, and the private endpoints of the private network tier.

Resource policies read inputs. Security rules appear two ways, both checked: inline in a NetworkSecurityGroup's
``securityRules`` and as standalone ``network:SecurityRule`` resources; subnets likewise as ``network:Subnet`` resources
and inline in a VirtualNetwork's ``subnets``. An NSG reference whose ID is unknown during a real preview (the NSG is
created in the same update) counts as set.

The firewall IP-rule policy applies the allow-list floor of ``components/firewall.py`` (the one config validation
applies to ``allowedIpRanges``) to the rules a plan actually carries, wherever they come from. A rule whose address
is unknown during a real preview cannot be checked, so it is reported rather than passed.

The private-endpoint policy is a stack policy: it links each endpoint to its target through the engine's dependency
graph (``property_dependencies["privateLinkServiceConnections"]``, else ``dependencies``), never by comparing IDs,
which are unknown until the resources exist.

The private DNS policy is a stack policy too: it finds each endpoint's DNS zone group through the group's
``privateEndpointName`` dependency and reads the zones from their IDs, or, when the stack creates the zones (IDs
unknown during a real preview), from the zones the group depends on; an endpoint tagged ``privateDns: azurePolicy``
leaves the group to the landing zone's DeployIfNotExists policy. The dedicated-subnet policy (advisory) reports
endpoints in a subnet the stack does not create unless they carry the stack file's declaration that the subnet is
theirs alone (tag ``subnetUse: dedicated``). The subnet policies check only subnets the plan creates: a brought
subnet (``network.existingVnet``) belongs to the landing zone.

The registry-reach policy is a stack policy too: it collects every ``azureml://registries/<name>/...`` reference in
the stack's resources (deployments' models, the retraining schedule's component, monitors' data) and looks for a
private endpoint outbound rule to each registry in every workspace whose managed network allows only approved
outbound. The registry lives in another stack, so its ID is a known stack-reference output, compared by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from components.firewall import allow_list_problems
from components.private_dns import (
    DNS_BY_POLICY,
    DNS_TAG,
    PRIVATE_DNS_ZONES,
    SUBNET_DEDICATED,
    SUBNET_USE_TAG,
    needed_zones,
    zone_name_of,
)
from mlplatform_policies.base import (
    UNKNOWN,
    Controls,
    dependencies_through,
    is_value,
    read,
    resource_policy,
    physical_name,
    shown,
    stack_policy,
)

NSG = "azure-native:network:NetworkSecurityGroup"
SECURITY_RULE = "azure-native:network:SecurityRule"
SUBNET = "azure-native:network:Subnet"
VIRTUAL_NETWORK = "azure-native:network:VirtualNetwork"
PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
ML_WORKSPACE = "azure-native:machinelearningservices:Workspace"
KEY_VAULT = "azure-native:keyvault:Vault"
STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
CONTAINER_REGISTRY = "azure-native:containerregistry:Registry"
DNS_ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
PRIVATE_ZONE = "azure-native:privatedns:PrivateZone"

#: Ports that must never be open to the Internet, and what listens there.
EXPOSED_PORTS: Mapping[int, str] = {22: "SSH", 3389: "RDP", 80: "HTTP"}
#: Source prefixes meaning "anyone on the Internet" (compared case-insensitively).
ANY_SOURCE = ("*", "any", "internet", "0.0.0.0/0", "::/0")
#: Protocols without ports: a rule for them opens no port.
PORTLESS_PROTOCOLS = ("icmp", "esp", "ah")
#: Azure-managed subnets that must not (or cannot) carry an NSG.
NSG_EXEMPT_SUBNETS = ("gatewaysubnet", "azurefirewallsubnet", "azurefirewallmanagementsubnet", "routeserversubnet")

#: What the private tier must reach privately: resource type -> (private link group id, noun for messages).
PRIVATE_LINK_TARGETS: Mapping[str, tuple[str, str]] = {
    ML_WORKSPACE: ("amlworkspace", "Machine Learning workspace"),
    KEY_VAULT: ("vault", "Key Vault"),
    STORAGE_ACCOUNT: ("blob", "Storage account"),
    CONTAINER_REGISTRY: ("registry", "Container registry"),
}

_CONNECTION_KEYS = ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections")

#: Resource types whose firewalls carry IP rules, where the rules live in their inputs (list path, address key),
#: and the input that names each of them in messages.
FIREWALL_TYPES = (STORAGE_ACCOUNT, KEY_VAULT, CONTAINER_REGISTRY)
IP_RULE_LOCATIONS = (("networkRuleSet.ipRules", "iPAddressOrRange"), ("properties.networkAcls.ipRules", "value"))
FIREWALL_NAME_INPUTS: Mapping[str, str] = {
    "accountName": "Storage account", "vaultName": "Key Vault", "registryName": "Container registry",
}


def _as_list(value: Any) -> list[Any]:
    if value is None or isinstance(value, (str, bytes)):
        return [] if value is None else [value]
    return list(value) if isinstance(value, Sequence) else [value]


# --- Security rules ---


def _port_spec_covers(spec: Any, port: int) -> bool:
    """Whether one destination port spec (``"*"``, ``"22"``, ``"20-25"``, ``22.0``) includes ``port``."""
    text = str(spec).strip()
    if text == "*":
        return True
    try:
        if "-" in text:
            low, high = (int(float(part)) for part in text.split("-", 1))
            return low <= port <= high
        return int(float(text)) == port
    except ValueError:
        return False


def _rule_exposure(rule: Mapping[str, Any]) -> str | None:
    """How an inbound allow rule exposes a sensitive port to the Internet, or None when it does not."""
    if not is_value(rule.get("direction"), "Inbound") or not is_value(rule.get("access"), "Allow"):
        return None
    protocol = rule.get("protocol")
    if isinstance(protocol, str) and protocol.lower() in PORTLESS_PROTOCOLS:
        return None
    sources = [*_as_list(rule.get("sourceAddressPrefix")), *_as_list(rule.get("sourceAddressPrefixes"))]
    open_sources = [s for s in sources if isinstance(s, str) and s.strip().lower() in ANY_SOURCE]
    if not open_sources:
        return None
    specs = [*_as_list(rule.get("destinationPortRange")), *_as_list(rule.get("destinationPortRanges"))]
    exposed = [port for port in EXPOSED_PORTS if any(_port_spec_covers(spec, port) for spec in specs)]
    if not exposed:
        return None
    name = rule.get("name") or rule.get("securityRuleName") or "(unnamed rule)"
    ports = ", ".join(f"{port} ({EXPOSED_PORTS[port]})" for port in exposed)
    ranges = ", ".join(shown(spec) for spec in specs)
    return f"{name} allows {shown(open_sources[0])} to port range {ranges}, which includes {ports}"


def _internet_inbound(props: Mapping[str, Any]) -> str | None:
    # A standalone SecurityRule carries its own direction; an NSG lists its rules under securityRules.
    rules = [props] if "direction" in set(props) else _as_list(props.get("securityRules"))
    exposures = [e for e in (_rule_exposure(r) for r in rules if isinstance(r, Mapping)) if e]
    if not exposures:
        return None
    return (
        f"Inbound security rules let the Internet reach management or plain-HTTP ports: {'; '.join(exposures)}; expected "
        "no Inbound Allow rule from *, Internet or 0.0.0.0/0 to port 22, 3389 or 80."
    )


# --- Subnets ---


def _subnets(props: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(name, subnet props) of a Subnet resource, or of each subnet declared inline in a VirtualNetwork."""
    keys = set(props)  # iterating keys never touches values, which may be unknown during preview
    if "subnets" in keys or "addressSpace" in keys:
        for index, subnet in enumerate(_as_list(props.get("subnets"))):
            if isinstance(subnet, Mapping):
                yield str(subnet.get("name") or f"subnets[{index}]"), subnet
        return
    yield str(props.get("subnetName") or props.get("name") or "(unnamed subnet)"), props


def _default_outbound_off(props: Mapping[str, Any]) -> str | None:
    open_subnets = [
        f"{name} (defaultOutboundAccess is {shown(subnet.get('defaultOutboundAccess'))})"
        for name, subnet in _subnets(props)
        if subnet.get("defaultOutboundAccess") is not False
    ]
    if not open_subnets:
        return None
    return (
        f"Subnet gives its machines implicit outbound Internet access: {', '.join(open_subnets)}; expected "
        "defaultOutboundAccess false, with egress through a NAT gateway or firewall where it is needed."
    )


def _has_nsg(subnet: Mapping[str, Any]) -> bool:
    nsg = read(subnet, "networkSecurityGroup")
    if nsg is UNKNOWN:
        return True
    return read(nsg, "id") not in (None, "")


def _nsg_attached(props: Mapping[str, Any]) -> str | None:
    missing = [
        name
        for name, subnet in _subnets(props)
        if name.lower() not in NSG_EXEMPT_SUBNETS and not _has_nsg(subnet)
    ]
    if not missing:
        return None
    return (
        f"Subnet has no network security group: {', '.join(missing)} (networkSecurityGroup.id is not set); expected an "
        "NSG attached to every subnet except the Azure-managed gateway, firewall and route server subnets."
    )


# --- Firewall IP rules ---


def _ip_rule_addresses(props: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(property path, address) of each IP rule of a firewall; ``UNKNOWN`` for what is unknown in a preview."""
    found: list[tuple[str, Any]] = []
    for path, key in IP_RULE_LOCATIONS:
        rules = read(props, path)
        if rules is UNKNOWN:
            found.append((path, UNKNOWN))
            continue
        found += [(f"{path}[{index}].{key}", read(rule, key)) for index, rule in enumerate(_as_list(rules))]
    return found


def _firewall_name(props: Mapping[str, Any]) -> str:
    keys = set(props)  # iterating keys never touches values, which may be unknown during preview
    for key, noun in FIREWALL_NAME_INPUTS.items():
        if key in keys:
            name = read(props, key)
            return f"{noun} {name}" if isinstance(name, str) else noun
    return "Resource"


def _firewall_ip_rules(props: Mapping[str, Any]) -> str | None:
    addresses = _ip_rule_addresses(props)
    findings = [f"{where} is not known until deployment, so it cannot be checked" for where, a in addresses if a is UNKNOWN]
    if not findings:
        entries = [address if isinstance(address, str) else repr(address) for _, address in addresses]
        for problem in allow_list_problems(entries):
            if problem.index is None:
                findings.append(f"its IP rules together are {problem.finding}; expected {problem.rule}")
            else:
                where = addresses[problem.index][0]
                findings.append(f"{where} {shown(entries[problem.index])} is {problem.finding}; expected {problem.rule}")
    if not findings:
        return None
    return f"{_firewall_name(props)} firewall admits what an allow-list must not: {'; '.join(findings)}."


# --- Private endpoints (stack) ---


def _connects(endpoint: Any, target: Any) -> bool:
    """Whether ``endpoint`` connects to ``target``, read from the dependency graph."""
    return any(r.urn == target.urn for r in dependencies_through(endpoint, *_CONNECTION_KEYS))


def _group_ids(endpoint: Any) -> set[str]:
    """The private link groups an endpoint connects to; ``"*"`` when they are unknown during preview."""
    groups: set[str] = set()
    for key in _CONNECTION_KEYS:
        connections = read(endpoint.props, key)
        if connections is UNKNOWN:
            return {"*"}
        for connection in _as_list(connections):
            group_ids = read(connection, "groupIds")
            if group_ids is UNKNOWN:
                return {"*"}
            groups.update(group.lower() for group in _as_list(group_ids) if isinstance(group, str))
    return groups


def _private_endpoints(args: StackValidationArgs) -> Iterable[tuple[str | None, str]]:
    private = [
        r for r in args.resources
        if r.resource_type == ML_WORKSPACE and is_value(read(r.props, "publicNetworkAccess"), "Disabled")
    ]
    if not private:
        return  # public or managed tier: Azure ML's managed private endpoints (or IP allow-lists) apply instead
    reason = f"the platform is private (workspace {private[0].name} has publicNetworkAccess 'Disabled')"
    endpoints = [r for r in args.resources if r.resource_type == PRIVATE_ENDPOINT]
    for target in args.resources:
        if target.resource_type not in PRIVATE_LINK_TARGETS:
            continue
        group, noun = PRIVATE_LINK_TARGETS[target.resource_type]
        found = sorted(set().union(*(_group_ids(e) for e in endpoints if _connects(e, target))))
        if group in found or "*" in found:
            continue
        has = "has no private endpoint" if not found else f"has private endpoints only for groups {', '.join(found)}"
        yield target.urn, (
            f"{noun} {target.name} {has} while {reason}; expected a network:PrivateEndpoint whose "
            f"privateLinkServiceConnections reference it with groupIds ['{group}']."
        )


# --- Private DNS of every private endpoint, and the subnets they sit in (stack) ---


def _tag(resource: Any, name: str) -> Any:
    """The value of tag ``name`` (case-insensitive key) of a resource, None when absent, ``UNKNOWN`` when unknown."""
    tags = read(resource.props, "tags")
    if tags is UNKNOWN:
        return UNKNOWN
    if not isinstance(tags, Mapping):
        return None
    for key in list(tags):
        if str(key).lower() == name.lower():
            return read(tags, key)
    return None


def _zone_names(group: Any) -> set[str] | None:
    """The zones a DNS zone group registers in, by name: from each zone ID, or (IDs unknown during a real preview)
    from the zones it depends on; None when that cannot be told."""
    configs = read(group.props, "privateDnsZoneConfigs")
    if configs is UNKNOWN:
        return None
    names: set[str] = set()
    unknown = False
    for config in _as_list(configs):
        zone_id = read(config, "privateDnsZoneId")
        if isinstance(zone_id, str):
            name = zone_name_of(zone_id)
            names.add(name if name is not None else zone_id.rstrip("/").rsplit("/", 1)[-1].lower())
        else:
            unknown = True
    if unknown:
        zones = [d for d in dependencies_through(group, "privateDnsZoneConfigs") if d.resource_type == PRIVATE_ZONE]
        known = [read(z.props, "privateZoneName") for z in zones]
        if not zones or not all(isinstance(name, str) for name in known):
            return None
        names |= {name.lower() for name in known}
    return names


def _endpoint_dns(args: StackValidationArgs) -> Iterator[tuple[str | None, str]]:
    endpoints = [r for r in args.resources if r.resource_type == PRIVATE_ENDPOINT]
    groups = [r for r in args.resources if r.resource_type == DNS_ZONE_GROUP]
    for endpoint in endpoints:
        by_policy = _tag(endpoint, DNS_TAG)
        if by_policy is UNKNOWN or is_value(by_policy, DNS_BY_POLICY):
            continue  # the landing zone's DeployIfNotExists policy adds the zone group after the endpoint exists
        group_ids = _group_ids(endpoint)
        needed = [] if "*" in group_ids else needed_zones(sorted(g for g in group_ids if g in PRIVATE_DNS_ZONES))
        name = physical_name(endpoint)
        mine = [g for g in groups if any(d.urn == endpoint.urn for d in dependencies_through(g, "privateEndpointName"))]
        if not mine:
            zones = f" registering in {', '.join(needed)}" if needed else ""
            yield endpoint.urn, (
                f"Private endpoint {name} has no private DNS: no network:PrivateDnsZoneGroup{zones} belongs to it and it "
                f"is not tagged {DNS_TAG}: {DNS_BY_POLICY}; clients would resolve the service's public name and be "
                f"refused; expected a DNS zone group on it (network.privateDns mode create or existing), or the tag when "
                f"the landing zone's Azure Policy adds the zone group (mode policy)."
            )
            continue
        names: set[str] = set()
        for group in mine:
            found = _zone_names(group)
            if found is None:
                names = set(needed)
                break
            names |= found
        missing = [zone for zone in needed if zone not in names]
        if missing:
            yield endpoint.urn, (
                f"Private endpoint {name} (groups {', '.join(sorted(group_ids))}) has a DNS zone group without the zones "
                f"{', '.join(missing)}; its service's names there would resolve publicly; expected a privateDnsZoneConfigs "
                f"entry for each of {', '.join(needed)}."
            )


def _subnet_is_planned(endpoint: Any) -> bool:
    return any(d.resource_type in (SUBNET, VIRTUAL_NETWORK) for d in dependencies_through(endpoint, "subnet"))


def _shared_subnets(args: StackValidationArgs) -> Iterator[tuple[str | None, str]]:
    for endpoint in args.resources:
        if endpoint.resource_type != PRIVATE_ENDPOINT or _subnet_is_planned(endpoint):
            continue
        subnet_id = read(endpoint.props, "subnet.id")
        use = _tag(endpoint, SUBNET_USE_TAG)
        if subnet_id is UNKNOWN or use is UNKNOWN or is_value(use, SUBNET_DEDICATED):
            continue
        yield endpoint.urn, (
            f"Private endpoint {physical_name(endpoint)} is in subnet {shown(subnet_id)}, which the stack does not create "
            f"and does not declare dedicated (tag {SUBNET_USE_TAG} is {shown(use)}); other workloads there share its "
            f"NSG, route table and addresses; expected a subnet holding only the platform's private endpoints, declared "
            f"with mlplatform:network.existingVnet.dedicatedSubnet: true (tag {SUBNET_USE_TAG}: {SUBNET_DEDICATED})."
        )


# --- What the managed network must reach: the registries the stack's assets come from ---

#: An asset in an Azure ML registry, as deployments, schedules and monitors name it.
REGISTRY_ASSET = re.compile(r"azureml://registries/([A-Za-z0-9][A-Za-z0-9_-]*)/", re.IGNORECASE)
REGISTRY_GROUP = "amlregistry"


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    """Every known string inside a resource's props (values unknown during preview are skipped)."""
    if depth > 20:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key in list(value):
            try:
                yield from _strings(value[key], depth + 1)
            except UnknownValueError:
                continue
    elif isinstance(value, Sequence) and not isinstance(value, bytes):
        for index in range(len(value)):
            try:
                yield from _strings(value[index], depth + 1)
            except UnknownValueError:
                continue


def _registry_references(resources: Iterable[Any]) -> dict[str, list[str]]:
    """Registry name (lower-case) -> the resources that use one of its assets, by name."""
    users: dict[str, list[str]] = {}
    for resource in resources:
        if resource.resource_type == ML_WORKSPACE:
            continue
        for name in sorted({m.lower() for text in _strings(resource.props) for m in REGISTRY_ASSET.findall(text)}):
            users.setdefault(name, []).append(resource.name)
    return users


def _reached_registries(workspace: Any) -> set[str] | None:
    """Registries (lower-case names) the workspace's managed network has a private endpoint rule to; None when a
    rule's destination is unknown during preview (the check cannot decide then)."""
    rules = read(workspace.props, "managedNetwork.outboundRules")
    reached: set[str] = set()
    if not isinstance(rules, Mapping):
        return reached
    for key in list(rules):
        rule = read(rules, key)
        if not isinstance(rule, Mapping) or not is_value(read(rule, "type"), "PrivateEndpoint"):
            continue
        target, resource_id = read(rule, "destination.subresourceTarget"), read(rule, "destination.serviceResourceId")
        if target is UNKNOWN or resource_id is UNKNOWN:
            return None
        if is_value(target, REGISTRY_GROUP) and isinstance(resource_id, str) and "/registries/" in resource_id.lower():
            reached.add(resource_id.rstrip("/").rsplit("/", 1)[-1].lower())
    return reached


def _registries_reached(args: StackValidationArgs) -> Iterator[tuple[str | None, str]]:
    users = _registry_references(args.resources)
    if not users:
        return
    for workspace in args.resources:
        if workspace.resource_type != ML_WORKSPACE:
            continue
        if not is_value(read(workspace.props, "managedNetwork.isolationMode"), "AllowOnlyApprovedOutbound"):
            continue
        reached = _reached_registries(workspace)
        if reached is None:
            continue
        for registry in sorted(set(users) - reached):
            used_by = ", ".join(users[registry][:3]) + (f" and {len(users[registry]) - 3} more" if len(users[registry]) > 3 else "")
            yield workspace.urn, (
                f"Machine Learning workspace {physical_name(workspace)} allows only approved outbound, but its managed "
                f"network has no private endpoint rule to registry {registry}, whose assets {used_by} use; expected an "
                f"outbound rule of type PrivateEndpoint with destination.subresourceTarget '{REGISTRY_GROUP}' and "
                f"destination.serviceResourceId ending in /registries/{registry}."
            )


POLICIES: list = [
    resource_policy(
        name="azure-native-network-networksecuritygroup-no-internet-management-ports",
        description="No security rule lets the Internet reach SSH (22), RDP (3389) or plain HTTP (80).",
        rationale=(
            "Management ports open to the Internet are scanned and brute-forced within minutes of exposure, and port 80 "
            "serves unencrypted traffic; administration goes through Azure Bastion or private networks, web traffic "
            "through HTTPS."
        ),
        checks=(
            "No Inbound Allow rule (inline in an NSG or a standalone SecurityRule) has source *, Internet or 0.0.0.0/0 "
            "and a destination port range or list covering 22, 3389 or 80."
        ),
        severity=Severity.CRITICAL,
        resource_types=[NSG, SECURITY_RULE],
        check=_internet_inbound,
        controls=Controls(checkov=("CKV_AZURE_10", "CKV_AZURE_9", "CKV_AZURE_160"), psrule=("Azure.NSG.AnyInboundSource",)),
        remediation=(
            "Remove the rule, or narrow its source to known address ranges (a VNet, a service tag such as "
            "AzureLoadBalancer, an on-premises range) and serve web traffic on 443. The PrivateNetwork component "
            "(components/private_network.py) only adds a deny-internet-inbound rule; new rules belong there, in code review."
        ),
        url="https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview",
    ),
    resource_policy(
        name="azure-native-network-subnet-disable-default-outbound-access",
        description="Subnets are private: no implicit default outbound Internet access.",
        rationale=(
            "Default outbound access gives every machine an unowned, changing public IP for egress, an exfiltration path "
            "nobody configured; Azure is retiring it in favour of explicit NAT gateways and firewalls."
        ),
        checks="Each Subnet (or subnet declared inline in a VirtualNetwork) sets defaultOutboundAccess to false.",
        severity=Severity.MEDIUM,
        resource_types=[SUBNET, VIRTUAL_NETWORK],
        check=_default_outbound_off,
        controls=Controls(azure_policy=("7bca8353-aa3b-429b-904a-9229c4385837",), psrule=("Azure.VNET.PrivateSubnet",)),
        remediation=(
            "Set default_outbound_access=False on the network.Subnet (the PrivateNetwork component in "
            "components/private_network.py does); give a subnet that needs egress a NAT gateway or a route to a firewall."
        ),
        url="https://learn.microsoft.com/azure/virtual-network/ip-services/default-outbound-access",
    ),
    resource_policy(
        name="azure-native-network-subnet-require-nsg",
        description="Every subnet has a network security group.",
        rationale=(
            "Without an NSG, a subnet relies on nothing but Azure's default rules; an attached NSG states the allowed "
            "traffic, applies to private endpoints when their network policies are on, and can be audited."
        ),
        checks=(
            "Each Subnet (or inline subnet) except GatewaySubnet, AzureFirewallSubnet and RouteServerSubnet sets "
            "networkSecurityGroup.id."
        ),
        severity=Severity.HIGH,
        resource_types=[SUBNET, VIRTUAL_NETWORK],
        check=_nsg_attached,
        controls=Controls(
            azure_policy=("e71308d3-144b-4262-b144-efdc3cc90517",),
            checkov=("CKV2_AZURE_31",),
            psrule=("Azure.VNET.UseNSGs",),
        ),
        remediation=(
            "Attach an NSG with network_security_group=network.NetworkSecurityGroupArgs(id=nsg.id) on the "
            "network.Subnet, as the PrivateNetwork component (components/private_network.py) does for its endpoint subnet."
        ),
        url="https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works",
    ),
    resource_policy(
        name="azure-native-network-firewall-ip-rules-public-and-bounded",
        description="Storage, Key Vault and container registry firewalls admit public addresses only, no range wider "
        "than a /16 and no more than one /16 in all.",
        rationale=(
            "An IP allow-list exists to admit an organisation's egress addresses. 0.0.0.0/0, two /1 halves or a stack of "
            "wide ranges reopens the service to the Internet behind a firewall that only looks closed; private and "
            "reserved ranges never match (Azure firewall IP rules see public client addresses), so they hide a "
            "misunderstanding: private networks come in through private endpoints or virtual network rules."
        ),
        checks=(
            "Every `networkRuleSet.ipRules[].iPAddressOrRange` (storage accounts, container registries) and "
            "`properties.networkAcls.ipRules[].value` (Key Vaults) is a known IPv4 address or CIDR range, no wider than "
            "/16, outside the special-purpose blocks (private RFC 1918, loopback, link-local, carrier-grade NAT "
            "100.64.0.0/10, 'this network', IETF, benchmarking, multicast, reserved; the RFC 5737 documentation ranges "
            "are accepted as placeholders), and all of a resource's rules, overlaps merged, admit at most 65,536 "
            "addresses: the rules of components/firewall.py, which config validation applies too."
        ),
        severity=Severity.HIGH,
        resource_types=FIREWALL_TYPES,
        check=_firewall_ip_rules,
        controls=Controls(mcsb=("NS-2",)),
        remediation=(
            "List your egress addresses under `mlplatform:network.allowedIpRanges` (dev, public mode) or "
            "`mlplatform:stateBackend.network.allowedIpRanges` (bootstrap) in the stack file: config validation "
            "applies the same floor, and components/hardening.py copies the list into the storage and Key Vault "
            "firewalls. Reach private networks through private endpoints (`network.mode: private`) instead of IP rules."
        ),
        url="https://learn.microsoft.com/azure/storage/common/storage-network-security",
    ),
    stack_policy(
        name="azure-native-network-privateendpoint-required",
        description="In the private tier, the workspace, Key Vault, storage account and container registry each have a private endpoint.",
        rationale=(
            "With public network access disabled, a service without a private endpoint is unreachable from the "
            "platform's network; Azure ML jobs, studio and deployments then fail, or someone reopens the public endpoint."
        ),
        checks=(
            "When an ML workspace has publicNetworkAccess Disabled, every ML workspace, Key Vault, storage account and "
            "container registry is referenced by a PrivateEndpoint with group amlworkspace, vault, blob or registry."
        ),
        severity=Severity.HIGH,
        check=_private_endpoints,
        controls=Controls(
            azure_policy=(
                "45e05259-1eb5-4f70-9574-baf73e9d219b",
                "a6abeaec-4d90-4a02-805f-6b26c4d3fbe9",
                "6edd7eda-6dd8-40f7-810d-67160c639cd9",
                "e8eef0a8-67cf-4eb4-9386-14b0e78733d4",
            ),
            checkov=("CKV2_AZURE_32", "CKV2_AZURE_33"),
            mcsb=("NS-2",),
        ),
        remediation=(
            "Keep mlplatform:network.mode private with the default targets: blueprint/program/stacks/environment.py passes the "
            "workspace (amlworkspace), vault, storage (blob, file, dfs) and registry to the PrivateNetwork component "
            "(components/private_network.py), which creates one private endpoint per target, in its own VNet or the "
            "landing zone's (network.existingVnet). "
            "A resource added outside MlWorkspace needs its own target there."
        ),
        url="https://learn.microsoft.com/azure/machine-learning/how-to-configure-private-link",
    ),
    stack_policy(
        name="azure-native-network-privateendpoint-require-private-dns",
        description="Every private endpoint has private DNS: a DNS zone group with the zones of its group, or DNS left to the landing zone's Azure Policy.",
        rationale=(
            "A private endpoint without a record in its privatelink zone is never used: clients resolve the service's "
            "public name, which public network access disabled refuses. Whether the stack creates the zones, uses a "
            "hub's zones by ID or leaves the zone group to a DeployIfNotExists policy, every endpoint needs one of them; "
            "a workspace endpoint also needs the notebooks zone, or the studio's notebooks break."
        ),
        checks=(
            "Every PrivateEndpoint either carries the tag privateDns: azurePolicy (network.privateDns.mode policy) or "
            "has a PrivateDnsZoneGroup whose privateDnsZoneConfigs name a private DNS zone for each zone its groupIds "
            "need (components/private_dns.py; amlworkspace: privatelink.api.azureml.ms and "
            "privatelink.notebooks.azure.net), zones read from the zone IDs or from the PrivateZone resources they refer to."
        ),
        severity=Severity.HIGH,
        check=_endpoint_dns,
        controls=Controls(
            azure_policy=(
                "ee40564d-486e-4f68-a5ca-7a621edae0fb",
                "ac673a9a-f77d-4846-b2d8-a57f8e1c01d4",
                "75973700-529f-4de2-b794-fb9b6781b6b0",
                "6df98d03-368a-4438-8730-a93c4d7693d6",
                "83c6fe0f-2316-444a-99a1-1ecd8a7872ca",
                "e9585a95-5b8c-4d03-b193-dc7eb5ac4c32",
            ),
            mcsb=("NS-2",),
        ),
        remediation=(
            "Keep the PrivateNetwork component (components/private_network.py) creating every endpoint: with "
            "mlplatform:network.privateDns.mode create (default) or existing it gives each endpoint a DNS zone group "
            "with the zones of components/private_dns.py (existing mode: list every zone's resource ID under "
            "privateDns.zones; config validation names a missing one), with mode policy it tags the endpoints "
            "privateDns: azurePolicy. Mode policy needs the landing zone's DeployIfNotExists assignments for every "
            "group (docs/network.md)."
        ),
        url="https://learn.microsoft.com/azure/private-link/private-endpoint-dns",
    ),
    stack_policy(
        name="azure-native-network-privateendpoint-dedicated-subnet",
        description="Private endpoints in a subnet the stack does not create sit in a subnet declared dedicated to them (advisory).",
        rationale=(
            "A brought subnet's NSG, route table and address space belong to the landing zone; workloads sharing it "
            "can exhaust its addresses or get rules written for them that also apply to the platform's endpoints. The "
            "plan cannot see the subnet, so the stack file declares it dedicated and the endpoints carry that "
            "declaration; a shared subnet may be a deliberate landing-zone decision, hence advisory."
        ),
        checks=(
            "Every PrivateEndpoint whose subnet is not a Subnet or VirtualNetwork of the stack carries the tag "
            "subnetUse: dedicated (set from mlplatform:network.existingVnet.dedicatedSubnet)."
        ),
        severity=Severity.MEDIUM,
        check=_shared_subnets,
        controls=Controls(mcsb=("NS-1",)),
        remediation=(
            "Ask the landing zone for a subnet holding only the platform's private endpoints and set "
            "mlplatform:network.existingVnet.dedicatedSubnet: true; the PrivateNetwork component "
            "(components/private_network.py) then tags every endpoint subnetUse: dedicated."
        ),
        url="https://learn.microsoft.com/azure/private-link/private-endpoint-overview",
        relaxed_in=("dev", "test", "staging", "prod", "shared", "bootstrap"),
    ),
    stack_policy(
        name="azure-native-network-mlworkspace-managed-network-reaches-registries",
        description="A managed network that allows only approved outbound reaches every Azure ML registry whose assets the stack uses.",
        rationale=(
            "Deployments pull their models, schedules their pipeline components and image builds their environments "
            "from the registry, from inside the workspace's managed network. With approved outbound only, and the "
            "registry's public access disabled, nothing reaches the registry but a private endpoint outbound rule: "
            "without it, deployments, retraining and image builds fail at run time, long after the update succeeded. "
            "A private endpoint in the platform's own VNet (private mode) does not help: it serves clients in that "
            "VNet, while compute runs in the Microsoft-managed VNet, which only its outbound rules connect."
        ),
        checks=(
            "For every ML workspace with managedNetwork.isolationMode AllowOnlyApprovedOutbound, each registry named "
            "by an azureml://registries/<name>/<asset> reference anywhere in the stack's resources has an outbound rule of "
            "type PrivateEndpoint with destination.subresourceTarget amlregistry and destination.serviceResourceId "
            "ending in /registries/<name> (compared case-insensitively; a destination unknown during preview passes)."
        ),
        severity=Severity.HIGH,
        check=_registries_reached,
        controls=Controls(mcsb=("NS-2",)),
        remediation=(
            "Set mlplatform:sharedStack: blueprint/program/stacks/environment.py then gives the workspace a "
            "shared-registry rule (registry_endpoint_rules in blueprint/program/features/network.py) to the shared "
            "stack's registryId. For another registry, add a PrivateEndpointRuleArgs to MlWorkspace's "
            "private_endpoint_rules (components/ml_workspace.py) with subresource_target amlregistry."
        ),
        url="https://learn.microsoft.com/azure/machine-learning/how-to-managed-network",
    ),
]
