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
from blueprint.program.config.rules import allow_list_issues, key_path
from blueprint.program.settings import BuildContext, default_of, setting
from components.ml_workspace import DEFAULT_OUTBOUND_PORTS, DEFAULT_OUTBOUND_PROTOCOL, OutboundRuleArgs, PrivateEndpointRuleArgs
from components.options import Environment, NetworkMode
from components.private_network import PrivateNetwork

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
    protocol: str = setting("protocol", default=DEFAULT_OUTBOUND_PROTOCOL, override={"enum": ["TCP", "UDP", "*"]})
    port_ranges: str = setting(
        "portRanges", default=DEFAULT_OUTBOUND_PORTS, pattern=r"^(\*|[0-9]{1,5}(-[0-9]{1,5})?(,[0-9]{1,5}(-[0-9]{1,5})?)*)$",
        x_expected="ports such as 443 or 80,443 or 8000-8100",
    )


OutboundRule = FqdnRule | ServiceTagRule


def default_network_mode(environment: Environment) -> NetworkMode:
    """Prod is private unless a stack says otherwise; everything else gets the managed VNet."""
    return NetworkMode.PRIVATE if environment is Environment.PROD else NetworkMode.MANAGED


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
    outbound_rules: Mapping[str, OutboundRule] = setting(
        "outboundRules",
        "managed and private modes: outbound destinations the workspace's managed VNet may reach, by rule name, besides "
        "the package hosts the environment templates need (ml_templates/environments: conda channels, PyPI), which every "
        "managed network gets as pkg-<host> rules without listing them here; a rule here for one of those hosts replaces "
        "its pkg- rule. FQDN rules make Azure ML deploy a managed Azure Firewall (billed hourly).",
        default=MappingProxyType({}), maxProperties=50,
        names={"pattern": "^[a-zA-Z][a-zA-Z0-9-]{0,62}$", "x-expected": "a rule name of 1-63 letters, digits or hyphens, starting with a letter"},
        values={"x-expected": "a rule with either fqdn, or serviceTag (with optional protocol and portRanges)"},
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
    if network.get("outboundRules") and mode is NetworkMode.PUBLIC:
        issue("outboundRules", "no outbound rules in public mode (outbound to the Internet is already allowed)")
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


def network_value_issues(project: str, values: Mapping[str, Any]) -> list[ConfigIssue]:
    """Values the schema's patterns admit but Azure refuses: host bits in the address space, ports out of range."""
    issues: list[ConfigIssue] = []
    network = values.get("network") or {}
    space = network.get("addressSpace")
    if isinstance(space, str):
        try:
            ipaddress.ip_network(space, strict=True)
        except ValueError:
            base = ipaddress.ip_network(space, strict=False)
            issues.append(ConfigIssue(key_path(project, ["network", "addressSpace"]), f"a network address without host bits, such as {base}", describe(space)))
    for name, rule in (network.get("outboundRules") or {}).items():
        ports = rule.get("portRanges") if isinstance(rule, Mapping) else None
        if isinstance(ports, str) and ports != "*":
            for part in ports.split(","):
                low, _, high = part.partition("-")
                if not 1 <= int(low) <= int(high or low) <= 65535:
                    issues.append(ConfigIssue(key_path(project, ["network", "outboundRules", name, "portRanges"]), "ports from 1 to 65535, each range low to high", describe(ports)))
                    break
    return issues


def derived_rule_name(host: str) -> str:
    """The name of the FQDN rule the platform adds for a package host: ``pkg-`` and the host, dots as hyphens."""
    return f"{DERIVED_RULE_PREFIX}{host.replace('*', 'any').replace('.', '-')}"[:63]


def outbound_rule_args(network: NetworkSettings, package_hosts: Mapping[str, Sequence[str]] = MappingProxyType({})) -> list[OutboundRuleArgs]:
    """The workspace's outbound rules, by name: the stack's own, plus an FQDN rule for each package host the
    environments need (``package_hosts``, host -> environments) that no rule of the stack already allows.

    Derived rules exist only where FQDN rules do (managed and private modes); a stack rule for the same host is kept
    under its own name and the derived one is left out, so each host is allowed once.
    """
    rules: list[OutboundRuleArgs] = []
    for name, rule in sorted(network.outbound_rules.items()):
        if isinstance(rule, FqdnRule):
            rules.append(_fqdn_rule(name, rule.fqdn))
        else:
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
    targets: Sequence[tuple[str, pulumi.Input[str], str]],
) -> PrivateNetwork | None:
    """Private mode: a VNet with a private endpoint and private DNS for each ``(key, resource ID, group ID)``."""
    if network.mode is not NetworkMode.PRIVATE:
        return None
    return PrivateNetwork(
        "network",
        {
            "location": location,
            "naming": dict(naming),
            "tags": dict(tags),
            "resource_group_name": resource_group_name,
            "address_space": network.address_space,
            "targets": [{"key": key, "resource_id": resource_id, "group_id": group_id} for key, resource_id, group_id in targets],
        },
    )
