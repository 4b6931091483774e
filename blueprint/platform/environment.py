"""An environment stack (dev, staging, prod, ...): workspace, compute, people, CI, network isolation."""

from __future__ import annotations

import pulumi

from blueprint.config.model import PlatformConfig
from components.access_groups import AccessGroups
from components.ci_identity import GithubActionsIdentity
from components.gpu_cluster import GpuCluster
from components.mfa_policy import MfaPolicy
from components.ml_workspace import MlWorkspace
from components.naming import ResourceKind, namer_for
from components.options import NetworkMode
from components.private_network import PrivateNetwork
from components.role_assignments import Assignment, RoleAssignments, identity_assignments, persona_assignments
from components.roles import CI_DEPLOY_GRANTS, CI_PREVIEW_GRANTS, PLATFORM_ASSIGNED_ROLES, BuiltInRole, Persona, Scope, delegation_condition


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
    ci_outputs: dict[str, pulumi.Output] = {}
    if config.ci is not None:
        deployer = GithubActionsIdentity(
            "ci",
            {
                "naming": naming,
                "location": config.location,
                "repository": config.ci.repository,
                "environments": list(config.ci.environments),
            },
        )
        ci_grants = identity_assignments("ci/deploy", deployer.service_principal_object_id, CI_DEPLOY_GRANTS, scopes)
        for grant in ci_grants:
            if grant["role"] is BuiltInRole.ROLE_BASED_ACCESS_CONTROL_ADMINISTRATOR:
                grant["condition"] = delegation_condition(PLATFORM_ASSIGNED_ROLES)
        if config.ci.pull_requests:
            previewer = GithubActionsIdentity(
                "ci-preview",
                {
                    "naming": naming,
                    "location": config.location,
                    "repository": config.ci.repository,
                    "environments": [],
                    "pull_requests": True,
                    "qualifier": "ci-preview",
                },
            )
            ci_grants += identity_assignments("ci/preview", previewer.service_principal_object_id, CI_PREVIEW_GRANTS, scopes)
            ci_outputs["ciPreviewClientId"] = previewer.client_id
        RoleAssignments("ci", {"assignments": ci_grants, "seed": config.name_seed})
        ci_outputs["ciClientId"] = deployer.client_id

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
        **ci_outputs,
    }
    if private_network is not None:
        outputs["virtualNetworkId"] = private_network.virtual_network_id
    if shared is not None:
        outputs["registryName"] = shared.require_output("registryName")
        outputs["registryId"] = registry_id
        outputs["environments"] = shared.require_output("environments")
    return outputs
