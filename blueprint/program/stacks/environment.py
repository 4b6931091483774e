"""An environment stack (dev, staging, prod, ...): workspace, compute, people, CI, network isolation."""

from __future__ import annotations

import pulumi

from blueprint.program.config.model import PlatformConfig
from blueprint.program.stacks.assets import registry_asset
from blueprint.program.stacks.ci import compose_ci
from components.access_groups import AccessGroups
from components.batch_scoring import BatchScoring
from components.budget import EnvironmentBudget
from components.gpu_cluster import GpuCluster
from components.mfa_policy import MfaPolicy
from components.ml_schedules import ModelMonitor, RetrainingSchedule
from components.model_endpoint import ModelEndpoint
from components.monitoring import PlatformMonitoring
from components.ml_workspace import MlWorkspace
from components.naming import ResourceKind, namer_for
from components.options import NetworkMode
from components.private_network import PrivateNetwork
from components.role_assignments import Assignment, RoleAssignments, persona_assignments
from components.roles import Persona, Scope


def compose_environment(config: PlatformConfig) -> dict[str, object]:
    """Create the environment's resources; return its stack outputs."""
    tags = dict(config.tags)
    naming = {"prefix": config.naming_prefix, "environment": config.environment.value, "seed": config.name_seed}
    namer = namer_for(naming, config.location)
    network = config.network

    # --- Workspace and its hardened dependencies -------------------------------------------------------------------
    workspace = MlWorkspace(
        "platform",
        {
            "location": config.location,
            "naming": naming,
            "tags": tags,
            "network_mode": network.mode,
            "allowed_ip_ranges": list(network.allowed_ip_ranges),
            "outbound_rules": [
                {"name": r.name, "fqdn": r.fqdn, "service_tag": r.service_tag, "protocol": r.protocol, "port_ranges": r.port_ranges}
                for r in network.outbound_rules
            ],
            "resource_group_name": config.resource_group_name,
            "log_retention_days": config.log_retention_days,
            "key_vault_soft_delete_days": config.key_vault_soft_delete_days,
            "blob_soft_delete_days": config.blob_soft_delete_days,
            "high_business_impact": config.data_classification.is_sensitive,
            "zone_redundant": config.zone_redundant,
            "protect_data": config.protect,
        },
    )
    # The organisation's registry, from the shared stack: persona groups and compute get access to it.
    shared = pulumi.StackReference(config.shared_stack) if config.shared_stack else None
    registry_id = shared.require_output("registryId") if shared is not None else None
    scopes = {
        Scope.WORKSPACE: workspace.workspace_id,
        Scope.KEY_VAULT: workspace.key_vault_id,
        Scope.STORAGE: workspace.storage_account_id,
        Scope.CONTAINER_REGISTRY: workspace.container_registry_id,
        Scope.RESOURCE_GROUP: workspace.resource_group_id,
    }
    if registry_id is not None:
        scopes[Scope.ML_REGISTRY] = registry_id

    # --- Private tier: a VNet with private endpoints and private DNS for every data plane ---------------------------
    private_network = None
    if network.mode is NetworkMode.PRIVATE:
        private_network = PrivateNetwork(
            "network",
            {
                "location": config.location,
                "naming": naming,
                "tags": tags,
                "resource_group_name": workspace.resource_group_name,
                "address_space": network.address_space,
                "targets": [
                    {"key": "workspace", "resource_id": workspace.workspace_id, "group_id": "amlworkspace"},
                    {"key": "vault", "resource_id": workspace.key_vault_id, "group_id": "vault"},
                    {"key": "blob", "resource_id": workspace.storage_account_id, "group_id": "blob"},
                    {"key": "file", "resource_id": workspace.storage_account_id, "group_id": "file"},
                    {"key": "dfs", "resource_id": workspace.storage_account_id, "group_id": "dfs"},
                    {"key": "registry", "resource_id": workspace.container_registry_id, "group_id": "registry"},
                    *([{"key": "mlregistry", "resource_id": registry_id, "group_id": "amlregistry"}] if registry_id is not None else []),
                ],
            },
        )

    # --- Compute: clusters that scale to zero, their identities granted what jobs need ------------------------------
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
                "access": {
                    "storage_account_id": workspace.storage_account_id,
                    "container_registry_id": workspace.container_registry_id,
                    "ml_registry_id": registry_id,
                    "seed": config.name_seed,
                },
            },
        )
        for cluster in config.clusters
    ]

    # --- People: a group per persona, roles from the matrix, MFA on every group that holds a role -------------------
    groups = AccessGroups(
        "access",
        {
            "naming": naming,
            "location": config.location,
            "owners": list(config.access.group_owners),
            "existing_group_ids": {persona.value: object_id for persona, object_id in config.access.existing_groups.items()},
        },
    )
    group_ids = {persona: groups.group_id(persona) for persona in Persona}
    grants: list[Assignment] = persona_assignments(group_ids, scopes)
    grants += [
        {
            "key": f"extra/{extra.principal_type}/{extra.principal_id}/{extra.role.value}/{extra.scope.value}",
            "principal_id": extra.principal_id,
            "principal_type": extra.principal_type,
            "role": extra.role,
            "scope": scopes[extra.scope],
            "description": extra.description or "extra grant from stack configuration",
        }
        for extra in config.access.extra_role_assignments
    ]
    RoleAssignments("people", {"assignments": grants, "seed": config.name_seed})

    extra_groups = [extra.principal_id for extra in config.access.extra_role_assignments if extra.principal_type == "Group"]
    mfa = MfaPolicy(
        "mfa",
        {
            "display_name": namer.name(ResourceKind.CONDITIONAL_ACCESS_POLICY, "mfa"),
            "included_group_ids": [*group_ids.values(), *extra_groups],
            "state": config.access.mfa_state,
            "all_cloud_apps": config.access.mfa_all_cloud_apps,
            "authentication_strength_policy_id": config.access.authentication_strength_policy_id,
            "excluded_user_ids": list(config.access.break_glass_user_ids),
            "excluded_group_ids": list(config.access.break_glass_group_ids),
        },
    )

    # --- CI: GitHub Actions deploys through OIDC federation; no secret exists anywhere --------------------------------
    ci_outputs = compose_ci(config.ci, naming=naming, location=config.location, scopes=scopes, seed=config.name_seed) if config.ci else {}

    # --- Serving: online endpoints (blue/green, autoscale) and batch scoring -------------------------------------
    registry_name = shared.require_output("registryName") if shared is not None else None
    endpoints = [
        ModelEndpoint(
            f"endpoint-{endpoint.name}",
            {
                "workspace_name": workspace.workspace_name,
                "resource_group_name": workspace.resource_group_name,
                "location": config.location,
                "naming": naming,
                "qualifier": endpoint.name,
                "tags": tags,
                "auth_mode": "Key" if endpoint.key_auth else "AADToken",
                "public_network_access": endpoint.public_network_access,
                "route_traffic": endpoint.route_traffic,
                "deployments": [
                    {
                        "name": d.name,
                        "model": registry_asset(d.model, "models", registry_name),
                        "instance_type": d.instance_type,
                        "instance_count": d.min_instances,
                        "min_instances": d.min_instances,
                        "max_instances": d.max_instances,
                        "traffic_percent": d.traffic_percent,
                    }
                    for d in endpoint.deployments
                ],
            },
        )
        for endpoint in config.endpoints
    ]
    cluster_ids = {cluster.name: resource.compute_id for cluster, resource in zip(config.clusters, clusters)}
    for batch in config.batch_endpoints:
        BatchScoring(
            f"batch-{batch.name}",
            {
                "workspace_name": workspace.workspace_name,
                "resource_group_name": workspace.resource_group_name,
                "location": config.location,
                "naming": naming,
                "qualifier": batch.name,
                "tags": tags,
                "model": registry_asset(batch.model, "models", registry_name),
                "compute_id": cluster_ids[batch.cluster],
                "mini_batch_size": batch.mini_batch_size,
            },
        )

    # --- Monitoring: every log to Log Analytics, alerts to an action group ------------------------------------------
    assert config.monitoring is not None and config.budget is not None  # required for environment stacks
    monitoring = PlatformMonitoring(
        "monitoring",
        {
            "resource_group_name": workspace.resource_group_name,
            "naming": naming,
            "location": config.location,
            "tags": tags,
            "log_analytics_workspace_id": workspace.log_analytics_workspace_id,
            "diagnostic_targets": [
                {"key": "workspace", "resource_id": workspace.workspace_id, "kind": "workspace"},
                {"key": "vault", "resource_id": workspace.key_vault_id, "kind": "key_vault"},
                {"key": "storage", "resource_id": workspace.storage_account_id, "kind": "storage"},
                {"key": "registry", "resource_id": workspace.container_registry_id, "kind": "container_registry"},
                *[{"key": f"endpoint-{e.name}", "resource_id": r.endpoint_id, "kind": "online_endpoint"} for e, r in zip(config.endpoints, endpoints)],
            ],
            "emails": list(config.monitoring.emails),
            "webhooks": [{"name": name, "uri": uri} for name, uri in config.monitoring.webhooks],
            "workspace_id": workspace.workspace_id,
            "failed_jobs_threshold": config.monitoring.failed_jobs,
            "online_endpoints": [
                {"key": e.name, "endpoint_id": r.endpoint_id, "latency_ms": config.monitoring.latency_ms,
                 "server_errors_per_minute": config.monitoring.server_errors_per_minute}
                for e, r in zip(config.endpoints, endpoints)
            ],
            "clusters": [
                {"name": c.name, "max_nodes": c.max_nodes, "node_usage_percent": config.monitoring.cluster_node_usage_percent}
                for c in config.clusters
            ],
        },
    )

    # --- Drift: a model monitor per production deployment; retraining on a cadence -------------------------------
    for endpoint, resource in zip(config.endpoints, endpoints):
        for deployment in endpoint.deployments:
            if not deployment.monitor_drift:
                continue
            assert config.drift is not None  # the loader requires drift settings when a deployment is monitored
            ModelMonitor(
                f"monitor-{endpoint.name}-{deployment.name}",
                {
                    "workspace_name": workspace.workspace_name,
                    "resource_group_name": workspace.resource_group_name,
                    "name": f"monitor-{endpoint.name}-{deployment.name}",
                    "endpoint_name": resource.endpoint_name,
                    "deployment_name": deployment.name,
                    "baseline_data": config.drift.baseline_data,
                    "data_drift_threshold": config.drift.data_drift_threshold,
                    "prediction_drift_threshold": config.drift.prediction_drift_threshold,
                    "data_quality_null_rate_threshold": config.drift.null_rate_threshold,
                    "emails": list(config.monitoring.emails),
                    "cron": config.drift.cron,
                },
                opts=pulumi.ResourceOptions(depends_on=[resource]),
            )
    if config.retraining is not None:
        cadence: dict[str, object] = (
            {"cron": config.retraining.cron}
            if config.retraining.cron
            else {"recurrence": {"frequency": config.retraining.recurrence[0], "interval": config.retraining.recurrence[1]}}
        )
        RetrainingSchedule(
            "retraining",
            {
                "workspace_name": workspace.workspace_name,
                "resource_group_name": workspace.resource_group_name,
                "name": "retraining",
                "pipeline_component_id": registry_asset(config.retraining.pipeline_component, "components", registry_name),
                "inputs": dict(config.retraining.inputs),
                "compute": config.retraining.cluster,
                "time_zone": config.retraining.time_zone,
                **cadence,
            },
        )

    # --- Cost: a monthly budget on the environment's resource group ------------------------------------------------
    budget = EnvironmentBudget(
        "budget",
        {
            "naming": naming,
            "location": config.location,
            "scope": workspace.resource_group_id,
            "amount": config.budget.monthly_amount,
            "start_date": config.budget.start_date,
            "actual_thresholds": list(config.budget.actual_thresholds),
            "forecast_thresholds": list(config.budget.forecast_thresholds),
            "emails": list(config.monitoring.emails),
            "action_group_id": monitoring.action_group_id,
        },
    )

    outputs: dict[str, object] = {
        "environment": config.environment.value,
        "location": config.location,
        "networkMode": network.mode.value,
        "resourceGroupName": workspace.resource_group_name,
        "workspaceName": workspace.workspace_name,
        "workspaceId": workspace.workspace_id,
        "studioUrl": workspace.studio_url,
        "workspaceIdentityId": workspace.identity_id,
        "keyVaultUri": workspace.key_vault_uri,
        "containerRegistryId": workspace.container_registry_id,
        "logAnalyticsWorkspaceId": workspace.log_analytics_workspace_id,
        "clusterNames": [cluster.compute_name for cluster in clusters],
        "groupIds": groups.group_ids,
        "mfaPolicyId": mfa.policy_id,
        "actionGroupId": monitoring.action_group_id,
        "alertIds": monitoring.alert_ids,
        "budgetId": budget.budget_id,
        "scoringUris": {e.name: r.scoring_uri for e, r in zip(config.endpoints, endpoints)},
        # Read by the offline preview's cost estimate: how long a month may run at peak, against which budget.
        "costAssumptions": {"peakHoursPerMonth": config.budget.peak_hours_per_month, "monthlyBudget": config.budget.monthly_amount},
        **ci_outputs,
    }
    if private_network is not None:
        outputs["virtualNetworkId"] = private_network.virtual_network_id
    if shared is not None:
        outputs["registryName"] = shared.require_output("registryName")
        outputs["registryId"] = registry_id
        outputs["environments"] = shared.require_output("environments")
    return outputs
