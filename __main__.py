"""The ML platform program: one Pulumi stack per environment (stacks/Pulumi.<stack>.yaml).

Reads and validates the stack's configuration (the only place config is read), composes the platform from the
components, and exports what operators and downstream stacks need.
"""

from pathlib import Path

import pulumi

from blueprint.config.pulumi_source import load_stack_config
from components.gpu_cluster import GpuCluster
from components.ml_workspace import MlWorkspace

config = load_stack_config(Path(__file__).parent)
tags = dict(config.tags)

workspace = MlWorkspace(
    "platform",
    {
        "location": config.location,
        "naming": {"prefix": config.naming_prefix, "environment": config.environment.value, "seed": config.name_seed},
        "tags": tags,
        "network_mode": config.network.mode,
        "allowed_ip_ranges": list(config.network.allowed_ip_ranges),
        "resource_group_name": config.resource_group_name,
        "log_retention_days": config.log_retention_days,
        "key_vault_soft_delete_days": config.key_vault_soft_delete_days,
        "blob_soft_delete_days": config.blob_soft_delete_days,
        "high_business_impact": config.data_classification.is_sensitive,
        "zone_redundant": config.zone_redundant,
        "protect_data": config.protect,
    },
)

clusters = [
    GpuCluster(
        cluster.name,
        {
            "workspace_name": workspace.workspace_name,
            "resource_group_name": workspace.resource_group_name,
            "location": config.location,
            "vm_size": cluster.vm_size,
            "tier": cluster.tier,
            "min_nodes": cluster.min_nodes,
            "max_nodes": cluster.max_nodes,
            "idle_seconds_before_scale_down": cluster.idle_seconds_before_scale_down,
            "tags": tags,
        },
    )
    for cluster in config.clusters
]

pulumi.export("environment", config.environment.value)
pulumi.export("location", config.location)
pulumi.export("networkMode", config.network.mode.value)
pulumi.export("resourceGroupName", workspace.resource_group_name)
pulumi.export("workspaceName", workspace.workspace_name)
pulumi.export("workspaceId", workspace.workspace_id)
pulumi.export("studioUrl", workspace.studio_url)
pulumi.export("keyVaultUri", workspace.key_vault_uri)
pulumi.export("containerRegistryId", workspace.container_registry_id)
pulumi.export("logAnalyticsWorkspaceId", workspace.log_analytics_workspace_id)
pulumi.export("clusterNames", [cluster.compute_name for cluster in clusters])
