"""Compute: the environment's AmlCompute clusters (``clusters``), which scale to zero when idle."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from blueprint.program.config.errors import ConfigIssue, describe
from blueprint.program.config.rules import key_path, name_issues, vm_size_issues
from blueprint.program.settings import default_of, setting
from components import vm_sizes
from components.gpu_cluster import DEFAULT_IDLE_SECONDS, MAX_NODES_LIMIT, GpuCluster
from components.naming import ResourceKind
from components.options import ClusterTier

VM_SIZE_EXPECTED = "a VM size from the catalog components/data/vm_sizes.json"


def canonical_vm_size(size: str) -> str:
    """A catalog VM size in Azure's casing (``standard_ds3_v2`` is ``Standard_DS3_v2``)."""
    return vm_sizes.lookup(size).name


@dataclass(frozen=True, kw_only=True)
class ClusterSettings:
    """One AmlCompute cluster."""

    name: str = setting(
        "name", "Compute name used by jobs (compute: azureml:<name>).",
        pattern="^(?!.*-[0-9]*$)[a-zA-Z][a-zA-Z0-9-]{1,14}[a-zA-Z0-9]$",
        x_expected="3-16 letters, digits and hyphens, starting with a letter, ending with a letter or digit, with a letter "
        "after every hyphen (gpu-a100, not cpu-1)",
    )
    vm_size: str = setting(
        "vmSize", "VM size from components/data/vm_sizes.json, e.g. Standard_NC4as_T4_v3.",
        convert=canonical_vm_size, x_expected=VM_SIZE_EXPECTED,
    )
    max_nodes: int = setting("maxNodes", "Upper bound of autoscale.", minimum=1, maximum=MAX_NODES_LIMIT)
    tier: ClusterTier = setting(
        "tier", "Dedicated capacity or evictable Spot capacity (low priority was retired in 2026).", default=ClusterTier.DEDICATED,
    )
    min_nodes: int = setting("minNodes", "Nodes kept running when idle; 0 scales the cluster to zero.", default=0, minimum=0, maximum=MAX_NODES_LIMIT)
    idle_seconds_before_scale_down: int = setting(
        "idleSecondsBeforeScaleDown", "Idle time before a node is released.", default=DEFAULT_IDLE_SECONDS, minimum=60, maximum=3600,
    )


CLUSTERS_DOC = "Azure ML compute clusters (AmlCompute) of an environment stack; they scale to zero when idle."


def cluster_issues(project: str, values: Mapping[str, Any]) -> list[ConfigIssue]:
    """Unique names Azure accepts, catalog VM sizes, and a floor no higher than the ceiling."""
    issues: list[ConfigIssue] = []
    seen: set[str] = set()
    for index, cluster in enumerate(values.get("clusters", ())):
        name = cluster["name"]
        if name.lower() in seen:
            issues.append(ConfigIssue(key_path(project, ["clusters", index, "name"]), "a name not used by another cluster", describe(name)))
        seen.add(name.lower())
        issues += name_issues(project, ["clusters", index, "name"], ResourceKind.ML_COMPUTE_CLUSTER, name)
        issues += vm_size_issues(project, ["clusters", index, "vmSize"], cluster["vmSize"], VM_SIZE_EXPECTED)
        min_nodes = cluster.get("minNodes", default_of(ClusterSettings, "min_nodes"))
        if min_nodes > cluster["maxNodes"]:
            issues.append(ConfigIssue(key_path(project, ["clusters", index, "minNodes"]), f"at most maxNodes ({cluster['maxNodes']})", describe(min_nodes)))
    return issues


def create_clusters(
    clusters: tuple[ClusterSettings, ...],
    *,
    workspace_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    location: str,
    tags: Mapping[str, str],
    access: Mapping[str, Any],
) -> list[GpuCluster]:
    """A cluster per setting, its identity granted what jobs need (``access``: the workspace's data plane)."""
    return [
        GpuCluster(
            cluster.name,
            {
                "workspace_name": workspace_name,
                "resource_group_name": resource_group_name,
                "location": location,
                "vm_size": cluster.vm_size,
                "tier": cluster.tier,
                "min_nodes": cluster.min_nodes,
                "max_nodes": cluster.max_nodes,
                "idle_seconds_before_scale_down": cluster.idle_seconds_before_scale_down,
                "tags": dict(tags),
                "access": dict(access),  # type: ignore[typeddict-item]
            },
        )
        for cluster in clusters
    ]
