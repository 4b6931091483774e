"""Validate a stack's raw configuration and build :class:`PlatformConfig`.

Checks run in two passes: the JSON Schema (shapes, types, ranges, unknown keys), then the rules that need more
than one key or a catalog (VM sizes, regions, environment rules). All problems are reported at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from blueprint.config.errors import ConfigError, ConfigIssue, describe
from blueprint.config.model import (
    AccessConfig,
    CiConfig,
    ClusterConfig,
    ExtraRoleAssignment,
    NetworkConfig,
    OutboundRule,
    PlatformConfig,
    RegistryConfig,
    default_log_retention_days,
    default_network_mode,
)
from blueprint.config.schema import PROVIDER_NAMESPACES, coerce, key_path, schema_issues
from components import regions, vm_sizes
from components.naming import RULES, ResourceKind, validate_name
from components.options import ClusterTier, Environment, MfaState, NetworkMode
from components.roles import BuiltInRole, Persona, Scope


def load_platform_config(
    raw: Mapping[str, Any],
    *,
    project: str,
    stack: str,
    source: str,
) -> PlatformConfig:
    """Build the platform config from a stack's whole config map (``"<namespace>:<key>" -> string``).

    ``project`` is the config namespace; ``source`` names the stack file in error messages. Raises
    :class:`ConfigError` listing every problem.
    """
    own, issues = _split_namespaces(raw, project)
    values, coerce_issues = coerce(project, own)
    issues += coerce_issues
    if not coerce_issues:
        issues += schema_issues(project, values)
    if not issues:
        issues += _semantic_issues(project, values)
    if issues:
        raise ConfigError(source, issues)
    return _build(values, project=project, stack=stack)


def _split_namespaces(raw: Mapping[str, Any], project: str) -> tuple[dict[str, Any], list[ConfigIssue]]:
    own: dict[str, Any] = {}
    issues: list[ConfigIssue] = []
    allowed = (project, *PROVIDER_NAMESPACES)
    for full_key, value in raw.items():
        namespace, _, key = full_key.partition(":")
        if not key:
            namespace, key = project, full_key
        if namespace == project:
            own[key] = value
        elif namespace not in PROVIDER_NAMESPACES:
            close = difflib.get_close_matches(namespace, allowed, n=1)
            hint = f" (did you mean {close[0]}:{key}?)" if close else ""
            issues.append(
                ConfigIssue(full_key, f"a key in one of the namespaces {', '.join(n + ':' for n in allowed)}", f"an unknown namespace{hint}")
            )
    return own, issues


def _semantic_issues(project: str, values: Mapping[str, Any]) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    environment = Environment(values["tags"]["environment"])
    try:
        regions.normalize_location(values["location"])
    except regions.UnknownRegionError:
        issues.append(ConfigIssue(key_path(project, ["location"]), "an Azure region name such as westeurope (see components/regions.py)", describe(values["location"])))

    if "resourceGroupName" in values:
        for problem in validate_name(ResourceKind.RESOURCE_GROUP, values["resourceGroupName"]):
            issues.append(ConfigIssue(key_path(project, ["resourceGroupName"]), RULES[ResourceKind.RESOURCE_GROUP].description, f"{describe(values['resourceGroupName'])}, which {problem}"))

    if environment is not Environment.SHARED:
        issues += _network_issues(project, values.get("network", {}), environment)
        issues += _access_issues(project, values.get("access", {}), environment)

    if environment.holds_production_data and values.get("protect") is False:
        issues.append(ConfigIssue(key_path(project, ["protect"]), f"true in {environment.value} (data-bearing resources are always protected there)", describe(False)))
    issues += _stack_kind_issues(project, values, environment)

    seen: set[str] = set()
    for index, cluster in enumerate(values.get("clusters", ())):
        name = cluster["name"]
        if name.lower() in seen:
            issues.append(ConfigIssue(key_path(project, ["clusters", index, "name"]), "a name not used by another cluster", describe(name)))
        seen.add(name.lower())
        for problem in validate_name(ResourceKind.ML_COMPUTE_CLUSTER, name):
            issues.append(ConfigIssue(key_path(project, ["clusters", index, "name"]), RULES[ResourceKind.ML_COMPUTE_CLUSTER].description, f"{describe(name)}, which {problem}"))
        try:
            vm_sizes.lookup(cluster["vmSize"])
        except vm_sizes.UnknownVmSizeError as error:
            hint = f" (did you mean {' or '.join(error.suggestions)}?)" if error.suggestions else ""
            issues.append(ConfigIssue(key_path(project, ["clusters", index, "vmSize"]), "a VM size from the catalog components/data/vm_sizes.json", describe(cluster["vmSize"]) + hint))
        min_nodes = cluster.get("minNodes", 0)
        if min_nodes > cluster["maxNodes"]:
            issues.append(ConfigIssue(key_path(project, ["clusters", index, "minNodes"]), f"at most maxNodes ({cluster['maxNodes']})", describe(min_nodes)))
    return issues


#: Keys that belong to environment stacks only, and to the shared stack only.
_ENVIRONMENT_ONLY = ("clusters", "network", "access", "sharedStack", "resourceGroupName")
_SHARED_ONLY = ("registry",)


def _stack_kind_issues(project: str, values: Mapping[str, Any], environment: Environment) -> list[ConfigIssue]:
    """The shared stack holds the registry; environment stacks hold workspaces, clusters and people."""
    issues: list[ConfigIssue] = []
    if environment is Environment.SHARED:
        if "registry" not in values:
            issues.append(ConfigIssue(key_path(project, ["registry"]), "the registry settings of the shared stack (a mapping; replicationRegions optional)", "nothing (the key is required when tags.environment is shared)"))
        for key in _ENVIRONMENT_ONLY:
            if key in values:
                issues.append(ConfigIssue(key_path(project, [key]), "no such key in the shared stack (it holds the registry only)", describe(values[key])))
        for index, region in enumerate(values.get("registry", {}).get("replicationRegions", [])):
            try:
                regions.normalize_location(region)
            except regions.UnknownRegionError:
                issues.append(ConfigIssue(key_path(project, ["registry", "replicationRegions", index]), "an Azure region name such as northeurope (see components/regions.py)", describe(region)))
    else:
        if not values.get("clusters"):
            issues.append(ConfigIssue(key_path(project, ["clusters"]), "at least one compute cluster in an environment stack", describe(values.get("clusters"))))
        for key in _SHARED_ONLY:
            if key in values:
                issues.append(ConfigIssue(key_path(project, [key]), f"no such key in a {environment.value} stack (only the shared stack holds the registry; reference it with sharedStack)", describe(values[key])))
    return issues


def _network_issues(project: str, network: Mapping[str, Any], environment: Environment) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    mode = NetworkMode(network.get("mode", default_network_mode(environment).value))

    def issue(key: str, expected: str) -> None:
        issues.append(ConfigIssue(key_path(project, ["network", key]), expected, describe(network.get(key))))

    if mode is NetworkMode.PUBLIC:
        if environment is not Environment.DEV:
            issue("mode", f"managed or private in {environment.value} (public networking is for dev only)")
        if not network.get("allowedIpRanges"):
            issue("allowedIpRanges", "at least one IP range: public mode is never open to the whole Internet")
    elif network.get("allowedIpRanges"):
        issue("allowedIpRanges", f"no allow-list in {mode.value} mode (public network access is disabled)")
    if "addressSpace" in network and mode is not NetworkMode.PRIVATE:
        issue("addressSpace", f"no address space in {mode.value} mode (only private mode creates a VNet)")
    if network.get("outboundRules") and mode is NetworkMode.PUBLIC:
        issue("outboundRules", "no outbound rules in public mode (outbound to the Internet is already allowed)")
    return issues


def _access_issues(project: str, access: Mapping[str, Any], environment: Environment) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    mfa = access.get("mfa", {})
    if mfa.get("state") == "reportOnly" and environment is not Environment.DEV:
        issues.append(ConfigIssue(key_path(project, ["access", "mfa", "state"]), f"enabled in {environment.value} (report-only MFA is allowed in dev only)", describe("reportOnly")))
    break_glass = access.get("breakGlass", {})
    if mfa.get("allCloudApps") and not (break_glass.get("userIds") or break_glass.get("groupIds")):
        issues.append(ConfigIssue(key_path(project, ["access", "breakGlass"]), "at least one break-glass user or group when MFA covers all cloud apps (or nobody can recover a broken policy)", "nothing"))
    for index, grant in enumerate(access.get("extraRoleAssignments", [])):
        role = _BUILT_IN_BY_NAME.get(grant["role"].lower())
        if role is None or role in _NOT_GRANTABLE_BY_CONFIG:
            allowed = ", ".join(sorted(r.value for r in BuiltInRole if r not in _NOT_GRANTABLE_BY_CONFIG))
            issues.append(ConfigIssue(key_path(project, ["access", "extraRoleAssignments", index, "role"]), f"one of {allowed}", describe(grant["role"])))
    return issues


#: Roles only the platform itself grants (to its CI identity and its workspace identity), never through config.
_NOT_GRANTABLE_BY_CONFIG = frozenset(
    {BuiltInRole.CONTRIBUTOR, BuiltInRole.ROLE_BASED_ACCESS_CONTROL_ADMINISTRATOR, BuiltInRole.KEY_VAULT_ADMINISTRATOR}
)
_BUILT_IN_BY_NAME = {role.value.lower(): role for role in BuiltInRole}


def _build(values: Mapping[str, Any], *, project: str, stack: str) -> PlatformConfig:
    environment = Environment(values["tags"]["environment"])
    network = values.get("network", {})
    access = values.get("access", {})
    ci = values.get("ci")
    return PlatformConfig(
        project=project,
        stack=stack,
        location=regions.normalize_location(values["location"]),
        naming_prefix=values["namingPrefix"],
        tags=dict(values["tags"]),
        network=NetworkConfig(
            mode=NetworkMode(network.get("mode", default_network_mode(environment).value)),
            allowed_ip_ranges=tuple(network.get("allowedIpRanges", ())),
            address_space=network.get("addressSpace", NetworkConfig.address_space),
            outbound_rules=tuple(
                OutboundRule(
                    name=name,
                    fqdn=rule.get("fqdn"),
                    service_tag=rule.get("serviceTag"),
                    protocol=rule.get("protocol", "TCP"),
                    port_ranges=rule.get("portRanges", "443"),
                )
                for name, rule in sorted(network.get("outboundRules", {}).items())
            ),
        ),
        clusters=tuple(
            ClusterConfig(
                name=cluster["name"],
                vm_size=vm_sizes.lookup(cluster["vmSize"]).name,
                max_nodes=int(cluster["maxNodes"]),
                min_nodes=int(cluster.get("minNodes", 0)),
                tier=ClusterTier(cluster.get("tier", ClusterTier.DEDICATED.value)),
                idle_seconds_before_scale_down=int(cluster.get("idleSecondsBeforeScaleDown", 120)),
            )
            for cluster in values.get("clusters", ())
        ),
        protect=bool(values.get("protect", environment.holds_production_data)),
        log_retention_days=int(values.get("logRetentionDays", default_log_retention_days(environment))),
        resource_group_name=values.get("resourceGroupName"),
        access=AccessConfig(
            group_owners=tuple(access.get("groupOwners", ())),
            existing_groups={Persona(key): value for key, value in access.get("existingGroups", {}).items()},
            break_glass_user_ids=tuple(access.get("breakGlass", {}).get("userIds", ())),
            break_glass_group_ids=tuple(access.get("breakGlass", {}).get("groupIds", ())),
            mfa_state=MfaState.REPORT_ONLY if access.get("mfa", {}).get("state") == "reportOnly" else MfaState.ENABLED,
            mfa_all_cloud_apps=bool(access.get("mfa", {}).get("allCloudApps", False)),
            authentication_strength_policy_id=access.get("mfa", {}).get("authenticationStrengthPolicyId"),
            extra_role_assignments=tuple(
                ExtraRoleAssignment(
                    principal_id=grant["principalId"],
                    principal_type=grant["principalType"],
                    role=_BUILT_IN_BY_NAME[grant["role"].lower()],
                    scope=Scope(grant["scope"]),
                    description=grant.get("description", ""),
                )
                for grant in access.get("extraRoleAssignments", ())
            ),
        ),
        ci=CiConfig(ci["repository"], tuple(ci["environments"]), bool(ci.get("pullRequests", False))) if ci else None,
        registry=RegistryConfig(
            replication_regions=tuple(regions.normalize_location(r) for r in values["registry"].get("replicationRegions", ())),
            templates_path=values["registry"].get("templatesPath", RegistryConfig.templates_path),
        )
        if "registry" in values
        else None,
        shared_stack=values.get("sharedStack"),
    )
