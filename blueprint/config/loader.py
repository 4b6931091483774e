"""Validate a stack's raw configuration and build :class:`PlatformConfig`.

Checks run in two passes: the JSON Schema (shapes, types, ranges, unknown keys), then the rules that need more
than one key or a catalog (VM sizes, regions, environment rules). All problems are reported at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from blueprint.config.errors import ConfigError, ConfigIssue, describe
from blueprint.config.model import ClusterConfig, NetworkConfig, PlatformConfig, default_log_retention_days
from blueprint.config.schema import PROVIDER_NAMESPACES, coerce, key_path, schema_issues
from components import regions, vm_sizes
from components.naming import RULES, ResourceKind, validate_name
from components.options import ClusterTier, Environment, NetworkMode


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

    network = values["network"]
    mode = NetworkMode(network["mode"])
    if mode is NetworkMode.PUBLIC:
        if environment is Environment.PROD:
            issues.append(ConfigIssue(key_path(project, ["network", "mode"]), "managed or private in prod (public networking is for dev and test)", describe(network["mode"])))
        if not network.get("allowedIpRanges"):
            issues.append(ConfigIssue(key_path(project, ["network", "allowedIpRanges"]), "at least one IP range: public mode is never open to the whole Internet", "nothing"))
    elif network.get("allowedIpRanges"):
        issues.append(ConfigIssue(key_path(project, ["network", "allowedIpRanges"]), f"no allow-list in {mode.value} mode (public network access is disabled)", describe(network["allowedIpRanges"])))

    if environment is Environment.PROD and values.get("protect") is False:
        issues.append(ConfigIssue(key_path(project, ["protect"]), "true in prod (data-bearing resources are always protected there)", describe(False)))

    seen: set[str] = set()
    for index, cluster in enumerate(values["clusters"]):
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


def _build(values: Mapping[str, Any], *, project: str, stack: str) -> PlatformConfig:
    environment = Environment(values["tags"]["environment"])
    network = values["network"]
    return PlatformConfig(
        project=project,
        stack=stack,
        location=regions.normalize_location(values["location"]),
        naming_prefix=values["namingPrefix"],
        tags=dict(values["tags"]),
        network=NetworkConfig(NetworkMode(network["mode"]), tuple(network.get("allowedIpRanges", ()))),
        clusters=tuple(
            ClusterConfig(
                name=cluster["name"],
                vm_size=vm_sizes.lookup(cluster["vmSize"]).name,
                max_nodes=int(cluster["maxNodes"]),
                min_nodes=int(cluster.get("minNodes", 0)),
                tier=ClusterTier(cluster.get("tier", ClusterTier.DEDICATED.value)),
                idle_seconds_before_scale_down=int(cluster.get("idleSecondsBeforeScaleDown", 120)),
            )
            for cluster in values["clusters"]
        ),
        protect=bool(values.get("protect", environment is Environment.PROD)),
        log_retention_days=int(values.get("logRetentionDays", default_log_retention_days(environment))),
        resource_group_name=values.get("resourceGroupName"),
    )
